/**
 * The startup roots of one revision, in the order `django.setup()` imports them: the settings
 * module (configured, or found with the layout: layout.ts), the classes its logging
 * configuration imports, and what the app registry imports for each installed app (with the
 * `ready()` edges of the configs it picks); or, with `startup_roots`, the listed modules
 * instead of the settings module; then the `extend_startup_roots`. A listed module that sets
 * `INSTALLED_APPS` is read as a settings module; any other is taken as an `INSTALLED_APPS`
 * entry, so `ready()` and the registration modules (`apps`, `models`, `admin`) are followed
 * from every root. Parent packages come before their modules.
 */
import { AppsReader, type AppsResult, type InstalledApp, type Root } from "./apps";
import type { Edge } from "./types";
import type { ModuleIndex } from "../python/module-index";
import { rootDirs } from "./layout";
import type { Revision } from "./revision";
import { type AppEntry, readDjangoSettings } from "./settings";
import { pushAll } from "../core/arrays";
import { scanPython } from "../python/scanner";

export interface Roots {
  settingsModule: string | null;
  /** Where the settings module was found. */
  settingsFrom: string | null;
  roots: Root[];
  /** The first-party installed apps (see InstalledApp). */
  apps: InstalledApp[];
  /** Startup edges from `ready()` methods, by the module defining them. */
  readyEdges: Map<string, Edge[]>;
  /** The settings' `ROOT_URLCONF`: where the first request starts (null when not set or not read). */
  urlconf: Root | null;
}

/** The most files `configureCalls` reads. */
const MAX_CONFIGURE_FILES = 50;

/**
 * `file:line` of each `django.conf.settings.configure(...)` call in the repository's
 * conftest.py and runtests.py files (shallowest first): settings a test run gives without a
 * settings module. Reads the calls the scanner records (a name bound by an import).
 */
async function configureCalls(rev: Revision): Promise<string[]> {
  const files = [...rev.paths].filter((p) => /(^|\/)(conftest|runtests)\.py$/.test(p)).sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
  const out: string[] = [];
  for (const file of files.slice(0, MAX_CONFIGURE_FILES)) {
    const bytes = await rev.bytes(file);
    if (bytes === null || !bytes.includes("configure")) continue;
    const facts = rev.facts(file) ?? scanPython(bytes);
    const settingsNames = new Set(["django.conf.settings"]);
    for (const imp of facts.imports) {
      if (imp.kind === "from" && imp.level === 0 && imp.module === "django.conf") for (const n of imp.names) if (n.name === "settings") settingsNames.add(n.asname ?? n.name);
    }
    for (const c of facts.calls) if (c.callee.endsWith(".configure") && settingsNames.has(c.callee.slice(0, -".configure".length))) out.push(`${file}:${c.line}`);
  }
  return out;
}

/** What the roots ask the app registry to populate: the settings' apps (null: unreadable) and the listed modules. */
interface Apps {
  installed: AppEntry[] | null;
  listed: AppEntry[];
}

export async function findRoots(rev: Revision): Promise<Roots> {
  const { config, layout } = rev;
  const out: Roots = { settingsModule: null, settingsFrom: null, roots: [], apps: [], readyEdges: new Map(), urlconf: null };
  const apps: Apps = { installed: [], listed: [] };
  if (config.startupRoots.length > 0) {
    for (const m of config.startupRoots) await listed(rev, m, "startup_roots", out, apps);
  } else if (layout.settings === null) {
    const configured = await configureCalls(rev);
    const given =
      configured.length === 0
        ? ""
        : ` Settings are given by settings.configure() at ${configured.join(", ")}, which the tool does not read (it reads a settings module): pass --settings with a module of the same settings, or set startup_roots to the apps it installs.`;
    rev.notes.push(`No settings module found (no DJANGO_SETTINGS_MODULE in manage.py, wsgi.py, asgi.py, celery.py or pytest's configuration): set settings_module or startup_roots. The startup graph is empty.${given}`);
  } else {
    const { module, where } = layout.settings;
    out.settingsModule = module;
    out.settingsFrom = where;
    out.roots.push({ module, reason: `settings module (${where})` });
    if (rev.index.resolve(module) === null) {
      rev.unresolved.push({ what: module, where, why: `the settings module is not in the repository under the source roots (${rootDirs(layout).join(", ")})${rootHint(module, rev.paths)}` });
    } else apps.installed = await readSettings(rev, module, out);
  }
  for (const m of config.extendStartupRoots) await listed(rev, m, "extend_startup_roots", out, apps);
  if (out.settingsModule === null && apps.listed.length === 0) return finish(out);

  const reader = new AppsReader({
    index: rev.index,
    facts: (p) => rev.facts(p),
    graphFacts: (p) => rev.graphFacts(p),
    statements: (p) => rev.statements(p),
    values: rev.values,
    edges: rev.edges,
  });
  const results: AppsResult[] = [];
  if (apps.installed === null) results.push(await reader.populate(null));
  const known = new Set((apps.installed ?? []).map((e) => e.entry));
  const entries = [...(apps.installed ?? []), ...apps.listed.filter((e) => !known.has(e.entry))];
  if (entries.length > 0 || apps.installed !== null) results.push(await reader.populate(entries));
  for (const r of results) {
    pushAll(out.roots, r.roots);
    pushAll(out.apps, r.apps);
    pushAll(rev.unresolved, r.unresolved);
    pushAll(rev.notes, r.notes);
    for (const [m, edges] of r.readyEdges) out.readyEdges.set(m, [...(out.readyEdges.get(m) ?? []), ...edges]);
  }
  return finish(out);
}

/** Reads a settings module: its logging roots are added; its INSTALLED_APPS returned (null: unreadable). */
async function readSettings(rev: Revision, module: string, out: Roots): Promise<AppEntry[] | null> {
  const info = await readDjangoSettings(module, rev.values);
  pushAll(rev.unresolved, info.unresolved);
  pushAll(rev.notes, info.notes);
  for (const l of info.loggingImports) out.roots.push({ module: objectModule(l.entry, rev.index), reason: `logging configuration imports ${l.entry} (${l.where})` });
  if (out.urlconf === null && info.rootUrlconf !== null) out.urlconf = { module: info.rootUrlconf.entry, reason: `ROOT_URLCONF at ${info.rootUrlconf.where}` };
  return info.installedApps;
}

/** A module listed in the configuration: a settings module (it sets INSTALLED_APPS) is read as one; any other is an app entry. */
async function listed(rev: Revision, module: string, key: string, out: Roots, apps: Apps): Promise<void> {
  const where = `${key} (configuration)`;
  out.roots.push({ module, reason: `listed in ${where}` });
  const file = rev.index.resolve(module)?.file;
  // Only a file naming INSTALLED_APPS can set it: the others' values are not read.
  const isSettings = typeof file === "string" && (await rev.bytes(file))?.includes("INSTALLED_APPS") === true && (await rev.values.read(module))?.bindings.has("INSTALLED_APPS") === true;
  if (!isSettings) {
    apps.listed.push({ entry: module, where });
    return;
  }
  if (out.settingsModule === null) {
    out.settingsModule = module;
    out.settingsFrom = where;
  }
  const installed = await readSettings(rev, module, out);
  if (installed === null) apps.installed = null;
  else if (apps.installed !== null) pushAll(apps.installed, installed);
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
