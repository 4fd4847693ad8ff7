/**
 * CPython agreement: the scanner must report exactly what CPython's own `ast` reports
 * (test/oracle/py_facts.py) for every file of the standard library, plus our fixtures.
 *
 * Compared per file: imports (every field, frames included), import_module/__import__
 * calls, classes, functions, `__all__`, dotted string literals, `from __future__ import
 * annotations`, calls of names the file binds (callee, line, frames; not the argument text) and
 * import calls with a computed module name (func, line, frames). Files CPython cannot parse must give the scanner no exception and at
 * least one diagnostic.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { scanPython } from "../src/python/scanner";
import type { PyFileFacts } from "../src/python/types";

const ROOT = path.resolve(__dirname, "..");
const ORACLE = path.join(__dirname, "oracle", "py_facts.py");
const PYTHON = process.env.PYTHON ?? "python3";
/** Always compared besides the stdlib; $CPYTHON_AGREEMENT_DIRS (path-delimited) adds more, e.g. the bench corpus. */
const EXTRA_DIRS = [
  path.join(ROOT, "fixtures"),
  path.join(ROOT, "test", "cases"),
  ...(process.env.CPYTHON_AGREEMENT_DIRS ?? "").split(path.delimiter).filter((d) => d !== ""),
];
const MIN_FILES = 1700;
const MAX_REPORTED = 30;

// ------------------------------------------------------------------ oracle output

interface OracleName {
  name: string;
  asname: string | null;
}
interface OracleImport {
  kind: "import" | "from";
  line: number;
  endLine: number;
  module: string;
  level: number;
  names: OracleName[];
  star: boolean;
  lazy: boolean;
  frames: string[];
}
interface OracleImportCall {
  func: string;
  line: number;
  module: string;
  package: string | null;
  frames: string[];
}
interface OracleCall {
  line: number;
  callee: string;
  frames: string[];
}
interface OracleDynamicImport {
  func: string;
  line: number;
  frames: string[];
}
interface OracleClass {
  name: string;
  qualname: string;
  line: number;
  endLine: number;
  frames: string[];
}
interface OracleFunction extends OracleClass {
  async: boolean;
}
interface OracleOk {
  path: string;
  ok: true;
  imports: OracleImport[];
  importCalls: OracleImportCall[];
  classes: OracleClass[];
  functions: OracleFunction[];
  all: { names: string[]; dynamic: boolean } | null;
  dottedStrings: { line: number; value: string }[];
  futureAnnotations: boolean;
  calls: OracleCall[];
  dynamicImports: OracleDynamicImport[];
}
interface OracleFailed {
  path: string;
  ok: false;
  error: string;
  errorLine: number | null;
}
type OracleResult = OracleOk | OracleFailed;

// ------------------------------------------------------------------ setup helpers

function runPython(args: string[], input?: string) {
  const res = spawnSync(PYTHON, args, { input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (res.error) {
    throw new Error(
      `cpython-agreement needs Python 3.11+ as \`${PYTHON}\` on PATH (or set $PYTHON): ${res.error.message}`,
    );
  }
  if (res.status !== 0) {
    throw new Error(`\`${PYTHON} ${args.join(" ")}\` exited with ${res.status}:\n${res.stderr}`);
  }
  return res.stdout;
}

function stdlibDir(): string {
  return runPython(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]).trim();
}

/**
 * A scenario that needs a newer Python than the oracle's (PEP 810 `lazy import` is 3.15)
 * declares it in its scenario.json (`minPython`); its files cannot be judged by this CPython.
 */
function needsNewerPython(dir: string): boolean {
  const spec = path.join(dir, "scenario.json");
  if (!fs.existsSync(spec)) return false;
  const min = (JSON.parse(fs.readFileSync(spec, "utf8")) as { minPython?: string }).minPython;
  if (min === undefined) return false;
  const [maj, mnr] = min.split(".").map(Number);
  const [cmaj, cmnr] = runPython(["-c", "import sys; print(sys.version_info[0], sys.version_info[1])"]).trim().split(" ").map(Number);
  return maj > cmaj || (maj === cmaj && mnr > cmnr);
}

function collectPy(dir: string, out: string[]): string[] {
  if (!fs.existsSync(dir) || needsNewerPython(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "site-packages" && entry.name !== "node_modules") collectPy(full, out);
    } else if (entry.isFile() && entry.name.endsWith(".py")) {
      out.push(full);
    }
  }
  return out;
}

function runOracle(files: string[]): Map<string, OracleResult> {
  const stdout = runPython([ORACLE], files.join("\n") + "\n");
  const results = new Map<string, OracleResult>();
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const rec = JSON.parse(line) as OracleResult;
    results.set(rec.path, rec);
  }
  return results;
}

