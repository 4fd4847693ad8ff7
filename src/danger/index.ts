/**
 * The Danger.js adapter: picks the change source (local git when the checkout has both
 * commits, else GitHub's API through `danger.github.api`), runs the review, and reports
 * through Danger's globals. Findings on lines the change added become inline comments; the
 * rest go into one summary. It never throws: a failure becomes one warning that says what
 * went wrong.
 *
 * A plugin must not `require("danger")` at run time: the DSL arrives as globals.
 */
import type { DangerDSLType } from "danger";
import { review, type ReviewResult } from "../review/review";
import { AnalysisStalled, untilStalled } from "../core/stall";
import type { ChangeSet, Finding, Severity } from "../core/types";
import { escapeMarkdown, INLINE_CAP, orderFindings, renderInlineMessage, renderSummaryMarkdown, SUMMARY_BUDGET, unreadErrors } from "../report";
import { gitChangeSet, hasCommit } from "../source/git";
import { githubChangeSet, type GitHubApi } from "../source/github";
import { checkoutHoldsHead, checkoutOverlay } from "../source/checkout-overlay";
import { isSourceError } from "../source/errors";

type Report = (message: string, file?: string, line?: number) => void;

export interface DangerGlobals {
  danger: DangerDSLType;
  warn: Report;
  fail: Report;
  message: Report;
  markdown: Report;
}

/** Options only the Danger adapter reads (the rest is configuration, validated strictly). */
export interface DangerAdapterOptions {
  /** Repository checkout (default: the current directory). */
  repo?: string;
  /** `auto` (default): local git when both commits are present, else the GitHub API. */
  source?: "auto" | "git" | "github";
  /** Summary heading. */
  title?: string;
  /** How long one GitHub API request may take before it is abandoned (and retried), in ms. Default 30,000. */
  requestTimeoutMs?: number;
}

export const ADAPTER_KEYS = ["repo", "source", "title", "requestTimeoutMs"] as const;

function globals(): DangerGlobals | null {
  const g = globalThis as unknown as Partial<DangerGlobals>;
  if (!g.danger || !g.warn || !g.fail || !g.message || !g.markdown) return null;
  return g as DangerGlobals;
}

async function changeSetFor(dsl: DangerDSLType, opts: DangerAdapterOptions): Promise<ChangeSet> {
  const repo = opts.repo ?? process.cwd();
  const source = opts.source ?? "auto";
  const pr = dsl.github?.pr;
  if (pr && source !== "git") {
    const baseSha = pr.base.sha;
    const headSha = pr.head.sha;
    const local = source === "auto" && (await hasCommit(repo, baseSha)) && (await hasCommit(repo, headSha));
    if (!local) {
      const api = await githubChangeSet({
        api: dsl.github.api as unknown as GitHubApi,
        owner: pr.base.repo.owner.login,
        repo: pr.base.repo.name,
        pull: pr.number,
        baseSha,
        headSha,
        requestTimeoutMs: opts.requestTimeoutMs,
      });
      // A shallow CI checkout of the pull request: read its files from disk, and only the
      // base versions of the changed files through the API.
      if (source === "auto" && (await checkoutHoldsHead(api, repo))) return checkoutOverlay(api, repo);
      return api;
    }
    return gitChangeSet({ repo, base: baseSha, head: headSha });
  }
  return gitChangeSet({ repo, base: dsl.git.base, head: dsl.git.head || "HEAD" });
}

