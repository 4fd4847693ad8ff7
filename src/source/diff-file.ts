/**
 * Reading a change set from a unified diff file (the CLI's `--diff FILE` mode).
 *
 * The head side is the working tree of `repo` (the diff must already be applied there). The
 * base side is either `git show <base>:<path>` or, without `base`, rebuilt by applying each
 * file's hunks in reverse to the working-tree file (works with `-U0` diffs too).
 *
 * The parser is our own. parse-diff 0.11 was checked and falls short on git diffs here: it
 * ignores `rename from/to` / `copy from/to` (a pure rename has no hunks and its names come
 * from splitting the `diff --git` line with a regex, which breaks on names containing " b/"),
 * keeps C-style escapes in quoted names (`"a/sp\303\251cial"`), has no binary flag, turns
 * `\ No newline at end of file` into a fake change that repeats the previous line's type,
 * and loses count on empty context lines (diff.suppressBlankEmpty, editors stripping
 * trailing blanks), mis-assigning every following line.
 */
import * as path from "node:path";
import { promises as fsp } from "node:fs";
import type { ChangedFile, ChangeStatus, ReviewError } from "../core/types";
import { pushAll } from "../core/arrays";
import { SourceError } from "./errors";
import { addedLinesOf, readHunks, stripCr, type DiffHunk } from "./hunks";
import {
  GitRevisionReader,
  WorkingTreeReader,
  normalizeRepoPath,
  openGitRepo,
  readQuoted,
  resolveBase,
  type ClosableChangeSet,
  type ClosableRevisionReader,
  type GitRepo,
} from "./git";

export interface DiffFileChangeSetOptions {
  /** Directory whose working tree holds the head version of every file in the diff. */
  repo: string;
  /** The unified diff (git format preferred; plain `diff -u` output is accepted). */
  diffText: string;
  /** Base revision for base contents; without it the base is rebuilt from the diff. */
  base?: string;
}

export interface DiffFilePatch {
  /** Path at the base, null for added files. */
  oldPath: string | null;
  /** Path at the head, null for deleted files. */
  newPath: string | null;
  status: ChangeStatus;
  binary: boolean;
  hunks: DiffHunk[];
  oldMode?: string;
  newMode?: string;
  /** Abbreviated blob ids from the `index` line. */
  oldIndex?: string;
  newIndex?: string;
  /**
   * For a type change (git prints a deletion and a creation of the same path): the hunks of
   * the deletion, which rebuild the base from nothing.
   */
  baseHunks?: DiffHunk[];
  /** Why the hunks cannot be trusted (a header that does not parse, counts that disagree with the lines). */
  malformed?: string;
}

export interface ParsedDiff {
  patches: DiffFilePatch[];
  errors: ReviewError[];
}

/** First path components of git's prefixes: a/ b/ (default) and the diff.mnemonicPrefix ones. */
const GIT_PREFIXES = new Set(["a", "b", "c", "i", "w", "o", "1", "2"]);
const EMPTY_BLOB_PREFIX = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/** A name after `--- `/`+++ `: quoted, or up to a tab (git adds one after names with spaces; diff adds timestamps). */
function parseSideName(raw: string, plain: boolean): string | null {
  const s = stripCr(raw);
  let name: string;
  if (s.startsWith('"')) {
    const q = readQuoted(s, 0);
    name = q ? q.value : s;
  } else {
    const tab = s.indexOf("\t");
    name = tab >= 0 ? s.slice(0, tab) : s;
    if (plain && tab < 0) name = name.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?$/, "");
  }
  return name === "/dev/null" ? null : name;
}

/** A name in `rename from X` and friends: quoted or the rest of the line, without prefix. */
function parseBareName(raw: string): string {
  const s = stripCr(raw);
  if (s.startsWith('"')) {
    const q = readQuoted(s, 0);
    if (q) return q.value;
  }
  return s;
}

function afterPrefix(name: string): string | null {
  const slash = name.indexOf("/");
  return slash > 0 ? name.slice(slash + 1) : null;
}

