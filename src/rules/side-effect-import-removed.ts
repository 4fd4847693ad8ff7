/** `side-effect-import-removed`: its docs are `meta.docs` below (docs/rules.md is generated from them). */
import { isTestFile } from "../config";
import { headLineFor } from "../source/line-map";
import { importStatementText } from "../python/format";
import type { PyFileFacts, PyImport } from "../python/types";
import type { FileChangeModel, RepoSide, ReviewModel } from "./model";
import { setupTimeImports } from "./model";
import { defineRule, type RawFinding } from "./rule";
import type { DjangoModel } from "./django-models";
import { effectDetails, effectsOf, firstRequestDetail, WEB_ONLY } from "./registrations";

/** Files Django imports for their side effects at setup. */
export function isRegistrationFile(path: string): boolean {
  return /(^|\/)(apps\.py|models\.py|models\/__init__\.py)$/.test(path);
}

export interface SideImport {
  module: string;
  imp: PyImport;
  via: "module" | "ready";
}

/** First-party modules the file imports at setup time, by resolved dotted name. */
function sideImports(side: RepoSide, path: string, facts: PyFileFacts): Map<string, SideImport> {
  const out = new Map<string, SideImport>();
  const self = side.moduleOf(path)?.module ?? null;
  for (const { imp, via } of setupTimeImports(facts, path)) {
    for (const module of side.mainTargets(path, imp)) {
      if (module === self || side.moduleFile(module) === null || out.has(module)) continue;
      out.set(module, { module, imp, via });
    }
  }
  return out;
}

/**
 * Where settings name a user model as `"app_label.Name"` (AUTH_USER_MODEL): dotted strings of
 * settings files whose last part is the model's name and whose first part is a package on the
 * model's module path. The configured settings module wins, then settings outside tests.
 */
function userModelSetting(model: ReviewModel, user: DjangoModel): string | null {
  const packages = user.module.split(".");
  const configured = model.config.settingsModule === null ? null : model.head.moduleFile(model.config.settingsModule);
  let best: { rank: number; text: string } | null = null;
  for (const [path, facts] of model.head.files) {
    if (path !== configured && !/\/settings(\/.*|_[^/]*)?\.py$/.test(`/${path}`)) continue;
    const rank = path === configured ? 0 : isTestFile(model.config, path) ? 2 : 1;
    if (best !== null && best.rank <= rank) continue;
    for (const d of facts.dottedStrings) {
      const parts = d.value.split(".");
      if (parts.length === 2 && parts[1] === user.name && packages.includes(parts[0])) {
        best = { rank, text: `"${d.value}" at ${path}:${d.line}` };
        break;
      }
    }
  }
  return best?.text ?? null;
}

function headLocation(change: FileChangeModel, lost: SideImport): number | null {
  const head = change.head;
  if (!head || !change.base) return null;
  // The statement was edited (e.g. `from . import signals, search` -> `from . import signals`):
  // point at the edited statement.
  const edited = head.facts.imports.find(
    (i) => change.added.has(i.line) && i.level === lost.imp.level && i.module === lost.imp.module && i.kind === lost.imp.kind,
  );
  if (edited) return edited.line;
  // Removed outright: the head line that now stands where it was.
  return headLineFor(change.base.lines, head.lines, lost.imp.line);
}

