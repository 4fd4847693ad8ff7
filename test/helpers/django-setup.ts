/**
 * The oracle for what `django.setup()` imports: a real setup() under Debian's /usr/bin/python3
 * (python3-django), run by test/fixtures-graph/setup_modules.py, which also records the
 * first-party file:line that first imported each module.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const PYTHON = "/usr/bin/python3";
const RUNNER = path.join(__dirname, "..", "fixtures-graph", "setup_modules.py");

export interface Setup {
  /** First-party modules setup imported, with their file (checkout path; null for a namespace package). */
  firstParty: Map<string, string | null>;
  /**
   * For first-party modules imported while first-party code ran: the first-party frames
   * ("file:line") on the stack when it was first imported, innermost (the importing line) first.
   */
  importers: Map<string, string[]>;
  /** Every module setup imported (first- and third-party). */
  all: Set<string>;
  /** Wall time of django.setup() itself. */
  seconds: number;
  /** With `firstRequest`: first-party modules importing ROOT_URLCONF after setup brought in (as the first request does). */
  firstRequest?: Map<string, string | null>;
}

export interface SetupRun {
  settings: string;
  /** Directories holding the project's files, each with the checkout path prefix its files get ("" or "dir/"). */
  firstParty: [dir: string, prefix: string][];
  /** sys.path entries to put first, in order. */
  path: string[];
  cwd: string;
  /** After setup, import ROOT_URLCONF as the first request does, and report what that alone imported. */
  firstRequest?: boolean;
}

/** Runs a real django.setup(); throws with Python's stderr when it fails. */
export function djangoSetup(run: SetupRun): Setup {
  const args = ["-B", "-I", RUNNER, run.settings];
  for (const [dir, prefix] of run.firstParty) args.push("--first-party", `${dir}=${prefix}`);
  for (const p of run.path) args.push("--path", p);
  if (run.firstRequest === true) args.push("--first-request");
  const res = spawnSync(PYTHON, args, { cwd: run.cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`django.setup() failed for ${run.settings} (exit ${res.status}):\n${res.stderr ?? res.error}`);
  const out = JSON.parse(res.stdout) as { first_party: [string, string | null][]; importers: Record<string, string[]>; all: string[]; seconds: number; first_request?: [string, string | null][] };
  const setup: Setup = { firstParty: new Map(out.first_party), importers: new Map(Object.entries(out.importers)), all: new Set(out.all), seconds: out.seconds };
  if (out.first_request !== undefined) setup.firstRequest = new Map(out.first_request);
  return setup;
}

/** Throws, saying what to install, unless /usr/bin/python3 can import every module named. */
export function requirePython(modules: string[], debianPackages: string[]): void {
  const res = spawnSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" });
  if (res.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import ${modules.join(", ")}. Run \`sh scripts/ensure-test-deps.sh\` (as root; \`npm test\` runs it first), ` +
        `or \`apt-get install --no-install-recommends ${debianPackages.join(" ")}\`.\n${res.stderr ?? res.error}`,
    );
  }
}

/** Elements of `a` not in `b`, sorted. */
export function diff(a: Iterable<string>, b: Iterable<string>): string[] {
  const bs = new Set(b);
  return [...a].filter((x) => !bs.has(x)).sort();
}
