/** `registration-never-connected`: its docs are `meta.docs` below (docs/rules.md is generated from them). */
import type { InstalledApp } from "../graph/apps";
import type { DjangoModel } from "./django-models";
import { mayBeOnStartup, type FileChangeModel, type RepoSide, type ReviewModel, type StartupGraphView } from "./model";
import { type Effects, effectDetails, effectsOf } from "./registrations";
import { defineRule, type RawFinding } from "./rule";

const NOQA = "  # noqa: F401";

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function parentOf(module: string): string {
  const i = module.lastIndexOf(".");
  return i < 0 ? "" : module.slice(0, i);
}

function under(module: string, pkg: string): boolean {
  return module === pkg || module.startsWith(`${pkg}.`);
}

/** `from . import x` / `from .a import x` when `target` is below the importer's package, else absolute. */
function importLine(importerPkg: string, target: string, names: string[] | null): string {
  const holder = names === null ? parentOf(target) : target;
  const what = names === null ? target.slice(target.lastIndexOf(".") + 1) : names.join(", ");
  if (holder === "" && names === null) return `import ${target}${NOQA}`;
  if (importerPkg !== "" && under(holder, importerPkg)) return `from .${holder.slice(importerPkg.length + 1)} import ${what}${NOQA}`;
  return `from ${holder} import ${what}${NOQA}`;
}

/** The registrations the head adds: at import time, and not already in the file's base version. */
async function added(model: ReviewModel, change: FileChangeModel, module: string): Promise<Effects | null> {
  const head = change.head;
  if (head === null) return null;
  const decorators = model.config.receiverDecorators;
  const now = await effectsOf(model.head, module, change.path, head.facts, decorators);
  const before = change.base === null ? null : await effectsOf(model.base, change.base.module?.module ?? module, change.base.path, change.base.facts, decorators);
  const keys = new Set(before === null ? [] : [...before.receivers, ...before.admin].map((r) => r.key));
  const models = new Set(before?.models.map((m) => m.name) ?? []);
  const effects: Effects = {
    receivers: now.receivers.filter((r) => r.context.atImport && !keys.has(r.key)),
    models: now.models.filter((m) => !models.has(m.name)),
    admin: now.admin.filter((r) => r.context.atImport && !keys.has(r.key)),
  };
  return effects.receivers.length + effects.models.length + effects.admin.length === 0 ? null : effects;
}

function consequence(e: Effects): string {
  const parts: string[] = [];
  if (e.receivers.length) parts.push(`${plural(e.receivers.length, "signal receiver", "signal receivers")} never connect${e.receivers.length === 1 ? "s" : ""}`);
  if (e.models.length) parts.push(`${plural(e.models.length, "model", "models")} (${e.models.map((m) => m.name).join(", ")}) never register${e.models.length === 1 ? "s" : ""}`);
  if (e.admin.length) parts.push(`${plural(e.admin.length, "admin registration", "admin registrations")} never run${e.admin.length === 1 ? "s" : ""}`);
  return parts.join(", ");
}

/**
 * Why the graph cannot say for certain that setup never imports a module: no graph, INSTALLED_APPS
 * (or an app's name) partly unknown, imports whose module name is computed at setup, or
 * Django's `autodiscover_modules()` called at setup. Null when it can.
 */
async function undecided(side: RepoSide): Promise<string | null> {
  const graph = side.graph;
  if (graph === null) return "no startup graph was built for the head";
  if (graph.settingsModule === null && graph.apps.length === 0) return "no settings module was found, so what django.setup() imports is unknown";
  const apps = graph.unresolved.filter((u) => /^(an )?INSTALLED_APPS( entry)?$/.test(u.what) || /\.name$/.test(u.what));
  if (apps.length > 0) return `INSTALLED_APPS is partly unknown (${apps.slice(0, 3).map((u) => `${u.what} at ${u.where}: ${u.why}`).join("; ")})`;
  const guessed = graph.apps.filter((a) => a.guessed);
  if (guessed.length > 0) return `INSTALLED_APPS could not be read, so the installed apps are guessed (${guessed.length} with an AppConfig)`;
  const computed = graph.unresolved.filter((u) => u.phase === undefined && /^(import_module|__import__|import_string)\(/.test(u.what));
  if (computed.length > 0) return `setup runs ${plural(computed.length, "import", "imports")} whose module name is computed at run time (${computed.slice(0, 3).map((u) => `${u.what} at ${u.where}`).join(", ")}), which may import it`;
  const web = graph.unresolved.filter((u) => u.phase === "first-request");
  if (web.length > 0) return `what the first request imports is partly unknown (${web.slice(0, 3).map((u) => `${u.what} at ${u.where}: ${u.why}`).join("; ")})`;
  // Django's autodiscover_modules() comes from django.utils.module_loading: only files naming it can call it.
  for (const file of await reachedFilesNaming(side, "django.utils.module_loading")) {
    const call = side.files.get(file)?.calls.find((c) => /(^|\.)autodiscover_modules$/.test(c.callee));
    if (call !== undefined) return `${file}:${call.line} calls autodiscover_modules() at setup, which imports a submodule of every installed app by name`;
  }
  return null;
}

/** Files setup or the first request imports whose text may name `module` (a superset: RepoSide.filesNaming). */
async function reachedFilesNaming(side: RepoSide, module: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of await side.filesNaming(module)) {
    const m = side.moduleOf(file);
    if (m !== null && side.files.has(file) && side.graph?.reachedBy(m.module)) out.push(file);
  }
  return out;
}