/** Splits the names of a `diff --git A B` line (prefixes kept), or null when ambiguous. */
function splitHeaderNames(rest: string): [string, string] | null {
  if (rest.startsWith('"')) {
    const a = readQuoted(rest, 0);
    if (!a || rest[a.end] !== " ") return null;
    const bRaw = rest.slice(a.end + 1);
    if (bRaw.startsWith('"')) {
      const b = readQuoted(bRaw, 0);
      return b && b.end === bRaw.length ? [a.value, b.value] : null;
    }
    return [a.value, bRaw];
  }
  if (rest.endsWith('"')) {
    for (let i = rest.indexOf(' "'); i >= 0; i = rest.indexOf(' "', i + 1)) {
      const b = readQuoted(rest, i + 1);
      if (b && b.end === rest.length) return [rest.slice(0, i), b.value];
    }
    return null;
  }
  // Unquoted names may contain spaces. When old and new are the same file (every case but
  // renames and copies, which carry `rename from/to` lines) the line is symmetric.
  if (rest.length % 2 === 1) {
    const k = (rest.length - 1) / 2;
    if (rest[k] === " ") {
      const a = rest.slice(0, k);
      const b = rest.slice(k + 1);
      if (a === b || (afterPrefix(a) !== null && afterPrefix(a) === afterPrefix(b))) return [a, b];
    }
  }
  const candidates: Array<[string, string]> = [];
  for (let i = rest.indexOf(" "); i >= 0; i = rest.indexOf(" ", i + 1)) {
    const b = rest.slice(i + 1);
    if (/^[a-z0-9]\//.test(b)) candidates.push([rest.slice(0, i), b]);
  }
  return candidates.length === 1 ? candidates[0] : null;
}

/** Whether names carry git's one-component prefixes (`a/`, `b/`...), judged from the two sides. */
function hasPrefixes(a: string | null, b: string | null): boolean {
  const first = (n: string): string | null => {
    const slash = n.indexOf("/");
    return slash > 0 ? n.slice(0, slash) : null;
  };
  const fa = a === null ? null : first(a);
  const fb = b === null ? null : first(b);
  if (a !== null && b !== null) {
    return fa !== null && fb !== null && fa !== fb && GIT_PREFIXES.has(fa) && GIT_PREFIXES.has(fb);
  }
  const only = fa ?? fb;
  return only === "a" || only === "b";
}

function stripPrefix(name: string | null, strip: boolean): string | null {
  if (name === null || !strip) return name;
  return afterPrefix(name) ?? name;
}

class DiffParser {
  private readonly lines: string[];
  private i = 0;
  readonly patches: DiffFilePatch[] = [];
  readonly errors: ReviewError[] = [];

  constructor(text: string) {
    this.lines = text.split("\n");
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] === "") this.lines.pop();
  }

  run(): void {
    while (this.i < this.lines.length) {
      const line = stripCr(this.lines[this.i]);
      if (line.startsWith("diff --git ")) {
        this.gitPatch();
      } else if (line.startsWith("diff --cc ") || line.startsWith("diff --combined ")) {
        this.error(line.slice(line.indexOf(" ", 7) + 1), "Combined (merge commit) diffs are not supported; this file was skipped.");
        this.i++;
        while (this.i < this.lines.length && !/^diff --git |^diff --cc |^diff --combined /.test(this.lines[this.i])) this.i++;
      } else if (line.startsWith("--- ") && this.i + 1 < this.lines.length && stripCr(this.lines[this.i + 1]).startsWith("+++ ")) {
        this.plainPatch();
      } else if (line.startsWith("Binary files ") && line.endsWith(" differ")) {
        this.plainBinary(line);
        this.i++;
      } else {
        this.i++;
      }
    }
  }

  private error(where: string, message: string): void {
    this.errors.push({ kind: "diff", where, message });
  }

  private gitPatch(): void {
    const headerNames = splitHeaderNames(stripCr(this.lines[this.i]).slice("diff --git ".length));
    this.i++;
    let minus: string | null | undefined;
    let plus: string | null | undefined;
    let renameFrom: string | undefined;
    let renameTo: string | undefined;
    let copy = false;
    let created = false;
    let deleted = false;
    let binary = false;
    const patch: Partial<DiffFilePatch> = {};
    let m: RegExpExecArray | null;
    while (this.i < this.lines.length) {
      const line = stripCr(this.lines[this.i]);
      if (line.startsWith("diff --git ") || line.startsWith("@@ ")) break;
      if (line.startsWith("--- ") && this.i + 1 < this.lines.length && stripCr(this.lines[this.i + 1]).startsWith("+++ ")) {
        minus = parseSideName(line.slice(4), false);
        plus = parseSideName(this.lines[this.i + 1].slice(4), false);
        this.i += 2;
        break;
      }
      if ((m = /^old mode (\d+)/.exec(line))) patch.oldMode = m[1];
      else if ((m = /^new mode (\d+)/.exec(line))) patch.newMode = m[1];
      else if ((m = /^deleted file mode (\d+)/.exec(line))) {
        deleted = true;
        patch.oldMode = m[1];
      } else if ((m = /^new file mode (\d+)/.exec(line))) {
        created = true;
        patch.newMode = m[1];
      } else if ((m = /^(rename|copy) (from|old) (.*)$/.exec(line))) {
        renameFrom = parseBareName(m[3]);
        copy = m[1] === "copy";
      } else if ((m = /^(rename|copy) (to|new) (.*)$/.exec(line))) {
        renameTo = parseBareName(m[3]);
        copy = m[1] === "copy";
      } else if ((m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d+))?/.exec(line))) {
        patch.oldIndex = m[1];
        patch.newIndex = m[2];
        if (m[3]) patch.oldMode = patch.newMode = m[3];
      } else if (line.startsWith("Binary files ") || line === "GIT binary patch") {
        binary = true;
      }
      this.i++;
    }
    const { hunks, malformed } = this.hunks();

    const strip = hasPrefixes(
      headerNames ? headerNames[0] : minus ?? null,
      headerNames ? headerNames[1] : plus ?? null,
    );
    let oldPath: string | null;
    let newPath: string | null;
    if (renameFrom !== undefined && renameTo !== undefined) {
      oldPath = renameFrom;
      newPath = renameTo;
    } else if (minus !== undefined || plus !== undefined) {
      const fallbackOld = headerNames ? stripPrefix(headerNames[0], strip) : null;
      const fallbackNew = headerNames ? stripPrefix(headerNames[1], strip) : null;
      oldPath = minus === undefined ? fallbackOld : stripPrefix(minus, strip);
      newPath = plus === undefined ? fallbackNew : stripPrefix(plus, strip);
    } else if (headerNames) {
      oldPath = stripPrefix(headerNames[0], strip);
      newPath = stripPrefix(headerNames[1], strip);
    } else {
      this.error(`line ${this.i}`, "Could not read the file names of a `diff --git` header; the file was skipped.");
      return;
    }
    if (created) oldPath = null;
    if (deleted) newPath = null;
    if (oldPath === null && newPath === null) {
      this.error(`line ${this.i}`, "A patch with /dev/null on both sides was skipped.");
      return;
    }

    if ((renameFrom === undefined) !== (renameTo === undefined)) {
      const file = newPath ?? oldPath ?? "";
      this.error(
        file,
        `The diff of ${file} has \`${copy ? "copy" : "rename"} ${renameFrom === undefined ? "to" : "from"}\` without \`${copy ? "copy" : "rename"} ${renameFrom === undefined ? "from" : "to"}\`: the path it moved from is unknown, so a module moved without a shim cannot be checked.`,
      );
    }
    this.checkHunks(newPath ?? oldPath ?? "", malformed);
    let status: ChangeStatus;
    if (renameFrom !== undefined && renameTo !== undefined) status = copy ? "copied" : "renamed";
    else if (oldPath === null) status = "added";
    else if (newPath === null) status = "deleted";
    else status = "modified";
    this.patches.push({ ...patch, oldPath, newPath, status, binary, hunks, ...(malformed === undefined ? {} : { malformed }) });
  }

  private plainPatch(): void {
    const minus = parseSideName(this.lines[this.i].slice(4), true);
    const plus = parseSideName(this.lines[this.i + 1].slice(4), true);
    this.i += 2;
    const { hunks, malformed } = this.hunks();
    const strip = hasPrefixes(minus, plus);
    let oldPath = stripPrefix(minus, strip);
    let newPath = stripPrefix(plus, strip);
    // `diff -N` writes the real name with an epoch date instead of /dev/null.
    if (hunks.length === 1 && hunks[0].oldStart === 0 && hunks[0].oldCount === 0) oldPath = null;
    if (hunks.length === 1 && hunks[0].newStart === 0 && hunks[0].newCount === 0) newPath = null;
    if (oldPath === null && newPath === null) return;
    // `diff -u x.py.orig x.py`: plain diffs have no renames, the new name is the file.
    if (oldPath !== null && newPath !== null) oldPath = newPath;
    const status: ChangeStatus = oldPath === null ? "added" : newPath === null ? "deleted" : "modified";
    this.checkHunks(newPath ?? oldPath ?? "", malformed);
    this.patches.push({ oldPath, newPath, status, binary: false, hunks, ...(malformed === undefined ? {} : { malformed }) });
  }

  /** `diff -ru` on a binary file prints only `Binary files OLD and NEW differ`. */
  private plainBinary(line: string): void {
    const m = /^Binary files (.+) and (.+) differ$/.exec(line);
    if (!m) return;
    const minus = m[1] === "/dev/null" ? null : m[1];
    const plus = m[2] === "/dev/null" ? null : m[2];
    const strip = hasPrefixes(minus, plus);
    const oldPath = stripPrefix(minus, strip);
    const newPath = stripPrefix(plus, strip);
    if (oldPath === null && newPath === null) return;
    const status: ChangeStatus = oldPath === null ? "added" : newPath === null ? "deleted" : "modified";
    this.patches.push({ oldPath: oldPath === null ? null : (newPath ?? oldPath), newPath, status, binary: true, hunks: [] });
  }

  /** The hunks from the current line on; problems with them are reported against `file`. */
  private hunks(): { hunks: DiffHunk[]; malformed?: string } {
    const r = readHunks(this.lines, this.i, startsNextFile);
    this.i = r.end;
    if (r.problems.length === 0) return { hunks: r.hunks };
    return { hunks: r.hunks, malformed: r.problems.join("; ") };
  }

  /** One `diff` error per malformed patch, naming its file. */
  private checkHunks(file: string, malformed: string | undefined): void {
    if (malformed !== undefined) {
      this.error(file, `The diff of ${file} cannot be trusted: ${malformed}. Its added lines are unknown; regenerate the diff with \`git diff\`.`);
    }
  }
}

