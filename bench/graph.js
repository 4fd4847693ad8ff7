#!/usr/bin/env node
/**
 * Startup-graph benchmark (not a test). Run `npx tsc -p tsconfig.build.json && node bench/graph.js`.
 *
 * Builds (once, reused) a git repository of >= 20,000 Python files and ~150 MB: copies of the
 * Python standard library under distinct package names (their absolute stdlib imports
 * rewritten to stay inside the copy), plus a generated Django monorepo (settings package,
 * hundreds of apps with apps.py/ready(), models packages, APIs, tasks, migrations, tests)
 * whose models import into the copies. Then, for a pull request of a handful of changed
 * files (modified, added, deleted; uncommitted in the work tree), times a full build of both
 * graphs the way the CLI and Danger do it (list the tree with git, read the base versions
 * of the changed files, build), each in a fresh Node process:
 *   cold: empty scan cache;   warm: the cache the cold run left (same state);
 *   new push: one more file changed (a state not seen, blobs cached).
 * Then the whole review as `review --diff` runs it (diff in, findings out: both graphs, the
 * rules, the reference search for the deleted module), cold, warm and on a new push, each
 * BENCH_GRAPH_RUNS times (default 3; the median is reported, the targets judged on it).
 * Prints ONE JSON line on stdout; progress goes to stderr.
 *
 * Environment: PYTHON (default python3, for the stdlib location), BENCH_GRAPH_DIR (default
 * <tmp>/django-startup-bench-graph-v<N>-<MB>mb), BENCH_GRAPH_MB (default 150),
 * BENCH_GRAPH_RUNS, BENCH_GRAPH_PROFILE (a directory: write V8 CPU profiles of every run there).
 */
"use strict";

const { rng } = require("./rng");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync, spawnSync } = require("child_process");
const { performance } = require("perf_hooks");

const DIST = path.join(__dirname, "..", "dist");
const VERSION = 2;
const TARGET_MB = Number(process.env.BENCH_GRAPH_MB || 150);
const DIR = process.env.BENCH_GRAPH_DIR || path.join(os.tmpdir(), `django-startup-bench-graph-v${VERSION}-${TARGET_MB}mb`);
const REPO = path.join(DIR, "repo");
const CACHE = path.join(DIR, "cache");
const REVIEW_CACHE = path.join(DIR, "review-cache");
const MB = 1e6;
const APPS = 330;
/** Full reviews timed per kind (cold, warm, new push); the median is reported. */
const RUNS = Math.max(1, Number(process.env.BENCH_GRAPH_RUNS || 3));

function log(msg) {
  process.stderr.write(`[bench:graph] ${msg}\n`);
}

function git(args, opts = {}) {
  return execFileSync("git", ["-C", REPO, ...args], { maxBuffer: 1 << 30, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }, ...opts });
}

// ------------------------------------------------------------------ corpus

function stdlibDir() {
  const py = process.env.PYTHON || "python3";
  const res = spawnSync(py, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`bench:graph needs \`${py}\` to locate the standard library (set $PYTHON)`);
  return res.stdout.trim();
}

function listPy(dir, rel, out) {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== "site-packages" && e.name !== "dist-packages" && e.name !== "__pycache__") listPy(dir, r, out);
    } else if (e.isFile() && e.name.endsWith(".py")) out.push(r);
  }
  return out;
}

function write(rel, data) {
  const abs = path.join(REPO, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, data);
  return Buffer.byteLength(data);
}

/** One copy of the stdlib as package `name`, absolute stdlib imports pointing into the copy. */
function copyStdlib(src, files, name, tops) {
  let bytes = write(`${name}/__init__.py`, `"""Copy of the standard library: ${name}."""\n`);
  const re = /^([ \t]*)(from|import)([ \t]+)([A-Za-z_][A-Za-z0-9_]*)/gm;
  for (const rel of files) {
    const text = fs.readFileSync(path.join(src, rel)).toString("latin1");
    const out = text.replace(re, (m, ind, kw, sp, top) => (tops.has(top) ? `${ind}${kw}${sp}${name}.${top}` : m));
    bytes += write(`${name}/${rel}`, Buffer.from(out, "latin1"));
  }
  return bytes;
}

