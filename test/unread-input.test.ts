/**
 * No silent pass on input that could not be read (issue 11, items 7, 8, 9): a diff whose hunk
 * counts disagree with its lines, a binary patch to a .py file (in `--diff` and git modes), a
 * rename without its old path, a diff naming files the checkout does not hold. Each is a named
 * error, `review` exits 2, and findings from the rest of the change are kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanupRepos, tempDir, type TestRepo, committedRepo } from "./helpers/git-repo";
import { DJANGO_BASE } from "./helpers/rule-tester";
import { skipReason } from "../src/facts/collect";
import { runInProcess } from "./helpers/run-cli";

afterAll(cleanupRepos);

const run = runInProcess;

const MODELS_HEAD = DJANGO_BASE["shop/models.py"].replace("from django.db import models\n", "from django.db import models\nimport numpy\n");
const APPS_HEAD = `import pandas\n${DJANGO_BASE["shop/apps.py"]}`;

/** The PR applied in the working tree: `import numpy` in shop/models.py, `import pandas` in shop/apps.py. */
function checkout(): TestRepo {
  const repo = committedRepo(DJANGO_BASE);
  repo.write("shop/models.py", MODELS_HEAD);
  repo.write("shop/apps.py", APPS_HEAD);
  return repo;
}

/** A correct patch of shop/apps.py: its finding must survive whatever is wrong elsewhere. */
const APPS_PATCH = ["diff --git a/shop/apps.py b/shop/apps.py", "--- a/shop/apps.py", "+++ b/shop/apps.py", "@@ -0,0 +1 @@", "+import pandas"];

function models(header: string, body: string[]): string[] {
  return ["diff --git a/shop/models.py b/shop/models.py", "--- a/shop/models.py", "+++ b/shop/models.py", header, ...body];
}

async function reviewDiff(repo: TestRepo, lines: string[]): Promise<{ code: number; json: { findings: Array<{ file: string; rule: string }>; errors: Array<{ kind: string; where: string; message: string }> }; err: string }> {
  const file = path.join(tempDir(), "pr.diff");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const r = await run(["review", "--repo", repo.dir, "--diff", file, "--format", "json", "--no-cache"]);
  return { code: r.code, json: JSON.parse(r.out), err: r.err };
}

describe("bad hunk headers (item 7): a named error, exit 2, the other files' findings kept", () => {
  test.each([
    ["@@ -1,1 +1,1 @@ over a hunk that adds a line", models("@@ -1,1 +1,1 @@", [" from django.db import models", "+import numpy"])],
    ["@@ -1,-4 +1,-5 @@", models("@@ -1,-4 +1,-5 @@", [" from django.db import models", "+import numpy"])],
    ["@@ -1,0 +1,0 @@", models("@@ -1,0 +1,0 @@", [" from django.db import models", "+import numpy"])],
  ])("%s", async (_name, patch) => {
    const repo = checkout();
    const r = await reviewDiff(repo, [...patch, ...APPS_PATCH]);
    expect(r.code).toBe(2);
    const err = r.json.errors.find((e) => e.kind === "diff" && e.where === "shop/models.py");
    expect(err?.message).toMatch(/The diff of shop\/models\.py cannot be trusted: line 4: the hunk header .*(counts fewer lines|does not parse)/);
    expect(r.json.findings.some((f) => f.file === "shop/apps.py" && f.rule === "heavy-import-at-startup")).toBe(true);
    expect(r.err).toMatch(/could not be read \(shop\/models\.py/);
  });

  test("the text report does not say 'No findings' when the only file could not be read", async () => {
    const repo = checkout();
    const file = path.join(tempDir(), "pr.diff");
    fs.writeFileSync(file, models("@@ -1,0 +1,0 @@", [" from django.db import models", "+import numpy"]).join("\n") + "\n");
    const r = await run(["review", "--repo", repo.dir, "--diff", file, "--no-cache"]);
    expect(r.code).toBe(2);
    expect(r.out).not.toMatch(/^No findings\b/m);
    expect(r.out).toMatch(/The review is incomplete: \d+ parts? of the change could not be read/);
  });
});

describe("binary patches to .py files (item 8)", () => {
  test.each([
    ["Binary files a/x.py and b/x.py differ", ["diff --git a/shop/models.py b/shop/models.py", "index 1111111..2222222 100644", "Binary files a/shop/models.py and b/shop/models.py differ"]],
    ["GIT binary patch", ["diff --git a/shop/models.py b/shop/models.py", "index 1111111..2222222 100644", "GIT binary patch", "literal 12", "TcmZ?wb@TRfEJ{mFOE1>^", "", "literal 8", "PcmZ?wb@TRf^HNI"]],
    ["plain diff -ru: Binary files x and y differ", ["Binary files a/shop/models.py and b/shop/models.py differ"]],
  ])("--diff with %s: a binary-patch error naming the file, exit 2", async (_name, patch) => {
    const repo = checkout();
    const r = await reviewDiff(repo, [...patch, ...APPS_PATCH]);
    expect(r.code).toBe(2);
    expect(r.json.errors).toContainEqual(expect.objectContaining({ kind: "binary-patch", where: "shop/models.py" }));
    expect(r.json.findings.some((f) => f.file === "shop/apps.py")).toBe(true);
  });

  test("git mode: a .py file git diffs as binary (a NUL byte) is a named error, exit 2", async () => {
    const repo = committedRepo(DJANGO_BASE);
    repo.git("checkout", "-q", "-b", "pr");
    repo.write("shop/util.py", "import numpy\nX = '\0'\n");
    repo.write("shop/apps.py", APPS_HEAD);
    repo.commit("pr");
    const r = await run(["review", "--repo", repo.dir, "--base", "main", "--format", "json", "--no-cache"]);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.out);
    expect(json.errors.map((e: { kind: string; where: string }) => [e.kind, e.where])).toContainEqual(["binary-patch", "shop/util.py"]);
    expect(json.findings.some((f: { file: string }) => f.file === "shop/apps.py")).toBe(true);
  });
});

