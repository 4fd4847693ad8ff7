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
import { location, orderFindings, uniqueErrors } from "./order";

export const SEVERITY_EMOJI: Record<Severity, string> = { fail: "⛔", warn: "⚠️", message: "💬" };

export const DEFAULT_TITLE = "Django startup guard";

export interface SummaryOptions {
  /** Heading text (plain text, escaped). Default `Django startup guard`. */
  title?: string;
  /** How many further findings were posted as inline comments on the diff (not repeated here). */
  inlineCount?: number;
  /** Inline findings whose import chains are drawn here (an inline comment cannot hold a diagram). */
  inlineChains?: readonly Finding[];
}

/** One step of a chain as shown: the link's file (or module) and the line importing the next link. */
function chainSteps(chain: readonly ChainLink[]): string[] {
  return chain.map((link, i) => {
    const name = link.file ?? link.module;
    const nextLine = chain[i + 1]?.line ?? null;
    return nextLine === null ? name : `${name}:${nextLine}`;
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
    lines.push(line === null ? `  n${i - 1} --> n${i}` : `  n${i - 1} -->|line ${line}| n${i}`);
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
 * The one summary comment: heading, a table of every finding (severity, rule linked to its
 * docs, `file:line`, message), then a `<details>` block per finding (what, why, fix, import
 * chain as text and as a Mermaid flowchart, suggested code), then problems and notes.
 * Findings are sorted (severity, file, line, rule) and de-duplicated. All repository text is
 * escaped.
 */
export function renderSummaryMarkdown(
  findings: readonly Finding[],
  errors: readonly ReviewError[],
  notes: readonly string[],
  opts: SummaryOptions = {},
): string {
  const ordered = orderFindings(findings);
  const problems = uniqueErrors(errors);
  const uniqueNotes = [...new Set(notes)];
  const out: string[] = [`## ${escapeMarkdown(opts.title ?? DEFAULT_TITLE)}`, ""];

  const inline = opts.inlineCount ?? 0;
  if (inline > 0) {
    out.push(`${inline} finding${inline === 1 ? " is" : "s are"} posted as inline comment${inline === 1 ? "" : "s"} on the changed lines.`);
    out.push("");
  }
  if (ordered.length === 0) {
    if (inline === 0) out.push("✅ No startup-time regressions found.");
  } else {
    out.push(countLine(ordered));
    out.push("");
    out.push("| | Rule | Where | What |");
    out.push("| --- | --- | --- | --- |");
    for (const f of ordered) {
      const cells = [
        SEVERITY_EMOJI[f.severity],
        markdownLink(f.rule, f.docs),
        inlineCode(location(f), { table: true }),
        prose(f.message, { table: true }),
      ];
      out.push(`| ${cells.join(" | ")} |`);
    }
    for (const f of ordered) {
      out.push("");
      out.push(renderDetails(f));
    }
  }

  const chains = (opts.inlineChains ?? []).filter((f) => f.chain !== undefined && f.chain.length > 1);
  if (chains.length > 0) {
    out.push("");
    out.push("### Import chains of the inline findings");
    for (const f of orderFindings(chains)) {
      out.push("");
      out.push(`${SEVERITY_EMOJI[f.severity]} ${inlineCode(location(f))}: ${renderChain(f.chain ?? [])}`);
      out.push("");
      out.push(renderMermaidChain(f.chain ?? []));
    }
  }

  if (problems.length > 0) {
    out.push("");
    out.push("### Problems met during the review");
    out.push("");
    for (const e of problems) {
      out.push(`- **${escapeMarkdown(e.kind)}** ${inlineCode(e.where)}: ${escapeMarkdown(e.message)}`);
    }
  }
  if (uniqueNotes.length > 0) {
    out.push("");
    out.push("### Notes");
    out.push("");
    for (const n of uniqueNotes) out.push(`- ${escapeMarkdown(n)}`);
  }
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
