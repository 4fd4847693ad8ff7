/**
 * Which dotted module names exist in one revision of the repository, found the way CPython's
 * path finder finds them: the source roots are `sys.path` (in order); within one entry a
 * regular package (`x/__init__.py`) beats a module (`x.py`), which beats a namespace portion
 * (a directory without `__init__.py`); a regular package or module in a later entry beats a
 * namespace portion in an earlier one; a namespace package spans every portion. Submodules
 * are looked up only under their parent package's directories. Stub files (`.pyi`) are
 * never imported at run time and are ignored.
 */

export interface ModuleEntry {
  name: string;
  /** Repository path of the defining file; null for a namespace package. */
  file: string | null;
  isPackage: boolean;
  /** Directories a package's submodules are looked up in (`__path__`); empty for a plain module. */
  dirs: string[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function normaliseRoot(root: string): string {
  return root.replace(/\\/g, "/").replace(/^\.\/?/, "").replace(/\/+$/, "");
}

function join(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

export class ModuleIndex {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly roots: string[];
  private readonly cache = new Map<string, ModuleEntry | null>();

  constructor(paths: Iterable<string>, sourceRoots: readonly string[]) {
    this.roots = sourceRoots.map(normaliseRoot);
    for (const p of paths) {
      if (!p.endsWith(".py")) continue;
      this.files.add(p);
      let slash = p.lastIndexOf("/");
      while (slash > 0) {
        const dir = p.slice(0, slash);
        if (this.dirs.has(dir)) break;
        this.dirs.add(dir);
        slash = dir.lastIndexOf("/");
      }
    }
  }

  /** Number of `.py` files indexed. */
  get fileCount(): number {
    return this.files.size;
  }

  hasFile(path: string): boolean {
    return this.files.has(path);
  }

  /** Every indexed `.py` path. */
  paths(): IterableIterator<string> {
    return this.files.values();
  }

  /** The module a dotted name imports in this repository, or null when it is not here (third-party or missing). */
  resolve(name: string): ModuleEntry | null {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    let entry: ModuleEntry | null = null;
    const dot = name.lastIndexOf(".");
    const last = dot < 0 ? name : name.slice(dot + 1);
    if (IDENT.test(last)) {
      let searchDirs: string[] | null = this.roots;
      if (dot >= 0) {
        const parent = this.resolve(name.slice(0, dot));
        searchDirs = parent === null ? null : parent.dirs;
      }
      if (searchDirs !== null) entry = this.find(name, last, searchDirs);
    }
    this.cache.set(name, entry);
    return entry;
  }

  private find(name: string, last: string, searchDirs: string[]): ModuleEntry | null {
    const portions: string[] = [];
    for (const d of searchDirs) {
      const p = join(d, last);
      const init = `${p}/__init__.py`;
      if (this.files.has(init)) return { name, file: init, isPackage: true, dirs: [p] };
      if (this.files.has(`${p}.py`)) return { name, file: `${p}.py`, isPackage: false, dirs: [] };
      if (this.dirs.has(p)) portions.push(p);
    }
    return portions.length > 0 ? { name, file: null, isPackage: true, dirs: portions } : null;
  }

  /** The module name under which `path` is imported, when some name resolves to exactly that file. */
  moduleOf(path: string): string | null {
    if (!this.files.has(path)) return null;
    let best: string | null = null;
    for (const root of this.roots) {
      if (root !== "" && !path.startsWith(`${root}/`)) continue;
      const rel = root === "" ? path : path.slice(root.length + 1);
      const parts = rel.slice(0, -3).split("/");
      if (parts[parts.length - 1] === "__init__") parts.pop();
      if (parts.length === 0 || !parts.every((x) => IDENT.test(x))) continue;
      const name = parts.join(".");
      if (this.resolve(name)?.file === path && (best === null || name.length < best.length)) best = name;
    }
    return best;
  }
}
