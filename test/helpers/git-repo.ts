/**
 * Throwaway git repositories for tests, built with the real `git` in os.tmpdir().
 *
 *   const repo = makeRepo();
 *   repo.write("app.py", "import os\n");
 *   const base = repo.commit("base");
 *   ...
 *   afterAll(cleanupRepos);
 *
 * Commands run with a neutral environment: no global/system config, fixed identity and
 * dates, so SHAs and output do not depend on the machine.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { neutralGitEnv } from "./scenarios";

const created: string[] = [];
let clock = 1_700_000_000;

/** Environment for git in tests: ignores the user's global and system configuration. */
export function gitEnv(): NodeJS.ProcessEnv {
  return neutralGitEnv(`${clock++} +0000`);
}

/** Runs git in `cwd`; returns stdout as a Buffer. Throws with stderr on failure. */
export function gitIn(cwd: string, args: string[], input?: string | Buffer): Buffer {
  const r = spawnSync("git", args, { cwd, env: gitEnv(), input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`git ${args.join(" ")} failed (${r.status}): ${r.stderr.toString("utf8")}`);
  }
  return r.stdout;
}

/** A new empty temporary directory, removed by `cleanupRepos()`. */
export function tempDir(prefix = "dsg-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export interface TestRepo {
  /** Absolute path of the work tree. */
  dir: string;
  /** Runs git in the repository; stdout as UTF-8 text. */
  git(...args: string[]): string;
  /** Writes a file (creating directories), content as given (Buffer for binary). */
  write(path: string, content: string | Buffer): void;
  rm(path: string): void;
  /** Creates a symbolic link at `path` pointing to `target`. */
  symlink(target: string, path: string): void;
  chmod(path: string, mode: number): void;
  /** Moves a file in the work tree (`git add -A` in `commit` records it). */
  mv(from: string, to: string): void;
  /** Stages everything and commits; returns the new commit SHA. */
  commit(message: string): string;
  /** Creates a branch at `from` (default HEAD) without switching; returns its SHA. */
  branch(name: string, from?: string): string;
  /** Switches to a branch or commit; returns HEAD's SHA. */
  checkout(ref: string): string;
  /** SHA of a revision. */
  sha(ref?: string): string;
}

export function makeRepo(opts: { dir?: string } = {}): TestRepo {
  const dir = opts.dir ?? tempDir("dsg-repo-");
  const git = (...args: string[]): string => gitIn(dir, args).toString("utf8");
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Test User");
  git("config", "user.email", "test@example.com");
  git("config", "commit.gpgsign", "false");
  git("config", "core.autocrlf", "false");
  const abs = (p: string): string => join(dir, ...p.split("/"));
  const repo: TestRepo = {
    dir,
    git,
    write(p, content) {
      mkdirSync(dirname(abs(p)), { recursive: true });
      writeFileSync(abs(p), content);
    },
    rm(p) {
      rmSync(abs(p), { recursive: true, force: true });
    },
    symlink(target, p) {
      mkdirSync(dirname(abs(p)), { recursive: true });
      symlinkSync(target, abs(p));
    },
    chmod(p, mode) {
      chmodSync(abs(p), mode);
    },
    mv(from, to) {
      mkdirSync(dirname(abs(to)), { recursive: true });
      renameSync(abs(from), abs(to));
    },
    commit(message) {
      git("add", "-A");
      git("commit", "-q", "--allow-empty", "--no-verify", "-m", message);
      return repo.sha();
    },
    branch(name, from = "HEAD") {
      git("branch", name, from);
      return repo.sha(name);
    },
    checkout(ref) {
      git("checkout", "-q", ref);
      return repo.sha();
    },
    sha(ref = "HEAD") {
      return git("rev-parse", "--verify", `${ref}^{commit}`).trim();
    },
  };
  return repo;
}

/** A repository whose first commit ("base") holds these files. */
export function committedRepo(files: Record<string, string>): TestRepo {
  const repo = makeRepo();
  for (const [p, content] of Object.entries(files)) repo.write(p, content);
  repo.commit("base");
  return repo;
}

