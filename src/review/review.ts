/**
 * One review, from a change set to findings: configuration as of the base revision, the
 * facts of every Python module at head (and base, by swapping in the changed files' base
 * versions), the startup graphs, the rules. Knows nothing of Danger, the CLI or GitHub.
 */
import * as fs from "node:fs";
import { isAbsolute } from "node:path";
import { configFor, type Config } from "../config";
import { RULES, type Rule } from "../rules";
import { type ImportCost, parseImporttime } from "../source/importtime";
import { moduleForPath } from "../python/modules";
import { buildGraphs, type Graphs, listOtherFiles, listWorktree, namingDirs, openScanCache } from "../graph";
import { closest } from "../config/suggest";
import { scanPython } from "../python/scanner";
import { type FileChangeModel, type FileVersion, RepoSide, type ReviewModel } from "../rules/model";
import { runRules } from "./engine";
import { isBinary } from "../source/files";
import type { ChangeSet, ChangedFile, Finding, ReviewError, RevisionReader } from "../core/types";
import { pushAll } from "../core/arrays";

export interface ReviewInput {
  changeSet: ChangeSet;
  /** Plugin or CLI options (validated strictly, merged over the base's pyproject table). */
  options?: unknown;
  optionsWhere?: string;
  /** Option keys the adapter handles itself. */
  extraOptionKeys?: readonly string[];
  /** The rules to run (default: the registry's, `RULES`); configuration and pragmas know exactly these. */
  rules?: readonly Rule[];
  /** Use the scan cache (`cache_dir`, default outside the repository; default true when the source is a local repository). */
  cache?: boolean;
}

export interface ReviewResult {
  findings: Finding[];
  errors: ReviewError[];
  notes: string[];
  config: Config;
  stats: { pythonFiles: number; changedPythonFiles: number; seconds: number };
}

const isPython = (p: string) => p.endsWith(".py") || p.endsWith(".pyi");

/** Where a changed file was at the base: null for files the change creates. */
function basePathOf(f: ChangedFile): string | null {
  return f.status === "added" || f.status === "copied" ? null : (f.oldPath ?? f.path);
}

function toLines(bytes: Buffer): string[] {
  return bytes.toString("utf8").split(/\r\n|\r|\n/);
}

async function readText(reader: RevisionReader, path: string, errors: ReviewError[]): Promise<string | null> {
  try {
    const b = await reader.read(path);
    return b === null ? null : b.toString("utf8");
  } catch (e) {
    errors.push({ kind: "read", where: `${path}@${reader.rev}`, message: (e as Error).message });
    return null;
  }
}

