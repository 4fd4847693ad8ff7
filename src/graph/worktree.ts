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
  /** Whether git listed the files. */
  git: boolean;
}

const PY = /\.pyi?$/;

function git(root: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", ["-C", root, ...args], { maxBuffer: 1 << 30, encoding: "utf8" }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

function wanted(path: string): boolean {
  if (!PY.test(path)) return false;
  const parts = path.split("/");
  for (let i = 0; i < parts.length - 1; i++) if (SKIP_DIRS.has(parts[i])) return false;
  return true;
}

export async function listWorktree(root: string): Promise<Worktree> {
  let staged: string;
  let status: string;
  let prefix: string;
  try {
    // ls-files paths are relative to `root`; status paths to the repository's top level.
    [staged, status, prefix] = await Promise.all([
      git(root, ["ls-files", "-s", "-z", "--", "*.py", "*.pyi"]),
      git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "*.py", "*.pyi"]),
      git(root, ["rev-parse", "--show-prefix"]).then((s) => s.trim()),
    ]);
  } catch {
    return { root, files: listPythonFiles(root), shas: new Map(), git: false };
  }
  const shas = new Map<string, string>();
  for (const rec of staged.split("\0")) {
    if (rec === "") continue;
    const tab = rec.indexOf("\t");
    const [mode, sha, stage] = rec.slice(0, tab).split(" ");
    const path = rec.slice(tab + 1);
    if (mode === "160000" || stage !== "0" || !wanted(path)) continue;
    shas.set(path, sha);
  }
  const files = new Set(shas.keys());
  for (const rec of status.split("\0")) {
    if (rec.length < 4) continue;
    const x = rec[0];
    const y = rec[1];
    const full = rec.slice(3);
    if (!full.startsWith(prefix)) continue;
    const path = full.slice(prefix.length);
    if (!wanted(path)) continue;
    if (x === "?" || y !== " ") shas.delete(path); // untracked, or the working tree differs from the index
    if (y === "D" || (x === "D" && y === " ")) files.delete(path);
    else files.add(path);
  }
  return { root, files: [...files].sort(), shas, git: true };
}
