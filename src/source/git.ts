/**
 * Reading a change set from a local git repository: which files a branch changed relative
 * to its base (like a pull request: merge-base(base, head)...head), which lines it added,
 * and the file contents at both ends.
 *
 * Paths go through `-z` output everywhere, so spaces, tabs, newlines, quotes and non-ASCII
 * characters in file names survive. Contents are read through one long-lived
 * `git cat-file --batch` process per revision.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { ChangeSet, ChangedFile, ChangeStatus, ReviewError, RevisionReader } from "../core/types";
import { SourceError } from "./errors";
import { listWorktree, type Worktree } from "./worktree";
import { readEntrySync } from "../core/safe-read";
import { isBinary } from "./files";

/** Something holding a child process or another resource; `close()` is idempotent. */
export interface Closable {
  close(): Promise<void>;
}

export type ClosableRevisionReader = RevisionReader & Closable;

/**
 * A `ChangeSet` whose readers hold `git cat-file` processes. Call `close()` when done
 * (forgetting it does not keep Node alive: idle readers are unref'd).
 */
export type ClosableChangeSet = ChangeSet & Closable;

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

// ---------------------------------------------------------------------------------------
// Running git

/**
 * Flags shared by every `git diff` call so the three listings agree with each other.
 *
 * The repository under review controls its own `.gitattributes`, so nothing it says may change
 * what is read: `--text` diffs every file as text (a `*.py binary` or `-diff` attribute cannot
 * hide a change), `--no-textconv` and `--no-ext-diff` ignore diff drivers. Every run has no
 * context (`diff.context=0`, `--inter-hunk-context=0`): git trims the common tail of two files
 * keeping as many lines as the context, so a `--numstat` at the default three lines can count
 * other lines than a `-U0` patch of the same change. (`-U0` itself would add a patch to the
 * `--raw` and `--numstat` output.)
 */
const DIFF_FLAGS = [
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  "--text",
  "--inter-hunk-context=0",
  "-M",
  "-C",
  "--src-prefix=a/",
  "--dst-prefix=b/",
];

/**
 * Configuration every git command runs with: paths unquoted (`-z` output is parsed), and no
 * attributes file from the user's configuration (the repository's own `.gitattributes` is
 * neutralised by the flags above, and `cat-file --batch` prints objects as git stores them).
 */
const GIT_CONFIG = ["-c", "core.quotepath=false", "-c", "core.attributesFile=/dev/null", "-c", "diff.context=0"];

const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export interface GitRepo {
  /** Top of the work tree (or the git dir of a bare repository); paths are relative to it. */
  root: string;
  git: GitClient;
}

/** Runs git in one directory. */
export interface GitClient {
  /**
   * git's standard output. Rejects with git's standard error when it fails, except a failure
   * that says nothing on standard error, which yields the output (`rev-parse --verify --quiet`
   * of a missing ref, `merge-base` of unrelated histories).
   */
  raw(args: string[]): Promise<string>;
}

function client(dir: string): GitClient {
  return {
    raw: (args) =>
      new Promise((resolve, reject) => {
        execFile("git", [...GIT_CONFIG, ...args], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
          if (err === null) return resolve(stdout);
          if (typeof err.code === "number" && stderr.trim() === "") return resolve(stdout);
          reject(typeof err.code === "number" ? new Error(stderr.trim()) : err);
        });
      }),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLines(text: string, max = 4): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(0, max)
    .join("\n");
}

/** Turns whatever git or spawning it threw into a `SourceError` with advice. */
function gitFailure(err: unknown, args: readonly string[], where: string): SourceError {
  const text = errorText(err);
  if (/\bENOENT\b/.test(text) && /spawn/i.test(text)) {
    return new SourceError(
      "git-missing",
      "git",
      "Could not run git: the `git` executable was not found.",
      "Install git and make sure it is on PATH.",
      { cause: err },
    );
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
  return new SourceError("git-failed", where, `\`git ${args.join(" ")}\` failed: ${firstLines(text) || "(no output)"}`, "", {
    cause: err,
  });
}

async function runGit(g: GitClient, args: string[], where: string): Promise<string> {
  try {
    return await g.raw(args);
  } catch (err) {
    throw gitFailure(err, args, where);
  }
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
  const g = client(abs);
  let top = "";
  try {
    top = (await g.raw(["rev-parse", "--show-toplevel"])).trim();
  } catch (err) {
    const failure = gitFailure(err, ["rev-parse", "--show-toplevel"], abs);
    if (failure.kind !== "git-failed") throw failure;
    // A bare repository has no work tree; every operation here is tree-based and works there too.
    const bare = (await runGit(g, ["rev-parse", "--is-bare-repository"], abs)).trim();
    if (bare !== "true") throw failure;
    top = abs;
  }
  if (!top) throw new SourceError("not-a-repo", abs, `${abs} is not inside a git work tree.`, "Run the review from a git checkout.");
  return { root: top, git: top === abs ? g : client(top) };
}

/** The commit SHA `ref` names, or null. Refs that look like options are refused. */
export async function resolveCommit(repo: GitRepo, ref: string): Promise<string | null> {
  if (!ref || ref.startsWith("-") || /[\0\r\n]/.test(ref)) return null;
  // Exit status 1 with an empty stderr: the client resolves with "" (no throw).
  const out = (await runGit(repo.git, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], ref)).trim();
  return SHA_RE.test(out) ? out : null;
}

