/** `module-moved-without-shim`: its docs are `meta.docs` below (docs/rules.md is generated from them). */
import { isExceptionModule } from "../config";
import { importedModules, resolveRelative } from "../python/modules";
import { describeContext } from "../python/context";
import { importStatementText } from "../python/format";
import type { PyFileFacts } from "../python/types";
import type { FileChangeModel, ReviewModel } from "./model";
import { defineRule, type RawFinding } from "./rule";

interface Move {
  change: FileChangeModel;
  oldModule: string;
  oldPath: string;
  /** The module now holding the code, when known. */
  newModule: string | null;
  newPath: string | null;
  /** Public top-level names the old module defined. */
  names: string[];
  exception: boolean;
}

function refersTo(target: string, moved: string): boolean {
  return target === moved || target.startsWith(`${moved}.`);
}

function publicNames(facts: PyFileFacts): string[] {
  const names = new Set<string>();
  if (facts.all && !facts.all.dynamic) for (const n of facts.all.names) names.add(n);
  for (const c of facts.classes) if (c.context.kind === "top" && !c.name.startsWith("_")) names.add(c.name);
  for (const f of facts.functions) if (f.context.kind === "top" && !f.name.startsWith("_")) names.add(f.name);
  return [...names].sort();
}

/** A moved file with no module name: the rule could not look for references to it. */
interface Unmapped {
  change: FileChangeModel;
  oldPath: string;
}

/** pytest collects these by path: nothing imports them by module name. */
const COLLECTED_BY_PATH = /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;

function underRoot(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => r === "." || r === "" || path.startsWith(`${r}/`));
}

/** Modules this change moved away (deleted or renamed), with where their code went; and the moved files it cannot name. */
function moves(model: ReviewModel, unmapped: Unmapped[] = []): Move[] {
  const out: Move[] = [];
  for (const change of model.changes) {
    if (change.status !== "deleted" && change.status !== "renamed") continue;
    const base = change.base;
    if (base === null) continue;
    if (base.module === null) {
      if (!underRoot(base.path, model.base.sourceRoots) && !COLLECTED_BY_PATH.test(base.path)) unmapped.push({ change, oldPath: base.path });
      continue;
    }
    const oldModule = base.module.module;
    if (model.head.moduleFile(oldModule) !== null) continue; // something still lives at the old path
    let newPath: string | null = change.status === "renamed" ? change.path : null;
    const names = publicNames(base.facts);
    if (newPath === null && names.length > 0) {
      // Deleted: relocated if a changed file at head now defines the same classes.
      const classNames = base.facts.classes.filter((c) => c.context.kind === "top").map((c) => c.name);
      for (const other of model.changes) {
        if (other === change || other.head === null || classNames.length === 0) continue;
        const defined = new Set(other.head.facts.classes.filter((c) => c.context.kind === "top").map((c) => c.name));
        if (classNames.every((n) => defined.has(n))) {
          newPath = other.path;
          break;
        }
      }
    }
    const newModule = newPath === null ? null : (model.head.moduleOf(newPath)?.module ?? null);
    out.push({ change, oldModule, oldPath: base.path, newModule, newPath, names, exception: isExceptionModule(model.config, base.path) });
  }
  return out;
}

interface Reference {
  file: string;
  line: number;
  what: string;
  /** Plain words on when it breaks. */
  breaks: string;
  typeOnly: boolean;
}

