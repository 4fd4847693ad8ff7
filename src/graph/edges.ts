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
 * - only statements that run when the module is imported (`context.atImport`) count.
 * Modules not in the repository are third-party leaves named by their full dotted path.
 * For `from x import y` on a third-party `x`, nothing says whether `y` is a submodule; `x.y`
 * becomes a leaf only when a configured heavy module is `x.y` or under it, so that
 * `from google import genai` reaches the heavy `google.genai` without inventing a module
 * for every imported function and class.
 */
import type { ExecutionContext, PyFileFacts, PyImport } from "../python/types";
import type { ModuleEntry, ModuleIndex } from "./module-index";
import { importedModules, resolveRelative } from "./modules";
import { assignedNames, type Statement } from "./statements";

export interface Edge {
  target: string;
  /** Line of the statement (in the importing file) that creates the edge. */
  line: number;
}

export interface Unresolved {
  what: string;
  where: string;
  why: string;
}

export interface LazyAccess {
  /** The package whose `__getattr__` provides the name. */
  package: string;
  name: string;
  where: string;
}

export interface EdgeContext {
  index: ModuleIndex;
  facts(path: string): PyFileFacts | undefined;
  /** Statements of a file (for the names a package binds by assignment), or null. */
  statements(path: string): Promise<Statement[] | null>;
  unresolved: Unresolved[];
  lazy: LazyAccess[];
  /** Whether `from x import y` on a third-party `x` should reach `x.y` (see above). */
  wantsThirdParty(module: string): boolean;
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

function atImport(ctx: ExecutionContext): boolean {
  return ctx.atImport;
}

function moduleScope(ctx: ExecutionContext): boolean {
  return ctx.atImport && ctx.scope === "";
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

export class EdgeResolver {
  private readonly packages = new Map<string, PackageInfo>();

  constructor(private readonly ctx: EdgeContext) {}

  /**
   * Import-time edges of module `name` (defined by `entry`), in line order. `select` picks
   * the statements that run (default: those that run when the module is imported).
   */
  async edges(name: string, entry: ModuleEntry, facts: PyFileFacts, select: (ctx: ExecutionContext) => boolean = atImport): Promise<Edge[]> {
    const out: Edge[] = [];
    const file = entry.file as string;
    for (const imp of facts.imports) {
      if (!select(imp.context)) continue;
      await this.importEdges(imp, name, entry, file, out);
    }
    for (const call of facts.importCalls) {
      if (!select(call.context)) continue;
      const target = resolveCallName(call.module, call.package, name, entry.isPackage);
      if (target === null || target === "") {
        this.unresolved(`${call.func}(${JSON.stringify(call.module)})`, `${file}:${call.line}`, "a relative name that climbs above the top-level package");
        continue;
      }
      const parts = target.split(".");
      for (let i = 1; i <= parts.length; i++) this.definite(parts.slice(0, i).join("."), call.line, file, out);
    }
    if (facts.importCalls.length > 0) out.sort((a, b) => a.line - b.line);
    // One edge per target: the first statement that imports it.
    const seen = new Set<string>();
    return out.filter((e) => {
      if (seen.has(e.target)) return false;
      seen.add(e.target);
      return true;
    });
  }

  private unresolved(what: string, where: string, why: string): void {
    this.ctx.unresolved.push({ what, where, why });
  }

  private async importEdges(imp: PyImport, name: string, entry: ModuleEntry, file: string, out: Edge[]): Promise<void> {
    const mods = importedModules(imp, name, entry.isPackage);
    const where = `${file}:${imp.line}`;
    if (mods.length === 0) {
      if (imp.level > 0) this.unresolved(`from ${".".repeat(imp.level)}${imp.module} import ...`, where, "a relative import that climbs above the top-level package (ImportError at run time)");
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
    const { index } = this.ctx;
    if (index.resolve(module) !== null) {
      out.push({ target: module, line });
      return true;
    }
    // Not here: third-party, unless its parent is a regular first-party package (then it is missing).
    const dot = module.lastIndexOf(".");
    const parent = dot < 0 ? null : index.resolve(module.slice(0, dot));
    if (parent !== null && parent.file !== null) {
      this.unresolved(module, `${file}:${line}`, `no module ${module} in the repository (ImportError at run time?)`);
      return false;
    }
    out.push({ target: module, line });
    return true;
  }

  private async fromName(pkg: string, name: string, line: number, file: string, out: Edge[]): Promise<void> {
    const { index } = this.ctx;
    const where = `${file}:${line}`;
    const sub = `${pkg}.${name}`;
    const pkgEntry = index.resolve(pkg);
    if (pkgEntry === null) {
      if (this.ctx.wantsThirdParty(sub)) out.push({ target: sub, line });
      return;
    }
    const subEntry = index.resolve(sub);
    if (pkgEntry.file === null) {
      if (subEntry !== null) out.push({ target: sub, line });
      return;
    }
    if (subEntry === null && !this.info(pkgEntry).hasGetattr) return; // a plain attribute
    const info = this.info(pkgEntry);
    if (info.bound.has(name) || (await this.assigned(pkgEntry, info)).has(name)) return;
    if (info.hasGetattr) {
      this.ctx.lazy.push({ package: pkg, name, where });
      for (const gi of info.getattrImports) {
        const provides = gi.binds.includes(name) || gi.modules.some((m) => m === sub || m.endsWith(`.${name}`));
        if (!provides) continue;
        for (const m of gi.modules) this.definite(m, line, file, out);
      }
    }
    if (subEntry !== null) out.push({ target: sub, line });
  }

  private async star(pkg: string, line: number, file: string, out: Edge[]): Promise<void> {
    const where = `${file}:${line}`;
    const entry = this.ctx.index.resolve(pkg);
    if (entry === null || entry.file === null) return;
    const facts = this.ctx.facts(entry.file);
    const all = facts?.all;
    if (!all) return;
    if (all.dynamic) this.unresolved(`from ${pkg} import *`, where, `${pkg}.__all__ is not a literal list; only its literal part is followed`);
    for (const name of all.names) await this.fromName(pkg, name, line, file, out);
  }

  private info(entry: ModuleEntry): PackageInfo {
    const hit = this.packages.get(entry.name);
    if (hit !== undefined) return hit;
    const facts = this.ctx.facts(entry.file as string);
    const info: PackageInfo = { bound: new Set(), assigned: null, hasGetattr: false, getattrImports: [] };
    if (facts !== undefined) {
      for (const f of facts.functions) {
        if (moduleScope(f.context)) info.bound.add(f.name);
        if (f.name === "__getattr__" && moduleScope(f.context)) info.hasGetattr = true;
      }
      for (const c of facts.classes) if (moduleScope(c.context)) info.bound.add(c.name);
      for (const imp of facts.imports) {
        // `from . import x` in the package binds x by importing the submodule: not an attribute of its own.
        const self = imp.kind === "from" && (imp.level === 1 ? imp.module === "" : imp.level === 0 && imp.module === entry.name);
        if (moduleScope(imp.context) && !self) for (const b of boundNames(imp)) info.bound.add(b);
        if (imp.context.kind === "function" && imp.context.scope === "__getattr__") {
          // Submodules it names count only when they exist (`from . import heavy`).
          const modules = importedModules(imp, entry.name, true)
            .filter((m) => !m.maybe || this.ctx.index.resolve(m.module) !== null)
            .map((m) => m.module);
          info.getattrImports.push({ modules, binds: boundNames(imp) });
        }
      }
      for (const call of facts.importCalls) {
        if (call.context.kind !== "function" || call.context.scope !== "__getattr__") continue;
        const target = resolveCallName(call.module, call.package, entry.name, true);
        if (target) info.getattrImports.push({ modules: [target], binds: [] });
      }
    }
    this.packages.set(entry.name, info);
    return info;
  }

  private async assigned(entry: ModuleEntry, info: PackageInfo): Promise<Set<string>> {
    if (info.assigned === null) {
      const stmts = await this.ctx.statements(entry.file as string);
      info.assigned = stmts === null ? new Set() : assignedNames(stmts);
    }
    return info.assigned;
  }
}