export async function isShallowRepo(repo: GitRepo): Promise<boolean> {
  const out = await runGit(repo.git, ["rev-parse", "--is-shallow-repository"], repo.root);
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
// Path quoting (git's C-style quoting with core.quotepath=false)

const C_ESCAPES: Record<string, string> = { "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r", '"': '"', "\\": "\\" };

/** Quotes a path the way git does in patch headers when core.quotepath=false. */
export function quoteGitPath(name: string): string {
  let needs = false;
  let out = "";
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    const named = C_ESCAPES[ch];
    if (named !== undefined) {
      needs = true;
      out += `\\${named}`;
    } else if (code < 0x20 || code === 0x7f) {
      needs = true;
      out += `\\${code.toString(8).padStart(3, "0")}`;
    } else {
      out += ch;
    }
  }
  return needs ? `"${out}"` : name;
}

/**
 * Decodes a C-style quoted path (`"a/sp\303\251cial"`, quotes included) into the file
 * name. Octal escapes are bytes, so the result is decoded as UTF-8. Returns null when
 * `quoted` is not a complete quoted string.
 */
export function unquoteGitPath(quoted: string): string | null {
  const r = readQuoted(quoted, 0);
  return r && r.end === quoted.length ? r.value : null;
}

/** Reads a quoted string starting at `start` (which must be `"`); returns it and the index after the closing quote. */
export function readQuoted(text: string, start: number): { value: string; end: number } | null {
  if (text[start] !== '"') return null;
  const bytes: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') return { value: Buffer.from(bytes).toString("utf8"), end: i + 1 };
    if (ch === "\\") {
      const next = text[i + 1];
      if (next === undefined) return null;
      if (next in named) {
        bytes.push(named[next]);
        i += 2;
        continue;
      }
      const oct = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8) & 0xff);
        i += 4;
        continue;
      }
      // Unknown escape: keep it literally.
      bytes.push(...Buffer.from(next, "utf8"));
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const s = String.fromCodePoint(cp);
    bytes.push(...Buffer.from(s, "utf8"));
    i += s.length;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Parsing `git diff` output

interface RawEntry {
  letter: string;
  oldMode: string;
  newMode: string;
  /** Blob ids (all zeros for a side that does not exist). */
  oldSha: string;
  newSha: string;
  oldPath: string | null;
  newPath: string | null;
}

