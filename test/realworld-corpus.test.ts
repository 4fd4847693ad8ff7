/**
 * Real-world corpus: three Django projects Debian packages, laid out as a user's checkout
 * looks (upstream's layout, `manage.py` included), compared with a real `django.setup()` of
 * the installed packages under /usr/bin/python3.
 *
 * For each project the test copies the installed first-party packages (files, not symlinks;
 * no `__pycache__`) into a git repository, runs `django-startup-guard startup --format json`
 * with no configuration, and prints
 *
 *   realworld-agreement: project=NAME dynamic=N static=M recall=R explained=E precision=P
 *
 * dynamic: first-party modules setup() imported; static: first-party modules the tool says it
 * imports. `explained` counts a dynamic module as covered when it is in the static set or the
 * file:line that first imported it (recorded by an import hook) is the `where` of an
 * `unresolved` entry, or, transitively, when that line is in the file of a module covered so
 * (the tool cannot see the imports of a module it admits it cannot find), or, for a module
 * Django's app registry imported with no project code on the stack, when the tool lists the
 * part of INSTALLED_APPS it could not read. It must be 1.000,
 * since a silent miss is a missed regression. What keeps recall below 1.000 and
 * the extras that lower precision are printed by cause.
 *
 * Then it reviews real edits of each project (a heavy import in a models module, a side-effect
 * import dropped, an exceptions module moved without a shim) and checks the findings.
 *
 * Nothing is skipped: a project that is not installed, or a setup() that fails, fails the test
 * with what to install (`scripts/ensure-test-deps.sh`, run by `npm test`, installs them).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveConfig } from "../src/review/config";
import { buildGraphs, listOtherFiles, listWorktree, namingDirs } from "../src/graph";
import { readStatements } from "../src/python/statements";
import { describeContext } from "../src/python/context";
import { RepoSide } from "../src/rules/model";
import { setupImportRun } from "../src/rules/startup-import-cycle";
import { scanPython } from "../src/python/scanner";
import { diff, djangoSetup, PYTHON, requirePython, type Setup } from "./helpers/django-setup";
import { cleanupRepos, makeRepo, tempDir, type TestRepo } from "./helpers/git-repo";

const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");

/** The CLI is run as users run it, from the build: refuse a build older than the sources. */
function requireBuilt(): void {
  const built = fs.existsSync(CLI) ? fs.statSync(CLI).mtimeMs : 0;
  const src = path.join(__dirname, "..", "src");
  const newer = (fs.readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && fs.statSync(path.join(src, f)).mtimeMs > built);
  if (newer.length) throw new Error(`${CLI} is older than src/${newer[0]}: run \`npm run build\` (npm test does).`);
}

interface Project {
  name: string;
  debianPackage: string;
  settings: string;
  /** Installed packages (import names), each with the checkout directory that holds it. */
  packages: Record<string, string>;
  /** Installed files copied into the checkout: installed path -> checkout path. */
  files: Record<string, string>;
  /** Extra sys.path entries for the real setup(), each with the checkout prefix of its files. */
  path: [dir: string, prefix: string][];
  /** Real edits, each a commit on a branch from main, with the findings `review` must give. */
  edits: Edit[];
}

interface FindingKey {
  rule: string;
  file: string;
  line: number | null;
}

interface Edit {
  name: string;
  /** Changes committed first, as the base of the review (default: the project as installed). */
  plant?(repo: TestRepo): void;
  /** Changes the work tree; returns the expected findings. */
  apply(repo: TestRepo): FindingKey[];
  /** Checks on the checkout at the base and at the head (e.g. with a real django.setup()). */
  verify?(repo: TestRepo, at: "base" | "head"): void;
}

const HEAVY = "heavy-import-at-startup";
const SIDE_EFFECT = "side-effect-import-removed";
const MOVED = "module-moved-without-shim";
const DEFERRED = "deferred-name-removed";
const CYCLE = "startup-import-cycle";
const LOST = "registrations-lost";
const NEVER = "registration-never-connected";

/**
 * What a real process does with `module` in the checkout (its directory `root` first on
 * sys.path): imported by django.setup()? by the URLconf (the first request)? and, imported
 * by hand, does it connect a receiver whose name contains "planted"?
 */
