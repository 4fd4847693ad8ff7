/** Machine-readable report: stable key order, two-space indentation. */

import type { Finding, ReviewError } from "../core/types";
import { orderFindings, uniqueErrors } from "./order";

const FINDING_KEYS = ["rule", "severity", "file", "line", "message", "docs", "why", "fix", "fixCode", "chain", "details", "inDiff"];
const FIX_CODE_KEYS = ["path", "language", "code"];
const CHAIN_KEYS = ["module", "file", "line", "via"];
const ERROR_KEYS = ["kind", "where", "message"];

/** A copy of `obj` with `first` keys in that order, then any other keys sorted. Undefined values are dropped. */
function ordered(obj: object, first: readonly string[]): Record<string, unknown> {
  const source = obj as Record<string, unknown>;
  const rest = Object.keys(source)
    .filter((k) => !first.includes(k))
    .sort();
  const out: Record<string, unknown> = {};
  for (const key of [...first, ...rest]) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out;
}

function findingJson(f: Finding): Record<string, unknown> {
  const out = ordered(f, FINDING_KEYS);
  if (f.fixCode !== undefined) out.fixCode = ordered(f.fixCode, FIX_CODE_KEYS);
  if (f.chain !== undefined) out.chain = f.chain.map((link) => ordered(link, CHAIN_KEYS));
  return out;
}

/**
 * `{"findings": [...], "errors": [...]}`, findings sorted and de-duplicated as in every report,
 * each starting with `rule, severity, file, line, message, docs`.
 */
export function renderJson(findings: readonly Finding[], errors: readonly ReviewError[]): string {
  return JSON.stringify(
    {
      findings: orderFindings(findings).map(findingJson),
      errors: uniqueErrors(errors).map((e) => ordered(e, ERROR_KEYS)),
    },
    null,
    2,
  );
}