function parseRawZ(out: string): RawEntry[] {
  const toks = out.split("\0");
  const entries: RawEntry[] = [];
  let i = 0;
  while (i < toks.length) {
    const meta = toks[i++];
    if (meta === "" || meta === "\n") continue;
    if (!meta.startsWith(":")) {
      throw new SourceError("git-failed", "git diff --raw", `Unexpected \`git diff --raw -z\` output near ${JSON.stringify(meta.slice(0, 80))}.`);
    }
    const [oldMode = "", newMode = "", oldSha = "", newSha = "", status = ""] = meta.slice(1).split(" ");
    const letter = status.charAt(0);
    if (letter === "R" || letter === "C") {
      const from = toks[i++];
      const to = toks[i++];
      entries.push({ letter, oldMode, newMode, oldSha, newSha, oldPath: from, newPath: to });
    } else {
      const p = toks[i++];
      entries.push({
        letter,
        oldMode,
        newMode,
        oldSha,
        newSha,
        oldPath: letter === "A" ? null : p,
        newPath: letter === "D" ? null : p,
      });
    }
  }
  return entries;
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

interface PatchSection {
  header: string;
  /** Head line numbers of the `+` lines. */
  added: number[];
  binary: boolean;
  /** Whether a changed line holds a NUL byte (git's own sign of binary content, which `--text` turns off). */
  nul: boolean;
  /** The first hunk whose lines do not add up to its header's counts, e.g. `@@ -3,2 +3 @@ (2 removed, 0 added)`. */
  miscounted: string | null;
}

/**
 * Splits `git diff -U0` output into per-file sections, keeping the head numbers of `+` lines
 * and checking each hunk's lines against the counts its header gives (the same run, so the
 * same diff: a `--numstat` run may pair lines differently, see DIFF_FLAGS).
 */
function splitPatch(text: string): PatchSection[] {
  const sections: PatchSection[] = [];
  let cur: PatchSection | null = null;
  let next = -1; // head line number of the next hunk line; -1 outside hunks
  // What the current hunk's header promises and what it has so far.
  let hunk = "";
  let want = [0, 0];
  let got = [0, 0];
  const endHunk = () => {
    if (cur !== null && hunk !== "" && cur.miscounted === null && (got[0] !== want[0] || got[1] !== want[1])) {
      cur.miscounted = `${hunk} (${got[0]} removed, ${got[1]} added)`;
    }
    hunk = "";
  };
  for (const line of text.split("\n")) {
    // Hunk lines start with "+", "-", " " or "\\" (or are empty), so this only matches real headers.
    if (line.startsWith("diff --git ")) {
      endHunk();
      cur = { header: line, added: [], binary: false, nul: false, miscounted: null };
      sections.push(cur);
      next = -1;
      continue;
    }
    if (!cur) continue;
    if (line.startsWith("@@")) {
      endHunk();
      const m = HUNK_RE.exec(line);
      next = m ? Number(m[3]) : -1;
      if (m) {
        hunk = m[0];
        want = [m[2] === undefined ? 1 : Number(m[2]), m[4] === undefined ? 1 : Number(m[4])];
        got = [0, 0];
      } else if (cur.miscounted === null) cur.miscounted = line.slice(0, 80);
      continue;
    }
    if (next < 0) {
      if (line.startsWith("Binary files ") || line === "GIT binary patch") cur.binary = true;
      continue;
    }
    const c = line.charAt(0);
    if (!cur.nul && line.includes("\0")) cur.nul = true;
    if (c === "+") {
      cur.added.push(next++);
      got[1]++;
    } else if (c === "-") got[0]++;
    else if (c === " " || line === "") next++;
  }
  endHunk();
  return sections;
}

function expectedHeader(oldPath: string | null, newPath: string | null): string {
  const a = oldPath ?? newPath ?? "";
  const b = newPath ?? oldPath ?? "";
  return `diff --git ${quoteGitPath(`a/${a}`)} ${quoteGitPath(`b/${b}`)}`;
}

function statusOf(letter: string): ChangeStatus {
  switch (letter) {
    case "A":
      return "added";
    case "D":
      return "deleted";
    case "R":
      return "renamed";
    case "C":
      return "copied";
    default:
      // M, T (type change: symlink <-> file), and anything unexpected.
      return "modified";
  }
}

const GITLINK = "160000";
const SYMLINK = "120000";

/** The changed files between two commits, with the lines head added. */
async function listChanges(repo: GitRepo, from: string, to: string, errors: ReviewError[]): Promise<ChangedFile[]> {
  const where = `${from.slice(0, 12)}..${to.slice(0, 12)}`;
  const [rawOut, patchOut] = await Promise.all([
    runGit(repo.git, ["diff", "-z", "--raw", "--no-abbrev", ...DIFF_FLAGS, from, to, "--"], where),
    runGit(repo.git, ["diff", "--patch", ...DIFF_FLAGS, from, to, "--"], where),
  ]);
  const entries = parseRawZ(rawOut);
  const byHeader = new Map<string, PatchSection[]>();
  for (const s of splitPatch(patchOut)) {
    const list = byHeader.get(s.header);
    if (list) list.push(s);
    else byHeader.set(s.header, [s]);
  }

  // A NUL byte in a changed line: binary if git's own content test says so (a NUL in the first
  // 8,000 bytes of either version), whatever a .gitattributes says. Rare: those blobs are read.
  const suspect = entries.filter((e) => (byHeader.get(expectedHeader(e.oldPath, e.newPath)) ?? []).some((s) => s.nul));
  const binaryBlobs = new Set<string>();
  if (suspect.length > 0) {
    const batch = new CatFileBatch(repo.root);
    try {
      for (const e of suspect) {
        for (const sha of [e.oldSha, e.newSha]) {
          if (!/^0+$/.test(sha)) {
            const bytes = await batch.request(sha);
            if (bytes !== null && isBinary(bytes)) binaryBlobs.add(sha);
          }
        }
      }
    } finally {
      await batch.close();
    }
  }

  return entries.map((e): ChangedFile => {
    const filePath = e.newPath ?? e.oldPath ?? "";
    const file: ChangedFile = {
      path: filePath,
      oldPath: e.letter === "R" || e.letter === "C" ? e.oldPath : null,
      status: statusOf(e.letter),
      addedLines: [],
      patchMissing: false,
      binary: e.oldMode === GITLINK || e.newMode === GITLINK,
    };
    if (file.binary) return file;
    // A type change (symlink <-> file) is printed as two sections with the same header.
    const header = expectedHeader(e.oldPath, e.newPath);
    const list = byHeader.get(header) ?? [];
    const sections = e.letter === "T" ? list.splice(0, list.length) : list.splice(0, 1);
    if (sections.length === 0) {
      file.patchMissing = true;
      errors.push({ kind: "git", where: filePath, message: `Could not find the patch of ${filePath} in \`git diff\` output; its added lines are unknown.` });
      return file;
    }
    // Binary as git itself judges content (see above), not as a .gitattributes says; the review names a .py file so marked.
    if (sections.some((s) => s.binary) || binaryBlobs.has(e.oldSha) || binaryBlobs.has(e.newSha)) {
      file.binary = true;
      return file;
    }
    const lines = new Set<number>();
    for (const s of sections) for (const n of s.added) lines.add(n);
    file.addedLines = [...lines].sort((x, y) => x - y);
    const miscounted = sections.find((s) => s.miscounted !== null)?.miscounted;
    if (miscounted !== undefined) {
      // Never seen from git; guards against misreading its output.
      errors.push({
        kind: "git",
        where: filePath,
        message: `The patch of ${filePath} does not add up: hunk ${miscounted}; its added lines are unknown.`,
      });
      file.addedLines = [];
      file.patchMissing = true;
    }
    return file;
  });
}

// ---------------------------------------------------------------------------------------
// Readers

/**
 * Normalises a repo-relative POSIX path for lookup; null for paths that cannot name a file
 * in the repository (absolute, `..`, empty).
 */
export function normalizeRepoPath(p: string): string | null {
  if (typeof p !== "string" || p === "" || p.includes("\0") || p.startsWith("/")) return null;
  let rel = p;
  while (rel.startsWith("./")) rel = rel.slice(2);
  const parts = rel.split("/");
  if (parts.some((s) => s === "" || s === "." || s === "..")) return null;
  return rel;
}

interface Pending {
  resolve(value: Buffer | null): void;
  reject(err: Error): void;
}

/**
 * One `git cat-file --batch` child process. Requests are written as soon as they arrive and
 * answered in order, so any number of concurrent `request` calls is safe. The process is
 * started on first use, unref'd while idle (a forgotten `close()` does not keep Node alive),
 * and restarted on the next request after `close()`.
 */
export class CatFileBatch implements Closable {
  private child: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending[] = [];
  private headerParts: Buffer[] = [];
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private bodyIsBlob = false;
  private skipNewline = false;
  private stderrTail = "";

  constructor(private readonly cwd: string) {}

  /** Object contents of a blob (`<sha>` or `<rev>:<path>`), or null when missing or not a blob. */
  request(objectName: string): Promise<Buffer | null> {
    if (/[\r\n]/.test(objectName)) return Promise.resolve(null);
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.start();
    } catch (err) {
      return Promise.reject(gitFailure(err, ["cat-file", "--batch"], this.cwd));
    }
    return new Promise<Buffer | null>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.setRef(true);
      child.stdin.write(`${objectName}\n`);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("close", () => resolve());
      // An idle child is unref'd: keep the event loop alive until it has really exited, or a
      // caller awaiting close() would see Node exit under it with the promise pending.
      this.setRef(true);
      child.stdin.end();
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn("git", [...GIT_CONFIG, "cat-file", "--batch"], { cwd: this.cwd, stdio: "pipe", windowsHide: true });
    this.child = child;
    this.resetParser();
    this.stderrTail = "";
    child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-2000);
    });
    child.stdin.on("error", () => {
      /* EPIPE and the like: reported by the "close" handler. */
    });
    child.on("error", (err) => this.stopped(child, gitFailure(err, ["cat-file", "--batch"], this.cwd)));
    child.on("close", (code, signal) => {
      const why = firstLines(this.stderrTail) || `exit ${code ?? signal}`;
      this.stopped(child, new SourceError("git-failed", this.cwd, `\`git cat-file --batch\` stopped before answering: ${why}`));
    });
    return child;
  }

  private stopped(child: ChildProcessWithoutNullStreams, err: SourceError): void {
    if (this.child !== child) return;
    this.child = null;
    this.resetParser();
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(err);
  }

  private resetParser(): void {
    this.headerParts = [];
    this.body = null;
    this.bodyFilled = 0;
    this.skipNewline = false;
  }

  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    if (on) c.ref();
    else c.unref();
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>) {
      if (on) s.ref?.();
      else s.unref?.();
    }
  }

  private settle(value: Buffer | null): void {
    const p = this.pending.shift();
    if (this.pending.length === 0) this.setRef(false);
    p?.resolve(value);
  }

  private onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFilled, chunk.length - off);
        chunk.copy(this.body, this.bodyFilled, off, off + n);
        this.bodyFilled += n;
        off += n;
        if (this.bodyFilled === this.body.length) {
          const body = this.body;
          this.body = null;
          this.skipNewline = true;
          this.settle(this.bodyIsBlob ? body : null);
        }
        continue;
      }
      if (this.skipNewline) {
        this.skipNewline = false;
        if (chunk[off] === 0x0a) off++;
        continue;
      }
      const nl = chunk.indexOf(0x0a, off);
      if (nl < 0) {
        this.headerParts.push(chunk.subarray(off));
        break;
      }
      this.headerParts.push(chunk.subarray(off, nl));
      off = nl + 1;
      const header = Buffer.concat(this.headerParts).toString("utf8");
      this.headerParts = [];
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
      if (!m) {
        // "<name> missing", "<name> ambiguous": nothing follows.
        this.settle(null);
        continue;
      }
      const size = Number(m[3]);
      this.bodyIsBlob = m[2] === "blob";
      if (size === 0) {
        this.skipNewline = true;
        this.settle(this.bodyIsBlob ? Buffer.alloc(0) : null);
      } else {
        this.body = Buffer.allocUnsafe(size);
        this.bodyFilled = 0;
      }
    }
  }
}

