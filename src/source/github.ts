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

import { isBinary } from "./files";
import { addedLinesOf, readHunks } from "./hunks";
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
// `request.signal` aborts the HTTP request (Octokit hands it to fetch; @octokit/request 8 and 9
// both read `options.request.signal` and rethrow the AbortError as is).
type RepoParams = { owner: string; repo: string; request?: { signal?: AbortSignal } };

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
   * ReviewError is added to the ChangeSet. Default `DOWNLOAD_LIMIT_BYTES` (8 MiB).
   */
  maxFileBytes?: number;
  /** Give up on a request GitHub has not answered after this many ms (each attempt). Default 30,000. */
  requestTimeoutMs?: number;
  /**
   * The longest a rate-limited request may wait for GitHub's `retry-after` / `x-ratelimit-reset`
   * before it is retried; a longer wait fails the request at once, saying when the limit resets.
   * Default 60,000.
   */
  maxRetryWaitMs?: number;
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * A GitHub failure that stops the review (rate limit, bad token, missing pull request,
 * GitHub down). `message` is a complete sentence meant for the user; no stack is needed.
 *
 * kind: `github-rate-limit`, `github-auth`, `github-forbidden`, `github-not-found`,
 * `github-server`, `github-network`, `github-timeout`, `github-bad-response` (the answer is
 * not the JSON the endpoint documents: an HTML page, a truncated body, a missing field),
 * `github-request`.
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
/**
 * GitHub's files list "includes a maximum of 3000 files" (REST docs, "List pull requests
 * files"): 30 pages of 100. A little slack in the page count for GHES.
 */
const FILES_API_CAP = 3000;
const MAX_PAGES = 40;
const MAX_IN_FLIGHT = 8;
/**
 * Backoff before the 2nd and 3rd attempt of a request that failed with a 5xx, a network error
 * or a timeout: at most three attempts.
 */
const RETRY_DELAYS_MS = [250, 750];
/**
 * Rate limits, as GitHub documents them ("Rate limits for the REST API", docs.github.com:
 * "Exceeding the rate limit"): a 403 or 429 with `x-ratelimit-remaining: 0` must not be retried
 * before `x-ratelimit-reset` (UTC epoch seconds); a secondary limit with `retry-after` not
 * before that many seconds; a secondary limit with neither header after at least one minute,
 * "wait for an exponentially increasing amount of time between retries, and throw an error
 * after a specific number of retries". We retry a rate-limited request at most twice, and only
 * when the wait GitHub asks for fits `maxRetryWaitMs`.
 */
const RATE_LIMIT_RETRIES = 2;
const SECONDARY_DEFAULT_WAIT_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRY_WAIT_MS = 60_000;
/**
 * The largest file downloaded, by default. Not the configuration's `max_file_bytes` (2 MiB by
 * default), which is known only later: the configuration is read from the base revision through
 * this same reader, and the review then refuses larger files with its own message. This is the
 * ceiling on memory and bandwidth before that, so it lies well above any sensible
 * `max_file_bytes`.
 */
