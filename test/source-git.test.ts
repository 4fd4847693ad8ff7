/**
 * gitChangeSet and the git readers against real throwaway repositories.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ChangedFile } from "../src/core/types";
import { SourceError } from "../src/source/errors";
import { CatFileBatch } from "../src/source/cat-file";
import type { ClosableChangeSet } from "../src/source/change-set";
import { gitChangeSet } from "../src/source/git";
import { GitRevisionReader } from "../src/source/git-revision";
import { quoteGitPath, unquoteGitPath } from "../src/source/paths";
import { WorkingTreeReader } from "../src/source/worktree-reader";
import { ODD_NAMES, cleanupRepos, gitIn, kitchenSinkRepo, makeRepo, tempDir, type Scenario } from "./helpers/git-repo";

afterAll(cleanupRepos);

const byPath = (files: ChangedFile[]): Map<string, ChangedFile> => new Map(files.map((f) => [f.path, f]));

async function expectSourceError(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    const e = err as SourceError;
    // Human-readable, never a stack trace.
    expect(e.message).not.toMatch(/\n\s+at /);
    return e;
  }
  throw new Error("expected a SourceError");
}

/** Head line numbers `git blame` attributes to `commit`. */
function blameLines(dir: string, commit: string, file: string): number[] {
  const out = gitIn(dir, ["blame", "--porcelain", commit, "--", file]).toString("utf8");
  const lines: number[] = [];
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]{40}) \d+ (\d+)/.exec(line);
    if (m && m[1] === commit) lines.push(Number(m[2]));
  }
  return lines.sort((a, b) => a - b);
}