interface Tree {
  /** Blob path -> object id. */
  blobs: Map<string, string>;
  /** Blob paths that are symbolic links (mode 120000). */
  links: Set<string>;
}

/** Parses `git ls-tree -r -z` (full format): blob ids, and which blobs are symbolic links. */
function parseLsTree(out: string): Tree {
  const blobs = new Map<string, string>();
  const links = new Set<string>();
  for (const rec of out.split("\0")) {
    const tab = rec.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type, sha] = rec.slice(0, tab).split(" ");
    if (type !== "blob" || !sha) continue;
    const p = rec.slice(tab + 1);
    blobs.set(p, sha);
    if (mode === SYMLINK) links.add(p);
  }
  return { blobs, links };
}

/**
 * File contents at one commit, as git stores them (a symbolic link is the text of its
 * target), through a single `git cat-file --batch` process. Blobs are asked for by their id
 * from one `git ls-tree`: `<rev>:<path>` would make git walk the tree for each file, which in
 * a folder of 20,000 files is a scan of 20,000 entries per file.
 */
export class GitRevisionReader implements ClosableRevisionReader {
  readonly rev: string;
  private readonly batch: CatFileBatch;
  private readonly git: GitClient;
  private tree: Promise<Tree> | null = null;

  /** `rev` should be a full commit SHA (any revision name works but may move). */
  constructor(
    readonly root: string,
    rev: string,
  ) {
    this.rev = rev;
    this.batch = new CatFileBatch(root);
    this.git = client(root);
  }