const STD_TARGETS = ["json", "email.message", "http.client", "logging.handlers", "xml.dom.minidom", "urllib.request", "asyncio", "unittest.mock", "csv", "decimal", "argparse", "html.parser"];

function body(r, n) {
  let s = "";
  for (let i = 0; i < n; i++) {
    s += `\n\nclass Thing${i}:\n    """Generated class ${i}: ${"lorem ipsum ".repeat(1 + r.int(4))}."""\n\n    limit = ${r.int(100)}\n\n`;
    s += `    def compute(self, value, *, scale=1):\n        total = 0\n        for k in range(self.limit):\n            total += (value * k) % (scale + 7)\n        return total\n\n`;
    s += `    def describe(self):\n        return f"{type(self).__name__}({self.limit})"\n`;
  }
  return s;
}

function generateProject(r, copies) {
  let bytes = 0;
  let files = 0;
  const add = (rel, text) => {
    bytes += write(rel, text);
    files++;
  };
  const apps = Array.from({ length: APPS }, (_, i) => `products.p${String(i).padStart(3, "0")}.backend`);
  add("manage.py", 'import os\nimport sys\n\n\ndef main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monorepo.settings.prod")\n    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n\n\nif __name__ == "__main__":\n    main()\n');
  add("monorepo/__init__.py", "from .celery import app as celery_app  # noqa: F401\n");
  add("monorepo/celery.py", "import os\n\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"monorepo.settings.prod\")\n\n\nclass App:\n    pass\n\n\napp = App()\n");
  add("monorepo/settings/__init__.py", "");
  add("monorepo/settings/base.py", `SECRET_KEY = "bench"\nDJANGO_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.admin"]\nPRODUCT_APPS = [\n${apps.slice(0, APPS / 2).map((a) => `    "${a}",\n`).join("")}]\nLOGGING = {"version": 1, "handlers": {"console": {"class": "monorepo.logs.Handler"}}}\n`);
  add("monorepo/settings/prod.py", `from .base import *  # noqa\n\nMORE_APPS = (\n${apps.slice(APPS / 2).map((a) => `    "${a}",\n`).join("")})\nINSTALLED_APPS = [*DJANGO_APPS, *PRODUCT_APPS] + list(MORE_APPS)\n`);
  add("monorepo/logs.py", "import logging\n\n\nclass Handler(logging.StreamHandler):\n    pass\n");
  add("products/__init__.py", "");
  for (let i = 0; i < APPS; i++) {
    const app = apps[i];
    const dir = app.replace(/\./g, "/");
    const other = apps[r.int(APPS)];
    const copy = `stdcopy${1 + r.int(copies)}`;
    add(`products/p${String(i).padStart(3, "0")}/__init__.py`, "");
    add(`${dir}/__init__.py`, "");
    add(`${dir}/apps.py`, `from django.apps import AppConfig\n\n\nclass P${i}Config(AppConfig):\n    name = "${app}"\n\n    def ready(self):\n        from . import signals  # noqa: F401\n${i % 40 === 0 ? "        from .api import views  # noqa: F401  (pulls the API onto startup)\n" : ""}`);
    add(`${dir}/signals.py`, `from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\nfrom .models import Model0\n\n\n@receiver(post_save, sender=Model0)\ndef on_save(sender, **kwargs):\n    from .tasks import refresh\n\n    refresh()\n${body(r, 4)}`);
    const models = Array.from({ length: 6 }, (_, k) => `model${k}`);
    add(`${dir}/models/__init__.py`, models.map((m, k) => `from .${m} import Model${k}  # noqa: F401\n`).join(""));
    models.forEach((m, k) => {
      let s = `from django.db import models\n\nimport ${copy}.${r.pick(STD_TARGETS)}\n`;
      if (k === 0) s += `from ${other}.models import Model1  # noqa: F401\n`;
      s += `from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from ${other}.api.views import View0  # noqa: F401\n\n\ndef heavy():\n    import numpy\n\n    return numpy\n\n\nclass Model${k}(models.Model):\n    name = models.CharField(max_length=100)\n${body(r, 7)}`;
      add(`${dir}/models/${m}.py`, s);
    });
    add(`${dir}/api/__init__.py`, "");
    for (let k = 0; k < 8; k++) add(`${dir}/api/${k === 0 ? "views" : `viewset${k}`}.py`, `from rest_framework import viewsets\n\nimport ${copy}.${r.pick(STD_TARGETS)}\nfrom ..models import Model${k % 6}\n${k === 0 ? Array.from({ length: 7 }, (_, j) => `from . import viewset${j + 1}  # noqa: F401\n`).join("") : ""}\n\nclass View${k}(viewsets.ModelViewSet):\n    queryset = Model${k % 6}.objects.all()\n${body(r, 9)}`);
    add(`${dir}/tasks.py`, `import ${copy}.json\n\n\ndef refresh():\n    import scipy.stats\n\n    return scipy.stats\n${body(r, 5)}`);
    add(`${dir}/admin.py`, `from django.contrib import admin\n\nfrom .models import Model0\n\nadmin.site.register(Model0)\n`);
    add(`${dir}/migrations/__init__.py`, "");
    for (let k = 0; k < 8; k++) add(`${dir}/migrations/${String(k + 1).padStart(4, "0")}_auto.py`, `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = [\n${"        migrations.AddField(model_name='model0', name='f', field=models.IntegerField(default=0)),\n".repeat(8)}    ]\n`);
    add(`${dir}/tests/__init__.py`, "");
    for (let k = 0; k < 8; k++) add(`${dir}/tests/test_${k}.py`, `from unittest import mock\n\nfrom ${app}.models import Model0\n\n\n@mock.patch("${app}.tasks.refresh")\ndef test_${k}(refresh):\n    assert Model0\n${body(r, 5)}`);
  }
  return { bytes, files };
}

function ensureCorpus() {
  const manifest = path.join(DIR, "manifest.json");
  if (fs.existsSync(manifest)) {
    const m = JSON.parse(fs.readFileSync(manifest, "utf8"));
    if (m.version === VERSION) return m;
  }
  log(`building the repository in ${REPO} (once)`);
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(REPO, { recursive: true });
  const src = stdlibDir();
  const std = listPy(src, "", []).filter((f) => !/(^|\/)(lib2to3\/tests\/data|test\/(tokenizedata|badsyntax))/.test(f)).sort();
  const stdBytes = std.reduce((n, f) => n + fs.statSync(path.join(src, f)).size, 0);
  const tops = new Set(std.map((f) => f.split("/")[0].replace(/\.py$/, "")));
  const r = rng(0x5eed);
  const generatedTarget = Math.min(30 * MB, TARGET_MB * MB * 0.18);
  const copies = Math.max(1, Math.round((TARGET_MB * MB - generatedTarget) / stdBytes));
  let bytes = 0;
  let files = 0;
  for (let c = 1; c <= copies; c++) {
    bytes += copyStdlib(src, std, `stdcopy${c}`, tops);
    files += std.length + 1;
  }
  const gen = generateProject(r, copies);
  bytes += gen.bytes;
  files += gen.files;
  log(`${files} files, ${(bytes / MB).toFixed(1)} MB; committing`);
  git(["init", "-q", "-b", "main"]);
  git(["add", "-A"]);
  git(["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "--no-verify", "-m", "base"]);
  const m = { version: VERSION, files, bytes, copies };
  fs.writeFileSync(manifest, JSON.stringify(m));
  return m;
}

// ------------------------------------------------------------------ the pull request

const CHANGES = {
  modified: ["products/p001/backend/models/model0.py", "products/p002/backend/apps.py", "products/p003/backend/signals.py", "monorepo/settings/prod.py"],
  added: ["products/p004/backend/models/model6.py"],
  deleted: ["products/p005/backend/tasks.py"],
};

function applyPr() {
  const append = (rel, text) => fs.appendFileSync(path.join(REPO, rel), text);
  append(CHANGES.modified[0], "\nimport scipy  # the PR adds a heavy import at module scope of a models module\n");
  append(CHANGES.modified[1], "\n# a comment\n");
  append(CHANGES.modified[2], "\nfrom .api import views  # noqa: F401\n");
  append(CHANGES.modified[3], "\nINSTALLED_APPS += []\n");
  write(CHANGES.added[0], "import pandas\n");
  fs.rmSync(path.join(REPO, CHANGES.deleted[0]));
}

function revertPr() {
  git(["reset", "-q"]);
  git(["checkout", "-q", "--", "."]);
  git(["clean", "-q", "-f", "-d", "-x"]); // every untracked file, a scan cache written inside the repository too
}

// ------------------------------------------------------------------ one timed build (child process)

async function timedBuild() {
  const { buildGraphs, listWorktree, ScanCache } = require(path.join(DIST, "graph", "index.js"));
  const { defaultConfig } = require(path.join(DIST, "review", "config.js"));
  const t0 = performance.now();
  const startCpu = (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6;
  const tree = await listWorktree(REPO);
  const baseOverrides = new Map();
  const changed = [...CHANGES.modified, ...CHANGES.deleted];
  // One `git cat-file --batch` for the base versions: "<sha> blob <size>\n<bytes>\n" each.
  const batch = git(["cat-file", "--batch"], { input: changed.map((p) => `HEAD:${p}\n`).join("") });
  let at = 0;
  for (const p of changed) {
    const nl = batch.indexOf(10, at);
    const size = Number(batch.toString("latin1", at, nl).split(" ")[2]);
    baseOverrides.set(p, batch.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  for (const p of CHANGES.added) baseOverrides.set(p, null);
  const graphs = await buildGraphs({
    headFiles: tree.files,
    readHead: async (p) => fs.promises.readFile(path.join(REPO, p)).catch(() => null),
    headRoot: REPO,
    baseOverrides,
    config: defaultConfig(),
    headBlobShas: tree.shas,
    cache: new ScanCache(CACHE),
  });
  graphs.persist();
  const seconds = (performance.now() - t0) / 1000;
  const head = graphs.head;
  const out = {
    seconds,
    files: tree.files.length,
    modules: head.stats.modules,
    edges: head.stats.edges,
    first_party: head.modules().filter((m) => m.firstParty).length,
    scipy_at_head: head.chainToPrefix("scipy") !== null,
    scipy_at_base: graphs.base.chainToPrefix("scipy") !== null,
    rss_mb: process.resourceUsage().maxRSS / 1024,
    // CPU time of the whole build (every thread, user + system): what the wall time would be on
    // one core, and twice what it can be on two when nothing else runs.
    cpu_s: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 - startCpu,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

// ------------------------------------------------------------------ one timed full review (child process)

/**
 * The whole review of the pull request as the CLI's `review --diff` runs it: the diff read
 * with git, both revisions' facts, both graphs, the rules, the findings.
 */
async function timedReview() {
  const { diffFileChangeSet } = require(path.join(DIST, "source", "diff-file.js"));
  const { review } = require(path.join(DIST, "review", "review.js"));
  // The diff is the input (as `review --diff FILE` takes it): produced before the clock starts.
  git(["add", "-A", "-N"]); // new files of the PR show in `git diff`
  const diffText = git(["diff", "HEAD"]).toString("utf8");
  const t0 = performance.now();
  const cs = await diffFileChangeSet({ repo: REPO, diffText, base: "HEAD" });
  const result = await review({ changeSet: cs, options: { cacheDir: REVIEW_CACHE } });
  await cs.close();
  const out = {
    seconds: (performance.now() - t0) / 1000,
    findings: result.findings.map((f) => `${f.rule} ${f.file}:${f.line}`),
    errors: result.errors.length,
    rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function child(label, mode = "--timed-build") {
  const prof = process.env.BENCH_GRAPH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", path.join(process.env.BENCH_GRAPH_PROFILE, label)] : [];
  const res = spawnSync(process.execPath, [...prof, __filename, mode], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (res.status !== 0) throw new Error(`${label} run failed:\n${res.stderr}`);
  const r = JSON.parse(res.stdout.trim().split("\n").pop());
  if (mode === "--timed-build") log(`${label}: ${r.seconds.toFixed(3)} s (cpu ${r.cpu_s.toFixed(3)} s), ${r.modules} modules, ${r.edges} edges, peak RSS ${r.rss_mb.toFixed(0)} MB`);
  else log(`${label}: ${r.seconds.toFixed(3)} s, findings ${JSON.stringify(r.findings)}, peak RSS ${r.rss_mb.toFixed(0)} MB`);
  return r;
}

function main() {
  if (!fs.existsSync(path.join(DIST, "graph", "index.js"))) throw new Error("dist/ is not built: run `npx tsc -p tsconfig.build.json`");
  const corpus = ensureCorpus();
  revertPr();
  applyPr();
  try {
    fs.rmSync(CACHE, { recursive: true, force: true });
    const cold = child("cold");
    const warm = child("warm");
    // A new push to the pull request: one more file changes. The state is new (no stored pack
    // or graphs for it), but every other blob is in the cache.
    fs.appendFileSync(path.join(REPO, CHANGES.modified[1]), "\n# another commit\n");
    const push = child("new push");
    // The full review, RUNS times each (the median is reported: this machine's timings wander):
    // cold (an empty cache each time), warm (the same state again), and a new push (one more
    // line in a changed file each time: a state not seen, every other blob cached).
    const reviews = (label, before) =>
      Array.from({ length: RUNS }, (_, k) => {
        before(k);
        return child(`review ${label} ${k + 1}/${RUNS}`, "--timed-review");
      });
    const reviewColds = reviews("cold", () => fs.rmSync(REVIEW_CACHE, { recursive: true, force: true }));
    const reviewWarms = reviews("warm", () => {});
    const reviewPushes = reviews("new push", (k) => fs.appendFileSync(path.join(REPO, CHANGES.modified[2]), `\n# push ${k + 1}\n`));
    const median = (runs) => runs.map((r) => r.seconds).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    const reviewCold = { seconds: median(reviewColds) };
    const reviewWarm = { seconds: median(reviewWarms), findings: reviewWarms[0].findings };
    const reviewRuns = [...reviewColds, ...reviewWarms, ...reviewPushes];
    const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    const out = {
      files: corpus.files,
      bytes: corpus.bytes,
      modules: warm.modules,
      edges: warm.edges,
      cold_s: round(cold.seconds),
      warm_s: round(warm.seconds),
      new_push_s: round(push.seconds),
      review_cold_s: round(reviewCold.seconds),
      review_warm_s: round(reviewWarm.seconds),
      review_new_push_s: round(median(reviewPushes)),
      review_runs: RUNS,
      review_findings: reviewWarm.findings.length,
      cold_cpu_s: round(cold.cpu_s),
      warm_cpu_s: round(warm.cpu_s),
      load_avg: round(os.loadavg()[0], 2),
      peak_rss_mb: Math.round(Math.max(cold.rss_mb, warm.rss_mb, ...reviewRuns.map((r) => r.rss_mb))),
      startup_first_party: warm.first_party,
      pr_adds_scipy: warm.scipy_at_head && !warm.scipy_at_base,
      cpus: os.cpus().length,
      targets_met: reviewCold.seconds < 3 && reviewWarm.seconds < 0.5 && Math.max(cold.rss_mb, warm.rss_mb, ...reviewRuns.map((r) => r.rss_mb)) < 1024,
    };
    process.stdout.write(JSON.stringify(out) + "\n");
  } finally {
    revertPr();
  }
}

if (process.argv[2] === "--apply-pr") applyPr(); // for profiling by hand
else if (process.argv[2] === "--revert-pr") revertPr();
else if (process.argv[2] === "--timed-review") {
  timedReview().catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
} else if (process.argv[2] === "--timed-build") {
  timedBuild().catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
} else main();