/** Calls that make a module a process's entry point (a server, a worker, manage.py). */
const ENTRY_CALLS = /^(django\.setup|(\w+\.)*(get_wsgi_application|get_asgi_application|execute_from_command_line))$/;
const ENTRY_FILES = /(^|\/)(manage|wsgi|asgi|celery)\.py$/;

/**
 * Why a process imports the module although no import setup runs names it: an entry point
 * (wsgi.py, asgi.py, manage.py, celery.py, a file calling django.setup() or
 * get_wsgi_application(), a script's `__main__` block), a template tag library of an installed
 * app (the template engine imports them all), an installed app's `tasks` module with Celery
 * (its workers autodiscover them), or a module named by a dotted string in the settings or
 * another module setup runs (MIDDLEWARE, WSGI_APPLICATION, AUTHENTICATION_BACKENDS...). Null: none.
 */
async function importedOtherwise(side: RepoSide, change: FileChangeModel, module: string, owner: InstalledApp | null): Promise<string | null> {
  const facts = change.head?.facts;
  if (facts === undefined) return null;
  if (ENTRY_FILES.test(change.path)) return "an entry point";
  if (facts.calls.some((c) => ENTRY_CALLS.test(c.callee))) return "an entry point";
  if ([...facts.imports, ...facts.calls].some((x) => x.context.kind === "main_guard")) return "a script";
  if (owner !== null && module.startsWith(`${owner.name}.templatetags.`)) return "a template tag library";
  if (owner !== null && module === `${owner.name}.tasks` && (side.graph?.chainToPrefix("celery") ?? null) !== null) return "a Celery tasks module";
  for (const file of await reachedFilesNaming(side, module)) {
    if (side.files.get(file)?.dottedStrings.some((d) => d.value === module || parentOf(d.value) === module)) return "named in settings";
  }
  return null;
}

/** The installed app a module belongs to: the one with the longest name the module is under. */
function ownerApp(graph: StartupGraphView | null, module: string): InstalledApp | null {
  let best: InstalledApp | null = null;
  for (const a of graph?.apps ?? []) if (under(module, a.name) && (best === null || a.name.length > best.name.length)) best = a;
  return best;
}

/** The deepest package holding `module` that looks like a Django app (an `apps.py`, or `module` is its models) and is deeper than `owner`. */
function uninstalledApp(side: RepoSide, module: string, owner: InstalledApp | null): string | null {
  const parts = module.split(".");
  for (let i = parts.length - 1; i >= 1; i--) {
    const pkg = parts.slice(0, i).join(".");
    if (owner !== null && !under(pkg, owner.name)) break;
    if (owner !== null && pkg === owner.name) break;
    if (side.moduleFile(`${pkg}.apps`) !== null || parts[i] === "models") return pkg;
  }
  return null;
}

function dirOf(side: RepoSide, pkg: string): string | null {
  const file = side.moduleFile(pkg);
  if (file === null) return null;
  return file.endsWith("__init__.py") ? file.slice(0, file.lastIndexOf("/") + 1) : null;
}

function configClassName(app: string): string {
  const last = app.slice(app.lastIndexOf(".") + 1);
  return `${last.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}Config`;
}

interface Fix {
  fix: string;
  fixCode: NonNullable<RawFinding["fixCode"]>;
}

