/**
 * Hostile pull requests, end to end on real git repositories checked out as CI checks out a
 * pull request (a fresh clone of the PR branch, the base fetched as origin/main): what git
 * stores is read, nothing else; the scan cache is out of the PR's reach; reading a large folder
 * asks git for blobs by id.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../src/cli/main";
import { ScanCache } from "../src/graph";
import { scanItem, toBytes } from "../src/facts/scan-item";
import { openScanCache } from "../src/facts/cache-dir";
import { CatFileBatch } from "../src/source/cat-file";
import { gitChangeSet } from "../src/source/git";
import { cleanupRepos, gitIn, makeRepo, tempDir, type TestRepo, committedRepo } from "./helpers/git-repo";
import { DJANGO_BASE } from "./helpers/rule-tester";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the benchmarks' seeded PRNG (plain JS)
const { rng } = require("../bench/rng") as { rng: (seed: number) => () => number };

afterAll(cleanupRepos);

const PYPROJECT = '[tool.django-startup-guard.rules]\nheavy-import-at-startup = "fail"\n';
const HEAVY_MODELS = `import numpy\n${DJANGO_BASE["shop/models.py"]}`;

/** Every run gets its own cache directory (as a CI runner's), outside the repository. */
let cacheDir = "";
const savedEnv = process.env.DJANGO_STARTUP_GUARD_CACHE_DIR;
beforeEach(() => {
  cacheDir = path.join(tempDir("dsg-cache-"), "cache");
  process.env.DJANGO_STARTUP_GUARD_CACHE_DIR = cacheDir;
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.DJANGO_STARTUP_GUARD_CACHE_DIR;
  else process.env.DJANGO_STARTUP_GUARD_CACHE_DIR = savedEnv;
});

/** A repository whose `main` is the Django base (plus `extraBase`), and a `pr` branch made by `change`. */
function origin(change: (repo: TestRepo) => void, extraBase: Record<string, string> = {}): TestRepo {
  const repo = committedRepo({ ...DJANGO_BASE, "pyproject.toml": PYPROJECT, ...extraBase });
  repo.git("checkout", "-q", "-b", "pr");
  change(repo);
  repo.git("add", "-A", "-f");
  repo.git("commit", "-q", "--no-verify", "-m", "pr");
  return repo;
}

/** A fresh clone of the PR branch with the base fetched, as CI checks a pull request out. */
function ciCheckout(repo: TestRepo): string {
  const dir = path.join(tempDir("dsg-ci-"), "checkout");
  gitIn(path.dirname(dir), ["clone", "-q", "--branch", "pr", repo.dir, dir]);
  return dir;
}

async function review(dir: string, ...extra: string[]): Promise<{ code: number; json: { findings: { rule: string; file: string; line: number; severity: string }[]; errors: { kind: string; where: string; message: string }[] } }> {
  let out = "";
  const code = await main(["review", "--repo", dir, "--base", "origin/main", "--format", "json", ...extra], { out: (s) => (out += s), err: () => {}, isTTY: false });
  return { code, json: JSON.parse(out) };
}

const heavyFail = { rule: "heavy-import-at-startup", file: "shop/models.py", line: 1, severity: "fail" };