describe("gitChangeSet on a branch with every kind of change", () => {
  let s: Scenario;
  let cs: ClosableChangeSet;
  let files: Map<string, ChangedFile>;

  beforeAll(async () => {
    s = kitchenSinkRepo();
    cs = await gitChangeSet({ repo: s.repo.dir, base: "main" });
    files = byPath(cs.files);
  });
  afterAll(() => cs.close());

  test("compares merge-base(main, feature)...feature, not main's later commits", () => {
    expect(cs.baseRev).toBe(s.forkPoint);
    expect(cs.headRev).toBe(s.featureTip);
    expect(cs.base.rev).toBe(s.forkPoint);
    expect(cs.head.rev).toBe(s.featureTip);
    expect(files.has("main_only.py")).toBe(false);
    expect(files.has("keep.py")).toBe(false);
    expect(cs.errors).toEqual([]);
  });

  test("statuses, old paths, binary flags and added lines", () => {
    const expected: Array<[string, Partial<ChangedFile>]> = [
      ["mod.py", { status: "modified", oldPath: null, addedLines: [1, 4, 11, 12], binary: false }],
      ["del.py", { status: "deleted", oldPath: null, addedLines: [], binary: false }],
      ["gone_dir/inner.py", { status: "deleted", addedLines: [] }],
      ["pkg/ren_same.py", { status: "renamed", oldPath: "ren_same.py", addedLines: [] }],
      ["pkg/ren_edit2.py", { status: "renamed", oldPath: "ren_edit.py", addedLines: [5, 21] }],
      ["copy_src.py", { status: "modified", addedLines: [1] }],
      ["copy_dst.py", { status: "copied", oldPath: "copy_src.py", addedLines: [] }],
      ["img.png", { status: "modified", binary: true, addedLines: [] }],
      ["bin.dat", { status: "added", binary: true, addedLines: [] }],
      ["crlf.py", { status: "modified", addedLines: [2, 6] }],
      ["noeol.py", { status: "modified", addedLines: [3] }],
      ["gaineol.py", { status: "modified", addedLines: [2] }],
      ["loseeol.py", { status: "modified", addedLines: [2] }],
      ["blanks.py", { status: "modified", addedLines: [3] }],
      // Type change symlink -> file: git prints it as two patches; it is one modification.
      ["link.py", { status: "modified", addedLines: [1], binary: false }],
      // Mode-only change.
      ["exec.sh", { status: "modified", addedLines: [] }],
      ["new.py", { status: "added", addedLines: [1, 2] }],
      ["empty.py", { status: "added", addedLines: [] }],
      ["new dir/ünï cödé.py", { status: "added", addedLines: [1] }],
      ["x b/z b.py", { status: "renamed", oldPath: "x b/y.py", addedLines: [11] }],
    ];
    for (const [p, want] of expected) {
      expect({ path: p, ...files.get(p) }).toMatchObject({ path: p, patchMissing: false, ...want });
    }
    for (const name of ODD_NAMES.filter((n) => n !== "x b/y.py")) {
      expect(files.get(name)).toEqual({ path: name, oldPath: null, status: "modified", addedLines: [11], patchMissing: false, binary: false });
    }
    const expectedPaths = [...expected.map(([p]) => p), ...ODD_NAMES.filter((n) => n !== "x b/y.py")].sort();
    expect([...files.keys()].sort()).toEqual(expectedPaths);
  });

  test("added lines agree with git blame for every text file", () => {
    for (const f of cs.files) {
      if (f.binary || f.status === "deleted" || f.status === "copied") continue;
      expect({ path: f.path, lines: f.addedLines }).toEqual({ path: f.path, lines: blameLines(s.repo.dir, s.featureTip, f.path) });
    }
  });

  test("head and base read byte-exact contents, null when absent", async () => {
    expect((await cs.head.read("crlf.py"))?.toString("latin1")).toBe("crlf = 1\r\ncrlf = 'two'\r\ncrlf = 3\r\ncrlf = 4\r\ncrlf = 5\r\ncrlf = 6\r\n");
    expect((await cs.base.read("crlf.py"))?.toString("latin1")).toBe("crlf = 1\r\ncrlf = 2\r\ncrlf = 3\r\ncrlf = 4\r\ncrlf = 5\r\n");
    expect((await cs.head.read("noeol.py"))?.toString()).toBe("a\nb\nC");
    expect(await cs.head.read("img.png")).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x03, 0xff, 0x00, 0x10, 0x20]));
    expect(await cs.base.read("img.png")).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0xff, 0x00, 0x10]));
    expect((await cs.head.read("empty.py"))?.length).toBe(0);
    expect(await cs.base.read("empty.py")).toBeNull();
    expect(await cs.head.read("del.py")).toBeNull();
    expect((await cs.base.read("del.py"))?.toString()).toBe("x = 1\ny = 2\n");
    expect(await cs.head.read("ren_edit.py")).toBeNull();
    expect((await cs.base.read("ren_edit.py"))?.toString()).toContain("edit = 5\n");
    // The base is the fork point: main's later edit to keep.py is not visible.
    expect((await cs.base.read("keep.py"))?.toString()).not.toContain("keep = 6");
    expect(await cs.base.read("main_only.py")).toBeNull();
    // A symlink reads as its target path, as git stores it.
    expect((await cs.base.read("link.py"))?.toString()).toBe("keep.py");
    expect((await cs.head.read("link.py"))?.toString()).toBe("print('now a file')\n");
    for (const [i, name] of ODD_NAMES.entries()) {
      const head = name === "x b/y.py" ? "x b/z b.py" : name;
      expect({ name, text: (await cs.head.read(head))?.toString() }).toEqual({ name, text: expect.stringMatching(new RegExp(`w = ${i}\\n$`)) });
      expect({ name, text: (await cs.base.read(name))?.toString() }).toEqual({ name, text: expect.not.stringContaining("w = ") });
    }
  });

  test("odd paths are not mistaken for pathspecs, options or relative paths", async () => {
    expect(await cs.head.read("pct%20[glob]*.py")).not.toBeNull();
    expect(await cs.head.read("*.py")).toBeNull();
    expect(await cs.head.read("./new.py")).toEqual(await cs.head.read("new.py"));
    expect(await cs.head.read("../new.py")).toBeNull();
    expect(await cs.head.read("/new.py")).toBeNull();
    expect(await cs.head.read("")).toBeNull();
    expect(await cs.head.read("pkg")).toBeNull(); // a directory
    expect(await cs.head.read("pkg/")).toBeNull();
    expect(await cs.head.read("nope/never.py")).toBeNull();
  });

  test("listFiles lists every blob at the revision", async () => {
    const lsTree = (rev: string): string[] =>
      gitIn(s.repo.dir, ["ls-tree", "-r", "-z", "--name-only", rev])
        .toString("utf8")
        .split("\0")
        .filter((p) => p !== "")
        .sort();
    const head = (await cs.head.listFiles()).sort();
    const base = (await cs.base.listFiles()).sort();
    expect(head).toEqual(lsTree(s.featureTip));
    expect(base).toEqual(lsTree(s.forkPoint));
    expect(head).toEqual(expect.arrayContaining(ODD_NAMES.filter((n) => n !== "x b/y.py")));
    expect(head).not.toContain("del.py");
    expect(base).not.toContain("new.py");
    expect(base).toContain("x b/y.py");
  });

  test("useMergeBase: false compares the two tips (main's later commits show up reversed)", async () => {
    const direct = await gitChangeSet({ repo: s.repo.dir, base: "main", head: "feature", useMergeBase: false });
    try {
      expect(direct.baseRev).toBe(s.mainTip);
      const f = byPath(direct.files);
      expect(f.get("main_only.py")?.status).toBe("deleted");
      expect(f.get("keep.py")?.status).toBe("modified");
    } finally {
      await direct.close();
    }
  });

  test("user configuration that changes diff output does not change the result", async () => {
    const settings: Array<[string, string]> = [
      ["diff.noprefix", "true"],
      ["diff.mnemonicPrefix", "true"],
      ["color.ui", "always"],
      ["color.diff", "always"],
      ["diff.renames", "false"],
      ["core.quotepath", "true"],
      ["diff.suppressBlankEmpty", "true"],
      ["diff.external", "false"],
      ["diff.context", "7"],
      ["diff.interHunkContext", "5"],
      ["diff.relative", "true"],
    ];
    for (const [k, v] of settings) s.repo.git("config", k, v);
    try {
      const hostile = await gitChangeSet({ repo: join(s.repo.dir, "pkg"), base: "main" });
      await hostile.close();
      expect(hostile.files).toEqual(cs.files);
      expect(hostile.errors).toEqual([]);
    } finally {
      for (const [k] of settings) s.repo.git("config", "--unset", k);
    }
  });

  test("works from a subdirectory, with paths relative to the top of the repository", async () => {
    const sub = await gitChangeSet({ repo: join(s.repo.dir, "pkg"), base: s.forkPoint, head: s.featureTip });
    try {
      expect(sub.files.map((f) => f.path).sort()).toEqual([...files.keys()].sort());
      expect(await sub.head.read("new.py")).not.toBeNull();
    } finally {
      await sub.close();
    }
  });
});

