/**
 * `django-startup-guard startup` and `django-startup-guard why MODULE`: what `django.setup()`
 * imports in a working tree, read statically (nothing in the repository is executed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveConfig } from "../config";
import type { ChainLink } from "../core/types";
import { buildGraphs, listWorktree, openScanCache, type StartupGraph } from "../graph";
import { flag, type Parsed, parseArgs, UsageError } from "./args";
import { notReadableReason } from "../core/safe-read";
import { WorkingTreeReader } from "../source/git";

export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

const FLAGS = {
  repo: { value: true },
  settings: { value: true },
  format: { value: true, choices: ["text", "json"] },
  "no-cache": { value: false },
  help: { value: false },
} as const;

export const STARTUP_HELP = `Usage:
  django-startup-guard startup [--repo DIR] [--settings MODULE] [--format text|json] [--no-cache]
      Every module django.setup() imports, each with its shortest chain of imports from a
      startup root; the roots and why each is one; what could not be resolved statically.

  django-startup-guard why MODULE [--repo DIR] [--settings MODULE] [--format text|json] [--no-cache]
      The chain of imports through which django.setup() imports MODULE (or a module under
      it), or a plain statement that it does not.

The repository is read, never executed. DIR defaults to the current directory; the
settings module defaults to settings_module in pyproject.toml, else the one manage.py,
wsgi.py, asgi.py or celery.py names. Scans are cached in cache_dir (default
$DJANGO_STARTUP_GUARD_CACHE_DIR, else ~/.cache/django-startup-guard: outside the repository).
`;

/** Builds the head graph of a working tree. */
async function graphFor(p: Parsed, io: CommandIo): Promise<StartupGraph> {
  const repo = path.resolve(flag(p, "repo") ?? ".");
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) throw new UsageError(`--repo ${flag(p, "repo") ?? "."}: not a directory`);
  const reader = new WorkingTreeReader(repo);
  const settings = flag(p, "settings");
  const resolved = resolveConfig({
    pyprojectAtHead: await readConfigFile(reader, "pyproject.toml", io),
    options: settings === undefined ? {} : { settingsModule: settings },
    optionsWhere: "--settings",
  });
  for (const e of resolved.errors) {
    if (e.where === "--settings") throw new UsageError(e.message.replace(/^settingsModule: /, "--settings: "));
    io.err(`django-startup-guard: warning: ${e.where}: ${e.message}\n`);
  }
  const { config } = resolved;
  const tree = await listWorktree(repo);
  const bar = io.isTTY ? progressBar(io) : undefined;
  const opened = p.flags.has("no-cache") ? null : await openScanCache(repo, config.cacheDir);
  if (opened?.problem !== undefined) io.err(`django-startup-guard: warning: ${opened.problem.where}: ${opened.problem.message}\n`);
  const graphs = await buildGraphs({
    headFiles: tree.files,
    readHead: (f) => reader.read(f).catch(() => null),
    headRoot: repo,
    baseOverrides: new Map(),
    config,
    headBlobShas: tree.shas,
    headSymlinks: tree.links,
    cache: opened?.cache,
    onProgress: bar?.update,
  });
  graphs.persist();
  bar?.done();
  return graphs.head;
}

/** A configuration file of the checkout, read as git stores it (a link or a FIFO is reported, never followed). */
async function readConfigFile(reader: WorkingTreeReader, file: string, io: CommandIo): Promise<string | null> {
  try {
    const bytes = await reader.read(file);
    if (bytes !== null && (await reader.symlinks()).has(file)) throw new Error(notReadableReason("ESYMLINK") ?? "");
    return bytes === null ? null : bytes.toString("utf8");
  } catch (e) {
    io.err(`django-startup-guard: warning: ${file}: ${(e as Error).message}; not read\n`);
    return null;
  }
}

