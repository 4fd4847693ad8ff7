/** `startup-import-cycle`: its docs are `meta.docs` below (docs/rules.md is generated from them); the simulation is graph/import-order.ts. */
import { headLineFor } from "../source/line-map";
import type { ChainLink } from "../core/types";
import { decodeRun, encodeRun, type ImportFailure, type ImportRun, simulateRepository } from "../graph/import-order";
import { importStatementText } from "../python/format";
import type { PyImport } from "../python/types";
import { isReadyScope, type RepoSide, type ReviewModel } from "./model";
import { defineRule, type RawFinding } from "./rule";

/** The roots setup imports, in order, then the modules `ready()` methods of root modules import. */
function setupRoots(side: RepoSide): string[] | null {
  const roots = side.graph?.roots;
  if (roots === undefined || roots.length === 0) return null;
  const out = roots.map((r) => r.module);
  const seen = new Set(out);
  for (const r of roots) {
    const file = side.moduleFile(r.module);
    // Only a file with an import in a `ready` method is read in full (its classes say whose method it is).
    const inReady = (imp: PyImport): boolean => imp.context.kind === "function" && imp.context.scope.endsWith(".ready");
    if (file === null || !side.importFacts(file)?.imports.some(inReady)) continue;
    const facts = side.files.get(file);
    if (facts === undefined) continue;
    for (const imp of facts.imports) {
      if (!inReady(imp) || !isReadyScope(facts, file, imp.context.scope)) continue;
      for (const m of side.mainTargets(file, imp)) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.push(m);
      }
    }
  }
  return out;
}

/** The import order of one revision's django.setup() (null without a startup graph), stopping at the first failure as setup does. */
export async function setupImportRun(side: RepoSide): Promise<ImportRun | null> {
  return (await importRun(side, false))?.run ?? null;
}

/**
 * setup's import order, then (when the settings name a `ROOT_URLCONF` and setup succeeded) the
 * first request's: the URLconf imported with `sys.modules` as setup left it, its module body
 * running the `include("app.urls")` calls in order. `setupRoots`: how many of the run's roots
 * are setup's (a failure of a later root is the first request's).
 */
export async function startupImportRun(side: RepoSide): Promise<{ run: ImportRun; setupRoots: number } | null> {
  return importRun(side, true);
}

async function importRun(side: RepoSide, firstRequest: boolean): Promise<{ run: ImportRun; setupRoots: number } | null> {
  const urlconf = firstRequest ? (side.graph?.firstRequest?.module ?? null) : null;
  const compute = async (): Promise<{ run: ImportRun; setupRoots: number } | null> => {
    const roots = setupRoots(side);
    if (roots === null) return null;
    const all = urlconf === null ? roots : [...roots, urlconf];
    return { run: await simulate(side, all), setupRoots: roots.length };
  };
  if (side.stored === undefined) return compute();
  // Kept with the graphs per repository state (the version names this file's part of the computation).
  const kept = await side.stored(urlconf === null ? "import-order-v2" : "import-order-first-request-v2", async () => {
    const out = await compute();
    return out === null ? { none: true } : { run: encodeRun(out.run), setupRoots: out.setupRoots };
  });
  const k = kept as { none?: unknown; run?: unknown; setupRoots?: unknown };
  if (k.none === true) return null;
  const run = decodeRun(k.run);
  return run === null || typeof k.setupRoots !== "number" ? compute() : { run, setupRoots: k.setupRoots };
}

function simulate(side: RepoSide, roots: string[]): Promise<ImportRun> {
  return simulateRepository(
    {
      fileOf: (m) => side.moduleFile(m),
      facts: (f) => side.files.get(f),
      importFacts: (f) => side.importFacts(f),
      statements: (f) => side.statements?.(f) ?? Promise.resolve(null),
    },
    roots,
    { stopAtFirst: true },
  );
}

