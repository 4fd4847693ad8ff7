/**
 * Never silent, never stalled: every command terminates and prints its answer on repositories
 * full of import cycles. A seeded generator lays out random package trees as git repositories
 * (cycles through package `__init__` files, relative and absolute imports, `from . import x`,
 * star imports, in settings, apps.py, models and ready()), and every command runs on each:
 * `startup` (text and JSON), `why`, and `review` of a small change. Before the value reader
 * handled re-entry, such a cycle left the analysis awaiting its own promise: Node's event loop
 * emptied and the command exited 0 having printed nothing. The commands run in process, one
 * after the other, in one child Node process (`helpers/cli-jobs.js`), where the CLI's stall
 * guard turns a stall into a failed result naming the tree and the command, not a hung test.
 * The guard itself is tested with an analysis that deliberately never settles.
 *
 * Where a partially initialised module matters, real Python is the oracle (`django.setup()`).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EventEmitter } from "node:events";
import { AnalysisStalled, reading, untilStalled } from "../src/core/stall";
import { ModuleIndex } from "../src/python/module-index";
import { readStatements } from "../src/python/statements";
import { ValueReader } from "../src/graph/values";
import { cleanupRepos, tempDir } from "./helpers/git-repo";
import { PROBE_SCRIPT, scenarioGit } from "./helpers/scenarios";
import { runInProcess } from "./helpers/run-cli";

afterAll(cleanupRepos);

type Rng = (() => number) & { int(n: number): number; pick<T>(xs: readonly T[]): T };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the benchmarks' seeded PRNG (CommonJS, untyped)
const { rng } = require("../bench/rng.js") as { rng: (seed: number) => Rng };

const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");
const DANGER = path.join(__dirname, "..", "dist", "danger", "index.js");
const STALL = path.join(__dirname, "..", "dist", "core", "stall.js");
const JOBS = path.join(__dirname, "helpers", "cli-jobs.js");
const SEED = 20261130;
const TREES = 100;

/** The six files of the original report (0 bytes printed, exit 0). */
const REPRO: Record<string, string> = {
  "manage.py": 'import os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
  "proj/__init__.py": "",
  "proj/settings.py": 'INSTALLED_APPS = ["proj.app"]\n',
  "proj/app/__init__.py": "",
  "proj/app/apps.py": 'from django.apps import AppConfig\nfrom ..pkg.models import Thing\nclass AppConfigX(AppConfig):\n    name = "proj.app"\n',
  "proj/pkg/__init__.py": "from .models import Thing\n",
  "proj/pkg/models.py": "from . import STATUS\nclass Thing: pass\n",
};

// ---------------------------------------------------------------------------------------
// The generator

interface Mod {
  name: string;
  pkg: boolean;
  /** Statements (one or more lines each) before the module's own body: imports, interleaved with its assignments. */
  head: string[];
  /** Value names it binds at module level. */
  names: string[];
  /** Extra body (classes). */
  body: string[];
}

export interface Tree {
  files: Record<string, string>;
  modules: string[];
  /** The change reviewed: files written (content) or deleted (null). */
  change: Record<string, string | null>;
}

const parentOf = (m: string): string => m.slice(0, Math.max(0, m.lastIndexOf(".")));
const lastOf = (m: string): string => m.slice(m.lastIndexOf(".") + 1);
const fileOf = (m: Mod): string => m.name.split(".").join("/") + (m.pkg ? "/__init__.py" : ".py");

/** `X` written relative to module `from` (`..pkg.x`), or null when they share no package. */
function relative(from: Mod, x: string): string | null {
  const base = (from.pkg ? from.name : parentOf(from.name)).split(".").filter(Boolean);
  const parts = x.split(".");
  let common = 0;
  while (common < base.length && common < parts.length && base[common] === parts[common]) common++;
  if (common === 0) return null;
  return ".".repeat(1 + base.length - common) + parts.slice(common).join(".");
}

