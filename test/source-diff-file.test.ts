/**
 * diffFileChangeSet: a unified diff plus the working tree it applies to. The main check is a
 * round trip: `git diff` of a real repository, read back, must describe the same change as
 * gitChangeSet on that repository, and the base rebuilt by reverse-applying the hunks must
 * equal the base git has, byte for byte.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ChangedFile, ChangeSet } from "../src/core/types";
import { diffFileChangeSet, reverseApply } from "../src/source/diff-file";
import { parseUnifiedDiff } from "../src/source/unified-diff";
import { SourceError } from "../src/source/errors";
import type { ClosableChangeSet } from "../src/source/change-set";
import { gitChangeSet } from "../src/source/git";
import { cleanupRepos, gitIn, kitchenSinkRepo, makeRepo, tempDir, type Scenario } from "./helpers/git-repo";

afterAll(cleanupRepos);

const summary = (files: ChangedFile[]): ChangedFile[] => [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
}

/** Every file's base (old side) and head contents must match between two change sets. */
async function expectSameContents(got: ChangeSet, want: ChangeSet, opts: { skipBinaryBase: boolean }): Promise<void> {
  for (const f of want.files) {
    const oldSide = f.status === "added" ? null : f.oldPath ?? f.path;
    const newSide = f.status === "deleted" ? null : f.path;
    if (newSide !== null) {
      expect({ path: newSide, head: await got.head.read(newSide) }).toEqual({ path: newSide, head: await want.head.read(newSide) });
    }
    if (oldSide !== null && !(f.binary && opts.skipBinaryBase)) {
      expect({ path: oldSide, base: await got.base.read(oldSide) }).toEqual({ path: oldSide, base: await want.base.read(oldSide) });
    }
    if (f.status === "added") expect(await got.base.read(f.path)).toBeNull();
    if (f.status === "deleted") expect(await got.head.read(f.path)).toBeNull();
  }
}