/** The line for `ready()` of the app's config, or the code of a `ready()`, or of a whole apps.py. */
function readyFix(side: RepoSide, app: InstalledApp, module: string): Fix {
  const config = app.config;
  if (config !== null) {
    const file = side.moduleFile(config.module);
    const facts = file === null ? undefined : side.files.get(file);
    const pkg = file !== null && file.endsWith("__init__.py") ? config.module : parentOf(config.module);
    const line = importLine(pkg, module, null);
    const ready = facts?.functions.find((f) => f.qualname === `${config.cls}.ready`);
    if (file !== null && ready !== undefined) {
      return { fix: `Import it inside ${config.cls}.ready() (${file}:${ready.line}), the AppConfig Django uses for ${app.name}: \`${line}\`.`, fixCode: { path: file, language: "python", code: `        ${line}` } };
    }
    if (file !== null) {
      return {
        fix: `${config.cls} (${file}:${config.line}), the AppConfig Django uses for ${app.name}, has no ready() of its own: add one that imports it.`,
        fixCode: { path: file, language: "python", code: `    def ready(self):\n        super().ready()\n        ${line}` },
      };
    }
  }
  const dir = dirOf(side, app.name) ?? `${app.name.split(".").join("/")}/`;
  const path = `${dir}apps.py`;
  const line = importLine(app.name, module, null);
  const exists = side.files.has(path);
  const cls = configClassName(app.name);
  return {
    fix: `${app.name} has no AppConfig subclass of its own (INSTALLED_APPS entry "${app.entry}" at ${app.where}): ${exists ? `add one to ${path}` : `create ${path}`} whose ready() imports it (Django picks the only AppConfig subclass of an app's apps module).`,
    fixCode: { path, language: "python", code: `from django.apps import AppConfig\n\n\nclass ${cls}(AppConfig):\n    name = "${app.name}"\n\n    def ready(self):\n        ${line}` },
  };
}

/** The import to add to the app's models module (created when it has none). */
function modelsFix(side: RepoSide, app: InstalledApp, module: string, models: DjangoModel[]): Fix {
  const modelsModule = `${app.name}.models`;
  const file = side.moduleFile(modelsModule);
  const isPackage = file !== null && file.endsWith("__init__.py");
  const line = importLine(isPackage ? modelsModule : app.name, module, models.map((m) => m.name));
  if (file !== null) return { fix: `Import the models from ${app.name}'s models module (${file}), which Django imports at setup: \`${line}\`.`, fixCode: { path: file, language: "python", code: line } };
  const path = `${dirOf(side, app.name) ?? `${app.name.split(".").join("/")}/`}models.py`;
  return { fix: `${app.name} has no models module: create ${path} importing them (Django imports every installed app's models module at setup).`, fixCode: { path, language: "python", code: line } };
}

function settingsFile(side: RepoSide): string | null {
  const where = side.graph?.apps[0]?.where;
  if (where !== undefined && !side.graph?.apps[0]?.guessed) return where.replace(/:\d+$/, "");
  const s = side.graph?.settingsModule;
  return s ? side.moduleFile(s) : null;
}