/** Every place at head that still points at `moved`. */
async function references(model: ReviewModel, moved: string): Promise<Reference[]> {
  const refs: Reference[] = [];
  // Only files whose text names the module can refer to it: the others are never scanned.
  for (const file of await model.head.filesNaming(moved)) {
    const facts = model.head.files.get(file);
    if (facts === undefined) continue;
    const mod = model.head.moduleOf(file);
    const seen = new Set<string>();
    const add = (r: Reference) => {
      const key = `${r.line}:${r.what}`;
      if (!seen.has(key)) {
        seen.add(key);
        refs.push(r);
      }
    };
    for (const imp of facts.imports) {
      const targets = importedModules(imp, mod?.module ?? null, mod?.isPackage ?? false);
      if (!targets.some((t) => refersTo(t.module, moved))) continue;
      const ctx = imp.context;
      const typeOnly = ctx.kind === "type_checking";
      const breaks = ctx.atImport
        ? "ModuleNotFoundError as soon as this module is imported"
        : typeOnly
          ? "type checking fails (the import is under TYPE_CHECKING)"
          : `ModuleNotFoundError when the code runs (${describeContext(ctx)})`;
      add({ file, line: imp.line, what: `\`${importStatementText(imp)}\``, breaks, typeOnly });
    }
    for (const call of facts.importCalls) {
      const target = call.module.startsWith(".") && call.package ? resolveRelative(call.package, true, call.module.length - call.module.replace(/^\.+/, "").length, call.module.replace(/^\.+/, "")) : call.module;
      if (target === null || !refersTo(target, moved)) continue;
      add({ file, line: call.line, what: `\`${call.func}("${call.module}")\``, breaks: "ModuleNotFoundError when the call runs", typeOnly: false });
    }
    const patchLines = new Set<string>();
    for (const p of facts.patchTargets) {
      if (p.target === null || !refersTo(p.target, moved)) continue;
      patchLines.add(`${p.line}:${p.target}`);
      add({ file, line: p.line, what: `\`${p.callee}("${p.target}")\``, breaks: "the test errors: the patch target's module no longer exists", typeOnly: false });
    }
    for (const s of facts.dottedStrings) {
      if (!refersTo(s.value, moved) || patchLines.has(`${s.line}:${s.value}`)) continue;
      if (facts.importCalls.some((c) => c.line === s.line && c.module === s.value)) continue;
      add({ file, line: s.line, what: `the string "${s.value}"`, breaks: "whatever loads this dotted path by name (settings, Celery, pickles) fails with ImportError", typeOnly: false });
    }
  }
  return refs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** The file to leave at the old path. */
export function shimCode(move: Move): string {
  const target = move.newModule ?? "<new.module>";
  const lines = [`"""Backwards-compatible shim: \`${move.oldModule}\` moved to \`${target}\`.`, "", "Keeps old imports, mock.patch() targets, pickled objects and workers still running the", "previous release working. Delete it once nothing imports this path.", '"""'];
  if (move.names.length === 0) {
    lines.push(`from ${target} import *  # noqa: F401,F403`);
  } else {
    lines.push(`from ${target} import (  # noqa: F401`);
    for (const n of move.names) lines.push(`    ${n},`);
    lines.push(")");
  }
  return lines.join("\n") + "\n";
}

export const moduleMovedWithoutShim = defineRule({
  meta: {
    id: "module-moved-without-shim",
    defaultSeverity: "warn",
    docsAnchor: "module-moved-without-shim",
    short: "a moved module still referenced at its old path",
    docs: {
      what: "A module was moved or deleted without a shim at its old path while code, tests, mock.patch targets or settings still point there.",
      details:
        "A Python module was deleted or renamed, nothing at its old dotted path re-exports it, and something at the head still points there: an import statement in any context (a function-level import fails when the function is called), a `mock.patch` / `patch.object` / `monkeypatch.setattr` target, an `importlib.import_module` literal, or a dotted string (settings' `INSTALLED_APPS`, `LOGGING`, `MIDDLEWARE`...). Each remaining reference is a certain break. An exceptions module (configurable globs) that was relocated is reported even when no reference remains in the repository. A module deleted with its feature, with nothing left pointing at it, is not a relocation. When the moved file has no module name (it is under none of the source roots), the rule says it could not look, with the roots. Test modules and `conftest.py` (collected by path, never imported by name) are left out.",
      why: "Every remaining reference fails with ModuleNotFoundError: at import, at call time, or at test collection. Exception modules are also imported by name from outside the repository (other services, pickled Celery results, workers running the previous release during a deploy).",
      fix: "Update the remaining references, and leave a shim at the old path that re-exports the module from its new home.",
      example: {
        bad: "# git mv products/tasks/backend/temporal/exceptions.py products/tasks/backend/exceptions.py\n# products/tasks/backend/tests/test_workflows.py still has:\nfrom products.tasks.backend.temporal.exceptions import TaskError",
        good: "# products/tasks/backend/temporal/exceptions.py  (the shim left at the old path)\nfrom products.tasks.backend.exceptions import TaskError, TaskTimeout  # noqa: F401",
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    const findings: RawFinding[] = [];
    const unmapped: Unmapped[] = [];
    for (const move of moves(model, unmapped)) {
      const refs = await references(model, move.oldModule);
      if (refs.length === 0 && !(move.exception && move.newModule !== null)) continue; // deleted with its feature
      const fixCode = move.newModule !== null ? { path: move.oldPath, language: "python", code: shimCode(move) } : undefined;
      const whereTo = move.newModule !== null ? `moved to \`${move.newModule}\`` : "deleted";
      const fix =
        move.newModule !== null
          ? `Point it at \`${move.newModule}\`, and leave a shim at ${move.oldPath} (below) so that code outside this change keeps working.`
          : `Remove or update the reference: \`${move.oldModule}\` no longer exists.`;
      for (const r of refs) {
        findings.push({
          file: r.file,
          line: r.line,
          message: `${r.what} still points at \`${move.oldModule}\`, which this change ${whereTo} without a shim: ${r.breaks}.`,
          fix,
          fixCode,
          cap: r.typeOnly ? "warn" : undefined,
        });
      }
      if (refs.length === 0 && move.newPath !== null) {
        findings.push({
          file: move.newPath,
          line: null,
          message: `Exceptions module \`${move.oldModule}\` ${whereTo} without a shim. Nothing in this repository imports the old path any more, but other services, pickled Celery results and workers still running the previous release during the deploy import exceptions by their old dotted path.`,
          fix: `Leave a shim at ${move.oldPath} that re-exports the exceptions from \`${move.newModule}\`.`,
          fixCode,
          details: move.names.length ? [`names to re-export: ${move.names.join(", ")}`] : undefined,
          cap: "warn",
        });
      }
    }
    for (const u of unmapped) {
      const deleted = u.change.status === "deleted";
      const roots = model.base.sourceRoots.join(", ");
      findings.push({
        file: u.change.path,
        line: null,
        side: deleted ? "base" : "head",
        message: `${u.oldPath} was ${deleted ? "deleted" : `moved to ${u.change.path}`}, but it is under none of the source roots (${roots}), so it has no module name: references to its old path were not looked for, and this review cannot say whether anything still imports it.`,
        fix: `If other code imports this file, add the directory it is imported from to source_roots (or pass --source-root), so that the move can be checked; \`django-startup-guard startup\` shows the source roots and why each is one.`,
        cap: "message",
      });
    }
    return findings;
  },
});