describe("round trip: git diff -> diffFileChangeSet == gitChangeSet", () => {
  let s: Scenario;
  let fromGit: ClosableChangeSet;
  beforeAll(async () => {
    s = kitchenSinkRepo();
    fromGit = await gitChangeSet({ repo: s.repo.dir, base: "main" });
  });
  afterAll(() => fromGit.close());

  const variants: Array<[string, string[]]> = [
    ["default git diff (quotepath: octal escapes)", ["diff", "-M", "-C"]],
    ["-U0", ["diff", "-U0", "-M", "-C"]],
    ["core.quotepath=false", ["-c", "core.quotepath=false", "diff", "-M", "-C"]],
    ["--no-prefix", ["diff", "--no-prefix", "-M", "-C"]],
    ["mnemonic-like prefixes i/ w/", ["diff", "--src-prefix=i/", "--dst-prefix=w/", "-M", "-C"]],
    ["diff.suppressBlankEmpty (empty context lines)", ["-c", "diff.suppressBlankEmpty=true", "diff", "-U5", "-M", "-C"]],
    ["--binary (GIT binary patch)", ["diff", "--binary", "-M", "-C"]],
    ["--full-index -U1", ["diff", "--full-index", "-U1", "-M", "-C"]],
  ];

  test.each(variants)("%s", async (_name, args) => {
    const diffText = gitIn(s.repo.dir, [...args, "main...feature"]).toString("utf8");
    const fromDiff = await diffFileChangeSet({ repo: s.repo.dir, diffText });
    try {
      expect(fromDiff.headRev).toBe("working-tree");
      expect(fromDiff.baseRev).toBe("reconstructed");
      expect(summary(fromDiff.files)).toEqual(summary(fromGit.files));
      await expectSameContents(fromDiff, fromGit, { skipBinaryBase: true });
      expect(fromDiff.errors).toEqual([]);
      expect((await fromDiff.head.listFiles()).sort()).toEqual((await fromGit.head.listFiles()).sort());
      expect((await fromDiff.base.listFiles()).sort()).toEqual((await fromGit.base.listFiles()).sort());
    } finally {
      await fromDiff.close();
    }
  });

  test("with a base revision, base contents (binary too) come from git", async () => {
    const diffText = gitIn(s.repo.dir, ["diff", "-M", "-C", "main...feature"]).toString("utf8");
    const fromDiff = await diffFileChangeSet({ repo: s.repo.dir, diffText, base: s.forkPoint });
    try {
      expect(fromDiff.baseRev).toBe(s.forkPoint);
      expect(summary(fromDiff.files)).toEqual(summary(fromGit.files));
      await expectSameContents(fromDiff, fromGit, { skipBinaryBase: false });
      expect(fromDiff.errors).toEqual([]);
    } finally {
      await fromDiff.close();
    }
  });

  test("without a base, a binary file's base is unknown: null plus a ReviewError, once", async () => {
    const diffText = gitIn(s.repo.dir, ["diff", "-M", "-C", "main...feature"]).toString("utf8");
    const fromDiff = await diffFileChangeSet({ repo: s.repo.dir, diffText });
    expect(await fromDiff.base.read("img.png")).toBeNull();
    expect(await fromDiff.base.read("img.png")).toBeNull();
    expect(fromDiff.errors).toEqual([{ kind: "diff-mismatch", where: "img.png", message: expect.stringContaining("pass a base revision") }]);
    expect(await fromDiff.base.read("bin.dat")).toBeNull(); // added: simply absent
    await fromDiff.close();
  });

  test("a diff whose lines all end in CRLF (saved on Windows) still maps lines", async () => {
    const diffText = gitIn(s.repo.dir, ["diff", "-M", "-C", "main...feature", "--", "mod.py", "new.py"]).toString("utf8").replace(/\n/g, "\r\n");
    const fromDiff = await diffFileChangeSet({ repo: s.repo.dir, diffText });
    expect(summary(fromDiff.files)).toEqual(summary(fromGit.files.filter((f) => f.path === "mod.py" || f.path === "new.py")));
    expect(fromDiff.errors).toEqual([]);
    // Rebuilt lines carry the stray CR; the text is otherwise the same.
    expect((await fromDiff.base.read("mod.py"))?.toString().replace(/\r/g, "")).toBe((await fromGit.base.read("mod.py"))?.toString());
  });

  test("a base that does not exist is a SourceError with the fetch hint", async () => {
    const e = await diffFileChangeSet({ repo: s.repo.dir, diffText: "", base: "release-9" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as SourceError).kind).toBe("bad-ref");
    expect((e as SourceError).message).toContain("fetch-depth: 0");
  });
});

