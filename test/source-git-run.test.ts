/**
 * One git runner (src/source/git-run.ts): every git command the project starts carries the same
 * hostile-input options, whichever module asks for it.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execFileSync } from "node:child_process";
import { GIT_OPTIONS } from "../src/source/git-run";
import { cleanupRepos, makeRepo, tempDir } from "./helpers/git-repo";

afterAll(cleanupRepos);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("git is started in one module only", () => {
  const src = join(__dirname, "../src");
  const starters = sourceFiles(src)
    .filter((f) => /\b(?:execFile|execFileSync|spawn|spawnSync|exec|execSync)\(\s*["'`]git\b/.test(readFileSync(f, "utf8")))
    .map((f) => f.slice(src.length + 1).split("\\").join("/"));
  expect(starters).toEqual(["source/git-run.ts"]);
});

test("every git command of a review runs with the runner's options", async () => {
  const repo = makeRepo();
  repo.write(".gitattributes", "*.py text\n");
  repo.write("shop/models.py", "x = 1\n");
  repo.write("README.md", "hi\n");
  const base = repo.commit("base");
  repo.write("shop/models.py", "x = 2\n");
  repo.write("shop/new.py", "y = 1\n");
  const head = repo.commit("head");
  repo.write("shop/models.py", "x = 3\n"); // modified in the work tree: `git status` reports it

  // A `git` first on PATH that records its arguments, then runs the real one.
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const bin = tempDir();
  // One file per call (git runs concurrently: appends to one file could interleave).
  const logs = tempDir();
  writeFileSync(join(bin, "git"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\037' "$a"; done > '${logs}'/call.$$\nexec '${realGit}' "$@"\n`);
  chmodSync(join(bin, "git"), 0o755);
  // In a child process (jest gives tests their own copy of process.env), from the compiled modules.
  const dist = (m: string) => JSON.stringify(join(__dirname, "../dist", m));
  const script = `
    const { gitChangeSet, hasCommit } = require(${dist("source/git.js")});
    const { listWorktree } = require(${dist("source/worktree.js")});
    const { listOtherFiles } = require(${dist("source/other-files.js")});
    const { WorkingTreeReader } = require(${dist("source/worktree-reader.js")});
    const { openScanCache } = require(${dist("facts/cache-dir.js")});
    (async () => {
      const dir = ${JSON.stringify(repo.dir)};
      const cs = await gitChangeSet({ repo: dir, base: ${JSON.stringify(base)} });
      await cs.head.read("shop/models.py");
      await cs.close();
      await listWorktree(dir);
      await listOtherFiles(dir);
      await new WorkingTreeReader(dir).listFiles();
      if (!(await hasCommit(dir, ${JSON.stringify(head)}))) throw new Error("head not found");
      await openScanCache(dir, ".cache/scan", { HOME: ${JSON.stringify(tempDir())}, XDG_CONFIG_HOME: ${JSON.stringify(tempDir())} });
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  execFileSync(process.execPath, ["-e", script], { env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` } });
  const calls = readdirSync(logs).map((f) => readFileSync(join(logs, f), "utf8").split("\x1f").slice(0, -1));
  const commands = new Set(calls.map((args) => args[GIT_OPTIONS.length + (args[GIT_OPTIONS.length] === "-c" ? 2 : 0)]));
  // The listing of the change, the readers, the work-tree listing with its attribute check, the cache directory check.
  for (const cmd of ["diff", "ls-tree", "cat-file", "ls-files", "status", "check-attr", "rev-parse"]) expect(commands).toContain(cmd);
  for (const args of calls) expect(args.slice(0, GIT_OPTIONS.length)).toEqual([...GIT_OPTIONS]);
});
