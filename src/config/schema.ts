/**
 * One schema for both configuration sources: the `[tool.django-startup-guard]` table
 * (snake_case keys) and the Danger/CLI options object (camelCase keys). Validation is strict
 * (unknown keys and wrong values are errors that name the key and what is allowed) and
 * forgiving (a bad part is reported and left out; the rest is used).
 */

import picomatch from "picomatch";
import type { SeveritySetting } from "../core/types";
import { closest, didYouMean, suggestSeverity } from "./suggest";
import {
  type ConfigError,
  isSeveritySetting,
  type Override,
  type PartialConfig,
  type RuleId,
  SEVERITY_SETTINGS,
} from "./types";

type Kind =
  | "url"
  | "rules"
  | "modules"
  | "names"
  | "globs"
  | "roots"
  | "overrides"
  | "settingsModule"
  | "bytes"
  | "dir"
  | "file"
  | "count";

interface FieldSpec {
  camel: keyof PartialConfig;
  snake: string;
  kind: Kind;
}

/** Every configuration key, in the order the docs list them. */
export const FIELDS: readonly FieldSpec[] = [
  { camel: "docsUrl", snake: "docs_url", kind: "url" },
  { camel: "rules", snake: "rules", kind: "rules" },
  { camel: "heavyModules", snake: "heavy_modules", kind: "modules" },
  { camel: "extendHeavyModules", snake: "extend_heavy_modules", kind: "modules" },
  { camel: "receiverDecorators", snake: "receiver_decorators", kind: "names" },
  { camel: "extendReceiverDecorators", snake: "extend_receiver_decorators", kind: "names" },
  { camel: "exceptionModuleGlobs", snake: "exception_module_globs", kind: "globs" },
  { camel: "extendExceptionModuleGlobs", snake: "extend_exception_module_globs", kind: "globs" },
  { camel: "overrides", snake: "overrides", kind: "overrides" },
  { camel: "exclude", snake: "exclude", kind: "globs" },
  { camel: "extendExclude", snake: "extend_exclude", kind: "globs" },
  { camel: "settingsModule", snake: "settings_module", kind: "settingsModule" },
  { camel: "sourceRoots", snake: "source_roots", kind: "roots" },
  { camel: "testGlobs", snake: "test_globs", kind: "globs" },
  { camel: "extendTestGlobs", snake: "extend_test_globs", kind: "globs" },
  { camel: "maxFileBytes", snake: "max_file_bytes", kind: "bytes" },
  { camel: "startupRoots", snake: "startup_roots", kind: "modules" },
  { camel: "extendStartupRoots", snake: "extend_startup_roots", kind: "modules" },
  { camel: "cacheDir", snake: "cache_dir", kind: "dir" },
  { camel: "subsystemThreshold", snake: "subsystem_threshold", kind: "count" },
  { camel: "importtimeLog", snake: "importtime_log", kind: "file" },
];

export type PathSegment = string | number;

export interface ValidationContext {
  style: "camel" | "snake";
  /** Path shown before every key (`["tool", "django-startup-guard"]` for pyproject, `[]` for options). */
  root: string[];
  /** Where a path is (`pyproject.toml:12`, or the options' name). */
  locate(path: PathSegment[]): string;
  errors: ConfigError[];
  /** The rule ids a `rules` table may name. */
  ruleIds: readonly string[];
}

export function formatPath(segments: PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? s : `.${s}`;
  }
  return out;
}

function report(ctx: ValidationContext, path: PathSegment[], problem: string, at = path): void {
  const shown = formatPath([...ctx.root, ...path]);
  ctx.errors.push({
    kind: "config",
    where: ctx.locate(at),
    message: shown === "" ? problem : `${shown}: ${problem}`,
  });
}

/** Plain-words description of a value for "got ..." messages. */
export function describeValue(value: unknown, style: "camel" | "snake" = "camel"): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "bigint") return `the number ${String(value)}`;
  if (typeof value === "boolean") return `the boolean ${String(value)}`;
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date || (typeof value === "object" && value.constructor?.name === "TomlDate")) {
    return "a date";
  }
  if (typeof value === "function") return "a function";
  return style === "snake" ? "a table" : "an object";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function objectWord(ctx: ValidationContext): string {
  return ctx.style === "snake" ? "a table" : "an object";
}

function keyOf(spec: FieldSpec, ctx: ValidationContext): string {
  return ctx.style === "snake" ? spec.snake : spec.camel;
}

export function allowedKeys(style: "camel" | "snake"): string[] {
  return FIELDS.map((f) => (style === "snake" ? f.snake : f.camel));
}

function unknownKey(
  ctx: ValidationContext,
  parent: PathSegment[],
  key: string,
  allowed: readonly string[],
): void {
  report(
    ctx,
    parent,
    `unknown key "${key}"${didYouMean(closest(key, allowed))}; allowed keys: ${allowed.join(", ")}`,
    [...parent, key],
  );
}

