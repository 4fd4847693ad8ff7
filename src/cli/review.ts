/** `django-startup-guard review`: the review of a local change, for developers and CI without Danger. */
import * as fs from "node:fs";
import * as path from "node:path";
import { review } from "../review/review";
import { SEVERITY_RANK, type ChangeSet, type Severity } from "../core/types";
import { renderJson, renderSummaryMarkdown, renderText, unreadErrors } from "../report";
import { diffFileChangeSet } from "../source/diff-file";
import { gitChangeSet } from "../source/git";
import { isSourceError } from "../source/errors";
import { flag, parseArgs, UsageError } from "./args";
import type { Io } from "./io";
import { CONFIG_FLAGS, cliOptions } from "./options";

export const REVIEW_FLAGS = {
  repo: { value: true },
  base: { value: true },
  head: { value: true },
  diff: { value: true },
  format: { value: true, choices: ["text", "json", "markdown"] },
  "fail-on": { value: true, choices: ["message", "warn", "fail", "never"] },
  ...CONFIG_FLAGS,
  "no-cache": { value: false },
  help: { value: false },
} as const;

export async function reviewCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, REVIEW_FLAGS);
  if (p.flags.has("help")) return -1;
  if (p.positionals.length > 0) throw new UsageError(`review takes no positional arguments (got '${p.positionals[0]}')`);
  const repo = path.resolve(flag(p, "repo") ?? ".");
  const base = flag(p, "base");
  const diff = flag(p, "diff");
  if (base === undefined && diff === undefined) throw new UsageError("review needs --base REV (or --diff FILE)");
  const { options, where } = cliOptions(p);
  let cs: ChangeSet | null = null;
  try {
    if (diff !== undefined) {
      let diffText: string;
      try {
        diffText = diff === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(diff, "utf8");
      } catch (e) {
        throw new UsageError(`cannot read --diff ${diff}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      cs = await diffFileChangeSet({ repo, diffText, base });
    } else {
      cs = await gitChangeSet({ repo, base: base as string, head: flag(p, "head") ?? "HEAD" });
    }
    const result = await review({ changeSet: cs, options, optionsWhere: where, cache: !p.flags.has("no-cache") });
    const format = flag(p, "format") ?? "text";
    if (format === "json") io.out(renderJson(result.findings, result.errors) + "\n");
    else if (format === "markdown") io.out(renderSummaryMarkdown(result.findings, result.errors, result.notes));
    else {
      io.out(renderText(result.findings, result.errors, { color: io.isTTY && !process.env.NO_COLOR }) + "\n");
      for (const n of result.notes) io.err(`note: ${n}\n`);
    }
    // Part of the change not read: the answer is incomplete whatever was found elsewhere (README: exit 2).
    const unread = unreadErrors(result.errors);
    if (unread.length > 0) {
      io.err(`django-startup-guard: ${unread.length} part${unread.length === 1 ? "" : "s"} of the change could not be read (${unread.map((e) => e.where).slice(0, 3).join(", ")}${unread.length > 3 ? ", ..." : ""}); the review is incomplete.\n`);
      return 2;
    }
    const failOn = flag(p, "fail-on") ?? "fail";
    if (failOn === "never") return 0;
    const threshold = SEVERITY_RANK[failOn as Severity];
    return result.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
  } catch (e) {
    if (isSourceError(e)) {
      io.err(`django-startup-guard: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    await cs?.close?.();
  }
}
