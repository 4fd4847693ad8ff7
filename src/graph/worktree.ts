/**
 * The Python files of a working tree, with their git blob SHAs where git already knows them
 * (`git ls-files -s`: no file is read or hashed), so a warm build only lists and reads the
 * cache. Files modified in the working tree and untracked files have no SHA (the collector
 * hashes them). Outside a git repository, the tree is walked instead.
 */
import { execFile } from "node:child_process";
import { listPythonFiles, SKIP_DIRS } from "../core/files";

export interface Worktree {
  /** Absolute or relative directory of the checkout. */
  root: string;
  /** Repository-relative POSIX paths of `.py`/`.pyi` files, sorted. */
  files: string[];
  /** Blob SHA of each file whose working-tree content equals the index. */
  shas: Map<string, string>;
  /** Files the index records as symbolic links (never followed; their text is not Python). */
  links: Set<string>;
  /** Whether git listed the files. */
  git: boolean;
}

const PY = /\.pyi?$/;

function git(root: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", ["-C", root, ...args], { maxBuffer: 1 << 30, encoding: "utf8" }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const SKIPPED = new RegExp(`(?:^|/)(?:${[...SKIP_DIRS].map((d) => d.replace(/[.]/g, "\\.")).join("|")})/`);

function wanted(path: string): boolean {
  return PY.test(path) && !SKIPPED.test(path);
}

export async function listWorktree(root: string): Promise<Worktree> {
  const spec = ["--", "*.py", "*.pyi"];
  let staged: string;
  let changed: string;
  let untracked: string;
  try {
    // All three print paths relative to `root` (and only under it).
    [staged, changed, untracked] = await Promise.all([
      git(root, ["ls-files", "-s", "-z", ...spec]),
      git(root, ["diff-files", "--name-status", "-z", "--relative", "--no-renames", ...spec]),
      git(root, ["ls-files", "-o", "--exclude-standard", "-z", ...spec]),
    ]);
  } catch {
    return { root, files: listPythonFiles(root), shas: new Map(), links: new Set(), git: false };
  }
  const shas = new Map<string, string>();
  const links = new Set<string>();
  const files = new Set<string>();
  // "<mode> <sha> <stage>\t<path>\0"
  let at = 0;
  while (at < staged.length) {
    const end = staged.indexOf("\0", at);
    const rec = end < 0 ? staged.slice(at) : staged.slice(at, end);
    at = end < 0 ? staged.length : end + 1;
    const tab = rec.indexOf("\t");
    if (tab < 0 || rec.startsWith("160000")) continue; // a submodule
    const path = rec.slice(tab + 1);
    if (!wanted(path)) continue;
    files.add(path);
    if (rec.startsWith("120000")) links.add(path);
    if (rec.charCodeAt(tab - 1) === 48 /* stage 0 */) shas.set(path, rec.slice(tab - 42, tab - 2));
  }
  // The working tree differs from the index: no SHA (the collector hashes the file); gone: drop it.
  const parts = changed.split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const path = parts[i + 1];
    shas.delete(path);
    links.delete(path); // what the working tree holds now is checked when it is read
    if (parts[i] === "D") files.delete(path);
  }
  for (const path of untracked.split("\0")) if (path !== "" && wanted(path)) files.add(path);
  // Nothing from git (a directory git ignores): walk it instead.
  if (files.size === 0) return { root, files: listPythonFiles(root), shas: new Map(), links: new Set(), git: false };
  return { root, files: [...files].sort(), shas, links, git: true };
}