test("a submodule (gitlink) is listed as a binary change without lines, and reads as null", async () => {
  const repo = makeRepo();
  repo.write("a.py", "a = 1\n");
  const base = repo.commit("base");
  repo.git("update-index", "--add", "--cacheinfo", `160000,${base},vendor/sub`);
  repo.git("commit", "-qm", "add gitlink");
  const cs = await gitChangeSet({ repo: repo.dir, base });
  try {
    expect(cs.files).toEqual([{ path: "vendor/sub", oldPath: null, status: "added", addedLines: [], patchMissing: false, binary: true }]);
    expect(await cs.head.read("vendor/sub")).toBeNull();
    expect(await cs.head.listFiles()).toEqual(["a.py"]);
  } finally {
    await cs.close();
  }
});

describe("quoting helpers", () => {
  test("quoteGitPath matches git's header quoting and unquoteGitPath inverts it", () => {
    for (const name of [...ODD_NAMES, "plain.py", "dir/ä.py", "del\x7f.py"]) {
      expect(unquoteGitPath(quoteGitPath(name).startsWith('"') ? quoteGitPath(name) : JSON.stringify(name))).toBe(name);
    }
    expect(quoteGitPath('a/qu"ote')).toBe('"a/qu\\"ote"');
    expect(quoteGitPath("a/tab\there")).toBe('"a/tab\\there"');
    expect(quoteGitPath("a/with space")).toBe("a/with space");
    expect(unquoteGitPath('"a/sp\\303\\251cial"')).toBe("a/spécial");
  });
});

