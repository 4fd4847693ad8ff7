/**
 * The import-time edges of one module: what executing it imports, resolved against the
 * repository the way CPython resolves it.
 *
 * - `import a.b.c` executes `a`, `a.b`, `a.b.c` (every ancestor package first).
 * - `from a.b import c` executes `a`, `a.b`, then `a.b.c` only when `c` is a submodule and
 *   not already an attribute of `a.b` (bound in its `__init__` by def, class, import or
 *   assignment). When `a.b` defines a module-level `__getattr__` (PEP 562), CPython calls it
 *   first: the access is recorded in `lazy`, the imports inside `__getattr__` that provide
 *   `c` are followed, and so is the submodule (which `__getattr__` or the import system
 *   then imports).
 * - `from pkg import *` imports the submodules named in a literal `__all__`.
 * - literal `importlib.import_module(...)` / `__import__(...)` calls run where they are.
 * - only statements that run when the module is imported (`context.atImport`) count, and the
 *   bodies of the repository functions they call (calls.ts: edges of kind `call`).
 * Modules not in the repository are third-party leaves named by their full dotted path.
 * For `from x import y` on a third-party `x`, nothing says whether `y` is a submodule; `x.y`
 * becomes a leaf only when a configured heavy module is `x.y` or under it, so that
 * `from google import genai` reaches the heavy `google.genai` without inventing a module
 * for every imported function and class.
 *
 * The base revision's graph reuses the head's edges of every module whose resolution
 * consulted nothing the pull request changed (`EdgeMemo`).
 */
import type { ContextKind, ExecutionContext, PyImport } from "../python/types";
import { CallFollower, type Deps } from "./calls";
import type { GraphFacts } from "../facts/codec";
import type { ModuleEntry, ModuleIndex } from "../python/module-index";
import { importedModules, resolveRelative } from "../python/modules";
import { assignedNames, type Statement } from "../python/statements";
import { pushAll } from "../core/arrays";
import type { Edge, LazyAccess, Unresolved } from "./types";


/** One module's resolved edges and what resolving them consulted. */
interface MemoEntry {
  facts: GraphFacts;
  edges: Edge[];
  /** Module names looked up in the index, and package files read. */
  names: string[];
  packages: string[];
  unresolved: Unresolved[];
  lazy: LazyAccess[];
}

/** Resolved edges by module, kept from one revision's graph for the other's. */
export type EdgeMemo = Map<string, MemoEntry>;

export interface EdgeContext {
  index: ModuleIndex;
  graphFacts(path: string): GraphFacts | undefined;
  /** Resolves when a worker thread scanning the file right now is done (undefined: nothing to wait for). */
  inFlight?(path: string): Promise<void> | undefined;
  /** Statements of a file (for the names a package binds by assignment), or null. */
  statements(path: string): Promise<Statement[] | null>;
  /** A file's bytes (call arguments are read from them when needed). */
  bytes?(path: string): Promise<Buffer | null>;
  /** Whether a file's text contains `word` at all (a cheap test before reading statements). */
  mentions(path: string, word: string): Promise<boolean>;
  unresolved: Unresolved[];
  lazy: LazyAccess[];
  /** Whether `from x import y` on a third-party `x` should reach `x.y` (see above). */
  wantsThirdParty(module: string): boolean;
  /** Edges of the other revision, reusable when nothing they depend on changed. */
  reuse?: { memo: EdgeMemo; index: ModuleIndex; sameFiles: boolean; changed: ReadonlySet<string> };
}

/** `wantsThirdParty` for a heavy-module list: `x.y` when some entry is `x.y` or under it. */
export function heavyNames(heavy: readonly string[]): (module: string) => boolean {
  return (module) => heavy.some((h) => h === module || h.startsWith(`${module}.`));
}

interface PackageInfo {
  bound: Set<string>;
  assigned: Set<string> | null;
  hasGetattr: boolean;
  /** Literal imports inside `__getattr__`: what they import and the names they bind. */
  getattrImports: { modules: string[]; binds: string[] }[];
}

