/**
 * The one reader of unified diff hunks (`@@` headers, added, removed and context lines,
 * `\ No newline at end of file`, CRLF line ends): behind unified-diff.ts (a diff file, git's own
 * `git diff` output) and GitHub's `patch` strings (github.ts). The counts in each
 * `@@ -a,b +c,d @@` header decide where the hunk ends (so a removed line reading `-- x` or an
 * added one reading `++ y` is never taken for a header), and a header whose counts disagree
 * with the lines under it is reported, never silently trusted: lines past the counts would
 * otherwise be dropped (`@@ -1,0 +1,0 @@` over an added import) and a header that does not
 * parse (`@@ -1,-4 +1,-5 @@`) would hide its whole hunk.
 */

export interface DiffHunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** Body lines with their prefix (`" "`, `"-"`, `"+"`); an empty context line is stored as `" "`. */
  lines: string[];
  /** `\ No newline at end of file` after the last old-side line. */
  oldNoEol: boolean;
  /** `\ No newline at end of file` after the last new-side line. */
  newNoEol: boolean;
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** A hunk's body line: context, removal or addition (not `\ No newline`, not a header). */
function isBodyLine(raw: string): boolean {
  const c = raw.charAt(0);
  return c === " " || c === "-" || c === "+";
}

function markNoEol(hunk: DiffHunk): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (last === undefined) return;
  if (last.startsWith("-")) hunk.oldNoEol = true;
  else if (last.startsWith("+")) hunk.newNoEol = true;
  else {
    hunk.oldNoEol = true;
    hunk.newNoEol = true;
  }
}

/**
 * Whether the line at `i` starts the next file of a diff (`diff --git`, or a `--- `/`+++ ` pair)
 * or ends a `git format-patch` mail (its `-- ` signature line).
 */
export type NextFileTest = (lines: readonly string[], i: number) => boolean;

/**
 * Reads consecutive hunks from `lines[i]` on. Returns them, the index after the last, and one
 * problem per hunk whose header does not parse or whose counts disagree with its lines (each
 * as a sentence naming the 1-based line of `lines` and the header).
 */
export function readHunks(
  lines: readonly string[],
  start: number,
  startsNextFile: NextFileTest = () => false,
): { hunks: DiffHunk[]; end: number; problems: string[] } {
  const hunks: DiffHunk[] = [];
  const problems: string[] = [];
  let i = start;
  while (i < lines.length) {
    const header = stripCr(lines[i]);
    if (!header.startsWith("@@")) break;
    const m = HUNK_RE.exec(header);
    const where = `line ${i + 1}`;
    i++;
    if (!m) {
      // Skip its body: it cannot be placed, and must not be read as another file.
      const from = i;
      while (i < lines.length && (isBodyLine(lines[i]) || lines[i].startsWith("\\")) && !startsNextFile(lines, i)) i++;
      problems.push(`${where}: the hunk header ${JSON.stringify(header)} does not parse (counts must be non-negative numbers); its ${i - from} lines were not read`);
      continue;
    }
    const hunk: DiffHunk = {
      oldStart: Number(m[1]),
      oldCount: m[2] === undefined ? 1 : Number(m[2]),
      newStart: Number(m[3]),
      newCount: m[4] === undefined ? 1 : Number(m[4]),
      lines: [],
      oldNoEol: false,
      newNoEol: false,
    };
    let oldLeft = hunk.oldCount;
    let newLeft = hunk.newCount;
    while (i < lines.length) {
      const raw = lines[i];
      if (raw.startsWith("\\")) {
        markNoEol(hunk);
        i++;
        continue;
      }
      if (oldLeft === 0 && newLeft === 0) break;
      const c = raw.charAt(0);
      if (c === " " || raw === "" || raw === "\r") {
        if (oldLeft === 0 || newLeft === 0) break;
        hunk.lines.push(c === " " ? raw : " ");
        oldLeft--;
        newLeft--;
      } else if (c === "-") {
        if (oldLeft === 0) break;
        hunk.lines.push(raw);
        oldLeft--;
      } else if (c === "+") {
        if (newLeft === 0) break;
        hunk.lines.push(raw);
        newLeft--;
      } else {
        break;
      }
      i++;
    }
    if (oldLeft !== 0 || newLeft !== 0) {
      problems.push(`${where}: the hunk ${stripCr(m[0])} ends early: ${oldLeft} old and ${newLeft} new lines are missing`);
    } else if (i < lines.length && isBodyLine(lines[i]) && !startsNextFile(lines, i)) {
      // More lines than the header counts: they would be silently dropped.
      let extra = 0;
      while (i < lines.length && (isBodyLine(lines[i]) || lines[i].startsWith("\\")) && !startsNextFile(lines, i)) {
        if (!lines[i].startsWith("\\")) extra++;
        i++;
      }
      problems.push(`${where}: the hunk header ${stripCr(m[0])} counts fewer lines than the hunk has (${extra} more follow); its counts disagree with its lines`);
    }
    hunks.push(hunk);
  }
  return { hunks, end: i, problems };
}

/** Head line numbers of the `+` lines. */
export function addedLinesOf(hunks: readonly DiffHunk[]): number[] {
  const out: number[] = [];
  for (const h of hunks) {
    let n = h.newStart;
    for (const l of h.lines) {
      if (l.startsWith("+")) out.push(n++);
      else if (l.startsWith(" ")) n++;
    }
  }
  return out.sort((a, b) => a - b);
}
