/**
 * Pull-request scenarios over the fixture monorepo (`fixtures/monorepo`), each a real git
 * repository: branch `main` is the monorepo, branch `pr` applies the scenario on top.
 *
 *   const { dir, base, head } = await buildScenarioRepo("heavy-direct-models");
 *   // review base...head in `dir`, then compare with loadScenario(name).expect
 *   afterAll(removeScenarioRepos);
 *
 * The scenario format is described in fixtures/scenarios/README.md.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import type { Finding, Severity } from "../../src/core/types";
import type { RuleId } from "../../src/rules";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures");
export const MONOREPO_DIR = join(FIXTURES_DIR, "monorepo");
export const SCENARIOS_DIR = join(FIXTURES_DIR, "scenarios");
/** `python3 -B django_setup_probe.py REPO [--import M]... [--test M]...`: runs django.setup(), prints JSON. */
export const PROBE_SCRIPT = join(FIXTURES_DIR, "tools", "django_setup_probe.py");

/** One finding a scenario must produce (and, together, all of them: nothing else may be reported). */
export interface ExpectedFinding {
  rule: RuleId;
  /** Repository-relative path at head (at base for a deleted file). */
  file: string;
  /** 1-based line at head (at base for a deleted file); null for a file-level finding. */
  line: number | null;
  /** With the monorepo's pyproject.toml in force. */
  severity: Severity;
  /** Whether `line` is one of the lines the pull request added. */
  inDiff: boolean;
  /** A substring of the line at `line` (checked by the self-test, so line numbers cannot drift). */
  text?: string;
  /**
   * Modules the finding's import chain must pass through, in this order (other links may sit
   * between them). An entry matches a link whose module is the entry or starts with `entry.`.
   */
  via?: string[];
  /** Strings that must each appear in the finding's message, why, fix, details or fix code. */
  mentions?: string[];
}

/** What really happens in `django.setup()` at head compared with base (see the probe). */
export interface RuntimeEffect {
  /** Heavy-list entries with a module in sys.modules after setup at head and not at base. */
  heavyAdded: string[];
  /** Heavy-list entries loaded at base and not at head. */
  heavyRemoved: string[];
  /** Receivers (`module.qualname`) connected after setup at base and not at head. */
  receiversLost: string[];
  /** Models (`app_label.Model`) registered after setup at base and not at head. */
  modelsLost: string[];
  /** Test modules (dotted) present at head that pass at base (or are new) and fail at head. */
  testsBroken: string[];
  /** A substring of the exception django.setup() raises at head (the other effects are then not measured: list them as the scenarios it extends measure them). */
  setupError?: string;
  /** Modules the head adds registrations to that neither setup nor the URLconf (the first request) imports, and that import cleanly. */
  neverImported: string[];
}

export interface ScenarioChanges {
  /** Path -> full new content at head (added or replaced), from `<name>/files/**`. */
  write: Record<string, string>;
  /** Paths removed at head (`git rm`). */
  delete: string[];
  /** `[old, new]` pairs moved with `git mv` before anything is written. */
  rename: [string, string][];
}

export interface Scenario {
  name: string;
  description: string;
  /** Scenarios whose changes this one starts from, in order. */
  extends: string[];
  /** The head is only valid Python from this version on (e.g. PEP 810 `lazy import`: "3.15"). */
  minPython: string | null;
  /** Changes with `extends` resolved: the complete difference between base and head. */
  changes: ScenarioChanges;
  expect: ExpectedFinding[];
  /** null when the head cannot run on the test machine's Python (see `minPython`). */
  runtime: RuntimeEffect | null;
}

interface ScenarioFile {
  description: string;
  extends?: string[];
  minPython?: string;
  changes?: { rename?: [string, string][]; delete?: string[] };
  expect: ExpectedFinding[];
  runtime: Partial<RuntimeEffect> | null;
}

/** Names of every scenario (directories of fixtures/scenarios holding a scenario.json), sorted. */
export function listScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((name) => existsSync(join(SCENARIOS_DIR, name, "scenario.json")))
    .sort();
}

function checkRepoPath(path: string, where: string): string {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || path.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new Error(`${where}: ${JSON.stringify(path)} is not a clean repository-relative POSIX path`);
  }
  return path;
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry === "__pycache__" || entry === ".git") continue;
      const abs = join(dir, entry);
      if (statSync(abs).isDirectory()) walk(abs);
      else out.push(relative(root, abs).split(sep).join("/"));
    }
  };
  walk(root);
  return out;
}

const cache = new Map<string, Scenario>();