describe("renames and files the checkout does not hold (item 9)", () => {
  test("`rename from` without `rename to` is a named error", async () => {
    const repo = checkout();
    const r = await reviewDiff(repo, [
      "diff --git a/shop/util.py b/shop/helpers.py",
      "similarity index 100%",
      "rename from shop/util.py",
      ...APPS_PATCH,
    ]);
    expect(r.code).toBe(2);
    expect(r.json.errors).toContainEqual(expect.objectContaining({ kind: "diff", message: expect.stringContaining("`rename from` without `rename to`") }));
  });

  test("review --diff where no file of the diff exists in the tree: exit 2, naming them", async () => {
    const repo = checkout();
    const r = await reviewDiff(repo, [
      "diff --git a/billing/models.py b/billing/models.py",
      "--- a/billing/models.py",
      "+++ b/billing/models.py",
      "@@ -1 +1,2 @@",
      " from django.db import models",
      "+import stripe",
    ]);
    expect(r.code).toBe(2);
    expect(r.json.errors).toContainEqual(expect.objectContaining({ where: "billing/models.py", message: expect.stringContaining("billing/models.py is in the diff but not in the working tree") }));
    expect(r.err).toContain("billing/models.py");
  });
});

describe("messages (item 16)", () => {
  test("a NUL byte in a string past git's 8,000-byte binary window is a diagnostic naming its line", async () => {
    const repo = committedRepo(DJANGO_BASE);
    repo.git("checkout", "-q", "-b", "pr");
    const padding = "# padding\n".repeat(900); // 9,000 bytes: git and isBinary look at the first 8,000
    repo.write("shop/util.py", `${padding}X = "a\0b"\n`);
    repo.commit("pr");
    const r = await run(["review", "--repo", repo.dir, "--base", "main", "--format", "json", "--no-cache"]);
    const json = JSON.parse(r.out);
    expect(json.errors).toContainEqual(expect.objectContaining({ where: "shop/util.py:901", message: expect.stringContaining("source code cannot contain null bytes") }));
  });

  test("a special file that yields more than its size (/dev/zero) is not called 'larger than max_file_bytes (0 > ...)'", () => {
    expect(skipReason("L0", 2097152)).toBe("not a regular file: it gave more than max_file_bytes (2097152 bytes) while its size is 0 bytes; not read");
    expect(skipReason("L3000000", 2097152)).toBe("larger than max_file_bytes (3000000 > 2097152 bytes); not read");
  });
});