describe("hand-written and unusual diffs", () => {
  test("quoted names with C-style octal escapes and an escaped tab", async () => {
    const dir = tempDir();
    writeTree(dir, { "spécial.py": "a\nB\n", "t\tab.py": "new\n" });
    const diffText = [
      'diff --git "a/sp\\303\\251cial.py" "b/sp\\303\\251cial.py"',
      "index 1111111..2222222 100644",
      '--- "a/sp\\303\\251cial.py"',
      '+++ "b/sp\\303\\251cial.py"',
      "@@ -2 +2 @@",
      "-b",
      "+B",
      'diff --git "a/t\\tab.py" "b/t\\tab.py"',
      "new file mode 100644",
      "index 0000000..3333333",
      "--- /dev/null",
      '+++ "b/t\\tab.py"',
      "@@ -0,0 +1 @@",
      "+new",
      "",
    ].join("\n");
    const cs = await diffFileChangeSet({ repo: dir, diffText });
    expect(cs.files).toEqual([
      { path: "spécial.py", oldPath: null, status: "modified", addedLines: [2], patchMissing: false, binary: false },
      { path: "t\tab.py", oldPath: null, status: "added", addedLines: [1], patchMissing: false, binary: false },
    ]);
    expect((await cs.base.read("spécial.py"))?.toString()).toBe("a\nb\n");
    expect(await cs.base.read("t\tab.py")).toBeNull();
    // Not a git repository: files are listed by walking the directory.
    expect((await cs.head.listFiles()).sort()).toEqual(["spécial.py", "t\tab.py"]);
    expect((await cs.base.listFiles()).sort()).toEqual(["spécial.py"]);
    expect(cs.errors).toEqual([]);
  });

  test("a pure rename whose names contain ' b/' (no hunks, no ---/+++ lines)", () => {
    const { patches, errors } = parseUnifiedDiff(
      ["diff --git a/x b/y.py b/x b/z b.py", "similarity index 100%", "rename from x b/y.py", "rename to x b/z b.py", ""].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(patches).toEqual([expect.objectContaining({ oldPath: "x b/y.py", newPath: "x b/z b.py", status: "renamed", hunks: [] })]);
  });

  test("mode change and binary change with spaces in the name use the symmetric diff --git line", () => {
    const { patches } = parseUnifiedDiff(
      [
        "diff --git a/my b/tool.sh b/my b/tool.sh",
        "old mode 100644",
        "new mode 100755",
        "diff --git a/pics b/x.png b/pics b/x.png",
        "index 1111111..2222222 100644",
        "Binary files a/pics b/x.png and b/pics b/x.png differ",
      ].join("\n"),
    );
    expect(patches.map((p) => [p.oldPath, p.newPath, p.status, p.binary])).toEqual([
      ["my b/tool.sh", "my b/tool.sh", "modified", false],
      ["pics b/x.png", "pics b/x.png", "modified", true],
    ]);
  });

  test("plain `diff -u` output with timestamps (not git)", async () => {
    const dir = tempDir();
    writeTree(dir, { "x.py": "a\nB\nc2\nc\n" });
    const diffText = [
      "--- x.py.orig\t2024-01-01 00:00:00.000000000 +0000",
      "+++ x.py\t2024-01-02 00:00:00.000000000 +0000",
      "@@ -1,3 +1,4 @@",
      " a",
      "-b",
      "+B",
      "+c2",
      " c",
    ].join("\n");
    const cs = await diffFileChangeSet({ repo: dir, diffText });
    expect(cs.files).toEqual([{ path: "x.py", oldPath: null, status: "modified", addedLines: [2, 3], patchMissing: false, binary: false }]);
    expect((await cs.base.read("x.py"))?.toString()).toBe("a\nb\nc\n");
  });

  test("a content line that looks like a header inside a hunk stays content", async () => {
    const dir = tempDir();
    writeTree(dir, { "x.py": "--- not a header\n+++ neither\n" });
    const diffText = ["diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "@@ -1,2 +1,2 @@", "---- old", "-+++ old", "+--- not a header", "++++ neither", ""].join("\n");
    const cs = await diffFileChangeSet({ repo: dir, diffText });
    expect(cs.files[0].addedLines).toEqual([1, 2]);
    expect((await cs.base.read("x.py"))?.toString()).toBe("--- old\n+++ old\n");
  });

  test("a working tree that does not match the diff: patchMissing plus a diff-mismatch error", async () => {
    const repo = makeRepo();
    repo.write("a.py", "one\ntwo\nthree\n");
    repo.write("gone.py", "g\n");
    repo.commit("base");
    repo.write("a.py", "one\nTWO\nthree\n");
    repo.rm("gone.py");
    const diffText = repo.git("diff");
    repo.write("a.py", "one\nsomething else\nthree\n");
    repo.write("gone.py", "g\n");
    const cs = await diffFileChangeSet({ repo: repo.dir, diffText });
    expect(cs.files.find((f) => f.path === "a.py")).toMatchObject({ patchMissing: true, addedLines: [] });
    expect(cs.errors.map((e) => [e.kind, e.where])).toEqual([
      ["diff-mismatch", "a.py"],
      ["diff-mismatch", "gone.py"],
    ]);
    expect(cs.errors[0].message).toContain('the diff expects "TWO"');
    expect(await cs.base.read("a.py")).toBeNull();
  });

  test("`git diff -D` deletions carry no content: the base is unknown, not empty", async () => {
    const repo = makeRepo();
    repo.write("gone.py", "g = 1\n");
    repo.write("empty.py", "");
    repo.commit("base");
    repo.rm("gone.py");
    repo.rm("empty.py");
    const cs = await diffFileChangeSet({ repo: repo.dir, diffText: repo.git("diff", "-D") });
    expect(cs.files.map((f) => [f.path, f.status])).toEqual([
      ["empty.py", "deleted"],
      ["gone.py", "deleted"],
    ]);
    expect(await cs.base.read("gone.py")).toBeNull();
    expect((await cs.base.read("empty.py"))?.length).toBe(0);
    expect(cs.errors).toEqual([expect.objectContaining({ kind: "diff-mismatch", where: "gone.py" })]);
  });

  test("a patch series touching one file twice is reported", () => {
    const one = ["diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "@@ -1 +1 @@", "-a", "+b"];
    const { patches, errors } = parseUnifiedDiff([...one, ...one, ""].join("\n"));
    expect(patches).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ where: "x.py", message: expect.stringContaining("more than one patch") })]);
  });

  test("a truncated hunk is reported", () => {
    const { errors } = parseUnifiedDiff(["diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "@@ -1,3 +1,3 @@", " a", "-b"].join("\n"));
    expect(errors).toEqual([expect.objectContaining({ kind: "diff", message: expect.stringContaining("ends early") })]);
  });

  test("empty diff: empty change set; text without any patch: SourceError", async () => {
    const dir = tempDir();
    const cs = await diffFileChangeSet({ repo: dir, diffText: "" });
    expect(cs.files).toEqual([]);
    const e = await diffFileChangeSet({ repo: dir, diffText: "hello\nworld\n" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as SourceError).kind).toBe("diff-parse");
    const missing = await diffFileChangeSet({ repo: join(dir, "nope"), diffText: "" }).catch((err: unknown) => err);
    expect((missing as SourceError).kind).toBe("not-a-repo");
  });

  test("a base revision needs a git repository", async () => {
    const e = await diffFileChangeSet({ repo: tempDir(), diffText: "", base: "main" }).catch((err: unknown) => err);
    expect((e as SourceError).kind).toBe("not-a-repo");
  });
});

describe("reverseApply", () => {
  const hunksOf = (diff: string) => parseUnifiedDiff(diff).patches[0].hunks;
  const diffOf = (before: string, after: string, args: string[] = []): string => {
    const repo = makeRepo();
    repo.write("f.txt", before);
    repo.commit("before");
    repo.write("f.txt", after);
    return repo.git("diff", ...args);
  };

  const cases: Array<[string, string, string]> = [
    ["insert at the top", "b\nc\n", "a\nb\nc\n"],
    ["delete at the top", "a\nb\nc\n", "b\nc\n"],
    ["append at the end", "a\n", "a\nb\nc\n"],
    ["delete at the end", "a\nb\nc\n", "a\n"],
    ["lose the final newline", "a\nb\n", "a\nb"],
    ["gain the final newline", "a\nb", "a\nb\n"],
    ["edit a last line without newline", "a\nb", "a\nB"],
    ["everything", "x\ny\n", "p\nq\nr"],
    ["to empty", "x\ny\n", ""],
    ["from empty", "", "x\n"],
    ["many hunks", Array.from({ length: 40 }, (_, i) => `l${i}\n`).join(""), Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? `L${i}\n` : i % 11 === 0 ? "" : `l${i}\n`)).join("") + "tail\n"],
    ["CRLF", "a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\nd\r\n"],
  ];
  test.each(cases)("%s, with -U0 and -U3", (_name, before, after) => {
    for (const args of [["-U0"], ["-U3"]]) {
      const diff = diffOf(before, after, args);
      expect(reverseApply(Buffer.from(after), hunksOf(diff)).toString()).toBe(before);
    }
  });
});

test("combined diffs of merge commits are skipped with an error, not misread", () => {
  const { patches, errors } = parseUnifiedDiff(
    ["diff --cc x.py", "index 1111111,2222222..3333333", "--- a/x.py", "+++ b/x.py", "@@@ -1,1 -1,1 +1,1 @@@", "- a", " -b", "++c", ""].join("\n"),
  );
  expect(patches).toEqual([]);
  expect(errors).toEqual([expect.objectContaining({ where: "x.py", message: expect.stringContaining("Combined") })]);
});
