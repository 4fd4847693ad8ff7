/**
 * The Danger adapter with the globals provided as Danger provides them: inline comments only
 * for lines in the diff, one summary for the rest, local git or the GitHub API as the source,
 * and never an exception out of the plugin.
 */
import type { GitHubDSL } from "danger";
import djangoStartup, { report } from "../src/danger";
import type { Finding } from "../src/core/types";
import { cleanupRepos, makeRepo, type TestRepo, committedRepo } from "./helpers/git-repo";
import { startFakeGitHub, type FakeGitHub } from "./helpers/fake-github";
import { DJANGO_BASE } from "./helpers/rule-tester";

type Call = [string, string, string | undefined, number | undefined];

function installGlobals(dsl: unknown): Call[] {
  const calls: Call[] = [];
  const g = globalThis as Record<string, unknown>;
  g.danger = dsl;
  for (const verb of ["warn", "fail", "message", "markdown"]) {
    g[verb] = (msg: string, file?: string, line?: number) => calls.push([verb, msg, file, line]);
  }
  return calls;
}

afterEach(() => {
  for (const k of ["danger", "warn", "fail", "message", "markdown"]) delete (globalThis as Record<string, unknown>)[k];
});
afterAll(cleanupRepos);

function prRepo(): TestRepo {
  const repo = committedRepo(DJANGO_BASE);
  repo.git("checkout", "-q", "-b", "pr");
  repo.write("shop/models.py", `import numpy\n${DJANGO_BASE["shop/models.py"]}`);
  // ready() and its side-effect import deleted: the finding's line is not one the PR added.
  repo.write("shop/apps.py", DJANGO_BASE["shop/apps.py"].replace("\n    def ready(self):\n        from . import signals  # noqa: F401\n", ""));
  repo.commit("pr");
  return repo;
}

test("danger local: in-diff findings inline, the rest in one summary, status kept by a plain verb", async () => {
  const repo = prRepo();
  const calls = installGlobals({ git: { base: "main", head: "HEAD" } });
  await djangoStartup({ repo: repo.dir });
  const inline = calls.filter((c) => c[2] !== undefined);
  expect(inline.map((c) => [c[0], c[2], c[3]])).toEqual([["warn", "shop/models.py", 1]]);
  expect(inline[0][1]).toContain("heavy-import-at-startup");
  const summaries = calls.filter((c) => c[0] === "markdown");
  expect(summaries).toHaveLength(1);
  expect(summaries[0][1]).toContain("side-effect-import-removed");
  expect(summaries[0][1]).toContain("1 finding is posted as inline comment");
  expect(calls.filter((c) => c[0] === "warn" && c[2] === undefined).map((c) => c[1])).toEqual([
    "1 django-startup finding at `warn` on lines outside the diff: see the summary below.",
  ]);
});

test("a missing base commit is one clear warning, not a crash", async () => {
  const repo = prRepo();
  const calls = installGlobals({ git: { base: "no-such-branch", head: "HEAD" } });
  await expect(djangoStartup({ repo: repo.dir })).resolves.toBeUndefined();
  expect(calls).toHaveLength(1);
  expect(calls[0][0]).toBe("warn");
  expect(calls[0][1]).toMatch(/could not review this change: .*no\\?-such\\?-branch.*fetch\\?-depth/s);
});

test("invalid options are reported by name and the review still runs", async () => {
  const repo = prRepo();
  const calls = installGlobals({ git: { base: "main", head: "HEAD" } });
  await djangoStartup({ repo: repo.dir, rulez: {} });
  const summary = calls.find((c) => c[0] === "markdown")?.[1] ?? "";
  expect(summary).toMatch(/rulez/);
  expect(calls.some((c) => c[2] === "shop/models.py")).toBe(true);
});

test("outside Danger the plugin says so", async () => {
  await expect(djangoStartup({})).rejects.toThrow(/must run inside Danger/);
});

test("report(): nothing at all is posted for a clean review", () => {
  const calls = installGlobals({});
  report({ findings: [], errors: [], notes: [] }, globalThis as never);
  expect(calls).toEqual([]);
});

test("report(): a fail outside the diff fails the run through one plain fail()", () => {
  const calls = installGlobals({});
  const f: Finding = { rule: "module-moved-without-shim", severity: "fail", file: "a.py", line: 3, message: "m", why: "w", fix: "f", docs: "https://x/#a", inDiff: false };
  report({ findings: [f], errors: [], notes: [] }, globalThis as never);
  expect(calls.map((c) => c[0])).toEqual(["fail", "markdown"]);
});

