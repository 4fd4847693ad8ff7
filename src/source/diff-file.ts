/**
 * Reading a change set from a unified diff file (the CLI's `--diff FILE` mode).
 *
 * The head side is the working tree of `repo` (the diff must already be applied there). The
 * base side is either `git show <base>:<path>` or, without `base`, rebuilt by applying each
 * file's hunks in reverse to the working-tree file (works with `-U0` diffs too). The diff is
 * read by unified-diff.ts.
 */
import * as path from "node:path";
import { promises as fsp } from "node:fs";
import type { ChangedFile, ReviewError } from "../core/types";
import { pushAll } from "../core/arrays";
import { SourceError } from "./errors";
import { addedLinesOf, stripCr, type DiffHunk } from "./hunks";
import { closableChangeSet, type ClosableChangeSet, type ClosableRevisionReader } from "./change-set";
import { openGitRepo, resolveBase, type GitRepo } from "./git";
import { GitRevisionReader } from "./git-revision";
import { normalizeRepoPath } from "./paths";
import { parseUnifiedDiff, type FilePatch } from "./unified-diff";
import { WorkingTreeReader } from "./worktree-reader";

/** git's id of the empty blob: an `index` line naming it deletes an empty file. */
const EMPTY_BLOB_PREFIX = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

export interface DiffFileChangeSetOptions {
  /** Directory whose working tree holds the head version of every file in the diff. */
  repo: string;
  /** The unified diff (git format preferred; plain `diff -u` output is accepted). */
  diffText: string;
  /** Base revision for base contents; without it the base is rebuilt from the diff. */
  base?: string;
}


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
  private readonly byOldPath = new Map<string, FilePatch>();
  private readonly absent = new Set<string>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly head: WorkingTreeReader,
    patches: FilePatch[],
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

  private async rebuild(rel: string, patch: FilePatch): Promise<Buffer | null> {
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

  return closableChangeSet({ baseRev, headRev: head.rev, files, base, head, errors });
}
