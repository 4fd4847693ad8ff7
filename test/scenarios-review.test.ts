/**
 * Every PR scenario of fixtures/scenarios, reviewed end to end in a real git repository
 * through the two entry points users have: the CLI (`review --format json`) and the Danger
 * adapter (globals as Danger provides them). Expected findings are exact: rule, file, line,
 * severity, whether the line is in the diff, the chain, and what the message must mention.
 * Quiet scenarios must produce nothing at all.
 */
import type { Finding } from "../src/core/types";
import { RULE_IDS } from "../src/rules";
import djangoStartup from "../src/danger";
import { buildScenarioRepo, compareFindings, listScenarios, loadScenario, removeScenarioRepos } from "./helpers/scenarios";
import { runInProcess } from "./helpers/run-cli";

afterAll(removeScenarioRepos);
jest.setTimeout(60_000);

const cli = runInProcess;

const names = listScenarios();

test("there are scenarios for every rule, bad and good", () => {
  const rules = new Set(names.flatMap((n) => loadScenario(n).expect.map((e) => e.rule)));
  expect([...rules].sort()).toEqual([...RULE_IDS].sort());
  expect(names.filter((n) => loadScenario(n).expect.length === 0).length).toBeGreaterThanOrEqual(6);
});

describe.each(names)("scenario %s", (name) => {
  test("CLI review --format json", async () => {
    const scenario = loadScenario(name);
    const repo = await buildScenarioRepo(name);
    const r = await cli(["review", "--repo", repo.dir, "--base", repo.base, "--head", repo.head, "--format", "json"]);
    expect(r.err).toBe("");
    const json = JSON.parse(r.out) as { findings: Finding[]; errors: unknown[] };
    const { missing, unexpected } = compareFindings(scenario.expect, json.findings);
    expect({ missing, unexpected: unexpected.map((f) => `${f.rule} ${f.file}:${f.line} ${f.severity} inDiff=${f.inDiff} ${f.message}`) }).toEqual({ missing: [], unexpected: [] });
    expect(json.errors).toEqual([]);
    expect(r.code).toBe(0); // nothing at `fail` with the fixture's configuration
  });

  test("Danger adapter: inline exactly for in-diff findings", async () => {
    const scenario = loadScenario(name);
    const repo = await buildScenarioRepo(name);
    const calls: [string, string, string | undefined, number | undefined][] = [];
    const g = globalThis as Record<string, unknown>;
    g.danger = { git: { base: repo.base, head: repo.head } };
    for (const verb of ["warn", "fail", "message", "markdown"]) g[verb] = (m: string, f?: string, l?: number) => calls.push([verb, m, f, l]);
    try {
      await djangoStartup({ repo: repo.dir });
    } finally {
      for (const k of ["danger", "warn", "fail", "message", "markdown"]) delete g[k];
    }
    const inline = calls.filter((c) => c[2] !== undefined).map((c) => `${c[0]} ${c[2]}:${c[3]}`).sort();
    const expectedInline = scenario.expect.filter((e) => e.inDiff && e.line !== null).map((e) => `${e.severity} ${e.file}:${e.line}`).sort();
    expect(inline).toEqual(expectedInline);
    // One summary when something is outside the diff, or an inline heavy-import or lost-registration
    // finding has a chain to draw (an inline comment cannot hold the diagram).
    const outside = scenario.expect.filter((e) => !(e.inDiff && e.line !== null));
    const chains = scenario.expect.some((e) => (e.rule === "heavy-import-at-startup" || e.rule === "startup-import-cycle" || e.rule === "registrations-lost") && e.inDiff && e.severity !== "message");
    const summary = calls.filter((c) => c[0] === "markdown");
    expect(summary).toHaveLength(outside.length > 0 || chains ? 1 : 0);
    if (chains) expect(summary[0][1]).toContain("flowchart LR");
    if (scenario.expect.length === 0) expect(calls).toEqual([]);
  });
});