// ------------------------------------------------------------------ normalisers
// Each turns an oracle record and a scanner record into the same plain shape, with a
// fixed key order, so that JSON text equality is record equality.

type Norm = { line: number; key: string };

function norm(line: number, value: unknown): Norm {
  return { line, key: JSON.stringify(value) };
}

const normName = (n: OracleName) => ({ name: n.name, asname: n.asname ?? null });

/**
 * The AST's frames as the scanner lists them (see `Frame` in src/python/types.ts): in a run of
 * consecutive `if:<test>:else` frames each distinct one appears once, and nested lambdas give
 * one `lambda` frame. Everything else is compared exactly.
 */
function scannerFrames(frames: string[]): string[] {
  const out: string[] = [];
  let runStart = 0;
  for (const f of frames) {
    if (f.startsWith("if:") && f.endsWith(":else")) {
      if (out.indexOf(f, runStart) < 0) out.push(f);
    } else if (!(f === "lambda" && out[out.length - 1] === "lambda")) {
      out.push(f);
      runStart = out.length;
    }
  }
  return out;
}

function normImportExpected(r: OracleImport): Norm {
  return norm(r.line, {
    kind: r.kind, line: r.line, endLine: r.endLine, module: r.module, level: r.level,
    names: r.names.map(normName), star: r.star, lazy: r.lazy, frames: scannerFrames(r.frames),
  });
}
function normImportActual(r: PyFileFacts["imports"][number]): Norm {
  return norm(r.line, {
    kind: r.kind, line: r.line, endLine: r.endLine, module: r.module, level: r.level,
    names: r.names.map(normName), star: r.star, lazy: r.lazy, frames: r.context?.frames,
  });
}

function normCallExpected(r: OracleImportCall): Norm {
  return norm(r.line, { func: r.func, line: r.line, module: r.module, package: r.package, frames: scannerFrames(r.frames) });
}
function normCallActual(r: PyFileFacts["importCalls"][number]): Norm {
  return norm(r.line, {
    func: r.func, line: r.line, module: r.module, package: r.package ?? null, frames: r.context?.frames,
  });
}

/** Frames of an oracle record (as the scanner lists them) or of a scanner record. */
function framesOf(r: { frames?: string[]; context?: { frames: string[] } }): string[] | undefined {
  const f = r.frames ?? r.context?.frames;
  return f === undefined ? undefined : scannerFrames(f);
}

function normPlainCall(r: { line: number; callee: string; frames?: string[]; context?: { frames: string[] } }): Norm {
  return norm(r.line, { line: r.line, callee: r.callee, frames: framesOf(r) });
}
function normDynamicImport(r: { line: number; func: string; frames?: string[]; context?: { frames: string[] } }): Norm {
  return norm(r.line, { line: r.line, func: r.func, frames: framesOf(r) });
}

function normClassExpected(r: OracleClass): Norm {
  return norm(r.line, { name: r.name, qualname: r.qualname, line: r.line, endLine: r.endLine, frames: scannerFrames(r.frames) });
}
function normClassActual(r: PyFileFacts["classes"][number]): Norm {
  return norm(r.line, {
    name: r.name, qualname: r.qualname, line: r.line, endLine: r.endLine, frames: r.context?.frames,
  });
}

function normFunctionExpected(r: OracleFunction): Norm {
  return norm(r.line, {
    name: r.name, qualname: r.qualname, line: r.line, endLine: r.endLine, async: r.async, frames: scannerFrames(r.frames),
  });
}
function normFunctionActual(r: PyFileFacts["functions"][number]): Norm {
  return norm(r.line, {
    name: r.name, qualname: r.qualname, line: r.line, endLine: r.endLine, async: r.async,
    frames: r.context?.frames,
  });
}

function normDotted(r: { line: number; value: string }): Norm {
  return norm(r.line, { line: r.line, value: r.value });
}

// ------------------------------------------------------------------ comparison

interface Mismatch {
  path: string;
  what: string;
  line: number | null;
  expected: string[];
  actual: string[];
}

