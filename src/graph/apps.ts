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
import type { ExecutionContext, PyClass, PyFileFacts } from "../python/types";
import type { Edge, EdgeResolver, Unresolved } from "./edges";
import type { Value } from "./literal";
import type { ModuleIndex } from "./module-index";
import { resolveRelative } from "./modules";
import type { AppEntry } from "./settings";
import type { Statement } from "./statements";
import { classAttributes, type ValueReader } from "./values";

export interface Root {
  module: string;
  reason: string;
}

export interface AppsSource {
  index: ModuleIndex;
  facts(path: string): PyFileFacts | undefined;
  statements(path: string): Promise<Statement[] | null>;
  values: ValueReader;
  edges: EdgeResolver;
}

export interface AppsResult {
  roots: Root[];
  /** Startup edges from `ready()` methods, by the module defining them. */
  readyEdges: Map<string, Edge[]>;
  unresolved: Unresolved[];
  notes: string[];
}

interface ClassRef {
  module: string;
  cls: PyClass;
}

type Found = ClassRef | { thirdParty: string } | null;

const ADMIN_ENTRIES = new Set(["django.contrib.admin", "django.contrib.admin.apps.AdminConfig"]);
const MAX_DEPTH = 8;

function moduleLevel(ctx: ExecutionContext): boolean {
  return ctx.atImport && ctx.scope === "";
}

export class AppsReader {
  private readonly attrs = new Map<string, Promise<Map<string, Map<string, Value>>>>();

  constructor(private readonly src: AppsSource) {}

  private factsOf(module: string): PyFileFacts | undefined {
    const e = this.src.index.resolve(module);
    return e?.file ? this.src.facts(e.file) : undefined;
  }

  /** The class `name` as seen in `module`: defined there, or imported into it by `from x import name`. */
  findClass(module: string, name: string, depth = 0): Found {
    const facts = this.factsOf(module);
    if (facts === undefined || depth > MAX_DEPTH) return null;
    const dot = name.indexOf(".");
    if (dot > 0) {
      // `apps.AppConfig`, `base.BaseConfig`: a module alias then a name.
      const target = this.importedModuleAlias(module, facts, name.slice(0, dot));
      if (target === null) return null;
      const rest = name.slice(dot + 1);
      if (this.src.index.resolve(target) === null) return { thirdParty: `${target}.${rest}` };
      return this.findClass(target, rest, depth + 1);
    }
    const cls = facts.classes.find((c) => c.qualname === name && moduleLevel(c.context));
    if (cls) return { module, cls };
    const entry = this.src.index.resolve(module);
    for (const imp of facts.imports) {
      if (imp.kind !== "from" || !moduleLevel(imp.context)) continue;
      const n = imp.names.find((x) => (x.asname ?? x.name) === name);
      if (!n) continue;
      const from = imp.level > 0 ? resolveRelative(module, entry?.isPackage ?? false, imp.level, imp.module) : imp.module;
      if (from === null) return null;
      if (this.src.index.resolve(from) === null) return { thirdParty: `${from}.${n.name}` };
      return this.findClass(from, n.name, depth + 1);
    }
    return null;
  }

  private importedModuleAlias(module: string, facts: PyFileFacts, alias: string): string | null {
    const entry = this.src.index.resolve(module);
    for (const imp of facts.imports) {
      if (!moduleLevel(imp.context)) continue;
      if (imp.kind === "import") {
        const n = imp.names[0];
        if ((n.asname ?? imp.module.split(".")[0]) === alias) return n.asname ? imp.module : alias;
      } else if (!imp.star) {
        const n = imp.names.find((x) => (x.asname ?? x.name) === alias);
        if (!n) continue;
        const from = imp.level > 0 ? resolveRelative(module, entry?.isPackage ?? false, imp.level, imp.module) : imp.module;
        return from === null ? null : from === "" ? n.name : `${from}.${n.name}`;
      }
    }
    return null;
  }

  /** Whether a class is an AppConfig subclass (third-party bases: named `...Config`). */
  isAppConfig(ref: ClassRef, depth = 0): boolean {
    if (depth > MAX_DEPTH) return false;
    for (const base of ref.cls.bases) {
      const last = base.slice(base.lastIndexOf(".") + 1);
      if (last === "AppConfig") return true;
      const found = this.findClass(ref.module, base);
      if (found === null) continue;
      if ("thirdParty" in found) {
        if (/Config$/.test(found.thirdParty)) return true;
      } else if (this.isAppConfig(found, depth + 1)) return true;
    }
    return false;
  }

