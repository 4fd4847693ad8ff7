/**
 * danger-plugin-django-startup: the Danger plugin (default export) and the analysis core
 * it is a thin adapter over.
 */
export { default, ADAPTER_KEYS, type DangerAdapterOptions } from "./danger";
export { review, type ReviewInput, type ReviewResult } from "./review/review";
export type { Finding, ReviewError, Severity, SeveritySetting, ChangeSet, ChangedFile, ChainLink } from "./core/types";
export { scanPython } from "./python/scanner";
export type { PyFileFacts, PyImport, ExecutionContext } from "./python/types";
export { RULES } from "./rules";
export { gitChangeSet } from "./source/git";
export { githubChangeSet, type GitHubApi } from "./source/github";
export { diffFileChangeSet } from "./source/diff-file";
export { resolveConfig, RULE_IDS, type Config } from "./review/config";