export function generateTree(seed: number): Tree {
  const r = rng(seed);
  const mods = new Map<string, Mod>();
  const add = (name: string, pkg: boolean): Mod => {
    let m = mods.get(name);
    if (m === undefined) {
      m = { name, pkg, head: [], names: [], body: [] };
      mods.set(name, m);
    }
    return m;
  };
  const top = r.pick(["proj", "mysite", "core"]);
  add(top, true);
  let settings: Mod;
  if (r() < 0.4) {
    // A settings package: `from .base import *`, and base sets INSTALLED_APPS.
    const pkg = add(`${top}.settings`, true);
    settings = add(`${top}.settings.base`, false);
    pkg.head.push("from .base import *");
    if (r() < 0.5) pkg.head.push("from . import base");
  } else settings = add(`${top}.settings`, false);

  const apps: string[] = [];
  const appModules: Mod[] = [];
  for (let i = 0, n = 1 + r.int(3); i < n; i++) {
    const app = `${r() < 0.5 ? `${top}.` : ""}app${i}`;
    apps.push(app);
    const init = add(app, true);
    const appsPy = add(`${app}.apps`, false);
    appModules.push(init, appsPy);
    let models: Mod;
    if (r() < 0.5) models = add(`${app}.models`, false);
    else {
      models = add(`${app}.models`, true);
      const sub = add(`${app}.models.m0`, false);
      sub.body.push(`class Sub${i}:`, "    pass");
      models.head.push(r.pick(["from .m0 import *", "from . import m0", `from ${app}.models.m0 import Sub${i}`]));
      appModules.push(sub);
    }
    models.body.push(`class Thing${i}:`, "    pass");
    appModules.push(models);
    const signals = r() < 0.6 ? add(`${app}.signals`, false) : null;
    if (signals) appModules.push(signals);
    // The config's name: a literal, or a constant read through the app's __init__ (a cycle when __init__ imports apps).
    let name = JSON.stringify(app);
    if (r() < 0.5) {
      init.names.push("APP_NAME");
      init.head.push(`APP_NAME = ${JSON.stringify(app)}`);
      appsPy.head.push(r.pick(["from . import APP_NAME", `from ${app} import APP_NAME`, "from . import *"]));
      name = "APP_NAME";
      if (r() < 0.5) init.head.splice(r.int(init.head.length + 1), 0, r.pick(["from .apps import *", "from . import apps", `from ${app}.models import Thing${i}`]));
    }
    appsPy.head.unshift("from django.apps import AppConfig");
    appsPy.body.push(`class App${i}Config(AppConfig):`, `    name = ${name}`);
    if (r() < 0.3) appsPy.body.push("    default = True");
    if (signals || r() < 0.5) {
      appsPy.body.push("    def ready(self):");
      appsPy.body.push(signals ? "        from . import signals  # noqa: F401" : `        import ${top}`);
    }
  }
  for (let k = 0, n = r.int(3); k < n; k++) {
    const lib = `${r() < 0.5 ? `${top}.` : ""}lib${k}`;
    add(lib, true);
    add(`${lib}.core`, false);
    add(`${lib}.util`, false);
    if (r() < 0.5) add(lib, true).head.push(r.pick(["from .core import *", "from . import util", `from ${lib}.util import *`]));
  }
  const all = [...mods.values()];
  all.forEach((m, k) => {
    const v = `V_${k}`;
    m.names.push(v);
    m.head.splice(r.int(m.head.length + 1), 0, `${v} = [${k}]`);
    if (r() < 0.3) {
      m.names.push("STATUS");
      m.head.splice(r.int(m.head.length + 1), 0, `STATUS = "s${k}"`);
    }
  });

  // Random imports, and for half of them the reverse import too: cycles everywhere.
  let n = 0;
  const importLine = (from: Mod, to: Mod, moduleLevel: boolean): string => {
    const rel = relative(from, to.name);
    const relParent = to.name.includes(".") ? relative(from, parentOf(to.name)) : null;
    const name = r.pick([...to.names, "STATUS", "MISSING", "V_0"]);
    const forms: string[] = [`import ${to.name}`, `import ${to.name} as alias_${n++}`, `from ${to.name} import ${name}`];
    if (to.name.includes(".")) forms.push(`from ${parentOf(to.name)} import ${lastOf(to.name)}`);
    if (rel !== null) forms.push(`from ${rel} import ${name}`);
    if (relParent !== null) forms.push(`from ${relParent} import ${lastOf(to.name)}`);
    if (moduleLevel) {
      forms.push(`from ${to.name} import *`);
      if (rel !== null) forms.push(`from ${rel} import *`);
    }
    return r.pick(forms);
  };
  const place = (from: Mod, to: Mod): void => {
    const ctx = r.int(10);
    let stmt: string;
    if (ctx < 6) stmt = importLine(from, to, true);
    else if (ctx === 6) stmt = `try:\n    ${importLine(from, to, true)}\nexcept ImportError:\n    pass`;
    else if (ctx === 7) stmt = `class Holder${n++}:\n    ${importLine(from, to, false)}`;
    else if (ctx === 8) stmt = `from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    ${importLine(from, to, true)}\nelse:\n    ${importLine(from, to, true)}`;
    else stmt = `def deferred_${n++}():\n    ${importLine(from, to, false)}`;
    from.head.splice(r.int(from.head.length + 1), 0, stmt);
  };
  for (let e = 0, edges = all.length + r.int(all.length * 2); e < edges; e++) {
    const a = r.pick(all);
    const b = r.pick(all);
    if (a === b) continue;
    place(a, b);
    if (r() < 0.5) place(b, a);
  }
  // Settings in the cycle: they import app code that imports them back.
  if (r() < 0.6) {
    const m = r.pick(appModules);
    place(settings, m);
    m.head.push(r.pick([`from ${settings.name} import INSTALLED_APPS`, `from ${settings.name} import *`, "from django.conf import settings"]));
  }
  const entries = apps.map((a, i) => (r() < 0.3 ? `${a}.apps.App${i}Config` : a));
  const extra = r() < 0.3 ? ["django.contrib.admin"] : [];
  settings.names.push("INSTALLED_APPS");
  settings.head.push(`INSTALLED_APPS = ${JSON.stringify(["django.contrib.contenttypes", ...extra, ...entries])}`);
  if (r() < 0.4) {
    // Part of INSTALLED_APPS comes from a module in a cycle with the settings.
    const m = r.pick(all.filter((x) => x !== settings));
    m.names.push("EXTRA_APPS");
    m.head.splice(r.int(m.head.length + 1), 0, `EXTRA_APPS = ${JSON.stringify([r.pick(apps)])}`);
    settings.head.push(`from ${m.name} import EXTRA_APPS`, "INSTALLED_APPS += EXTRA_APPS");
    m.head.push(`from ${settings.name} import V_0`);
  }

  const files: Record<string, string> = {
    "manage.py": `import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", ${JSON.stringify(settings.name.replace(/\.base$/, ""))})\n`,
  };
  for (const m of all) files[fileOf(m)] = [...m.head, ...m.body].map((l) => `${l}\n`).join("");
  // The change: a heavy import added, an import dropped, or a module moved.
  const victim = r.pick(all);
  const change: Record<string, string | null> = {};
  const kind = r.int(3);
  const dropped = files[fileOf(victim)].replace(/^(?:import|from) .*\n/m, "");
  if (kind === 1 && dropped !== files[fileOf(victim)]) change[fileOf(victim)] = dropped;
  else if (kind !== 2) change[fileOf(victim)] = `import numpy\n${files[fileOf(victim)]}`;
  else {
    const leaf = r.pick(all.filter((m) => !m.pkg));
    change[fileOf(leaf)] = null;
    change[fileOf(leaf).replace(/\.py$/, "_moved.py")] = files[fileOf(leaf)];
  }
  return { files, modules: all.map((m) => m.name), change };
}

