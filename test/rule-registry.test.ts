/**
 * Adding a rule touches the rule file, its test table and one line of the registry: every
 * other place that knows the rules (configuration, pragmas, the engine, docs/rules.md, the
 * README's table, the CLI help) takes them from the registry's list. Shown here with a
 * throwaway rule added to that list, and taken away again at the end of the test.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { configFor } from "../src/config";
import { review } from "../src/review/review";
import { RULE_IDS, RULES, defineRule, type Rule } from "../src/rules";
import { renderHelpRules, renderReadmeRules, renderRuleDocs } from "../src/rules/docs";
import { gitChangeSet } from "../src/source/git";
import { cleanupRepos, makeRepo } from "./helpers/git-repo";

afterAll(cleanupRepos);

/** Reports every changed Python file whose head text says `TODO`. */
const throwaway = defineRule({
  meta: {
    id: "throwaway-rule",
    defaultSeverity: "message",
    docsAnchor: "throwaway-rule",
    short: "a TODO in a changed file",
    docs: {
      what: "A changed Python file says TODO.",
      why: "It shows that a rule needs nothing but this object and a line in the registry.",
      fix: "Do it now.",
      example: { bad: "# TODO", good: "# done" },
    },
  },
  check(model) {
    return model.changes.flatMap((c) => (c.head?.lines.some((l) => l.includes("TODO")) ? [{ file: c.path, line: 1, message: "says TODO" }] : []));
  },
});

test("a rule added to the list is configured, allowed by pragmas, run, and documented", async () => {
  const rules: readonly Rule[] = [...RULES, throwaway];
  const cfg = configFor(rules.map((r) => r.meta));
  // Configuration: the default severity, and the rule id accepted; the registry alone rejects it.
  expect(cfg.defaultConfig().rules["throwaway-rule"]).toEqual({ severity: "message" });
  expect(cfg.resolveConfig({ options: { rules: { "throwaway-rule": "fail" } } }).errors).toEqual([]);
  expect(configFor(RULES.map((r) => r.meta)).resolveConfig({ options: { rules: { "throwaway-rule": "fail" } } }).errors[0].message).toMatch(/unknown rule "throwaway-rule"/);
  // Pragmas.
  expect(cfg.parsePragmas("x = 1  # startup-guard: allow throwaway-rule -- a reason").errors).toEqual([]);
  expect(cfg.pragmaAllows(["x = 1  # startup-guard: allow throwaway-rule -- a reason"], 1, "throwaway-rule")).toBe(true);
  // The docs, the README's table and the CLI help.
  expect(renderRuleDocs(rules)).toContain("\n## throwaway-rule\n");
  expect(renderReadmeRules(rules)).toContain("| [`throwaway-rule`](docs/rules.md#throwaway-rule) | `message` | A changed Python file says TODO. |");
  expect(renderHelpRules("  ", rules)).toContain("throwaway-rule");

  // The whole review, on a real repository: found, with the configured severity and its docs link.
  const repo = makeRepo();
  repo.write("app/__init__.py", "");
  repo.commit("base");
  repo.git("checkout", "-q", "-b", "pr");
  repo.write("app/util.py", "# TODO: later\n");
  repo.commit("pr");
  const cs = await gitChangeSet({ repo: repo.dir, base: "main", head: "pr" });
  try {
    const r = await review({ changeSet: cs, rules, options: { rules: { "throwaway-rule": "warn" } } });
    expect(r.errors).toEqual([]);
    expect(r.findings.map((f) => [f.rule, f.file, f.severity, f.docs])).toEqual([["throwaway-rule", "app/util.py", "warn", expect.stringMatching(/#throwaway-rule$/)]]);
    // Without it in the list, the same change is quiet.
    expect((await review({ changeSet: cs })).findings).toEqual([]);
  } finally {
    await cs.close?.();
  }
});

test("every rule file of src/rules is in the registry, once, and the ids are the registry's", () => {
  const dir = path.join(__dirname, "..", "src", "rules");
  const declared = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...fs.readFileSync(path.join(dir, f), "utf8").matchAll(/^\s*id: "([a-z-]+)",$/gm)].map((m) => m[1]));
  expect([...declared].sort()).toEqual([...RULE_IDS].sort());
  expect(new Set(RULE_IDS).size).toBe(RULE_IDS.length);
});
