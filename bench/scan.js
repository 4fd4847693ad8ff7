#!/usr/bin/env node
/**
 * Scanner throughput benchmark (not a test). Run with `npm run bench:scan`.
 *
 * Over the same bytes, in one run:
 *  (a) our scanner (dist/python/scanner.js) over the standard library plus a generated
 *      ~100 MB corpus: files read into Buffers first, only scanning timed, best of 3;
 *  (b) CPython `ast.parse` + `ast.walk` collecting imports, one python3 process over the
 *      standard library files only, timed inside Python (perf_counter, reading excluded);
 *  (c) a plain line regex in Node over the same Buffers as (a), decode included, best of 3.
 * Prints ONE JSON line on stdout; progress goes to stderr.
 *
 * Environment: PYTHON (default python3), BENCH_SCANNER (module path, default
 * dist/python/scanner.js), BENCH_CORPUS_MB (generated corpus size, default 100),
 * BENCH_CORPUS_DIR (default <tmp>/django-startup-bench-corpus-v1-<MB>mb; reused when present).
 */
"use strict";

const { rng } = require("./rng");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const { performance } = require("perf_hooks");

const PYTHON = process.env.PYTHON || "python3";
const SCANNER = path.resolve(process.env.BENCH_SCANNER || path.join(__dirname, "..", "dist", "python", "scanner.js"));
const CORPUS_MB = Number(process.env.BENCH_CORPUS_MB || 100);
const CORPUS_VERSION = 2;
const CORPUS_DIR =
  process.env.BENCH_CORPUS_DIR || path.join(os.tmpdir(), `django-startup-bench-corpus-v${CORPUS_VERSION}-${CORPUS_MB}mb`);
const RUNS = 3;
const MAX_RUN_SECONDS = 20; // a slow scanner gets one run, not three
const MB = 1e6;
const LINE_IMPORT_RE = /^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+[^\n]*/gm;

function log(msg) {
  process.stderr.write(`[bench:scan] ${msg}\n`);
}

// ------------------------------------------------------------------ inputs

function python(args, input) {
  const res = spawnSync(PYTHON, args, { input, encoding: "utf8", maxBuffer: 1 << 28 });
  if (res.error) throw new Error(`bench:scan needs \`${PYTHON}\` (set $PYTHON): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${PYTHON} exited with ${res.status}:\n${res.stderr}`);
  return res.stdout;
}

function listPy(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "site-packages") listPy(full, out);
    } else if (entry.isFile() && entry.name.endsWith(".py")) {
      out.push(full);
    }
  }
  return out;
}

// ------------------------------------------------------------------ generated corpus

const WORDS = (
  "apps models views signals tasks admin api serializers billing stripe temporal workflows " +
  "exceptions utils core settings celery cache analytics audit activity logging feature flags " +
  "warehouse sources backend clickhouse query engine hogql schema cohorts insights plugins"
).split(" ");
const HEAVY = ["numpy", "pandas", "scipy.stats", "stripe", "temporalio.client", "boto3", "openai", "chdb"];

function dotted(r, min, max) {
  const n = min + r.int(max - min + 1);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(r.pick(WORDS) + (r() < 0.2 ? String(r.int(30)) : ""));
  return parts.join(".");
}

function ident(r) {
  return r.pick(WORDS) + "_" + r.int(1000);
}

function importLine(r, indent) {
  const k = r.int(9);
  const i = indent;
  switch (k) {
    case 0:
      return `${i}import ${dotted(r, 1, 4)}\n`;
    case 1:
      return `${i}import ${dotted(r, 1, 3)} as ${ident(r)}, ${dotted(r, 1, 2)}\n`;
    case 2:
      return `${i}from ${dotted(r, 1, 4)} import ${ident(r)}, ${ident(r)} as ${ident(r)}\n`;
    case 3:
      return `${i}from ${".".repeat(1 + r.int(3))}${r() < 0.3 ? "" : dotted(r, 1, 2)} import (\n${i}    ${ident(r)},\n${i}    ${ident(r)} as ${ident(r)},  # noqa: F401\n${i})\n`;
    case 4:
      return `${i}from ${dotted(r, 1, 3)} \\\n${i}    import ${ident(r)}\n`;
    case 5:
      return `${i}import ${r.pick(HEAVY)}; import ${dotted(r, 1, 2)}\n`;
    case 6:
      return `${i}${ident(r)} = importlib.import_module("${dotted(r, 2, 4)}")\n`;
    case 7:
      return `${i}from ${dotted(r, 1, 3)} import *\n`;
    default:
      return `${i}from . import ${ident(r)}  # side effect: connects receivers\n`;
  }
}