describe("revisions that cannot be resolved", () => {
  let s: Scenario;
  beforeAll(() => {
    s = kitchenSinkRepo();
  });

  test("a missing base names the ref and says how to fetch it", async () => {
    const e = await expectSourceError(gitChangeSet({ repo: s.repo.dir, base: "develop" }));
    expect(e.kind).toBe("bad-ref");
    expect(e.where).toBe("develop");
    expect(e.message).toContain('"develop"');
    expect(e.message).toContain("git fetch origin develop");
    expect(e.message).toContain("fetch-depth: 0");
    expect(e.hint).not.toBe("");
  });

  test("a missing head is reported as such", async () => {
    const e = await expectSourceError(gitChangeSet({ repo: s.repo.dir, base: "main", head: "no-such-branch" }));
    expect(e.kind).toBe("bad-ref");
    expect(e.message).toContain('"no-such-branch"');
  });

  test("a ref that looks like an option is refused, never passed to git as one", async () => {
    const e = await expectSourceError(gitChangeSet({ repo: s.repo.dir, base: "--output=/tmp/x" }));
    expect(e.kind).toBe("bad-ref");
  });

  test("a directory outside any repository, and one that does not exist", async () => {
    const plain = tempDir();
    expect((await expectSourceError(gitChangeSet({ repo: plain, base: "main" }))).kind).toBe("not-a-repo");
    expect((await expectSourceError(gitChangeSet({ repo: join(plain, "missing"), base: "main" }))).kind).toBe("not-a-repo");
  });

  test("unrelated histories have no merge base", async () => {
    s.repo.git("checkout", "-q", "--orphan", "orphan");
    s.repo.git("rm", "-rq", "--cached", ".");
    s.repo.write("orphan.py", "o = 1\n");
    s.repo.git("add", "orphan.py");
    s.repo.git("commit", "-qm", "orphan");
    s.repo.git("checkout", "-qf", "feature");
    const e = await expectSourceError(gitChangeSet({ repo: s.repo.dir, base: "orphan", head: "feature" }));
    expect(e.kind).toBe("no-merge-base");
    expect(e.message).toContain("useMergeBase: false");
  });

  test("origin/<base> is used when <base> only exists as a remote-tracking branch (CI checkouts)", async () => {
    const parent = tempDir();
    gitIn(parent, ["clone", "-q", `file://${s.repo.dir}`, "clone"]);
    const clone = join(parent, "clone");
    // The clone checked out feature; main exists only as origin/main.
    expect(() => gitIn(clone, ["rev-parse", "--verify", "-q", "refs/heads/main"])).toThrow();
    const cs = await gitChangeSet({ repo: clone, base: "main" });
    try {
      expect(cs.baseRev).toBe(s.forkPoint);
      expect(cs.headRev).toBe(s.featureTip);
      expect(cs.files.length).toBeGreaterThan(20);
    } finally {
      await cs.close();
    }
  });
});

