/** `heavy-import-at-startup`: its docs are `meta.docs` below (docs/rules.md is generated from them). */
import { matchHeavy } from "../config";
import { isTestFile } from "../config";
import { costMs } from "../source/importtime";
import type { ChainLink } from "../core/types";
import { describeContext } from "../python/context";
import { importStatementText } from "../python/format";
import { importedModules } from "../python/modules";
import type { PyFileFacts } from "../python/types";
import { isCertainlyOnStartup, isReadyScope, mayBeOnStartup, type FileChangeModel, type RepoSide, type ReviewModel, setupTimeImports } from "./model";
import { defineRule, type RawFinding } from "./rule";

interface HeavyUse {
  heavy: string;
  /** The module the statement imports that matched, e.g. `scipy.stats`. */
  module: string;
  line: number;
  statement: string;
  where: string;
}

function readyWhere(scope: string): string {
  return `inside ${scope}() (Django calls it during setup)`;
}

/** Heavy modules a file imports at setup time (module level or in AppConfig.ready()). */
function heavyUses(side: RepoSide, path: string, facts: PyFileFacts, heavyList: readonly string[]): HeavyUse[] {
  const out: HeavyUse[] = [];
  const mod = side.moduleOf(path);
  for (const { imp, via } of setupTimeImports(facts, path)) {
    let best: { heavy: string; module: string } | null = null;
    for (const t of importedModules(imp, mod?.module ?? null, mod?.isPackage ?? false)) {
      const heavy = matchHeavy(t.module, heavyList);
      if (heavy !== null && (best === null || t.module.length > best.module.length)) best = { heavy, module: t.module };
    }
    if (best === null) continue;
    const where = via === "ready" ? readyWhere(imp.context.scope) : describeContext(imp.context);
    out.push({ ...best, line: imp.line, statement: importStatementText(imp), where });
  }
  for (const call of facts.importCalls) {
    const inReady = call.context.kind === "function" && isReadyScope(facts, path, call.context.scope);
    if (!call.context.atImport && !inReady) continue;
    const heavy = matchHeavy(call.module, heavyList);
    if (heavy === null) continue;
    const where = inReady ? readyWhere(call.context.scope) : describeContext(call.context);
    out.push({ heavy, module: call.module, line: call.line, statement: `${call.func}(${JSON.stringify(call.module)})`, where });
  }
  return out;
}

function chainText(chain: readonly ChainLink[]): string {
  return chain.map((l) => l.module).join(" → ");
}

/** The first link of a head chain created by this change: the edge to point the reviewer at. */
function newEdge(model: ReviewModel, chain: readonly ChainLink[]): { file: string; line: number } | null {
  const changed = new Map(model.changes.map((c) => [c.path, c]));
  let fallback: { file: string; line: number } | null = null;
  for (let i = 1; i < chain.length; i++) {
    const from = chain[i - 1].file;
    const line = chain[i].line;
    if (from === null || line === null) continue;
    // A link made by a call: the call, then the places inside the called functions (the import last).
    for (const at of [{ file: from, line }, ...(chain[i].steps ?? [])]) {
      const c = changed.get(at.file);
      if (c === undefined) continue;
      if (c.added.has(at.line) || c.status === "added") return at;
      fallback ??= at;
    }
  }
  return fallback;
}

/** The startup graph decides; without one, Django's conventions (apps, models, admin, settings) and "any non-test module may be". */
function onStartupAtHead(model: ReviewModel, change: FileChangeModel): "yes" | "no" | "maybe" {
  const graph = model.head.graph;
  const mod = change.head?.module;
  if (graph !== null && mod) return graph.chainTo(mod.module) !== null ? "yes" : "no";
  if (isCertainlyOnStartup(change.path)) return "yes";
  return mayBeOnStartup(model.config, change.path) ? "maybe" : "no";
}

