/**
 * `django-startup-guard startup` and `django-startup-guard why MODULE`: what `django.setup()`
 * imports in a working tree, read statically (nothing in the repository is executed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ChainLink } from "../core/types";
import type { StartupGraph } from "../graph";
import { checkoutOf, kindOf, type Kind, type Startup, startupGraph, type Whereabouts, whyImported } from "../review/startup";
import { flag, type Parsed, parseArgs, UsageError } from "./args";
import type { Io } from "./io";
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, cliOptions } from "./options";
import { pushAll } from "../core/arrays";

const FLAGS = {
  repo: { value: true },
  ...CONFIG_FLAGS,
  format: { value: true, choices: ["text", "json"] },
  "no-cache": { value: false },
  help: { value: false },
} as const;

export const STARTUP_HELP = `Usage:
  django-startup-guard startup [--repo DIR] [--settings MODULE] [--source-root DIR]...
                               [--config FILE.json] [--format text|json] [--no-cache]
      The settings module and where it was found; the source roots and why each is one;
      every module django.setup() imports (first-party, stdlib or third-party), each with
      its shortest chain of imports from a startup root (a link made by calling a
      repository function at setup shows the call route); the roots and why each is one;
      what could not be resolved statically. Then the first request (the settings'
      ROOT_URLCONF and what it imports, include("app.urls") strings too): the modules only it
      imports, each with its chain from the URLconf, and what it could not resolve.

  django-startup-guard why MODULE [--repo DIR] [--settings MODULE] [--source-root DIR]...
                                  [--config FILE.json] [--format text|json] [--no-cache]
      The chain of imports through which django.setup() imports MODULE (or a module under
      it); or that MODULE is in the repository but setup does not import it; or that it is in
      the standard library, or not in the repository (with the closest name that is), and the
      repository's code does not import it at setup (Django and installed apps may: the tool
      reads only the repository's code); and, when only the first request imports it (through
      ROOT_URLCONF), that chain: web processes only, never Celery, migrate or shell.

  Configuration flags, the same for review, startup and why:
${CONFIG_FLAGS_HELP}

The repository is read, never executed. DIR defaults to the top of the git work tree holding
the current directory (as review finds it); a DIR in no git work tree is read as a plain
directory, with a warning. Without
--source-root or source_roots, the source roots are inferred: manage.py's directory (and
where wsgi.py/asgi.py resolve the same settings from), src/, setuptools' package-dir and
packages.find where (pyproject.toml, setup.cfg, setup.py), Poetry/Hatch package directories,
pytest's pythonpath, a top-level conftest.py; else the repository root (last, also when
it holds packages no other root finds and it installs from there or names them); then the
directories manage.py and the modules setup runs add to sys.path (sys.path.append/insert,
site.addsitedir of __file__-relative paths), each with its file:line. The settings module
defaults to settings_module in pyproject.toml, else the one the first manage.py whose settings
resolve names, else wsgi.py, asgi.py, celery.py, else pytest's DJANGO_SETTINGS_MODULE, else
runtests.py-like scripts'.
Scans are cached in cache_dir (default $DJANGO_STARTUP_GUARD_CACHE_DIR, else
~/.cache/django-startup-guard: outside the repository).
`;

/**
 * The repository to read: without --repo, the top of the git work tree holding the current
 * directory (as review finds it); with --repo, DIR as given. A directory in no git work tree is
 * read as a plain directory, with a warning saying so.
 */