function header(r) {
  let s = `"""Generated module ${ident(r)}.\n\nimport ${dotted(r, 1, 3)} in a docstring is not an import.\n"""\n`;
  if (r() < 0.4) s += "from __future__ import annotations\n";
  s += "import importlib\nfrom typing import TYPE_CHECKING\n";
  const n = 5 + r.int(35);
  for (let j = 0; j < n; j++) s += importLine(r, "");
  s += `try:\n    import ujson as json\nexcept ImportError:  # pragma: no cover\n    import json\n`;
  s += `if TYPE_CHECKING:\n    from ${dotted(r, 2, 3)} import ${ident(r)}\nelif ${ident(r)}:\n    import ${r.pick(HEAVY)}\nelse:\n    from ${dotted(r, 2, 3)} import ${ident(r)}\n`;
  s += `__all__ = [${Array.from({ length: 1 + r.int(8) }, () => `"${ident(r)}"`).join(", ")}]\n\n`;
  return s;
}

/** Deeply nested blocks of every kind, with imports and import calls at each level. */
function deepBlock(r) {
  const opened = 8 + r.int(25);
  let level = 0;
  let s = "";
  for (let k = 0; k < opened; k++) {
    const i = "    ".repeat(level);
    switch (r.int(12)) {
      case 0:
        s += `${i}if ${ident(r)}:\n`;
        break;
      case 1:
        s += `${i}for ${ident(r)} in range(${r.int(9)}):\n`;
        break;
      case 2:
        s += `${i}with open(${JSON.stringify(dotted(r, 2, 3))}) as fh:\n`;
        break;
      case 3:
        s += `${i}try:\n${i}    import ${dotted(r, 1, 3)}\n${i}except (ImportError, AttributeError):\n${i}    pass\n${i}finally:\n`;
        break;
      case 4:
        s += `${i}class ${ident(r)}(${dotted(r, 1, 2)}, metaclass=${ident(r)}):\n${i}    """Doc ${"x".repeat(r.int(80))}."""\n`;
        break;
      case 5:
        s += `${i}@receiver(post_save, sender=${ident(r)})\n${i}@importlib.import_module("${dotted(r, 2, 3)}").decorate\n${i}def ${ident(r)}(self, a=__import__("${dotted(r, 1, 2)}"), *args: "${dotted(r, 2, 3)}", **kw) -> None:\n`;
        break;
      case 6:
        s += `${i}async def ${ident(r)}(x):\n${i}    f = lambda q=1: import_module("${dotted(r, 2, 3)}")\n`;
        break;
      case 7:
        s += `${i}while ${ident(r)} < ${r.int(100)}:\n`;
        break;
      case 8:
        s += `${i}if not TYPE_CHECKING:\n`;
        break;
      case 9:
        s += `${i}if TYPE_CHECKING:\n${i}    from ${dotted(r, 2, 3)} import ${ident(r)}\n${i}elif ${ident(r)}:\n${i}    pass\n${i}else:\n`;
        break;
      case 10:
        s += `${i}if __name__ == "__main__":\n${i}    pass\n${i}else:\n`;
        break;
      default:
        s += `${i}match ${ident(r)}:\n${i}    case [${ident(r)}, "${dotted(r, 2, 2)}"] if ${ident(r)}:\n${i}        import ${dotted(r, 1, 2)}\n${i}    case _:\n`;
        level++;
        break;
    }
    level++;
    const j = "    ".repeat(level);
    s += importLine(r, j);
    s += `${j}${ident(r)} = ${JSON.stringify(dotted(r, 2, 4))}\n`;
  }
  return s + "\n";
}

const LOREM = (
  "import this is not an import from here import there; the quick brown fox jumps over " +
  "the lazy dog ''' \" ' # not a comment \\ backslash {braces} "
).split(" ");

