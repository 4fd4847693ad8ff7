/**
 * The files changed between two commits and the lines head added, from two runs of `git diff`
 * over the same range: `--raw -z` (statuses, modes, blob ids and exact paths) and `--patch`,
 * read by the unified-diff reader (unified-diff.ts) and matched to the raw entries by path.
 */
import type { ChangedFile, ChangeStatus, ReviewError } from "../core/types";
import { CatFileBatch } from "./cat-file";
import { SourceError } from "./errors";
import { isBinary } from "./files";
import { gitOutput } from "./git-run";
import { addedLinesOf } from "./hunks";
import { GITLINK_MODE } from "./paths";
import { parseUnifiedDiff, patchKey, type FilePatch, type DiffOrigin } from "./unified-diff";

/**
 * Flags shared by both `git diff` runs so the two listings agree with each other.
 *
 * The repository under review controls its own `.gitattributes`, so nothing it says may change
 * what is read: `--text` diffs every file as text (a `*.py binary` or `-diff` attribute cannot
 * hide a change), `--no-textconv` and `--no-ext-diff` ignore diff drivers. Every run has no
 * context (`diff.context=0`, `--inter-hunk-context=0`): git trims the common tail of two files
 * keeping as many lines as the context, so a `--numstat` at the default three lines can count
 * other lines than a `-U0` patch of the same change. (`-U0` itself would add a patch to the
 * `--raw` output.)
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

/** `git diff` with the configuration it needs (before the subcommand) and DIFF_FLAGS. */
function diffArgs(args: string[], from: string, to: string): string[] {
  return ["-c", "diff.context=0", "diff", ...args, ...DIFF_FLAGS, from, to, "--"];
}

/** git's own patches: a hunk that does not add up was never seen, and would mean we misread git. */
const GIT_DIFF: DiffOrigin = {
  kind: "git",
  untrusted: (file, problems) => `The patch of ${file} does not add up: ${problems}; its added lines are unknown.`,
};

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

/** What a `--raw` status letter means; M, T (type change: symlink <-> file) and anything unexpected are modifications. */
const STATUS_OF_LETTER: ReadonlyMap<string, ChangeStatus> = new Map([
  ["A", "added"],
  ["D", "deleted"],
  ["R", "renamed"],
  ["C", "copied"],
]);

/** Whether a changed line of the patch holds a NUL byte (git's own sign of binary content, which `--text` turns off). */
function hasNul(p: FilePatch): boolean {
  return [...p.hunks, ...(p.baseHunks ?? [])].some((h) => h.lines.some((l) => l.includes("\0")));
}

/**
 * The blobs among those of `entries` that git's own content test calls binary (a NUL in the
 * first 8,000 bytes), whatever a .gitattributes says. Rare: only blobs whose patch has a NUL
 * byte are read.
 */
async function binaryBlobs(root: string, entries: RawEntry[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (entries.length === 0) return out;
  const batch = new CatFileBatch(root);
  try {
    for (const e of entries) {
      for (const sha of [e.oldSha, e.newSha]) {
        if (!/^0+$/.test(sha)) {
          const bytes = await batch.request(sha);
          if (bytes !== null && isBinary(bytes)) out.add(sha);
        }
      }
    }
  } finally {
    await batch.close();
  }
  return out;
}

/** The changed files between two commits of the repository at `root`, with the lines head added. */
export async function listChanges(root: string, from: string, to: string, errors: ReviewError[]): Promise<ChangedFile[]> {
  const where = `${from.slice(0, 12)}..${to.slice(0, 12)}`;
  const [rawOut, patchOut] = await Promise.all([
    gitOutput(root, diffArgs(["-z", "--raw", "--no-abbrev"], from, to), where),
    gitOutput(root, diffArgs(["--patch"], from, to), where),
  ]);
  const entries = parseRawZ(rawOut);
  // A type change (symlink <-> file), printed as a deletion and a creation, comes back as one patch.
  const parsed = parseUnifiedDiff(patchOut, GIT_DIFF);
  errors.push(...parsed.errors);
  const patches = new Map(parsed.patches.map((p) => [patchKey(p.oldPath, p.newPath), p]));
  const patchOf = (e: RawEntry) => patches.get(patchKey(e.oldPath, e.newPath));
  const binary = await binaryBlobs(
    root,
    entries.filter((e) => {
      const p = patchOf(e);
      return p !== undefined && hasNul(p);
    }),
  );

  return entries.map((e): ChangedFile => {
    const filePath = e.newPath ?? e.oldPath ?? "";
    const file: ChangedFile = {
      path: filePath,
      oldPath: e.letter === "R" || e.letter === "C" ? e.oldPath : null,
      status: STATUS_OF_LETTER.get(e.letter) ?? "modified",
      addedLines: [],
      patchMissing: false,
      binary: e.oldMode === GITLINK_MODE || e.newMode === GITLINK_MODE,
    };
    if (file.binary) return file;
    const patch = patchOf(e);
    if (patch === undefined) {
      file.patchMissing = true;
      errors.push({ kind: "git", where: filePath, message: `Could not find the patch of ${filePath} in \`git diff\` output; its added lines are unknown.` });
      return file;
    }
    // Binary as git itself judges content (see above), not as a .gitattributes says; the review names a .py file so marked.
    if (patch.binary || binary.has(e.oldSha) || binary.has(e.newSha)) {
      file.binary = true;
      return file;
    }
    // Hunks that do not add up (reported by the reader): which lines were added is unknown.
    if (patch.malformed !== undefined) {
      file.patchMissing = true;
      return file;
    }
    file.addedLines = addedLinesOf(patch.hunks);
    return file;
  });
}
