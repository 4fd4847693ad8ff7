/**
 * One revision's startup graph: index the modules, find the startup roots (configured, or
 * the settings module, its logging classes and its installed apps), then walk the imports
 * that run from them.
 */
import type { Config } from "../config/types";
import type { PyFileFacts } from "../python/types";
import { AppsReader, type Root } from "./apps";
import { discoverSettings, pickSettings } from "./discover";
import { type Edge, EdgeResolver, heavyNames, type LazyAccess, type Unresolved } from "./edges";
import { ModuleIndex } from "./module-index";
import { reach } from "./reach";
import { readDjangoSettings } from "./settings";
import { ReachedGraph } from "./startup-graph";
import { readStatements, type Statement } from "./statements";
import { ValueReader } from "./values";

export interface RevisionInput {
  /** The revision's Python files (`.py`, `.pyi`), repo-relative. */
  paths: string[];
  facts: Map<string, PyFileFacts>;
  /** Files that were not scanned, with why. */
  skipped: Map<string, string>;
  read(path: string): Promise<Buffer | null>;
  config: Config;
}

function ancestorsFirst(roots: Root[]): Root[] {
  const out: Root[] = [];
  const seen = new Set<string>();
  for (const r of roots) {
    const parts = r.module.split(".");
    for (let i = 1; i < parts.length; i++) {
      const pkg = parts.slice(0, i).join(".");
      if (!seen.has(pkg)) {
        seen.add(pkg);
        out.push({ module: pkg, reason: `parent package of ${r.module}` });
      }
    }
    if (!seen.has(r.module)) {
      seen.add(r.module);
      out.push(r);
    }
  }
  return out;
}

/** The module an object path (`pkg.mod.Class`) imports: the longest prefix that is a module here, else all but the last part. */
export function objectModule(path: string, index: ModuleIndex): string {
  if (index.resolve(path) !== null) return path;
  const parts = path.split(".");
  for (let i = parts.length - 1; i >= 1; i--) {
    const m = parts.slice(0, i).join(".");
    if (index.resolve(m) !== null) return m;
  }
  return parts.length > 1 ? parts.slice(0, -1).join(".") : path;
}

export async function buildStartupGraph(rev: RevisionInput): Promise<ReachedGraph> {
  const { config } = rev;
  const index = new ModuleIndex(rev.paths, config.sourceRoots);
  const unresolved: Unresolved[] = [];
  const notes: string[] = [];
  const lazy: LazyAccess[] = [];
  const facts = (p: string) => rev.facts.get(p);
  const stmtCache = new Map<string, Promise<Statement[] | null>>();
  const statements = (p: string): Promise<Statement[] | null> => {
    let s = stmtCache.get(p);
    if (s === undefined) {
      s = rev.read(p).then((b) => (b === null ? null : readStatements(b)));
      stmtCache.set(p, s);
    }
    return s;
  };
  const edges = new EdgeResolver({ index, facts, statements, unresolved, lazy, wantsThirdParty: heavyNames(config.heavyModules) });
  const values = new ValueReader({
    index,
    statements,
    allOf: (p) => {
      const all = facts(p)?.all;
      return all && !all.dynamic ? all.names : null;
    },
  });

  const roots: Root[] = [];
  let readyEdges = new Map<string, Edge[]>();
  let settingsModule: string | null = null;
  if (config.startupRoots.length > 0) {
    for (const m of config.startupRoots) roots.push({ module: m, reason: "listed in startup_roots (configuration)" });
  } else {
    let settingsWhere = "settings_module (configuration)";
    if (config.settingsModule !== null) settingsModule = config.settingsModule;
    else {
      const found = await discoverSettings({ paths: index.paths(), read: rev.read, facts });
      const { chosen, others } = pickSettings(found, index);
      if (chosen !== null) {
        settingsModule = chosen.module;
        settingsWhere = `DJANGO_SETTINGS_MODULE at ${chosen.where}`;
      }
      if (others.length > 0) notes.push(`Other settings modules are named too (${others.map((o) => `${o.module} at ${o.where}`).join(", ")}); the graph uses ${settingsModule}. Set settings_module to choose.`);
    }
    if (settingsModule === null) {
      notes.push("No settings module found (no DJANGO_SETTINGS_MODULE in manage.py, wsgi.py, asgi.py or celery.py): set settings_module or startup_roots. The startup graph is empty.");
    } else {
      roots.push({ module: settingsModule, reason: `settings module (${settingsWhere})` });
      if (index.resolve(settingsModule) === null) {
        unresolved.push({ what: settingsModule, where: settingsWhere, why: `the settings module is not in the repository under the source roots (${config.sourceRoots.join(", ")})` });
      }
      const info = await readDjangoSettings(settingsModule, values);
      unresolved.push(...info.unresolved);
      notes.push(...info.notes);
      for (const l of info.loggingImports) roots.push({ module: objectModule(l.entry, index), reason: `logging configuration imports ${l.entry} (${l.where})` });
      if (info.values !== null) {
        const apps = await new AppsReader({ index, facts, statements, values, edges }).populate(info.installedApps);
        roots.push(...apps.roots);
        unresolved.push(...apps.unresolved);
        notes.push(...apps.notes);
        readyEdges = apps.readyEdges;
      }
    }
  }

  const ordered = ancestorsFirst(roots);
  let edgeCount = 0;
  const reported = new Set<string>();
  const reached = await reach(
    ordered.map((r) => r.module),
    async (module) => {
      const entry = index.resolve(module);
      let out: Edge[] = [];
      if (entry !== null && entry.file !== null) {
        const why = rev.skipped.get(entry.file);
        const f = facts(entry.file);
        if (why !== undefined && !reported.has(entry.file)) {
          reported.add(entry.file);
          unresolved.push({ what: module, where: entry.file, why: `${why}; its imports are not followed` });
        } else if (f !== undefined) out = await edges.edges(module, entry, f);
      }
      const extra = readyEdges.get(module);
      if (extra !== undefined) out = out.concat(extra);
      edgeCount += out.length;
      return out;
    },
  );
  return new ReachedGraph({
    settingsModule,
    roots: ordered,
    reached,
    fileOf: (m) => {
      const e = index.resolve(m);
      return e === null ? undefined : e.file;
    },
    unresolved,
    notes,
    lazy,
    stats: { files: index.fileCount, modules: reached.names.length, edges: edgeCount },
  });
}
