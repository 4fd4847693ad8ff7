/** The markdown Danger posts: one summary comment, and short inline comments. */

import type { ChainLink, Finding, ReviewError, Severity } from "../core/types";
import {
  codeBlock,
  escapeMarkdown,
  htmlCode,
  inlineCode,
  markdownLink,
  mermaidLabel,
  prose,
} from "./escape";
import { location, orderFindings, uniqueErrors, unreadErrors } from "./order";

export const SEVERITY_EMOJI: Record<Severity, string> = { fail: "⛔", warn: "⚠️", message: "💬" };

export const DEFAULT_TITLE = "Django startup guard";

export interface SummaryOptions {
  /** Heading text (plain text, escaped). Default `Django startup guard`. */
  title?: string;
  /** How many further findings were posted as inline comments on the diff (not repeated here). */
  inlineCount?: number;
  /** Inline findings whose import chains are drawn here (an inline comment cannot hold a diagram). */
  inlineChains?: readonly Finding[];
  /** Findings on changed lines that are here because inline comments are capped (`INLINE_CAP`). */
  inlineOverflow?: number;
  /** Longest summary, in characters (GitHub's comment limit; see `SUMMARY_BUDGET`). Default: unlimited. */
  maxLength?: number;
  /** The command that prints the whole review, named where findings are left out. */
  fullReportCommand?: string;
}

/** One step of a chain as shown: the link's file (or module) and the line importing the next link. */
function chainSteps(chain: readonly ChainLink[]): string[] {
  return chain.map((link, i) => {
    const name = link.file ?? link.module;
    const nextLine = chain[i + 1]?.line ?? null;
    const via = chain[i + 1]?.via;
    return nextLine === null ? name : `${name}:${nextLine}${via === undefined ? "" : ` ${via}`}`;
  });
}

/** `a/models/__init__.py:12` → `a/models/table.py:3` → `chdb` */
export function renderChain(chain: readonly ChainLink[]): string {
  return chainSteps(chain)
    .map((s) => inlineCode(s))
    .join(" → ");
}

/** A Mermaid `flowchart LR` of the chain: nodes are modules, edges say which line imports. */
export function renderMermaidChain(chain: readonly ChainLink[]): string {
  const lines = ["flowchart LR"];
  chain.forEach((link, i) => {
    const label = link.file === null ? link.module : `${link.module} (${link.file})`;
    lines.push(`  n${i}["${mermaidLabel(label)}"]`);
  });
  for (let i = 1; i < chain.length; i++) {
    const line = chain[i].line;
    const how = chain[i].via === undefined ? "" : " (a call)";
    lines.push(line === null ? `  n${i - 1} --> n${i}` : `  n${i - 1} -->|line ${line}${how}| n${i}`);
  }
  return codeBlock(lines.join("\n"), "mermaid");
}

function countLine(findings: readonly Finding[]): string {
  const parts: string[] = [];
  for (const severity of ["fail", "warn", "message"] as const) {
    const n = findings.filter((f) => f.severity === severity).length;
    if (n > 0) parts.push(`${SEVERITY_EMOJI[severity]} ${n} ${severity}`);
  }
  const total = `${findings.length} finding${findings.length === 1 ? "" : "s"}`;
  return `${total}: ${parts.join(", ")}`;
}

function renderDetails(f: Finding): string {
  const out: string[] = [];
  out.push("<details>");
  out.push(
    `<summary>${SEVERITY_EMOJI[f.severity]} ${htmlCode(f.rule)} at ${htmlCode(location(f))}</summary>`,
  );
  out.push("");
  out.push(`**What:** ${prose(f.message)}`);
  out.push("");
  out.push(`**Why:** ${prose(f.why)}`);
  out.push("");
  out.push(`**Fix:** ${prose(f.fix)}`);
  if (f.chain !== undefined && f.chain.length > 0) {
    out.push("");
    out.push(`**Import chain:** ${renderChain(f.chain)}`);
    if (f.chain.length > 1) {
      out.push("");
      out.push(renderMermaidChain(f.chain));
    }
  }
  if (f.fixCode !== undefined) {
    out.push("");
    out.push(f.fixCode.path === undefined ? "Suggested code:" : `Suggested code for ${inlineCode(f.fixCode.path)}:`);
    out.push("");
    out.push(codeBlock(f.fixCode.code, f.fixCode.language));
  }
  if (f.details !== undefined && f.details.length > 0) {
    out.push("");
    for (const d of f.details) out.push(`- ${prose(d)}`);
  }
  out.push("");
  out.push(`${markdownLink(`Documentation: ${f.rule}`, f.docs)}`);
  out.push("");
  out.push("</details>");
  return out.join("\n");
}

