/** Shared vocabulary of the analysis core. Nothing here knows about Danger, git or GitHub. */

export type Severity = "message" | "warn" | "fail";
export type SeveritySetting = Severity | "off";

export const SEVERITY_RANK: Record<Severity, number> = { message: 0, warn: 1, fail: 2 };

export interface ChainLink {
  /** Dotted module name. */
  module: string;
  /** Repository-relative file path of the module, when first-party. */
  file: string | null;
  /** Line of the import statement in the PREVIOUS link's file that brings this module in. */
  line: number | null;
  /**
   * When that line is a call of a repository function that imports this module (or a computed
   * import enumerating a package's modules): the route from the call to the import, e.g.
   * `calls utils.load -> pkg/utils.py:12 imports pkg.plugins`.
   */
  via?: string;
  /** With `via`: the places the route runs through after the call (the callees' calls, then the import), as file and line. */
  steps?: { file: string; line: number }[];
}

export interface Finding {
  /** Stable rule id, e.g. `heavy-import-at-startup`. */
  rule: string;
  severity: Severity;
  /** Repository-relative path (POSIX separators). */
  file: string;
  /** 1-based line at the head revision (or base revision for deleted files), or null for file-level findings. */
  line: number | null;
  /** One-sentence summary, plain text (escaped by the reporter, never here). */
  message: string;
  /** Why it matters, plain text. */
  why: string;
  /** How to fix, plain text; may contain a code block in `fixCode`. */
  fix: string;
  /** Optional code to paste (a shim, a deferred import), rendered as a code block. */
  fixCode?: { path?: string; language: string; code: string };
  /** Full documentation URL including the rule's anchor. */
  docs: string;
  /** Import chain from a startup root, when the rule computed one. */
  chain?: ChainLink[];
  /** Extra facts (lost receivers, remaining references...), plain text lines. */
  details?: string[];
  /** Whether `line` is among the lines the change added (inline comments are only valid there). */
  inDiff: boolean;
}

/** A problem reading input (a file, a config, an API) that did not stop the review. */
export interface ReviewError {
  /** What failed, e.g. `syntax`, `config`, `git`, `github`, `file-too-large`. */
  kind: string;
  /** The file, key or endpoint concerned. */
  where: string;
  message: string;
}

export type ChangeStatus = "added" | "modified" | "deleted" | "renamed" | "copied";

export interface ChangedFile {
  /** Path at the head (for deleted files: the path at the base). POSIX separators, repo-relative. */
  path: string;
  /** For renames/copies: the path at the base. */
  oldPath: string | null;
  status: ChangeStatus;
  /** Head line numbers the change added or modified (empty when unknown, see `patchMissing`). */
  addedLines: number[];
  /** True when the source could not say which lines changed (GitHub omits `patch` for large diffs). */
  patchMissing: boolean;
  binary: boolean;
}

/** Reads file contents at one revision. Returns null when the path does not exist there. */
export interface RevisionReader {
  readonly rev: string;
  read(path: string): Promise<Buffer | null>;
  /** Every file path at this revision (repo-relative, POSIX). */
  listFiles(): Promise<string[]>;
  /** Git blob id per path, when the source knows them (content-addressed cache keys). */
  blobShas?(): Promise<Map<string, string>>;
  /**
   * A checkout's Python files (`.py`, `.pyi`) with the blob ids of those unmodified since the
   * index, listed by git once (see source/worktree.ts); for a working-tree reader.
   */
  pythonFiles?(): Promise<{ files: string[]; shas: Map<string, string>; links?: ReadonlySet<string> }>;
  /**
   * Paths at this revision that are symbolic links: `read` gives their text, as git stores it
   * (never the target's content), which is not Python.
   */
  symlinks?(): Promise<ReadonlySet<string>>;
  /** The repository's top directory on disk, when there is a local checkout (the scan cache lives there). */
  readonly root?: string;
  /** True when the files under `root` ARE this revision (a working tree), so they may be read from disk directly. */
  readonly isCheckout?: boolean;
}

export interface ChangeSet {
  baseRev: string;
  headRev: string;
  files: ChangedFile[];
  base: RevisionReader;
  head: RevisionReader;
  /** Non-fatal problems met while reading the change (missing patches, truncated lists...). */
  errors: ReviewError[];
  /** Releases readers (git child processes); safe to call twice. */
  close?: () => Promise<void>;
}