export const sideEffectImportRemoved = defineRule({
  meta: {
    id: "side-effect-import-removed",
    defaultSeverity: "warn",
    docsAnchor: "side-effect-import-removed",
    short: "receivers/models/admin no longer registered at setup",
    docs: {
      what: "An apps.py, models.py or models/__init__.py stops importing a module whose import registers signal receivers, models or admin classes.",
      details:
        "An `apps.py` (module level or `AppConfig.ready()`), a `models.py` or a `models/__init__.py` imported a first-party module at the base and no longer does at the head (set semantics after resolving relative imports: reordering removes nothing; deleting the file removes everything), and that module registers something when imported: signal receivers (`@receiver`, configured project decorators, `.connect(...)`), Django models (classes whose bases, followed through the repository, reach a Django or third-party model; an abstract model, whose own `class Meta` sets `abstract = True`, registers nothing and is left out), or admin registrations. With a startup graph, only modules setup no longer reaches by any other chain are reported. When the head still imports the module on the first request (the settings' `ROOT_URLCONF` and what it imports), the finding says so exactly: it connects only after the first request in web processes; never in Celery, migrate, shell. When the lost module defines the custom user model (`AUTH_USER_MODEL`), `django.setup()` itself fails with ImproperlyConfigured, and the finding says so.",
      why: "Receivers connect and models register only when their module is imported. Without the import they silently stop working in every process that does not import the module some other way (Celery, Temporal, migrate, shell): no error anywhere. A custom user model (AUTH_USER_MODEL) that stops registering makes django.setup() itself fail with ImproperlyConfigured.",
      fix: "Keep the import, in AppConfig.ready() for receivers (`from . import signals  # noqa: F401`) or in models/__init__.py for models.",
      example: {
        bad: "# products/analytics/backend/apps.py\nclass AnalyticsConfig(AppConfig):\n    def ready(self):\n        from . import signals  # was: from . import signals, activity_logging",
        good: "# products/analytics/backend/apps.py\nclass AnalyticsConfig(AppConfig):\n    def ready(self):\n        from . import activity_logging, signals  # noqa: F401 (connects receivers)",
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    const findings: RawFinding[] = [];
    const decorators = model.config.receiverDecorators;
    for (const change of model.changes) {
      const basePath = change.base?.path ?? null;
      if (change.base === null || basePath === null) continue;
      for (const [module, lost] of droppedSideImports(model, change)) {
        const stillReached = model.head.graph?.chainTo(module) ?? null;
        if (stillReached !== null) continue;
        // Deleted along with the import: its receivers and models were removed on purpose.
        const file = model.head.moduleFile(module);
        if (file === null) continue;
        const facts = model.head.files.get(file) ?? null;
        const effects = file && facts ? await effectsOf(model.head, module, file, facts, decorators) : { receivers: [], models: [], admin: [] };
        const lineText = change.base.lines[lost.imp.line - 1] ?? "";
        const noqa = /#\s*noqa\b[^#]*F401/.test(lineText) || /#\s*noqa\s*$/.test(lineText);
        const count = effects.receivers.length + effects.models.length + effects.admin.length;
        if (count === 0 && !noqa) continue;
        // Still imported by the first request (the URLconf) at head: its receivers connect in web processes only, after it.
        const later = model.head.graph?.reachedBy(module) ?? null;
        const web = later !== null && later.phase === "first-request";
        const parts: string[] = [];
        const n = effects.receivers.length;
        if (n) parts.push(`${n} signal receiver${n > 1 ? "s" : ""} ${web ? `no longer connect${n > 1 ? "" : "s"} at setup` : "stop connecting"}`);
        if (effects.models.length) {
          const names = effects.models.map((m) => m.name).join(", ");
          parts.push(`${effects.models.length} model${effects.models.length > 1 ? "s" : ""} stop${effects.models.length > 1 ? "" : "s"} registering (${names})`);
        }
        for (const user of effects.models.filter((m) => m.userModel)) {
          const setting = userModelSetting(model, user);
          parts.push(
            setting
              ? `${user.name} is a custom user model and settings name it as their AUTH_USER_MODEL, ${setting}: django.setup() itself fails with ImproperlyConfigured ("AUTH_USER_MODEL refers to model ... that has not been installed")`
              : `${user.name} is a custom user model: if it is AUTH_USER_MODEL, django.setup() itself fails with ImproperlyConfigured ("AUTH_USER_MODEL refers to model ... that has not been installed")`,
          );
        }
        if (effects.admin.length) parts.push(`${effects.admin.length} admin registration${effects.admin.length > 1 ? "s" : ""} stop running`);
        const where = lost.via === "ready" ? `${lost.imp.context.scope}()` : basePath;
        const consequence = `${parts.length ? parts.join(", ") : "its import was marked as a side-effect import (# noqa: F401)"}${web ? `; it ${WEB_ONLY} (the head imports it only through the URLconf ${model.head.graph?.firstRequest?.module ?? ""})` : ""}`;
        const details = effectDetails(effects);
        if (web) details.push(firstRequestDetail(later.chain));
        const gone = change.head === null ? `${basePath} is deleted` : `${where} no longer imports it`;
        findings.push({
          file: change.head ? change.path : basePath,
          line: change.head ? headLocation(change, lost) : null,
          side: change.head ? "head" : "base",
          message: `\`${module}\` is no longer imported at setup (${gone}; it was \`${importStatementText(lost.imp)}\` at ${basePath}:${lost.imp.line}): ${consequence}.`,
          details,
          fixCode: { path: change.head ? change.path : basePath, language: "python", code: restoreLine(lost, change) },
        });
      }
    }
    return findings;
  },
});

/**
 * The first-party modules a changed registration file (apps.py, models.py, models/__init__.py,
 * not a test) imported at setup at the base and no longer imports at the head: this rule's
 * domain (registrations-lost leaves these modules to it).
 */
export function droppedSideImports(model: ReviewModel, change: FileChangeModel): [string, SideImport][] {
  const basePath = change.base?.path ?? null;
  if (change.base === null || basePath === null || !isRegistrationFile(basePath) || isTestFile(model.config, basePath)) return [];
  const before = sideImports(model.base, basePath, change.base.facts);
  const after = change.head && isRegistrationFile(change.path) ? sideImports(model.head, change.path, change.head.facts) : new Map<string, SideImport>();
  return [...before].filter(([module]) => !after.has(module));
}

/** The import to put back: only the lost name when the statement imported several. */
function restoreLine(lost: SideImport, change: FileChangeModel): string {
  const imp = lost.imp;
  const name = lost.module.slice(lost.module.lastIndexOf(".") + 1);
  const own = imp.kind === "from" && imp.names.length > 1 ? imp.names.find((n) => n.name === name) : undefined;
  let single: string;
  if (own) single = importStatementText({ ...imp, names: [own] });
  else if (imp.line === imp.endLine) single = change.base?.lines[imp.line - 1]?.trim() ?? importStatementText(imp);
  else single = importStatementText(imp);
  const withNoqa = /#\s*noqa/.test(single) ? single : `${single}  # noqa: F401 (imported for its side effects)`;
  return lost.via === "ready" ? `    def ready(self):\n        ${withNoqa}` : withNoqa;
}