describe("shallow clones (actions/checkout with the default fetch-depth: 1)", () => {
  let s: Scenario;
  let parent: string;
  beforeAll(() => {
    s = kitchenSinkRepo();
    parent = tempDir();
  });

  test("base branch not fetched: the message says so and points to fetch-depth", async () => {
    gitIn(parent, ["clone", "-q", "--depth", "1", `file://${s.repo.dir}`, "single"]);
    const e = await expectSourceError(gitChangeSet({ repo: join(parent, "single"), base: "main" }));
    expect(e.kind).toBe("shallow");
    expect(e.message).toContain('"main"');
    expect(e.message).toMatch(/shallow clone/);
    expect(e.message).toContain("fetch-depth: 0");
    expect(e.message).toContain("git fetch --unshallow");
    expect(e.message).toContain("git fetch origin main --depth=");
  });

  test("base fetched but history cut before the branch point: same advice", async () => {
    gitIn(parent, ["clone", "-q", "--depth", "1", "--no-single-branch", `file://${s.repo.dir}`, "both"]);
    const e = await expectSourceError(gitChangeSet({ repo: join(parent, "both"), base: "main" }));
    expect(e.kind).toBe("shallow");
    expect(e.message).toContain("fetch-depth: 0");
    expect(e.message).toContain("--deepen");
  });

  test("following the advice (git fetch --unshallow) fixes it", async () => {
    const dir = join(parent, "both");
    gitIn(dir, ["fetch", "-q", "--unshallow"]);
    const cs = await gitChangeSet({ repo: dir, base: "main" });
    try {
      expect(cs.baseRev).toBe(s.forkPoint);
      expect(cs.files.some((f) => f.path === "mod.py")).toBe(true);
    } finally {
      await cs.close();
    }
  });
});

