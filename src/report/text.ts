/** Plain-text report for the CLI. */

import type { Finding, ReviewError, Severity } from "../core/types";
import { terminalSafe } from "./escape";
import { location, orderFindings, uniqueErrors, unreadErrors } from "./order";

export interface TextOptions {
  /** ANSI colours (the CLI passes true only for a TTY without NO_COLOR). */
  color: boolean;
}

const ANSI = { reset: "\u001b[0m", bold: "\u001b[1m", dim: "\u001b[2m", red: "\u001b[31m", yellow: "\u001b[33m", cyan: "\u001b[36m" };

const SEVERITY_COLOR: Record<Severity, string> = { fail: ANSI.red, warn: ANSI.yellow, message: ANSI.cyan };

function chainText(f: Finding): string | null {
  if (f.chain === undefined || f.chain.length === 0) return null;
  return f.chain
    .map((link, i) => {
      const name = link.file ?? link.module;
      const next = f.chain?.[i + 1]?.line ?? null;
      const via = f.chain?.[i + 1]?.via;
      return next === null ? name : `${name}:${next}${via === undefined ? "" : ` ${via}`}`;
    })
    .join(" -> ");
}

/**
 * One block per finding (`file:line: severity: message [rule]`, then indented chain, why, fix,
 * suggested code, details, docs), then problems, then a count line. Repository text is
 * stripped of terminal control sequences; colour codes appear only with `color: true`.
 */
export function renderText(
  findings: readonly Finding[],
  errors: readonly ReviewError[],
  opts: TextOptions,
): string {
  const paint = (code: string, text: string): string => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const safe = terminalSafe;
  const ordered = orderFindings(findings);
  const problems = uniqueErrors(errors);
  const out: string[] = [];

  for (const f of ordered) {
    out.push(
      `${paint(ANSI.bold, safe(location(f)))}: ${paint(SEVERITY_COLOR[f.severity], f.severity)}: ${safe(f.message)} ${paint(ANSI.dim, `[${safe(f.rule)}]`)}`,
    );
    const chain = chainText(f);
    if (chain !== null) out.push(`    chain: ${safe(chain)}`);
    out.push(`    why: ${safe(f.why)}`);
    out.push(`    fix: ${safe(f.fix)}`);
    if (f.fixCode !== undefined) {
      out.push(`    suggested code${f.fixCode.path === undefined ? "" : ` for ${safe(f.fixCode.path)}`}:`);
      for (const line of f.fixCode.code.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n")) {
        out.push(`        ${safe(line)}`);
      }
    }
    for (const d of f.details ?? []) out.push(`    - ${safe(d)}`);
    out.push(`    docs: ${safe(f.docs)}`);
  }
  for (const e of problems) {
    out.push(`${paint(ANSI.red, "error")}: [${safe(e.kind)}] ${safe(e.where)}: ${safe(e.message)}`);
  }

  const counts = (["fail", "warn", "message"] as const)
    .map((s) => [s, ordered.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const unread = unreadErrors(problems).length;
  const findingPart =
    ordered.length === 0
      ? unread > 0
        ? "No findings in what could be read"
        : "No findings"
      : `${ordered.length} finding${ordered.length === 1 ? "" : "s"} (${counts.join(", ")})`;
  const errorPart =
    problems.length === 0 ? "" : `, ${problems.length} problem${problems.length === 1 ? "" : "s"} reading the input`;
  const incomplete = unread === 0 ? "" : ` The review is incomplete: ${unread} part${unread === 1 ? "" : "s"} of the change could not be read.`;
  out.push(paint(ANSI.bold, `${findingPart}${errorPart}.${incomplete}`));
  return out.join("\n");
}
