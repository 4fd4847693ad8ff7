#!/usr/bin/env node
/** The `django-startup-guard` command line. */
import * as fs from "node:fs";
import * as path from "node:path";
import { AnalysisStalled, untilStalled } from "../core/stall";
import { flag, parseArgs, UsageError } from "./args";
import type { Io } from "./io";
import { reviewCommand } from "./review";
import { renderScanText, scanPaths } from "./scan";
import { STARTUP_HELP, startupCommand, whyCommand } from "./startup";
import { renderHelpRules } from "../rules/docs";

/** The package's version, from its package.json (two directories up from src/cli and from dist/cli; npm always ships it). */
export const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;

export const HELP = `django-startup-guard ${VERSION}: keeps django.setup() fast and intact.

Usage:
  django-startup-guard review --base REV [--head REV] [--repo DIR] [--format text|json|markdown]
                             [--fail-on message|warn|fail|never] [--config FILE.json]
                             [--settings MODULE] [--source-root DIR]... [--no-cache]
  django-startup-guard review --diff FILE|- [--base REV] [--repo DIR] ...
      Review a change (merge-base of REV and HEAD up to HEAD, like a pull request; or a
      unified diff against the checkout in --repo) for django.setup() regressions:
${renderHelpRules("        ")}
      Configuration: [tool.django-startup-guard] in pyproject.toml at the base revision,
      overridden by --config (a JSON object with the dangerfile's option keys), and that by
      --settings and --source-root. Source roots and settings are inferred at each revision
      when not given (see startup below).
      Scans are cached by git blob id in cache_dir (default $DJANGO_STARTUP_GUARD_CACHE_DIR,
      else ~/.cache/django-startup-guard: outside the repository, so a pull request cannot
      change it; keep it between CI runs); --no-cache skips it.
      Exit status: 1 when a finding is at or above --fail-on (default: fail); 2 when part of
      the change could not be read (a diff whose counts disagree with its lines, a binary
      patch to a .py file, a file the diff names that is not there), even if findings from the
      rest of the change are printed.

${STARTUP_HELP.replace(/^Usage:\n/, "").replace(/\n\nThe repository is read[^]*$/, "")}

  django-startup-guard scan PATH... [--format text|json]
      Print the import inventory of Python files or directories: every import, the line,
      and whether it runs when the module is imported (and under what condition).

  django-startup-guard --help | --version

Repositories are read, never executed.
Exit status: 0 on success, 1 on findings at --fail-on, 2 on a usage error or unreadable
input (a missing base commit says how to fetch it), 3 on an internal error (including an
analysis that stalled: it says which module it was reading).
`;


export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "--help":
      case "-h":
      case "help":
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case "--version":
        io.out(`${VERSION}\n`);
        return 0;
      case "review": {
        const code = await reviewCommand(rest, io);
        if (code === -1) io.out(HELP);
        return Math.max(code, 0);
      }
      case "startup":
        return await startupCommand(rest, io);
      case "why":
        return await whyCommand(rest, io);
      case "scan": {
        const p = parseArgs(rest, { format: { value: true, choices: ["text", "json"] }, help: { value: false } });
        if (p.flags.has("help")) {
          io.out(HELP);
          return 0;
        }
        if (p.positionals.length === 0) throw new UsageError("scan needs at least one file or directory");
        const result = scanPaths(p.positionals);
        io.out((flag(p, "format") === "json" ? JSON.stringify(result, null, 2) : renderScanText(result)) + "\n");
        return result.errors.length > 0 ? 2 : 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`django-startup-guard: ${e.message}\nRun 'django-startup-guard --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
}

/**
 * Runs a command as the binary does: its exit status, or 3 with `internal error: ...` on
 * stderr when it throws or stalls (its promise still pending when the event loop empties:
 * without this, Node would exit 0 having printed nothing).
 */
export async function runCli(argv: string[], io: Io, command: (argv: string[], io: Io) => Promise<number> = main): Promise<number> {
  try {
    return await untilStalled(command(argv, io));
  } catch (e) {
    io.err(`django-startup-guard: internal error: ${e instanceof AnalysisStalled ? e.message : ((e as Error).stack ?? String(e))}\n`);
    return 3;
  }
}

if (require.main === module) {
  // Output piped into a reader that stops early (`| head`): stop quietly, as other command-line tools do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
  void runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  }).then((code) => {
    process.exitCode = code;
  });
}