const DOTTED_NAME = /^[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/** Validates a whole layer. `extraKeys` are accepted and left alone (the caller's own options). */
export function validateLayer(
  value: unknown,
  ctx: ValidationContext,
  extraKeys: readonly string[] = [],
): PartialConfig {
  const out: PartialConfig = {};
  if (value === undefined || value === null) return out;
  if (!isPlainObject(value)) {
    report(ctx, [], `expected ${objectWord(ctx)} of settings, got ${describeValue(value, ctx.style)}`);
    return out;
  }
  const allowed = allowedKeys(ctx.style);
  for (const [key, raw] of Object.entries(value)) {
    const spec = FIELDS.find((f) => keyOf(f, ctx) === key);
    if (spec === undefined) {
      if (!extraKeys.includes(key)) unknownKey(ctx, [], key, [...allowed, ...extraKeys]);
      continue;
    }
    const parsed = validateField(spec.kind, raw, [key], ctx);
    if (parsed !== undefined) (out as Record<string, unknown>)[spec.camel] = parsed;
  }
  return out;
}

function validateField(kind: Kind, raw: unknown, path: PathSegment[], ctx: ValidationContext): unknown {
  switch (kind) {
    case "url":
      return validateUrl(raw, path, ctx);
    case "rules":
      return validateRules(raw, path, ctx);
    case "modules":
      return validateList(raw, path, ctx, "dotted module names", checkDottedName);
    case "names":
      return validateList(raw, path, ctx, "decorator names", checkDottedName);
    case "globs":
      return validateList(raw, path, ctx, "glob patterns", checkGlob);
    case "roots":
      return validateList(raw, path, ctx, "directory paths", checkRoot);
    case "overrides":
      return validateOverrides(raw, path, ctx);
    case "settingsModule":
      if (raw === null && ctx.style === "camel") return null;
      if (typeof raw === "string" && DOTTED_NAME.test(raw)) return raw;
      report(
        ctx,
        path,
        `expected a dotted module name such as "myproject.settings"${ctx.style === "camel" ? " or null" : ""}, got ${describeValue(raw, ctx.style)}`,
      );
      return undefined;
    case "bytes":
      if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) return raw;
      report(ctx, path, `expected a positive whole number of bytes, got ${describeValue(raw, ctx.style)}`);
      return undefined;
    case "count":
      if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) return raw;
      report(ctx, path, `expected a positive whole number of modules, got ${describeValue(raw, ctx.style)}`);
      return undefined;
    case "dir":
      if (typeof raw === "string" && raw.trim() !== "" && !raw.includes("\0")) return raw.replace(/\/+$/, "") || "/";
      report(ctx, path, `expected a directory path (relative to the repository root, or absolute), got ${describeValue(raw, ctx.style)}`);
      return undefined;
    case "file":
      if (typeof raw === "string" && raw.trim() !== "" && !raw.includes("\0") && !raw.endsWith("/")) return raw;
      report(ctx, path, `expected a file path (relative to the repository root, or absolute), got ${describeValue(raw, ctx.style)}`);
      return undefined;
  }
}

function validateUrl(raw: unknown, path: PathSegment[], ctx: ValidationContext): string | undefined {
  if (typeof raw === "string") {
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {
      url = null;
    }
    if (url !== null && (url.protocol === "https:" || url.protocol === "http:")) return raw;
  }
  report(ctx, path, `expected an http(s) URL, got ${describeValue(raw, ctx.style)}`);
  return undefined;
}

/** Returns the normalised element, or an error text. */
type ElementCheck = (value: string) => { ok: string } | { problem: string };

function checkDottedName(value: string): { ok: string } | { problem: string } {
  return DOTTED_NAME.test(value) ? { ok: value } : { problem: "is not a dotted Python name" };
}

/** Marks of a regular expression written where a glob belongs: `^shop/.*$`, `.+`, `(?:...)`. */
const REGEX_LIKE = /^\^|\$$|\.\+|\(\?/;

function checkGlob(value: string): { ok: string } | { problem: string } {
  if (value.trim() === "") return { problem: "is empty" };
  if (REGEX_LIKE.test(value)) {
    return { problem: 'looks like a regular expression, not a glob ("^", "$", ".+" and "(?" are literal characters in a glob): write "shop/**" for everything under shop/' };
  }
  if (value.startsWith("/")) return { problem: "starts with \"/\"; globs are relative to the repository root" };
  if (value.includes("\\")) return { problem: "contains \"\\\"; use \"/\" as the path separator" };
  // Brackets are where a glob can be malformed; picomatch's parser (strict about them) says how.
  // Only those globs are parsed here: compiling every glob would cost ~0.1 ms each.
  if (/[[\]{}()]/.test(value)) {
    try {
      picomatch.makeRe(value, { dot: true, strictBrackets: true });
    } catch (e) {
      return { problem: `is not a valid glob: ${(e as Error).message.replace(/ - use .*$/, "")}` };
    }
  }
  return { ok: value.replace(/^(?:\.\/)+/, "") };
}

function checkRoot(value: string): { ok: string } | { problem: string } {
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value)) {
    return { problem: "is absolute; source roots are relative to the repository root" };
  }
  if (value.includes("\\")) return { problem: "contains \"\\\"; use \"/\" as the path separator" };
  const parts = value.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return { problem: "leaves the repository (\"..\")" };
  return { ok: parts.length === 0 ? "." : parts.join("/") };
}

