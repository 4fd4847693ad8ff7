/**
 * Reading a change set from a local git repository: which files a branch changed relative
 * to its base (like a pull request: merge-base(base, head)...head), which lines it added,
 * and the file contents at both ends.
 *
 * This module finds the repository and resolves the revisions; the change listing is
 * git-diff.ts, the readers git-revision.ts (and worktree-reader.ts for a checkout on disk),
 * and every git command runs through git-run.ts.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { ReviewError } from "../core/types";
import { closableChangeSet, type ClosableChangeSet } from "./change-set";
import { SourceError } from "./errors";
import { listChanges } from "./git-diff";
import { GitRevisionReader } from "./git-revision";
import { gitOutput } from "./git-run";

export interface GitChangeSetOptions {
  /** Any directory inside the work tree (or a bare repository). */
  repo: string;
  /** Base branch, tag or SHA. When `X` does not exist locally, `origin/X` is tried. */
  base: string;
  /** Head revision, default `HEAD`. The working tree is never read. */
  head?: string;
  /** Compare merge-base(base, head)...head like a pull request (default true); false compares base..head. */
  useMergeBase?: boolean;
}

const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export interface GitRepo {
  /** Top of the work tree (or the git dir of a bare repository); paths are relative to it. */
  root: string;
}

/** Finds the repository containing `repo`. Throws `SourceError` (`not-a-repo`, `git-missing`). */
export async function openGitRepo(repo: string): Promise<GitRepo> {
  const abs = path.resolve(repo);
  let isDir = false;
  try {
    isDir = (await fsp.stat(abs)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new SourceError("not-a-repo", abs, `${abs} does not exist or is not a directory.`, "Pass the path of a git checkout.");
  }
  let top = "";
  try {
    top = (await gitOutput(abs, ["rev-parse", "--show-toplevel"], abs)).trim();
  } catch (err) {
    if (!(err instanceof SourceError) || err.kind !== "git-failed") throw err;
    // A bare repository has no work tree; every operation here is tree-based and works there too.
    const bare = (await gitOutput(abs, ["rev-parse", "--is-bare-repository"], abs)).trim();
    if (bare !== "true") throw err;
    top = abs;
  }
  if (!top) throw new SourceError("not-a-repo", abs, `${abs} is not inside a git work tree.`, "Run the review from a git checkout.");
  return { root: top };
}

/** The commit SHA `ref` names, or null. Refs that look like options are refused. */
export async function resolveCommit(repo: GitRepo, ref: string): Promise<string | null> {
  if (!ref || ref.startsWith("-") || /[\0\r\n]/.test(ref)) return null;
  // A missing ref: exit status 1 with an empty stderr, read as the answer "" (no throw).
  const out = (await gitOutput(repo.root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], ref, { quietFailureAnswers: true })).trim();
  return SHA_RE.test(out) ? out : null;
}

export async function isShallowRepo(repo: GitRepo): Promise<boolean> {
  const out = await gitOutput(repo.root, ["rev-parse", "--is-shallow-repository"], repo.root);
  return out.trim() === "true";
}

function fetchHint(ref: string, shallow: boolean): string {
  const steps = [
    'In GitHub Actions, check out with actions/checkout and `fetch-depth: 0` (the default depth 1 fetches only the head commit).',
    `Elsewhere fetch the base first: \`git fetch origin ${ref} --depth=<N>\` with N deep enough to reach the branch point` +
      (shallow ? ", or `git fetch --unshallow`." : `, or \`git fetch origin ${ref}\`.`),
  ];
  return steps.join("\n");
}

/**
 * Resolves the base revision, trying `origin/<ref>` when `<ref>` is not a local name
 * (CI checkouts usually have `origin/main` but no `main`). Throws a `SourceError` that
 * names the ref and says how to fetch it.
 */
