/**
 * registrations-lost
 *
 * What: a module that registers something with Django when imported (signal receivers:
 * `@receiver`, the configured receiver decorators, `.connect(...)`; Django models; admin
 * registrations) was imported by `django.setup()` at the base and is not at the head, whatever
 * file the pull request changed: an `api/__init__.py` turned into a lazy PEP 562 `__getattr__`
 * router, a viewset that stops importing a receivers module, a function no longer called at
 * setup. Reported once per cut link, at the link the change cut: the changed line, in the
 * changed file, whose import carried setup to the module at the base; the one finding lists
 * every module lost through that link (a lazy router can cut the only chain to ten receivers
 * modules), what each stops registering, and the chain of the first. When the head still
 * imports a module on the first request (the settings' ROOT_URLCONF and what it imports),
 * the finding says it connects only in web processes, after their first request.
 *
 * Why: receivers connect and models register only when their module is imported. A chain that
 * did so by accident (receivers riding on a viewset that an eagerly built router imported) is
 * cut by a change that touches no `apps.py` and no models package, and nothing fails: Celery,
 * Temporal, `migrate` and `shell` silently stop running the receivers (caches stop
 * invalidating, audit logs stop), and web processes run them only once a request has loaded
 * the URLconf.
 *
 * Fix: import the module from its app's `AppConfig.ready()` (receivers, admin) or from the
 * app's models package (models), so that setup reaches it on purpose, whatever else changes.
 *
 * Not reported (left to others, or deliberate): modules an `apps.py`, `models.py` or
 * `models/__init__.py` stopped importing directly, and what setup reached only through them
 * (side-effect-import-removed reports the import, and restoring it restores them: one finding
 * per cut), modules deleted or moved, or whose registrations the change
 * removed, test modules, and what an app removed from INSTALLED_APPS (a startup root) brought.
 */
import { isTestFile } from "../config";
import { headLineFor } from "../source/line-map";
import type { ChainLink } from "../core/types";
import type { FileChangeModel, ReviewModel } from "./model";
import { defineRule, type RawFinding } from "./rule";
import { type Effects, effectDetails, effectsOf, firstRequestDetail, WEB_ONLY } from "./registrations";
import { droppedSideImports } from "./side-effect-import-removed";

export { WEB_ONLY };

