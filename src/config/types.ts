/**
 * The configuration vocabulary: the resolved `Config`, the partial layers it is built from,
 * and the defaults. Pure data, no I/O. The rules are not listed here: the configuration is
 * given them (`RuleDefault`) by the rule registry, through src/review/config.ts.
 */

import type { ReviewError, SeveritySetting } from "../core/types";

/** What the configuration knows of a rule: its id and default severity (a rule's `meta` is one). */
export interface RuleDefault {
  id: string;
  defaultSeverity: SeveritySetting;
}

/** A rule id (the registry's `RuleId` narrows it). */
export type RuleId = string;

/** Every value a severity setting may take, from quietest to loudest. */
export const SEVERITY_SETTINGS: readonly SeveritySetting[] = ["off", "message", "warn", "fail"];

export function isSeveritySetting(value: unknown): value is SeveritySetting {
  return typeof value === "string" && (SEVERITY_SETTINGS as readonly string[]).includes(value);
}

export interface RuleConfig {
  severity: SeveritySetting;
}

/** Severities for the files matching `files` (picomatch globs, `dot: true`). Later overrides win. */
export interface Override {
  files: string[];
  rules: Partial<Record<RuleId, SeveritySetting>>;
}

/** The resolved configuration every part of the guard reads. */
export interface Config {
  /**
   * Documentation page the findings link to. A rule's link is this URL with the rule's
   * anchor as fragment; a `{rule}` placeholder, when present, is replaced by the rule id instead.
   */
  docsUrl: string;
  rules: Record<RuleId, RuleConfig>;
  /** Dotted module names that must not be imported at startup (prefix match on dotted boundaries). */
  heavyModules: string[];
  /** Decorator names (last dotted part or full dotted name) that register signal receivers. */
  receiverDecorators: string[];
  /** Files holding exception classes: moving them breaks `except`/`mock.patch` targets elsewhere. */
  exceptionModuleGlobs: string[];
  overrides: Override[];
  /** Paths the guard does not report on. */
  exclude: string[];
  /** `DJANGO_SETTINGS_MODULE`; null means "discover it" (manage.py, wsgi.py, asgi.py...). */
  settingsModule: string | null;
  /**
   * Directories (repo-relative, POSIX, no trailing slash; `.` is the root) that hold top-level
   * packages, in `sys.path` order. Null: inferred from the repository's layout (manage.py's
   * directory, `src/`, setuptools' package-dir, pytest's pythonpath...; see graph/layout.ts).
   */
  sourceRoots: string[] | null;
  /** Test files: never on the startup path, but they import moved modules. */
  testGlobs: string[];
  /** Files larger than this are not parsed (reported as `file-too-large`). */
  maxFileBytes: number;
  /**
   * Modules that start the startup graph instead of the discovered settings module (for
   * projects whose setup the static reading cannot find). Empty: discover. Each is imported as
   * Django would in its role: a module that sets `INSTALLED_APPS` is read as a settings module
   * (its apps populated); any other is taken as an `INSTALLED_APPS` entry (its `apps` module and
   * AppConfig with `ready()`, its `models`, its `admin` under admin autodiscovery).
   */
  startupRoots: string[];
  /** Modules added to the startup roots (discovered or `startupRoots`), each treated the same way. */
  extendStartupRoots: string[];
  /**
   * Directory of the scan cache, relative to the repository root unless absolute; null: the
   * default, outside the repository (facts/cache-dir.ts).
   */
  cacheDir: string | null;
  /**
   * A first-party module that alone brings at least this many first-party modules onto the
   * startup path is a "heavy subsystem" (see StartupGraph.dominatedCount).
   */
  subsystemThreshold: number;
  /**
   * A `python -X importtime` log (path in the repository at the base revision, or on disk):
   * when set, findings about new chains say how many milliseconds they add, ranked.
   */
  importtimeLog: string | null;
}

/**
 * One layer of configuration (a pyproject table, or the Danger/CLI options), every key
 * optional. `extend*` lists are appended to whatever the earlier layers resolved.
 */
export interface PartialConfig {
  docsUrl?: string;
  rules?: Partial<Record<RuleId, SeveritySetting>>;
  heavyModules?: string[];
  extendHeavyModules?: string[];
  receiverDecorators?: string[];
  extendReceiverDecorators?: string[];
  exceptionModuleGlobs?: string[];
  extendExceptionModuleGlobs?: string[];
  overrides?: Override[];
  exclude?: string[];
  extendExclude?: string[];
  settingsModule?: string | null;
  sourceRoots?: string[];
  testGlobs?: string[];
  extendTestGlobs?: string[];
  maxFileBytes?: number;
  startupRoots?: string[];
  extendStartupRoots?: string[];
  cacheDir?: string;
  subsystemThreshold?: number;
  importtimeLog?: string;
}

/** A configuration problem: always `kind: "config"`; `where` is `file:line` or the options' name. */
export interface ConfigError extends ReviewError {
  kind: "config";
}