const NEVER_PY = `
import importlib, os, sys
root, settings, module = sys.argv[1:4]
sys.path.insert(0, root)
os.environ["DJANGO_SETTINGS_MODULE"] = settings
import django
django.setup()
setup = module in sys.modules
from django.conf import settings as s
importlib.import_module(s.ROOT_URLCONF)
urls = module in sys.modules
importlib.import_module(module)
from django.dispatch import Signal
signals = {id(v): v for m in list(sys.modules.values()) for v in list(getattr(m, "__dict__", {}).values()) if isinstance(v, Signal)}
connected = any("planted" in repr(r) for sig in signals.values() for r in sig.receivers)
print(setup, urls, connected)
`;

/**
 * A new receivers module nothing imports (checked with a real django.setup() and the URLconf
 * on the edited checkout): reported at its receiver.
 */
function plantedReceivers(root: string, settings: string, file: string, code: string): Edit {
  return {
    name: `a new receivers module nothing imports: ${file}`,
    apply: (repo) => {
      repo.write(file, code);
      const module = path.posix.relative(root, file).replace(/\.py$/, "").replace(/\//g, ".");
      const res = spawnSync(PYTHON, ["-B", "-I", "-W", "ignore", "-c", NEVER_PY, path.join(repo.dir, root), settings, module], { cwd: tempDir(), encoding: "utf8" });
      expect({ status: res.status, stderr: res.status === 0 ? "" : res.stderr }).toEqual({ status: 0, stderr: "" });
      // Not imported by setup, nor by the first request; connects once imported.
      expect(res.stdout.trim()).toBe("False False True");
      return [{ rule: NEVER, file, line: code.split("\n").findIndex((l) => l.startsWith("@receiver")) + 1 }];
    },
  };
}

/** `import numpy` added at module scope of a models module that setup imports. */
function heavyImport(file: string): Edit {
  return { name: `import numpy in ${file}`, apply: (repo) => [{ rule: HEAVY, file, line: addTopLevelImport(repo, file, "import numpy") }] };
}

/**
 * Where the repository still points at `module`, by CPython's own `ast`: every import
 * statement (anywhere, relative ones resolved from `sourceRoot`), `import_module` call and
 * dotted string naming it or something inside it. With a fifth argument `name`: where it
 * still expects the attribute `module.name` (`from module import name`, strings naming
 * `module.name` or below it).
 */
const POINTERS_PY = `
import ast, os, sys, json
root, src, old = sys.argv[1:4]
name = sys.argv[4] if len(sys.argv) > 4 else None
parent, _, last = old.rpartition(".")
hits = lambda m: m == old or m.startswith(old + ".")
if name is not None:
    dotted = old + "." + name
    hits = lambda m: m == dotted or m.startswith(dotted + ".")
out = []
for dp, dns, fns in os.walk(root):
    dns[:] = sorted(d for d in dns if d != ".git")
    for fn in sorted(fns):
        if not fn.endswith(".py"):
            continue
        path = os.path.join(dp, fn)
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        pkg = os.path.relpath(dp, os.path.join(root, src)).replace(os.sep, ".").split(".")
        try:
            tree = ast.parse(open(path, "rb").read())
        except SyntaxError:
            continue
        for n in ast.walk(tree):
            found = False
            if isinstance(n, ast.Import):
                found = name is None and any(hits(a.name) for a in n.names)
            elif isinstance(n, ast.ImportFrom):
                base = n.module or ""
                if n.level:
                    up = pkg[: len(pkg) - (n.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                if name is None:
                    found = hits(base) or (base == parent and any(a.name == last for a in n.names))
                else:
                    found = base == old and any(a.name == name for a in n.names)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str):
                found = hits(n.value)
            if found:
                out.append([rel, n.lineno])
print(json.dumps(sorted(set(map(tuple, out)))))
`;

function pointersTo(repo: TestRepo, sourceRoot: string, module: string, name?: string): [string, number][] {
  const res = spawnSync(PYTHON, ["-I", "-c", POINTERS_PY, repo.dir, sourceRoot, module, ...(name === undefined ? [] : [name])], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout) as [string, number][];
}

/**
 * An exceptions module moved (git mv) with no shim left behind and its importers not updated:
 * every place CPython's parser sees still pointing at the old path is a finding.
 */
function moveExceptions(sourceRoot: string, from: string, to: string): Edit {
  return {
    name: `${from} moved to ${to}`,
    apply: (repo) => {
      repo.mv(from, to);
      const module = path.posix.relative(sourceRoot, from).replace(/\.py$/, "").replace(/\//g, ".");
      const still = pointersTo(repo, sourceRoot, module);
      expect(still.length).toBeGreaterThan(0);
      return still.map(([file, line]) => ({ rule: MOVED, file, line }));
    },
  };
}

/**
 * Defers a module-level import of `name` in `file` into every function of the file that uses it
 * (the import statement keeps its other names), with CPython's own `ast` to find the lines;
 * prints nothing.
 */
const DEFER_PY = `
import ast, sys
path, name = sys.argv[1:3]
src = open(path, encoding="utf-8").read()
lines = src.split("\\n")
tree = ast.parse(src)
found = None
for n in tree.body:
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        for a in n.names:
            if (a.asname or (a.name.split(".")[0] if isinstance(n, ast.Import) else a.name)) == name:
                found = (n, a)
n, a = found
alias = lambda x: x.name + (" as " + x.asname if x.asname else "")
head = "import " if isinstance(n, ast.Import) else "from " + "." * n.level + (n.module or "") + " import "
edits = []
for f in ast.walk(tree):
    if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(f)):
        first = f.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str) and len(f.body) > 1:
            first = f.body[1]
        edits.append((first.lineno - 1, 0, [" " * first.col_offset + head + alias(a)]))
rest = [x for x in n.names if x is not a]
edits.append((n.lineno - 1, n.end_lineno - n.lineno + 1, [head + ", ".join(map(alias, rest))] if rest else []))
for at, drop, new in sorted(edits, key=lambda e: -e[0]):
    lines[at:at + drop] = new
open(path, "w", encoding="utf-8").write("\\n".join(lines))
`;

/**
 * A module-level import of `name` deferred into the functions of `file` that use it: every place
 * CPython's parser sees still expecting the module attribute is a finding (`quiet`: there is none).
 */
function deferImport(sourceRoot: string, file: string, name: string, quiet = false): Edit {
  return {
    name: `${name} deferred into the functions of ${file}${quiet ? " (nothing else uses it there)" : ""}`,
    apply: (repo) => {
      const res = spawnSync(PYTHON, ["-I", "-c", DEFER_PY, path.join(repo.dir, file), name], { encoding: "utf8" });
      if (res.status !== 0) throw new Error(res.stderr);
      const module = path.posix.relative(sourceRoot, file).replace(/(\/__init__)?\.py$/, "").replace(/\//g, ".");
      const still = pointersTo(repo, sourceRoot, module, name);
      expect(still.length > 0).toBe(!quiet);
      return still.map(([f, line]) => ({ rule: DEFERRED, file: f, line }));
    },
  };
}

const PROJECTS: Project[] = [
  {
    // Upstream (opendev.org/openstack/horizon): manage.py at the top, next to the three packages.
    name: "horizon",
    debianPackage: "openstack-dashboard",
    settings: "openstack_dashboard.settings",
    packages: { openstack_dashboard: "openstack_dashboard", horizon: "horizon", openstack_auth: "openstack_auth" },
    files: { "/usr/share/openstack-dashboard/manage.py": "manage.py", "/usr/share/openstack-dashboard/wsgi.py": "wsgi.py" },
    path: [["/usr/share/openstack-dashboard", ""]],
    edits: [
      heavyImport("openstack_auth/models.py"),
      {
        // Horizon has no AppConfig.ready(): its models module imports the module that defines
        // the custom user model (AUTH_USER_MODEL = "openstack_auth.User"). An "unused import"
        // clean-up dropping it unregisters the model.
        name: "openstack_auth/models.py drops the import of the user model",
        // Its `__all__ = ['User']` stays: `from openstack_auth.models import *` then raises
        // AttributeError, which deferred-name-removed reports at that line.
        apply: (repo) => {
          const file = "openstack_auth/models.py";
          const line = dropLine(repo, file, "from openstack_auth.user import User");
          const all = fs.readFileSync(path.join(repo.dir, file), "utf8").split("\n").indexOf("__all__ = ['User']") + 1;
          expect(all).toBeGreaterThan(0);
          return [
            { rule: SIDE_EFFECT, file, line },
            { rule: DEFERRED, file, line: all },
          ];
        },
      },
      moveExceptions("", "openstack_dashboard/exceptions.py", "openstack_dashboard/utils/exceptions.py"),
    ],
  },
  {
    // Upstream (github.com/graphite-project/graphite-web): the project lives in webapp/.
    name: "graphite",
    debianPackage: "graphite-web",
    settings: "graphite.settings",
    packages: { graphite: "webapp/graphite" },
    files: { "/usr/bin/graphite-manage": "webapp/manage.py" },
    path: [],
    edits: [
      heavyImport("webapp/graphite/events/models.py"),
      {
        // No ready() either. The dashboard models stop importing the account models (a string
        // reference instead): account is an installed app, so setup still imports its models
        // and nothing is lost. The rule must stay quiet.
        name: "dashboard models refer to account.Profile by string",
        apply: (repo) => {
          const file = "webapp/graphite/dashboard/models.py";
          dropLine(repo, file, "from graphite.account.models import Profile");
          const abs = path.join(repo.dir, file);
          fs.writeFileSync(abs, fs.readFileSync(abs, "utf8").replace(/ManyToManyField\(Profile,/g, 'ManyToManyField("account.Profile",'));
          return [];
        },
      },
      moveExceptions("webapp", "webapp/graphite/errors.py", "webapp/graphite/render/errors.py"),
      // The tag databases import TaggedSeries from the base module, which imported it from utils.
      deferImport("webapp", "webapp/graphite/tags/base.py", "TaggedSeries"),
      deferImport("webapp", "webapp/graphite/tags/base.py", "bisect", true),
      plantedCycle(),
      plantedReceivers(
        "webapp",
        "graphite.settings",
        "webapp/graphite/events/receivers.py",
        "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\nfrom graphite.events.models import Event\n\n\n@receiver(post_save, sender=Event)\ndef planted_event_saved(sender, instance, **kwargs):\n    pass\n",
      ),
    ],
  },
  {
    // Upstream (gitlab.com/lava/lava): manage.py (installed as /usr/bin/lava-server) at the top.
    name: "lava",
    debianPackage: "lava-server",
    settings: "lava_server.settings.prod",
    packages: Object.fromEntries(
      ["lava_server", "lava_common", "lava_scheduler_app", "lava_results_app", "lava_rest_app", "linaro_django_xmlrpc"].map((p) => [p, p]),
    ),
    files: { "/usr/bin/lava-server": "manage.py" },
    path: [],
    edits: [
      heavyImport("lava_results_app/models.py"),
      {
        name: "lava_scheduler_app's ready() drops its signals import",
        apply: (repo) => [{ rule: SIDE_EFFECT, file: "lava_scheduler_app/apps.py", line: dropLine(repo, "lava_scheduler_app/apps.py", "import lava_scheduler_app.signals") }],
      },
      {
        // A planted cut that removes no import: a Django 3.2 clean-up drops the legacy
        // `default_app_config` (under `if django.VERSION < (3, 2)`) from the package, and apps.py
        // gains a second AppConfig subclass (a test config). With two candidates and none marked
        // `default = True`, Django silently uses the base AppConfig for "lava_scheduler_app", so
        // LAVASchedulerConfig.ready() no longer runs and its receivers (lava_scheduler_app/signals.py)
        // never connect. The real django.setup() of the edited checkout confirms it.
        name: "lava_scheduler_app gains a second AppConfig: ready() and its receivers are lost",
        apply: (repo) => {
          const init = path.join(repo.dir, "lava_scheduler_app/__init__.py");
          const legacy = fs.readFileSync(init, "utf8");
          expect(legacy).toContain("default_app_config");
          fs.writeFileSync(init, legacy.replace(/\nimport django\n[^]*$/, "\n"));
          const file = "lava_scheduler_app/apps.py";
          const abs = path.join(repo.dir, file);
          const text = fs.readFileSync(abs, "utf8");
          const line = text.split("\n").findIndex((l) => l.trim() === "import lava_scheduler_app.signals") + 1;
          fs.writeFileSync(abs, `${text.replace(/\n*$/, "\n")}\n\nclass LAVASchedulerTestConfig(LAVASchedulerConfig):\n    verbose_name = "lava_scheduler_app (tests)"\n`);
          // Outside git (lava_common.version runs `git describe` in a git checkout).
          const copy = tempDir();
          fs.cpSync(repo.dir, copy, { recursive: true, filter: (src) => path.basename(src) !== ".git" });
          const edited = djangoSetup({ settings: "lava_server.settings.prod", firstParty: [[copy, ""]], path: [copy], cwd: tempDir() });
          expect(edited.firstParty.has("lava_scheduler_app.apps")).toBe(true);
          expect(edited.firstParty.has("lava_scheduler_app.signals")).toBe(false);
          return [{ rule: LOST, file, line }];
        },
      },
      moveExceptions("", "lava_common/exceptions.py", "lava_common/errors.py"),
    ],
  },
];

const SLACK_API = "def send_message(channel, text):\n    return (channel, text)\n\n\nfrom graphite.slack_workflows import SlackWorkflow  # noqa: E402\n\n\ndef notify(channel, text):\n    return SlackWorkflow().run(channel, text)\n";
const SLACK_WORKFLOWS = "from graphite.slack_api import send_message\n\n\nclass SlackWorkflow:\n    def run(self, channel, text):\n        return send_message(channel, text)\n";
const EVENTS_MODELS = "webapp/graphite/events/models.py";

/**
 * A real cycle planted into graphite (slack_api imports the workflow class, which imports
 * send_message back at module scope), masked at the base: the events models import slack_api
 * first, then the workflows. The change drops the eager import (an "unused import" clean-up):
 * the workflows are imported first and setup raises ImportError. A real django.setup() of the
 * checkout agrees at both sides.
 */
function plantedCycle(): Edit {
  let eager = 0;
  return {
    name: "a cycle masked by an eager import in the events models is unmasked",
    plant: (repo) => {
      fs.writeFileSync(path.join(repo.dir, "webapp/graphite/slack_api.py"), SLACK_API);
      fs.writeFileSync(path.join(repo.dir, "webapp/graphite/slack_workflows.py"), SLACK_WORKFLOWS);
      eager = addTopLevelImport(repo, EVENTS_MODELS, "import graphite.slack_api");
      addTopLevelImport(repo, EVENTS_MODELS, "from graphite.slack_workflows import SlackWorkflow");
    },
    apply: (repo) => [{ rule: CYCLE, file: EVENTS_MODELS, line: dropLine(repo, EVENTS_MODELS, "import graphite.slack_api") }].map((f) => {
      expect(f.line).toBe(eager);
      return f;
    }),
    verify: (repo, at) => {
      const run = (): Setup => djangoSetup({ settings: "graphite.settings", firstParty: [[path.join(repo.dir, "webapp"), "webapp/"]], path: [path.join(repo.dir, "webapp")], cwd: tempDir() });
      if (at === "base") expect(run().firstParty.has("graphite.slack_workflows")).toBe(true);
      else expect(run).toThrow("ImportError: cannot import name 'SlackWorkflow' from partially initialized module 'graphite.slack_workflows' (most likely due to a circular import)");
    },
  };
}

/** The import order of setup() as the tool simulates it on a checkout (in process, no configuration). */
async function simulatedSetup(dir: string): Promise<Awaited<ReturnType<typeof setupImportRun>>> {
  const tree = await listWorktree(dir);
  const config = resolveConfig({}).config;
  const read = (p: string): Promise<Buffer | null> => fs.promises.readFile(path.join(dir, p)).catch(() => null);
  const graphs = await buildGraphs({ headFiles: [...tree.files, ...(await listOtherFiles(dir))], readHead: read, baseOverrides: new Map(), config, headRoot: dir });
  try {
    const side = new RepoSide("head", graphs.headFacts, namingDirs(graphs.head.sourceRoots), graphs.head, undefined, async (p) => {
      const b = await read(p);
      return b === null ? null : readStatements(b);
    });
    return await setupImportRun(side);
  } finally {
    graphs.persist();
  }
}

/** Where /usr/bin/python3 finds each package (without importing it). */
function installedDirs(packages: string[]): Record<string, string> {
  const script = "import importlib.util, json, sys\nprint(json.dumps({n: importlib.util.find_spec(n).submodule_search_locations[0] for n in sys.argv[1:]}))";
  const res = spawnSync(PYTHON, ["-I", "-c", script, ...packages], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`cannot locate ${packages.join(", ")}:\n${res.stderr}`);
  return JSON.parse(res.stdout) as Record<string, string>;
}

/** Copies a directory, following symlinks, without __pycache__; keeps empty directories with a .gitkeep, as checkouts do. */
function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, dereference: true, filter: (src) => path.basename(src) !== "__pycache__" });
  const keep = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0) fs.writeFileSync(path.join(dir, ".gitkeep"), "");
    for (const e of entries) if (e.isDirectory()) keep(path.join(dir, e.name));
  };
  keep(to);
}