/** The next file of a diff, or the end of a `git format-patch` mail (its `-- ` signature). */
function startsNextFile(lines: readonly string[], i: number): boolean {
  const line = stripCr(lines[i]);
  if (line.startsWith("diff --git ") || line.startsWith("diff --cc ") || line.startsWith("diff --combined ")) return true;
  if (line === "-- ") return true;
  return line.startsWith("--- ") && i + 1 < lines.length && stripCr(lines[i + 1]).startsWith("+++ ");
}

/**
 * Parses a unified diff into per-file patches. Git's type changes (printed as a deletion
 * then a creation of the same path) come back as one `modified` patch with `baseHunks`.
 */
export function parseUnifiedDiff(text: string): ParsedDiff {
  const parser = new DiffParser(text);
  parser.run();
  const patches: DiffFilePatch[] = [];
  const seen = new Map<string, DiffFilePatch>();
  for (const p of parser.patches) {
    const prev = patches[patches.length - 1];
    if (prev && prev.status === "deleted" && p.status === "added" && prev.oldPath === p.newPath) {
      patches[patches.length - 1] = {
        ...p,
        oldPath: prev.oldPath,
        status: "modified",
        binary: prev.binary || p.binary,
        oldMode: prev.oldMode,
        oldIndex: prev.oldIndex,
        baseHunks: prev.hunks,
      };
      continue;
    }
    const key = `${p.newPath ?? ""}\0${p.oldPath ?? ""}`;
    if (seen.has(key)) {
      parser.errors.push({
        kind: "diff",
        where: p.newPath ?? p.oldPath ?? "",
        message: `The diff has more than one patch for ${p.newPath ?? p.oldPath} (a patch series?); only the first is used.`,
      });
      continue;
    }
    seen.set(key, p);
    patches.push(p);
  }
  return { patches, errors: parser.errors };
}