interface Cut {
  /** The changed file and head line the finding is anchored at (null line: file-level). */
  file: string;
  line: number | null;
  side: "head" | "base";
  /** The link of the base chain that no longer holds (its importer still runs at setup). */
  importer: ChainLink;
  target: ChainLink;
  /** The function the change moved the import into (it runs only when called), when it did. */
  deferredInto?: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function change(model: ReviewModel, file: string): FileChangeModel | undefined {
  return model.changes.find((c) => c.path === file || c.base?.path === file);
}

/** The head line standing where a base line of a changed file was (the edited line when the PR rewrote it). */
function headLine(c: FileChangeModel, baseLine: number): number | null {
  if (c.head === null || c.base === null) return null;
  return headLineFor(c.base.lines, c.head.lines, baseLine);
}

/**
 * Where the change cut the base chain to a lost module: the first link whose module setup no
 * longer imports (its importer still is). Anchored at that import's line in the importer when
 * the change touched the importer; else at the first changed file the link depends on (a parent
 * package's `__init__.py`, a file of the call route); else at the import line, outside the diff.
 * Null when the chain starts at a root the head no longer has (an app uninstalled, other settings).
 */
function cutOf(model: ReviewModel, chain: ChainLink[]): Cut | null {
  const head = model.head.graph;
  if (head === null) return null;
  let k = 0;
  while (k < chain.length && head.chainTo(chain[k].module) !== null) k++;
  if (k === 0 || k >= chain.length) return null;
  const importer = chain[k - 1];
  const target = chain[k];
  const base = { importer, target };
  const line = target.line ?? 1;
  const own = importer.file === null ? undefined : change(model, importer.file);
  if (own !== undefined && importer.file !== null) {
    if (own.head === null) return { ...base, file: importer.file, line, side: "base" };
    // The import is still there but no longer runs at import (moved into a function, a PEP 562 `__getattr__`): that line.
    const moved = own.head.facts.imports.find((i) => !i.context.atImport && own.added.has(i.line) && model.head.mainTargets(own.path, i).includes(target.module));
    if (moved !== undefined) return { ...base, file: own.path, line: moved.line, side: "head", deferredInto: moved.context.scope };
    return { ...base, file: own.path, line: headLine(own, line), side: "head" };
  }
  // The import still stands: what it resolves through changed (a package `__init__`, a called function's file).
  const parts = target.module.split(".");
  const candidates: { file: string; line: number | null }[] = [];
  for (let i = parts.length - 1; i >= 1; i--) {
    const f = model.base.moduleFile(parts.slice(0, i).join("."));
    if (f !== null) candidates.push({ file: f, line: null });
  }
  for (const s of target.steps ?? []) candidates.push(s);
  for (const cand of candidates) {
    const c = change(model, cand.file);
    if (c === undefined) continue;
    if (c.head === null) return { ...base, file: cand.file, line: cand.line, side: "base" };
    return { ...base, file: c.path, line: cand.line === null ? firstAdded(c) : headLine(c, cand.line), side: "head" };
  }
  return importer.file === null ? null : { ...base, file: importer.file, line, side: "head" };
}

function firstAdded(c: FileChangeModel): number | null {
  let first: number | null = null;
  for (const l of c.added) if (first === null || l < first) first = l;
  return first;
}

function count(e: Effects): number {
  return e.receivers.length + e.models.length + e.admin.length;
}

/** `3 receivers, 1 model (Flag)`. */
function whatText(e: Effects): string {
  const parts: string[] = [];
  if (e.receivers.length > 0) parts.push(plural(e.receivers.length, "signal receiver"));
  if (e.models.length > 0) parts.push(`${plural(e.models.length, "model")} (${e.models.map((m) => m.name).join(", ")})`);
  if (e.admin.length > 0) parts.push(plural(e.admin.length, "admin registration"));
  return parts.join(", ");
}

/** The app module whose `ready()` should import `module`: the nearest package of it with an `apps.py`. */
function appOf(model: ReviewModel, module: string): { apps: string | null; pkg: string } {
  const parts = module.split(".");
  for (let i = parts.length - 1; i >= 1; i--) {
    const pkg = parts.slice(0, i).join(".");
    const apps = model.head.moduleFile(`${pkg}.apps`);
    if (apps !== null) return { apps, pkg };
  }
  return { apps: null, pkg: parts.slice(0, -1).join(".") };
}

/** Where and what to import so setup reaches `module` on purpose: its app's ready() (receivers, admin), else its models package (models only). */
function fixLine(model: ReviewModel, module: string, e: Effects): { path: string | null; ready: boolean; code: string } {
  const { apps, pkg } = appOf(model, module);
  const name = module.slice(module.lastIndexOf(".") + 1);
  if (e.receivers.length === 0 && e.admin.length === 0 && e.models.length > 0) {
    const names = e.models.map((m) => m.name).join(", ");
    return { path: model.head.moduleFile(`${pkg}.models`), ready: false, code: `from ${module} import ${names}  # noqa: F401 (registers the models at setup)` };
  }
  const from = pkg === "" ? `import ${module}` : `from ${pkg} import ${name}`;
  return { path: apps, ready: true, code: `${from}  # noqa: F401 (connects its receivers in every process)` };
}

/** The code that imports every lost module of a cut on purpose: one block per file to edit (headed by its path when there are several). */
function fixFor(model: ReviewModel, lost: readonly Lost[]): RawFinding["fixCode"] {
  const blocks = new Map<string, { path: string | null; ready: boolean; lines: string[] }>();
  for (const l of lost) {
    const f = fixLine(model, l.module, l.effects);
    const key = `${f.ready}\0${f.path ?? ""}`;
    const block = blocks.get(key) ?? { path: f.path, ready: f.ready, lines: [] };
    block.lines.push(f.code);
    blocks.set(key, block);
  }
  const code = (b: { ready: boolean; lines: string[] }) => (b.ready ? `    def ready(self):\n${b.lines.map((c) => `        ${c}`).join("\n")}` : b.lines.join("\n"));
  const all = [...blocks.values()];
  if (all.length === 1) return { path: all[0].path ?? undefined, language: "python", code: code(all[0]) };
  const head = (b: { path: string | null; ready: boolean }) => `# ${b.path ?? (b.ready ? "the app's AppConfig" : "the app's models package")}`;
  return { language: "python", code: all.map((b) => `${head(b)}\n${code(b)}`).join("\n\n") };
}

/** A module setup no longer imports, with what it registers and whether the head still imports it on the first request. */
interface Lost {
  module: string;
  chain: ChainLink[];
  effects: Effects;
  cut: Cut;
  /** The head's chain from the URLconf, when only the first request imports it (web processes only). */
  web: ChainLink[] | null;
}

/** What a cut link did: `shop.api no longer imports shop.api.routes at setup (at the base: ...)`. */
function howText(cut: Cut): string {
  const moved = cut.deferredInto === undefined ? "" : `; the import now runs inside ${cut.deferredInto === "" ? "a function" : `${cut.deferredInto}()`}, only when called`;
  return `${cut.importer.module} no longer imports ${cut.target.module} at setup (at the base: ${cut.importer.file ?? cut.importer.module}:${cut.target.line ?? "?"}${moved})`;
}

/** The finding of one cut: every module lost through it (one finding per anchor, not per module). */
function findingOf(model: ReviewModel, lost: readonly Lost[]): RawFinding {
  const first = lost[0];
  const urlconf = model.head.graph?.firstRequest?.module ?? "";
  const hows = [...new Set(lost.map((l) => howText(l.cut)))].join("; ");
  const never = "no process imports it any more (web, Celery, migrate, shell): it never connects";
  const base = { file: first.cut.file, line: first.cut.line, side: first.cut.side, chain: first.chain, fixCode: fixFor(model, lost) };
  if (lost.length === 1) {
    const consequence = first.web !== null ? `it ${WEB_ONLY} (the head imports it only through the URLconf ${urlconf})` : never;
    const details = effectDetails(first.effects);
    if (first.web !== null) details.push(firstRequestDetail(first.web));
    return { ...base, message: `\`${first.module}\` (${whatText(first.effects)}) is no longer imported by django.setup(): ${hows}, the link through which setup reached it at the base; ${consequence}.`, details };
  }
  const total: Effects = { receivers: lost.flatMap((l) => l.effects.receivers), models: lost.flatMap((l) => l.effects.models), admin: lost.flatMap((l) => l.effects.admin) };
  const web = lost.filter((l) => l.web !== null).length;
  const consequence =
    web === lost.length
      ? `each ${WEB_ONLY} (the head imports them only through the URLconf ${urlconf})`
      : web === 0
        ? "no process imports them any more (web, Celery, migrate, shell): they never connect"
        : `${web} of them ${WEB_ONLY} (the head imports them only through the URLconf ${urlconf}); no process imports the other ${lost.length - web} any more: they never connect`;
  const details: string[] = [];
  for (const l of lost) {
    details.push(`\`${l.module}\` (${whatText(l.effects)}): ${l.web !== null ? WEB_ONLY : never}`);
    details.push(...effectDetails(l.effects));
    if (l.web !== null) details.push(firstRequestDetail(l.web));
  }
  const names = lost.map((l) => `\`${l.module}\``).join(", ");
  return {
    ...base,
    message: `${lost.length} modules (${whatText(total)} in all: ${names}) are no longer imported by django.setup(): ${hows}, the link through which setup reached them at the base; ${consequence}. The chain shown is \`${first.module}\`'s.`,
    details,
  };
}

export const registrationsLost = defineRule({
  meta: {
    id: "registrations-lost",
    defaultSeverity: "warn",
    docsAnchor: "registrations-lost",
    short: "the same, cut anywhere in the chain (web-only if only the URLconf imports them)",
    docs: {
      what: "A module that registers signal receivers, models or admin classes was imported by django.setup() at the base and no longer is at the head, whatever file the change touched (a lazy router, a viewset, a package __init__); reported at the link the change cut, and, when only the URLconf still imports it, as connecting only after the first request in web processes.",
      details:
        "Compares the startup graphs of base and head: every first-party module that registers something when imported (signal receivers: `@receiver`, the configured project decorators, `.connect(...)`; Django models, not abstract ones; admin registrations) that `django.setup()` imported at the base and no longer imports at the head. The cut is the first link of the module's base chain that setup no longer imports while its importer still runs; the finding is anchored at that import's line when the change touched the importer (the line the import was moved to, when it now runs inside a function or a PEP 562 `__getattr__`), else at the changed file the link depends on (a parent package's `__init__`, a file on the call route).\n\n" +
        "One finding per cut (its file and line), however many modules are lost through it: the message names them all and what they register in all; the details list, per module, what stops connecting (each receiver with its signal and its sender where literal, each model, each admin registration), and, for a module the head still imports through the URLconf, that it \"connects only after the first request in web processes; never in Celery, migrate, shell\" with the URLconf's chain to it. The import chain shown is the first lost module's; the suggested code imports every lost module on purpose (receivers and admin from the app's `AppConfig.ready()`, models-only modules from the app's models package), one block per file to edit.\n\n" +
        "Not reported: modules an `apps.py`, `models.py` or `models/__init__.py` stopped importing directly, and what setup reached only through them (side-effect-import-removed reports that import), modules deleted or moved, modules whose registrations the change removed, test modules, and what an app removed from INSTALLED_APPS brought.",
      why: "Receivers connect and models register only when their module is imported. When that import rode on an incidental chain (receivers imported by a viewset that an eagerly built router imported), a change far from any apps.py cuts it and nothing fails: Celery, Temporal, migrate and shell silently stop running the receivers, and web processes run them only once a request has loaded the URLconf. A rule of its own beside side-effect-import-removed, which reads what a registration file itself stops importing and gives back the exact line: this one compares the whole startup graphs of base and head and reports wherever the chain broke, so each can be set on its own; a module side-effect-import-removed reports (and what setup reached only through it) is not reported here again.",
      fix: "Import the module on purpose: from its app's AppConfig.ready() for receivers and admin registrations (`from . import signals  # noqa: F401`), from the app's models package for models.",
      example: {
        bad: "# posthog/api/__init__.py (the router, now built on first use)\ndef __getattr__(name):\n    if name == \"router\":\n        from .routes import router  # imported the viewsets, which imported the receivers\n        return router\n    raise AttributeError(name)",
        good: "# products/feature_flags/backend/apps.py\nclass FeatureFlagsConfig(AppConfig):\n    def ready(self):\n        from . import cache  # noqa: F401 (connects its receivers in every process)",
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    const base = model.base.graph;
    const head = model.head.graph;
    // Without both graphs there is nothing to compare (a head without settings loses every root: cutOf says nothing then).
    if (base === null || head === null) return [];
    const skip = new Set<string>();
    for (const c of model.changes) for (const [module] of droppedSideImports(model, c)) skip.add(module);
    // One finding per cut (its anchor), listing every module lost through it: a lazy router can cut the only chain to ten.
    const cuts = new Map<string, Lost[]>();
    for (const m of base.modules()) {
      // A module setup reached through one a registration file stopped importing is that finding's: restoring the import restores it.
      if (!m.firstParty || head.chainTo(m.name) !== null || m.chain.some((l) => skip.has(l.module))) continue;
      const file = model.head.moduleFile(m.name);
      if (file === null || isTestFile(model.config, file)) continue; // deleted or moved: removed on purpose, or another rule's
      const facts = model.head.files.get(file);
      if (facts === undefined) continue;
      const effects = await effectsOf(model.head, m.name, file, facts, model.config.receiverDecorators);
      if (count(effects) === 0) continue;
      const cut = cutOf(model, m.chain);
      if (cut === null) continue;
      const later = head.reachedBy(m.name);
      const web = later !== null && later.phase === "first-request" ? later.chain : null;
      const key = `${cut.side}\0${cut.file}\0${cut.line ?? ""}`;
      const group = cuts.get(key) ?? [];
      group.push({ module: m.name, chain: m.chain, effects, cut, web });
      cuts.set(key, group);
    }
    const findings = [...cuts.values()].map((lost) => findingOf(model, lost));
    return findings;
  },
});
