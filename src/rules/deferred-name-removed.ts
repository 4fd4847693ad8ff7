/**
 * `deferred-name-removed`: its docs are `meta.docs` below (docs/rules.md is generated from them).
 * The module attributes are read by python/bindings.ts; the references are searched with the
 * head's indexed `filesNaming` pre-filter (files whose text holds the module's name), once per
 * module that lost a name.
 */
import { isTestFile } from "../config";
import { resolveRelative } from "../python/modules";
import { boundAtImport, type ModuleBindings, moduleBindings, type NameBinding } from "../python/bindings";
import { describeContext } from "../python/context";
import type { ExecutionContext, PyFileFacts, PyImport } from "../python/types";
import type { FileVersion, RepoSide, ReviewModel } from "./model";
import { defineRule, type RawFinding } from "./rule";

/** A name the module no longer binds, with what the base and the head say about it. */
interface Lost {
  name: string;
  /** The base binding (first at import time). */
  was: NameBinding;
  /** The base import that bound it, when one did. */
  imp: PyImport | null;
  /** Where the name lives now, as a dotted path to patch (`x.helper`), when the base imported it. */
  home: string | null;
  /** The head imports it inside a function: `f()` at line. */
  deferred: { scope: string; line: number } | null;
  /** What else the head does with the name (only under TYPE_CHECKING, only via `global`...). */
  now: string;
  /** Why the name may still be bound after all (a star import, a `__getattr__`...), or null when it certainly is not. */
  maybe: string | null;
  /** A module `__getattr__` at the head serves it (the file spells the name as a string). */
  served: boolean;
}

interface Reference {
  file: string;
  line: number;
  name: string;
  what: string;
  breaks: string;
  kind: "import" | "patch" | "call" | "string" | "all";
  typeOnly: boolean;
}

/** Names an import statement binds, each with its source name: `import a.b` binds `a`. */
function importedNames(imp: PyImport): { bound: string; name: string }[] {
  if (imp.star) return [];
  if (imp.kind === "import") return imp.names.map((n) => ({ bound: n.asname ?? n.name.split(".")[0], name: n.name }));
  return imp.names.map((n) => ({ bound: n.asname ?? n.name, name: n.name }));
}

function absoluteFrom(imp: PyImport, self: { module: string; isPackage: boolean } | null): string | null {
  if (imp.level === 0) return imp.module;
  return self === null ? null : resolveRelative(self.module, self.isPackage, imp.level, imp.module);
}

function mentionsAsString(source: string, name: string): boolean {
  return source.includes(`"${name}"`) || source.includes(`'${name}'`);
}

/** Whether `from <what> import *` in `module` may bind `name` at the head. */
function starBinds(head: RepoSide, module: { module: string; isPackage: boolean }, star: string, name: string): "yes" | "no" | "maybe" {
  const dots = star.length - star.replace(/^\.+/, "").length;
  const target = dots === 0 ? star : resolveRelative(module.module, module.isPackage, dots, star.slice(dots));
  const file = target === null ? null : head.moduleFile(target);
  const facts = file === null ? undefined : head.files.get(file);
  if (facts === undefined) return "maybe";
  if (facts.all !== null && !facts.all.dynamic) return facts.all.names.includes(name) ? "yes" : "no";
  if (name.startsWith("_")) return "no";
  const top = (c: ExecutionContext) => c.atImport && c.kind !== "class_body";
  if (facts.classes.some((c) => c.name === name && top(c.context)) || facts.functions.some((f) => f.name === name && top(f.context))) return "yes";
  if (facts.imports.some((i) => top(i.context) && importedNames(i).some((n) => n.bound === name))) return "yes";
  return "maybe";
}

