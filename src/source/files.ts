/** Walking a checkout for Python files, skipping what is never project source. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Directories that are never project source: version control, environments, caches, build output. */
const SKIP_DIRS: ReadonlySet<string> = new Set([".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", "dist", "build", ".eggs"]);

/** Whether a directory of this name is never project source (see SKIP_DIRS). */
export function isSkippedDir(name: string): boolean {
  return SKIP_DIRS.has(name);
}

const UNDER_SKIPPED = new RegExp(`(?:^|/)(?:${[...SKIP_DIRS].map((d) => d.replace(/[.]/g, "\\.")).join("|")})/`);

/** Whether a repository-relative POSIX path lies under a directory that is never project source. */
export function isUnderSkippedDir(rel: string): boolean {
  return UNDER_SKIPPED.test(rel);
}

/** Repository-relative POSIX paths of the `.py`/`.pyi` files under `root`, sorted. */
export function listPythonFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!isSkippedDir(e.name)) walk(path.join(dir, e.name), rel ? `${rel}/${e.name}` : e.name);
      } else if (e.isFile() && (e.name.endsWith(".py") || e.name.endsWith(".pyi"))) {
        out.push(rel ? `${rel}/${e.name}` : e.name);
      }
    }
  };
  walk(root, "");
  return out.sort();
}

/** Git's binary heuristic: a NUL byte in the first 8,000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
