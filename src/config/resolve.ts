/**
 * Builds the configuration in force for one review: defaults, then the BASE revision's
 * pyproject.toml, then the Danger/CLI options. The head revision's pyproject is only compared:
 * a pull request cannot switch off the checks that review it.
 */

import { GlobSet } from "./globs";
import type { SeveritySetting } from "../core/types";
import { validateOptions } from "./options";
import { readPyproject, type PyprojectReading, TABLE_NAME } from "./pyproject";
import { type Config, type ConfigError, defaultConfig, type PartialConfig, type RuleDefault, type RuleId } from "./types";
import { pushAll } from "../core/arrays";

export interface ResolveInput {
  /** pyproject.toml at the base revision; null when the file does not exist there. */
  pyprojectAtBase?: string | null;
  /**
   * pyproject.toml at the head revision. When `pyprojectAtBase` is undefined (no base, as in
   * a CLI run over a working tree) the head's is the one in force.
   */
  pyprojectAtHead?: string | null;
  /** The Danger plugin's or CLI's options (validated strictly). */
  options?: unknown;
  /** Name used in error locations; default `pyproject.toml`. */
  pyprojectPath?: string;
  /** Name of the options in error locations; default `options`. */
  optionsWhere?: string;
  /** Option keys the caller handles itself (not configuration, not an error). */
  extraOptionKeys?: readonly string[];
}

export interface ResolvedConfig {
  config: Config;
  errors: ConfigError[];
  /** Plain-text remarks for the report (e.g. the PR edits the guard's own config). */
  notes: string[];
}

function appendUnique(list: string[], extra: readonly string[] | undefined): string[] {
  if (extra === undefined) return list;
  return [...new Set([...list, ...extra])];
}

/** Applies one layer over a resolved config: plain keys replace, `extend*` lists append. */
export function applyLayer(base: Config, layer: PartialConfig): Config {
  const out: Config = {
    ...base,
    rules: { ...base.rules },
    overrides: [...base.overrides, ...(layer.overrides ?? [])],
  };
  if (layer.docsUrl !== undefined) out.docsUrl = layer.docsUrl;
  // A layer names only rules its validation knew (see ValidationContext.ruleIds).
  for (const [id, severity] of Object.entries(layer.rules ?? {})) {
    if (severity !== undefined) out.rules[id] = { severity };
  }
  out.heavyModules = appendUnique(layer.heavyModules ?? base.heavyModules, layer.extendHeavyModules);
  out.receiverDecorators = appendUnique(
    layer.receiverDecorators ?? base.receiverDecorators,
    layer.extendReceiverDecorators,
  );
  out.exceptionModuleGlobs = appendUnique(
    layer.exceptionModuleGlobs ?? base.exceptionModuleGlobs,
    layer.extendExceptionModuleGlobs,
  );
  out.exclude = appendUnique(layer.exclude ?? base.exclude, layer.extendExclude);
  out.testGlobs = appendUnique(layer.testGlobs ?? base.testGlobs, layer.extendTestGlobs);
  if (layer.settingsModule !== undefined) out.settingsModule = layer.settingsModule;
  // An empty list says nothing about where code lives: the layout is inferred, as without one.
  if (layer.sourceRoots !== undefined) out.sourceRoots = layer.sourceRoots.length > 0 ? [...layer.sourceRoots] : null;
  if (layer.maxFileBytes !== undefined) out.maxFileBytes = layer.maxFileBytes;
  if (layer.startupRoots !== undefined) out.startupRoots = [...layer.startupRoots];
  out.extendStartupRoots = appendUnique(base.extendStartupRoots, layer.extendStartupRoots);
  if (layer.cacheDir !== undefined) out.cacheDir = layer.cacheDir;
  if (layer.subsystemThreshold !== undefined) out.subsystemThreshold = layer.subsystemThreshold;
  if (layer.importtimeLog !== undefined) out.importtimeLog = layer.importtimeLog;
  return out;
}