interface Layout {
  repo: TestRepo;
  /** Installed directory -> checkout prefix, for the real setup(). */
  firstParty: [string, string][];
}

function layOut(p: Project): Layout {
  const repo = makeRepo();
  const dirs = installedDirs(Object.keys(p.packages));
  const firstParty: [string, string][] = [];
  for (const [name, dest] of Object.entries(p.packages)) {
    copyTree(dirs[name], path.join(repo.dir, dest));
    firstParty.push([dirs[name], `${dest}/`]);
  }
  for (const [from, to] of Object.entries(p.files)) fs.copyFileSync(from, path.join(repo.dir, to));
  firstParty.push(...p.path);
  repo.commit(`${p.name} as installed by Debian's ${p.debianPackage}`);
  return { repo, firstParty };
}

interface Static {
  settings: string | null;
  roots: { module: string; reason: string }[];
  modules: { name: string; first_party: boolean; chain: { module: string; file: string | null; line: number | null }[] }[];
  unresolved: { what: string; where: string; why: string }[];
}

/** Runs the built CLI as a user would; fails on a non-zero exit or on silence. */
function cli(args: string[], cwd: string, okCodes = [0]): { out: string; seconds: number } {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", maxBuffer: 256 << 20, timeout: 300_000 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (res.error) throw res.error;
  if (!okCodes.includes(res.status ?? -1) || res.stdout.trim() === "") {
    throw new Error(`django-startup-guard ${args.join(" ")} exited ${res.status}${res.signal ? ` (${res.signal})` : ""} printing ${res.stdout.length} bytes:\n${res.stdout.slice(0, 2000)}\n${res.stderr}`);
  }
  return { out: res.stdout, seconds };
}