/** Names an import statement binds in its module. */
export function boundNames(imp: PyImport): string[] {
  if (imp.kind === "import") return [imp.names[0].asname ?? imp.module.split(".")[0]];
  if (imp.star) return [];
  return imp.names.map((n) => n.asname ?? n.name);
}

/** The first edge to each target. */
function unique(edges: Edge[]): Edge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    if (seen.has(e.target)) return false;
    seen.add(e.target);
    return true;
  });
}

function atImport(ctx: ExecutionContext): boolean {
  return ctx.atImport;
}

function moduleScope(ctx: ExecutionContext): boolean {
  return ctx.atImport && ctx.scope === "";
}

/** The modules whose `include` is Django's URLconf include. */
const URL_MODULES = new Set(["django.urls", "django.conf.urls"]);

/** The callee texts that denote Django's `include` in a module (`include`, `urls.include`, `django.urls.include`). */
export function includeCallees(facts: Pick<GraphFacts, "imports">, module: string, isPackage: boolean): Set<string> {
  const out = new Set<string>();
  for (const imp of facts.imports) {
    if (imp.context.kind === "type_checking" || imp.context.kind === "dead") continue;
    if (imp.kind === "import") {
      const n = imp.names[0];
      if (!URL_MODULES.has(imp.module)) continue;
      out.add(n.asname === null ? `${imp.module}.include` : `${n.asname}.include`);
      continue;
    }
    if (imp.star) continue;
    const from = resolveRelative(module, isPackage, imp.level, imp.module);
    for (const n of imp.names) {
      if (from !== null && URL_MODULES.has(from) && n.name === "include") out.add(n.asname ?? n.name);
      if (from !== null && URL_MODULES.has(`${from}.${n.name}`)) out.add(`${n.asname ?? n.name}.include`);
    }
  }
  return out;
}

/** The first top-level argument of a call's argument text (up to a comma outside brackets and strings). */
function firstArgument(args: string): string {
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === '"' || c === "'") {
      const q = args.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + q.length;
      while (j < args.length && !args.startsWith(q, j)) j += args[j] === "\\" ? 2 : 1;
      i = j + q.length - 1;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) return args.slice(0, i);
  }
  return args;
}

/**
 * The module an `include(...)` argument text imports: a string literal naming a module
 * (alone, or first in a tuple); undefined when the first argument is a string computed at
 * run time (it holds a string literal but is not one); null for anything else (a name, an
 * attribute, a list: no import).
 */