const DOWNLOAD_LIMIT_BYTES = 8 * 1024 * 1024;

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
  const maxFileBytes = opts.maxFileBytes ?? DOWNLOAD_LIMIT_BYTES;
  const client = new Client(api, owner, repo, {
    timeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxRetryWaitMs: opts.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS,
  });
  const errors: ReviewError[] = [];
  const prPath = `/repos/${owner}/${repo}/pulls/${pull}`;
  const prLabel = `${owner}/${repo}#${pull}`;

  const prWhere = `GET ${prPath}`;
  const pr = await client.call(prWhere, (request) => api.pulls.get({ owner, repo, pull_number: pull, request }), {
    notFound: () => prNotFound(prLabel, prWhere),
  });
  const prData = expectObject(pr.data, prWhere, "the pull request");
  const baseTip = opts.baseSha ?? expectString(expectObject(prData.base, prWhere, "`base`").sha, prWhere, "`base.sha`");
  const headRev = opts.headSha ?? expectString(expectObject(prData.head, prWhere, "`head`").sha, prWhere, "`head.sha`");
  const baseRev = await mergeBase(client, api, { owner, repo, baseTip, headRev }, errors);

  const entries = await listPullFiles(client, api, { owner, repo, pull, prPath, prLabel });

  const base = new GitHubRevisionReader(client, baseRev, maxFileBytes, errors);
  const head = new GitHubRevisionReader(client, headRev, maxFileBytes, errors);

  const files = await Promise.all(entries.map((entry) => toChangedFile(entry, base, head, errors)));

  const changed = prData.changed_files;
  if (typeof changed === "number" && changed > files.length) {
    const missing = changed - files.length;
    // Say why the list is short: GitHub's documented cap, or pages that ended early.
    const why =
      files.length >= FILES_API_CAP
        ? `its files API lists at most ${FILES_API_CAP.toLocaleString("en-US")} files`
        : `the files API ended after ${files.length} entries, before GitHub's ${FILES_API_CAP.toLocaleString("en-US")}-file cap (a short or empty page)`;
    errors.push({
      kind: "github-truncated",
      where: `GET ${prPath}/files`,
      message:
        `GitHub listed ${files.length} of the ${changed} files this pull request changes (${why}): ` +
        `${missing} changed file${missing === 1 ? " was" : "s were"} not reviewed.`,
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
      (request) => api.pulls.listFiles({ owner: pr.owner, repo: pr.repo, pull_number: pr.pull, per_page: PER_PAGE, page, request }),
      { notFound: () => prNotFound(pr.prLabel, where) },
    );
    if (!Array.isArray(res.data)) throw badResponse(where, res.data, "a list of files");
    const data = res.data.map((entry, i) => pullFile(entry, where, i));
    out.push(...data);
    const link = typeof res.headers?.link === "string" ? res.headers.link : undefined;
    const more = link !== undefined ? /rel="next"/.test(link) : data.length === PER_PAGE;
    if (!more || data.length === 0) break;
  }
  return out;
}

/** One entry of the files list, checked: the fields we rely on are there and have their types. */
function pullFile(entry: unknown, where: string, i: number): GitHubPullFile {
  const e = expectObject(entry, where, `entry ${i}`);
  const field = (k: string) => `\`${k}\` of entry ${i}`;
  expectString(e.filename, where, field("filename"));
  expectString(e.status, where, field("status"));
  if (e.previous_filename !== undefined && e.previous_filename !== null) expectString(e.previous_filename, where, field("previous_filename"));
  if (e.patch !== undefined && e.patch !== null) expectString(e.patch, where, field("patch"));
  for (const k of ["additions", "deletions", "changes"]) {
    if (e[k] !== undefined && e[k] !== null && typeof e[k] !== "number") throw badField(where, field(k), "a number", e[k]);
  }
  return e as unknown as GitHubPullFile;
}