/** Multiset difference, grouped by line: one mismatch per (category, line) that differs. */
function compareLists(file: string, what: string, expected: Norm[], actual: Norm[]): Mismatch[] {
  const counts = new Map<string, number>();
  for (const e of expected) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  const extra: Norm[] = [];
  for (const a of actual) {
    const c = counts.get(a.key) ?? 0;
    if (c > 0) counts.set(a.key, c - 1);
    else extra.push(a);
  }
  const missing: Norm[] = [];
  for (const e of expected) {
    const c = counts.get(e.key) ?? 0;
    if (c > 0) {
      missing.push(e);
      counts.set(e.key, c - 1);
    }
  }
  const byLine = new Map<number, Mismatch>();
  const entry = (line: number) => {
    let m = byLine.get(line);
    if (!m) byLine.set(line, (m = { path: file, what, line, expected: [], actual: [] }));
    return m;
  };
  for (const m of missing) entry(m.line).expected.push(m.key);
  for (const x of extra) entry(x.line).actual.push(x.key);
  return [...byLine.values()].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function compareValue(file: string, what: string, expected: unknown, actual: unknown): Mismatch[] {
  const e = JSON.stringify(expected);
  const a = JSON.stringify(actual);
  return e === a ? [] : [{ path: file, what, line: null, expected: [e], actual: [a] }];
}

function normAll(all: { names: string[]; dynamic: boolean } | null | undefined) {
  return all ? { names: all.names, dynamic: all.dynamic } : null;
}

function compareFile(file: string, oracle: OracleResult, source: Uint8Array): Mismatch[] {
  let facts: PyFileFacts;
  try {
    facts = scanPython(source);
  } catch (err) {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return [{ path: file, what: "scanner threw", line: null, expected: [], actual: [msg.split("\n").slice(0, 4).join(" | ")] }];
  }
  if (!oracle.ok) {
    const diags = facts.diagnostics ?? [];
    return diags.length > 0
      ? []
      : [{ path: file, what: "diagnostics", line: oracle.errorLine, expected: [`>= 1 diagnostic (CPython: ${oracle.error})`], actual: ["none"] }];
  }
  return [
    ...compareLists(file, "imports", oracle.imports.map(normImportExpected), facts.imports.map(normImportActual)),
    ...compareLists(file, "importCalls", oracle.importCalls.map(normCallExpected), facts.importCalls.map(normCallActual)),
    ...compareLists(file, "classes", oracle.classes.map(normClassExpected), facts.classes.map(normClassActual)),
    ...compareLists(file, "functions", oracle.functions.map(normFunctionExpected), facts.functions.map(normFunctionActual)),
    ...compareValue(file, "all", normAll(oracle.all), normAll(facts.all)),
    ...compareLists(file, "dottedStrings", oracle.dottedStrings.map(normDotted), facts.dottedStrings.map(normDotted)),
    ...compareValue(file, "futureAnnotations", oracle.futureAnnotations, facts.futureAnnotations),
    ...compareLists(file, "calls", oracle.calls.map(normPlainCall), facts.calls.map(normPlainCall)),
    ...compareLists(file, "dynamicImports", oracle.dynamicImports.map(normDynamicImport), facts.dynamicImports.map(normDynamicImport)),
  ];
}

// ------------------------------------------------------------------ reporting

function displayPath(file: string, stdlib: string): string {
  if (file.startsWith(stdlib + path.sep)) return path.join("<stdlib>", path.relative(stdlib, file));
  const rel = path.relative(ROOT, file);
  return rel.startsWith("..") ? file : rel;
}

function formatMismatch(m: Mismatch, stdlib: string): string {
  const shown = displayPath(m.path, stdlib);
  const where = m.line === null ? shown : `${shown}:${m.line}`;
  const lines = [`  ${where} [${m.what}]`];
  for (const e of m.expected) lines.push(`    - cpython: ${e}`);
  for (const a of m.actual) lines.push(`    + scanner: ${a}`);
  return lines.join("\n");
}

function report(text: string) {
  process.stdout.write(text + "\n");
  process.stderr.write(text + "\n");
}

// ------------------------------------------------------------------ the test

test("scanner agrees with CPython's ast on the standard library and fixtures", () => {
  const stdlib = stdlibDir();
  const files = collectPy(stdlib, []);
  for (const dir of EXTRA_DIRS) collectPy(dir, files);
  files.sort();

  const oracle = runOracle(files);
  const mismatches: Mismatch[] = [];
  let imports = 0;
  for (const file of files) {
    const expected = oracle.get(file);
    if (!expected) {
      mismatches.push({ path: file, what: "oracle", line: null, expected: ["a record"], actual: ["none"] });
      continue;
    }
    if (expected.ok) imports += expected.imports.length;
    mismatches.push(...compareFile(file, expected, fs.readFileSync(file)));
  }

  report(`cpython-agreement: files=${files.length} imports=${imports} mismatches=${mismatches.length}`);
  if (mismatches.length > 0) {
    const shown = mismatches.slice(0, MAX_REPORTED).map((m) => formatMismatch(m, stdlib)).join("\n");
    const more = mismatches.length > MAX_REPORTED ? `\n  ... and ${mismatches.length - MAX_REPORTED} more` : "";
    report(`first mismatches (<stdlib> = ${stdlib}):\n${shown}${more}`);
  }

  expect(files.length).toBeGreaterThanOrEqual(MIN_FILES);
  expect(mismatches.length).toBe(0);
}, 120_000);