describe("GitHub-sized output (issue 11, item 14)", () => {
  /** A finding as the rules write them: a six-link chain, a why, a fix and code to paste. */
  function realistic(i: number, inDiff: boolean): Finding {
    const file = `products/p${i % 40}/backend/models/m${i}.py`;
    const chain = ["settings", "products.apps", `products.p${i % 40}.apps`, `products.p${i % 40}.backend.models`, `products.p${i % 40}.backend.models.m${i}`, "scipy"].map(
      (module, k) => ({ module, file: k < 5 ? `${module.split(".").join("/")}.py` : null, line: k === 0 ? null : 10 + k }),
    );
    return {
      rule: "heavy-import-at-startup",
      severity: "warn",
      file,
      line: 3,
      message: `django.setup() now imports scipy (heavy) through ${file}:3, a module setup imports through products.p${i % 40}.apps.`,
      why: "Every Django process (web, manage.py, migrate, Celery and Temporal workers, each CI shard) pays for every module setup imports; one heavy module-scope import adds its whole import time to all of them.",
      fix: "Import the module inside the function that uses it (or under `if TYPE_CHECKING:` when it only serves annotations, or as a PEP 810 `lazy import` on Python 3.15+).",
      fixCode: { path: file, language: "python", code: "def compute(values):\n    import scipy.stats  # deferred: only the code that computes pays for it\n\n    return scipy.stats.zscore(values)\n".repeat(4) },
      docs: "https://example.invalid/docs/rules.md#heavy-import-at-startup",
      chain,
      details: Array.from({ length: 6 }, (_, k) => `also reached through products.p${(i + k) % 40}.signals (line ${k + 1})`),
      inDiff,
    };
  }

  function post(findings: Finding[]): Call[] {
    const calls = installGlobals({});
    report({ findings, errors: [], notes: [] }, globalThis as never, undefined, { fullReportCommand: "npx django-startup-guard review --base main" });
    return calls;
  }

  test("40 findings outside the diff: the summary stays under GitHub's 65,536 characters and says how to see the rest", () => {
    const calls = post(Array.from({ length: 40 }, (_, i) => realistic(i, false)));
    const summary = calls.filter((c) => c[0] === "markdown");
    expect(summary).toHaveLength(1);
    expect(summary[0][1].length).toBeLessThanOrEqual(50_000);
    expect(summary[0][1]).toContain("40 findings");
    // Every finding is at least counted in the table, one row each or grouped by directory.
    const rows = summary[0][1].split("\n").filter((l) => l.startsWith("| ⚠️"));
    expect(rows.length).toBeGreaterThan(0);
    expect(summary[0][1]).toMatch(/The details of \d+ of the 40 findings are not shown .*`npx django-startup-guard review --base main`/);
  });

  test("a 3,000-file PR: 25 inline comments, the rest counted in a summary under the limit", () => {
    const calls = post(Array.from({ length: 3000 }, (_, i) => realistic(i, true)));
    const inline = calls.filter((c) => c[2] !== undefined);
    expect(inline).toHaveLength(25);
    const summary = calls.filter((c) => c[0] === "markdown")[0][1];
    expect(summary.length).toBeLessThanOrEqual(50_000);
    expect(summary).toContain("25 findings are posted as inline comments on the changed lines.\n2975 more on changed lines are below: inline comments stop at 25 per review.");
    expect(summary).toContain("2975 findings");
    const grouped = summary.match(/\| (\d+) more findings? of this rule in this directory \|/g) ?? [];
    const listed = summary.split("\n").filter((l) => l.startsWith("| ⚠️") && !l.includes("more finding")).length;
    const more = /… and (\d+) more findings? in/.exec(summary);
    const counted = listed + grouped.reduce((n, g) => n + Number(/(\d+)/.exec(g)?.[1]), 0) + Number(more?.[1] ?? 0);
    expect(counted).toBe(2975);
    expect(calls.filter((c) => c[0] === "warn" && c[2] === undefined).map((c) => c[1])).toEqual([
      "2975 django-startup findings at `warn` on lines outside the diff or beyond the first 25 inline comments: see the summary below.",
    ]);
  });
});

