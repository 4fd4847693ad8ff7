/**
 * The files of a working tree that are not Python (tracked, and untracked ones git does not
 * ignore), listed by git without reading any: their directories are namespace portions to
 * CPython (module-index.ts). Outside a git repository, or when git fails, none (the graph
 * then knows only the directories of Python files).
 */
import { execFile } from "node:child_process";
import { SKIP_DIRS } from "./files";

const SKIPPED = new RegExp(`(?:^|/)(?:${[...SKIP_DIRS].map((d) => d.replace(/[.]/g, "\\.")).join("|")})/`);

export function listOtherFiles(root: string): Promise<string[]> {
  const args = ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", ":(exclude)*.py", ":(exclude)*.pyi"];
  return new Promise((resolve) => {
    execFile("git", args, { maxBuffer: 1 << 30, encoding: "utf8", env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } }, (err, out) => {
      if (err) return resolve([]);
      resolve(out.split("\0").filter((p) => p !== "" && !SKIPPED.test(p)));
    });
  });
}