  /** Whether a class is (or derives from) django.contrib.admin's autodiscovering AdminConfig. */
  private isAdminConfig(ref: ClassRef, depth = 0): boolean {
    for (const base of ref.cls.bases) {
      const found = this.findClass(ref.module, base);
      if (found !== null && "thirdParty" in found) {
        if (found.thirdParty === "django.contrib.admin.apps.AdminConfig") return true;
      } else if (found !== null && depth < MAX_DEPTH && this.isAdminConfig(found, depth + 1)) return true;
    }
    return false;
  }

  /** A class attribute, looked up through first-party base classes. */
  async attr(ref: ClassRef, key: string, depth = 0): Promise<Value | undefined> {
    let p = this.attrs.get(ref.module);
    if (p === undefined) {
      p = this.readAttrs(ref.module);
      this.attrs.set(ref.module, p);
    }
    const own = (await p).get(ref.cls.name)?.get(key);
    if (own !== undefined || depth > MAX_DEPTH) return own;
    for (const base of ref.cls.bases) {
      const found = this.findClass(ref.module, base);
      if (found !== null && !("thirdParty" in found)) {
        const v = await this.attr(found, key, depth + 1);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }

  private async readAttrs(module: string): Promise<Map<string, Map<string, Value>>> {
    const e = this.src.index.resolve(module);
    if (!e?.file) return new Map();
    const stmts = await this.src.statements(e.file);
    return stmts === null ? new Map() : classAttributes(stmts, await this.src.values.read(module));
  }

  /** The AppConfig subclasses `inspect.getmembers(apps_module)` would list (first-party ones). */
  candidates(appsModule: string): ClassRef[] {
    const facts = this.factsOf(appsModule);
    if (facts === undefined) return [];
    const out: ClassRef[] = [];
    const names = new Set<string>();
    for (const c of facts.classes) if (moduleLevel(c.context) && c.qualname === c.name) names.add(c.name);
    for (const imp of facts.imports) {
      if (imp.kind === "from" && !imp.star && moduleLevel(imp.context)) for (const n of imp.names) names.add(n.asname ?? n.name);
    }
    for (const n of names) {
      const found = this.findClass(appsModule, n);
      if (found === null || "thirdParty" in found) continue;
      if (this.isAppConfig(found) && !out.some((r) => r.cls === found.cls)) out.push(found);
    }
    return out;
  }

  /** Django's automatic choice among an `apps` module's configs; null means the base AppConfig. */
  async choose(appsModule: string, unresolved: Unresolved[]): Promise<ClassRef | null> {
    const cands = this.candidates(appsModule);
    const defaults: (boolean | null)[] = [];
    for (const c of cands) {
      const v = await this.attr(c, "default");
      defaults.push(v === undefined ? null : v.t === "const" ? Boolean(v.v) : null);
    }
    const notFalse = cands.filter((_, i) => defaults[i] !== false);
    if (notFalse.length === 1) return notFalse[0];
    const marked = cands.filter((_, i) => defaults[i] === true);
    if (marked.length === 1) return marked[0];
    if (marked.length > 1) {
      unresolved.push({ what: `${appsModule}`, where: this.src.index.resolve(appsModule)?.file ?? appsModule, why: `declares more than one default AppConfig (${marked.map((m) => m.cls.name).join(", ")}): RuntimeError in Django` });
    }
    return null;
  }

  /** Startup edges of a config's `ready()`: its own, else the nearest first-party base's. */
  async readyEdges(ref: ClassRef, out: Map<string, Edge[]>, depth = 0): Promise<void> {
    const facts = this.factsOf(ref.module);
    const entry = this.src.index.resolve(ref.module);
    if (facts === undefined || entry === null || depth > MAX_DEPTH) return;
    const qual = `${ref.cls.qualname}.ready`;
    if (facts.functions.some((f) => f.qualname === qual)) {
      const head = `class:${ref.cls.name}`;
      const inReady = (ctx: ExecutionContext) =>
        ctx.kind === "function" && ctx.frames[0] === head && ctx.frames[1] === "def:ready" && ctx.frames.slice(2).every((f) => !f.startsWith("def:") && f !== "lambda");
      const edges = await this.src.edges.edges(ref.module, entry, facts, inReady);
      if (edges.length > 0) out.set(ref.module, [...(out.get(ref.module) ?? []), ...edges]);
      return;
    }
    for (const base of ref.cls.bases) {
      const found = this.findClass(ref.module, base);
      if (found !== null && !("thirdParty" in found)) return this.readyEdges(found, out, depth + 1);
    }
  }

  /** Roots and `ready()` edges for the installed apps (null entries: read them from `apps.py` files). */
  async populate(entries: AppEntry[] | null): Promise<AppsResult> {
    const { index } = this.src;
    const res: AppsResult = { roots: [], readyEdges: new Map(), unresolved: [], notes: [] };
    if (entries === null) {
      entries = this.fallbackEntries();
      res.notes.push(
        `INSTALLED_APPS could not be read statically, so every package with an apps.py defining an AppConfig subclass is taken as installed (${entries.length} found).`,
      );
    }
    const phase1: Root[] = [];
    const models: Root[] = [];
    const admin: Root[] = [];
    const configs: ClassRef[] = [];
    const names: string[] = [];
    let autodiscover = false;
    for (const { entry, where } of entries) {
      const at = `INSTALLED_APPS entry "${entry}" (${where})`;
      if (ADMIN_ENTRIES.has(entry)) autodiscover = true;
      let name: string | null = null;
      let config: ClassRef | null = null;
      if (index.resolve(entry) !== null) {
        phase1.push({ module: entry, reason: at });
        const apps = `${entry}.apps`;
        if (index.resolve(apps) !== null) {
          phase1.push({ module: apps, reason: `apps submodule of installed app ${entry} (Django looks for its AppConfig)` });
          config = await this.choose(apps, res.unresolved);
        }
        const legacy = await this.legacyDefault(entry);
        if (legacy !== null) {
          res.notes.push(`${entry} sets default_app_config = "${legacy}" (read by Django < 4.1 only); its config is counted too.`);
          const found = this.classPath(legacy);
          if (found !== null) {
            phase1.push({ module: found.module, reason: `module of ${entry}.default_app_config` });
            configs.push(found);
          }
        }
        name = entry;
      } else {
        const cut = entry.lastIndexOf(".");
        const mod = cut > 0 ? entry.slice(0, cut) : "";
        if (cut > 0 && index.resolve(mod) !== null) {
          phase1.push({ module: mod, reason: `module of AppConfig ${entry}, ${at}` });
          const found = this.findClass(mod, entry.slice(cut + 1));
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
        if (this.isAdminConfig(config)) autodiscover = true;
        const v = await this.attr(config, "name");
        if (v?.t === "str") name = v.v;
        else if (v !== undefined) res.unresolved.push({ what: `${config.cls.name}.name`, where: `${index.resolve(config.module)?.file}:${v.line}`, why: v.t === "unknown" ? v.why : "not a string" });
        else if (name === null) res.unresolved.push({ what: `${config.cls.name}.name`, where, why: "the AppConfig sets no name (ImproperlyConfigured in Django)" });
      }
      if (name === null) continue;
      if (name !== entry) phase1.push({ module: name, reason: `AppConfig.name of ${at}` });
      names.push(name);
      if (index.resolve(`${name}.models`) !== null) models.push({ module: `${name}.models`, reason: `models of installed app ${name}` });
    }
    for (const c of configs) await this.readyEdges(c, res.readyEdges);
    if (autodiscover) {
      for (const name of names) {
        if (index.resolve(`${name}.admin`) !== null) admin.push({ module: `${name}.admin`, reason: `admin module of ${name} (django.contrib.admin autodiscovery)` });
      }
    }
    res.roots.push(...phase1, ...models, ...admin);
    return res;
  }

  private classPath(path: string): ClassRef | null {
    const cut = path.lastIndexOf(".");
    if (cut <= 0) return null;
    const found = this.findClass(path.slice(0, cut), path.slice(cut + 1));
    return found === null || "thirdParty" in found ? null : found;
  }

  private async legacyDefault(entry: string): Promise<string | null> {
    const facts = this.factsOf(entry);
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
      if (this.candidates(mod).length > 0) out.push({ entry: mod.slice(0, -5), where: path });
    }
    return out.sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
  }
}