/** Post a review through Danger's verbs. Exposed for tests. */
export function report(
  result: Pick<ReviewResult, "findings" | "errors" | "notes">,
  g: DangerGlobals,
  title?: string,
  opts: { fullReportCommand?: string } = {},
): void {
  const verbs: Record<Severity, Report> = { fail: g.fail, warn: g.warn, message: g.message };
  const ordered = orderFindings(result.findings);
  const inDiff = ordered.filter((f) => f.inDiff && f.line !== null);
  // Inline comments are capped (GitHub's secondary rate limits, see INLINE_CAP); the rest join the summary.
  const inline = inDiff.slice(0, INLINE_CAP);
  const overflow = inDiff.length - inline.length;
  const inlineSet = new Set(inline);
  const rest = ordered.filter((f) => !inlineSet.has(f));
  for (const f of inline) verbs[f.severity](renderInlineMessage(f), f.file, f.line as number);
  if (rest.length === 0 && result.errors.length === 0 && inline.length === 0) return;
  // Findings outside the diff cannot be inline comments (GitHub would reject the whole review):
  // they are in the summary, and one plain verb per severity keeps Danger's status right.
  const where = overflow > 0 ? `on lines outside the diff or beyond the first ${INLINE_CAP} inline comments` : "on lines outside the diff";
  for (const severity of ["fail", "warn"] as const) {
    const n = rest.filter((f: Finding) => f.severity === severity).length;
    if (n > 0) verbs[severity](`${n} django-startup finding${n === 1 ? "" : "s"} at \`${severity}\` ${where}: see the summary below.`);
  }
  // Part of the change was not read: "no findings" would be a silent pass, so say it out loud.
  const unread = unreadErrors(result.errors);
  if (unread.length > 0) {
    const n = unread.length;
    g.warn(`django-startup-guard could not read ${n} part${n === 1 ? "" : "s"} of this change, so the review is incomplete: see the errors in the summary below.`);
  }
  const inlineChains = inline.filter((f) => f.chain !== undefined && f.chain.length > 1);
  if (rest.length > 0 || result.errors.length > 0 || result.notes.length > 0 || inlineChains.length > 0) {
    g.markdown(
      renderSummaryMarkdown(rest, result.errors, result.notes, {
        title,
        inlineCount: inline.length,
        inlineChains,
        inlineOverflow: overflow,
        maxLength: SUMMARY_BUDGET,
        fullReportCommand: opts.fullReportCommand,
      }),
    );
  }
}

/**
 * Review the pull request for django.setup() regressions. In a dangerfile:
 *
 *     import djangoStartup from "danger-plugin-django-startup";
 *     schedule(djangoStartup({ rules: { "heavy-import-at-startup": "fail" } }));
 */
export default function djangoStartup(options: Record<string, unknown> = {}): Promise<void> {
  return reviewInDanger(options, review);
}

/**
 * `djangoStartup` with the review given (tests inject one that never settles). A review
 * still pending when the event loop empties is one warning, never a silent pass.
 */
export async function reviewInDanger(options: Record<string, unknown>, analyse: typeof review): Promise<void> {
  const g = globals();
  if (g === null) {
    throw new Error("danger-plugin-django-startup must run inside Danger (danger ci / danger local / danger pr): the danger globals are missing");
  }
  const adapter = options as DangerAdapterOptions;
  let cs: ChangeSet | null = null;
  try {
    const t = adapter.requestTimeoutMs;
    if (t !== undefined && !(typeof t === "number" && Number.isFinite(t) && t > 0)) {
      throw new Error(`the option requestTimeoutMs must be a positive number of milliseconds, not ${JSON.stringify(t)}`);
    }
    cs = await untilStalled(changeSetFor(g.danger, adapter));
    const result = await untilStalled(analyse({ changeSet: cs, options: omit(options, ADAPTER_KEYS), optionsWhere: "dangerfile options" }));
    report(result, g, adapter.title, { fullReportCommand: `npx django-startup-guard review --base ${cs.baseRev}` });
  } catch (e) {
    const msg = isSourceError(e) ? e.message : e instanceof AnalysisStalled ? `internal error: ${e.message}` : `${(e as Error).message ?? String(e)}`;
    g.warn(`django-startup-guard could not review this change: ${escapeMarkdown(msg)}`);
  } finally {
    await cs?.close?.().catch(() => undefined);
  }
}

function omit(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}