function longStrings(r) {
  let text = "";
  const target = 2000 + r.int(30000);
  while (text.length < target) {
    text += r.pick(LOREM) + (r() < 0.08 ? "\n" : " ");
  }
  text = text.replace(/'''/g, "' ''").replace(/\\/g, "\\\\") + " end";
  const name = ident(r);
  let s = `${name} = '''${text}'''\n`;
  s += `${name}_b = r"""C:\\path\\${dotted(r, 2, 3)} import x"""\n`;
  s += `${name}_c = ("${dotted(r, 2, 3)}"\n    "${dotted(r, 1, 2)}" 'tail.part')\n`;
  s += `${name}_d = b"bytes.are.not ${"\\x00".repeat(r.int(5))} import str"\n`;
  s += `${name}_e = "unicode \\N{BULLET} \\u00e9 caf\u00e9 \u2603 \\t import y"\n\n`;
  return s;
}

function fStrings(r) {
  const w = ident(r);
  let s = "";
  const n = 3 + r.int(12);
  for (let j = 0; j < n; j++) {
    switch (r.int(4)) {
      case 0:
        s += `${w}_${j} = f"{${w}!r:>{width}} {d['${dotted(r, 2, 2)}']} {{literal}} import x"\n`;
        break;
      case 1:
        s += `${w}_${j} = f'''\nimport not_an_import\n{ {"k": "${dotted(r, 2, 3)}"}["k"] }\n{x:{fill}^{n}}'''\n`;
        break;
      case 2:
        s += `${w}_${j} = rf"\\d+{${w}}\\s" F"{1 + 2=}" "${dotted(r, 2, 3)}"\n`;
        break;
      default:
        s += `${w}_${j} = f"{'nested ' + f'{${w}}' + 'q'}" # import commented\n`;
        break;
    }
  }
  return s + "\n";
}

/** Neutralise what makes concatenated modules invalid: late __future__ imports. */
function adapt(source) {
  return source.replace(/^from __future__ import/gm, "from __future_compat__ import");
}

function generateCorpus(dir, stdlibFiles, targetBytes) {
  const manifest = path.join(dir, "manifest.json");
  if (fs.existsSync(manifest)) {
    const m = JSON.parse(fs.readFileSync(manifest, "utf8"));
    if (m.version === CORPUS_VERSION && m.targetBytes === targetBytes) return m.files.map((f) => path.join(dir, f));
  }
  log(`generating ~${(targetBytes / MB).toFixed(0)} MB corpus in ${dir} (once)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const sources = stdlibFiles
    .filter((f) => !/lib2to3[\\/]tests[\\/]data|tokenizedata|badsyntax|bad_coding/.test(f))
    .sort();
  const r = rng(0x5eed);
  const files = [];
  let total = 0;
  for (let n = 0; total < targetBytes; n++) {
    const parts = [header(r)];
    const modules = 1 + r.int(3);
    for (let m = 0; m < modules; m++) {
      parts.push(`# ---- ${ident(r)}\n`, adapt(fs.readFileSync(r.pick(sources), "utf8")), "\n");
      if (r() < 0.7) parts.push(deepBlock(r));
      if (r() < 0.5) parts.push(longStrings(r));
      if (r() < 0.5) parts.push(fStrings(r));
    }
    let text = parts.join("");
    if (r() < 0.1) text = text.replace(/\r?\n/g, "\r\n");
    const rel = path.join(`app_${String(n % 64).padStart(2, "0")}`, `${r.pick(WORDS)}_${n}.py`);
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    const buf = Buffer.from(text, "utf8");
    fs.writeFileSync(path.join(dir, rel), buf);
    files.push(rel);
    total += buf.length;
  }
  fs.writeFileSync(manifest, JSON.stringify({ version: CORPUS_VERSION, targetBytes, bytes: total, files }));
  return files.map((f) => path.join(dir, f));
}

// ------------------------------------------------------------------ measurements

function bestOf(label, totalBytes, fn) {
  let best = Infinity;
  let result;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    result = fn();
    const s = (performance.now() - t0) / 1000;
    best = Math.min(best, s);
    log(`${label} run ${run + 1}: ${s.toFixed(3)} s (${(totalBytes / MB / s).toFixed(1)} MB/s)`);
    if (s > MAX_RUN_SECONDS) break;
  }
  return { seconds: best, result };
}

function scanAll(scanPython, buffers) {
  let imports = 0;
  let errors = 0;
  let diagnostics = 0;
  for (const buf of buffers) {
    try {
      const facts = scanPython(buf);
      imports += facts.imports.length;
      diagnostics += facts.diagnostics.length;
    } catch {
      errors++;
    }
  }
  return { imports, errors, diagnostics };
}

function regexAll(buffers) {
  let matches = 0;
  for (const buf of buffers) {
    const m = buf.toString("utf8").match(LINE_IMPORT_RE);
    if (m) matches += m.length;
  }
  return matches;
}

const CPYTHON_BENCH = `
import ast, json, sys, time
paths = [l.rstrip("\\n") for l in sys.stdin if l.strip()]
sources = []
for p in paths:
    with open(p, "rb") as f:
        sources.append(f.read())
imports = errors = 0
t0 = time.perf_counter()
for src in sources:
    try:
        tree = ast.parse(src)
    except Exception:
        errors += 1
        continue
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports += 1
seconds = time.perf_counter() - t0
print(json.dumps({"files": len(sources), "bytes": sum(map(len, sources)), "seconds": seconds,
                  "imports": imports, "errors": errors}))
`;

function cpythonBench(files) {
  return JSON.parse(python(["-c", CPYTHON_BENCH], files.join("\n") + "\n"));
}

// ------------------------------------------------------------------ main

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function main() {
  const started = performance.now();
  if (!fs.existsSync(SCANNER)) throw new Error(`scanner not built: ${SCANNER} (run \`npm run build\`)`);
  const { scanPython } = require(SCANNER);

  const stdlib = python(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]).trim();
  const stdlibFiles = listPy(stdlib, []).sort();
  const generatedFiles = generateCorpus(CORPUS_DIR, stdlibFiles, Math.round(CORPUS_MB * MB));

  const stdlibBuffers = stdlibFiles.map((f) => fs.readFileSync(f));
  const generatedBuffers = generatedFiles.map((f) => fs.readFileSync(f));
  const buffers = stdlibBuffers.concat(generatedBuffers);
  const sum = (bs) => bs.reduce((n, b) => n + b.length, 0);
  const stdlibBytes = sum(stdlibBuffers);
  const bytes = sum(buffers);
  log(`${stdlibFiles.length} stdlib files (${(stdlibBytes / MB).toFixed(1)} MB) + ${generatedFiles.length} generated (${((bytes - stdlibBytes) / MB).toFixed(1)} MB)`);

  const scan = bestOf("scanner", bytes, () => scanAll(scanPython, buffers));
  const scanStdlib = bestOf("scanner (stdlib only)", stdlibBytes, () => scanAll(scanPython, stdlibBuffers));
  const regex = bestOf("regex", bytes, () => regexAll(buffers));
  log("cpython ast.parse + walk over the stdlib ...");
  const cpy = cpythonBench(stdlibFiles);
  log(`cpython: ${cpy.seconds.toFixed(3)} s (${(cpy.bytes / MB / cpy.seconds).toFixed(1)} MB/s)`);

  const scannerMbS = bytes / MB / scan.seconds;
  const scannerStdlibMbS = stdlibBytes / MB / scanStdlib.seconds;
  const regexMbS = bytes / MB / regex.seconds;
  const cpythonMbS = cpy.bytes / MB / cpy.seconds;
  // Each ratio compares the same bytes: CPython only ran over the standard library.
  const ratioVsCpython = scannerStdlibMbS / cpythonMbS;
  const ratioVsRegex = scannerMbS / regexMbS;

  const out = {
    files: buffers.length,
    bytes,
    stdlib_files: stdlibFiles.length,
    stdlib_bytes: stdlibBytes,
    generated_files: generatedFiles.length,
    generated_bytes: bytes - stdlibBytes,
    scanner_mb_s: round(scannerMbS),
    scanner_stdlib_mb_s: round(scannerStdlibMbS),
    cpython_ast_mb_s: round(cpythonMbS, 2),
    regex_mb_s: round(regexMbS),
    ratio_vs_cpython: round(ratioVsCpython, 2),
    ratio_vs_regex: round(ratioVsRegex, 3),
    scanner_imports: scan.result.imports,
    scanner_errors: scan.result.errors,
    scanner_diagnostics: scan.result.diagnostics,
    cpython_imports: cpy.imports,
    cpython_errors: cpy.errors,
    regex_matches: regex.result,
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    total_seconds: round((performance.now() - started) / 1000),
    targets_met: ratioVsCpython >= 20 && ratioVsRegex >= 1 / 3,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main();
