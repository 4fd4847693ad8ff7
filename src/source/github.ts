/**
 * A ChangeSet read from the GitHub REST API (for `danger ci` on GitHub and for the CLI's
 * `--github` mode).
 *
 * Why not danger's own diff: on GitHub danger builds its diff from the pull-request files
 * API and drops `previous_filename`, so a rename looks like an edit of the new path and the
 * old path is lost. We list the files ourselves (`pulls.listFiles`) and read both revisions
 * through the contents / blobs / trees endpoints.
 *
 * This module never loads @octokit at run time: it talks to a minimal structural
 * `GitHubApi`, which `danger.github.api` (Octokit 20), an Octokit 21 instance and test fakes
 * all satisfy.
 */

import { isBinary } from "../core/files";
import type { ChangeSet, ChangeStatus, ChangedFile, ReviewError, RevisionReader } from "../core/types";

// ---------------------------------------------------------------------------------------
// The slice of Octokit we use
// ---------------------------------------------------------------------------------------

/** Headers as Octokit exposes them (lower-case names). */
export interface GitHubHeaders {
  [name: string]: string | number | undefined;
}

/** One entry of `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`. */
export interface GitHubPullFile {
  filename: string;
  /** added | removed | modified | renamed | copied | changed | unchanged */
  status: string;
  previous_filename?: string;
  /** Absent for large or binary diffs. */
  patch?: string;
  additions?: number;
  deletions?: number;
  changes?: number;
}

export interface GitHubPull {
  changed_files?: number;
  base: { sha: string };
  head: { sha: string };
}

export interface GitHubBlob {
  content: string;
  encoding: string;
  size?: number | null;
}

export interface GitHubTree {
  truncated: boolean;
  tree: Array<{ path?: string; type?: string; size?: number }>;
}

// Type aliases, not interfaces: Octokit's parameter types carry an index signature, which
// object-literal types satisfy implicitly and interfaces do not.
type RepoParams = { owner: string; repo: string };

/** The Octokit methods this module calls (structural: any Octokit 20/21 instance fits). */
export interface GitHubApi {
  pulls: {
    get(params: RepoParams & { pull_number: number }): Promise<{ data: GitHubPull }>;
    listFiles(
      params: RepoParams & { pull_number: number; per_page?: number; page?: number },
    ): Promise<{ data: GitHubPullFile[]; headers: GitHubHeaders }>;
  };
  repos: {
    /** The data is a file object, a directory listing, a symlink or a submodule. */
    getContent(params: RepoParams & { path: string; ref?: string }): Promise<{ data: unknown }>;
    /** Used for the merge base (what GitHub diffs a pull request against); optional for minimal clients. */
    compareCommitsWithBasehead?(
      params: RepoParams & { basehead: string; per_page?: number },
    ): Promise<{ data: { merge_base_commit: { sha: string } } }>;
  };
  git: {
    getBlob(params: RepoParams & { file_sha: string }): Promise<{ data: GitHubBlob }>;
    getTree(params: RepoParams & { tree_sha: string; recursive?: string }): Promise<{ data: GitHubTree }>;
  };
}

export interface GitHubChangeSetOptions {
  api: GitHubApi;
  owner: string;
  repo: string;
  pull: number;
  /**
   * The base branch commit; defaults to the pull request's `base.sha`. Contents are read at
   * the merge base of it and the head, as GitHub diffs the pull request.
   */
  baseSha?: string;
  /** Defaults to the pull request's `head.sha`. */
  headSha?: string;
  /**
   * Files larger than this are not downloaded: `read()` returns null and a `file-too-large`
   * ReviewError is added to the ChangeSet. Default 8 MiB.
   */
  maxFileBytes?: number;
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * A GitHub failure that stops the review (rate limit, bad token, missing pull request,
 * GitHub down). `message` is a complete sentence meant for the user; no stack is needed.
 *
 * kind: `github-rate-limit`, `github-auth`, `github-forbidden`, `github-not-found`,
 * `github-server`, `github-network`, `github-request`.
 */
export class GitHubSourceError extends Error {
  override name = "GitHubSourceError";
  /** HTTP status, when GitHub answered. */
  status?: number;
  /** When the rate limit resets (rate-limit errors only). */
  resetAt?: Date;