describe("cat-file --batch readers", () => {
  let s: Scenario;
  let big: Buffer;
  beforeAll(() => {
    s = kitchenSinkRepo();
    big = randomBytes(1024 * 1024 + 17);
    s.repo.write("big.bin", big);
    s.repo.write("empty.txt", "");
    s.repo.commit("big");
  });

  const countProcesses = (): number => process.getActiveResourcesInfo().filter((r) => r === "ProcessWrap").length;

  test("hundreds of concurrent reads through one process come back in the right order", async () => {
    const reader = new GitRevisionReader(s.repo.dir, s.repo.sha());
    try {
      const wanted: Array<[string, Buffer | null]> = [
        ["big.bin", big],
        ["empty.txt", Buffer.alloc(0)],
        ["img.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x03, 0xff, 0x00, 0x10, 0x20])],
        ["missing.py", null],
        ["pkg", null],
        ["new\nline.py", Buffer.from(`${Array.from({ length: 10 }, (_, i) => `odd4 = ${i + 1}\n`).join("")}w = 4\n`)],
        ["tab\there.py", Buffer.from(`${Array.from({ length: 10 }, (_, i) => `odd3 = ${i + 1}\n`).join("")}w = 3\n`)],
        [" leading space.py", Buffer.from(`${Array.from({ length: 10 }, (_, i) => `odd9 = ${i + 1}\n`).join("")}w = 9\n`)],
        ["trailing space .py", Buffer.from(`${Array.from({ length: 10 }, (_, i) => `odd8 = ${i + 1}\n`).join("")}w = 8\n`)],
        ["new.py", Buffer.from("import sys\nprint(sys.argv)\n")],
      ];
      const jobs = Array.from({ length: 300 }, (_, i) => wanted[(i * 7) % wanted.length]);
      const results = await Promise.all(jobs.map(([p]) => reader.read(p)));
      results.forEach((got, i) => {
        const [p, want] = jobs[i];
        if (want === null) expect({ p, got }).toEqual({ p, got: null });
        else expect({ p, same: got !== null && want.equals(got) }).toEqual({ p, same: true });
      });
    } finally {
      await reader.close();
    }
  });

  test("one child process per reader, alive only while reads are pending, restarted after close()", async () => {
    const reader = new GitRevisionReader(s.repo.dir, s.repo.sha());
    // Counts only processes that keep the event loop alive. spawn() is synchronous, so
    // nothing else can start or stop between the two first counts.
    const before = countProcesses();
    const pending = [reader.read("new.py"), reader.read("big.bin"), reader.read("mod.py")];
    expect(countProcesses()).toBe(before + 1);
    await Promise.all(pending);
    // Idle: unref'd, so a forgotten close() cannot keep Node running.
    expect(countProcesses()).toBeLessThanOrEqual(before);
    await reader.close();
    expect((await reader.read("new.py"))?.toString()).toBe("import sys\nprint(sys.argv)\n");
    await reader.close();
    await reader.close(); // idempotent
  });

  test("close() while reads are pending lets them finish", async () => {
    const reader = new GitRevisionReader(s.repo.dir, s.repo.sha());
    const pending = Array.from({ length: 20 }, () => reader.read("big.bin"));
    const closing = reader.close();
    const results = await Promise.all(pending);
    await closing;
    expect(results.every((r) => r !== null && r.equals(big))).toBe(true);
  });

  test("a batch in a directory that is not a repository rejects its requests with a SourceError", async () => {
    const batch = new CatFileBatch(tempDir());
    await expect(batch.request("HEAD:x")).rejects.toBeInstanceOf(SourceError);
    await batch.close();
  });
});

describe("WorkingTreeReader", () => {
  test("reads files from disk, symlinks as their target, and lists tracked + untracked files", async () => {
    const repo = makeRepo();
    repo.write("a.py", "a = 1\n");
    repo.write("sub/b.py", "b = 1\n");
    repo.write(".gitignore", "ignored.py\n");
    repo.symlink("a.py", "link.py");
    repo.commit("c");
    repo.write("untracked.py", "u = 1\n");
    repo.write("ignored.py", "i = 1\n");
    repo.rm("sub/b.py"); // deleted but still in the index
    const reader = new WorkingTreeReader(repo.dir);
    expect((await reader.read("a.py"))?.toString()).toBe("a = 1\n");
    expect((await reader.read("link.py"))?.toString()).toBe("a.py");
    expect(await reader.read("sub/b.py")).toBeNull();
    expect(await reader.read("sub")).toBeNull();
    expect(await reader.read("../etc/passwd")).toBeNull();
    expect((await reader.listFiles()).sort()).toEqual([".gitignore", "a.py", "link.py", "untracked.py"]);
  });

  test("outside git it walks the directory, skipping dot-directories, node_modules and __pycache__", async () => {
    const dir = tempDir();
    for (const p of ["x.py", "pkg/y.py", ".venv/lib/z.py", ".git/config", "node_modules/m.js", "pkg/__pycache__/y.pyc"]) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), "x\n");
    }
    const reader = new WorkingTreeReader(dir);
    expect(await reader.listFiles()).toEqual(["pkg/y.py", "x.py"]);
    expect((await reader.read("pkg/y.py"))?.toString()).toBe("x\n");
  });
});

test("close() after idle reads resolves, with nothing else keeping Node alive", () => {
  // In a child process: an idle cat-file reader is unref'd; close() must still finish, not
  // let the process exit with the awaited promise pending.
  const repo = makeRepo();
  repo.write("a.py", "x = 1\n");
  const sha = repo.commit("one");
  const script = `
    const { GitRevisionReader } = require(${JSON.stringify(require.resolve("../dist/source/git-revision.js"))});
    (async () => {
      const r = new GitRevisionReader(${JSON.stringify(repo.dir)}, ${JSON.stringify(sha)});
      await r.read("a.py");
      await new Promise((ok) => setTimeout(ok, 50));
      await r.close();
      console.log("closed");
    })();
  `;
  const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  expect(out.trim()).toBe("closed");
});