/**
 * GitHub's limits, which a summary and the inline comments must fit.
 *
 * - A comment body holds at most 65,536 characters: the REST API answers 422 "Body is too long
 *   (maximum is 65536 characters)" to "Create an issue comment" (docs.github.com/rest/issues/
 *   comments#create-an-issue-comment; Danger hit it in danger/danger#424). Danger posts our
 *   summary together with its own table of `warn`/`fail` messages in one comment, so the summary
 *   keeps to `SUMMARY_BUDGET`, leaving 15,536 characters to Danger.
 * - Each inline comment is its own content-creating request, and GitHub's secondary rate limits
 *   allow "no more than 80 content-generating requests per minute and no more than 500 per hour"
 *   ("Rate limits for the REST API", About secondary rate limits). `INLINE_CAP` stays well
 *   under a minute's worth, leaving room for other bots and plugins in the same run; the
 *   findings beyond it go into the summary.
 */
export const GITHUB_COMMENT_LIMIT = 65_536;
export const SUMMARY_BUDGET = 50_000;
export const INLINE_CAP = 25;

/** Where a finding's module lives: its directory (a package), for grouping. */
function moduleDir(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "./" : file.slice(0, slash + 1);
}

/** Appends lines while they fit a character budget; counts what did not fit. */
class Budget {
  used = 0;
  constructor(readonly limit: number) {}
  fits(text: string): boolean {
    return this.used + text.length + 1 <= this.limit;
  }
  take(out: string[], text: string): boolean {
    if (!this.fits(text)) return false;
    out.push(text);
    this.used += text.length + 1;
    return true;
  }
}

/** Lines of a bulleted list, as many as fit `share` of the budget, then one line for the rest. */
function cappedList(items: readonly string[], share: number, more: (n: number) => string): string[] {
  const b = new Budget(share);
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    if (!b.take(out, items[i])) {
      out.push(more(items.length - i));
      break;
    }
  }
  return out;
}

/**
 * The one summary comment: heading, a table of every finding (severity, rule linked to its
 * docs, `file:line`, message), then a `<details>` block per finding (what, why, fix, import
 * chain as text and as a Mermaid flowchart, suggested code), then problems and notes.
 * Findings are sorted (severity, file, line, rule) and de-duplicated. All repository text is
 * escaped.
 *
 * With `maxLength`, the comment fits it whatever the number of findings: problems and notes
 * keep a share; the table lists findings one per row while they fit, then groups the rest by
 * rule and module (directory) with a count; details follow while they fit; what is left out is
 * counted, with the command that prints everything (`fullReportCommand`).
 */