/** Never throws: every invalid part is reported in `errors` and replaced by the default. `rules`: the rules to configure. */
export function resolveConfig(input: ResolveInput, rules: readonly RuleDefault[]): ResolvedConfig {
  const ruleIds = rules.map((r) => r.id);
  const file = input.pyprojectPath ?? "pyproject.toml";
  const errors: ConfigError[] = [];
  const notes: string[] = [];

  const baseKnown = input.pyprojectAtBase !== undefined;
  const inForceText = baseKnown ? input.pyprojectAtBase : input.pyprojectAtHead;
  const inForce: PyprojectReading | null =
    typeof inForceText === "string" ? readPyproject(inForceText, file, ruleIds) : null;
  if (inForce !== null) pushAll(errors, inForce.errors);

  if (baseKnown && input.pyprojectAtHead !== undefined && input.pyprojectAtHead !== input.pyprojectAtBase) {
    // A deleted pyproject.toml (null) configures nothing, like an empty one.
    const head = readPyproject(input.pyprojectAtHead ?? "", `${file} (head)`, ruleIds);
    const baseFingerprint = inForce?.fingerprint ?? readPyproject("", file, ruleIds).fingerprint;
    if (head.fingerprint !== baseFingerprint) {
      notes.push(
        `This pull request changes the startup guard's configuration in ${file} ` +
          `([tool.${TABLE_NAME}] or Ruff's banned-module-level-imports). ` +
          `This review uses the configuration of the base branch; the new one applies once merged.`,
      );
      // The author wants to know now whether the new configuration is valid.
      pushAll(errors, head.errors);
    }
  }

  const options = validateOptions(input.options, input.optionsWhere ?? "options", ruleIds, input.extraOptionKeys);
  pushAll(errors, options.errors);

  let config = defaultConfig(rules);
  if (inForce !== null) config = applyLayer(config, inForce.config);
  config = applyLayer(config, options.config);
  return { config, errors, notes };
}

/** Compiled glob lists, by list: a config's lists are compiled once however many paths are matched. */
const compiled = new WeakMap<readonly string[], GlobSet>();

function matcher(globs: readonly string[]): GlobSet {
  let m = compiled.get(globs);
  if (m === undefined) compiled.set(globs, (m = new GlobSet(globs)));
  return m;
}

function normalisePath(path: string): string {
  return path.replace(/\\/g, "/").replace(/^(?:\.\/)+/, "").replace(/^\/+/, "");
}

/** Whether a repository-relative path matches any of the globs (picomatch, `dot: true`). */
export function matchesAny(globs: readonly string[], path: string): boolean {
  return matcher(globs).has(normalisePath(path));
}

/** The rule's severity, then each override whose `files` match, in order: the last one wins. */
export function severityFor(config: Config, ruleId: RuleId, filePath: string): SeveritySetting {
  let severity = config.rules[ruleId].severity;
  for (const override of config.overrides) {
    const s = override.rules[ruleId];
    if (s !== undefined && matchesAny(override.files, filePath)) severity = s;
  }
  return severity;
}

/** Whether the rule can report anywhere (it is on, or an override turns it on for some files). */
export function ruleEnabledAnywhere(config: Config, ruleId: RuleId): boolean {
  if (config.rules[ruleId].severity !== "off") return true;
  return config.overrides.some((o) => o.rules[ruleId] !== undefined && o.rules[ruleId] !== "off");
}

export function isExcluded(config: Config, path: string): boolean {
  return matchesAny(config.exclude, path);
}

export function isTestFile(config: Config, path: string): boolean {
  return matchesAny(config.testGlobs, path);
}

export function isExceptionModule(config: Config, path: string): boolean {
  return matchesAny(config.exceptionModuleGlobs, path);
}

/**
 * The documentation link for a rule: `{rule}` in `docsUrl` is replaced by the rule id when
 * present; otherwise the URL's fragment becomes `anchor` (default: the rule id).
 */
export function docsUrlFor(config: Pick<Config, "docsUrl">, ruleId: string, anchor: string = ruleId): string {
  if (config.docsUrl.includes("{rule}")) return config.docsUrl.split("{rule}").join(encodeURIComponent(ruleId));
  const hash = config.docsUrl.indexOf("#");
  const bare = hash === -1 ? config.docsUrl : config.docsUrl.slice(0, hash);
  return `${bare}#${encodeURIComponent(anchor)}`;
}
