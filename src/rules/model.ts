/**
 * The semantic model every rule asks: both revisions of the changed files, every Python
 * module at head (and base, by swapping in the changed files' base versions), module names,
 * and (when built) the startup graphs. Rules are thin queries over this; they never read
 * files or know where the change came from.
 */
import type { Config } from "../config";
import { isTestFile } from "../config";
import type { ChainLink, ChangeStatus } from "../core/types";
import { ClassResolver } from "../graph/app-configs";
import type { InstalledApp } from "../graph/apps";
import { importedModules, moduleForPath, type ModuleName, pathsForModule } from "../python/modules";
import type { PyFileFacts, PyImport } from "../python/types";
import type { ImportCost } from "../source/importtime";
import type { Statement } from "../python/statements";
import type { GraphFacts } from "../facts/codec";

/** What the rules ask of a startup graph (see src/graph). */
export interface StartupGraphView {
  /** The first-party installed apps (module, entry, the AppConfig class Django picks). */
  apps: readonly InstalledApp[];
  /** What the graph could not resolve statically (INSTALLED_APPS parts, computed imports...). */
  unresolved: readonly { what: string; where: string; why: string; phase?: "first-request" }[];
  settingsModule: string | null;
  /** Shortest chain from a startup root to `module`, or null when setup does not import it. */
  chainTo(module: string): ChainLink[] | null;
  /** Shortest chain to any imported module equal to `prefix` or under it. */
  chainToPrefix(prefix: string): ChainLink[] | null;
  /** First-party modules setup reaches only through `module`. */
  dominatedCount(module: string): number;
  /** Every module setup imports, breadth-first, with its shortest chain. */
  modules(): { name: string; firstParty: boolean; file: string | null; chain: ChainLink[] }[];
  /** The startup roots, in the order django.setup() imports them. */
  readonly roots?: readonly { module: string; reason: string }[];
  /** Where the first request starts (ROOT_URLCONF), or null. */
  readonly firstRequest: { module: string; reason: string } | null;
  /** Whether setup imports `module`, or only the first request does (web processes only), with the chain; null for neither. */
  reachedBy(module: string): { phase: "setup" | "first-request"; chain: ChainLink[] } | null;
  /** The modules only the first request imports, each chain starting at the URLconf. */
  firstRequestModules(): { name: string; firstParty: boolean; chain: ChainLink[] }[];
}

export interface FileVersion {
  path: string;
  facts: PyFileFacts;
  module: ModuleName | null;
  /** Source lines (for pragmas and fix suggestions). */
  lines: string[];
  /** The file's bytes, for what the scanner's facts do not hold (e.g. every name it binds: python/bindings.ts). */
  source: Uint8Array;
}

export interface FileChangeModel {
  path: string;
  oldPath: string | null;
  status: ChangeStatus;
  base: FileVersion | null;
  head: FileVersion | null;
  /** Head lines the change added. */
  added: ReadonlySet<number>;
  patchMissing: boolean;
}

export class RepoSide {
  private resolver: ClassResolver | null = null;

  constructor(
    readonly name: "base" | "head",
    /** Every Python file at this revision: path -> facts. */
    readonly files: ReadonlyMap<string, PyFileFacts>,
    /** The directories module names are read under at this revision (the graph's source roots). */
    readonly sourceRoots: readonly string[],
    /** The startup graph of this revision, when one was built. */
    readonly graph: StartupGraphView | null,
    /** Files that may refer to a module (the others certainly do not name it); default: every file. */
    private readonly naming?: (module: string) => Promise<Iterable<string>>,
    /** A file's statements at this revision (module-level assignments), read on demand; null when unreadable. */
    readonly statements?: (path: string) => Promise<readonly Statement[] | null>,
    /** A result derived from this revision alone, kept per repository state (see Graphs.stored); default: computed each time. */
    readonly stored?: (name: string, compute: () => Promise<unknown>) => Promise<unknown>,
  ) {}

  /** Files whose text may refer to `module` (import it, or name it in a string): a superset, never a file short. */
  async filesNaming(module: string): Promise<Iterable<string>> {
    return (await this.naming?.(module)) ?? this.files.keys();
  }