async function repoDir(p: Parsed, io: Io): Promise<string> {
  const given = flag(p, "repo");
  const dir = path.resolve(given ?? ".");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--repo ${given ?? "."}: not a directory`);
  // An explicit directory below the top is a project of its own (a monorepo's subproject).
  const found = await checkoutOf(dir, given === undefined);
  if (found.notInGit !== undefined) {
    io.err(`django-startup-guard: warning: ${given === undefined ? "the current directory" : `--repo ${given}`} (${dir}) is not in a git work tree${found.notInGit === null ? "" : ` (${found.notInGit})`}; every file under it is read as a plain directory.\n`);
  }
  return found.dir;
}

/** The head graph of the checkout the flags name; what was not read or used is printed as a warning. */
async function graphFor(p: Parsed, io: Io): Promise<Startup> {
  const repo = await repoDir(p, io);
  const { options, where } = cliOptions(p);
  const bar = io.isTTY ? progressBar(io) : undefined;
  const head = await startupGraph({ repo, options, optionsWhere: where, cache: !p.flags.has("no-cache"), onProgress: bar?.update });
  bar?.done();
  for (const e of head.errors) io.err(`django-startup-guard: warning: ${e.where}: ${e.message}\n`);
  return head;
}

/** A progress line on a TTY: files are scanned as setup reaches them, so it counts rather than fills a bar. */
function progressBar(io: Io): { update(done: number, total: number): void; done(): void } {
  let shown = false;
  let last = 0;
  return {
    update(done: number, total: number) {
      if (done - last < 250 && done !== total) return;
      last = done;
      io.err(`\rscanning: ${done} of ${total} Python files read so far`);
      shown = true;
    },
    done() {
      if (shown) io.err("\r\x1b[K");
    },
  };
}

function chainJson(chain: ChainLink[]): { module: string; file: string | null; line: number | null; via?: string }[] {
  return chain.map((l) => (l.via === undefined ? { module: l.module, file: l.file, line: l.line } : { module: l.module, file: l.file, line: l.line, via: l.via, steps: l.steps }));
}

/** `a (a.py) -> b (a.py:3) -> c (b.py:7)`: each line is where the import is, in the previous file. */
export function chainText(chain: ChainLink[]): string {
  return chain
    .map((l, i) => {
      if (i === 0) return l.file ? `${l.module} (${l.file})` : l.module;
      return `${l.module} (${chain[i - 1].file}:${l.line}${l.via === undefined ? "" : ` ${l.via}`})`;
    })
    .join(" -> ");
}

/** What setup met but could not read (the first request's are listed with its modules). */
function setupUnresolved(g: StartupGraph): StartupGraph["unresolved"] {
  return g.unresolved.filter((u) => u.phase !== "first-request");
}

function unresolvedText(g: StartupGraph): string[] {
  const setup = setupUnresolved(g);
  if (setup.length === 0) return [];
  return ["", `Could not resolve statically (${setup.length}):`, ...setup.map((u) => `  ${u.where}: ${u.what}: ${u.why}`)];
}

/** The second phase: what only the first request imports (ROOT_URLCONF), and what it could not read. */
function firstRequestText(g: StartupGraph): string[] {
  const unread = g.unresolved.filter((u) => u.phase === "first-request");
  const lines: string[] = [];
  if (g.firstRequest !== null) {
    const mods = g.firstRequestModules();
    lines.push("", `Modules only the first request imports (${g.firstRequest.module}: ${g.firstRequest.reason}; web processes only) (${mods.length}):`);
    for (const m of mods) {
      const kind = kindOf(m.name, m.firstParty);
      lines.push(`  ${kind === "first-party" ? m.name : `${m.name} [${kind}]`}: ${chainText(m.chain)}`);
    }
  }
  if (unread.length > 0) lines.push("", `Could not resolve statically on the first request (${unread.length}):`, ...unread.map((u) => `  ${u.where}: ${u.what}: ${u.why}`));
  return lines;
}

function firstRequestJson(g: StartupGraph): unknown {
  return {
    urlconf: g.firstRequest,
    modules: g.firstRequestModules().map((m) => ({ name: m.name, first_party: m.firstParty, kind: kindOf(m.name, m.firstParty), chain: chainJson(m.chain) })),
    unresolved: g.unresolved.filter((u) => u.phase === "first-request"),
  };
}

function notesText(g: StartupGraph): string[] {
  return g.notes.length === 0 ? [] : ["", "Notes:", ...g.notes.map((n) => `  ${n}`)];
}

function settingsText(g: StartupGraph): string {
  return g.settingsModule === null ? "(none found)" : `${g.settingsModule}${g.settingsFrom ? ` (${g.settingsFrom})` : ""}`;
}

function renderStartup(g: StartupGraph): string {
  const mods = g.modules();
  const count = (k: Kind) => mods.filter((m) => kindOf(m.name, m.firstParty) === k).length;
  const lines = [`Settings: ${settingsText(g)}`, "", `Source roots (${g.sourceRoots.length}):`];
  for (const r of g.sourceRoots) lines.push(`  ${r.dir}: ${r.reason}`);
  lines.push("", `Startup roots (${g.roots.length}):`);
  for (const r of g.roots) lines.push(`  ${r.module}: ${r.reason}`);
  lines.push("", `Modules django.setup() imports (${mods.length}: ${count("first-party")} first-party, ${count("stdlib")} stdlib, ${count("third-party")} third-party):`);
  for (const m of mods) {
    const kind = kindOf(m.name, m.firstParty);
    const label = kind === "first-party" ? m.name : `${m.name} [${kind}]`;
    lines.push(m.chain.length === 1 ? `  ${label}: startup root` : `  ${label}: ${chainText(m.chain)}`);
  }
  pushAll(lines, unresolvedText(g));
  pushAll(lines, firstRequestText(g));
  pushAll(lines, notesText(g));
  return lines.join("\n") + "\n";
}

async function run(argv: string[], io: Io, body: (p: Parsed) => Promise<number>): Promise<number> {
  try {
    const p = parseArgs(argv, FLAGS);
    if (p.flags.has("help")) {
      io.out(STARTUP_HELP);
      return 0;
    }
    return await body(p);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`django-startup-guard: ${e.message}\nRun 'django-startup-guard --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
}

