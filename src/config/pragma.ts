/**
 * Inline suppressions:
 *
 *     import stripe  # startup-guard: allow heavy-import-at-startup -- only in the CLI entry point
 *
 *     # startup-guard: allow all -- vendored module, tracked in #123
 *     from .legacy import *
 *
 * A reason is required. A pragma with a problem (no reason, unknown rule) suppresses nothing
 * and is reported, so a typo never silently hides or fails to hide a finding.
 */

import type { ReviewError } from "../core/types";
import { closest, didYouMean } from "./suggest";
import type { RuleId } from "./types";
import { pushAll } from "../core/arrays";

export interface Pragma {
  rules: RuleId[] | "all";
  reason: string;
}

export interface PragmaError extends ReviewError {
  kind: "pragma";
}

export interface PragmaParse {
  pragmas: Pragma[];
  errors: PragmaError[];
}

export const PRAGMA_SYNTAX = "# startup-guard: allow <rule-id>[, <rule-id>...] -- <reason>";

const MARKER = /#\s*startup-guard\b/gi;
/** Other tools' trailing comments, not part of a reason. */
const TRAILING_TOOL_COMMENT = /\s+#\s*(?:noqa|type:|pragma|pylint:|fmt:|isort:|nosec|pyright:|mypy:)/i;

/**
 * Offset of the `#` that starts the line's comment, or -1. Follows string literals on the line
 * (quotes, triple quotes, backslash escapes); a line that starts inside a multi-line string
 * cannot be told apart from code, so callers pass lines the scanner says are code.
 */
export function commentStart(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === "\\") i++;
      else if (line.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = null;
      }
    } else if (c === "#") {
      return i;
    } else if (c === '"' || c === "'") {
      quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    }
  }
  return -1;
}

/**
 * The pragmas in one line's comment. `at` names the place for error messages (`file:line`).
 */
export function parsePragmas(lineText: string, ruleIds: readonly string[], at?: { file: string; line: number }): PragmaParse {
  const isRuleId = (id: string): boolean => ruleIds.includes(id);
  const out: PragmaParse = { pragmas: [], errors: [] };
  if (!/startup-guard/i.test(lineText)) return out;
  const start = commentStart(lineText);
  if (start === -1) return out;
  const comment = lineText.slice(start).replace(/[\r\n]+$/, "");
  const where = at === undefined ? "pragma" : `${at.file}:${at.line}`;
  const fail = (message: string): void => {
    out.errors.push({ kind: "pragma", where, message });
  };

  const markers = [...comment.matchAll(MARKER)].map((m) => m.index ?? 0);
  markers.forEach((from, k) => {
    const text = comment.slice(from, markers[k + 1] ?? comment.length);
    const m = /^#\s*startup-guard\s*:\s*allow\b\s*(.*)$/i.exec(text.trim());
    if (m === null) {
      fail(`malformed pragma ${JSON.stringify(text.trim())}; expected "${PRAGMA_SYNTAX}"`);
      return;
    }
    const body = m[1];
    const dash = body.indexOf("--");
    const idsText = dash === -1 ? body : body.slice(0, dash);
    const reason = dash === -1 ? "" : body.slice(dash + 2).split(TRAILING_TOOL_COMMENT)[0].trim();
    const ids = idsText
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const problems: string[] = [];
    if (ids.length === 0) problems.push(`it names no rule (use a rule id or "all")`);
    const unknown = ids.filter((id) => id.toLowerCase() !== "all" && !isRuleId(id.toLowerCase()));
    for (const id of unknown) {
      problems.push(
        `unknown rule "${id}"${didYouMean(closest(id, ruleIds))}; allowed: all, ${ruleIds.join(", ")}`,
      );
    }
    if (reason === "") problems.push(`it gives no reason after "--"`);
    if (problems.length > 0) {
      fail(`startup-guard pragma ignored: ${problems.join("; ")}; expected "${PRAGMA_SYNTAX}"`);
      return;
    }
    const lower = ids.map((id) => id.toLowerCase());
    out.pragmas.push({
      rules: lower.includes("all") ? "all" : [...new Set(lower.filter(isRuleId))],
      reason,
    });
  });
  return out;
}

function allows(lineText: string | undefined, ruleId: RuleId, ruleIds: readonly string[]): boolean {
  if (lineText === undefined) return false;
  return parsePragmas(lineText, ruleIds).pragmas.some((p) => p.rules === "all" || p.rules.includes(ruleId));
}

/**
 * Whether a valid pragma allows `ruleId` at `line` (1-based): on that line, or on the line
 * directly above when that line holds only a comment.
 */
export function pragmaAllows(lines: readonly string[], line: number, ruleId: RuleId, ruleIds: readonly string[]): boolean {
  if (allows(lines[line - 1], ruleId, ruleIds)) return true;
  const above = lines[line - 2];
  return above !== undefined && above.trimStart().startsWith("#") && allows(above, ruleId, ruleIds);
}

/** Every invalid pragma in a file, each naming `file:line`. */
export function pragmaErrors(lines: readonly string[], file: string, ruleIds: readonly string[]): PragmaError[] {
  const errors: PragmaError[] = [];
  lines.forEach((text, i) => {
    pushAll(errors, parsePragmas(text, ruleIds, { file, line: i + 1 }).errors);
  });
  return errors;
}