  /** A file's imports (and `__all__`) alone: cheaper than its full facts when the facts map keeps them apart. */
  importFacts(path: string): Pick<PyFileFacts, "imports" | "importCalls" | "all"> | undefined {
    const g = (this.files as { graph?: (key: string) => GraphFacts | undefined }).graph?.(path) ?? this.files.get(path);
    return g === undefined ? undefined : { imports: g.imports, importCalls: g.importCalls, all: g.all };
  }

  /** The file defining `module` at this revision; a package (`a/b/__init__.py`) wins over a same-named `a/b.py`. */
  moduleFile(module: string): string | null {
    let found: string | null = null;
    for (const path of pathsForModule(module, this.sourceRoots)) {
      // Under nested source roots a path can name another module (`src/a.py` is `a` when `src` is a root).
      if (!this.files.has(path) || moduleForPath(path, this.sourceRoots)?.module !== module) continue;
      if (path.endsWith("/__init__.py")) return path; // a package (directory) shadows a same-named module file, as CPython's path finder does
      found ??= path;
    }
    return found;
  }

  /** Classes of this revision, found through imports as Python would (see ClassResolver). */
  get classes(): ClassResolver {
    this.resolver ??= new ClassResolver({
      resolve: (module) => {
        const file = this.moduleFile(module);
        return file === null ? null : { file, isPackage: file === "__init__.py" || file.endsWith("/__init__.py") };
      },
      facts: (path) => this.files.get(path),
    });
    return this.resolver;
  }

  moduleOf(path: string): ModuleName | null {
    return moduleForPath(path, this.sourceRoots);
  }

  /** The most specific module an import statement brings in (its last target). */
  mainTargets(path: string, imp: PyImport): string[] {
    const mod = this.moduleOf(path);
    const all = importedModules(imp, mod?.module ?? null, mod?.isPackage ?? false);
    const definite = all.filter((t) => !t.maybe);
    const base = definite.length > 0 ? [definite[definite.length - 1].module] : [];
    const subs = all.filter((t) => t.maybe && this.moduleFile(t.module) !== null).map((t) => t.module);
    return subs.length > 0 ? subs : base;
  }
}

export interface ReviewModel {
  config: Config;
  /** Module import costs from the configured `python -X importtime` log (empty without one). */
  importCosts: ReadonlyMap<string, ImportCost>;
  /** Changed Python files (added, modified, deleted, renamed), in a stable order. */
  changes: FileChangeModel[];
  head: RepoSide;
  base: RepoSide;
}

/** Files Django imports during `django.setup()` by convention, whatever the graph says. */
export function isCertainlyOnStartup(path: string): boolean {
  const p = `/${path}`;
  return (
    /\/(apps|models|admin)\.py$/.test(p) ||
    /\/models\/[^]*\.py$/.test(p) ||
    /\/settings(\/[^]*)?\.py$/.test(p) ||
    /\/settings_[^/]*\.py$/.test(p)
  );
}

/** A file that may be on the startup path: any non-test module (until a graph says otherwise). */
export function mayBeOnStartup(config: Config, path: string): boolean {
  return !isTestFile(config, path) && !/(^|\/)(migrations|management\/commands)\//.test(path) && !path.endsWith("/conftest.py");
}

/** True for `ready` methods of AppConfig classes: Django calls them during setup. */
export function isReadyScope(facts: PyFileFacts, path: string, scope: string): boolean {
  const dot = scope.indexOf(".");
  if (dot < 0 || scope.slice(dot + 1) !== "ready") return false;
  const cls = facts.classes.find((c) => c.qualname === scope.slice(0, dot));
  if (cls === undefined) return false;
  return path.endsWith("apps.py") || cls.bases.some((b) => /(^|\.)\w*AppConfig$/.test(b));
}

export interface SetupImport {
  imp: PyImport;
  /** "module" for module-level import-time execution, "ready" for AppConfig.ready(). */
  via: "module" | "ready";
}

/** Imports that run during django.setup() if this file is imported then: import-time ones and those in AppConfig.ready(). */
export function setupTimeImports(facts: PyFileFacts, path: string): SetupImport[] {
  const out: SetupImport[] = [];
  for (const imp of facts.imports) {
    if (imp.context.atImport) out.push({ imp, via: "module" });
    else if (imp.context.kind === "function" && isReadyScope(facts, path, imp.context.scope)) out.push({ imp, via: "ready" });
  }
  return out;
}
