/**
 * Reads the guard's settings from a pyproject.toml text: `[tool.django-startup-guard]`
 * (snake_case keys) plus Ruff's `banned-module-level-imports`, which are added to the heavy
 * modules (Ruff already forbids them at module level, so they are heavy by the repo's own word).
 */

import { parse, TomlError } from "smol-toml";
import { editDistance } from "./suggest";
import { type PathSegment, validateLayer, validateModuleList, type ValidationContext } from "./schema";
import { TomlLocator } from "./toml-locate";
import type { ConfigError, PartialConfig } from "./types";

export const TABLE_NAME = "django-startup-guard";
const TABLE_PATH = ["tool", TABLE_NAME];
const RUFF_PATHS = [
  ["tool", "ruff", "lint", "flake8-tidy-imports"],
  ["tool", "ruff", "flake8-tidy-imports"], // Ruff's legacy location, still read by Ruff
];
const RUFF_KEY = "banned-module-level-imports";

export interface PyprojectConfig {
  config: PartialConfig;
  errors: ConfigError[];
}

export interface PyprojectReading extends PyprojectConfig {
  /** Canonical text of everything the guard reads from the file; equal fingerprints mean equal configs. */
  fingerprint: string;
  /** Whether the file has a `[tool.django-startup-guard]` table. */
  hasTable: boolean;
}

/** The value at `path` in a parsed TOML document (undefined when a part is missing or not a table). */
export function get(doc: unknown, path: string[]): unknown {
  let node = doc;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** JSON with sorted keys, dates as ISO text: the same data always gives the same string. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    if (typeof (value as { toISOString?: unknown }).toISOString === "function") {
      return JSON.stringify(String(value));
    }
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Like `parsePyprojectConfig`, and also says whether the file configures the guard at all. */
export function readPyproject(tomlText: string, where: string, ruleIds: readonly string[]): PyprojectReading {
  let doc: Record<string, unknown>;
  try {
    doc = parse(tomlText) as Record<string, unknown>;
  } catch (e) {
    const error = syntaxError(e, where);
    // The message carries line and column; `where` differs between base and head labels.
    return { config: {}, errors: [error], fingerprint: `invalid:${error.message}`, hasTable: false };
  }
  const errors: ConfigError[] = [];
  const locator = new TomlLocator(tomlText);
  const context = (root: string[]): ValidationContext => ({
    style: "snake",
    root,
    errors,
    ruleIds,
    locate(path: PathSegment[]): string {
      const line = locator.lineOf([...root, ...path]);
      return line === null ? where : `${where}:${line}`;
    },
  });

  const table = get(doc, TABLE_PATH);
  reportMisspelledTable(doc, context(["tool"]));
  const config = validateLayer(table, context(TABLE_PATH));

  const banned: string[] = [];
  const ruffRaw: unknown[] = [];
  for (const root of RUFF_PATHS) {
    const raw = get(doc, [...root, RUFF_KEY]);
    ruffRaw.push(raw ?? null);
    if (raw === undefined) continue;
    for (const m of validateModuleList(raw, [RUFF_KEY], context(root)) ?? []) {
      if (!banned.includes(m)) banned.push(m);
    }
  }
  if (banned.length > 0) {
    config.extendHeavyModules = [
      ...(config.extendHeavyModules ?? []),
      ...banned.filter((m) => !(config.extendHeavyModules ?? []).includes(m)),
    ];
  }
  return {
    config,
    errors,
    fingerprint: stableStringify({ table: table ?? null, ruff: ruffRaw }),
    hasTable: table !== undefined,
  };
}

/**
 * Reads `[tool.django-startup-guard]` and Ruff's banned module-level imports from a
 * pyproject.toml text. Never throws: TOML syntax errors and invalid settings come back as
 * errors naming `where` (the file name) and the line.
 */
export function parsePyprojectConfig(tomlText: string, where: string, ruleIds: readonly string[]): PyprojectConfig {
  const { config, errors } = readPyproject(tomlText, where, ruleIds);
  return { config, errors };
}

function syntaxError(e: unknown, where: string): ConfigError {
  if (e instanceof TomlError) {
    const reason = e.message.split("\n")[0].replace(/^Invalid TOML document:\s*/, "");
    return {
      kind: "config",
      where: `${where}:${e.line}`,
      message: `invalid TOML at line ${e.line}, column ${e.column}: ${reason}`,
    };
  }
  return { kind: "config", where, message: `could not read the file as TOML: ${String(e)}` };
}

/** `[tool.django_startup_guard]` and similar near misses are silently ignored otherwise. */
function reportMisspelledTable(doc: Record<string, unknown>, ctx: ValidationContext): void {
  const tool = get(doc, ["tool"]);
  if (typeof tool !== "object" || tool === null) return;
  const norm = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, "");
  for (const key of Object.keys(tool)) {
    if (key === TABLE_NAME) continue;
    if (norm(key) === norm(TABLE_NAME) || editDistance(norm(key), norm(TABLE_NAME)) <= 2) {
      ctx.errors.push({
        kind: "config",
        where: ctx.locate([key]),
        message: `tool.${key}: unknown table (did you mean "tool.${TABLE_NAME}"?); its settings are ignored`,
      });
    }
  }
}