/** The names `version` of `module` bound at the base that the head no longer binds. */
function lostNames(head: RepoSide, base: FileVersion, now: FileVersion, module: { module: string; isPackage: boolean }): Lost[] {
  const before = boundAtImport(moduleBindings(base.source));
  const after: ModuleBindings = moduleBindings(now.source);
  const still = boundAtImport(after);
  const text = Buffer.from(now.source).toString("utf8");
  const getattr = still.get("__getattr__") ?? null;
  const out: Lost[] = [];
  for (const [name, was] of before) {
    if (still.has(name) || head.moduleFile(`${module.module}.${name}`) !== null) continue;
    const imp = base.facts.imports.find((i) => i.line <= was.line && was.line <= i.endLine && importedNames(i).some((n) => n.bound === name)) ?? null;
    let home: string | null = null;
    const n = imp === null ? undefined : importedNames(imp).find((x) => x.bound === name);
    if (imp !== null && n !== undefined) {
      const from = imp.kind === "from" ? absoluteFrom(imp, module) : null;
      home = imp.kind === "import" ? (n.bound === n.name.split(".")[0] ? n.name.split(".")[0] : n.name) : from === null ? null : `${from}.${n.name}`;
    }
    const fn = now.facts.imports.find((i) => i.context.kind === "function" && importedNames(i).some((n) => n.bound === name));
    const deferred = fn === undefined ? null : { scope: fn.context.scope, line: fn.line };
    const later = after.bindings.filter((b) => b.name === name);
    const never = later.find((b) => b.when === "never");
    const call = later.find((b) => b.when === "call");
    const nowText = call
      ? `it is now bound only when a function declaring it \`global\` runs (${now.path}:${call.line})`
      : deferred
        ? `this change deferred it into \`${deferred.scope}()\` (${now.path}:${deferred.line})`
        : never
          ? `it is now bound only where it never runs at import (${now.path}:${never.line}, e.g. under \`if TYPE_CHECKING:\`)`
          : "this change removed it";
    const served = getattr !== null && mentionsAsString(text, name);
    let maybe: string | null = null;
    for (const d of after.dynamic) {
      if (maybe === "" || (d.when !== "top" && d.when !== "conditional")) continue;
      const star = /^from (\S+) import \*$/.exec(d.what);
      const binds = star === null ? "maybe" : starBinds(head, module, star[1], name);
      if (binds === "yes") maybe = "";
      else if (binds === "maybe") maybe ??= `unless \`${d.what}\` (${now.path}:${d.line}) binds it`;
    }
    if (maybe === "") continue; // a star import from a repository module binds it
    if (maybe === null && getattr !== null && !served) maybe = `unless the module's \`__getattr__\` (${now.path}:${getattr.line}) returns it`;
    out.push({ name, was, imp, home, deferred, now: nowText, maybe, served });
  }
  return out;
}

/** Local names standing for module `target` in a file: `import t as x` gives `x`, `from p import t_last` gives `t_last`, `import t` gives `t`. */
function aliases(facts: PyFileFacts, self: { module: string; isPackage: boolean } | null, target: string): { prefix: string; scope: string }[] {
  const out: { prefix: string; scope: string }[] = [];
  for (const imp of facts.imports) {
    if (imp.context.kind === "type_checking" || imp.context.kind === "dead" || imp.star) continue;
    const scope = imp.context.kind === "function" ? imp.context.scope : "";
    if (imp.kind === "import") {
      for (const n of imp.names) {
        if (n.asname !== null ? n.name === target : n.name === target || n.name.startsWith(`${target}.`)) out.push({ prefix: n.asname ?? target, scope });
      }
    } else {
      const from = absoluteFrom(imp, self);
      for (const n of imp.names) if (from !== null && `${from}.${n.name}` === target) out.push({ prefix: n.asname ?? n.name, scope });
    }
  }
  return out;
}

function visible(alias: { scope: string }, ctx: ExecutionContext): boolean {
  return alias.scope === "" || ctx.scope === alias.scope || ctx.scope.startsWith(`${alias.scope}.`);
}

/** When a `from module import name` in `file` fails. */
function importBreaks(model: ReviewModel, file: string, ctx: ExecutionContext, isPackage: boolean): string {
  if (ctx.kind === "type_checking") return "type checking fails (the import is under TYPE_CHECKING)";
  if (ctx.frames.includes("try:body")) return `ImportError ${ctx.atImport ? "when this module is imported" : `when the code runs (${describeContext(ctx)})`}, inside a \`try\`: where an \`except\` catches it, the fallback now always runs instead`;
  if (!ctx.atImport) return `ImportError when the code runs (${describeContext(ctx)})`;
  if (isTestFile(model.config, file)) return "ImportError as soon as this module is imported: the test module fails at collection";
  return isPackage ? "ImportError as soon as the package (or anything under it) is imported" : "ImportError as soon as this module is imported";
}