export async function resolveBase(repo: GitRepo, ref: string): Promise<{ sha: string; resolvedAs: string }> {
  const direct = await resolveCommit(repo, ref);
  if (direct) return { sha: direct, resolvedAs: ref };
  if (ref && !ref.startsWith("-") && !ref.startsWith("origin/") && !SHA_RE.test(ref)) {
    const remote = await resolveCommit(repo, `origin/${ref}`);
    if (remote) return { sha: remote, resolvedAs: `origin/${ref}` };
  }
  if (!ref || ref.startsWith("-") || /[\0\r\n]/.test(ref)) {
    throw new SourceError("bad-ref", ref, `Base revision ${JSON.stringify(ref)} is not a valid revision name.`, "Pass a branch, tag or commit SHA.");
  }
  const shallow = await isShallowRepo(repo);
  const where = `in ${repo.root}`;
  if (shallow) {
    throw new SourceError(
      "shallow",
      ref,
      `Base revision "${ref}" was not found ${where}: this is a shallow clone, and the base branch was not fetched.`,
      fetchHint(ref, true),
    );
  }
  throw new SourceError(
    "bad-ref",
    ref,
    `Base revision "${ref}" was not found ${where} (neither "${ref}" nor "origin/${ref}" exists).`,
    `Check the name for typos, or fetch it.\n${fetchHint(ref, false)}`,
  );
}

/**
 * Whether the repository around `dir` holds the commit `sha` (a pull request's base or head
 * may be missing from a shallow CI checkout). False when git cannot answer.
 */
export async function hasCommit(dir: string, sha: string): Promise<boolean> {
  return (await resolveCommit({ root: dir }, sha).catch(() => null)) !== null;
}

async function resolveHead(repo: GitRepo, ref: string): Promise<string> {
  const sha = await resolveCommit(repo, ref);
  if (sha) return sha;
  const shallow = await isShallowRepo(repo).catch(() => false);
  throw new SourceError(
    shallow ? "shallow" : "bad-ref",
    ref,
    `Head revision "${ref}" was not found in ${repo.root}.`,
    shallow ? fetchHint(ref, true) : "Check the name, or omit it to review HEAD.",
  );
}

// ---------------------------------------------------------------------------------------
// Entry point

/**
 * The change a branch makes, read from a local git repository: by default the files changed
 * between merge-base(base, head) and head, as a pull request shows them.
 *
 * Throws `SourceError` when the repository, base or head cannot be read (with a hint such as
 * fetching more history in a shallow CI clone). `baseRev` is the merge base (or the base
 * commit when `useMergeBase` is false); both are full SHAs.
 */
export async function gitChangeSet(opts: GitChangeSetOptions): Promise<ClosableChangeSet> {
  const repo = await openGitRepo(opts.repo);
  const headRef = opts.head ?? "HEAD";
  const headSha = await resolveHead(repo, headRef);
  const { sha: baseSha, resolvedAs } = await resolveBase(repo, opts.base);

  let fromSha = baseSha;
  if (opts.useMergeBase ?? true) {
    // Unrelated histories: exit status 1 with an empty stderr, read as the answer "".
    const mb = (await gitOutput(repo.root, ["merge-base", baseSha, headSha], `${resolvedAs}...${headRef}`, { quietFailureAnswers: true })).trim().split("\n")[0] ?? "";
    if (!SHA_RE.test(mb)) {
      if (await isShallowRepo(repo)) {
        throw new SourceError(
          "shallow",
          `${resolvedAs}...${headRef}`,
          `Could not find where ${headRef} branched off "${resolvedAs}": this is a shallow clone and the history stops before their common ancestor.`,
          [
            "In GitHub Actions, check out with actions/checkout and `fetch-depth: 0`.",
            "Elsewhere deepen the clone: `git fetch --deepen=<N>` (N larger than the branch's commit count) or `git fetch --unshallow`.",
          ].join("\n"),
        );
      }
      throw new SourceError(
        "no-merge-base",
        `${resolvedAs}...${headRef}`,
        `"${resolvedAs}" and "${headRef}" have no common ancestor, so there is no pull-request diff between them.`,
        "Check that the base is the branch the change targets, or compare the two tips directly (useMergeBase: false).",
      );
    }
    fromSha = mb;
  }

  const errors: ReviewError[] = [];
  const files = await listChanges(repo.root, fromSha, headSha, errors);
  return closableChangeSet({
    baseRev: fromSha,
    headRev: headSha,
    files,
    base: new GitRevisionReader(repo.root, fromSha),
    head: new GitRevisionReader(repo.root, headSha),
    errors,
  });
}