  constructor(
    public kind: string,
    /** The endpoint, e.g. `GET /repos/acme/shop/pulls/7/files?page=2`. */
    public where: string,
    message: string,
    extra: { status?: number; resetAt?: Date } = {},
  ) {
    super(message);
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.resetAt !== undefined) this.resetAt = extra.resetAt;
  }
}

// ---------------------------------------------------------------------------------------
// Tunables
// ---------------------------------------------------------------------------------------

const PER_PAGE = 100;
/** GitHub stops the files list at 3,000 entries (30 pages of 100); a little slack for GHES. */
const MAX_PAGES = 40;
const MAX_IN_FLIGHT = 8;
/** Delays before the 2nd and 3rd attempt of a request that failed with a 5xx. */
const RETRY_DELAYS_MS = [250, 750];
const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Git's own heuristic: a NUL byte in the first 8,000 bytes means binary. */

// ---------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------

export async function githubChangeSet(opts: GitHubChangeSetOptions): Promise<ChangeSet> {
  const { api, owner, repo, pull } = opts;
  if (!owner || !repo || !Number.isInteger(pull) || pull <= 0) {
    throw new GitHubSourceError(
      "github-request",
      `${owner}/${repo}#${pull}`,
      `Cannot review pull request "${owner}/${repo}#${pull}": owner, repository and a positive pull request number are required.`,
    );
  }
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const client = new Client(api, owner, repo);
  const errors: ReviewError[] = [];
  const prPath = `/repos/${owner}/${repo}/pulls/${pull}`;
  const prLabel = `${owner}/${repo}#${pull}`;

  const pr = await client.call(`GET ${prPath}`, () => api.pulls.get({ owner, repo, pull_number: pull }), {
    notFound: () => prNotFound(prLabel, `GET ${prPath}`),
  });
  const baseTip = opts.baseSha ?? pr.data.base.sha;
  const headRev = opts.headSha ?? pr.data.head.sha;
  const baseRev = await mergeBase(client, api, { owner, repo, baseTip, headRev }, errors);

  const entries = await listPullFiles(client, api, { owner, repo, pull, prPath, prLabel });

  const base = new GitHubRevisionReader(client, baseRev, maxFileBytes, errors);
  const head = new GitHubRevisionReader(client, headRev, maxFileBytes, errors);

  const files = await Promise.all(entries.map((entry) => toChangedFile(entry, base, head, errors)));

  const changed = pr.data.changed_files;
  if (typeof changed === "number" && changed > files.length) {
    const missing = changed - files.length;
    errors.push({
      kind: "github-truncated",
      where: `GET ${prPath}/files`,
      message:
        `GitHub listed ${files.length} of the ${changed} files this pull request changes ` +
        `(its files API stops at 3,000): ${missing} changed file${missing === 1 ? " was" : "s were"} not reviewed.`,
    });
  }

  return { baseRev, headRev, files, base, head, errors };
}

// ---------------------------------------------------------------------------------------
// Files of the pull request
// ---------------------------------------------------------------------------------------

async function listPullFiles(
  client: Client,
  api: GitHubApi,
  pr: { owner: string; repo: string; pull: number; prPath: string; prLabel: string },
): Promise<GitHubPullFile[]> {
  const out: GitHubPullFile[] = [];
  // Page by page rather than octokit.paginate: a 5xx on page 7 retries page 7, not page 1,
  // and the structural interface stays small.
  for (let page = 1; page <= MAX_PAGES; page++) {
    const where = `GET ${pr.prPath}/files?per_page=${PER_PAGE}&page=${page}`;
    const res = await client.call(
      where,
      () => api.pulls.listFiles({ owner: pr.owner, repo: pr.repo, pull_number: pr.pull, per_page: PER_PAGE, page }),
      { notFound: () => prNotFound(pr.prLabel, where) },
    );
    const data = Array.isArray(res.data) ? res.data : [];
    out.push(...data);
    const link = typeof res.headers?.link === "string" ? res.headers.link : undefined;
    const more = link !== undefined ? /rel="next"/.test(link) : data.length === PER_PAGE;
    if (!more || data.length === 0) break;
  }
  return out;
}

