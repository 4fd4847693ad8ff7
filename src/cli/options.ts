/**
 * The configuration flags every command takes: `--config FILE.json` (the dangerfile's option
 * keys), `--settings MODULE` and `--source-root DIR` (repeatable), which win over the file's.
 * Both are merged over `[tool.django-startup-guard]` of pyproject.toml like the plugin's options.
 */
import * as fs from "node:fs";
import { validateOptions } from "../review/config";
import { flag, type Parsed, UsageError } from "./args";

export const CONFIG_FLAGS = {
  config: { value: true },
  settings: { value: true },
  "source-root": { value: true, multiple: true },
} as const;

export const CONFIG_FLAGS_HELP = `      --config FILE.json   options as a JSON object with the dangerfile's keys (camelCase)
      --settings MODULE    the settings module (settings_module); default: found in the layout
      --source-root DIR    a directory that holds top-level packages (source_roots); repeat it
                           for several; default: inferred (manage.py's directory, src/,
                           package-dir, pytest's pythonpath...)`;

/** Options given as a JSON file (`--config`), validated later like the dangerfile's. */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A flag's value checked as the configuration key it stands for; a bad one is a usage error naming the flag. */
function checked(name: string, key: "settingsModule" | "sourceRoots", value: unknown): void {
  const { errors } = validateOptions({ [key]: value }, `--${name}`);
  if (errors.length > 0) throw new UsageError(errors[0].message.replace(new RegExp(`^${key}(\\[\\d+\\])?: `), `--${name}: `));
}

/** The options the flags give (undefined: none), and the name configuration errors are reported under. */
export function cliOptions(p: Parsed): { options: unknown; where: string } {
  const file = flag(p, "config");
  const json = file === undefined ? undefined : readJson(file);
  const fromFlags: Record<string, unknown> = {};
  const settings = flag(p, "settings");
  if (settings !== undefined) {
    checked("settings", "settingsModule", settings);
    fromFlags.settingsModule = settings;
  }
  const roots = p.flags.get("source-root");
  if (roots !== undefined) {
    checked("source-root", "sourceRoots", roots);
    fromFlags.sourceRoots = roots;
  }
  const where = file ?? "options";
  if (Object.keys(fromFlags).length === 0) return { options: json, where };
  if (json === undefined) return { options: fromFlags, where: "command-line options" };
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { options: json, where };
  return { options: { ...json, ...fromFlags }, where };
}