/** Every file:line (or file:first-last) the `where` of an `unresolved` entry names. */
function unresolvedLines(s: Static): Set<string> {
  const out = new Set<string>();
  for (const u of s.unresolved) {
    for (const m of u.where.matchAll(/([\w./-]+\.py):(\d+)(?:-(\d+))?/g)) {
      const last = m[3] === undefined ? Number(m[2]) : Number(m[3]);
      for (let l = Number(m[2]); l <= last; l++) out.add(`${m[1]}:${l}`);
    }
  }
  return out;
}

const ratio = (n: number, d: number): string => (d === 0 ? "n/a" : (n / d).toFixed(3));

/** How an import at file:line runs, read with the project's own scanner. */
function importContext(repo: string, file: string, line: number): string {
  const facts = scanPython(fs.readFileSync(path.join(repo, file)));
  const imp = facts.imports.find((i) => i.line <= line && line <= i.endLine) ?? facts.importCalls.find((c) => c.line === line);
  return imp ? describeContext(imp.context) : "no import statement there";
}

interface Agreement {
  line: string;
  missing: string[];
  unexplained: string[];
  report: string[];
}

function agreement(p: Project, real: Setup, st: Static, repo: string): Agreement {
  const dynamic = new Set(real.firstParty.keys());
  const staticSet = new Set(st.modules.filter((m) => m.first_party).map((m) => m.name));
  const hit = [...dynamic].filter((m) => staticSet.has(m));
  const lines = unresolvedLines(st);
  const importer = (m: string): string | null => real.importers.get(m)?.[0] ?? null;
  const missing = diff(dynamic, staticSet);
  // Why each missing module is not a silent miss: its importing line is in `unresolved`, or
  // (transitively) it was imported by the code of a module that is, which the tool could not see.
  const why = new Map<string, string>();
  for (const m of missing) if (lines.has(importer(m) ?? "")) why.set(m, `${importer(m)} is in unresolved`);
  // Django's app registry imports the INSTALLED_APPS entries (and their apps/models/admin
  // modules) with no project code on the stack: such a module is explained when the tool says
  // which part of INSTALLED_APPS it could not read.
  const appsPart = st.unresolved.find((u) => /INSTALLED_APPS/.test(`${u.what} ${u.why}`));
  for (const m of missing) if (importer(m) === null && appsPart !== undefined) why.set(m, `installed by Django; INSTALLED_APPS is unresolved at ${appsPart.where}`);
  const moduleOfFile = new Map([...real.firstParty].filter(([, f]) => f !== null).map(([m, f]) => [f as string, m]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of missing) {
      const via = moduleOfFile.get((importer(m) ?? "").replace(/:\d+$/, ""));
      if (!why.has(m) && via !== undefined && why.has(via)) {
        why.set(m, `imported by ${via}, itself missing but explained`);
        grew = true;
      }
    }
  }
  const unexplained = missing.filter((m) => !why.has(m));
  const explainedCount = dynamic.size - unexplained.length;
  const line =
    `realworld-agreement: project=${p.name} dynamic=${dynamic.size} static=${staticSet.size} recall=${ratio(hit.length, dynamic.size)} ` +
    `explained=${ratio(explainedCount, dynamic.size)} precision=${ratio(hit.length, staticSet.size)}`;

  const report: string[] = [];
  // Missing modules, grouped by the line that imported them (with the first-party calls that led there).
  const byImporter = new Map<string, string[]>();
  for (const m of missing) {
    const stack = real.importers.get(m);
    const key = stack ? `${stack.slice(0, 4).join(" <- ")}${stack.length > 4 ? " <- ..." : ""}` : "Django itself (an installed app or the settings module)";
    byImporter.set(key, [...(byImporter.get(key) ?? []), m]);
  }
  for (const [where, ms] of byImporter) {
    const tag = why.has(ms[0]) ? `missing, explained (${why.get(ms[0])})` : "MISSING, not in unresolved";
    const thirdParty = ms.filter((m) => st.modules.some((s) => s.name === m && !s.first_party));
    report.push(`  ${tag}: ${ms.length} imported at ${where}: ${ms.slice(0, 6).join(", ")}${ms.length > 6 ? ", ..." : ""}`);
    if (thirdParty.length) report.push(`    (the tool has ${thirdParty.join(", ")} as third-party)`);
  }
  // Extras, by the first edge of their chain that CPython did not take.
  const byCause = new Map<string, string[]>();
  for (const m of st.modules.filter((x) => x.first_party && !dynamic.has(x.name))) {
    const i = m.chain.findIndex((link) => !dynamic.has(link.module));
    let cause: string;
    if (i <= 0) {
      cause = `root not imported by setup: ${st.roots.find((r) => r.module === m.chain[0].module)?.reason ?? "?"}`;
    } else {
      const from = m.chain[i - 1].file;
      const at = m.chain[i].line;
      cause = from && at ? `${from}:${at} (${importContext(repo, from, at)}) -> ${m.chain[i].module}` : `edge to ${m.chain[i].module}`;
    }
    byCause.set(cause, [...(byCause.get(cause) ?? []), m.name]);
  }
  for (const [cause, ms] of byCause) report.push(`  extra: ${ms.length} through ${cause}: ${ms.slice(0, 6).join(", ")}${ms.length > 6 ? ", ..." : ""}`);
  return { line, missing, unexplained, report };
}

