/**
 * The one way git is started. Every git command of the project (the change listing, the
 * revision readers, the work-tree listing, the cache directory check, Danger's "are both
 * commits here?") runs through this module, with the same options, output handling and
 * error mapping.
 *
 * The repository under review is hostile input (a pull request controls its files, including
 * its `.gitattributes`), so every command runs with:
 * - `--no-pager`: output is read, never paged;
 * - `--no-replace-objects`: objects are read as stored, never swapped for what a `refs/replace/`
 *   ref (which a fetched repository may carry) says they are;
 * - `--no-optional-locks`: a read never writes the index (`git status` would otherwise refresh
 *   it opportunistically, taking `index.lock` under a user's or a CI job's own git);
 * - `core.quotepath=false`: paths are printed as stored (listings are read with `-z`; patch
 *   headers then quote only control characters, quotes and backslashes: paths.ts);
 * - `core.attributesFile=/dev/null`: no attributes from the user's configuration. The
 *   repository's own `.gitattributes` is neutralised by each command: diffs run with `--text
 *   --no-textconv --no-ext-diff` (git-diff.ts), `cat-file --batch` prints objects as stored, and
 *   the work-tree listing asks `check-attr` which files checkout converts (worktree.ts).
 * Output is decoded as UTF-8 with a 1 GiB buffer; failures become a `SourceError` that names
 * the command and, for the common cases (git missing, not a repository, dubious ownership),
 * says what to do.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { SourceError } from "./errors";

/** Options before the subcommand of every git run. */
export const GIT_OPTIONS: readonly string[] = [
  "--no-pager",
  "--no-optional-locks",
  "--no-replace-objects",
  "-c",
  "core.quotepath=false",
  "-c",
  "core.attributesFile=/dev/null",
];

const MAX_BUFFER = 1 << 30;

/** A finished git command. */
export interface GitRun {
  /** Exit status. */
  code: number;
  stdout: string;
  stderr: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first non-empty lines of `text`, right-trimmed. */
export function firstLines(text: string, max = 4): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(0, max)
    .join("\n");
}

/** Turns whatever git or starting it threw (or git's standard error) into a `SourceError` with advice. */
export function gitFailure(err: unknown, args: readonly string[], where: string): SourceError {
  const text = errorText(err);
  if (/\bENOENT\b/.test(text) && /spawn/i.test(text)) {
    return new SourceError("git-missing", "git", "Could not run git: the `git` executable was not found.", "Install git and make sure it is on PATH.", {
      cause: err,
    });
  }
  if (/dubious ownership/i.test(text)) {
    return new SourceError(
      "git-failed",
      where,
      `git refused to read ${where}: the repository is owned by another user.`,
      `Run \`git config --global --add safe.directory '${where}'\` (common in CI containers).`,
      { cause: err },
    );
  }
  if (/not a git repository/i.test(text)) {
    return new SourceError(
      "not-a-repo",
      where,
      `${where} is not inside a git repository.`,
      "Run the review from a git checkout, or pass a diff file instead.",
      { cause: err },
    );
  }
  return new SourceError("git-failed", where, `\`git ${args.join(" ")}\` failed: ${firstLines(text) || "(no output)"}`, "", { cause: err });
}

/**
 * Runs `git <args>` in `cwd`, with `input` on its standard input. Resolves whatever git's exit
 * status (the caller reads `code`); rejects with a `SourceError` only when git could not run to
 * the end (not installed, a missing directory, output over 1 GiB, killed).
 */
export function runGit(cwd: string, args: readonly string[], opts: { input?: string } = {}): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", [...GIT_OPTIONS, ...args], { cwd, encoding: "utf8", maxBuffer: MAX_BUFFER, windowsHide: true }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stdout, stderr });
      if (typeof err.code === "number") return resolve({ code: err.code, stdout, stderr });
      reject(gitFailure(err, args, cwd));
    });
    if (opts.input !== undefined) {
      child.stdin?.on("error", () => {
        /* EPIPE when git exits early: its exit status says why. */
      });
      child.stdin?.end(opts.input);
    }
  });
}

/**
 * git's standard output. A failure is a `SourceError` carrying git's message, with `where`
 * (the ref, path or range concerned). With `quietFailureAnswers`, a failure that says nothing
 * on standard error yields the output instead: `rev-parse --verify --quiet` of a missing ref,
 * `merge-base` of unrelated histories.
 */
export async function gitOutput(cwd: string, args: readonly string[], where: string, opts: { quietFailureAnswers?: boolean } = {}): Promise<string> {
  const r = await runGit(cwd, args);
  if (r.code === 0 || (opts.quietFailureAnswers === true && r.stderr.trim() === "")) return r.stdout;
  throw gitFailure(new Error(r.stderr.trim()), args, where);
}

/** A long-lived git process (`cat-file --batch`) with pipes on its three streams; errors are the caller's to map (gitFailure). */
export function spawnGit(cwd: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn("git", [...GIT_OPTIONS, ...args], { cwd, stdio: "pipe", windowsHide: true });
}
