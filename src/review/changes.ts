/**
 * The review's source step: the changed Python files, read at both revisions, and what the
 * graphs need of them (the base's bytes to swap in, the modules the change takes away).
 * What makes a file unreadable is reported as an error, never thrown.
 */
import type { Config } from "../config";
import type { ChangeSet, ChangedFile, ReviewError, RevisionReader } from "../core/types";
import { pushAll } from "../core/arrays";
import { isBinary } from "../source/files";

export const isPython = (p: string): boolean => p.endsWith(".py") || p.endsWith(".pyi");

/** Where a changed file was at the base: null for files the change creates. */
export function basePathOf(f: ChangedFile): string | null {
  return f.status === "added" || f.status === "copied" ? null : (f.oldPath ?? f.path);
}

/** A changed file's bytes at one revision (its facts come from the graphs' single scan). */
export interface Version {
  bytes: Buffer;
}

/** A changed Python file and its bytes at each side (null: not there, or not read). */
export interface ChangedVersions {
  file: ChangedFile;
  base: Version | null;
  head: Version | null;
}

/** Read and scan one changed file version, reporting (not throwing) what makes it unreadable. */
async function loadChanged(reader: RevisionReader, path: string, config: Config, errors: ReviewError[]): Promise<Version | null> {
  let bytes: Buffer | null;
  try {
    bytes = await reader.read(path);
  } catch (e) {
    errors.push({ kind: "read", where: `${path}@${reader.rev}`, message: `could not read the file: ${(e as Error).message}` });
    return null;
  }
  if (bytes === null) return null;
  if ((await reader.symlinks?.())?.has(path)) {
    errors.push({ kind: "symlink", where: `${path}@${reader.rev}`, message: `is a symbolic link: git stores only the text of its target, which is not Python, so it is not analysed (links are never followed)` });
    return null;
  }
  if (bytes.length > config.maxFileBytes) {
    errors.push({ kind: "file-too-large", where: path, message: `${bytes.length} bytes is over max_file_bytes (${config.maxFileBytes}); the file was not analysed` });
    return null;
  }
  if (isBinary(bytes)) {
    errors.push({ kind: "binary", where: path, message: "contains NUL bytes; not analysed as Python" });
    return null;
  }
  return { bytes };
}

/** A file the change lists (as added, modified, renamed...) that its revision does not hold. */
function missingChanged(f: ChangedFile, path: string, reader: RevisionReader): ReviewError {
  return {
    kind: "missing",
    where: `${path}@${reader.rev}`,
    message: `the change lists ${f.path} as ${f.status}, but ${path} is not in ${reader.rev}; it was not reviewed`,
  };
}

/** The changed Python files (a binary patch to one is an error: its Python was not read), both versions of each. */
export async function readChanges(cs: ChangeSet, config: Config, errors: ReviewError[]): Promise<ChangedVersions[]> {
  const touchesPython = (f: ChangedFile): boolean => isPython(f.path) || (f.oldPath !== null && isPython(f.oldPath));
  for (const f of cs.files) {
    if (f.binary && touchesPython(f)) {
      errors.push({
        kind: "binary-patch",
        where: f.path,
        message:
          `the change to ${f.path} is a binary patch, so its Python was not read. A .py file must diff as text: ` +
          "check `.gitattributes` (`binary`, `-diff`, `-text`) or produce the diff with `git diff --text`",
      });
    }
  }
  const changed: ChangedFile[] = cs.files.filter((f) => !f.binary && touchesPython(f));
  const reported = new Set(cs.errors.map((e) => e.where));
  // Read together (a git reader pipelines its requests); errors are reported in the files' order.
  const loaded = await Promise.all(
    changed.map(async (f) => {
      const basePath = basePathOf(f);
      const problems: [ReviewError[], ReviewError[]] = [[], []];
      const wantHead = f.status !== "deleted" && isPython(f.path);
      const wantBase = basePath !== null && isPython(basePath);
      const [head, base] = await Promise.all([
        wantHead ? loadChanged(cs.head, f.path, config, problems[0]) : null,
        wantBase ? loadChanged(cs.base, basePath, config, problems[1]) : null,
      ]);
      // The change says the file is there: not finding it means the change was not read (unless the source said so already).
      if (wantHead && head === null && problems[0].length === 0 && !reported.has(f.path)) problems[0].push(missingChanged(f, f.path, cs.head));
      if (wantBase && base === null && problems[1].length === 0 && !reported.has(basePath)) problems[1].push(missingChanged(f, basePath, cs.base));
      return { head, base, problems: problems.flat() };
    }),
  );
  return changed.map((file, i) => {
    const { head, base, problems } = loaded[i];
    pushAll(errors, problems);
    return { file, base, head };
  });
}

/** The base, as the graphs build it from the head: the changed files' base bytes swapped in, and where its other files are read. */
export function baseOf(cs: ChangeSet, changed: readonly ChangedVersions[]): {
  baseOverrides: Map<string, Buffer | null>;
  searchAhead: string[];
  readBase: (p: string) => Promise<Buffer | null>;
} {
  const baseOverrides = new Map<string, Buffer | null>();
  for (const { file: f, base } of changed) {
    const basePath = basePathOf(f);
    if (basePath !== null) baseOverrides.set(basePath, base?.bytes ?? null);
    if (basePath !== f.path) baseOverrides.set(f.path, null);
  }
  const touched = new Set(cs.files.flatMap((f) => (f.oldPath === null ? [f.path] : [f.path, f.oldPath])));
  return {
    baseOverrides,
    // References to modules the change takes away from their path are looked for while the graphs are built.
    searchAhead: changed.flatMap(({ file: f }) => {
      const basePath = basePathOf(f);
      return basePath !== null && (f.status === "deleted" || basePath !== f.path) ? [basePath] : [];
    }),
    // The layout's configuration files at the base: the head's unless the change touches them.
    readBase: (p) => (touched.has(p) ? cs.base.read(p) : cs.head.read(p)),
  };
}
