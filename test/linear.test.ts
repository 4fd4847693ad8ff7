/**
 * Linear time and bounded stacks (issue 11, items 10, 11, 13). Hostile inputs that once
 * overflowed the stack now work, and the work done on pathological inputs grows with their
 * size, not its square: checked by counting work (output sizes, globs compiled), never with
 * a clock. `npm run bench:stress` measures the same generators' time and memory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startupCommand } from "../src/cli/startup";
import { GlobSet } from "../src/config/globs";
import { defaultConfig, isExcluded } from "../src/review/config";
import { scanPython } from "../src/python/scanner";
import { GitRevisionReader } from "../src/source/git-revision";
import { cleanupRepos, makeRepo, tempDir } from "./helpers/git-repo";
import { runInProcess } from "./helpers/run-cli";

// Counts the globs picomatch compiles (the expensive part of matching a glob list).
let compiledGlobs = 0;
jest.mock("picomatch", () => {
  const real = jest.requireActual("picomatch");
  const counting = (globs: string | string[], options?: object) => {
    compiledGlobs += Array.isArray(globs) ? globs.length : 1;
    return real(globs, options);
  };
  return Object.assign(counting, real, { default: counting });
});

afterAll(cleanupRepos);

const run = runInProcess;

/** A Django project: settings naming the `shop` app (then `extraApps`), whose models import scipy at line 1. */
function djangoRepo(extraApps: string[], modelsBody: string) {
  const repo = makeRepo();
  repo.write("manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n');
  repo.write("mysite/__init__.py", "");
  repo.write("mysite/settings.py", `INSTALLED_APPS = [${["shop", ...extraApps].map((a) => JSON.stringify(a)).join(", ")}]\n`);
  repo.write("shop/__init__.py", "");
  repo.write("shop/models.py", `import scipy\n${modelsBody}`);
  repo.commit("base");
  return repo;
}

describe("inputs that overflowed the stack", () => {
  test("scan of a file with 130,000 imports", async () => {
    const file = path.join(tempDir(), "many.py");
    fs.writeFileSync(file, Array.from({ length: 130_000 }, (_, i) => `import m${i}\n`).join(""));
    const { code, out, err } = await run(["scan", file]);
    expect([code, err]).toEqual([0, ""]);
    expect(out).toContain("  130000  import m129999");
    expect(out.trimEnd().split("\n").pop()).toBe("1 files, 130000 import statements");
  });

  test("a settings list of 130,000 entries", async () => {
    const apps = Array.from({ length: 130_000 }, (_, i) => `app${i}`);
    const repo = djangoRepo(apps, "");
    let out = "";
    let err = "";
    const code = await startupCommand(["--repo", repo.dir, "--format", "json", "--no-cache"], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
    expect([code, err]).toEqual([0, ""]);
    const json = JSON.parse(out);
    const names = new Set((json.modules as { name: string }[]).map((m) => m.name));
    expect([names.has("shop.models"), names.has("scipy"), names.has("app0"), names.has("app9000")]).toEqual([true, true, true, true]);
    // The reader keeps a bounded part of a huge list and says so.
    expect(JSON.stringify(json.unresolved)).toMatch(/more than [\d,]+ items/);
  }, 60_000);

  test("review --diff of a change near line 199,990 of a 200,000-line file reports nothing new", async () => {
    const repo = djangoRepo([], "pass\n".repeat(199_999));
    const lines = fs.readFileSync(path.join(repo.dir, "shop/models.py"), "utf8").split("\n");
    lines[199_989] = "x = 1";
    repo.write("shop/models.py", lines.join("\n"));
    const diff = path.join(tempDir(), "change.diff");
    fs.writeFileSync(diff, repo.git("diff"));
    expect(fs.readFileSync(diff, "utf8")).toContain("@@ -199987,7 +199987,7 @@");
    const { code, out, err } = await run(["review", "--diff", diff, "--repo", repo.dir, "--format", "json", "--no-cache"]);
    // The unchanged `import scipy` at line 1 is not new: the base is rebuilt from the diff.
    expect({ code, err, review: JSON.parse(out) }).toEqual({ code: 0, err: "", review: { findings: [], errors: [] } });
  }, 60_000);
});

describe("work grows linearly with the input", () => {
  /** Total frames listed over all imports: the scanner's output for an elif chain with an import per branch. */
  function elifFrames(n: number): number {
    let src = "if a:\n    import x0\n";
    for (let i = 1; i <= n; i++) src += `elif b${i}:\n    import x${i}\n`;
    const facts = scanPython(Buffer.from(src));
    expect(facts.imports).toHaveLength(n + 1);
    return facts.imports.reduce((sum, imp) => sum + imp.context.frames.length, 0);
  }

  test("an elif chain twice as long gives twice the frames, not four times", () => {
    const small = elifFrames(500);
    expect(elifFrames(1000) / small).toBeLessThanOrEqual(2.1);
  });

  test("deep brackets and long `not` chains are read in one pass, with CPython's diagnostic", () => {
    const facts = scanPython(Buffer.from(`X = ${"[".repeat(50_000)}${"]".repeat(50_000)}\nif ${"not ".repeat(50_000)}TYPE_CHECKING:\n    import a\n`));
    expect(facts.diagnostics.map((d) => d.message)).toEqual(["too many nested parentheses"]);
    expect(facts.imports.map((i) => i.context.kind)).toEqual(["conditional"]);
  });

  test("matching a path against a glob list twice as long compiles no more globs", () => {
    const paths = ["products/p7/models.py", "shop/migrations/0001_initial.py", "shop/models.py", "x/y/z/generated_3.py", "a/b.txt"];
    const compiledFor = (n: number) => {
      const config = defaultConfig();
      config.exclude = [...Array.from({ length: n }, (_, i) => `products/p${i}/**`), "**/migrations/**", `**/generated_${n}.py`];
      compiledGlobs = 0;
      const excluded = paths.map((p) => isExcluded(config, p));
      expect(excluded).toEqual([true, true, false, false, false]);
      return compiledGlobs;
    };
    const small = compiledFor(2_000);
    expect(small).toBeLessThan(10);
    expect(compiledFor(4_000)).toBeLessThanOrEqual(small);
  });
});

describe("GlobSet answers as picomatch does", () => {
  // The oracle is picomatch itself, over a table of globs of every kind and paths that hit and miss them.
  const globs = [
    "shop/models.py", "shop", "**/migrations/**", "products/experimental/**", "**/*.py", "*.py", "test_*.py", "**/test_*.py",
    "a/{b,c}/d.py", "a/*/d.py", "**/exceptions/__init__.py", "!shop/**", "docs/**/*.md", "x/**", "**", "*", "a/b/", "c++/x.py",
    "**/errors.py", "src/**/api/*.py", "?.py", "[ab]/*.py", "+(a|b)/x.py", "**/.hidden/**", "lib/*.tar.gz",
  ];
  const paths = [
    "shop/models.py", "shop", "shop/migrations/0001.py", "products/experimental/a/b.py", "products/x.py", "a.py", "test_a.py",
    "t/test_a.py", "a/b/d.py", "a/c/d.py", "a/e/d.py", "pkg/exceptions/__init__.py", "docs/x/y.md", "docs/y.md", "x", "x/y",
    "a/b", "c++/x.py", "deep/errors.py", "src/k/api/v.py", "src/api/v.py", "b.py", "a/x.py", "b/x.py", "p/.hidden/z", "lib/a.tar.gz",
    "README", ".env", "lib/a.gz",
  ];
  const picomatch = jest.requireActual("picomatch") as (g: string | string[], o: object) => (p: string) => boolean;

  test.each(globs.map((g) => [g]))("%s alone", (g) => {
    const set = new GlobSet([g]);
    const oracle = picomatch(g, { dot: true });
    expect(paths.filter((p) => set.has(p))).toEqual(paths.filter((p) => oracle(p)));
  });

  test("the whole list at once (duplicates too)", () => {
    const list = [...globs.filter((g) => !g.startsWith("!") && g !== "*" && g !== "**"), "**/migrations/**"];
    const set = new GlobSet(list);
    const oracle = picomatch(list, { dot: true });
    expect(paths.filter((p) => set.has(p))).toEqual(paths.filter((p) => oracle(p)));
  });
});

describe("reading many files of one revision", () => {
  test("past the first reads, files are read by blob id with the same contents", async () => {
    const repo = makeRepo();
    for (let i = 0; i < 150; i++) repo.write(`pkg/m${i}.py`, `X = ${i}\n`);
    const rev = repo.commit("many");
    const reader = new GitRevisionReader(repo.dir, rev);
    try {
      const texts = await Promise.all(Array.from({ length: 150 }, (_, i) => reader.read(`pkg/m${i}.py`)));
      expect(texts.map((t) => t?.toString("utf8"))).toEqual(Array.from({ length: 150 }, (_, i) => `X = ${i}\n`));
      expect(await reader.read("pkg/missing.py")).toBeNull();
    } finally {
      await reader.close();
    }
  });
});