/** Every place at the head that expects `module.<name>` for a lost name. */
async function references(model: ReviewModel, module: string, moduleFile: string, lost: Map<string, Lost>): Promise<Reference[]> {
  const refs: Reference[] = [];
  const seen = new Set<string>();
  const add = (r: Reference) => {
    const key = `${r.file}:${r.line}:${r.name}:${r.kind}`;
    if (!seen.has(key)) {
      seen.add(key);
      refs.push(r);
    }
  };
  const firstPart = (rest: string) => rest.split(".")[0];
  for (const file of await model.head.filesNaming(module)) {
    if (file === moduleFile) continue;
    const facts = model.head.files.get(file);
    if (facts === undefined) continue;
    const self = model.head.moduleOf(file);
    for (const imp of facts.imports) {
      if (imp.kind !== "from" || imp.star || absoluteFrom(imp, self) !== module) continue;
      for (const n of imp.names) {
        if (!lost.has(n.name)) continue;
        const reexport = self?.isPackage === true && imp.context.atImport;
        const listed = facts.all !== null && facts.all.names.includes(n.asname ?? n.name);
        const what = `\`from ${".".repeat(imp.level)}${imp.module} import ${n.asname ? `${n.name} as ${n.asname}` : n.name}\`${reexport ? ` (a re-export of package \`${self?.module}\`${listed ? ", listed in its `__all__`" : ""})` : ""}`;
        add({ file, line: imp.line, name: n.name, what, breaks: importBreaks(model, file, imp.context, self?.isPackage ?? false), kind: "import", typeOnly: imp.context.kind === "type_checking" });
      }
    }
    const names = aliases(facts, self, module);
    for (const p of facts.patchTargets) {
      let name: string | null = null;
      if (p.target !== null && p.target.startsWith(`${module}.`)) name = firstPart(p.target.slice(module.length + 1));
      else if (p.target === null && p.attribute !== null && names.some((a) => a.prefix === p.objectText)) name = p.attribute;
      if (name === null || !lost.has(name)) continue;
      const what = p.target !== null ? `\`${p.callee}("${p.target}")\`` : `\`${p.callee}(${p.objectText}, "${p.attribute}")\``;
      add({ file, line: p.line, name, what, breaks: "AttributeError when the patch starts: the test errors", kind: "patch", typeOnly: false });
    }
    for (const c of facts.calls) {
      for (const a of names) {
        if (!c.callee.startsWith(`${a.prefix}.`) || !visible(a, c.context)) continue;
        const name = firstPart(c.callee.slice(a.prefix.length + 1));
        if (!lost.has(name)) continue;
        add({ file, line: c.line, name, what: `the call \`${c.callee}(...)\``, breaks: `AttributeError when the call runs (${describeContext(c.context)})`, kind: "call", typeOnly: false });
      }
    }
    const patchLines = new Set(facts.patchTargets.map((p) => p.line));
    for (const s of facts.dottedStrings) {
      if (!s.value.startsWith(`${module}.`) || patchLines.has(s.line)) continue;
      const name = firstPart(s.value.slice(module.length + 1));
      if (!lost.has(name)) continue;
      add({ file, line: s.line, name, what: `the string "${s.value}"`, breaks: "whatever loads this dotted path by name (settings, import_string, Celery) fails with ImportError", kind: "string", typeOnly: false });
    }
  }
  return refs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** The line of `__all__`'s entry for `name` in the file (the `__all__` line when the entry cannot be placed). */
function allLine(lines: string[], name: string): number | null {
  const start = lines.findIndex((l) => /^__all__\s*(:[^=]*)?[+]?=/.test(l));
  if (start < 0) return null;
  for (let i = start; i < lines.length && i < start + 500; i++) if (lines[i].includes(`"${name}"`) || lines[i].includes(`'${name}'`)) return i + 1;
  return start + 1;
}

/** A PEP 562 `__getattr__` importing each lost name on first use, for the names the base imported. */
export function getattrCode(lost: Lost[]): string | null {
  const lazy = lost.filter((l) => l.imp !== null);
  if (lazy.length === 0) return null;
  const lines = ["def __getattr__(name):", "    # PEP 562: imported on first use, so importing this module stays cheap."];
  for (const l of lazy) {
    const imp = l.imp as PyImport;
    const n = importedNames(imp).find((x) => x.bound === l.name);
    const original = imp.names.find((x) => (x.asname ?? (imp.kind === "import" ? x.name.split(".")[0] : x.name)) === l.name);
    const stmt =
      imp.kind === "import"
        ? `import ${original?.name ?? n?.name}${original?.asname ? ` as ${original.asname}` : ""}`
        : `from ${".".repeat(imp.level)}${imp.module} import ${original?.name ?? l.name}${original?.asname ? ` as ${original.asname}` : ""}`;
    lines.push(`    if name == "${l.name}":`, `        ${stmt}`, `        return ${l.name}`);
  }
  lines.push('    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")');
  return lines.join("\n") + "\n";
}

export const deferredNameRemoved = defineRule({
  meta: {
    id: "deferred-name-removed",
    defaultSeverity: "warn",
    docsAnchor: "deferred-name-removed",
    short: "a name a module no longer binds still imported or patched there",
    docs: {
      what: "A module no longer binds a name it bound at module scope (typically an import deferred into a function), while other code still imports it from there, patches it there (mock.patch), calls it through the module, or re-exports it.",
      details:
        "A module bound a name at module scope at the base and no longer binds it at the head, while the head still expects the module attribute. The usual cause: `from x import helper` moved from module scope into the function that uses it (to take `x` off the startup path), which also takes `helper` out of the module's namespace. Exactly what counts:\n\n- Bound at module scope: `import a.b` (binds `a`), `import a.b as c`, `from m import x`, `def`, `class`, assignment targets (also `x: int = 1` and `x += 1`), `for` and `with ... as` targets, `case` captures, walrus targets (also in a comprehension at module scope, not in a `lambda`), `globals()[\"x\"] = ...`; inside a function only through `global`.\n- Still bound, no finding: a binding in any module-level `if`/`try`/`except`/`for`/`with`/`match` branch (the condition is not evaluated), or a name that is a submodule of the package (`from pkg import sub` imports it, and so does `mock.patch(\"pkg.sub.x\")`).\n- No longer bound: a binding only under `if TYPE_CHECKING:` (or `if False:`, `if __name__ == \"__main__\":`), only in a class body (a class attribute), only as `except E as x` (deleted when the handler ends), only through `global` in a function (bound once it runs: said so), or removed by a later module-level `del`; `x: int` without a value binds nothing.\n- Maybe still bound, reported at `message` saying why: a module `__getattr__` (PEP 562) whose file never spells the name as a string, a star import whose module may export it (a repository module's literal `__all__`, or its `def`/`class`/imports, decide when they can), `globals()`/`vars()` writes, `setattr(sys.modules[...], ...)`.\n- A `__getattr__` whose file spells the name serves it: imports of it are fine; a `mock.patch` of the old attribute is still reported when the module now imports the name inside a function, since the patch then replaces an attribute the code no longer reads.\n- References looked for at the head: `from mod import name` anywhere (a package `__init__` re-export included), `mock.patch`/`mocker.patch`/`patch.dict`/`monkeypatch.setattr` targets `\"mod.name...\"`, `patch.object(mod, \"name\")`, calls `mod.name(...)` through an import of `mod`, dotted strings `\"mod.name\"`, and `mod`'s own `__all__`. Other attribute reads (`f = mod.name`) are not seen.",
      why: "Deferring `from x import helper` into the function that uses it also removes `helper` from the module's namespace. Every `from mod import helper` then raises ImportError (a test module: at collection, on every CI shard), every `mock.patch(\"mod.helper\")` raises AttributeError, and a package `__init__` re-exporting it breaks the whole package. The changed file itself runs fine.",
      fix: "Import the name from its new home and patch it there (`mock.patch(\"x.helper\")`: the deferred import reads `x.helper` on each call). Or keep the old attribute with a PEP 562 `__getattr__` in the module that imports it lazily.",
      example: {
        bad: '# shop/billing.py: the import moved into the function\ndef charge(order):\n    from shop.payments import stripe_client\n    return stripe_client().charge(order.total)\n\n# shop/tests/test_billing.py still has:\n@mock.patch("shop.billing.stripe_client")\ndef test_charge(client): ...',
        good: '# shop/tests/test_billing.py: patch where charge() now looks it up\n@mock.patch("shop.payments.stripe_client")\ndef test_charge(client): ...\n\n# and, for code outside the repository, in shop/billing.py:\ndef __getattr__(name):\n    if name == "stripe_client":\n        from shop.payments import stripe_client\n        return stripe_client\n    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    const findings: RawFinding[] = [];
    for (const change of model.changes) {
      const base = change.base;
      if (base === null || base.module === null || base.path.endsWith(".pyi")) continue;
      const module = base.module.module;
      const headFile = model.head.moduleFile(module);
      if (headFile === null) continue; // moved or deleted: module-moved-without-shim
      const now = model.changes.find((c) => c.head?.path === headFile)?.head ?? null;
      if (now === null) continue;
      const self = model.head.moduleOf(headFile) ?? { module, isPackage: base.module.isPackage };
      const lost = lostNames(model.head, base, now, self);
      if (lost.length === 0) continue;
      const byName = new Map(lost.map((l) => [l.name, l]));
      const refs = await references(model, module, headFile, byName);
      // The module's own `__all__` still listing the name: `from module import *` raises AttributeError.
      const all = now.facts.all;
      if (all !== null && !all.dynamic) {
        for (const l of lost) {
          if (!all.names.includes(l.name)) continue;
          const line = allLine(now.lines, l.name);
          refs.push({ file: headFile, line: line ?? 1, name: l.name, what: "`__all__`", breaks: `\`from ${module} import *\` raises AttributeError`, kind: "all", typeOnly: false });
        }
      }
      const code = getattrCode(lost);
      const hasGetattr = now.facts.functions.some((f) => f.name === "__getattr__" && f.context.kind === "top");
      for (const r of refs) {
        const l = byName.get(r.name) as Lost;
        // A `__getattr__` that serves the name keeps imports working; a patch then resolves but replaces an attribute the deferred code no longer reads.
        if (l.served && (r.kind !== "patch" || l.deferred === null)) continue;
        const where = `\`${module}.${r.name}\` (bound at the base at ${base.path}:${l.was.line})`;
        const breaks = l.served ? "the patch resolves through `__getattr__`, but the code now imports the name inside a function, so the mock is never used" : r.breaks;
        const patchHome = l.home !== null && l.home.includes(".") ? `mock.patch("${l.home}")` : null;
        let fix: string;
        if (r.kind === "patch") {
          fix = patchHome !== null ? `Patch it where the code now looks it up: \`${patchHome}\` (the deferred import reads \`${l.home}\` on every call).` : `Update the patch target: \`${module}\` no longer has \`${r.name}\`.`;
        } else if (l.home !== null) {
          fix = `Import it from its home (\`${l.home}\`), or keep \`${module}.${r.name}\` working with a PEP 562 \`__getattr__\` in ${headFile}${hasGetattr ? " (add the branch to its existing `__getattr__`)" : ""} that imports it on first use (below).`;
        } else fix = `Keep \`${r.name}\` in ${headFile}, or update the reference.`;
        const also = refs
          .filter((o) => o.name === r.name && o !== r)
          .map((o) => `also expects it: ${o.file}:${o.line} (${o.what})`)
          .slice(0, 20);
        findings.push({
          file: r.file,
          line: r.line,
          message: `${r.what} still expects ${where}, but ${l.now}: ${breaks}${l.maybe ? ` (${l.maybe})` : ""}.`,
          fix,
          fixCode: r.kind !== "patch" && code !== null ? { path: headFile, language: "python", code } : undefined,
          details: also.length > 0 ? also : undefined,
          cap: l.maybe !== null ? "message" : r.typeOnly ? "warn" : undefined,
        });
      }
    }
    return findings;
  },
});