function mapStatus(status: string): ChangeStatus {
  switch (status) {
    case "added":
      return "added";
    case "removed":
      return "deleted";
    case "renamed":
      return "renamed";
    case "copied":
      return "copied";
    // "modified", "changed" (mode or type change), "unchanged" and anything new.
    default:
      return "modified";
  }
}

async function toChangedFile(
  entry: GitHubPullFile,
  base: GitHubRevisionReader,
  head: GitHubRevisionReader,
  errors: ReviewError[],
): Promise<ChangedFile> {
  const status = mapStatus(entry.status);
  const oldPath =
    (status === "renamed" || status === "copied") && entry.previous_filename ? entry.previous_filename : null;
  const file: ChangedFile = {
    path: entry.filename,
    oldPath,
    status,
    addedLines: [],
    patchMissing: false,
    binary: false,
  };

  if (typeof entry.patch === "string") {
    file.addedLines = addedLinesFromPatch(entry.patch);
    return file;
  }

  // No patch: GitHub omits it for binary files, for diffs too large to show, and for entries
  // whose content did not change (pure renames, mode changes, empty files).
  const content = status === "deleted" ? await base.read(entry.filename) : await head.read(entry.filename);
  if (content !== null && isBinary(content)) {
    file.binary = true;
    return file;
  }
  const contentChanged = entry.changes === undefined || entry.changes > 0;
  if (status !== "deleted" && contentChanged) {
    file.patchMissing = true;
    errors.push({
      kind: "github-no-patch",
      where: entry.filename,
      message:
        `GitHub sent no diff for ${entry.filename} (it omits the patch of very large diffs), ` +
        `so the lines this pull request changed in it are unknown; findings in it are reported in the summary only.`,
    });
  }
  return file;
}

export { isBinary };

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Head line numbers added by a GitHub `patch` (hunks only, no file headers). Counts from the
 * hunk headers decide where each hunk ends, so a removed line reading `-- x` or an added one
 * reading `++ y` is never mistaken for a header.
 */
export function addedLinesFromPatch(patch: string): number[] {
  const added: number[] = [];
  const lines = patch.split("\n");
  let oldLeft = 0;
  let newLeft = 0;
  let line = 0;
  for (const raw of lines) {
    if (oldLeft <= 0 && newLeft <= 0) {
      const m = HUNK_HEADER.exec(raw);
      if (m) {
        oldLeft = m[2] === undefined ? 1 : Number(m[2]);
        newLeft = m[4] === undefined ? 1 : Number(m[4]);
        line = Number(m[3]);
      }
      continue;
    }
    const tag = raw.charAt(0);
    if (tag === "+") {
      added.push(line);
      line++;
      newLeft--;
    } else if (tag === "-") {
      oldLeft--;
    } else if (tag === "\\") {
      // "\ No newline at end of file"
    } else {
      // Context (" x", or an empty line whose leading space was stripped).
      line++;
      oldLeft--;
      newLeft--;
    }
  }
  return added;
}

// ---------------------------------------------------------------------------------------
// Revision readers
// ---------------------------------------------------------------------------------------

interface ContentFile {
  type: "file";
  size?: number;
  sha?: string;
  content?: string;
  encoding?: string;
}

function asContentFile(data: unknown): ContentFile | null {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null; // directory listing
  const d = data as Record<string, unknown>;
  // "symlink" (target outside the repository) and "submodule" have no contents to read.
  if (d.type !== "file") return null;
  return d as unknown as ContentFile;
}