  async read(p: string): Promise<Buffer | null> {
    const rel = normalizeRepoPath(p);
    if (rel === null) return null;
    const sha = (await this.listing()).blobs.get(rel);
    if (sha === undefined) return null;
    return this.batch.request(sha);
  }

  async listFiles(): Promise<string[]> {
    return [...(await this.listing()).blobs.keys()];
  }

  async blobShas(): Promise<Map<string, string>> {
    return (await this.listing()).blobs;
  }

  async symlinks(): Promise<ReadonlySet<string>> {
    return (await this.listing()).links;
  }

  close(): Promise<void> {
    return this.batch.close();
  }

  private listing(): Promise<Tree> {
    if (!this.tree) {
      this.tree = runGit(this.git, ["ls-tree", "-r", "-z", "--full-tree", this.rev], this.rev).then(parseLsTree);
      this.tree.catch(() => {
        this.tree = null;
      });
    }
    return this.tree;
  }
}

const SKIP_DIRS = new Set(["node_modules", "__pycache__"]);

/**
 * File contents on disk under `root` (the CLI's `--diff FILE` mode, a checkout holding a pull
 * request). Read as git stores them (core/safe-read.ts): a symbolic link is its text, never
 * followed; FIFOs, devices and paths through linked directories are refused. `listFiles()` uses `git ls-files` (tracked and
 * untracked-but-not-ignored files that exist) inside a git work tree, otherwise walks the
 * directory, skipping dot-directories, node_modules and __pycache__.
 */