// ---------------------------------------------------------------------------------------
// Repositories and commands

function write(dir: string, files: Record<string, string | null>): void {
  for (const [p, c] of Object.entries(files)) {
    const abs = path.join(dir, p);
    if (c === null) fs.rmSync(abs, { force: true });
    else {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, c);
    }
  }
}

/** A git repository: `files` committed on main, then (when given) `change` committed on top. Returns the dir and base commit. */
function gitRepo(files: Record<string, string>, change?: Record<string, string | null>): { dir: string; base: string } {
  const dir = tempDir("dsg-cycles-");
  scenarioGit(dir, ["init", "-q", "--template=", "-b", "main"]);
  write(dir, files);
  scenarioGit(dir, ["add", "-A"]);
  scenarioGit(dir, ["commit", "-q", "-m", "base"]);
  if (change !== undefined) {
    write(dir, change);
    scenarioGit(dir, ["add", "-A"]);
    scenarioGit(dir, ["commit", "-q", "-m", "change"]);
  }
  return { dir, base: change === undefined ? "HEAD" : "HEAD~1" };
}

const run = runInProcess;

/** Runs the built binary; resolves with its exit status and output once it has exited. */
function spawnNode(args: string[], cwd?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

function needBuild(): void {
  for (const f of [CLI, DANGER, STALL]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
}

// ---------------------------------------------------------------------------------------

describe("the six-file repro", () => {
  it("prints the graph, with proj.pkg.models on it, in process and from the real binary", async () => {
    const { dir } = gitRepo(REPRO);
    const r = await run(["startup", "--repo", dir, "--no-cache"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("proj.pkg.models");
    needBuild();
    const bin = await spawnNode([CLI, "startup", "--repo", dir, "--no-cache"]);
    expect([bin.code, bin.err]).toEqual([0, ""]);
    expect(bin.out).toContain("proj.pkg.models: proj.app.apps (proj/app/apps.py) -> proj.pkg.models (proj/app/apps.py:2)");
  });
});

describe("a partially initialised module shows what it bound so far (real django.setup() as the oracle)", () => {
  const probe = (dir: string): { setup: string } => {
    const res = spawnSync("/usr/bin/python3", ["-B", PROBE_SCRIPT, dir], { encoding: "utf8", env: { ...process.env, DJANGO_SETTINGS_MODULE: "proj.settings" } });
    if (res.status !== 0) throw new Error(`probe failed: ${res.stderr}`);
    return JSON.parse(res.stdout) as { setup: string };
  };
  const base: Record<string, string> = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
    "proj/__init__.py": "",
    "proj/app/__init__.py": "",
    "proj/extra/__init__.py": "",
    "proj/settings.py": 'EXTRA = ["proj.extra"]\nfrom proj.conf import APPS\nINSTALLED_APPS = APPS\nLATE = ["proj.late"]\n',
  };

  it("a name bound before the cycle is seen: INSTALLED_APPS built from the settings' own partial values", async () => {
    const { dir } = gitRepo({ ...base, "proj/conf.py": 'from proj.settings import EXTRA\nAPPS = ["proj.app"] + EXTRA\n' });
    expect(probe(dir).setup).toBe("ok");
    const r = await run(["startup", "--repo", dir, "--no-cache", "--format", "json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { roots: { module: string; reason: string }[]; unresolved: unknown[] };
    expect(json.roots.map((x) => x.module)).toEqual(["proj", "proj.settings", "proj.app", "proj.extra"]);
    expect(json.unresolved).toEqual([]);
  });

  it("a name not bound yet is unknown (Python: ImportError from a partially initialized module), not guessed", async () => {
    const { dir } = gitRepo({ ...base, "proj/conf.py": 'from proj.settings import EXTRA, LATE\nAPPS = ["proj.app"] + EXTRA + LATE\n' });
    expect(probe(dir).setup).toMatch(/^ImportError: cannot import name 'LATE' from partially initialized module 'proj\.settings'/);
    const r = await run(["startup", "--repo", dir, "--no-cache", "--format", "json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { roots: { module: string }[]; unresolved: { what: string; where: string; why: string }[] };
    expect(json.roots.map((x) => x.module)).toEqual(["proj", "proj.settings", "proj.app", "proj.extra"]);
    expect(json.unresolved).toEqual([
      { what: "an INSTALLED_APPS entry", where: "proj/conf.py:1", why: "LATE is not bound (as a value) in proj.settings when this import runs: proj.settings is partially initialised (an import cycle)" },
    ]);
  });
});

describe(`${TREES} generated package trees with import cycles (seed ${SEED})`, () => {
  const trees = Array.from({ length: TREES }, (_, i) => ({ i, tree: generateTree(SEED + i) }));

  it("are valid Python (CPython compiles every generated file)", () => {
    const sources = trees.flatMap(({ i, tree }) => Object.entries(tree.files).map(([p, c]) => [`tree${i}/${p}`, c]));
    const code = "import json,sys\nbad=[]\nfor p,c in json.load(sys.stdin):\n    try: compile(c,p,'exec',dont_inherit=True)\n    except SyntaxError as e: bad.append(f'{p}:{e.lineno}: {e.msg}')\nprint(json.dumps(bad))";
    const res = spawnSync("python3", ["-c", code], { input: JSON.stringify(sources), encoding: "utf8" });
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([]);
  });

  it("every command terminates and prints its answer", async () => {
    needBuild();
    const jobs: { at: string; argv: string[] }[] = [];
    let cyclesThroughInit = 0;
    for (const { i, tree } of trees) {
      const { dir } = gitRepo(tree.files, tree.change);
      const inits = Object.entries(tree.files).filter(([p]) => p.endsWith("__init__.py"));
      if (inits.some(([, c]) => /^from \.\S* import/m.test(c))) cyclesThroughInit++;
      const at = `tree ${i} (${dir})`;
      const module = tree.modules[i % tree.modules.length];
      jobs.push(
        { at: `${at}: startup`, argv: ["startup", "--repo", dir, "--no-cache"] },
        { at: `${at}: startup --format json`, argv: ["startup", "--repo", dir, "--no-cache", "--format", "json"] },
        { at: `${at}: why ${module}`, argv: ["why", module, "--repo", dir, "--no-cache"] },
        { at: `${at}: review`, argv: ["review", "--repo", dir, "--base", "HEAD~1", "--no-cache", "--fail-on", "never", "--format", "json"] },
      );
    }
    // The generator does make the cycles this is about.
    expect(cyclesThroughInit).toBeGreaterThan(TREES / 2);
    const file = path.join(tempDir(), "jobs.json");
    fs.writeFileSync(file, JSON.stringify(jobs));
    const ran = await spawnNode([JOBS, file]);
    expect([ran.code, ran.err]).toEqual([0, ""]);
    const results = JSON.parse(ran.out) as { code: number; out: string; err: string }[];
    expect(results).toHaveLength(jobs.length);
    const answered = (at: string, out: string): boolean => {
      if (at.endsWith(": startup")) return out.startsWith("Settings: ");
      const why = /: why (\S+)$/.exec(at);
      if (why !== null) return out.split("\n")[0].includes(why[1]); // imports it, does not, or has no such module
      const json = JSON.parse(out) as Record<string, unknown[]>;
      return Array.isArray(at.endsWith(": review") ? json.findings : json.modules);
    };
    const wrong = results.flatMap((r, k) => (r.code === 0 && r.err === "" && answered(jobs[k].at, r.out) ? [] : [`${jobs[k].at}: exit ${r.code}: ${r.err || r.out.slice(0, 200)}`]));
    expect(wrong).toEqual([]);
  }, 600_000);

  it("the real binary exits with its output on a few of them", async () => {
    needBuild();
    for (const { i, tree } of trees.slice(0, 3)) {
      const { dir } = gitRepo(tree.files);
      const r = await spawnNode([CLI, "startup", "--repo", dir, "--no-cache", "--format", "json"]);
      expect([i, r.code, r.err]).toEqual([i, 0, ""]);
      expect((JSON.parse(r.out) as { modules: unknown[] }).modules.length).toBeGreaterThan(0);
    }
  });
});

describe("ValueReader: re-entry from a cycle, however the reads interleave", () => {
  const readerOf = (files: Record<string, string>): ValueReader =>
    new ValueReader({
      index: new ModuleIndex(Object.keys(files), ["."]),
      // A tick before each answer, as a real read has: concurrent reads interleave.
      statements: async (p) => (await Promise.resolve(), p in files ? readStatements(Buffer.from(files[p])) : null),
      allOf: () => null,
    });

  it("two reads started together, each entering the cycle from its own end, both settle, each seeing the other as far as it had run", async () => {
    const values = readerOf({ "a.py": "A1 = 1\nfrom b import B1, B2\nA2 = 2\n", "b.py": "B1 = 1\nfrom a import A1, A2\nB2 = 2\n" });
    const [a, b] = await Promise.all([values.read("a"), values.read("b")]);
    // b, entered from a, saw a partially initialised (A1 bound, A2 not yet).
    expect([...(b?.bindings.keys() ?? [])]).toEqual(["B1", "A1", "A2", "B2"]);
    expect(b?.bindings.get("A2")?.value).toMatchObject({ t: "unknown", why: expect.stringContaining("a is partially initialised") });
    expect(a?.bindings.get("B2")?.value).toMatchObject({ t: "const", v: 2 });
  });

  it(`every module of ${TREES} generated trees, all read at once, settles`, async () => {
    for (let i = 0; i < TREES; i++) {
      const tree = generateTree(SEED + i);
      const values = readerOf(tree.files);
      const read = await Promise.all(tree.modules.map((m) => values.read(m)));
      expect([i, read.every((v) => v !== null)]).toEqual([i, true]);
    }
  });
});

describe("the stall guard (an injected analysis that never settles)", () => {
  const never = `() => { require(${JSON.stringify(STALL)}).reading("proj.never.settles"); return new Promise(() => {}); }`;

  it("untilStalled: a pending analysis rejects when the loop empties, naming what it read last; a settled one leaves no listener", async () => {
    const events = new EventEmitter();
    await expect(untilStalled(Promise.resolve(7), events)).resolves.toBe(7);
    await expect(untilStalled(Promise.reject(new Error("boom")), events)).rejects.toThrow("boom");
    expect(events.listenerCount("beforeExit")).toBe(0);
    reading("pkg.mod");
    const pending = untilStalled(new Promise(() => {}), events);
    events.emit("beforeExit");
    await expect(pending).rejects.toEqual(new AnalysisStalled("pkg.mod"));
    await expect(pending).rejects.toThrow("analysis stalled while reading pkg.mod");
    expect(events.listenerCount("beforeExit")).toBe(0);
  });

  it("CLI: says the analysis stalled and where, exits 3, prints no answer", async () => {
    needBuild();
    const script = `require(${JSON.stringify(CLI)}).runCli([], { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), isTTY: false }, ${never}).then((c) => { process.exitCode = c; });`;
    const r = await spawnNode(["-e", script]);
    expect(r).toEqual({ code: 3, out: "", err: "django-startup-guard: internal error: analysis stalled while reading proj.never.settles\n" });
  });

  it("CLI: a command that settles is untouched", async () => {
    needBuild();
    const script = `require(${JSON.stringify(CLI)}).runCli(["--version"], { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), isTTY: false }).then((c) => { process.exitCode = c; });`;
    const r = await spawnNode(["-e", script]);
    expect([r.code, r.err, r.out]).toEqual([0, "", expect.stringMatching(/^\d+\.\d+\.\d+\n$/)]);
  });

  it("Danger (the real `danger local`): exactly one warning saying so, never a silent pass", async () => {
    needBuild();
    const { dir } = gitRepo(REPRO, { "proj/extra.py": "x = 1\n" });
    const dangerfile = path.join(tempDir(), "dangerfile.js");
    fs.writeFileSync(dangerfile, `schedule(require(${JSON.stringify(DANGER)}).reviewInDanger({ repo: ${JSON.stringify(dir)} }, ${never}));\n`);
    const danger = path.join(__dirname, "..", "node_modules", "danger", "distribution", "commands", "danger.js");
    const r = await spawnNode([danger, "local", "--base", "HEAD~1", "--dangerfile", dangerfile], dir);
    expect(r.out).not.toContain("received no feedback");
    expect(r.out.split("\n").filter((l) => l.includes("django-startup-guard"))).toEqual([
      "django-startup-guard could not review this change: internal error: analysis stalled while reading proj\\.never\\.settles",
    ]);
    expect(r.out).toMatch(/## Warnings\n/);
  }, 120_000);
});