/**
 * This package's project page (package.json `homepage`; test/docs.test.ts keeps them equal).
 * The default docs link is its rule reference, docs/rules.md, which also ships in the npm
 * package; each rule has an anchor there (`#heavy-import-at-startup`...).
 */
export const PROJECT_URL = "https://github.com/danger-plugin-django-startup/danger-plugin-django-startup";
export const DEFAULT_DOCS_URL = `${PROJECT_URL}/blob/main/docs/rules.md`;

/**
 * Third-party modules that no Django process should import at setup unless it must: each
 * takes a large share of a second or more to import (it loads native extensions, data
 * files, or hundreds of submodules), and each is usually needed by a few code paths only.
 * Prefix match: `google.cloud` covers `google.cloud.storage`. A team's own slow subsystems go
 * in `extend_heavy_modules`; docs/heavy-modules.md shows a large monorepo's full list.
 */
export const DEFAULT_HEAVY_MODULES: readonly string[] = [
  // Data and numerical stacks: native extensions and large module trees.
  "numpy",
  "pandas",
  "scipy",
  "pyarrow",
  "polars",
  "matplotlib",
  "sympy",
  "statsmodels",
  "dask",
  "pyspark",
  // Machine learning frameworks: seconds to import, GPU probing, model registries.
  "sklearn",
  "torch",
  "tensorflow",
  "keras",
  "jax",
  "transformers",
  "xgboost",
  "lightgbm",
  "spacy",
  "nltk",
  "cv2",
  // Cloud SDKs: botocore loads its service models, google.cloud and azure pull gRPC/protobuf stacks.
  "boto3",
  "botocore",
  "aiobotocore",
  "s3fs",
  "google.cloud",
  "google.genai",
  "googleapiclient",
  "azure",
  "kubernetes",
  // Payment SDKs: a module per API resource, all imported by the package.
  "stripe",
  "braintree",
  // Large API clients and frameworks: LLM clients (pydantic models for every endpoint), data warehouses, workflow engines.
  "openai",
  "anthropic",
  "langchain",
  "litellm",
  "snowflake",
  "databricks",
  "temporalio",
  "dagster",
  "twilio",
  // Slow to import by design: pkg_resources scans every installed distribution; django.test loads the test client and runner.
  "pkg_resources",
  "django.test",
];

export const DEFAULT_RECEIVER_DECORATORS: readonly string[] = ["receiver"];

export const DEFAULT_EXCEPTION_MODULE_GLOBS: readonly string[] = [
  "**/exceptions.py",
  "**/errors.py",
  "**/exceptions/__init__.py",
];

export const DEFAULT_TEST_GLOBS: readonly string[] = [
  "**/test_*.py",
  "**/*_test.py",
  "**/tests/**",
  "**/conftest.py",
];

/**
 * Nothing is excluded by default. Migrations are not on the startup path (the graph never
 * reaches them), but they do import project modules, and `migrate` breaks when one of those
 * moves without a shim, so excluding them would hide real `module-moved-without-shim` cases.
 */
export const DEFAULT_EXCLUDE: readonly string[] = [];

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

/** null: `$DJANGO_STARTUP_GUARD_CACHE_DIR`, else the user's cache directory (facts/cache-dir.ts), never inside the repository. */
export const DEFAULT_CACHE_DIR: string | null = null;

export const DEFAULT_SUBSYSTEM_THRESHOLD = 40;

/**
 * The configuration keys that change what the startup graph is. The graph is given only these
 * (`GraphConfig`: reading another key does not compile) and its cache key is built from exactly
 * these, so a key the graph reads can never be missing from the key of a cached graph.
 */
export const GRAPH_KEYS = ["settingsModule", "sourceRoots", "startupRoots", "extendStartupRoots", "heavyModules", "maxFileBytes"] as const satisfies readonly (keyof Config)[];

export type GraphConfig = Pick<Config, (typeof GRAPH_KEYS)[number]>;

/** The part of a configuration the graph reads, as a text for cache keys. */
export function graphConfigKey(config: GraphConfig): string {
  return JSON.stringify(GRAPH_KEYS.map((k) => config[k]));
}

/** A fresh, mutable copy of the defaults, for these rules. */
export function defaultConfig(ruleDefaults: readonly RuleDefault[]): Config {
  const rules: Record<RuleId, RuleConfig> = {};
  for (const r of ruleDefaults) rules[r.id] = { severity: r.defaultSeverity };
  return {
    docsUrl: DEFAULT_DOCS_URL,
    rules,
    heavyModules: [...DEFAULT_HEAVY_MODULES],
    receiverDecorators: [...DEFAULT_RECEIVER_DECORATORS],
    exceptionModuleGlobs: [...DEFAULT_EXCEPTION_MODULE_GLOBS],
    overrides: [],
    exclude: [...DEFAULT_EXCLUDE],
    settingsModule: null,
    sourceRoots: null,
    testGlobs: [...DEFAULT_TEST_GLOBS],
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    startupRoots: [],
    extendStartupRoots: [],
    cacheDir: DEFAULT_CACHE_DIR,
    subsystemThreshold: DEFAULT_SUBSYSTEM_THRESHOLD,
    importtimeLog: null,
  };
}
