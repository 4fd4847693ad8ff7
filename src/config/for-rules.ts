/**
 * The configuration functions that must know the rules (to fill in default severities and to
 * reject unknown rule ids), bound to one list of them. The pipeline binds them to the rule
 * registry (src/review/config.ts); the configuration itself never imports the rules, which sit
 * above it.
 */
import { validateOptions } from "./options";
import { parsePragmas, pragmaAllows, pragmaErrors } from "./pragma";
import { parsePyprojectConfig, readPyproject } from "./pyproject";
import { type ResolveInput, resolveConfig } from "./resolve";
import { defaultConfig, type RuleDefault } from "./types";

export function configFor(rules: readonly RuleDefault[]) {
  const ids = rules.map((r) => r.id);
  return {
    defaultConfig: () => defaultConfig(rules),
    resolveConfig: (input: ResolveInput = {}) => resolveConfig(input, rules),
    validateOptions: (obj: unknown, where: string, extraKeys?: readonly string[]) => validateOptions(obj, where, ids, extraKeys),
    readPyproject: (tomlText: string, where: string) => readPyproject(tomlText, where, ids),
    parsePyprojectConfig: (tomlText: string, where: string) => parsePyprojectConfig(tomlText, where, ids),
    parsePragmas: (lineText: string, at?: { file: string; line: number }) => parsePragmas(lineText, ids, at),
    pragmaAllows: (lines: readonly string[], line: number, ruleId: string) => pragmaAllows(lines, line, ruleId, ids),
    pragmaErrors: (lines: readonly string[], file: string) => pragmaErrors(lines, file, ids),
  };
}

export type RuleBoundConfig = ReturnType<typeof configFor>;