/** Reads `fixtures/scenarios/<name>`, resolving `extends`. Throws on a malformed scenario. */
export function loadScenario(name: string, seen: string[] = []): Scenario {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  if (seen.includes(name)) throw new Error(`scenario ${name}: extends cycle ${[...seen, name].join(" -> ")}`);
  const dir = join(SCENARIOS_DIR, name);
  const raw = JSON.parse(readFileSync(join(dir, "scenario.json"), "utf8")) as ScenarioFile;
  const where = `scenario ${name}`;

  const changes: ScenarioChanges = { write: {}, delete: [], rename: [] };
  const parents = raw.extends ?? [];
  for (const parent of parents) {
    const p = loadScenario(parent, [...seen, name]).changes;
    changes.rename.push(...p.rename);
    changes.delete.push(...p.delete.filter((d) => !changes.delete.includes(d)));
    Object.assign(changes.write, p.write);
  }
  for (const [from, to] of raw.changes?.rename ?? []) {
    changes.rename.push([checkRepoPath(from, where), checkRepoPath(to, where)]);
  }
  for (const path of raw.changes?.delete ?? []) {
    if (!changes.delete.includes(path)) changes.delete.push(checkRepoPath(path, where));
  }
  const filesDir = join(dir, "files");
  for (const path of filesUnder(filesDir)) {
    changes.write[checkRepoPath(path, where)] = readFileSync(join(filesDir, ...path.split("/")), "utf8");
  }

  const runtime: RuntimeEffect | null =
    raw.runtime === null
      ? null
      : {
          heavyAdded: raw.runtime.heavyAdded ?? [],
          heavyRemoved: raw.runtime.heavyRemoved ?? [],
          receiversLost: raw.runtime.receiversLost ?? [],
          modelsLost: raw.runtime.modelsLost ?? [],
          testsBroken: raw.runtime.testsBroken ?? [],
          ...(raw.runtime.setupError === undefined ? {} : { setupError: raw.runtime.setupError }),
          neverImported: raw.runtime.neverImported ?? [],
        };
  const scenario: Scenario = {
    name,
    description: raw.description,
    extends: parents,
    minPython: raw.minPython ?? null,
    changes,
    expect: raw.expect,
    runtime,
  };
  cache.set(name, scenario);
  return scenario;
}

// ---------------------------------------------------------------------------------------
// Building the repository

const IDENTITY = ["-c", "user.name=Scenario Builder", "-c", "user.email=scenarios@example.com", "-c", "commit.gpgsign=false"];
const created: string[] = [];

/** Environment for git: no global or system configuration, commits dated `date` (also used by git-repo.ts). */
export function neutralGitEnv(date: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
  };
}

