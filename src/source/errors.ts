import type { ReviewError } from "../core/types";

/**
 * What went wrong while reading a change from git or from a diff file.
 *
 * - `not-a-repo`     the directory does not exist or is not inside a git repository
 * - `git-missing`    the `git` executable could not be started
 * - `bad-ref`        a revision (base or head) does not resolve to a commit
 * - `shallow`        the clone is shallow and the history needed is not there
 * - `no-merge-base`  base and head share no history
 * - `git-failed`     a git command failed for another reason
 * - `diff-parse`     a diff file could not be understood
 * - `diff-mismatch`  a diff file does not describe the files on disk
 */
export type SourceErrorKind =
  | "not-a-repo"
  | "git-missing"
  | "bad-ref"
  | "shallow"
  | "no-merge-base"
  | "git-failed"
  | "diff-parse"
  | "diff-mismatch";

/**
 * A fatal problem reading the change. `message` is meant for humans as is: it says what
 * failed and then (the `hint`) how to fix it. It never contains a stack trace, so a CLI
 * can print `err.message` and exit.
 */
export class SourceError extends Error {
  override readonly name = "SourceError";
  /** Machine-readable category. */
  readonly kind: SourceErrorKind;
  /** The ref, path or command concerned. */
  readonly where: string;
  /** How to fix it (already included at the end of `message`; empty when there is no advice). */
  readonly hint: string;

  constructor(kind: SourceErrorKind, where: string, summary: string, hint = "", options?: { cause?: unknown }) {
    super(hint ? `${summary}\n${hint}` : summary, options);
    this.kind = kind;
    this.where = where;
    this.hint = hint;
  }

  /** The same problem as a non-fatal `ReviewError`. */
  toReviewError(): ReviewError {
    return { kind: this.kind, where: this.where, message: this.message };
  }
}

export function isSourceError(err: unknown): err is SourceError {
  return err instanceof SourceError;
}