export { addedLinesOf, type DiffHunk };

// ---------------------------------------------------------------------------------------
// Reverse application

class HunkMismatch extends Error {}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      if (start < buf.length) out.push(buf.subarray(start));
      return out;
    }
    out.push(buf.subarray(start, nl + 1));
    start = nl + 1;
  }
}

function textOf(line: Buffer): string {
  return stripCr(line.toString("utf8").replace(/\n$/, ""));
}

/** Compares a file line with a diff line's content, ignoring CR (autocrlf checkouts). */
function sameLine(fileLine: Buffer | undefined, content: string): boolean {
  return fileLine !== undefined && textOf(fileLine) === stripCr(content);
}

function checkNewSide(lines: Buffer[], h: DiffHunk, start: number): void {
  let j = start;
  for (const l of h.lines) {
    if (l.startsWith("-")) continue;
    if (!sameLine(lines[j], l.slice(1))) {
      throw new HunkMismatch(`line ${j + 1} is ${JSON.stringify(lines[j] ? textOf(lines[j]) : "<end of file>")}, the diff expects ${JSON.stringify(stripCr(l.slice(1)))}`);
    }
    j++;
  }
}

function hunkStart(h: DiffHunk): number {
  // With a zero count the start names the line *before* the (empty) range.
  return h.newCount === 0 ? h.newStart : h.newStart - 1;
}

