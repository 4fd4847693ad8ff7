#!/usr/bin/env node
/**
 * Pathological-input benchmark (not a test). Run with `npm run bench:stress`.
 *
 * For each generator of a hostile or careless input (elif chains, deep nesting of blocks and
 * brackets, long settings lists, many imports, long lines, many files in one folder, many
 * globs, a big diff with a change at the end), builds the input at sizes N, 2N and 4N and
 * runs the real workload on it (the `scan` command, `startup`, `review --diff`, `review
 * --base`, the config reader and matcher), each size in a fresh Node process, STRESS_RUNS
 * times (default 3; the fastest run and its peak memory are kept: interference only ever
 * slows a run down). Linear work doubles per doubling of the input; quadratic work
 * quadruples. Prints one JSON line per generator (sizes, seconds, peak MB, growth factors per
 * doubling) and a summary line with `targets_met`: every growth factor <= 2.5.
 * Progress goes to stderr.
 *
 * Environment: STRESS_RUNS, STRESS_SCALE (multiplies every N; default 1), STRESS_ONLY
 * (comma-separated generator names), STRESS_DIR (default: a fresh temporary directory).
 */
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync, spawnSync } = require("child_process");
const { performance } = require("perf_hooks");

const DIST = path.join(__dirname, "..", "dist");
const RUNS = Math.max(1, Number(process.env.STRESS_RUNS || 3));
const SCALE = Number(process.env.STRESS_SCALE || 1);
const TARGET_GROWTH = 2.5;

function log(msg) {
  process.stderr.write(`[bench:stress] ${msg}\n`);
}

// ------------------------------------------------------------------ inputs

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.invalid", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@example.invalid" };

function git(dir, args) {
  return execFileSync("git", ["-C", dir, ...args], { env: GIT_ENV, maxBuffer: 1 << 30 });
}

function write(dir, rel, text) {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** A Django project whose settings install `shop` (plus `extraApps`); `settingsExtra` is appended to the settings. */
function djangoRepo(dir, { extraApps = [], settingsExtra = "", models = "import scipy\n" } = {}) {
  write(dir, "manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n');
  write(dir, "mysite/__init__.py", "");
  write(dir, "mysite/settings.py", `INSTALLED_APPS = [\n${[...extraApps, "shop"].map((a) => `    "${a}",\n`).join("")}]\n${settingsExtra}`);
  write(dir, "shop/__init__.py", "");
  write(dir, "shop/models.py", models);
  git(dir, ["init", "-q", "-b", "main"]);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "-m", "base"]);
  return dir;
}

/**
 * Each generator: `n` (the base size), `unit` (what the size counts), `make(dir, n)` builds the
 * input in `dir` and returns the workload's arguments; `run(args)` (in the child) does the work.
 */