export const heavyImportAtStartup = defineRule({
  meta: {
    id: "heavy-import-at-startup",
    defaultSeverity: "warn",
    docsAnchor: "heavy-import-at-startup",
    short: "a heavy module newly imported at setup",
    docs: {
      what: "A change makes django.setup() import a heavy module, directly or through a chain of imports.",
      details:
        "The change makes `django.setup()` import a heavy module (one on the configured list, prefix match: `google.cloud` covers `google.cloud.storage`): directly, by adding an import that runs at import time (module level, module-level `if`/`try`/`with`, class body, or `AppConfig.ready()`), or indirectly, by adding a link to a chain of imports that ends in one. The finding shows the chain link by link, from a startup root to the heavy module.",
      why: "Every Django process (web, manage.py, migrate, Celery and Temporal workers, each CI shard) pays for every module setup imports; one heavy module-scope import adds its whole import time to all of them.",
      fix: "Import the module inside the function that uses it (or under `if TYPE_CHECKING:` when it only serves annotations, or as a PEP 810 `lazy import` on Python 3.15+).",
      example: {
        bad: "# products/warehouse/backend/models/table.py  (a models module: imported by django.setup())\nimport chdb\n\ndef query(sql):\n    return chdb.query(sql)",
        good: "# products/warehouse/backend/models/table.py\ndef query(sql):\n    import chdb  # deferred: only the code that queries pays for it\n\n    return chdb.query(sql)",
      },
    },
  },

  check(model: ReviewModel): RawFinding[] {
    const heavyList = model.config.heavyModules;
    const findings: RawFinding[] = [];
    const reported = new Set<string>();

    // 1. Heavy imports a changed file newly runs at setup time.
    for (const change of model.changes) {
      if (!change.head || isTestFile(model.config, change.path)) continue;
      const before = new Set<string>();
      if (change.base) for (const u of heavyUses(model.base, change.base.path, change.base.facts, heavyList)) before.add(u.heavy);
      const onStartup = onStartupAtHead(model, change);
      for (const u of heavyUses(model.head, change.path, change.head.facts, heavyList)) {
        if (before.has(u.heavy)) continue;
        const key = `${change.path}:${u.line}:${u.heavy}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const headGraph = model.head.graph;
        const chainHere = headGraph && change.head.module ? headGraph.chainTo(change.head.module.module) : null;
        const alreadyAtBase = model.base.graph?.chainToPrefix(u.heavy) ?? null;
        const modulePart = u.module === u.heavy ? `\`${u.heavy}\`` : `\`${u.module}\` (heavy: \`${u.heavy}\`)`;
        let message: string;
        let cap: RawFinding["cap"];
        if (onStartup === "no") {
          message = `\`${u.statement}\` runs ${u.where} and imports ${modulePart}; django.setup() does not import ${change.path} today, but anything that starts importing it at setup will pay for ${u.heavy}.`;
          cap = "message";
        } else if (alreadyAtBase !== null && model.base.graph !== null) {
          message = `\`${u.statement}\` runs ${u.where} and imports ${modulePart}, which django.setup() already imports (through ${chainText(alreadyAtBase)}); this adds another path that keeps it there.`;
          cap = "message";
        } else {
          const certainty = onStartup === "yes" ? "django.setup() imports this file" : "this file may be imported during django.setup()";
          message = `\`${u.statement}\` runs ${u.where} and imports the heavy module ${modulePart}; ${certainty}, so every Django process would load ${u.heavy}.`;
        }
        findings.push({
          file: change.path,
          line: u.line,
          message,
          chain: chainHere ? [...chainHere, { module: u.module, file: null, line: u.line }] : undefined,
          cap,
        });
      }
    }

    // 2. Heavy modules setup newly reaches through a chain (needs both graphs).
    const head = model.head.graph;
    const base = model.base.graph;
    if (head !== null && base !== null) {
      for (const heavy of heavyList) {
        const chain = head.chainToPrefix(heavy);
        if (chain === null || base.chainToPrefix(heavy) !== null) continue;
        const at = newEdge(model, chain);
        if (at === null) continue;
        const key = `${at.file}:${at.line}:${heavy}`;
        const direct = findings.find((f) => f.file === at.file && f.line === at.line);
        if (direct) {
          direct.chain = chain;
          direct.cap = undefined;
          continue;
        }
        if (reported.has(key)) continue;
        reported.add(key);
        const leaf = chain[chain.length - 1].module;
        findings.push({
          file: at.file,
          line: at.line,
          message: `This import makes django.setup() reach the heavy module \`${leaf}\` through ${chain.length - 1} imports: ${chainText(chain)}.`,
          fix: `Break the chain at the link this change added, or defer the import of \`${leaf}\` where it is used (inside the function, or under \`if TYPE_CHECKING:\`).`,
          chain,
        });
      }
    }
    // 3. First-party heavy subsystems: setup newly enters a large subtree through one module.
    if (head !== null && base !== null) {
      const threshold = model.config.subsystemThreshold;
      for (const m of head.modules()) {
        if (!m.firstParty || m.chain.length < 2 || base.chainTo(m.name) !== null) continue;
        // Only the entry of a newly reached subtree: its parent in the chain was already reached.
        if (base.chainTo(m.chain[m.chain.length - 2].module) === null) continue;
        const count = head.dominatedCount(m.name);
        if (count <= threshold) continue;
        const at = newEdge(model, m.chain);
        if (at === null) continue;
        findings.push({
          file: at.file,
          line: at.line,
          message: `django.setup() now imports \`${m.name}\` and, only through it, ${count} more first-party modules (the subsystem threshold is ${threshold}): ${chainText(m.chain)}.`,
          fix: `Defer this import into the code that needs \`${m.name}\`, or import a lighter module that does not pull the whole subsystem.`,
          chain: m.chain,
        });
      }
    }
    rankByCost(model, findings);
    return findings;
  },
});

/**
 * With an importtime log: each finding about a module setup newly imports says what it costs,
 * and the costly ones are ranked, so reviewers start with the chain that matters most.
 */
function rankByCost(model: ReviewModel, findings: RawFinding[]): void {
  if (model.importCosts.size === 0) return;
  const costed: { f: RawFinding; ms: number; module: string }[] = [];
  for (const f of findings) {
    if (f.cap === "message") continue;
    const leaf = f.chain?.[f.chain.length - 1]?.module;
    const candidates = [leaf, ...(f.chain ?? []).map((l) => l.module).reverse()].filter((m): m is string => m !== undefined);
    for (const module of candidates) {
      const ms = costMs(model.importCosts, module) ?? costMs(model.importCosts, module.split(".")[0]);
      if (ms !== null) {
        costed.push({ f, ms, module });
        break;
      }
    }
  }
  costed.sort((a, b) => b.ms - a.ms);
  costed.forEach(({ f, ms, module }, i) => {
    f.message += ` Estimated cost: +${ms.toFixed(1)} ms per process (${module}, from the importtime log; ${i + 1} of ${costed.length} by cost).`;
  });
}
