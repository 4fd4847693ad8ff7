/**
 * What `apps.populate(INSTALLED_APPS)` imports, per Django's `AppConfig.create`:
 *
 * 1. each entry: a module (`"shop"`) or an AppConfig class path (`"shop.apps.ShopConfig"`,
 *    whose module is imported); for a module entry, its `apps` submodule when it exists,
 *    where the AppConfig subclass is chosen automatically (the only one not marked
 *    `default = False`, else the only one marked `default = True`, else the base AppConfig);
 *    then the module named by the config's `name`;
 * 2. each app's `models` submodule;
 * 3. each chosen config's `ready()` (its own, else the nearest first-party base class's),
 *    whose imports become startup edges from the config's module; and, when
 *    `django.contrib.admin`'s default config is installed, every app's `admin` submodule.
 * First-party classes are resolved through module-level `from x import Name` imports.
 */
import { AppConfigs, type ClassRef, type ClassSource } from "./app-configs";
import type { Edge, Unresolved } from "./types";
import type { AppEntry } from "./settings";
import { pushAll } from "../core/arrays";

export interface Root {
  module: string;
  reason: string;
}

export type AppsSource = ClassSource;

/** An installed app as the registry sees it: its label module (`AppConfig.name`) and the config Django picks. */
export interface InstalledApp {
  /** The app's module (`AppConfig.name`). */
  name: string;
  /** The INSTALLED_APPS entry, and where it is (or why it was guessed). */
  entry: string;
  where: string;
  guessed: boolean;
  /** The first-party AppConfig class Django uses; null: the base AppConfig (no subclass, or a third-party one). */
  config: { module: string; cls: string; line: number } | null;
}

export interface AppsResult {
  roots: Root[];
  /** The first-party installed apps whose name was read (third-party entries are left out). */
  apps: InstalledApp[];
  /** Startup edges from `ready()` methods, by the module defining them. */
  readyEdges: Map<string, Edge[]>;
  unresolved: Unresolved[];
  notes: string[];
}

const ADMIN_ENTRIES = new Set(["django.contrib.admin", "django.contrib.admin.apps.AdminConfig"]);

export class AppsReader {
  private readonly configs: AppConfigs;

  constructor(private readonly src: AppsSource) {
    this.configs = new AppConfigs(src);
  }

  /** Roots and `ready()` edges for the installed apps (null entries: read them from `apps.py` files). */
  async populate(entries: AppEntry[] | null): Promise<AppsResult> {
    const { index } = this.src;
    const res: AppsResult = { roots: [], apps: [], readyEdges: new Map(), unresolved: [], notes: [] };
    if (entries === null) {
      // Nothing of INSTALLED_APPS is known: guess (and say so). A partly read list is never replaced.
      entries = this.fallbackEntries();
      res.notes.push(
        `INSTALLED_APPS could not be read statically, so every package with an apps.py defining an AppConfig subclass is taken as installed (${entries.length} found, each marked guessed).`,
      );
    }
    const phase1: Root[] = [];
    const models: Root[] = [];
    const admin: Root[] = [];
    const configs: ClassRef[] = [];
    const names: string[] = [];
    let autodiscover = false;
    let legacyConfig: ClassRef | null = null;
    for (const { entry, where, guessed } of entries) {
      const at = guessed === undefined ? `INSTALLED_APPS entry "${entry}" (${where})` : `guessed app "${entry}" (${guessed})`;
      if (ADMIN_ENTRIES.has(entry)) autodiscover = true;
      let name: string | null = null;
      let config: ClassRef | null = null;
      legacyConfig = null;
      if (index.resolve(entry) !== null) {
        phase1.push({ module: entry, reason: at });
        const apps = `${entry}.apps`;
        if (index.resolve(apps) !== null) {
          phase1.push({ module: apps, reason: `apps submodule of installed app ${entry} (Django looks for its AppConfig)` });
          config = await this.configs.choose(apps, res.unresolved);
        }
        const legacy = await this.legacyDefault(entry);
        if (legacy !== null) {
          res.notes.push(`${entry} sets default_app_config = "${legacy}" (read by Django < 4.1 only); its config is counted too.`);
          const found = this.configs.classPath(legacy);
          if (found !== null) {
            phase1.push({ module: found.module, reason: `module of ${entry}.default_app_config` });
            configs.push(found);
            legacyConfig = found;
          }
        }
        name = entry;
      } else {
        const cut = entry.lastIndexOf(".");
        const mod = cut > 0 ? entry.slice(0, cut) : "";
        if (cut > 0 && index.resolve(mod) !== null) {
          phase1.push({ module: mod, reason: `module of AppConfig ${entry}, ${at}` });
          const found = this.configs.findClass(mod, entry.slice(cut + 1));
          if (found === null || "thirdParty" in found) {
            if (found === null) res.unresolved.push({ what: entry, where, why: `no class ${entry.slice(cut + 1)} in ${mod}` });
          } else config = found;
        } else {
          // Third-party: a module, or (by its capitalised last part) a class path.
          const last = entry.slice(cut + 1);
          const module = cut > 0 && /^[A-Z]/.test(last) ? mod : entry;
          phase1.push({ module, reason: at });
          if (module === entry) names.push(entry);
          continue;
        }
      }
      if (config !== null) {
        configs.push(config);
        if (this.configs.isAdminConfig(config)) autodiscover = true;
        const v = await this.configs.attr(config, "name");
        if (v?.t === "str") name = v.v;
        else if (v !== undefined) res.unresolved.push({ what: `${config.cls.name}.name`, where: `${index.resolve(config.module)?.file}:${v.line}`, why: v.t === "unknown" ? v.why : "not a string" });
        else if (name === null) res.unresolved.push({ what: `${config.cls.name}.name`, where, why: "the AppConfig sets no name (ImproperlyConfigured in Django)" });
      }
      if (name === null) continue;
      const used = config ?? legacyConfig;
      res.apps.push({ name, entry, where, guessed: guessed !== undefined, config: used === null ? null : { module: used.module, cls: used.cls.qualname, line: used.cls.line } });
      if (name !== entry) phase1.push({ module: name, reason: `AppConfig.name of ${at}` });
      names.push(name);
      if (index.resolve(`${name}.models`) !== null) models.push({ module: `${name}.models`, reason: `models of installed app ${name}` });
    }
    for (const c of configs) await this.configs.readyEdges(c, res.readyEdges);
    if (autodiscover) {
      for (const name of names) {
        if (index.resolve(`${name}.admin`) !== null) admin.push({ module: `${name}.admin`, reason: `admin module of ${name} (django.contrib.admin autodiscovery)` });
      }
    }
    for (const part of [phase1, models, admin]) pushAll(res.roots, part);
    return res;
  }

  private async legacyDefault(entry: string): Promise<string | null> {
    const facts = this.configs.factsOf(entry);
    if (facts === undefined || !facts.dottedStrings.length) return null;
    const v = (await this.src.values.read(entry))?.bindings.get("default_app_config")?.value;
    return v?.t === "str" ? v.v : null;
  }

  private fallbackEntries(): AppEntry[] {
    const { index } = this.src;
    const out: AppEntry[] = [];
    for (const path of index.paths()) {
      if (!path.endsWith("/apps.py")) continue;
      const mod = index.moduleOf(path);
      if (mod === null || !mod.endsWith(".apps")) continue;
      if (this.configs.candidates(mod).length > 0) out.push({ entry: mod.slice(0, -5), where: path, guessed: `INSTALLED_APPS could not be read; ${path} defines an AppConfig` });
    }
    return out.sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
  }
}
