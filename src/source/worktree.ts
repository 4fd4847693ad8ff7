/**
 * The Python files of a working tree, with their git blob SHAs where git already knows them
 * (`git ls-files -s`, checked by `git status`: a file is hashed only when its stat data is
 * stale), so a warm build only lists and reads the cache. Files modified in the working tree and untracked files have no SHA (the collector
 * hashes them). Outside a git repository, the tree is walked instead.
 */
import { isUnderSkippedDir, listPythonFiles } from "./files";
import { gitOutput, runGit } from "./git-run";
import { GITLINK_MODE, SYMLINK_MODE } from "./paths";

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
  return gitOutput(root, args, root);
}

function wanted(path: string): boolean {
  return PY.test(path) && !isUnderSkippedDir(path);
}

/**
 * The files among `paths` whose bytes in the working tree are not the blob's even when git
 * says they are unmodified: a `.gitattributes` (which a pull request controls) can ask checkout
 * to re-encode them (`working-tree-encoding`) or pass them through a filter. Line-ending and
 * `ident` conversions do not change what Python imports, and are left alone.
 */
async function convertedOnCheckout(root: string, paths: string[]): Promise<string[]> {
  const r = await runGit(root, ["check-attr", "-z", "--stdin", "working-tree-encoding", "filter"], { input: paths.map((p) => `${p}\0`).join("") }).catch(() => null);
  // Unknown: trust nothing of what git listed.
  if (r === null || r.code !== 0) return paths;
  const parts = r.stdout.split("\0");
  const hit = new Set<string>();
  for (let i = 0; i + 2 < parts.length; i += 3) if (parts[i + 2] !== "unspecified" && parts[i + 2] !== "unset") hit.add(parts[i]);
  return [...hit];
}

export async function listWorktree(root: string): Promise<Worktree> {
  const spec = ["--", "*.py", "*.pyi"];
  let staged: string;
  let changed: string;
  let untracked: string;
  let prefix: string;
  try {
    // ls-files prints paths relative to `root` (and only under it); status relative to the top of the work tree.
    [staged, changed, untracked, prefix] = await Promise.all([
      // .gitattributes files too: they may make checkout write other bytes than the blobs (see below).
      git(root, ["ls-files", "-s", "-z", ...spec, ".gitattributes", "*/.gitattributes"]),
      // Which files differ from the index: status compares the contents of files whose stat data is stale (a
      // checkout whose files were all touched), in memory (no index lock, nothing written), where diff-files
      // would call every one of them modified.
      git(root, ["status", "--porcelain", "-z", "--untracked-files=no", "--no-renames", "--ignore-submodules=all", ...spec]),
      git(root, ["ls-files", "-o", "--exclude-standard", "-z", ...spec]),
      git(root, ["rev-parse", "--show-prefix"]),
    ]);
  } catch {
    return { root, files: listPythonFiles(root), shas: new Map(), links: new Set(), git: false };
  }
  const shas = new Map<string, string>();
  const links = new Set<string>();
  const files = new Set<string>();
  let attributes = false;
  // "<mode> <sha> <stage>\t<path>\0"
  let at = 0;
  while (at < staged.length) {
    const end = staged.indexOf("\0", at);
    const rec = end < 0 ? staged.slice(at) : staged.slice(at, end);
    at = end < 0 ? staged.length : end + 1;
    const tab = rec.indexOf("\t");
    if (tab < 0 || rec.startsWith(GITLINK_MODE)) continue; // a submodule
    const path = rec.slice(tab + 1);
    if (path === ".gitattributes" || path.endsWith("/.gitattributes")) attributes = true;
    if (!wanted(path)) continue;
    files.add(path);
    if (rec.startsWith(SYMLINK_MODE)) links.add(path);
    if (rec.charCodeAt(tab - 1) === 48 /* stage 0 */) shas.set(path, rec.slice(tab - 42, tab - 2));
  }
  // The working tree differs from the index: no SHA (the collector hashes the file); gone: drop it.
  // "XY path": Y is the working tree against the index (" ": the same).
  const under = prefix.trim();
  for (const rec of changed.split("\0")) {
    if (rec.length < 4 || rec[1] === " " || !rec.startsWith(under, 3)) continue;
    const path = rec.slice(3 + under.length);
    shas.delete(path);
    links.delete(path); // what the working tree holds now is checked when it is read
    if (rec[1] === "D") files.delete(path);
  }
  for (const path of untracked.split("\0")) if (path !== "" && wanted(path)) files.add(path);
  if (attributes) for (const path of await convertedOnCheckout(root, [...shas.keys()])) shas.delete(path);
  // Nothing from git (a directory git ignores): walk it instead.
  if (files.size === 0) return { root, files: listPythonFiles(root), shas: new Map(), links: new Set(), git: false };
  return { root, files: [...files].sort(), shas, links, git: true };
}