class GitHubRevisionReader implements RevisionReader {
  private readonly cache = new Map<string, Promise<Buffer | null>>();
  private listing: Promise<string[]> | null = null;

  constructor(
    private readonly client: Client,
    readonly rev: string,
    private readonly maxFileBytes: number,
    private readonly errors: ReviewError[],
  ) {}

  read(path: string): Promise<Buffer | null> {
    const key = path.replace(/^\/+/, "");
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.fetch(key);
      this.cache.set(key, hit);
      // A failure (rate limit, outage) must not stick: a later read may succeed.
      const mine = hit;
      mine.catch(() => {
        if (this.cache.get(key) === mine) this.cache.delete(key);
      });
    }
    return hit;
  }

  listFiles(): Promise<string[]> {
    if (!this.listing) {
      const mine = this.fetchListing();
      this.listing = mine;
      mine.catch(() => {
        if (this.listing === mine) this.listing = null;
      });
    }
    return this.listing;
  }

  private async fetch(path: string): Promise<Buffer | null> {
    if (path === "" || path.endsWith("/")) return null;
    const { api, owner, repo } = this.client;
    const where = `GET /repos/${owner}/${repo}/contents/${path}?ref=${this.rev}`;
    const res = await this.client.call(where, () => api.repos.getContent({ owner, repo, path, ref: this.rev }), {
      notFound: () => null,
    });
    if (res === null) return null;
    const file = asContentFile(res.data);
    if (!file) return null;

    const size = typeof file.size === "number" ? file.size : undefined;
    if (size !== undefined && size > this.maxFileBytes) return this.tooLarge(path, size);

    if (file.encoding === "base64" && typeof file.content === "string" && (file.content !== "" || size === 0)) {
      const buf = Buffer.from(file.content, "base64");
      return buf.length > this.maxFileBytes ? this.tooLarge(path, buf.length) : buf;
    }
    if (size === 0) return Buffer.alloc(0);

    // Over 1 MB the contents endpoint answers `encoding: "none"` and no content: fetch the blob.
    if (!file.sha) {
      throw new GitHubSourceError(
        "github-request",
        where,
        `GitHub returned no content and no blob sha for ${path} at ${this.rev}; cannot read it.`,
      );
    }
    const blobWhere = `GET /repos/${owner}/${repo}/git/blobs/${file.sha}`;
    const sha = file.sha;
    const blob = await this.client.call(blobWhere, () => api.git.getBlob({ owner, repo, file_sha: sha }), {
      notFound: () => null,
    });
    if (blob === null) return null;
    const buf =
      blob.data.encoding === "base64"
        ? Buffer.from(blob.data.content, "base64")
        : Buffer.from(blob.data.content, "utf8");
    return buf.length > this.maxFileBytes ? this.tooLarge(path, buf.length) : buf;
  }

  private tooLarge(path: string, size: number): null {
    this.errors.push({
      kind: "file-too-large",
      where: path,
      message: `${path} at ${this.rev.slice(0, 12)} is ${size} bytes, over the ${this.maxFileBytes}-byte limit; it was not read.`,
    });
    return null;
  }

  private async fetchListing(): Promise<string[]> {
    const { api, owner, repo } = this.client;
    const where = `GET /repos/${owner}/${repo}/git/trees/${this.rev}?recursive=1`;
    const res = await this.client.call(where, () =>
      api.git.getTree({ owner, repo, tree_sha: this.rev, recursive: "1" }),
    );
    const paths: string[] = [];
    for (const entry of res.data.tree ?? []) {
      // "tree" entries are directories, "commit" entries are submodules.
      if (entry.type === "blob" && typeof entry.path === "string") paths.push(entry.path);
    }
    if (res.data.truncated) {
      this.errors.push({
        kind: "github-truncated",
        where,
        message:
          `GitHub truncated the file list of ${this.rev.slice(0, 12)} (a recursive tree stops at 100,000 entries or 7 MB): ` +
          `only ${paths.length} files are known, so modules outside them may be reported as missing or not analysed.`,
      });
    }
    return paths;
  }
}