/** Removes every directory made by `makeRepo`/`tempDir`. Call from `afterAll`. */
export function cleanupRepos(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// A repository exercising every kind of change

const lines = (prefix: string, n: number, eol = "\n"): string =>
  Array.from({ length: n }, (_, i) => `${prefix} = ${i + 1}${eol}`).join("");

/** File names git must quote or that break naive parsers. Each is modified by the feature branch. */
export const ODD_NAMES = [
  "with space.py",
  "modèles.py",
  'qu"ote.py',
  "tab\there.py",
  "new\nline.py",
  "-dash.py",
  "back\\slash.py",
  "ctl\x01char.py",
  "trailing space .py",
  " leading space.py",
  "x b/y.py",
  "a b/c b/d.py",
  "pct%20[glob]*.py",
  "co:lon.py",
  "x@{1}.py",
];

export interface Scenario {
  repo: TestRepo;
  /** Branch point (merge-base of main and feature). */
  forkPoint: string;
  /** Tip of main, which moved on after the branch was made. */
  mainTip: string;
  /** Tip of feature (checked out). */
  featureTip: string;
}

/**
 * main: a base commit; feature (checked out at the end): one commit with every kind of
 * change; main then moves on (adds main_only.py, edits keep.py) so base...head differs from
 * base..head.
 */
export function kitchenSinkRepo(): Scenario {
  const repo = makeRepo();
  repo.write("keep.py", lines("keep", 5));
  repo.write("mod.py", lines("mod", 30));
  repo.write("del.py", "x = 1\ny = 2\n");
  repo.write("ren_same.py", lines("same", 12));
  repo.write("ren_edit.py", lines("edit", 20));
  repo.write("copy_src.py", lines("copy", 20));
  repo.write("img.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0xff, 0x00, 0x10]));
  repo.write("crlf.py", lines("crlf", 5, "\r\n"));
  repo.write("noeol.py", "a\nb\nc");
  repo.write("gaineol.py", "a\nb");
  repo.write("loseeol.py", "a\nb\n");
  repo.write("blanks.py", "def f():\n\n    return 1\n\n\ndef g():\n\n    return 2\n");
  repo.symlink("keep.py", "link.py");
  repo.write("exec.sh", "#!/bin/sh\necho hi\n");
  repo.write("gone_dir/inner.py", "inner = 1\n");
  ODD_NAMES.forEach((name, i) => repo.write(name, lines(`odd${i}`, 10)));
  const forkPoint = repo.commit("base");

  repo.branch("feature");
  repo.checkout("feature");
  // mod.py: several hunks (edit, insert, delete).
  const mod = lines("mod", 30).split("\n");
  mod.splice(2, 1, "mod = 'three'");
  mod.splice(9, 3, "mod = 'ten'", "mod = 'eleven'");
  mod.splice(20, 2);
  mod.splice(0, 0, "import os");
  repo.write("mod.py", mod.join("\n"));
  repo.rm("del.py");
  repo.mv("ren_same.py", "pkg/ren_same.py");
  repo.rm("ren_edit.py");
  repo.write("pkg/ren_edit2.py", lines("edit", 20).replace("edit = 5\n", "edit = 'five'\n") + "edit = 21\n");
  repo.write("copy_src.py", lines("copy", 20).replace("copy = 1\n", "copy = 'one'\n"));
  repo.write("copy_dst.py", lines("copy", 20));
  repo.write("img.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x03, 0xff, 0x00, 0x10, 0x20]));
  repo.write("crlf.py", lines("crlf", 5, "\r\n").replace("crlf = 2\r\n", "crlf = 'two'\r\n") + "crlf = 6\r\n");
  repo.write("noeol.py", "a\nb\nC");
  repo.write("gaineol.py", "a\nb\n");
  repo.write("loseeol.py", "a\nb");
  repo.write("blanks.py", "def f():\n\n    return 10\n\n\ndef g():\n\n    return 2\n");
  repo.rm("link.py");
  repo.write("link.py", "print('now a file')\n");
  repo.chmod("exec.sh", 0o755);
  repo.rm("gone_dir");
  ODD_NAMES.forEach((name, i) => repo.write(name, `${lines(`odd${i}`, 10)}w = ${i}\n`));
  repo.mv("x b/y.py", "x b/z b.py");
  repo.write("new.py", "import sys\nprint(sys.argv)\n");
  repo.write("empty.py", "");
  repo.write("bin.dat", Buffer.from([0, 1, 2, 3, 0, 255]));
  repo.write("new dir/ünï cödé.py", "x = 'ü'\n");
  const featureTip = repo.commit("feature");

  repo.checkout("main");
  repo.write("main_only.py", "m = 1\n");
  repo.write("keep.py", lines("keep", 6));
  const mainTip = repo.commit("main moves on");
  repo.checkout("feature");
  return { repo, forkPoint, mainTip, featureTip };
}
