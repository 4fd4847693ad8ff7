import { closest } from "../config/suggest";
import { pushAll } from "../core/arrays";

/** A small strict argument parser: unknown flags and missing values are errors that name the flag. */

export interface FlagSpec {
  /** Takes a value (`--repo DIR`) or is a boolean switch. */
  value: boolean;
  /** Allowed values, when restricted. */
  choices?: readonly string[];
  /** May be given several times (values collected). */
  multiple?: boolean;
}

export class UsageError extends Error {}

export interface Parsed {
  flags: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      pushAll(positionals, argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option '${arg}' (options are long: ${Object.keys(spec).map((k) => `--${k}`).join(", ")})`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (s === undefined) {
      const near = closest(name, Object.keys(spec));
      throw new UsageError(`unknown option '--${name}'${near ? ` (did you mean --${near}?)` : ""}`);
    }
    let value = "true";
    if (s.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option '--${name}' needs a value`);
      if (s.choices && !s.choices.includes(value)) {
        throw new UsageError(`option '--${name}' must be one of ${s.choices.join(", ")} (got '${value}')`);
      }
    } else if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !s.multiple) throw new UsageError(`option '--${name}' given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { flags, positionals };
}

export function flag(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}