export function renderSummaryMarkdown(
  findings: readonly Finding[],
  errors: readonly ReviewError[],
  notes: readonly string[],
  opts: SummaryOptions = {},
): string {
  const ordered = orderFindings(findings);
  const problems = uniqueErrors(errors);
  const unread = unreadErrors(problems);
  const uniqueNotes = [...new Set(notes)];
  const limit = opts.maxLength ?? Number.POSITIVE_INFINITY;
  const command = opts.fullReportCommand ?? "npx django-startup-guard review --base <base branch>";
  const seeAll = `run ${inlineCode(command)} to see them all`;
  const out: string[] = [`## ${escapeMarkdown(opts.title ?? DEFAULT_TITLE)}`, ""];

  const inline = opts.inlineCount ?? 0;
  if (inline > 0) {
    out.push(`${inline} finding${inline === 1 ? " is" : "s are"} posted as inline comment${inline === 1 ? "" : "s"} on the changed lines.`);
    const more = opts.inlineOverflow ?? 0;
    if (more > 0) out.push(`${more} more on changed lines ${more === 1 ? "is" : "are"} below: inline comments stop at ${INLINE_CAP} per review.`);
    out.push("");
  }
  if (unread.length > 0) {
    const n = unread.length;
    out.push(`⚠️ **The review is incomplete:** ${n} part${n === 1 ? "" : "s"} of the change could not be read (listed under *Problems met during the review*); findings in the rest are reported.`);
    out.push("");
  }

  // The tail (problems, notes) is rendered first so that its size is known; it keeps at most a
  // third of the budget, the findings get the rest.
  const tail: string[] = [];
  const tailShare = Math.min(limit / 3, Number.MAX_SAFE_INTEGER);
  const chains = (opts.inlineChains ?? []).filter((f) => f.chain !== undefined && f.chain.length > 1);
  if (chains.length > 0) {
    tail.push("", "### Import chains of the inline findings");
    const blocks = orderFindings(chains).map(
      (f) => `\n${SEVERITY_EMOJI[f.severity]} ${inlineCode(location(f))}: ${renderChain(f.chain ?? [])}\n\n${renderMermaidChain(f.chain ?? [])}`,
    );
    tail.push(...cappedList(blocks, tailShare / 3, (n) => `\n… and the chains of ${n} more inline finding${n === 1 ? "" : "s"}: ${seeAll}.`));
  }
  if (problems.length > 0) {
    tail.push("", "### Problems met during the review", "");
    const items = problems.map((e) => `- **${escapeMarkdown(e.kind)}** ${inlineCode(e.where)}: ${escapeMarkdown(e.message)}`);
    tail.push(...cappedList(items, tailShare / 2, (n) => `- … and ${n} more problem${n === 1 ? "" : "s"}: ${seeAll}.`));
  }
  if (uniqueNotes.length > 0) {
    tail.push("", "### Notes", "");
    tail.push(...cappedList(uniqueNotes.map((n) => `- ${escapeMarkdown(n)}`), tailShare / 6, (n) => `- … and ${n} more note${n === 1 ? "" : "s"}.`));
  }

  if (ordered.length === 0) {
    if (inline === 0 && unread.length === 0) out.push("✅ No startup-time regressions found.");
    else if (inline === 0) out.push("No startup-time regression found in what could be read.");
  } else {
    out.push(countLine(ordered));
    out.push("");
    const headLength = out.reduce((n, l) => n + l.length + 1, 0);
    const tailLength = tail.reduce((n, l) => n + l.length + 1, 0);
    // Room for the findings, less a reserve for the lines saying what was left out.
    const room = new Budget(limit - headLength - tailLength - 1_000);
    const rows: string[] = [];
    room.take(rows, "| | Rule | Where | What |");
    room.take(rows, "| --- | --- | --- | --- |");
    // One row per finding while the rows take at most half of the room...
    let listed = 0;
    const rowShare = new Budget(room.limit / 2);
    for (const f of ordered) {
      const cells = [SEVERITY_EMOJI[f.severity], markdownLink(f.rule, f.docs), inlineCode(location(f), { table: true }), prose(f.message, { table: true })];
      const row = `| ${cells.join(" | ")} |`;
      if (!rowShare.fits(row) || !room.fits(row)) break;
      rowShare.take([], row);
      room.take(rows, row);
      listed++;
    }
    // ...then one row per rule and module for the rest, with a count.
    if (listed < ordered.length) {
      const groups = new Map<string, { rule: string; docs: string; dir: string; severity: Severity; n: number }>();
      for (const f of ordered.slice(listed)) {
        const key = `${f.rule}\0${moduleDir(f.file)}`;
        const g = groups.get(key);
        if (g === undefined) groups.set(key, { rule: f.rule, docs: f.docs, dir: moduleDir(f.file), severity: f.severity, n: 1 });
        else g.n++;
      }
      let left = ordered.length - listed;
      let groupsLeft = groups.size;
      for (const g of groups.values()) {
        const row = `| ${SEVERITY_EMOJI[g.severity]} | ${markdownLink(g.rule, g.docs)} | ${inlineCode(g.dir, { table: true })} | ${g.n} more finding${g.n === 1 ? "" : "s"} of this rule in this directory |`;
        if (!room.take(rows, row)) break;
        left -= g.n;
        groupsLeft--;
      }
      if (left > 0) rows.push(`| | | | … and ${left} more finding${left === 1 ? "" : "s"} in ${groupsLeft} more director${groupsLeft === 1 ? "y" : "ies"} |`);
    }
    out.push(...rows);
    // Details of the listed findings, while they fit.
    let detailed = 0;
    for (const f of ordered.slice(0, listed)) {
      const block = `\n${renderDetails(f)}`;
      if (!room.take(out, block)) break;
      detailed++;
    }
    if (detailed < ordered.length) {
      out.push("");
      out.push(
        `The details of ${ordered.length - detailed} of the ${ordered.length} findings are not shown (a GitHub comment holds at most ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")} characters): ${seeAll}.`,
      );
    }
  }
  out.push(...tail);
  return out.join("\n") + "\n";
}

/**
 * The short markdown of an inline comment (Danger's `warn(msg, file, line)`): what, fix,
 * suggested code, docs link.
 */
export function renderInlineMessage(f: Finding): string {
  const out = [`${inlineCode(f.rule)}: ${prose(f.message)}`, "", `**Fix:** ${prose(f.fix)}`];
  if (f.chain !== undefined && f.chain.length > 1) {
    out.push("");
    out.push(`**Import chain:** ${renderChain(f.chain)}`);
  }
  if (f.fixCode !== undefined) {
    out.push("");
    out.push(codeBlock(f.fixCode.code, f.fixCode.language));
  }
  out.push("");
  out.push(markdownLink("Why this matters and how to fix it", f.docs));
  return out.join("\n");
}