describe("what git stores is read, whatever .gitattributes says", () => {
  it("diffs a .py file as text when the PR marks *.py binary", async () => {
    const repo = origin((r) => {
      r.write(".gitattributes", "*.py binary\n");
      r.write("shop/models.py", HEAVY_MODELS);
    });
    const dir = ciCheckout(repo);
    const { code, json } = await review(dir);
    expect(json.findings).toEqual([expect.objectContaining(heavyFail)]);
    expect(code).toBe(1);
  });

  it("reads the blob, not a checkout the PR's .gitattributes re-encodes", async () => {
    // working-tree-encoding: git stores UTF-8, and checkout writes UTF-16 bytes to disk while
    // git still calls the file unmodified.
    const repo = origin((r) => {
      r.write(".gitattributes", "shop/models.py working-tree-encoding=UTF-16LE\n");
      r.git("add", ".gitattributes");
      r.write("shop/models.py", Buffer.from(HEAVY_MODELS, "utf16le"));
    });
    expect(repo.git("show", "pr:shop/models.py")).toBe(HEAVY_MODELS);
    const dir = ciCheckout(repo);
    expect(fs.readFileSync(path.join(dir, "shop/models.py"))).toEqual(Buffer.from(HEAVY_MODELS, "utf16le"));
    const { code, json } = await review(dir);
    expect(json.findings).toEqual([expect.objectContaining(heavyFail)]);
    expect(code).toBe(1);
  });

  it("counts added lines from the patch it reads (no --numstat with other context)", async () => {
    // git trims the common tail of two files before diffing only when there is no context, so
    // on large files its (heuristic) diff can pair lines differently with -U0 than with the
    // three lines --numstat uses by default (a real package-lock.json change: 1135 vs 1136
    // added lines). Lock-file-like inputs are generated until git itself disagrees with itself.
    const work = tempDir("dsg-numstat-");
    // --no-index exits 1 when the files differ.
    const added = (args: string[]) => Number(spawnSync("git", [...args, "diff", "--no-index", "--numstat", "a", "b"], { cwd: work, encoding: "utf8" }).stdout.split("\t")[0]);
    let found: { a: string; b: string } | null = null;
    // (Seed 25 is the first that disagrees with git 2.39; later ones are tried should another git differ.)
    for (let seed = 25; seed <= 80 && found === null; seed++) {
      const rand = rng(seed);
      const names = Array.from({ length: 400 }, (_, i) => `pkg${i}`);
      const block = (name: string): string => {
        const deps = names.filter(() => rand() < 0.004);
        const dep = deps.length === 0 ? "" : `      "dependencies": {\n${deps.map((d) => `        "${d}": "^1.0.0",\n`).join("")}      },\n`;
        return `    "node_modules/${name}": {\n      "version": "1.${Math.floor(rand() * 4)}.0",\n      "dev": true,\n      "license": "MIT",\n${dep}      "engines": {\n        "node": ">= 0.4"\n      }\n    },\n`;
      };
      const before = names.map(block);
      const after = [...before];
      for (let k = 0; k < 150; k++) after.splice(Math.floor(rand() * (after.length + 1)), 0, block(`new${Math.floor(rand() * 1e6)}`));
      for (let k = 0; k < 10; k++) after[Math.floor(rand() * after.length)] = block(`chg${k}`);
      const a = `{\n${before.join("")}}\n`;
      const b = `{\n${after.join("")}}\n`;
      fs.writeFileSync(path.join(work, "a"), a);
      fs.writeFileSync(path.join(work, "b"), b);
      if (added([]) !== added(["-c", "diff.context=0"])) found = { a, b };
    }
    expect(found).not.toBeNull();
    const { a, b } = found as { a: string; b: string };
    const dir = ciCheckout(origin((r) => r.write("package-lock.json", b), { "package-lock.json": a }));
    const cs = await gitChangeSet({ repo: dir, base: "origin/main" });
    await cs.close();
    expect(cs.errors).toEqual([]);
    const patch = gitIn(dir, ["diff", "-U0", "origin/main", "HEAD", "--", "package-lock.json"]).toString("utf8");
    const plus = patch.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++")).length;
    expect(cs.files.find((f) => f.path === "package-lock.json")?.addedLines).toHaveLength(plus);
  }, 120_000);
});

