/**
 * One review, from a change set to findings, in the pipeline's steps (steps.ts): configuration
 * as of the base revision, the changed files at both revisions (changes.ts), the facts of
 * every Python module at head (and base, by swapping in the changed files' base versions)
 * and the startup graphs, then the model and the rules (engine.ts). Knows nothing of Danger,
 * the CLI or GitHub.
 */
import * as fs from "node:fs";
import { isAbsolute } from "node:path";
import type { Config } from "../config";
import { RULES, type Rule } from "../rules";
import { type ImportCost, parseImporttime } from "../source/importtime";
import { moduleForPath } from "../python/modules";
import { type Graphs, namingDirs } from "../graph";
import { closest } from "../config/suggest";
import { scanPython } from "../python/scanner";
import { readStatements } from "../python/statements";
import { type FileChangeModel, type FileVersion, RepoSide, type ReviewModel } from "../rules/model";
import { runRules, type LineReader } from "./engine";
import { baseOf, basePathOf, type ChangedVersions, isPython, readChanges, type Version } from "./changes";
import { configInForce, graphsFor, listHead, readText } from "./steps";
import type { ChangeSet, Finding, ReviewError } from "../core/types";
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

const toLines = (text: string): string[] => text.split(/\r\n|\r|\n/);

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

/** The model the rules read: both sides' facts and graphs, and each changed file at both revisions. */
async function modelOf(cs: ChangeSet, changed: readonly ChangedVersions[], graphs: Graphs, config: Config, errors: ReviewError[]): Promise<ReviewModel> {
  // Statements (module-level assignments) are read only for the few files a rule asks about.
  const statementsAt = (read: (p: string) => Promise<Buffer | null>) => (p: string) => read(p).then((b) => (b === null ? null : readStatements(b)), () => null);
  const { baseOverrides } = baseOf(cs, changed);
  const readBase = (p: string): Promise<Buffer | null> => (baseOverrides.has(p) ? Promise.resolve(baseOverrides.get(p) ?? null) : cs.head.read(p));
  const head = new RepoSide("head", graphs.headFacts, namingDirs(graphs.head.sourceRoots), graphs.head, (m) => graphs.filesNaming(m), statementsAt((p) => cs.head.read(p)), (n, c) => graphs.stored("head", n, c));
  const base = new RepoSide("base", graphs.baseFacts, namingDirs(graphs.base.sourceRoots), graphs.base, undefined, statementsAt(readBase), (n, c) => graphs.stored("base", n, c));
  const version = (side: RepoSide, path: string, v: Version | null): FileVersion | null =>
    v === null ? null : { path, facts: side.files.get(path) ?? scanPython(v.bytes), module: side.moduleOf(path), lines: toLines(v.bytes.toString("utf8")), source: v.bytes };
  const changes: FileChangeModel[] = changed.map(({ file: f, base: b, head: h }) => {
    const basePath = basePathOf(f);
    return {
      path: f.path,
      oldPath: f.oldPath,
      status: f.status,
      base: basePath === null ? null : version(base, basePath, b),
      head: version(head, f.path, h),
      added: new Set(f.addedLines),
      patchMissing: f.patchMissing,
    };
  });
  const importCosts = config.importtimeLog === null ? new Map() : await readImporttime(cs, config.importtimeLog, errors);
  return { config, changes, head, base, importCosts };
}

/** Syntax the scanner could not read in changed files: the first problem of each line, three lines at most. */
function syntaxErrors(changes: readonly FileChangeModel[]): ReviewError[] {
  const errors: ReviewError[] = [];
  for (const c of changes) {
    const lines = new Set<number>();
    for (const d of c.head?.facts.diagnostics ?? []) {
      if (lines.has(d.line) || lines.size === 3) continue;
      lines.add(d.line);
      errors.push({ kind: "syntax", where: `${c.path}:${d.line}`, message: `${d.message} (findings for the rest of the file are still reported)` });
    }
  }
  return errors;
}

/** The lines of a file at one side, for pragmas: a changed file's from the model, others read once. */
function lineReader(cs: ChangeSet, changes: readonly FileChangeModel[], errors: ReviewError[]): LineReader {
  const lineCache = new Map<string, string[] | null>();
  return async (path, side) => {
    const key = `${side}:${path}`;
    if (!lineCache.has(key)) {
      const known = changes.find((c) => (side === "head" ? c.head?.path : c.base?.path) === path);
      const v = side === "head" ? known?.head : known?.base;
      if (v) lineCache.set(key, v.lines);
      else {
        const text = await readText(side === "head" ? cs.head : cs.base, path, errors);
        lineCache.set(key, text === null ? null : toLines(text));
      }
    }
    return lineCache.get(key) ?? null;
  };
}

/** One review: source (the change, its files) -> facts and graphs at both sides -> rules -> findings and errors. */
export async function review(input: ReviewInput): Promise<ReviewResult> {
  const started = process.hrtime.bigint();
  const cs = input.changeSet;
  const errors: ReviewError[] = [];
  // The head's files, listed while the rest is read.
  const listing = listHead(cs.head);
  // Configuration: the base's pyproject is in force; the head's is only compared.
  const rules = input.rules ?? RULES;
  const resolved = await configInForce({ base: cs.base, head: cs.head, rules, options: input.options, optionsWhere: input.optionsWhere, extraOptionKeys: input.extraOptionKeys }, errors);
  const { config } = resolved;
  // The changed Python files, both versions.
  const changed = await readChanges(cs, config, errors);
  // Every module's facts at head and base (one scan: the base swaps in the changed files), and the startup graphs.
  const { graphs, headFiles } = await graphsFor({ listing, config, cache: input.cache, ...baseOf(cs, changed) }, errors);
  pushAll(errors, graphs.errors);
  const settingsError = unresolvedSettings(config, graphs.head, headFiles);
  if (settingsError !== null) errors.push(settingsError);
  // The rules over the model.
  const model = await modelOf(cs, changed, graphs, config, errors);
  pushAll(errors, syntaxErrors(model.changes));
  const ran = await runRules(model, lineReader(cs, model.changes, errors), rules);
  pushAll(errors, ran.errors);
  graphs.persist();

  return {
    findings: ran.findings,
    errors: [...cs.errors, ...errors],
    notes: [...resolved.notes, ...graphs.notes],
    config,
    stats: { pythonFiles: headFiles.filter(isPython).length, changedPythonFiles: model.changes.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 },
  };
}
