/**
 * The configuration as the pipeline and its adapters use it: src/config bound to the rule
 * registry (defaults and validation of rule ids come from `RULES`).
 */
import { configFor } from "../config";
import { RULES } from "../rules";

export * from "../config";
export { RULE_IDS, type RuleId } from "../rules";

export const { defaultConfig, resolveConfig, validateOptions, readPyproject, parsePyprojectConfig, parsePragmas, pragmaAllows, pragmaErrors } = configFor(
  RULES.map((r) => r.meta),
);