const GENERATORS = {
  elif_chain: {
    n: 20_000,
    unit: "elif branches (each with an import)",
    make: (dir, n) => {
      let src = "if a:\n    import x0\n";
      for (let i = 1; i <= n; i++) src += `elif b${i}:\n    import x${i}\n`;
      return { argv: ["scan", write(dir, "chain.py", src)] };
    },
  },
  deep_blocks: {
    n: 400_000,
    unit: "bytes of blocks nested ever deeper (tab-indented `if`/`class`/`def`, with an import at each level)",
    make: (dir, n) => {
      const parts = [];
      let bytes = 0;
      for (let d = 0; bytes < n; d++) {
        const tabs = "\t".repeat(d);
        const line = `${tabs}${d % 3 === 0 ? `class C${d}` : d % 3 === 1 ? `def f${d}()` : `if x${d}`}:\n${tabs}\timport m${d}\n`;
        parts.push(line);
        bytes += line.length;
      }
      return { argv: ["scan", write(dir, "deep.py", parts.join(""))] };
    },
  },
  deep_brackets: {
    n: 200_000,
    unit: "nested brackets in a settings value",
    make: (dir, n) => {
      djangoRepo(dir, { settingsExtra: `X = ${"[".repeat(n)}${"]".repeat(n)}\nY = ${"(".repeat(n)}1${")".repeat(n)}\n` });
      return { argv: ["startup", "--repo", dir, "--no-cache", "--format", "json"] };
    },
  },
  long_settings_list: {
    n: 40_000,
    unit: "INSTALLED_APPS entries",
    make: (dir, n) => {
      djangoRepo(dir, { extraApps: Array.from({ length: n }, (_, i) => `app${i}`) });
      return { argv: ["startup", "--repo", dir, "--no-cache", "--format", "json"] };
    },
  },
  many_imports: {
    n: 60_000,
    unit: "import statements in one file",
    make: (dir, n) => ({ argv: ["scan", write(dir, "many.py", Array.from({ length: n }, (_, i) => `import pkg${i % 97}.mod${i}\n`).join(""))] }),
  },
  long_lines: {
    n: 200_000,
    unit: "items on one logical line (dotted strings, names, calls)",
    make: (dir, n) => {
      const items = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `"pkg.mod${i}"` : i % 3 === 1 ? `name${i}` : `f${i}(x)`));
      return { argv: ["scan", write(dir, "long.py", `import importlib\nX = [${items.join(", ")}]\nfrom m import (${Array.from({ length: n / 10 }, (_, i) => `a${i}`).join(", ")})\n`)] };
    },
  },
  many_files_one_folder: {
    n: 1_000,
    unit: "files in one folder, all touched by the change",
    make: (dir, n) => {
      djangoRepo(dir);
      for (let i = 0; i < n; i++) write(dir, `shop/gen/m${i}.py`, `import os\nX = ${i}\n`);
      write(dir, "shop/gen/__init__.py", "");
      git(dir, ["add", "-A"]);
      git(dir, ["commit", "-q", "-m", "files"]);
      for (let i = 0; i < n; i++) write(dir, `shop/gen/m${i}.py`, `import os\nX = ${i + 1}\n`);
      git(dir, ["commit", "-q", "-am", "touch all"]);
      return { argv: ["review", "--base", "HEAD~1", "--repo", dir, "--no-cache", "--format", "json"] };
    },
  },
  many_globs: {
    n: 50_000,
    unit: "exclude globs in pyproject.toml (matched against 2,000 paths)",
    make: (dir, n) => {
      const globs = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? `products/p${i}/**` : i % 4 === 1 ? `**/gen${i}/**` : i % 4 === 2 ? `**/*_${i}.py` : `src/a${i}/*.py`));
      write(dir, "pyproject.toml", `[tool.django-startup-guard]\nexclude = [\n${globs.map((g) => `  "${g}",\n`).join("")}]\n`);
      return { config: path.join(dir, "pyproject.toml") };
    },
    run: ({ config }) => {
      const { resolveConfig, isExcluded } = require(path.join(DIST, "review", "config.js"));
      const resolved = resolveConfig({ pyprojectAtHead: fs.readFileSync(config, "utf8") });
      if (resolved.errors.length > 0) throw new Error(resolved.errors[0].message);
      let hits = 0;
      for (let i = 0; i < 2000; i++) if (isExcluded(resolved.config, i % 2 ? `products/p${i * 4}/models.py` : `shop/gen${i}/x_${i}.py`)) hits++;
      return `${hits} excluded`;
    },
  },
  big_diff_change_at_end: {
    n: 50_000,
    unit: "lines of the changed file (change 10 lines from its end)",
    make: (dir, n) => {
      djangoRepo(dir, { models: `import scipy\n${"pass\n".repeat(n - 1)}` });
      const lines = fs.readFileSync(path.join(dir, "shop/models.py"), "utf8").split("\n");
      lines[n - 10] = "x = 1";
      write(dir, "shop/models.py", lines.join("\n"));
      const diff = path.join(dir, "..", `${path.basename(dir)}.diff`);
      fs.writeFileSync(diff, git(dir, ["diff"]));
      return { argv: ["review", "--diff", diff, "--repo", dir, "--no-cache", "--format", "json"] };
    },
  },
};