function review(repo: TestRepo, base = "main"): FindingKey[] {
  const { out } = cli(["review", "--base", base, "--format", "json", "--fail-on", "never"], repo.dir);
  const json = JSON.parse(out) as { findings: FindingKey[]; errors: unknown[] };
  expect(json.errors).toEqual([]);
  return json.findings.map((f) => ({ rule: f.rule, file: f.file, line: f.line }));
}

/** Inserts `text` as a line after the last top-level import at module scope; returns its 1-based line. */
function addTopLevelImport(repo: TestRepo, file: string, text: string): number {
  const abs = path.join(repo.dir, file);
  const src = fs.readFileSync(abs, "utf8").split("\n");
  const facts = scanPython(Buffer.from(src.join("\n")));
  const last = facts.imports.filter((i) => i.context.kind === "top").reduce((a, i) => Math.max(a, i.endLine), 0);
  src.splice(last, 0, text);
  fs.writeFileSync(abs, src.join("\n"));
  return last + 1;
}

/** Removes the (single) line equal to `text` once trimmed; returns the 1-based line it was on. */
function dropLine(repo: TestRepo, file: string, text: string): number {
  const abs = path.join(repo.dir, file);
  const src = fs.readFileSync(abs, "utf8").split("\n");
  const i = src.findIndex((l) => l.trim() === text);
  if (i < 0) throw new Error(`${file} has no line ${text}`);
  src.splice(i, 1);
  fs.writeFileSync(abs, src.join("\n"));
  return i + 1;
}