/** A changed file's bytes at one revision (its facts come from the graphs' single scan). */
interface Version {
  bytes: Buffer;
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

/**
 * A configured `settings_module` that is not a module of the repository: a configuration
 * error (the whole startup graph hangs from it), with the settings modules that do exist.
 */
function unresolvedSettings(config: Config, head: Graphs["head"], files: readonly string[]): ReviewError | null {
  const configured = config.settingsModule;
  if (configured === null) return null;
  const miss = head.unresolved.find((u) => u.what === configured);
  if (miss === undefined) return null;
  const candidates = new Set<string>();
  for (const p of files) {
    const m = moduleForPath(p, head.sourceRoots.map((r) => r.dir));
    if (m !== null && /(^|\.)settings($|\.)/.test(m.module)) candidates.add(m.module);
  }
  const near = closest(configured, [...candidates]);
  const listed = [...candidates].sort().slice(0, 5);
  const others = near !== null ? ` (did you mean "${near}"?)` : listed.length > 0 ? ` (settings modules in the repository: ${listed.join(", ")})` : "";
  return {
    kind: "config",
    where: "settings_module",
    message: `settings_module = "${configured}" does not resolve to a module of the repository${others}: ${miss.why}. Nothing is known to be on the startup path, so findings are missing or downgraded.`,
  };
}

/** The importtime log named in the config: the base revision's file, else a file on disk. */
async function readImporttime(cs: ChangeSet, where: string, errors: ReviewError[]): Promise<Map<string, ImportCost>> {
  let text = isAbsolute(where) ? null : await readText(cs.base, where, errors);
  if (text === null) {
    try {
      text = fs.readFileSync(where, "utf8");
    } catch {
      errors.push({ kind: "config", where: "importtime_log", message: `${where} was found neither in the base revision nor on disk; costs are not estimated` });
      return new Map();
    }
  }
  const costs = parseImporttime(text);
  if (costs.size === 0) errors.push({ kind: "config", where: "importtime_log", message: `${where} has no \`import time:\` lines (produce it with \`python -X importtime manage.py check 2> importtime.log\`)` });
  return costs;
}

export async function review(input: ReviewInput): Promise<ReviewResult> {
  const started = process.hrtime.bigint();
  const cs = input.changeSet;
  const errors: ReviewError[] = [];
  // A checkout is listed by git once, with the blob ids of its unmodified files (started now, read below).
  const root = cs.head.root;
  // Another revision of a local repository: its files are read from the checkout where they are the same blob.
  const listing = cs.head.pythonFiles !== undefined ? cs.head.pythonFiles() : root !== undefined ? listWorktree(root) : null;
  // ...and its other files (their directories are namespace packages to CPython).
  const otherFiles = listing !== null && root !== undefined ? listOtherFiles(root) : null;

  // Configuration: the base's pyproject is in force; the head's is only compared.
  const [pyprojectAtBase, pyprojectAtHead] = await Promise.all([readText(cs.base, "pyproject.toml", errors), readText(cs.head, "pyproject.toml", errors)]);
  const rules = input.rules ?? RULES;
  const resolved = configFor(rules.map((r) => r.meta)).resolveConfig({
    pyprojectAtBase,
    pyprojectAtHead,
    options: input.options,
    optionsWhere: input.optionsWhere,
    extraOptionKeys: input.extraOptionKeys,
  });
  const config = resolved.config;
  pushAll(errors, resolved.errors);

  // Changed Python files, both versions.
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
  const versions = new Map<ChangedFile, { base: Version | null; head: Version | null }>();
  changed.forEach((f, i) => {
    const { head, base, problems } = loaded[i];
    pushAll(errors, problems);
    versions.set(f, { base, head });
  });

  // Every module at head and base, and the startup graphs.
  const baseOverrides = new Map<string, Buffer | null>();
  for (const [f, v] of versions) {
    const basePath = basePathOf(f);
    if (basePath !== null) baseOverrides.set(basePath, v.base?.bytes ?? null);
    if (basePath !== f.path) baseOverrides.set(f.path, null);
  }
  // With a local repository: blob ids as cache keys and a scan cache inside it, so a second
  // review of the same tree reads almost nothing.
  const touched = new Set(cs.files.flatMap((f) => (f.oldPath === null ? [f.path] : [f.path, f.oldPath])));
  const tree = listing === null ? null : await listing;
  // Every file, not only Python ones: a directory holding any file is a namespace package to CPython.
  const headFiles = tree !== null && cs.head.isCheckout ? [...tree.files, ...((await otherFiles) ?? [])] : await cs.head.listFiles();
  const headShas = cs.head.blobShas ? await cs.head.blobShas() : tree?.shas;
  const headSymlinks = cs.head.symlinks ? await cs.head.symlinks() : tree?.links;
  const sameBlob = (p: string): boolean => headShas?.get(p) !== undefined && tree?.shas.get(p) === headShas.get(p);
  // The scan cache: outside the checkout by default; never a tracked path or a link (cache-dir.ts).
  const opened = root !== undefined && input.cache !== false ? await openScanCache(root, config.cacheDir) : null;
  if (opened?.problem !== undefined) errors.push({ kind: "cache", ...opened.problem });
  const graphs = await buildGraphs({
    headFiles,
    // A file that cannot be fetched (a failed API request) is an error of the review, not its end.
    readHead: (p) =>
      cs.head.read(p).catch((e: unknown) => {
        const where = `${p}@${cs.head.rev}`;
        if (!errors.some((x) => x.where === where)) errors.push({ kind: "read", where, message: `could not read the file: ${(e as Error).message}` });
        return null;
      }),
    baseOverrides,
    config,
    headBlobShas: headShas,
    headSymlinks,
    // References to modules the change takes away from their path are looked for while the graphs are built.
    searchAhead: changed.flatMap((f) => {
      const basePath = basePathOf(f);
      return basePath !== null && (f.status === "deleted" || basePath !== f.path) ? [basePath] : [];
    }),
    // The layout's configuration files at the base: the head's unless the change touches them.
    readBase: (p) => (touched.has(p) ? cs.base.read(p) : cs.head.read(p)),
    cache: opened?.cache,
    headRoot: tree !== null ? root : undefined,
    headOnDisk: cs.head.isCheckout ? undefined : sameBlob,
  });
  pushAll(errors, graphs.errors);
  const settingsError = unresolvedSettings(config, graphs.head, headFiles);
  if (settingsError !== null) errors.push(settingsError);

  const rootsOf = (g: typeof graphs.head): string[] => namingDirs(g.sourceRoots);
  const head = new RepoSide("head", graphs.headFacts, rootsOf(graphs.head), graphs.head, (m) => graphs.filesNaming(m));
  const base = new RepoSide("base", graphs.baseFacts, rootsOf(graphs.base), graphs.base);
  const version = (side: RepoSide, path: string, v: Version | null): FileVersion | null =>
    v === null ? null : { path, facts: side.files.get(path) ?? scanPython(v.bytes), module: side.moduleOf(path), lines: toLines(v.bytes) };
  const changes: FileChangeModel[] = changed.map((f) => {
    const v = versions.get(f) ?? { base: null, head: null };
    const basePath = basePathOf(f);
    return {
      path: f.path,
      oldPath: f.oldPath,
      status: f.status,
      base: basePath === null ? null : version(base, basePath, v.base),
      head: version(head, f.path, v.head),
      added: new Set(f.addedLines),
      patchMissing: f.patchMissing,
    };
  });
  const importCosts = config.importtimeLog === null ? new Map() : await readImporttime(cs, config.importtimeLog, errors);
  // Syntax the scanner could not read in changed files: the first problem of each line, three lines at most.
  for (const c of changes) {
    const lines = new Set<number>();
    for (const d of c.head?.facts.diagnostics ?? []) {
      if (lines.has(d.line) || lines.size === 3) continue;
      lines.add(d.line);
      errors.push({ kind: "syntax", where: `${c.path}:${d.line}`, message: `${d.message} (findings for the rest of the file are still reported)` });
    }
  }
  const model: ReviewModel = { config, changes, head, base, importCosts };

  const lineCache = new Map<string, string[] | null>();
  const readLines = async (path: string, side: "head" | "base") => {
    const key = `${side}:${path}`;
    if (!lineCache.has(key)) {
      const known = changes.find((c) => (side === "head" ? c.head?.path : c.base?.path) === path);
      const v = side === "head" ? known?.head : known?.base;
      if (v) lineCache.set(key, v.lines);
      else {
        const text = await readText(side === "head" ? cs.head : cs.base, path, errors);
        lineCache.set(key, text === null ? null : text.split(/\r\n|\r|\n/));
      }
    }
    return lineCache.get(key) ?? null;
  };
  const ran = await runRules(model, readLines, rules);
  pushAll(errors, ran.errors);
  graphs.persist();

  return {
    findings: ran.findings,
    errors: [...cs.errors, ...errors],
    notes: [...resolved.notes, ...graphs.notes],
    config,
    stats: { pythonFiles: headFiles.filter(isPython).length, changedPythonFiles: changes.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 },
  };
}