/** The statuses GitHub documents for a pull request's files. */
const KNOWN_STATUSES = new Set(["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]);

/** What GitHub's file statuses mean; "modified", "changed" (mode or type change) and "unchanged" are modifications (an unknown status is reported by the caller). */
const STATUS_OF_GITHUB: ReadonlyMap<string, ChangeStatus> = new Map([
  ["added", "added"],
  ["removed", "deleted"],
  ["renamed", "renamed"],
  ["copied", "copied"],
]);

async function toChangedFile(
  entry: GitHubPullFile,
  base: GitHubRevisionReader,
  head: GitHubRevisionReader,
  errors: ReviewError[],
): Promise<ChangedFile> {
  let status = STATUS_OF_GITHUB.get(entry.status) ?? "modified";
  if (!KNOWN_STATUSES.has(entry.status)) {
    errors.push({
      kind: "github-status",
      where: entry.filename,
      message: `GitHub lists ${entry.filename} with status "${entry.status}", which it does not document; it was reviewed as modified, so a move or deletion of it may be missed.`,
    });
  }
  if ((status === "renamed" || status === "copied") && !entry.previous_filename) {
    errors.push({
      kind: "github-rename",
      where: entry.filename,
      message: `GitHub lists ${entry.filename} as ${entry.status} without \`previous_filename\`: the path it came from is unknown, so a module moved without a shim cannot be checked; it was reviewed as ${status === "renamed" ? "added" : "a new copy"}.`,
    });
    status = "added";
  }
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
    const { added, problems } = readPatch(entry.patch);
    if (problems.length === 0) {
      file.addedLines = added;
      return file;
    }
    // Counts that disagree with the lines: which lines were added is unknown.
    file.patchMissing = true;
    errors.push({
      kind: "github-patch",
      where: entry.filename,
      message: `GitHub's diff of ${entry.filename} cannot be trusted (${problems.join("; ")}); its added lines are unknown, so findings in it are reported in the summary only.`,
    });
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

/**
 * Head line numbers added by a GitHub `patch` (hunks only, no file headers), and the problems
 * of hunks whose headers do not parse or whose counts disagree with their lines.
 */
export function readPatch(patch: string): { added: number[]; problems: string[] } {
  const { hunks, problems } = readHunks(patch.split("\n"), 0);
  return { added: addedLinesOf(hunks), problems };
}

/** Head line numbers added by a GitHub `patch` (see `readPatch`). */
export function addedLinesFromPatch(patch: string): number[] {
  return readPatch(patch).added;
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

function asContentFile(data: unknown, where: string): ContentFile | null {
  if (Array.isArray(data)) return null; // a directory listing: not a file
  const d = expectObject(data, where, "the contents");
  const type = expectString(d.type, where, "`type`");
  // "symlink" (target outside the repository) and "submodule" have no contents to read.
  if (type !== "file") return null;
  if (d.size !== undefined && d.size !== null && typeof d.size !== "number") throw badField(where, "`size`", "a number", d.size);
  for (const k of ["sha", "content", "encoding"]) {
    if (d[k] !== undefined && d[k] !== null && typeof d[k] !== "string") throw badField(where, `\`${k}\``, "a string", d[k]);
  }
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
    const res = await this.client.call(where, (request) => api.repos.getContent({ owner, repo, path, ref: this.rev, request }), {
      notFound: () => null,
    });
    if (res === null) return null;
    const file = asContentFile(res.data, where);
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
    const blob = await this.client.call(blobWhere, (request) => api.git.getBlob({ owner, repo, file_sha: sha, request }), {
      notFound: () => null,
    });
    if (blob === null) {
      // The contents endpoint named this blob a moment ago: its absence is a failure, not a missing file.
      throw new GitHubSourceError("github-not-found", blobWhere, `GitHub named blob ${sha} for ${path} at ${this.rev} but answered 404 to ${blobWhere}; ${path} could not be read.`, { status: 404 });
    }
    const data = expectObject(blob.data, blobWhere, "the blob");
    const content = expectString(data.content, blobWhere, "`content`");
    const buf = data.encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
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
    const res = await this.client.call(where, (request) =>
      api.git.getTree({ owner, repo, tree_sha: this.rev, recursive: "1", request }),
    );
    const data = expectObject(res.data, where, "the tree");
    if (!Array.isArray(data.tree)) throw badField(where, "`tree`", "a list", data.tree);
    const paths: string[] = [];
    for (const entry of data.tree as GitHubTree["tree"]) {
      // "tree" entries are directories, "commit" entries are submodules.
      if (entry.type === "blob" && typeof entry.path === "string") paths.push(entry.path);
    }
    if (data.truncated === true) {
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
  name?: unknown;
  message?: unknown;
  response?: { headers?: GitHubHeaders; data?: unknown };
}

/** Options of every request: an abort signal that fires at the timeout. */
type RequestOptions = { signal: AbortSignal };

/** A request that GitHub did not answer in time (internal: becomes a `github-timeout` error). */
class RequestTimeout extends Error {
  override name = "RequestTimeout";
}

class Client {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly api: GitHubApi,
    readonly owner: string,
    readonly repo: string,
    private readonly limits: { timeoutMs: number; maxRetryWaitMs: number },
  ) {}

  /**
   * Runs one API call with the concurrency limit and a timeout; retries 5xx, network errors and
   * timeouts with backoff, and rate limits after the wait GitHub asks for (when it is short
   * enough); throws GitHubSourceError naming the request.
   */
  async call<T, N = never>(where: string, fn: (request: RequestOptions) => Promise<T>, opts: { notFound?: () => N } = {}): Promise<T | N> {
    let transientRetries = 0;
    let rateRetries = 0;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      await this.acquire();
      try {
        return await this.withTimeout(fn);
      } catch (e) {
        err = e;
      } finally {
        this.release();
      }
      const status = httpStatusOf(err);
      if (status === 404 && opts.notFound) return opts.notFound();
      if (isRateLimited(err)) {
        const wait = rateLimitWaitMs(err, rateRetries);
        if (rateRetries < RATE_LIMIT_RETRIES && wait <= this.limits.maxRetryWaitMs) {
          rateRetries++;
          await sleep(wait);
          continue;
        }
        throw describe(err, where, attempt, this.limits.timeoutMs);
      }
      // Octokit reports network failures as status 500 without a response: retried too.
      const transient = err instanceof RequestTimeout || (status !== undefined && status >= 500);
      if (transient && transientRetries < RETRY_DELAYS_MS.length) {
        await sleep(RETRY_DELAYS_MS[transientRetries++]);
        continue;
      }
      throw describe(err, where, attempt, this.limits.timeoutMs);
    }
  }

  /**
   * Aborts the request at the timeout (Octokit passes the signal to fetch) and, should the
   * client ignore the signal, stops waiting for it anyway.
   */
  private async withTimeout<T>(fn: (request: RequestOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new RequestTimeout());
      }, this.limits.timeoutMs);
    });
    try {
      return await Promise.race([fn({ signal: controller.signal }), timedOut]);
    } catch (e) {
      // The AbortError fetch throws once the signal fires is the timeout, not another failure.
      if (controller.signal.aborted) throw new RequestTimeout();
      throw e;
    } finally {
      clearTimeout(timer);
      timedOut.catch(() => undefined);
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

/**
 * How long GitHub asks a rate-limited client to wait: `retry-after` seconds when sent, else
 * until `x-ratelimit-reset` when nothing is left, else (a secondary limit without headers) one
 * minute, doubling with each retry.
 */
function rateLimitWaitMs(err: unknown, retriesSoFar: number): number {
  const retryAfter = Number(header(err, "retry-after"));
  if (header(err, "retry-after") !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  const reset = Number(header(err, "x-ratelimit-reset"));
  if (header(err, "x-ratelimit-remaining") === "0" && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now());
  return SECONDARY_DEFAULT_WAIT_MS * 2 ** retriesSoFar;
}

// ---------------------------------------------------------------------------------------
// Shapes of GitHub's answers: a body that is not the JSON the endpoint documents (an HTML
// error page from a proxy, a truncated body that Octokit hands over as "") is a named
// failure, never a TypeError and never "no such file".
// ---------------------------------------------------------------------------------------

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (typeof v === "string") {
    if (v === "") return "an empty or unreadable body (truncated JSON?)";
    const head = v.trimStart().slice(0, 40).replace(/\s+/g, " ");
    return /^<(!doctype|html)/i.test(head) ? `an HTML page (${v.length} characters)` : `text (${v.length} characters: ${JSON.stringify(head)})`;
  }
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function badResponse(where: string, data: unknown, expected: string): GitHubSourceError {
  return new GitHubSourceError("github-bad-response", where, `GitHub's answer to ${where} is not ${expected}: it is ${describeValue(data)}.`);
}

function badField(where: string, field: string, expected: string, value: unknown): GitHubSourceError {
  return new GitHubSourceError(
    "github-bad-response",
    where,
    `GitHub's answer to ${where} is malformed: ${field} should be ${expected}, it is ${describeValue(value)}.`,
  );
}

function expectObject(v: unknown, where: string, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw what.startsWith("`") ? badField(where, what, "an object", v) : badResponse(where, v, `${what} as JSON`);
  }
  return v as Record<string, unknown>;
}

function expectString(v: unknown, where: string, field: string): string {
  if (typeof v !== "string") throw badField(where, field, "a string", v);
  return v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function httpStatusOf(err: unknown): number | undefined {
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
  const status = httpStatusOf(err);
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
function describe(err: unknown, where: string, attempts: number, timeoutMs: number): GitHubSourceError {
  if (err instanceof GitHubSourceError) return err;
  if (err instanceof RequestTimeout) {
    return new GitHubSourceError(
      "github-timeout",
      where,
      `GitHub did not answer ${where} within ${timeoutMs} ms, ${attempts} time${attempts === 1 ? "" : "s"} ` +
        `(the request timeout, \`requestTimeoutMs\` in the dangerfile options); try again later.`,
    );
  }
  const status = httpStatusOf(err);
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
    const res = await client.call(where, (request) => compare({ owner: p.owner, repo: p.repo, basehead, per_page: 1, request }));
    const mb = expectObject(expectObject(res.data, where, "the comparison").merge_base_commit, where, "`merge_base_commit`");
    return expectString(mb.sha, where, "`merge_base_commit.sha`");
  } catch (e) {
    errors.push({
      kind: "github-merge-base",
      where,
      message: `could not find the merge base (${(e as Error).message}); base contents are read at the base branch tip ${p.baseTip}, so changes made on the base branch since the fork may be reported as if this pull request made them`,
    });
    return p.baseTip;
  }
}