export function startupCommand(argv: string[], io: Io): Promise<number> {
  return run(argv, io, async (p) => {
    if (p.positionals.length > 0) throw new UsageError(`startup takes no arguments (got '${p.positionals[0]}')`);
    const { graph: g } = await graphFor(p, io);
    if (flag(p, "format") === "json") {
      const out = {
        settings: g.settingsModule,
        settings_from: g.settingsFrom,
        source_roots: g.sourceRoots,
        roots: g.roots,
        modules: g.modules().map((m) => ({ name: m.name, first_party: m.firstParty, kind: kindOf(m.name, m.firstParty), chain: chainJson(m.chain) })),
        unresolved: setupUnresolved(g),
        first_request: firstRequestJson(g),
        notes: g.notes,
      };
      io.out(JSON.stringify(out, null, 2) + "\n");
    } else io.out(renderStartup(g));
    return 0;
  });
}

/** The text of `why` for a module the graph does not reach: true whatever code outside the repository imports. */
function notReachedText(module: string, found: Whereabouts, head: Startup): string[] {
  const g = head.graph;
  const lines: string[] = [];
  const settings = g.settingsModule ? ` (settings: ${g.settingsModule})` : "";
  const noSettings = g.settingsModule === null && g.roots.length === 0;
  if (noSettings) lines.push("No settings module was found, so nothing is known to be imported at setup: pass --settings MODULE (or set settings_module or startup_roots).");
  const outside = "Django itself and installed third-party apps may still import it; the tool does not read their code.";
  if (found.kind === "first-party") {
    const where = `${module} (${found.file ?? "a namespace package"}) is in the repository`;
    lines.push(noSettings ? `${where}.` : `${where}, but django.setup() does not import it${settings}.`);
  } else {
    let near = "";
    if (found.didYouMean !== null) near = head.index.resolve(found.didYouMean) !== null ? ` (did you mean ${found.didYouMean}?)` : ` (did you mean ${found.didYouMean}, which django.setup() imports?)`;
    if (found.kind === "stdlib") lines.push(noSettings ? `${module} [stdlib] is in the standard library.` : `${module} [stdlib] is in the standard library; the repository's code does not import it at setup${settings}. ${outside}`);
    else lines.push(noSettings ? `No module ${module} in the repository${near}.` : `No module ${module} in the repository${near}. If it is third-party, the repository's code does not import it at setup${settings}. ${outside}`);
  }
  if (found.package !== null) {
    const app = g.roots.some((r) => r.module === found.package && r.reason.startsWith("INSTALLED_APPS entry"));
    const models = app && module === `${found.package}.models` ? ` Django's app registry imports the models module of every installed app, so setup imports ${module} if it exists.` : "";
    lines.push(`Its package ${found.package} is imported at setup (why ${found.package}); the tool does not read its code, so it cannot tell whether that imports ${module}.${models}`);
  }
  const unread = setupUnresolved(g).length;
  if (!noSettings && unread > 0) lines.push(`(${unread} thing${unread === 1 ? "" : "s"} could not be resolved statically; see below.)`);
  return lines;
}

