/**
 * The startup roots of one revision, in the order `django.setup()` imports them: the
 * configured `startup_roots`; else the settings module (configured, or named by manage.py &
 * co.), the classes its logging configuration imports, and what the app registry imports for
 * each installed app (with the `ready()` edges of the configs it picks). Parent packages come
 * before their modules.
 */
import { AppsReader, type Root } from "./apps";
import { discoverSettings, pickSettings } from "./discover";
import type { Edge } from "./edges";
import type { ModuleIndex } from "./module-index";
import type { Revision } from "./revision";
import { readDjangoSettings } from "./settings";

export interface Roots {
  settingsModule: string | null;
  roots: Root[];
  /** Startup edges from `ready()` methods, by the module defining them. */
  readyEdges: Map<string, Edge[]>;
}

export async function findRoots(rev: Revision): Promise<Roots> {
  const { config, index } = rev;
  const out: Roots = { settingsModule: null, roots: [], readyEdges: new Map() };
  if (config.startupRoots.length > 0) {
    for (const m of config.startupRoots) out.roots.push({ module: m, reason: "listed in startup_roots (configuration)" });
    return finish(out);
  }
  let where = "settings_module (configuration)";
  let settings = config.settingsModule;
  if (settings === null) {
    const found = await discoverSettings({ paths: index.paths(), read: (p) => rev.bytes(p), facts: (p) => rev.facts(p) });
    const { chosen, others } = pickSettings(found, index);
    if (chosen !== null) {
      settings = chosen.module;
      where = `DJANGO_SETTINGS_MODULE at ${chosen.where}`;
    }
    if (others.length > 0) rev.notes.push(`Other settings modules are named too (${others.map((o) => `${o.module} at ${o.where}`).join(", ")}); the graph uses ${settings}. Set settings_module to choose.`);
  }
  if (settings === null) {
    rev.notes.push("No settings module found (no DJANGO_SETTINGS_MODULE in manage.py, wsgi.py, asgi.py or celery.py): set settings_module or startup_roots. The startup graph is empty.");
    return finish(out);
  }
  out.settingsModule = settings;
  out.roots.push({ module: settings, reason: `settings module (${where})` });
  if (index.resolve(settings) === null) {
    rev.unresolved.push({ what: settings, where, why: `the settings module is not in the repository under the source roots (${config.sourceRoots.join(", ")})${rootHint(settings, rev.paths)}` });
    return finish(out);
  }
  const info = await readDjangoSettings(settings, rev.values);
  rev.unresolved.push(...info.unresolved);
  rev.notes.push(...info.notes);
  for (const l of info.loggingImports) out.roots.push({ module: objectModule(l.entry, index), reason: `logging configuration imports ${l.entry} (${l.where})` });
  const apps = await new AppsReader({
    index,
    facts: (p) => rev.facts(p),
    graphFacts: (p) => rev.graphFacts(p),
    statements: (p) => rev.statements(p),
    values: rev.values,
    edges: rev.edges,
  }).populate(info.installedApps);
  out.roots.push(...apps.roots);
  rev.unresolved.push(...apps.unresolved);
  rev.notes.push(...apps.notes);
  out.readyEdges = apps.readyEdges;
  return finish(out);
}

/** `; src/x/settings.py would be it with source_roots = ["src"]` when the module is in another directory. */
function rootHint(module: string, paths: ReadonlySet<string>): string {
  const rel = module.split(".").join("/");
  for (const p of paths) {
    for (const tail of [`/${rel}.py`, `/${rel}/__init__.py`]) {
      if (p.endsWith(tail)) return `; ${p} would be it with source_roots = ["${p.slice(0, p.length - tail.length)}"]`;
    }
  }
  return "";
}

function finish(out: Roots): Roots {
  const ordered: Root[] = [];
  const seen = new Set<string>();
  for (const r of out.roots) {
    const parts = r.module.split(".");
    for (let i = 1; i < parts.length; i++) {
      const pkg = parts.slice(0, i).join(".");
      if (!seen.has(pkg)) {
        seen.add(pkg);
        ordered.push({ module: pkg, reason: `parent package of ${r.module}` });
      }
    }
    if (!seen.has(r.module)) {
      seen.add(r.module);
      ordered.push(r);
    }
  }
  out.roots = ordered;
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