export class WorkingTreeReader implements ClosableRevisionReader {
  readonly rev: string;
  readonly root: string;
  readonly isCheckout = true;
  private readonly useGit: boolean | undefined;
  private worktree: Promise<Worktree> | null = null;
  private readonly links = new Set<string>();

  constructor(root: string, opts: { rev?: string; useGit?: boolean } = {}) {
    this.root = path.resolve(root);
    this.rev = opts.rev ?? "working-tree";
    this.useGit = opts.useGit;
  }

  async read(p: string): Promise<Buffer | null> {
    const rel = normalizeRepoPath(p);
    if (rel === null) return null;
    // As git stores it: a symbolic link is its text (remembered: see symlinks()), never followed.
    const entry = readEntrySync(this.root, rel);
    if (entry === null) return null;
    if (entry.kind === "file") return entry.bytes;
    this.links.add(rel);
    return entry.target;
  }

  /** The symbolic links among the files git lists, and those read so far (a live set). */
  async symlinks(): Promise<ReadonlySet<string>> {
    for (const l of (await this.pythonFiles()).links) this.links.add(l);
    return this.links;
  }

  /** Listed by git once (the first call starts it; a diff source starts it early). */
  pythonFiles(): Promise<Worktree> {
    this.worktree ??= listWorktree(this.root);
    return this.worktree;
  }

  async listFiles(): Promise<string[]> {
    let useGit = this.useGit;
    if (useGit === undefined) {
      useGit = await client(this.root)
        .raw(["rev-parse", "--is-inside-work-tree"])
        .then((o) => o.trim() === "true")
        .catch(() => false);
    }
    const candidates = useGit ? await this.gitFiles() : await this.walk();
    const out: string[] = [];
    for (let i = 0; i < candidates.length; i += 256) {
      const slice = candidates.slice(i, i + 256);
      const kept = await Promise.all(slice.map((rel) => this.isFileLike(rel)));
      slice.forEach((rel, j) => {
        if (kept[j]) out.push(rel);
      });
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async isFileLike(rel: string): Promise<boolean> {
    try {
      const st = await fsp.lstat(path.join(this.root, ...rel.split("/")));
      return st.isFile() || st.isSymbolicLink();
    } catch {
      return false;
    }
  }

  private async gitFiles(): Promise<string[]> {
    const out = await runGit(client(this.root), ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name"], this.root);
    return [...new Set(out.split("\0").filter((p) => p !== ""))];
  }

  private async walk(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (dirRel: string): Promise<void> => {
      const abs = dirRel ? path.join(this.root, ...dirRel.split("/")) : this.root;
      const entries = await fsp.readdir(abs, { withFileTypes: true });
      for (const ent of entries) {
        const rel = dirRel ? `${dirRel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          if (ent.name.startsWith(".") || SKIP_DIRS.has(ent.name)) continue;
          await visit(rel);
        } else if (ent.isFile() || ent.isSymbolicLink()) {
          out.push(rel);
        }
      }
    };
    await visit("");
    return out.sort();
  }
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
    const mb = (await runGit(repo.git, ["merge-base", baseSha, headSha], `${resolvedAs}...${headRef}`)).trim().split("\n")[0] ?? "";
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
  const files = await listChanges(repo, fromSha, headSha, errors);
  const base = new GitRevisionReader(repo.root, fromSha);
  const head = new GitRevisionReader(repo.root, headSha);
  return {
    baseRev: fromSha,
    headRev: headSha,
    files,
    base,
    head,
    errors,
    close: async () => {
      await Promise.all([base.close(), head.close()]);
    },
  };
}