describe("a cache the pull request cannot touch", () => {
  /**
   * The attack: the PR commits (git add -f) a cache entry filed under the blob id of its own
   * shop/models.py that holds the facts of the base version (no heavy import). The attacker
   * made it with the tool itself, on their machine.
   */
  function poisonedPr(cacheIn: string, extraBase: Record<string, string> = {}): TestRepo {
    return origin((r) => {
      r.write("shop/models.py", HEAVY_MODELS);
      const headSha = gitIn(r.dir, ["hash-object", "--stdin"], HEAVY_MODELS).toString("utf8").trim();
      const attackerCache = path.join(tempDir("dsg-attacker-"), "cache");
      const forged = toBytes(scanItem({ bytes: Buffer.from(DJANGO_BASE["shop/models.py"]) }, 1 << 20));
      new ScanCache(attackerCache).save(new Map([[headSha, { data: forged.data, crc: forged.crc }]]));
      fs.cpSync(attackerCache, path.join(r.dir, cacheIn), { recursive: true });
    }, extraBase);
  }

  it("ignores an entry the PR commits: a fresh clone's review fails as --no-cache does", async () => {
    const dir = ciCheckout(poisonedPr(".startup-guard-cache"));
    const fresh = await review(dir);
    const uncached = await review(dir, "--no-cache");
    expect(uncached.json.findings).toEqual([expect.objectContaining(heavyFail)]);
    expect(fresh.json.findings).toEqual(uncached.json.findings);
    expect(fresh.code).toBe(1);
    // Nothing was written into the checkout.
    expect(gitIn(dir, ["status", "--porcelain", "--ignored"]).toString("utf8")).toBe("");
  });

  it("refuses a configured cache_dir inside the repository that git tracks", async () => {
    const config = { "pyproject.toml": `[tool.django-startup-guard]\ncache_dir = ".startup-guard-cache"\n\n${PYPROJECT}` };
    const dir = ciCheckout(poisonedPr(".startup-guard-cache", config));
    const { code, json } = await review(dir);
    expect(json.findings).toEqual([expect.objectContaining(heavyFail)]);
    expect(json.errors).toEqual([expect.objectContaining({ kind: "cache", where: "cache_dir", message: expect.stringMatching(/git tracks files in it/) })]);
    expect(code).toBe(1);
  });

  it("refuses a cache_dir inside the repository when git cannot tell whether it tracks files there", async () => {
    const env = { HOME: tempDir(), XDG_CONFIG_HOME: tempDir() };
    const r = committedRepo({ "a.py": "" });
    fs.writeFileSync(path.join(r.dir, ".git", "index"), "garbage"); // git ls-files now fails
    const opened = await openScanCache(r.dir, ".startup-guard-cache", env);
    expect(opened.cache).toBeUndefined();
    expect(opened.problem?.message).toMatch(/git could not tell whether it tracks files there \(fatal: .*index/);
    // A plain directory (in no git repository) has no pull request to fear: its cache is used.
    expect((await openScanCache(tempDir(), ".startup-guard-cache", env)).problem).toBeUndefined();
  });

  it("does not use entries planted in an untracked cache directory (their MAC is not this machine's)", async () => {
    const config = { "pyproject.toml": `[tool.django-startup-guard]\ncache_dir = "../planted"\n\n${PYPROJECT}` };
    const repo = poisonedPr("planted", config);
    const dir = ciCheckout(repo);
    // The planted cache sits next to the checkout, untracked (as a restored CI cache could).
    fs.cpSync(path.join(dir, "planted"), path.join(dir, "..", "planted"), { recursive: true });
    const { json } = await review(dir);
    expect(json.findings).toEqual([expect.objectContaining(heavyFail)]);
  });

  it("never writes through a cache directory the PR turns into a symbolic link", async () => {
    const outside = tempDir("dsg-outside-");
    const config = { "pyproject.toml": `[tool.django-startup-guard]\ncache_dir = ".startup-guard-cache"\n\n${PYPROJECT}` };
    const repo = origin((r) => {
      r.write("shop/models.py", HEAVY_MODELS);
      r.symlink(outside, ".startup-guard-cache");
    }, config);
    const dir = ciCheckout(repo);
    const { json } = await review(dir);
    expect(json.findings).toEqual([expect.objectContaining(heavyFail)]);
    expect(json.errors).toEqual([expect.objectContaining({ kind: "cache", message: expect.stringMatching(/symbolic link/) })]);
    expect(fs.readdirSync(outside)).toEqual([]);
    // With the default location the link is not even looked at.
    const plain = ciCheckout(origin((r) => r.symlink(outside, ".startup-guard-cache")));
    await review(plain);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

describe("symbolic links are never followed", () => {
  const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");

  /** The built CLI in a child process: a hang must not hang the test run (the timeout is only a safety net). */
  function cli(dir: string, args: string[]): { code: number | null; out: string; err: string } {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const r = spawnSync(process.execPath, [CLI, ...args, "--repo", dir], { encoding: "utf8", timeout: 60_000, env: process.env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it("reports a models.py that links to a file outside the checkout, and never reads it", () => {
    const secret = path.join(tempDir("dsg-secret-"), "outside.py");
    fs.writeFileSync(secret, "import scipy\n");
    const dir = ciCheckout(
      origin((r) => {
        r.rm("shop/models.py");
        r.symlink(secret, "shop/models.py");
      }),
    );
    const rev = cli(dir, ["review", "--base", "origin/main", "--format", "json"]);
    const json = JSON.parse(rev.out) as { findings: unknown[]; errors: { kind: string; where: string; message: string }[] };
    expect(rev.out).not.toMatch(/scipy/);
    expect(json.errors).toContainEqual(expect.objectContaining({ kind: "symlink", where: expect.stringMatching(/^shop\/models\.py@/), message: expect.stringMatching(/symbolic link/) }));
    expect(rev.code).toBe(2); // part of the change was not read
    const why = cli(dir, ["why", "scipy", "--no-cache"]);
    expect(why.code).toBe(0);
    expect(why.out).toMatch(/^No module scipy in the repository\. If it is third-party, the repository's code does not import it at setup/);
    expect(why.out).toMatch(/shop\/models\.py: shop\.models: is a symbolic link/);
    const startup = cli(dir, ["startup", "--format", "json", "--no-cache"]);
    expect(startup.out).not.toMatch(/scipy/);
    expect(JSON.parse(startup.out).unresolved).toContainEqual(expect.objectContaining({ where: "shop/models.py", why: expect.stringMatching(/symbolic link/) }));
  });

  it.each([["a FIFO"], ["/dev/stdin"]])("does not hang on a models.py that links to %s", (target) => {
    let to = target;
    if (target === "a FIFO") {
      to = path.join(tempDir("dsg-fifo-"), "pipe");
      const mk = spawnSync("mkfifo", [to]);
      if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    }
    const dir = ciCheckout(
      origin((r) => {
        r.rm("shop/models.py");
        r.symlink(to, "shop/models.py");
      }),
    );
    const rev = cli(dir, ["review", "--base", "origin/main", "--format", "json"]);
    expect(rev.code).toBe(2);
    expect(JSON.parse(rev.out).errors).toContainEqual(expect.objectContaining({ kind: "symlink", where: expect.stringMatching(/^shop\/models\.py@/) }));
    const startup = cli(dir, ["startup", "--no-cache"]);
    expect(startup.code).toBe(0);
    expect(startup.out).toMatch(/shop\/models\.py: shop\.models: is a symbolic link/);
  });

  it("does not open a FIFO in the working tree (review --diff, startup)", () => {
    const repo = committedRepo(DJANGO_BASE);
    repo.rm("shop/models.py");
    const mk = spawnSync("mkfifo", [path.join(repo.dir, "shop/models.py")]);
    if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    const diff = path.join(tempDir(), "pr.diff");
    fs.writeFileSync(diff, "diff --git a/shop/models.py b/shop/models.py\n--- a/shop/models.py\n+++ b/shop/models.py\n@@ -1,0 +1 @@\n+import scipy\n");
    const rev = cli(repo.dir, ["review", "--diff", diff, "--format", "json"]);
    expect(rev.out).toMatch(/not a regular file/);
    const startup = cli(repo.dir, ["startup", "--no-cache"]);
    expect(startup.code).toBe(0);
    expect(startup.out).toMatch(/shop\/models\.py: shop\.models: is not a regular file/);
  });

  it("does not read a file under a linked directory in the working tree (review --diff)", async () => {
    const repo = committedRepo(DJANGO_BASE);
    const elsewhere = tempDir("dsg-elsewhere-");
    fs.writeFileSync(path.join(elsewhere, "models.py"), "import scipy\n");
    repo.rm("shop");
    repo.symlink(elsewhere, "shop");
    const diff = path.join(tempDir(), "pr.diff");
    fs.writeFileSync(diff, "diff --git a/shop/models.py b/shop/models.py\n--- a/shop/models.py\n+++ b/shop/models.py\n@@ -1,0 +1 @@\n+import scipy\n");
    let out = "";
    await main(["review", "--diff", diff, "--repo", repo.dir, "--format", "json"], { out: (s) => (out += s), err: () => {}, isTTY: false });
    expect(out).not.toMatch(/"rule"/);
    expect(out).toMatch(/symbolically linked directory/);
  });
});

describe("a folder of many files", () => {
  it("reviews a folder of touched files without asking git for each file, and asks for blobs by id", async () => {
    const repo = makeRepo();
    for (const [p, c] of Object.entries(DJANGO_BASE)) repo.write(p, c);
    const N = 3000;
    for (let i = 0; i < N; i++) repo.write(`shop/m${i}.py`, `import os\nX${i} = ${i}\n`);
    repo.commit("base");
    // Every file touched: the index's stat data no longer matches, so git cannot vouch for the checkout.
    const later = new Date(Date.now() + 5_000);
    for (let i = 0; i < N; i++) fs.utimesSync(path.join(repo.dir, `shop/m${i}.py`), later, later);
    const spy = jest.spyOn(CatFileBatch.prototype, "request");
    let names: string[] = [];
    try {
      let out = "";
      const code = await main(["review", "--repo", repo.dir, "--base", "HEAD", "--format", "json", "--no-cache"], { out: (s) => (out += s), err: () => {}, isTTY: false });
      expect(JSON.parse(out)).toEqual({ findings: [], errors: [] });
      expect(code).toBe(0);
      names = spy.mock.calls.map((c) => c[0]);
    } finally {
      spy.mockRestore();
    }
    // Touched files git still vouches for (status compares their contents) are read from the
    // checkout: git is asked for a handful of blobs at most, never one per file, and each by id
    // (never `<rev>:<path>`, which git resolves by walking the folder).
    expect(names.length).toBeLessThan(10);
    expect(names.filter((n) => !/^[0-9a-f]{40}$/.test(n))).toEqual([]);
  }, 120_000);
});