// ------------------------------------------------------------------ child: one workload

async function child(name, argsFile) {
  const args = JSON.parse(fs.readFileSync(argsFile, "utf8"));
  const g = GENERATORS[name];
  let out = "";
  let err = "";
  const t0 = performance.now();
  let code = 0;
  if (g.run) out = g.run(args);
  else {
    const { main } = require(path.join(DIST, "cli", "main.js"));
    code = await main(args.argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  }
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`${name}: exit ${code}: ${err.slice(0, 500)}${out.slice(0, 500)}`);
  process.stdout.write(JSON.stringify({ seconds, peak_mb: process.resourceUsage().maxRSS / 1024, output_bytes: out.length }) + "\n");
}

// ------------------------------------------------------------------ parent

function measure(name, argsFile) {
  let best = null;
  for (let r = 0; r < RUNS; r++) {
    const res = spawnSync(process.execPath, [__filename, "--child", name, argsFile], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (res.status !== 0) throw new Error(`${name}: child failed (${res.status}):\n${res.stderr.slice(-2000)}`);
    const m = JSON.parse(res.stdout.trim().split("\n").pop());
    if (best === null || m.seconds < best.seconds) best = { ...m, peak_mb: best ? Math.min(best.peak_mb, m.peak_mb) : m.peak_mb };
    else best.peak_mb = Math.min(best.peak_mb, m.peak_mb);
  }
  return best;
}

const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function growth(values) {
  const out = [];
  for (let i = 1; i < values.length; i++) out.push(round(values[i] / values[i - 1], 2));
  return out;
}

function main() {
  const only = process.env.STRESS_ONLY ? new Set(process.env.STRESS_ONLY.split(",")) : null;
  const root = process.env.STRESS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "django-startup-stress-"));
  const keep = Boolean(process.env.STRESS_DIR);
  const started = performance.now();
  let worst = { time: 0, memory: 0 };
  let met = true;
  try {
    for (const [name, g] of Object.entries(GENERATORS)) {
      if (only && !only.has(name)) continue;
      const sizes = [1, 2, 4].map((k) => Math.round(g.n * SCALE * k));
      const results = sizes.map((n) => {
        const dir = path.join(root, `${name}-${n}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const argsFile = path.join(root, `${name}-${n}.json`);
        fs.writeFileSync(argsFile, JSON.stringify(g.make(dir, n)));
        log(`${name} n=${n} ...`);
        const m = measure(name, argsFile);
        log(`${name} n=${n}: ${m.seconds.toFixed(3)} s, ${m.peak_mb.toFixed(0)} MB peak`);
        return m;
      });
      const timeGrowth = growth(results.map((r) => r.seconds));
      const memoryGrowth = growth(results.map((r) => r.peak_mb));
      const ok = [...timeGrowth, ...memoryGrowth].every((x) => x <= TARGET_GROWTH);
      met = met && ok;
      worst = { time: Math.max(worst.time, ...timeGrowth), memory: Math.max(worst.memory, ...memoryGrowth) };
      process.stdout.write(
        JSON.stringify({
          generator: name,
          unit: g.unit,
          sizes,
          seconds: results.map((r) => round(r.seconds)),
          peak_mb: results.map((r) => round(r.peak_mb, 1)),
          output_bytes: results.map((r) => r.output_bytes),
          time_growth: timeGrowth,
          memory_growth: memoryGrowth,
          ok,
        }) + "\n",
      );
    }
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(
    JSON.stringify({
      summary: true,
      runs_per_size: RUNS,
      target_growth_per_doubling: TARGET_GROWTH,
      max_time_growth: worst.time,
      max_memory_growth: worst.memory,
      total_seconds: round((performance.now() - started) / 1000, 1),
      targets_met: met,
    }) + "\n",
  );
}

if (process.argv[2] === "--child") {
  child(process.argv[3], process.argv[4]).catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
} else main();