export const registrationNeverConnected = defineRule({
  meta: {
    id: "registration-never-connected",
    defaultSeverity: "warn",
    docsAnchor: "registration-never-connected",
    short: "receivers/models/admin added where setup never imports them",
    docs: {
      what: "The change adds signal receivers, models or admin registrations to a module that neither django.setup() nor the first request imports (a new module, or one neither imported before either).",
      details:
        "Signal receivers (`@receiver`, the configured project decorators such as `@mutable_receiver`, `.connect(...)` at import time), Django models (not abstract ones) or admin registrations that the change adds to a module that neither `django.setup()` nor the first request (the URLconf and what it imports) imports: a new module, or one neither imported at the base either. A module they imported at the base is registrations lost, not never connected; one only the URLconf imports connects in web processes, which is not this rule's to say. Modules Django imports by convention are reached through the startup graph (an installed app's `apps`, `models` and, under admin autodiscovery, `admin`); other conventions are left alone: entry points (`wsgi.py`, `asgi.py`, `manage.py`, `celery.py`, files calling `django.setup()` or `get_wsgi_application()`, scripts' `__main__` blocks), template tag libraries of installed apps, their `tasks` modules under Celery, and modules named by a dotted string in the settings or another module setup or the first request runs (`MIDDLEWARE`, `WSGI_APPLICATION`...). Tests, migrations, management commands and `conftest.py` are not looked at: they run when their command or test runs.\n\n" +
        "The fix names the app that owns the module (the installed app with the longest name it is under) and the AppConfig Django picks for it: the import line for its `ready()`, or the `ready()` to add, or the whole `apps.py` when the app has no AppConfig of its own; models are imported from the app's models module instead. A module of a package that is not an installed app (its `apps.py` or `models` is there, the app is not in INSTALLED_APPS) gets its own message and the entry to add: its models cannot register. When no startup graph was built, INSTALLED_APPS is partly unknown, setup runs imports whose module name is computed, or what the first request imports is partly unknown, the finding says the rule could not decide and is capped at `message`.",
      why: "Receivers connect and models register only when their module is imported. A new signals.py that no AppConfig.ready() imports fails nowhere and never fires: Celery, Temporal, migrate, shell and the web process all run without it, and nothing says so.",
      fix: "Import the module from the ready() of the app that owns it (`from . import signals  # noqa: F401`); import models from the app's models module; add a missing app to INSTALLED_APPS.",
      example: {
        bad: "# products/alerts/backend/signals.py (new; nothing imports it)\n@receiver(post_save, sender=Alert)\ndef invalidate_alert_cache(sender, instance, **kwargs):\n    cache.delete(f\"alert:{instance.pk}\")",
        good: "# products/alerts/backend/apps.py\nclass AlertsConfig(AppConfig):\n    name = \"products.alerts.backend\"\n\n    def ready(self):\n        from . import signals  # noqa: F401",
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    const findings: RawFinding[] = [];
    const head = model.head;
    let cannot: string | null | undefined;
    for (const change of model.changes) {
      if (change.head === null || !mayBeOnStartup(model.config, change.path)) continue;
      const module = change.head.module?.module ?? null;
      if (module === null) continue;
      const effects = await added(model, change, module);
      if (effects === null) continue;
      // Imported at setup, or by the URLconf at the first request (web processes only: the
      // registrations-lost rule's business to say so, not this one's).
      if (head.graph?.reachedBy(module)) continue;
      // Reached at the base and no longer at the head: the registrations are lost, another rule's business.
      const baseModule = change.base?.module?.module ?? null;
      if (baseModule !== null && model.base.graph?.reachedBy(baseModule)) continue;
      const owner = ownerApp(head.graph, module);
      if ((await importedOtherwise(head, change, module, owner)) !== null) continue;
      cannot = cannot === undefined ? await undecided(head) : cannot;
      const first = Math.min(...effects.receivers.map((r) => r.line), ...effects.models.map((m) => m.line), ...effects.admin.map((a) => a.line));
      const missing = uninstalledApp(head, module, owner);
      const what = consequence(effects);
      let message: string;
      let why: string | undefined;
      let fix: Fix | null = null;
      if (missing !== null) {
        const settings = settingsFile(head);
        const raises = effects.models.length > 0 ? `; importing its models raises RuntimeError ("Model class ... doesn't declare an explicit app_label and isn't in an application in INSTALLED_APPS")` : "";
        message = `\`${module}\` belongs to \`${missing}\`, which is not in INSTALLED_APPS${settings === null ? "" : ` (${settings})`}: django.setup() never imports it, so ${what}${raises}.`;
        why = "Django imports the apps, models and (with admin autodiscovery) admin modules of installed apps only, and a model registers only in an installed app. An app left out of INSTALLED_APPS registers nothing, with no error until something imports its models.";
        const conventional = ["apps", "models", "admin"].some((m) => module === `${missing}.${m}`);
        const then = conventional ? "" : `, then import \`${module}\` from its AppConfig.ready() (receivers) or its models module (models)`;
        fix = { fix: `Add "${missing}" to INSTALLED_APPS${settings === null ? "" : ` in ${settings}`}${then}.`, fixCode: { ...(settings === null ? {} : { path: settings }), language: "python", code: `    "${missing}",` } };
      } else {
        const urls = head.graph?.firstRequest ? `, nor does the URLconf ${head.graph.firstRequest.module} at the first request` : "";
        message = `Nothing django.setup() runs imports \`${module}\` (no AppConfig.ready(), models module or module on the startup path)${urls}: ${what}.`;
        if (owner === null) {
          fix = null;
          message += " It is in no installed app.";
        } else if (effects.models.length > 0) fix = modelsFix(head, owner, module, effects.models);
        else fix = readyFix(head, owner, module);
      }
      if (cannot !== null) message += ` The rule could not decide for certain: ${cannot}.`;
      findings.push({
        file: change.path,
        line: Number.isFinite(first) ? first : null,
        message,
        ...(why === undefined ? {} : { why }),
        ...(fix === null ? {} : { fix: fix.fix, fixCode: fix.fixCode }),
        details: effectDetails(effects),
        ...(cannot === null ? {} : { cap: "message" as const }),
      });
    }
    return findings;
  },
});
