/**
 * Runs the rules over the review model and turns what they report into findings: the
 * configured severity (rule, then path overrides, then the rule's own cap), exclusions,
 * inline pragmas, the docs link, and whether the line is one the change added (only those
 * may become inline comments).
 */
import { docsUrlFor, isExcluded, pragmaAllows, ruleEnabledAnywhere, severityFor } from "../config";
import type { ReviewModel } from "../rules/model";
import { RULES, type Rule } from "../rules";
import { SEVERITY_RANK, type Finding, type ReviewError, type Severity } from "../core/types";

export type LineReader = (path: string, side: "head" | "base") => Promise<string[] | null>;

export async function runRules(model: ReviewModel, readLines: LineReader, rules: readonly Rule[] = RULES): Promise<{ findings: Finding[]; errors: ReviewError[] }> {
  const { config } = model;
  const findings: Finding[] = [];
  const errors: ReviewError[] = [];
  const ids = rules.map((r) => r.meta.id);
  const added = new Map(model.changes.filter((c) => c.head !== null).map((c) => [c.path, c.added]));
  for (const rule of rules) {
    const id = rule.meta.id;
    if (!ruleEnabledAnywhere(config, id)) continue;
    let raws;
    try {
      raws = await rule.check(model);
    } catch (e) {
      errors.push({ kind: "internal", where: id, message: `rule ${id} failed and reported nothing: ${(e as Error).message}` });
      continue;
    }
    for (const raw of raws) {
      if (isExcluded(config, raw.file)) continue;
      const configured = severityFor(config, id, raw.file);
      if (configured === "off") continue;
      let severity: Severity = configured;
      if (raw.cap !== undefined && SEVERITY_RANK[raw.cap] < SEVERITY_RANK[severity]) severity = raw.cap;
      if (raw.line !== null) {
        const lines = await readLines(raw.file, raw.side ?? "head");
        if (lines !== null && pragmaAllows(lines, raw.line, id, ids)) continue;
      }
      const side = raw.side ?? "head";
      findings.push({
        rule: id,
        severity,
        file: raw.file,
        line: raw.line,
        message: raw.message,
        why: raw.why ?? rule.meta.docs.why,
        fix: raw.fix ?? rule.meta.docs.fix,
        ...(raw.fixCode ? { fixCode: raw.fixCode } : {}),
        docs: docsUrlFor(config, id, rule.meta.docsAnchor),
        ...(raw.chain ? { chain: raw.chain } : {}),
        ...(raw.details && raw.details.length ? { details: raw.details } : {}),
        inDiff: side === "head" && raw.line !== null && (added.get(raw.file)?.has(raw.line) ?? false),
      });
    }
  }
  return { findings, errors };
}