describe("on GitHub without the commits locally", () => {
  let gh: FakeGitHub;
  beforeAll(async () => {
    gh = await startFakeGitHub({ owner: "acme", repo: "shop", revisions: {}, pulls: {} });
  });
  afterAll(async () => gh.close());

  /** PR #7: `shop/exceptions.py` renamed to `shop/errors/order.py`, `shop/views.py` still importing the old path. Returns the head tree. */
  function movePr(): Record<string, string> {
    const base = { ...DJANGO_BASE, "shop/exceptions.py": "class OrderError(Exception):\n    pass\n", "shop/views.py": "from shop.exceptions import OrderError\n" };
    const head: Record<string, string> = { ...base, "shop/errors/__init__.py": "", "shop/errors/order.py": base["shop/exceptions.py"] };
    delete head["shop/exceptions.py"];
    gh.configure({
      owner: "acme",
      repo: "shop",
      revisions: { b0: base, h1: head },
      pulls: {
        7: {
          base: "b0",
          head: "h1",
          files: [
            { filename: "shop/errors/order.py", previous_filename: "shop/exceptions.py", status: "renamed", changes: 0 },
            { filename: "shop/errors/__init__.py", status: "added", patch: "", changes: 0 },
          ],
        },
      },
    });
    return head;
  }

  /** Danger's globals for PR #7 on GitHub, with danger's own Octokit pointed at the fake. */
  function githubGlobals(): Call[] {
    const octokitPath = require.resolve("@octokit/rest", { paths: [require.resolve("danger")] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- danger's own CommonJS Octokit, resolved at run time
    const { Octokit } = require(octokitPath) as { Octokit: new (o: { baseUrl: string }) => GitHubDSL["api"] };
    const pr = { number: 7, base: { sha: "b0", repo: { name: "shop", owner: { login: "acme" } } }, head: { sha: "h1" } };
    return installGlobals({ git: { base: "b0", head: "h1" }, github: { pr, api: new Octokit({ baseUrl: gh.baseUrl }) } });
  }

  test("the change comes from the pull-request files API, renames included", async () => {
    movePr();
    const calls = githubGlobals();
    await djangoStartup({ repo: makeRepo().dir });
    // shop/views.py:1 is not a line of the diff: the finding is in the summary, not inline.
    expect(calls.map((c) => c[0])).toEqual(["warn", "markdown"]);
    expect(calls[1][1]).toContain("module-moved-without-shim");
    expect(calls[1][1]).toMatch(/shop\\?\.errors\\?\.order/);
    expect(calls[1][1]).toMatch(/shop\/views\.py:1/);
  });

  /** PR #8: `import numpy` added to shop/models.py (a modified file). */
  function heavyPr(broken: NonNullable<Parameters<FakeGitHub["configure"]>[0]["broken"]>): void {
    const head = { ...DJANGO_BASE, "shop/models.py": `import numpy\n${DJANGO_BASE["shop/models.py"]}` };
    gh.configure({
      owner: "acme",
      repo: "shop",
      revisions: { b0: DJANGO_BASE, h1: head },
      pulls: { 7: { base: "b0", head: "h1", files: [{ filename: "shop/models.py", status: "modified", patch: "@@ -0,0 +1 @@\n+import numpy", changes: 1 }] } },
      broken,
    });
  }

  test.each(["not-found", "truncated-json", "html"] as const)(
    "/contents/ answering %s: Danger warns and the summary names the file that was not read (no silent pass)",
    async (answer) => {
      heavyPr([{ match: /\/contents\/shop%2Fmodels\.py/, answer }]);
      const calls = githubGlobals();
      await djangoStartup({ repo: makeRepo().dir, source: "github" });
      expect(calls.filter((c) => c[0] === "warn" && /could not read \d+ parts? of this change, so the review is incomplete/.test(c[1]))).toHaveLength(1);
      const summary = calls.find((c) => c[0] === "markdown")?.[1] ?? "";
      expect(summary).toMatch(/shop\/models\.py/);
      expect(summary).not.toMatch(/No startup-time regressions found/);
      if (answer !== "not-found") expect(summary).toMatch(/contents\/shop\/models\\\\?\.py\?ref=h1/);
    },
  );

  test("a /contents/ request that never answers ends in a timeout warning, not a pending run", async () => {
    heavyPr([{ match: /\/contents\/shop%2Fmodels\.py/, answer: "hang" }]);
    const calls = githubGlobals();
    await djangoStartup({ repo: makeRepo().dir, source: "github", requestTimeoutMs: 100 });
    const summary = calls.find((c) => c[0] === "markdown")?.[1] ?? "";
    expect(summary).toMatch(/did not answer GET \/repos\/acme\/shop\/contents\/shop\/models\\?\.py\?ref=h1 within 100 ms, 3 times/);
    expect(calls.filter((c) => c[0] === "warn" && /review is incomplete/.test(c[1]))).toHaveLength(1);
  }, 30_000);

  test("with a shallow checkout of the PR, files are read from disk: only the changed files' base versions go through the API", async () => {
    const head = movePr();
    // The CI checkout: the PR's files, no history.
    const checkout = makeRepo();
    for (const [p, c] of Object.entries(head)) checkout.write(p, c);
    checkout.commit("merge commit of the PR");
    const calls = githubGlobals();
    await djangoStartup({ repo: checkout.dir });
    expect(calls.map((c) => c[0])).toEqual(["warn", "markdown"]);
    expect(calls[1][1]).toMatch(/shop\/views\.py:1/);
    const contents = gh.requests.filter((r) => r.includes("/contents/")).map((r) => r.replace(/\?.*/, ""));
    // Head probes of the changed files and base versions of the touched paths: never the rest of the tree.
    expect(contents.map(decodeURIComponent).sort()).toEqual([
      "GET /repos/acme/shop/contents/shop/errors/__init__.py",
      "GET /repos/acme/shop/contents/shop/errors/order.py",
      "GET /repos/acme/shop/contents/shop/exceptions.py",
    ]);
    expect(gh.requests.some((r) => r.includes("/git/trees/"))).toBe(false);
  });
});
