/**
 * Which dotted module names exist in one revision of the repository, found the way CPython's
 * path finder finds them: the source roots are `sys.path` (in order); within one entry a
 * regular package (`x/__init__.py`) beats a module (`x.py`), which beats a namespace portion
 * (a directory without `__init__.py`); a regular package or module in a later entry beats a
 * namespace portion in an earlier one; a namespace package spans every portion. Submodules
 * are looked up only under their parent package's directories. Stub files (`.pyi`) are
 * never imported at run time and are ignored.
 *
 * Any directory is a namespace portion to CPython, whatever it holds: git stores no empty
 * directory, so every directory holding a tracked file (of any kind: `.gitkeep`, `*.example`)
 * counts. The limit: a top-level name (one found directly in a source root) whose directories
 * hold no Python file at any depth is not taken as a namespace package: at run time any
 * installed package of that name beats it (`import redis` next to a `redis/` directory of
 * configuration files), and the environment is not known here. Under a package found in the
 * repository, lookup is in that package's directories, so the answer is exact.
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

/** Adds the directories above `path` to `into` (stopping at one already there). */
function ancestors(path: string, into: Set<string>): void {
  let slash = path.lastIndexOf("/");
  while (slash > 0) {
    const dir = path.slice(0, slash);
    if (into.has(dir)) break;
    into.add(dir);
    slash = dir.lastIndexOf("/");
  }
}

export function normaliseRoot(root: string): string {
  return root.replace(/\\/g, "/").replace(/^\.\/?/, "").replace(/\/+$/, "");
}

function join(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

export class ModuleIndex {
  private readonly files = new Set<string>();
  /** Directories holding a `.py` file at any depth. */
  private readonly dirs = new Set<string>();
  /** Directories holding only other files (no `.py` file at any depth), sorted. */
  readonly dataDirs: readonly string[];
  private readonly dataDirSet = new Set<string>();
  private readonly roots: string[];
  private readonly cache = new Map<string, ModuleEntry | null>();

  /** `paths`: every tracked file of the revision (any kind; the directories of the others are namespace portions too). */
  private readonly naming: readonly string[];

  /** `naming`: the roots `moduleOf` names files under (default: all). */
  constructor(paths: Iterable<string>, sourceRoots: readonly string[], naming?: readonly string[]) {
    this.roots = sourceRoots.map(normaliseRoot);
    this.naming = naming === undefined ? this.roots : naming.map(normaliseRoot);
    const others: string[] = [];
    for (const p of paths) {
      if (!p.endsWith(".py")) {
        others.push(p);
        continue;
      }
      this.files.add(p);
      ancestors(p, this.dirs);
    }
    const data = this.dataDirSet;
    for (const p of others) {
      let slash = p.lastIndexOf("/");
      while (slash > 0) {
        const dir = p.slice(0, slash);
        if (this.dirs.has(dir) || data.has(dir)) break;
        data.add(dir);
        slash = dir.lastIndexOf("/");
      }
    }
    this.dataDirs = [...data].sort();
  }

  /** The source roots, normalised (`""` for the top). */
  get sourceRoots(): readonly string[] {
    return this.roots;
  }

  /** Whether a directory (`""`: the top) holds a `.py` file at some depth. */
  holdsPython(dir: string): boolean {
    return dir === "" ? this.files.size > 0 : this.dirs.has(dir);
  }

  private named: Map<string, string> | null = null;

  /** A file or directory anywhere in the repository that a top-level `name` would import from some directory (`x.py`, `x/`), or null. */
  somewhereNamed(name: string): string | null {
    if (this.named === null) {
      this.named = new Map();
      for (const d of this.dirs) {
        const n = d.slice(d.lastIndexOf("/") + 1);
        if (!this.named.has(n)) this.named.set(n, `${d}/`);
      }
      for (const f of this.files) {
        const n = f.slice(f.lastIndexOf("/") + 1, -3);
        if (n !== "__init__" && !this.named.has(n)) this.named.set(n, f);
      }
    }
    return this.named.get(name) ?? null;
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
      let searchDirs: readonly string[] | null = this.roots;
      if (dot >= 0) {
        const parent = this.resolve(name.slice(0, dot));
        searchDirs = parent === null ? null : parent.dirs;
      }
      if (searchDirs !== null) entry = this.find(name, last, searchDirs, dot >= 0);
    }
    this.cache.set(name, entry);
    return entry;
  }

  /** `nested`: a submodule (searched in its parent's `__path__`), where a directory of data files is a portion too. */
  private find(name: string, last: string, searchDirs: readonly string[], nested: boolean): ModuleEntry | null {
    const portions: string[] = [];
    for (const d of searchDirs) {
      const p = join(d, last);
      const init = `${p}/__init__.py`;
      if (this.files.has(init)) return { name, file: init, isPackage: true, dirs: [p] };
      if (this.files.has(`${p}.py`)) return { name, file: `${p}.py`, isPackage: false, dirs: [] };
      if (this.dirs.has(p) || (nested && this.dataDirSet.has(p))) portions.push(p);
    }
    return portions.length > 0 ? { name, file: null, isPackage: true, dirs: portions } : null;
  }

  /** The module name under which `path` is imported, when some name resolves to exactly that file. */
  moduleOf(path: string): string | null {
    if (!this.files.has(path)) return null;
    let best: string | null = null;
    for (const root of this.naming) {
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