/** Checks that each hunk's new side is in `head`; throws HunkMismatch otherwise. */
function verifyHunks(head: Buffer, hunks: DiffHunk[]): void {
  const lines = splitLines(head);
  for (const h of hunks) {
    const start = hunkStart(h);
    if (start < 0 || start + h.newCount > lines.length) {
      throw new HunkMismatch(`hunk @@ +${h.newStart},${h.newCount} lies beyond the end of the file (${lines.length} lines)`);
    }
    checkNewSide(lines, h, start);
  }
}

/** Rebuilds the old version of a file from its new version and the hunks between them. */
export function reverseApply(head: Buffer, hunks: DiffHunk[]): Buffer {
  const lines = splitLines(head);
  const out: Buffer[] = [];
  let cursor = 0;
  const LF = Buffer.from("\n");
  for (const h of [...hunks].sort((a, b) => a.newStart - b.newStart)) {
    const start = hunkStart(h);
    if (start < cursor || start + h.newCount > lines.length) {
      throw new HunkMismatch(`hunk @@ +${h.newStart},${h.newCount} does not fit the file (${lines.length} lines)`);
    }
    checkNewSide(lines, h, start);
    pushAll(out, lines.slice(cursor, start));
    const oldTotal = h.lines.filter((l) => !l.startsWith("+")).length;
    let oldSeen = 0;
    let j = start;
    for (const l of h.lines) {
      if (l.startsWith("+")) {
        j++;
        continue;
      }
      oldSeen++;
      const eol = !(oldSeen === oldTotal && h.oldNoEol);
      if (l.startsWith(" ")) {
        // Keep the file's own bytes for context lines (encoding, CR).
        const fileLine = lines[j++];
        const body = fileLine[fileLine.length - 1] === 0x0a ? fileLine.subarray(0, fileLine.length - 1) : fileLine;
        out.push(body);
      } else {
        out.push(Buffer.from(l.slice(1), "utf8"));
      }
      if (eol) out.push(LF);
    }
    cursor = start + h.newCount;
  }
  pushAll(out, lines.slice(cursor));
  return Buffer.concat(out);
}