/** A progress line on a TTY: files are scanned as setup reaches them, so it counts rather than fills a bar. */
function progressBar(io: CommandIo): { update(done: number, total: number): void; done(): void } {
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

function chainJson(chain: ChainLink[]): { module: string; file: string | null; line: number | null }[] {
  return chain.map((l) => ({ module: l.module, file: l.file, line: l.line }));
}

/** `a (a.py) -> b (a.py:3) -> c (b.py:7)`: each line is where the import is, in the previous file. */
export function chainText(chain: ChainLink[]): string {
  return chain
    .map((l, i) => {
      if (i === 0) return l.file ? `${l.module} (${l.file})` : l.module;
      return `${l.module} (${chain[i - 1].file}:${l.line})`;
    })
    .join(" -> ");
}

function unresolvedText(g: StartupGraph): string[] {
  if (g.unresolved.length === 0) return [];
  return ["", `Could not resolve statically (${g.unresolved.length}):`, ...g.unresolved.map((u) => `  ${u.where}: ${u.what}: ${u.why}`)];
}

function renderStartup(g: StartupGraph): string {
  const mods = g.modules();
  const first = mods.filter((m) => m.firstParty).length;
  const lines = [`Settings: ${g.settingsModule ?? "(none found)"}`, "", `Startup roots (${g.roots.length}):`];
  for (const r of g.roots) lines.push(`  ${r.module}: ${r.reason}`);
  lines.push("", `Modules django.setup() imports (${mods.length}: ${first} first-party, ${mods.length - first} third-party):`);
  for (const m of mods) {
    const label = m.firstParty ? m.name : `${m.name} [third-party]`;
    lines.push(m.chain.length === 1 ? `  ${label}: startup root` : `  ${label}: ${chainText(m.chain)}`);
  }
  lines.push(...unresolvedText(g));
  if (g.notes.length > 0) lines.push("", "Notes:", ...g.notes.map((n) => `  ${n}`));
  return lines.join("\n") + "\n";
}

async function run(argv: string[], io: CommandIo, body: (p: Parsed) => Promise<number>): Promise<number> {
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

export function startupCommand(argv: string[], io: CommandIo): Promise<number> {
  return run(argv, io, async (p) => {
    if (p.positionals.length > 0) throw new UsageError(`startup takes no arguments (got '${p.positionals[0]}')`);
    const g = await graphFor(p, io);
    if (flag(p, "format") === "json") {
      const out = {
        settings: g.settingsModule,
        roots: g.roots,
        modules: g.modules().map((m) => ({ name: m.name, first_party: m.firstParty, chain: chainJson(m.chain) })),
        unresolved: g.unresolved,
      };
      io.out(JSON.stringify(out, null, 2) + "\n");
    } else io.out(renderStartup(g));
    return 0;
  });
}

export function whyCommand(argv: string[], io: CommandIo): Promise<number> {
  return run(argv, io, async (p) => {
    if (p.positionals.length !== 1) throw new UsageError("why needs exactly one module name, e.g. 'why scipy'");
    const module = p.positionals[0];
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(module)) throw new UsageError(`'${module}' is not a dotted module name`);
    const g = await graphFor(p, io);
    const chain = g.chainTo(module) ?? g.chainToPrefix(module);
    if (flag(p, "format") === "json") {
      io.out(JSON.stringify({ settings: g.settingsModule, module, imported: chain !== null, chain: chain === null ? null : chainJson(chain), unresolved: g.unresolved }, null, 2) + "\n");
      return 0;
    }
    const lines: string[] = [];
    if (chain === null) {
      lines.push(`django.setup() does not import ${module}${g.settingsModule ? ` (settings: ${g.settingsModule})` : ""}.`);
      if (g.settingsModule === null && g.roots.length === 0) lines.push("No settings module was found, so nothing is imported: pass --settings MODULE.");
      else if (g.unresolved.length > 0) lines.push(`(${g.unresolved.length} thing${g.unresolved.length === 1 ? "" : "s"} could not be resolved statically; see below.)`);
    } else {
      const found = chain[chain.length - 1].module;
      const root = g.roots.find((r) => r.module === chain[0].module);
      lines.push(`django.setup() imports ${found}${found === module ? "" : ` (under ${module})`}:`);
      chain.forEach((l, i) => {
        const what = l.file ? `${l.module} (${l.file})` : `${l.module} [third-party]`;
        if (i === 0) lines.push(`  ${what}: startup root, ${root?.reason ?? "startup root"}`);
        else lines.push(`  ${what}: imported at ${chain[i - 1].file}:${l.line}`);
      });
    }
    lines.push(...unresolvedText(g));
    io.out(lines.join("\n") + "\n");
    return 0;
  });
}