function validateList(
  raw: unknown,
  path: PathSegment[],
  ctx: ValidationContext,
  what: string,
  check: ElementCheck,
): string[] | undefined {
  if (!Array.isArray(raw)) {
    report(ctx, path, `expected a list of ${what}, got ${describeValue(raw, ctx.style)}`);
    return undefined;
  }
  const out = new Set<string>();
  raw.forEach((item: unknown, i) => {
    if (typeof item !== "string") {
      report(ctx, [...path, i], `expected a string, got ${describeValue(item, ctx.style)}`);
      return;
    }
    const result = check(item);
    if ("problem" in result) report(ctx, [...path, i], `${JSON.stringify(item)} ${result.problem}`);
    else out.add(result.ok);
  });
  return [...out];
}

function validateSeverity(raw: unknown, path: PathSegment[], ctx: ValidationContext): SeveritySetting | undefined {
  let value = raw;
  let valuePath = path;
  if (isPlainObject(raw)) {
    // The table form: `[tool.django-startup-guard.rules.<id>] severity = "warn"`.
    const severityKey = Object.keys(raw).includes("severity");
    for (const key of Object.keys(raw)) {
      if (key !== "severity") unknownKey(ctx, path, key, ["severity"]);
    }
    if (!severityKey) {
      report(ctx, path, `expected a "severity" key; allowed severities: ${SEVERITY_SETTINGS.join(", ")}`);
      return undefined;
    }
    value = raw.severity;
    valuePath = [...path, "severity"];
  }
  if (isSeveritySetting(value)) return value;
  const got = typeof value === "string" ? JSON.stringify(value) : describeValue(value, ctx.style);
  report(
    ctx,
    valuePath,
    `got ${got}${didYouMean(suggestSeverity(value))}; allowed severities: ${SEVERITY_SETTINGS.join(", ")}`,
  );
  return undefined;
}

function validateRules(
  raw: unknown,
  path: PathSegment[],
  ctx: ValidationContext,
): Partial<Record<RuleId, SeveritySetting>> | undefined {
  if (!isPlainObject(raw)) {
    report(
      ctx,
      path,
      `expected ${objectWord(ctx)} mapping rule ids to severities, got ${describeValue(raw, ctx.style)}`,
    );
    return undefined;
  }
  const out: Partial<Record<RuleId, SeveritySetting>> = {};
  for (const [id, value] of Object.entries(raw)) {
    if (!ctx.ruleIds.includes(id)) {
      report(
        ctx,
        path,
        `unknown rule "${id}"${didYouMean(closest(id, ctx.ruleIds))}; allowed rules: ${ctx.ruleIds.join(", ")}`,
        [...path, id],
      );
      continue;
    }
    const severity = validateSeverity(value, [...path, id], ctx);
    if (severity !== undefined) out[id] = severity;
  }
  return out;
}

function validateOverrides(raw: unknown, path: PathSegment[], ctx: ValidationContext): Override[] | undefined {
  if (!Array.isArray(raw)) {
    report(ctx, path, `expected a list of overrides ({ files, rules }), got ${describeValue(raw, ctx.style)}`);
    return undefined;
  }
  const out: Override[] = [];
  raw.forEach((item: unknown, i) => {
    const here = [...path, i];
    if (!isPlainObject(item)) {
      report(ctx, here, `expected ${objectWord(ctx)} with "files" and "rules", got ${describeValue(item, ctx.style)}`);
      return;
    }
    for (const key of Object.keys(item)) {
      if (key !== "files" && key !== "rules") unknownKey(ctx, here, key, ["files", "rules"]);
    }
    if (item.files === undefined) {
      report(ctx, here, `missing "files" (a list of glob patterns); this override is ignored`);
      return;
    }
    const files = validateList(item.files, [...here, "files"], ctx, "glob patterns", checkGlob);
    if (Array.isArray(item.files) && item.files.length === 0) {
      report(ctx, [...here, "files"], "is empty; this override is ignored");
    }
    if (files === undefined || files.length === 0) return;
    const rules = item.rules === undefined ? {} : validateRules(item.rules, [...here, "rules"], ctx);
    if (rules === undefined) return;
    out.push({ files, rules });
  });
  return out;
}

/** A list of dotted module names (Ruff's `banned-module-level-imports`, for one). */
export function validateModuleList(
  raw: unknown,
  path: PathSegment[],
  ctx: ValidationContext,
): string[] | undefined {
  return validateList(raw, path, ctx, "dotted module names", checkDottedName);
}