/**
 * The base side rebuilt from the head (working tree) and the diff. Paths the diff does not
 * touch read as the head; files the diff adds read as null. A file that cannot be rebuilt
 * (binary content change, hunks that do not match the working tree, `git diff -D` deletions)
 * reads as null and leaves a ReviewError in the change set's `errors`.
 */
class ReconstructedBaseReader implements ClosableRevisionReader {
  readonly rev = "reconstructed";
  private readonly byOldPath = new Map<string, DiffFilePatch>();
  private readonly absent = new Set<string>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly head: WorkingTreeReader,
    patches: DiffFilePatch[],
    private readonly errors: ReviewError[],
  ) {
    for (const p of patches) {
      if (p.newPath !== null && p.status !== "modified") this.absent.add(p.newPath);
    }
    for (const p of patches) {
      if (p.oldPath !== null && p.status !== "copied") {
        this.byOldPath.set(p.oldPath, p);
        this.absent.delete(p.oldPath);
      }
    }
  }

  async read(p: string): Promise<Buffer | null> {
    const rel = normalizeRepoPath(p);
    if (rel === null) return null;
    const patch = this.byOldPath.get(rel);
    if (patch) return this.rebuild(rel, patch);
    if (this.absent.has(rel)) return null;
    return this.head.read(rel);
  }

  async listFiles(): Promise<string[]> {
    const files = new Set(await this.head.listFiles());
    for (const p of this.absent) files.delete(p);
    for (const p of this.byOldPath.keys()) files.add(p);
    return [...files].sort();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private report(where: string, message: string): null {
    if (!this.reported.has(where)) {
      this.reported.add(where);
      this.errors.push({ kind: "diff-mismatch", where, message });
    }
    return null;
  }

  private async rebuild(rel: string, patch: DiffFilePatch): Promise<Buffer | null> {
    if (patch.malformed !== undefined) {
      return this.report(rel, `Cannot rebuild the base version of ${rel} from the diff: its hunks are malformed; pass a base revision to read it from git.`);
    }
    if (patch.binary) {
      return this.report(rel, `Cannot rebuild the base version of binary file ${rel} from the diff; pass a base revision to read it from git.`);
    }
    try {
      if (patch.baseHunks) return reverseApply(Buffer.alloc(0), patch.baseHunks);
      if (patch.status === "deleted") {
        if (patch.hunks.length === 0 && patch.oldIndex && !/^0+$/.test(patch.oldIndex) && !EMPTY_BLOB_PREFIX.startsWith(patch.oldIndex)) {
          return this.report(rel, `The diff deletes ${rel} without its content (git diff -D?); its base version is unknown.`);
        }
        return reverseApply(Buffer.alloc(0), patch.hunks);
      }
      const head = await this.head.read(patch.newPath ?? rel);
      if (head === null) {
        return this.report(rel, `Cannot rebuild the base version of ${rel}: ${patch.newPath} is missing from the working tree.`);
      }
      return reverseApply(head, patch.hunks);
    } catch (err) {
      if (err instanceof HunkMismatch) {
        return this.report(rel, `Cannot rebuild the base version of ${rel}: the working tree does not match the diff (${err.message}).`);
      }
      throw err;
    }
  }
}

async function locateRepo(dir: string, needGit: boolean): Promise<{ root: string; repo: GitRepo | null }> {
  try {
    const repo = await openGitRepo(dir);
    return { root: repo.root, repo };
  } catch (err) {
    if (needGit || !(err instanceof SourceError) || err.kind !== "not-a-repo") throw err;
  }
  const abs = path.resolve(dir);
  const st = await fsp.stat(abs).catch(() => null);
  if (!st?.isDirectory()) {
    throw new SourceError("not-a-repo", abs, `${abs} does not exist or is not a directory.`, "Pass the directory the diff applies to.");
  }
  return { root: abs, repo: null };
}