export function whyCommand(argv: string[], io: Io): Promise<number> {
  return run(argv, io, async (p) => {
    if (p.positionals.length !== 1) throw new UsageError("why needs exactly one module name, e.g. 'why scipy'");
    const module = p.positionals[0];
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(module)) {
      const odd = module.split(".").find((part) => /^[0-9][A-Za-z0-9_]*$/.test(part));
      // A migration (`0001_initial`) can only be imported through importlib, which Django's migration loader does, never at setup.
      if (/^[A-Za-z0-9_.]+$/.test(module) && odd !== undefined) {
        throw new UsageError(`'${module}' is not a dotted module name: '${odd}' is not a Python identifier, so no import statement can name it (only importlib can, as Django's migration loader does when migrations run, not at setup); the tool indexes modules that imports can name`);
      }
      throw new UsageError(`'${module}' is not a dotted module name`);
    }
    const head = await graphFor(p, io);
    const g = head.graph;
    const { chain, found } = whyImported(module, head);
    const later = chain === null ? g.reachedBy(module) : null;
    if (flag(p, "format") === "json") {
      io.out(
        JSON.stringify(
          {
            settings: g.settingsModule,
            settings_from: g.settingsFrom,
            module,
            imported: chain !== null,
            kind: found?.kind ?? kindOf(module, head.index.resolve(module) !== null),
            file: found?.file ?? head.index.resolve(module)?.file ?? null,
            did_you_mean: found?.didYouMean ?? null,
            imported_package: found?.package ?? null,
            chain: chain === null ? null : chainJson(chain),
            first_request_chain: later === null ? null : chainJson(later.chain),
            unresolved: setupUnresolved(g),
          },
          null,
          2,
        ) + "\n",
      );
      return 0;
    }
    const lines: string[] = [];
    if (found !== null) pushAll(lines, notReachedText(module, found, head));
    if (later !== null && g.firstRequest !== null) {
      lines.push(`It is imported only on the first request, which imports ${g.firstRequest.module} (${g.firstRequest.reason}): in web processes only, never in Celery, migrate or shell:`);
      later.chain.forEach((l, i) => {
        const what = l.file ? `${l.module} (${l.file})` : `${l.module} [${kindOf(l.module, false)}]`;
        lines.push(i === 0 ? `  ${what}: the URLconf` : `  ${what}: imported at ${later.chain[i - 1].file}:${l.line}`);
      });
    }
    if (found === null && chain !== null) {
      const reached = chain[chain.length - 1].module;
      const root = g.roots.find((r) => r.module === chain[0].module);
      lines.push(`django.setup() imports ${reached}${reached === module ? "" : ` (under ${module})`}:`);
      chain.forEach((l, i) => {
        const what = l.file ? `${l.module} (${l.file})` : `${l.module} [${kindOf(l.module, head.index.resolve(l.module) !== null)}]`;
        if (i === 0) lines.push(`  ${what}: startup root, ${root?.reason ?? "startup root"}`);
        else lines.push(`  ${what}: imported at ${chain[i - 1].file}:${l.line}`);
      });
    }
    pushAll(lines, unresolvedText(g));
    // Without settings, the notes say what was looked for (and any settings.configure() call found).
    if (g.settingsModule === null && g.roots.length === 0) pushAll(lines, notesText(g));
    io.out(lines.join("\n") + "\n");
    return 0;
  });
}