export function includedModule(args: string): string | null | undefined {
  let arg = firstArgument(args).trim();
  if (arg.startsWith("(")) arg = firstArgument(arg.slice(1)).trim();
  const lit = /^[rRuU]?("|')([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\1\s*\)?$/.exec(arg);
  if (lit !== null) return lit[2];
  return /["']/.test(arg) ? undefined : null;
}

/** Resolves a relative `import_module(".x", package)` name the way importlib does. */
export function resolveCallName(module: string, pkg: string | null, fromModule: string, isPackage: boolean): string | null {
  let level = 0;
  while (module.charCodeAt(level) === 46) level++;
  if (level === 0) return module;
  const rest = module.slice(level);
  if (pkg !== null) return resolveRelative(pkg, true, level, rest);
  // A non-literal package (`__name__`, `__package__`) is taken to be this module's package.
  return resolveRelative(fromModule, isPackage, level, rest);
}

/** Resolves modules' edges. Not re-entrant: callers await one call before the next (the walk does). */
export class EdgeResolver {
  private readonly packages = new Map<string, PackageInfo>();
  /** This revision's resolved edges (for the other revision to reuse). */
  readonly memo: EdgeMemo = new Map();
  private rec: MemoEntry | null = null;
  /** Context of the statement being resolved (edges carry it). */
  private kind: ContextKind = "top";
  private readonly calls: CallFollower;

  constructor(private readonly ctx: EdgeContext) {
    this.calls = new CallFollower({
      index: ctx.index,
      graphFacts: (p) => ctx.graphFacts(p),
      inFlight: ctx.inFlight === undefined ? undefined : (p) => ctx.inFlight?.(p),
      resolve: (n) => this.resolve(n),
      consulted: (p) => this.rec?.packages.push(p),
      bodyEdges: (name, entry, facts, select) => this.trackedEdges(name, entry, facts, select),
      replay: (deps) => {
        if (this.rec) pushAll(this.rec.names, deps.names);
        if (this.rec) pushAll(this.rec.packages, deps.packages);
      },
      unresolved: (u) => this.ctx.unresolved.push(u),
      bytes: (p) => (this.ctx.bytes === undefined ? Promise.resolve(null) : this.ctx.bytes(p)),
    });
  }

  private resolve(name: string): ModuleEntry | null {
    this.rec?.names.push(name);
    return this.ctx.index.resolve(name);
  }

  /** Import-time edges of module `name` (defined by `entry`), in line order. */
  async moduleEdges(name: string, entry: ModuleEntry, facts: GraphFacts): Promise<Edge[]> {
    const prev = this.ctx.reuse?.memo.get(name);
    if (prev !== undefined && this.reusable(prev, facts)) {
      pushAll(this.ctx.unresolved, prev.unresolved);
      pushAll(this.ctx.lazy, prev.lazy);
      this.memo.set(name, prev);
      return prev.edges;
    }
    const rec: MemoEntry = { facts, edges: [], names: [], packages: [], unresolved: [], lazy: [] };
    const outer = { unresolved: this.ctx.unresolved.length, lazy: this.ctx.lazy.length };
    this.rec = rec;
    try {
      rec.edges = await this.edges(name, entry, facts);
    } finally {
      this.rec = null;
    }
    rec.unresolved = this.ctx.unresolved.slice(outer.unresolved);
    rec.lazy = this.ctx.lazy.slice(outer.lazy);
    this.memo.set(name, rec);
    return rec.edges;
  }

  private reusable(prev: MemoEntry, facts: GraphFacts): boolean {
    const reuse = this.ctx.reuse;
    if (reuse === undefined || prev.facts !== facts) return false;
    for (const p of prev.packages) if (reuse.changed.has(p)) return false;
    if (reuse.sameFiles) return true;
    // Files were added or removed: a consulted package whose directory holds one may now have
    // other submodules (cached package facts looked at those).
    for (const p of prev.packages) {
      const dir = p.slice(0, p.lastIndexOf("/") + 1);
      for (const c of reuse.changed) if (c.startsWith(dir)) return false;
    }
    for (const n of prev.names) {
      const a = reuse.index.resolve(n);
      const b = this.ctx.index.resolve(n);
      if ((a === null) !== (b === null) || (a !== null && b !== null && (a.file !== b.file || a.dirs.join() !== b.dirs.join()))) return false;
    }
    return true;
  }

  /**
   * Edges of the statements `select` picks (default: those that run when the module is
   * imported), in line order, one per target (the first statement importing it).
   */
  async edges(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean = atImport): Promise<Edge[]> {
    const direct = await this.importEdgesOf(name, entry, facts, select);
    const called = await this.calls.follow(name, entry, facts, select);
    if (called.length === 0) return direct;
    return unique([...direct, ...called].sort((a, b) => a.line - b.line));
  }

  /** `importEdgesOf`, with the lookups it made (they count for the module being resolved too). */
  private async trackedEdges(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean): Promise<{ edges: Edge[]; deps: Deps }> {
    const outer = this.rec;
    const inner: MemoEntry = { facts, edges: [], names: [], packages: [], unresolved: [], lazy: [] };
    this.rec = inner;
    try {
      return { edges: await this.importEdgesOf(name, entry, facts, select), deps: { names: inner.names, packages: inner.packages } };
    } finally {
      this.rec = outer;
      if (outer) pushAll(outer.names, inner.names);
      if (outer) pushAll(outer.packages, inner.packages);
    }
  }

  /** The edges of the import statements and literal import calls `select` picks (calls not followed). */
  private async importEdgesOf(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean): Promise<Edge[]> {
    const out: Edge[] = [];
    const file = entry.file as string;
    for (const imp of facts.imports) {
      if (!select(imp.context)) continue;
      this.kind = imp.context.kind;
      await this.importEdges(imp, name, entry, file, out);
    }
    let calls = false;
    for (const call of facts.importCalls) {
      if (!select(call.context)) continue;
      calls = true;
      this.kind = call.context.kind;
      const target = resolveCallName(call.module, call.package, name, entry.isPackage);
      if (target === null || target === "") {
        this.unresolved(`${call.func}(${JSON.stringify(call.module)})`, `${file}:${call.line}`, "a relative name that climbs above the top-level package");
        continue;
      }
      let dot = target.indexOf(".");
      while (dot > 0) {
        this.definite(target.slice(0, dot), call.line, file, out);
        dot = target.indexOf(".", dot + 1);
      }
      this.definite(target, call.line, file, out);
    }
    if (await this.includes(name, entry, facts, select, out)) calls = true;
    if (calls) out.sort((a, b) => a.line - b.line);
    return unique(out);
  }

  /**
   * Django's `include("app.urls")` (from `django.urls` or `django.conf.urls`) imports the
   * module named by a string (alone or first in a tuple) when it is called: where a URLconf
   * builds its `urlpatterns`. A string computed at run time is unresolved; a name or an
   * attribute (`include(router.urls)`, `include(api_urlpatterns)`) is a list of patterns or a
   * module object, imported by the statements that bound it. True when it added an edge.
   */
  private async includes(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean, out: Edge[]): Promise<boolean> {
    const callees = includeCallees(facts, name, entry.isPackage);
    if (callees.size === 0) return false;
    const file = entry.file as string;
    let added = false;
    for (const call of facts.calls) {
      if (!callees.has(call.callee) || !select(call.context)) continue;
      const bytes = await this.ctx.bytes?.(file);
      if (bytes === null || bytes === undefined || call.argsEnd > bytes.length) continue;
      const args = bytes.subarray(call.argsStart, call.argsEnd).toString("utf8");
      const target = includedModule(args);
      if (target === null) continue;
      if (target === undefined) {
        this.unresolved(`${call.callee}(${args.replace(/\s+/g, " ").trim().slice(0, 80)})`, `${file}:${call.line}`, "the URLconf module include() imports is computed at run time; what it imports is not followed");
        continue;
      }
      this.kind = call.context.kind;
      let dot = target.indexOf(".");
      while (dot > 0) {
        this.definite(target.slice(0, dot), call.line, file, out);
        dot = target.indexOf(".", dot + 1);
      }
      this.definite(target, call.line, file, out);
      added = true;
    }
    return added;
  }

  private unresolved(what: string, where: string, why: string): void {
    this.ctx.unresolved.push({ what, where, why });
  }

  private async importEdges(imp: PyImport, name: string, entry: ModuleEntry, file: string, out: Edge[]): Promise<void> {
    const mods = importedModules(imp, name, entry.isPackage);
    if (mods.length === 0) {
      if (imp.level > 0) this.unresolved(`from ${".".repeat(imp.level)}${imp.module} import ...`, `${file}:${imp.line}`, "a relative import that climbs above the top-level package (ImportError at run time)");
      return;
    }
    let target = "";
    for (const m of mods) {
      if (m.maybe) continue;
      target = m.module;
      if (!this.definite(m.module, imp.line, file, out)) return;
    }
    if (imp.kind !== "from") return;
    if (imp.star) {
      await this.star(target, imp.line, file, out);
      return;
    }
    for (const n of imp.names) await this.fromName(target, n.name, imp.line, file, out);
  }

  /** An edge to a module that is certainly imported; false when it cannot be (missing first-party module). */
  private definite(module: string, line: number, file: string, out: Edge[]): boolean {
    if (this.resolve(module) !== null) {
      out.push({ target: module, line, kind: this.kind });
      return true;
    }
    // Not here: third-party, unless its parent is a regular first-party package (then it is missing).
    const dot = module.lastIndexOf(".");
    const parent = dot < 0 ? null : this.resolve(module.slice(0, dot));
    if (parent !== null && parent.file !== null) {
      this.unresolved(module, `${file}:${line}`, `no module ${module} in the repository (ImportError at run time?)`);
      return false;
    }
    out.push({ target: module, line, kind: this.kind });
    return true;
  }

  private async fromName(pkg: string, name: string, line: number, file: string, out: Edge[]): Promise<void> {
    const sub = `${pkg}.${name}`;
    const pkgEntry = this.resolve(pkg);
    if (pkgEntry === null) {
      if (this.ctx.wantsThirdParty(sub)) out.push({ target: sub, line, kind: this.kind });
      return;
    }
    const subEntry = this.resolve(sub);
    if (pkgEntry.file === null) {
      if (subEntry !== null) out.push({ target: sub, line, kind: this.kind });
      return;
    }
    await this.ctx.inFlight?.(pkgEntry.file);
    const info = this.info(pkgEntry);
    if (subEntry === null && !info.hasGetattr) return; // a plain attribute
    if (info.bound.has(name) || (await this.assigns(pkgEntry, info, name))) return;
    if (info.hasGetattr) {
      const lazy = { package: pkg, name, where: `${file}:${line}` };
      this.ctx.lazy.push(lazy);
      for (const gi of info.getattrImports) {
        const provides = gi.binds.includes(name) || gi.modules.some((m) => m === sub || m.endsWith(`.${name}`));
        if (!provides) continue;
        for (const m of gi.modules) this.definite(m, line, file, out);
      }
    }
    if (subEntry !== null) out.push({ target: sub, line, kind: this.kind });
  }

  private async star(pkg: string, line: number, file: string, out: Edge[]): Promise<void> {
    const entry = this.resolve(pkg);
    if (entry === null || entry.file === null) return;
    this.rec?.packages.push(entry.file);
    await this.ctx.inFlight?.(entry.file);
    const all = this.ctx.graphFacts(entry.file)?.all;
    if (!all) return;
    if (all.dynamic) this.unresolved(`from ${pkg} import *`, `${file}:${line}`, `${pkg}.__all__ is not a literal list; only its literal part is followed`);
    for (const name of all.names) await this.fromName(pkg, name, line, file, out);
  }

  private info(entry: ModuleEntry): PackageInfo {
    this.rec?.packages.push(entry.file as string);
    const hit = this.packages.get(entry.name);
    if (hit !== undefined) return hit;
    const facts = this.ctx.graphFacts(entry.file as string);
    const info: PackageInfo = { bound: new Set(), assigned: null, hasGetattr: false, getattrImports: [] };
    if (facts !== undefined) {
      for (const n of facts.defines) info.bound.add(n);
      info.hasGetattr = facts.getattr;
      for (const imp of facts.imports) {
        // `from . import x` in the package binds x by importing the submodule: not an attribute of its own.
        const self = imp.kind === "from" && (imp.level === 1 ? imp.module === "" : imp.level === 0 && imp.module === entry.name);
        if (moduleScope(imp.context) && !self) for (const b of boundNames(imp)) info.bound.add(b);
        if (info.hasGetattr && imp.context.kind === "function" && imp.context.scope === "__getattr__") {
          // Submodules it names count only when they exist (`from . import heavy`).
          const modules = importedModules(imp, entry.name, true)
            .filter((m) => !m.maybe || this.ctx.index.resolve(m.module) !== null)
            .map((m) => m.module);
          info.getattrImports.push({ modules, binds: boundNames(imp) });
        }
      }
      for (const call of info.hasGetattr ? facts.importCalls : []) {
        if (call.context.kind !== "function" || call.context.scope !== "__getattr__") continue;
        const target = resolveCallName(call.module, call.package, entry.name, true);
        if (target) info.getattrImports.push({ modules: [target], binds: [] });
      }
    }
    this.packages.set(entry.name, info);
    return info;
  }

  /** Whether the package's `__init__` binds `name` by assignment (read only when its text mentions the name). */
  private async assigns(entry: ModuleEntry, info: PackageInfo, name: string): Promise<boolean> {
    if (info.assigned === null) {
      const file = entry.file as string;
      if (!(await this.ctx.mentions(file, name))) return false;
      const stmts = await this.ctx.statements(file);
      info.assigned = stmts === null ? new Set() : assignedNames(stmts);
    }
    return info.assigned.has(name);
  }
}
