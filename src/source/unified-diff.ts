/**
 * Reading unified diff text into per-file patches: a diff file given to the CLI, and git's own
 * `git diff` output (git-diff.ts). The hunks are read by hunks.ts (the one hunk reader, also
 * behind GitHub's `patch`); this module reads what surrounds them: git's extended headers
 * (`rename from`, `new file mode`, `index`, `Binary files`), quoted and prefixed names, and
 * plain `diff -u` headers.
 *
 * The parser is our own. parse-diff 0.11 was checked and falls short on git diffs here: it
 * ignores `rename from/to` / `copy from/to` (a pure rename has no hunks and its names come
 * from splitting the `diff --git` line with a regex, which breaks on names containing " b/"),
 * keeps C-style escapes in quoted names (`"a/sp\303\251cial"`), has no binary flag, turns
 * `\ No newline at end of file` into a fake change that repeats the previous line's type,
 * and loses count on empty context lines (diff.suppressBlankEmpty, editors stripping
 * trailing blanks), mis-assigning every following line.
 */
import type { ChangeStatus, ReviewError } from "../core/types";
import { readHunks, stripCr, type DiffHunk } from "./hunks";
import { readQuoted } from "./paths";

/** One file of a diff. */
export interface FilePatch {
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
  patches: FilePatch[];
  errors: ReviewError[];
}

/** First path components of git's prefixes: a/ b/ (default) and the diff.mnemonicPrefix ones. */
const GIT_PREFIXES = new Set(["a", "b", "c", "i", "w", "o", "1", "2"]);

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

/** Who produced the diff, which decides how its problems are reported. */
export interface DiffOrigin {
  /** The `ReviewError` kind of every problem. */
  kind: string;
  /** The message for a file whose hunks cannot be trusted; `problems` are readHunks' sentences, joined. */
  untrusted(file: string, problems: string): string;
}

/** A diff file given to the CLI. */
export const DIFF_FILE: DiffOrigin = {
  kind: "diff",
  untrusted: (file, problems) => `The diff of ${file} cannot be trusted: ${problems}. Its added lines are unknown; regenerate the diff with \`git diff\`.`,
};

class DiffParser {
  private readonly lines: string[];
  private i = 0;
  readonly patches: FilePatch[] = [];
  readonly errors: ReviewError[] = [];

  constructor(
    text: string,
    private readonly origin: DiffOrigin,
  ) {
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
    this.errors.push({ kind: this.origin.kind, where, message });
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
    const patch: Partial<FilePatch> = {};
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

  /** One error per malformed patch, naming its file. */
  private checkHunks(file: string, malformed: string | undefined): void {
    if (malformed !== undefined) this.error(file, this.origin.untrusted(file, malformed));
  }
}

/** The next file of a diff, or the end of a `git format-patch` mail (its `-- ` signature). */
function startsNextFile(lines: readonly string[], i: number): boolean {
  const line = stripCr(lines[i]);
  if (line.startsWith("diff --git ") || line.startsWith("diff --cc ") || line.startsWith("diff --combined ")) return true;
  if (line === "-- ") return true;
  return line.startsWith("--- ") && i + 1 < lines.length && stripCr(lines[i + 1]).startsWith("+++ ");
}

/** The pair of paths a patch is known by (a path never holds a NUL byte, nor is empty). */
export function patchKey(oldPath: string | null, newPath: string | null): string {
  return `${oldPath ?? ""}\0${newPath ?? ""}`;
}

/**
 * Parses a unified diff into per-file patches. Git's type changes (printed as a deletion
 * then a creation of the same path) come back as one `modified` patch with `baseHunks`.
 * Patches are keyed by their two paths; a second patch of the same pair is reported and
 * dropped.
 */
export function parseUnifiedDiff(text: string, origin: DiffOrigin = DIFF_FILE): ParsedDiff {
  const parser = new DiffParser(text, origin);
  parser.run();
  const patches: FilePatch[] = [];
  const seen = new Map<string, FilePatch>();
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
    const key = patchKey(p.oldPath, p.newPath);
    if (seen.has(key)) {
      parser.errors.push({
        kind: origin.kind,
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