// ---------------------------------------------------------------------------------------
// Requests: concurrency limit, retries, readable errors
// ---------------------------------------------------------------------------------------

interface ErrorShape {
  status?: unknown;
  message?: unknown;
  response?: { headers?: GitHubHeaders; data?: unknown };
}

class Client {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly api: GitHubApi,
    readonly owner: string,
    readonly repo: string,
  ) {}

  /** Runs one API call with the concurrency limit, retrying 5xx twice; throws GitHubSourceError. */
  async call<T, N = never>(where: string, fn: () => Promise<T>, opts: { notFound?: () => N } = {}): Promise<T | N> {
    for (let attempt = 0; ; attempt++) {
      let err: unknown;
      await this.acquire();
      try {
        return await fn();
      } catch (e) {
        err = e;
      } finally {
        this.release();
      }
      const status = statusOf(err);
      if (status === 404 && opts.notFound) return opts.notFound();
      // Octokit reports network failures as status 500 without a response: retried too.
      const transient = status !== undefined && status >= 500;
      if (transient && !isRateLimited(err) && attempt < RETRY_DELAYS_MS.length) {
        await sleep(RETRY_DELAYS_MS[attempt]);
        continue;
      }
      throw describe(err, where, attempt + 1);
    }
  }

  private acquire(): Promise<void> {
    if (this.active < MAX_IN_FLIGHT) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function statusOf(err: unknown): number | undefined {
  const s = (err as ErrorShape | null)?.status;
  return typeof s === "number" ? s : undefined;
}

function header(err: unknown, name: string): string | undefined {
  const v = (err as ErrorShape | null)?.response?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

function githubMessage(err: unknown): string {
  const data = (err as ErrorShape | null)?.response?.data;
  if (data && typeof data === "object" && typeof (data as { message?: unknown }).message === "string") {
    return (data as { message: string }).message;
  }
  if (typeof data === "string" && data.trim() !== "") return data.trim().slice(0, 200);
  const m = (err as ErrorShape | null)?.message;
  return typeof m === "string" ? m : String(err);
}

function isRateLimited(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== 403 && status !== 429) return false;
  if (status === 429) return true;
  if (header(err, "x-ratelimit-remaining") === "0") return true;
  return /rate limit/i.test(githubMessage(err));
}

function prNotFound(prLabel: string, where: string): never {
  throw new GitHubSourceError(
    "github-not-found",
    where,
    `Pull request ${prLabel} was not found (404 on ${where}): check the owner, repository and number, ` +
      `and that the token can read the repository (GitHub answers 404 for private repositories it will not show).`,
    { status: 404 },
  );
}

function inMinutes(at: Date): string {
  const secs = Math.round((at.getTime() - Date.now()) / 1000);
  if (secs <= 0) return "now";
  if (secs < 90) return `in ${secs} s`;
  return `in ${Math.round(secs / 60)} min`;
}

/** Turns whatever Octokit threw into a GitHubSourceError with a sentence a user can act on. */
function describe(err: unknown, where: string, attempts: number): GitHubSourceError {
  if (err instanceof GitHubSourceError) return err;
  const status = statusOf(err);
  const msg = githubMessage(err);

  if (isRateLimited(err)) {
    const resetHeader = Number(header(err, "x-ratelimit-reset"));
    const retryAfter = Number(header(err, "retry-after"));
    const remaining = header(err, "x-ratelimit-remaining");
    const secondary = remaining !== "0" && /secondary|abuse/i.test(msg);
    let resetAt: Date | undefined;
    if (secondary && Number.isFinite(retryAfter) && retryAfter > 0) resetAt = new Date(Date.now() + retryAfter * 1000);
    else if (Number.isFinite(resetHeader) && resetHeader > 0) resetAt = new Date(resetHeader * 1000);
    else if (Number.isFinite(retryAfter) && retryAfter > 0) resetAt = new Date(Date.now() + retryAfter * 1000);

    const when = resetAt
      ? `it resets at ${resetAt.toISOString()} (${inMinutes(resetAt)})`
      : "wait at least a minute before retrying";
    let message: string;
    if (secondary) {
      message = `GitHub's secondary rate limit stopped ${where} (${status}: ${msg}); ${when}.`;
    } else {
      const limit = header(err, "x-ratelimit-limit");
      const resource = header(err, "x-ratelimit-resource");
      const quota = limit ? ` (0 of ${limit} requests left${resource ? ` for "${resource}"` : ""})` : "";
      message =
        `GitHub API rate limit exhausted on ${where}${quota}; ${when}. ` +
        `Run with a token (GITHUB_TOKEN / DANGER_GITHUB_API_TOKEN) for a higher limit, or re-run after the reset.`;
    }
    return new GitHubSourceError("github-rate-limit", where, message, { status, resetAt });
  }
  if (status === 401) {
    return new GitHubSourceError(
      "github-auth",
      where,
      `GitHub rejected the credentials on ${where} (401: ${msg}): check that the token ` +
        `(GITHUB_TOKEN / DANGER_GITHUB_API_TOKEN) is set, valid and not expired.`,
      { status },
    );
  }
  if (status === 403) {
    return new GitHubSourceError(
      "github-forbidden",
      where,
      `GitHub refused ${where} (403: ${msg}): the token lacks read access to this repository's contents and pull requests.`,
      { status },
    );
  }
  if (status === 404) {
    return new GitHubSourceError("github-not-found", where, `GitHub found nothing at ${where} (404: ${msg}).`, {
      status,
    });
  }
  if (status === undefined) {
    // Not an HTTP error at all (a bug, or an API object that is not Octokit): keep the cause.
    const e = new GitHubSourceError("github-request", where, `Calling GitHub for ${where} failed: ${msg}`);
    e.cause = err;
    return e;
  }
  if (status >= 500) {
    if ((err as ErrorShape | null)?.response === undefined) {
      return new GitHubSourceError(
        "github-network",
        where,
        `Could not reach GitHub for ${where} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${msg}.`,
        { status },
      );
    }
    return new GitHubSourceError(
      "github-server",
      where,
      `GitHub failed on ${where} with ${status} ${attempts} time${attempts === 1 ? "" : "s"} (${msg}); try again later.`,
      { status },
    );
  }
  return new GitHubSourceError("github-request", where, `GitHub answered ${status} to ${where}: ${msg}.`, { status });
}

/**
 * The merge base of the base branch tip and the head: the files list is a diff against it, so
 * base contents must be read there too, or whatever the base branch changed since the fork
 * would look like the pull request undoing it. Falls back to the tip, and says so.
 */
async function mergeBase(
  client: Client,
  api: GitHubApi,
  p: { owner: string; repo: string; baseTip: string; headRev: string },
  errors: ReviewError[],
): Promise<string> {
  const compare = api.repos.compareCommitsWithBasehead?.bind(api.repos);
  if (compare === undefined) return p.baseTip;
  const basehead = `${p.baseTip}...${p.headRev}`;
  const where = `GET /repos/${p.owner}/${p.repo}/compare/${basehead}`;
  try {
    const res = await client.call(where, () => compare({ owner: p.owner, repo: p.repo, basehead, per_page: 1 }));
    return res.data.merge_base_commit.sha;
  } catch (e) {
    errors.push({
      kind: "github-merge-base",
      where,
      message: `could not find the merge base (${(e as Error).message}); base contents are read at the base branch tip ${p.baseTip}, so changes made on the base branch since the fork may be reported as if this pull request made them`,
    });
    return p.baseTip;
  }
}