/**
 * The change described by a unified diff. Head contents come from the working tree of `repo`
 * (rev `"working-tree"`); base contents from `base` when given, else rebuilt from the diff
 * (rev `"reconstructed"`). Files whose hunks do not match the working tree get
 * `patchMissing: true` and a `diff-mismatch` entry in `errors`.
 *
 * Throws `SourceError` when `repo` does not exist, when `base` cannot be resolved, or when
 * `diffText` is not empty but holds no file patch.
 */
export async function diffFileChangeSet(opts: DiffFileChangeSetOptions): Promise<ClosableChangeSet> {
  const { root, repo } = await locateRepo(opts.repo, opts.base !== undefined);
  const parsed = parseUnifiedDiff(opts.diffText);
  if (parsed.patches.length === 0 && /\S/.test(opts.diffText)) {
    throw new SourceError(
      "diff-parse",
      "diff",
      "The diff file holds no file patch (no `diff --git` or `---`/`+++` headers were found).",
      "Produce it with `git diff <base>...<head>` (a unified diff).",
    );
  }
  const errors: ReviewError[] = [...parsed.errors];
  const head = new WorkingTreeReader(root, { useGit: repo !== null });
  head.pythonFiles().catch(() => {}); // git lists the checkout while the diff is read (the review awaits it)

  let base: ClosableRevisionReader;
  let baseRev: string;
  if (opts.base !== undefined && repo) {
    const { sha } = await resolveBase(repo, opts.base);
    base = new GitRevisionReader(root, sha);
    baseRev = sha;
  } else {
    base = new ReconstructedBaseReader(head, parsed.patches, errors);
    baseRev = base.rev;
  }

  const newPaths = new Set(parsed.patches.map((p) => p.newPath).filter((p): p is string => p !== null));
  const files: ChangedFile[] = [];
  for (const p of parsed.patches) {
    const file: ChangedFile = {
      path: p.newPath ?? p.oldPath ?? "",
      oldPath: p.status === "renamed" || p.status === "copied" ? p.oldPath : null,
      status: p.status,
      addedLines: p.binary || p.malformed !== undefined ? [] : addedLinesOf(p.hunks),
      // Hunks whose counts disagree with their lines: which lines were added is unknown.
      patchMissing: p.malformed !== undefined,
      binary: p.binary,
    };
    files.push(file);
    if (p.newPath !== null && !p.binary && p.malformed === undefined) {
      let problem: string | null = null;
      // A path the checkout may not be read through (a linked directory, a FIFO) is a named problem.
      const content = await head.read(p.newPath).catch((err: Error) => {
        problem = `${p.newPath} could not be read: ${err.message}`;
        return null;
      });
      if (problem !== null) {
        // reported below
      } else if (content === null) problem = `${p.newPath} is in the diff but not in the working tree`;
      else {
        try {
          verifyHunks(content, p.hunks);
        } catch (err) {
          if (!(err instanceof HunkMismatch)) throw err;
          problem = `the working tree does not match the diff: ${err.message}`;
        }
      }
      if (problem) {
        errors.push({ kind: "diff-mismatch", where: p.newPath, message: `${problem}; its added lines are unknown. Apply the diff (or check out its head) before the review.` });
        file.addedLines = [];
        file.patchMissing = true;
      }
    } else if (p.status === "deleted" && p.oldPath !== null && !newPaths.has(p.oldPath) && (await head.read(p.oldPath)) !== null) {
      errors.push({ kind: "diff-mismatch", where: p.oldPath, message: `The diff deletes ${p.oldPath} but it is still in the working tree; is the diff applied?` });
    }
  }

  return {
    baseRev,
    headRev: head.rev,
    files,
    base,
    head,
    errors,
    close: async () => {
      await Promise.all([base.close(), head.close()]);
    },
  };
}