/**
 * Whether the change can change what setup's (or the first request's) imports do: it touches a
 * module setup or the URLconf imports at the base or at the head, or the roots or the URLconf differ. Otherwise both sides run the same code in the
 * same order, and the simulation is skipped.
 */
function mayChangeOrder(model: ReviewModel): boolean {
  const reached = (side: RepoSide, module: string | undefined): boolean => module !== undefined && (side.graph?.reachedBy(module) ?? null) !== null;
  const roots = (side: RepoSide): string => [...(side.graph?.roots ?? []).map((r) => r.module), `urlconf:${side.graph?.firstRequest?.module ?? ""}`].join("\n");
  if (roots(model.head) !== roots(model.base)) return true;
  return model.changes.some((c) => reached(model.head, c.head?.module?.module) || reached(model.base, c.base?.module?.module));
}

function keyOf(f: ImportFailure): string {
  return `${f.file}\0${f.from}\0${f.name}`;
}

/** The chain of first imports that brought `module` in: root first, each link with the line that imported it. */
function firstImportChain(run: ImportRun, side: RepoSide, module: string): ChainLink[] {
  const links: ChainLink[] = [];
  const seen = new Set<string>();
  for (let m: string | null = module; m !== null && !seen.has(m); ) {
    seen.add(m);
    const first = run.firstImport.get(m);
    links.push({ module: m, file: side.moduleFile(m), line: first?.line ?? null });
    m = first?.by ?? null;
  }
  return links.reverse();
}

function chainText(chain: readonly ChainLink[]): string {
  return chain.map((l, i) => (i === 0 || l.line === null ? l.module : `${l.module} (${chain[i - 1].file ?? "?"}:${l.line})`)).join(" → ");
}

/** The failing statement of the head, from the head's facts. */
function failingImport(model: ReviewModel, f: ImportFailure): PyImport | undefined {
  const at = model.head.files.get(f.file)?.imports.filter((i) => i.line === f.line) ?? [];
  return at.find((i) => i.names.some((n) => n.name === f.name || n.name.endsWith(`.${f.name}`))) ?? at[0];
}

/** Where to point: an added line on the head's import stack, else a changed file on the base's first-import chain, else the failing line. */
function anchor(model: ReviewModel, f: ImportFailure, baseChain: readonly ChainLink[]): { file: string; line: number } {
  const changes = new Map(model.changes.map((c) => [c.path, c]));
  const headLinks: { file: string; line: number }[] = [];
  for (let i = 1; i < f.stack.length; i++) {
    const file = f.stack[i - 1].file;
    const line = f.stack[i].line;
    if (file !== null && line !== null) headLinks.push({ file, line });
  }
  headLinks.push({ file: f.file, line: f.line });
  for (let i = headLinks.length - 1; i >= 0; i--) if (changes.get(headLinks[i].file)?.added.has(headLinks[i].line)) return headLinks[i];
  for (let i = baseChain.length - 1; i >= 1; i--) {
    const file = baseChain[i - 1].file;
    const line = baseChain[i].line;
    if (file === null || line === null) continue;
    const change = model.changes.find((c) => c.base?.path === file);
    if (change === undefined || change.head === null || change.base === null) continue;
    return { file: change.path, line: headLineFor(change.base.lines, change.head.lines, line) };
  }
  return { file: f.file, line: f.line };
}

/** The functions of the failing module that use the name (its calls), for the deferred import. */
function usingFunctions(model: ReviewModel, file: string, bound: string): string[] {
  const facts = model.head.files.get(file);
  if (facts === undefined) return [];
  const out = new Set<string>();
  for (const c of facts.calls) {
    const first = c.callee.split(".")[0];
    if (first === bound && c.context.kind === "function" && c.context.scope !== "") out.add(c.context.scope);
  }
  return [...out];
}

