/** One order and one copy of each finding, whatever the order the rules produced them in. */

import { type Finding, type ReviewError, SEVERITY_RANK } from "../core/types";

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Severity (fail first), then file, line (file-level findings first), rule, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    compareText(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareText(a.rule, b.rule) ||
    compareText(a.message, b.message)
  );
}

function findingKey(f: Finding): string {
  return JSON.stringify([f.rule, f.file, f.line, f.message]);
}

/**
 * Sorted, with duplicates (same rule, file, line and message) removed; of duplicates the
 * most severe one is kept. Does not modify its input.
 */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return [...findings].sort(compareFindings).filter((f) => {
    const key = findingKey(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Errors in their original order, identical ones once. */
export function uniqueErrors(errors: readonly ReviewError[]): ReviewError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = JSON.stringify([e.kind, e.where, e.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `file:line`, or `file` for file-level findings. */
export function location(f: Pick<Finding, "file" | "line">): string {
  return f.line === null ? f.file : `${f.file}:${f.line}`;
}

/**
 * `ReviewError` kinds that mean part of the change itself was not read: a file the change lists
 * that could not be fetched or found, a diff that does not add up, a binary patch to a Python
 * file, a changed Python path that is a symbolic link, a rename without its old path, a request
 * to GitHub that failed, a file list cut short.
 * A review with one of these did not look at everything: the CLI exits 2 and Danger warns
 * (the findings from the rest of the change are still reported). Problems that leave the
 * change readable (a missing patch on GitHub, a syntax error, a configuration key) are not here.
 */
const UNREAD_KINDS: ReadonlySet<string> = new Set([
  "read",
  "missing",
  "binary",
  "binary-patch",
  "symlink",
  "file-too-large",
  "diff",
  "diff-mismatch",
  "git",
]);

/** The errors among `errors` that mean the change could not be read fully. */
export function unreadErrors(errors: readonly ReviewError[]): ReviewError[] {
  return errors.filter((e) => UNREAD_KINDS.has(e.kind) || (e.kind.startsWith("github-") && !READ_ANYWAY.has(e.kind)));
}

/** GitHub problems after which everything was still read (merge base guessed, lines unknown). */
const READ_ANYWAY: ReadonlySet<string> = new Set(["github-merge-base", "github-no-patch"]);
