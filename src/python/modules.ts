/** File paths <-> dotted module names, and resolution of relative imports. */
import type { PyImport } from "./types";

export interface ModuleName {
  /** Dotted name, e.g. `posthog.models.team`; a package's name for its `__init__.py`. */
  module: string;
  /** True for `__init__.py` / `__init__.pyi`. */
  isPackage: boolean;
  /** The source root the name was computed under (`.` for the repository root). */
  root: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function normaliseRoot(root: string): string {
  const r = root.replace(/\\/g, "/").replace(/^\.\/?/, "").replace(/\/+$/, "");
  return r;
}

/**
 * The module name of a repository-relative path under the configured source roots (the
 * most specific root wins). Null when the path is not a Python module or a component is not
 * an identifier (`my-scripts/x.py` cannot be imported).
 */
export function moduleForPath(path: string, sourceRoots: readonly string[] = ["."]): ModuleName | null {
  const p = path.replace(/\\/g, "/");
  let ext = "";
  if (p.endsWith(".py")) ext = ".py";
  else if (p.endsWith(".pyi")) ext = ".pyi";
  else return null;
  let best: string | null = null;
  for (const raw of sourceRoots) {
    const r = normaliseRoot(raw);
    if (r === "" || p.startsWith(`${r}/`)) {
      if (best === null || r.length > best.length) best = r;
    }
  }
  if (best === null) return null;
  const rel = best === "" ? p : p.slice(best.length + 1);
  const parts = rel.slice(0, -ext.length).split("/");
  const isPackage = parts[parts.length - 1] === "__init__";
  if (isPackage) parts.pop();
  if (parts.length === 0 || !parts.every((x) => IDENT.test(x))) return null;
  return { module: parts.join("."), isPackage, root: best === "" ? "." : best };
}

/** Candidate repository paths for a module under the source roots: `a/b.py`, `a/b/__init__.py`. */
export function pathsForModule(module: string, sourceRoots: readonly string[] = ["."]): string[] {
  const rel = module.split(".").join("/");
  const out: string[] = [];
  for (const raw of sourceRoots) {
    const r = normaliseRoot(raw);
    const prefix = r === "" ? "" : `${r}/`;
    out.push(`${prefix}${rel}.py`, `${prefix}${rel}/__init__.py`);
  }
  return out;
}

/**
 * The package a relative import is relative to: for `from ..x import y` in module `a.b.c`
 * (not a package), level 2 gives `a`. In `pkg/__init__.py`, `.` is `pkg` itself. Null when
 * the import climbs above the top-level package (an ImportError in CPython).
 */
export function resolveRelative(fromModule: string, isPackage: boolean, level: number, module: string): string | null {
  if (level === 0) return module;
  const parts = fromModule.split(".");
  const pkg = isPackage ? parts : parts.slice(0, -1);
  const up = level - 1;
  if (up >= pkg.length) return null;
  const base = pkg.slice(0, pkg.length - up).join(".");
  return module ? `${base}.${module}` : base;
}

/**
 * The absolute modules an import statement may execute, in order: for `import a.b.c`,
 * `a`, `a.b`, `a.b.c`; for `from a.b import c, d`, `a`, `a.b`, then `a.b.c` and `a.b.d`
 * as possible submodules (`maybe: true`: they are modules only if such files exist).
 */
export function importedModules(imp: PyImport, fromModule: string | null, isPackage: boolean): { module: string; maybe: boolean }[] {
  let target: string | null;
  if (imp.level > 0) {
    if (fromModule === null) return [];
    target = resolveRelative(fromModule, isPackage, imp.level, imp.module);
  } else target = imp.module;
  if (target === null || target === "") return [];
  const out: { module: string; maybe: boolean }[] = [];
  const parts = target.split(".");
  for (let i = 1; i <= parts.length; i++) out.push({ module: parts.slice(0, i).join("."), maybe: false });
  if (imp.kind === "from" && !imp.star) {
    for (const n of imp.names) out.push({ module: `${target}.${n.name}`, maybe: true });
  }
  return out;
}

/**
 * The words a file must contain to refer to `module` (import it, name it in a string): every
 * part of the name, except the leading ones a relative import takes from the file's own
 * package. Read off the file's directory under each source root; where that overstates the
 * shared parts (the directory is not an importable package), fewer words are asked for, so a
 * file that refers to the module is never ruled out. The limit: a part spelt other than
 * literally (through a string escape, split inside the part across adjacent string literals,
 * or with letters NFKC folds to ASCII) is not in the bytes; a file that is not scanned yet is
 * then ruled out although the scanner would read the name (test/graph-search.test.ts).
 */
export function referenceWords(file: string, module: string, sourceRoots: readonly string[]): string[] {
  const parts = module.split(".");
  let shared = 0;
  for (const root of sourceRoots) {
    const r = root.replace(/^\.\/?/, "").replace(/\/+$/, "");
    let at = r === "" ? 0 : r.length + 1;
    if (at > 0 && !file.startsWith(`${r}/`)) continue;
    let k = 0;
    while (k < parts.length) {
      const end = at + parts[k].length;
      if (file.charCodeAt(end) !== 47 /* / */ || !file.startsWith(parts[k], at)) break;
      at = end + 1;
      k++;
    }
    if (k > shared) shared = k;
  }
  return parts.slice(shared);
}