function fixCodeFor(model: ReviewModel, f: ImportFailure, imp: PyImport | undefined): string {
  const own = imp?.names.find((n) => n.name === f.name);
  const statement = imp !== undefined ? importStatementText({ ...imp, names: own === undefined ? imp.names : [own] }) : `from ${f.from} import ${f.name}`;
  const bound = own?.asname ?? f.name;
  const users = usingFunctions(model, f.file, bound);
  const scopes = users.length > 0 ? users : ["the_function_using_it"];
  const blocks = scopes.slice(0, 3).map((scope) => {
    const parts = scope.split(".");
    const indent = "    ".repeat(parts.length);
    const header = parts.map((p, i) => `${"    ".repeat(i)}${i === parts.length - 1 ? `def ${p}(...):` : `class ${p}:`}`).join("\n");
    return `${header}\n${indent}${statement}  # deferred: ${f.from} imports this module back\n${indent}...`;
  });
  return `# ${f.file}: remove \`${statement}\` at line ${f.line}, and import it where it is used:\n${blocks.join("\n\n")}`;
}

export const startupImportCycle = defineRule({
  meta: {
    id: "startup-import-cycle",
    defaultSeverity: "warn",
    docsAnchor: "startup-import-cycle",
    short: "a circular import that now raises during setup or at the first request",
    docs: {
      what: "A change makes a circular import raise ImportError during django.setup(), or at the first request when web processes import the URLconf (ROOT_URLCONF): `from A import n` now runs while A is still executing and has not bound n yet.",
      why: "A module-scope cycle (A imports B, B imports a name from A) works only in one import order: when A binds the name before it imports B, or when B is imported first. Which module comes first depends on what other chains import earlier, so removing an unrelated eager import (a URLconf, a router, a viewset) or adding one elsewhere changes the order, and every process then fails at setup or at its first request with `ImportError: cannot import name ... from partially initialized module ... (most likely due to a circular import)`. A cycle that already raises at the base is not reported: the change did not cause it.",
      details:
        "The import order is simulated as CPython 3.11+ runs it, from the startup roots in the order Django imports them, then the imports of the roots' `AppConfig.ready()` methods, then (when setup succeeds and the settings name a `ROOT_URLCONF`) the first request: the URLconf imported with `sys.modules` as setup left it, each `include(\"app.urls\")` at its module scope importing that URLconf when the call runs, in the order of the module body. " +
        "A failure there is said to be the first request's (\"raises ImportError at the first request in web processes (setup itself succeeds)\"): Celery, `migrate` and `shell` run setup alone and do not fail. " +
        "The rules of the simulation: a module is in `sys.modules` while it executes; `from A import n` reads only what `A` has bound so far (definitions, classes once their body has run, assignments, imports, submodules that finished) and falls back to `sys.modules[\"A.n\"]`; `from pkg import sub` imports a submodule not bound yet; `import a.b` runs each parent's `__init__` first. The simulation is checked against real CPython on 1,500 generated module trees (`test/import-order-oracle.test.ts`).\n\n" +
        "Only certain failures are reported: one with an import under `if`/`for`/`while` or in a `try` body on the import stack is not (an `except` may catch it), and a name bound anywhere under a condition counts as bound. A cycle that already raises at the base is not reported: the change did not cause it, and the base's setup stops there anyway.\n\n" +
        "Not modelled: attribute access on a partially initialised module (`import a` then `a.f()` at module scope: AttributeError), what `from x import *` copies from one, module-scope calls of functions that import, PEP 562 `__getattr__` bodies, `sys.modules` edits and import hooks, an `include()` whose argument is not a string literal (the startup graph lists it as unresolved), and what the first request imports beyond the URLconf (views resolved lazily, middleware).",
      fix: "Break the cycle where it closes: move the import into the functions that use the name (a deferred import runs at call time, when both modules are complete). Restoring the eager import that hid the cycle also works, but keeps it fragile.",
      example: {
        bad: "# slack_app/backend/api.py\nfrom slack_app.backend.workflows import SlackWorkflow  # workflows imports back from this module\n\ndef send_message(channel, text):\n    ...\n\n# slack_app/backend/workflows.py\nfrom slack_app.backend.api import send_message  # raises when workflows is imported first\n\nclass SlackWorkflow:\n    def run(self):\n        send_message(self.channel, self.text)",
        good: "# slack_app/backend/workflows.py\nclass SlackWorkflow:\n    def run(self):\n        from slack_app.backend.api import send_message  # deferred: api imports this module\n\n        send_message(self.channel, self.text)",
      },
    },
  },

  async check(model: ReviewModel): Promise<RawFinding[]> {
    if (!mayChangeOrder(model)) return [];
    const headRun = await startupImportRun(model.head);
    const head = headRun?.run ?? null;
    const failure = head?.failures[0];
    if (headRun === null || failure === undefined) return [];
    const baseRun = await startupImportRun(model.base);
    const base = baseRun?.run ?? null;
    const atBase = base?.failures[0];
    // A failure importing a root after setup's is the first request's (setup itself succeeded).
    const firstRequest = failure.rootIndex >= headRun.setupRoots;
    if (atBase !== undefined && keyOf(atBase) === keyOf(failure)) return [];
    // The cycle: the partially initialised module, then what it imported down to the failing statement.
    const at = failure.stack.findIndex((l) => l.module === failure.from);
    const cycle = at < 0 ? [failure.from, failure.module] : failure.stack.slice(at).map((l) => l.module);
    const headChain: ChainLink[] = [...failure.stack, { module: failure.from, file: model.head.moduleFile(failure.from), line: failure.line }];
    // At the base: the module of the cycle imported first, and the chain that imported it.
    let entry: string | null = null;
    if (base !== null) {
      let order = Infinity;
      const firsts = [...base.firstImport.keys()];
      for (const m of cycle) {
        const i = firsts.indexOf(m);
        if (i >= 0 && i < order) {
          order = i;
          entry = m;
        }
      }
    }
    const baseChain = base !== null && entry !== null ? firstImportChain(base, model.base, entry) : [];
    const where = anchor(model, failure, baseChain);
    const imp = failingImport(model, failure);
    const statement = imp !== undefined ? importStatementText(imp) : `from ${failure.from} import ${failure.name}`;
    const details = [
      `ImportError: ${failure.message}`,
      `cycle: ${[...cycle, failure.from].join(" → ")}`,
      `order of first imports at head: ${chainText(headChain)}`,
      baseChain.length > 0
        ? `order of first imports at base: ${chainText(baseChain)}${entry !== failure.from ? ` (${entry} was imported before ${failure.from}, so ${failure.from} was never re-entered while incomplete)` : ""}`
        : `at base: none of the cycle's modules is imported at setup${firstRequest ? " or by the first request" : ""}`,
    ];
    if (firstRequest) details.splice(1, 0, `phase: the first request (importing the URLconf ${failure.root} after django.setup() succeeded); web processes only: Celery, migrate and shell run setup alone and do not fail`);
    if (atBase !== undefined) details.push(`at base, ${baseRun !== null && atBase.rootIndex >= baseRun.setupRoots ? "the first request" : "setup"} already failed earlier: ${atBase.file}:${atBase.line}: ${atBase.message}`);
    if (base?.uncertain) details.push(`at base, the simulation stopped at ${base.uncertain.file}:${base.uncertain.line} (${base.uncertain.why}): the base's order is not certain`);
    return [
      {
        file: where.file,
        line: where.line,
        message: `${firstRequest ? `Importing the URLconf ${failure.root} now raises ImportError at the first request in web processes (setup itself succeeds), at` : "django.setup() now raises ImportError at"} ${failure.file}:${failure.line} (\`${statement}\`): ${failure.from} is still executing when it is imported back, and has not bound ${failure.name} yet (cycle ${[...cycle, failure.from].join(" → ")}).`,
        chain: headChain,
        details,
        fixCode: { path: failure.file, language: "python", code: fixCodeFor(model, failure, imp) },
        ...(base?.uncertain ? { cap: "message" as const } : {}),
      },
    ];
  },
});