const suiteStart = process.hrtime.bigint();
afterAll(() => {
  cleanupRepos();
  process.stdout.write(`realworld-corpus: ${(Number(process.hrtime.bigint() - suiteStart) / 1e9).toFixed(1)} s for ${PROJECTS.length} projects\n`);
});
beforeAll(() => {
  requireBuilt();
  requirePython(
    ["django", "openstack_dashboard", "graphite", "lava_server"],
    ["python3-django", ...PROJECTS.map((p) => p.debianPackage)],
  );
});

describe.each(PROJECTS)("$name", (p) => {
  let layout: Layout;
  let real: Setup;
  let st: Static;
  beforeAll(() => {
    const start = process.hrtime.bigint();
    layout = layOut(p);
    real = djangoSetup({ settings: p.settings, firstParty: layout.firstParty, path: p.path.map(([d]) => d), cwd: tempDir() });
    const run = cli(["startup", "--repo", layout.repo.dir, "--format", "json"], layout.repo.dir);
    st = JSON.parse(run.out) as Static;
    const total = Number(process.hrtime.bigint() - start) / 1e9;
    const a = agreement(p, real, st, layout.repo.dir);
    process.stdout.write(
      `${a.line}\n  settings: tool ${st.settings}, real ${p.settings}; startup ${run.seconds.toFixed(2)} s, django.setup() ${real.seconds.toFixed(2)} s; layout+setup+startup ${total.toFixed(1)} s\n${a.report.join("\n")}\n`,
    );
  }, 300_000);

  it("lays out every file the real setup() ran", () => {
    expect(real.firstParty.size).toBeGreaterThan(0);
    const absent = [...real.firstParty.values()].filter((f) => f !== null && !fs.existsSync(path.join(layout.repo.dir, f)));
    expect(absent).toEqual([]);
  });

  it("finds the settings module the project uses", () => {
    expect(st.settings).toBe(p.settings);
  });

  it.each(p.edits.map((e) => [e.name, e] as const))("review: %s", (_name, e) => {
    const repo = layout.repo;
    repo.checkout("main");
    repo.git("checkout", "-q", "-b", `edit-${p.edits.indexOf(e)}`);
    let base = "main";
    if (e.plant !== undefined) {
      e.plant(repo);
      repo.commit(`plant: ${e.name}`);
      base = repo.git("rev-parse", "HEAD").trim();
      e.verify?.(repo, "base");
    }
    const expected = e.apply(repo);
    repo.commit(e.name);
    e.verify?.(repo, "head");
    const found = review(repo, base);
    repo.checkout("main");
    const key = (f: FindingKey): string => `${f.rule} ${f.file}:${f.line}`;
    expect(found.map(key).sort()).toEqual(expected.map(key).sort());
  }, 120_000);

  it("the simulated import order raises nowhere, as the real setup() does not (startup-import-cycle stays quiet)", async () => {
    const run = await simulatedSetup(layout.repo.dir);
    expect(run).not.toBeNull();
    expect(run?.failures.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([]);
    const first = [...(run?.firstImport.keys() ?? [])].filter((m) => real.firstParty.has(m));
    process.stdout.write(`realworld-import-order: project=${p.name} simulated=${run?.firstImport.size} first-party-also-real=${first.length} uncertain=${run?.uncertain === null ? "none" : `${run?.uncertain.file}:${run?.uncertain.line}`}\n`);
  }, 120_000);

  it("reviewed as one pull request adding the whole project, no registration is reported as never connected", () => {
    const repo = layout.repo;
    repo.checkout("main");
    repo.git("checkout", "-q", "-b", "bare");
    repo.git("rm", "-r", "-q", "--", ".");
    repo.write("README", "nothing yet\n");
    repo.commit("bare");
    repo.git("checkout", "-q", "-b", "whole");
    repo.git("checkout", "main", "--", ".");
    repo.rm("README");
    repo.commit("the whole project");
    const { out } = cli(["review", "--base", "bare", "--format", "json", "--fail-on", "never"], repo.dir);
    repo.checkout("main");
    const json = JSON.parse(out) as { findings: { rule: string; file: string; line: number | null; message: string }[]; errors: unknown[] };
    expect(json.errors).toEqual([]);
    expect(json.findings.filter((f) => f.rule === NEVER).map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([]);
  }, 120_000);

  it("explains every module setup() imports: in the startup graph, or its importing line is in `unresolved`", () => {
    const a = agreement(p, real, st, layout.repo.dir);
    expect(a.unexplained.map((m) => `${m} (imported at ${real.importers.get(m)?.[0] ?? "by Django"})`)).toEqual([]);
    expect(a.line).toContain(" explained=1.000 ");
  });
});
