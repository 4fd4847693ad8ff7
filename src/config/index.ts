export * from "./types";
export { validateOptions, type ValidatedOptions } from "./options";
export { parsePyprojectConfig, readPyproject, type PyprojectConfig, type PyprojectReading } from "./pyproject";
export {
  applyLayer,
  docsUrlFor,
  isExceptionModule,
  isExcluded,
  isTestFile,
  matchesAny,
  resolveConfig,
  ruleEnabledAnywhere,
  severityFor,
  type ResolveInput,
  type ResolvedConfig,
} from "./resolve";
export { commentStart, parsePragmas, pragmaAllows, pragmaErrors, PRAGMA_SYNTAX, type Pragma, type PragmaError, type PragmaParse } from "./pragma";
export { matchHeavy } from "./heavy";
export { allowedKeys, FIELDS } from "./schema";
export { configFor, type RuleBoundConfig } from "./for-rules";