/** Runs git in `cwd` (neutral config, fixed identity and dates); returns stdout. */
export function scenarioGit(cwd: string, args: string[], date = "1700000000 +0000"): string {
  try {
    return execFileSync("git", [...IDENTITY, ...args], {
      cwd,
      env: neutralGitEnv(date),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${err.stderr ?? err.message}`);
  }
}

/**
 * Creates a real git repository for the scenario: `main` holds fixtures/monorepo (one commit),
 * `pr` (checked out) holds one more commit applying the scenario: renames with `git mv`, then
 * the files written, then deletions with `git rm`. Commits have fixed authors and dates, so
 * SHAs are the same on every run. `dir` must not exist or be empty; by default a new temporary
 * directory is used (removed by `removeScenarioRepos()`).
 */
export async function buildScenarioRepo(
  name: string,
  dir?: string,
): Promise<{ dir: string; base: string; head: string }> {
  const scenario = loadScenario(name);
  let root: string;
  if (dir === undefined) {
    root = mkdtempSync(join(tmpdir(), `dsg-scenario-${name}-`));
    created.push(root);
  } else {
    mkdirSync(dir, { recursive: true });
    if (readdirSync(dir).length > 0) throw new Error(`buildScenarioRepo: ${dir} is not empty`);
    root = dir;
  }
  const abs = (p: string): string => join(root, ...p.split("/"));

  scenarioGit(root, ["init", "-q", "-b", "main"]);
  scenarioGit(root, ["config", "core.autocrlf", "false"]);
  cpSync(MONOREPO_DIR, root, {
    recursive: true,
    filter: (src) => !src.split(sep).includes("__pycache__") && !src.endsWith(".pyc"),
  });
  scenarioGit(root, ["add", "-A"]);
  scenarioGit(root, ["commit", "-q", "--no-verify", "-m", "base: fixture monorepo"]);

  scenarioGit(root, ["checkout", "-q", "-b", "pr"]);
  for (const [from, to] of scenario.changes.rename) {
    mkdirSync(dirname(abs(to)), { recursive: true });
    scenarioGit(root, ["mv", "--", from, to]);
  }
  for (const [path, content] of Object.entries(scenario.changes.write)) {
    mkdirSync(dirname(abs(path)), { recursive: true });
    writeFileSync(abs(path), content);
  }
  for (const path of scenario.changes.delete) scenarioGit(root, ["rm", "-q", "--", path]);
  scenarioGit(root, ["add", "-A"]);
  scenarioGit(root, ["commit", "-q", "--no-verify", "-m", `pr: ${name}`], "1700000100 +0000");
  return { dir: root, base: "main", head: "pr" };
}

/** Removes every temporary repository made by `buildScenarioRepo`. Call from `afterAll`. */
export function removeScenarioRepos(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Comparing findings with expectations

function chainMatches(via: string[], chain: { module: string }[] | undefined): boolean {
  if (chain === undefined) return false;
  let i = 0;
  for (const link of chain) {
    if (i < via.length && (link.module === via[i] || link.module.startsWith(`${via[i]}.`))) i++;
  }
  return i === via.length;
}

function findingText(f: Finding): string {
  return [f.message, f.why, f.fix, ...(f.details ?? []), f.fixCode?.path ?? "", f.fixCode?.code ?? ""].join("\n");
}

/** Whether a finding satisfies an expectation (rule, file, line, severity, inDiff, via, mentions). */
export function findingMatches(e: ExpectedFinding, f: Finding): boolean {
  if (f.rule !== e.rule || f.file !== e.file || f.line !== e.line || f.severity !== e.severity) return false;
  if (f.inDiff !== e.inDiff) return false;
  if (e.via !== undefined && !chainMatches(e.via, f.chain)) return false;
  const text = findingText(f);
  return (e.mentions ?? []).every((m) => text.includes(m));
}

/**
 * Pairs findings with expectations one to one. `missing`: expectations no finding satisfied;
 * `unexpected`: findings left over. Both empty means the review is exactly what was expected.
 */
export function compareFindings(
  expected: readonly ExpectedFinding[],
  findings: readonly Finding[],
): { missing: ExpectedFinding[]; unexpected: Finding[] } {
  const left = [...findings];
  const missing: ExpectedFinding[] = [];
  for (const e of expected) {
    const i = left.findIndex((f) => findingMatches(e, f));
    if (i === -1) missing.push(e);
    else left.splice(i, 1);
  }
  return { missing, unexpected: left };
}

// ---------------------------------------------------------------------------------------
// Running django.setup() on a checkout

export interface ProbeResult {
  setup: string;
  modules: string[];
  receivers?: string[];
  /** Receivers connected after the `--import` modules are imported too (the URLconf: a web process after its first request). */
  receivers_after_imports?: string[];
  models?: string[];
  imports?: Record<string, string>;
  importedBy?: Record<string, string[]>;
  tests?: Record<string, string>;
  syntax: string[];
}

let djangoPython: string | null | undefined;

/** A Python 3 interpreter that can `import django` (Debian's python3-django), or null. */
export function findDjangoPython(): string | null {
  if (djangoPython !== undefined) return djangoPython;
  djangoPython = null;
  for (const candidate of [process.env.DJANGO_PYTHON, "/usr/bin/python3", "python3"]) {
    if (candidate === undefined || candidate === "") continue;
    try {
      execFileSync(candidate, ["-B", "-c", "import django"], { stdio: "ignore" });
      djangoPython = candidate;
      break;
    } catch {
      // try the next one
    }
  }
  return djangoPython;
}

/** Runs the probe (django.setup() and more) on a checkout of the monorepo. */
export function runProbe(
  python: string,
  repoDir: string,
  opts: { imports?: string[]; tests?: string[] } = {},
): ProbeResult {
  const args = ["-B", PROBE_SCRIPT, repoDir];
  for (const m of opts.imports ?? []) args.push("--import", m);
  for (const m of opts.tests ?? []) args.push("--test", m);
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: "1" };
  delete env.DJANGO_SETTINGS_MODULE;
  delete env.PYTHONPATH;
  const out = execFileSync(python, args, { cwd: repoDir, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as ProbeResult;
}

/** Dotted module names of the test modules (`test_*.py`) under a checkout. */
export function testModules(repoDir: string): string[] {
  return filesUnder(repoDir)
    .filter((p) => /(^|\/)test_[^/]*\.py$/.test(p))
    .map((p) => p.slice(0, -3).split("/").join("."));
}
