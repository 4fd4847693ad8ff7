import { RULES } from "../src/rules";
import {
  commentStart,
  defaultConfig,
  DEFAULT_DOCS_URL,
  DEFAULT_HEAVY_MODULES,
  docsUrlFor,
  isExceptionModule,
  isExcluded,
  isTestFile,
  matchHeavy,
  parsePragmas,
  parsePyprojectConfig,
  pragmaAllows,
  pragmaErrors,
  resolveConfig,
  RULE_IDS,
  ruleEnabledAnywhere,
  severityFor,
  validateOptions,
  type Config,
  type PartialConfig,
} from "../src/review/config";

const ALLOWED_KEYS =
  "docsUrl, rules, heavyModules, extendHeavyModules, receiverDecorators, extendReceiverDecorators, " +
  "exceptionModuleGlobs, extendExceptionModuleGlobs, overrides, exclude, extendExclude, settingsModule, " +
  "sourceRoots, testGlobs, extendTestGlobs, maxFileBytes, startupRoots, extendStartupRoots, cacheDir, subsystemThreshold, importtimeLog";
const ALLOWED_RULES = RULE_IDS.join(", ");

describe("defaults", () => {
  it("resolve to the documented values with no input", () => {
    const { config, errors, notes } = resolveConfig({});
    expect(errors).toEqual([]);
    expect(notes).toEqual([]);
    expect(config).toEqual(defaultConfig());
    // This package's own rule reference, not another team's internal doc (issue 8, item 6).
    expect(config.docsUrl).toBe("https://github.com/danger-plugin-django-startup/danger-plugin-django-startup/blob/main/docs/rules.md");
    expect(config.docsUrl).not.toMatch(/posthog/i);
    // Every rule is on by default at warn (a team opts into fail once it trusts the findings).
    expect(config.rules).toEqual(Object.fromEntries(RULE_IDS.map((id) => [id, { severity: "warn" }])));
    // Generic: data/ML stacks, cloud and payment SDKs, big clients; no single company's own packages.
    expect(config.heavyModules).toEqual(
      expect.arrayContaining(["numpy", "pandas", "scipy", "torch", "tensorflow", "sklearn", "pyarrow", "boto3", "botocore", "google.cloud", "azure", "stripe", "openai", "anthropic"]),
    );
    for (const own of ["chdb", "mimesis", "user_agents", "infi.clickhouse_orm", "dlt", "modal"]) expect(config.heavyModules).not.toContain(own);
    expect(config.receiverDecorators).toEqual(["receiver"]);
    expect(config.exceptionModuleGlobs).toEqual(["**/exceptions.py", "**/errors.py", "**/exceptions/__init__.py"]);
    expect(config.testGlobs).toEqual(["**/test_*.py", "**/*_test.py", "**/tests/**", "**/conftest.py"]);
    expect(config.exclude).toEqual([]);
    expect(config.settingsModule).toBeNull();
    expect(config.sourceRoots).toBeNull(); // inferred from the layout
    expect(config.maxFileBytes).toBe(2 * 1024 * 1024);
    expect(config.startupRoots).toEqual([]);
    expect(config.extendStartupRoots).toEqual([]);
    // An empty source_roots says nothing about where code lives: the layout is inferred.
    expect(resolveConfig({ options: { sourceRoots: [] } }).config.sourceRoots).toBeNull();
    expect(config.cacheDir).toBeNull();
    expect(config.subsystemThreshold).toBe(40);
    expect(config.importtimeLog).toBeNull();
  });

  it("hands out fresh copies", () => {
    const a = defaultConfig();
    a.heavyModules.push("mutated");
    a.rules["heavy-import-at-startup"].severity = "off";
    expect(defaultConfig().heavyModules).not.toContain("mutated");
    expect(defaultConfig().rules["heavy-import-at-startup"].severity).toBe("warn");
    expect(DEFAULT_HEAVY_MODULES).not.toContain("mutated");
  });

  it("exports the rule ids, the registry's, in its order", () => {
    expect(RULE_IDS).toEqual(RULES.map((r) => r.meta.id));
    expect(RULE_IDS).toEqual(expect.arrayContaining(["heavy-import-at-startup", "side-effect-import-removed", "module-moved-without-shim"]));
  });
});

describe("validateOptions", () => {
  const valid: [string, unknown, PartialConfig][] = [
    ["nothing", undefined, {}],
    ["null", null, {}],
    ["empty object", {}, {}],
    ["docs URL", { docsUrl: "https://example.com/docs.md" }, { docsUrl: "https://example.com/docs.md" }],
    [
      "rule severities, both forms",
      { rules: { "heavy-import-at-startup": "fail", "module-moved-without-shim": { severity: "off" } } },
      { rules: { "heavy-import-at-startup": "fail", "module-moved-without-shim": "off" } },
    ],
    [
      "module lists",
      { heavyModules: ["scipy", "posthog.api"], extendHeavyModules: ["ee.hogai.core"] },
      { heavyModules: ["scipy", "posthog.api"], extendHeavyModules: ["ee.hogai.core"] },
    ],
    ["decorators", { extendReceiverDecorators: ["mutable_receiver"] }, { extendReceiverDecorators: ["mutable_receiver"] }],
    [
      "overrides",
      { overrides: [{ files: ["ee/**"], rules: { "heavy-import-at-startup": "fail" } }] },
      { overrides: [{ files: ["ee/**"], rules: { "heavy-import-at-startup": "fail" } }] },
    ],
    ["settings module null", { settingsModule: null }, { settingsModule: null }],
    ["settings module", { settingsModule: "posthog.settings" }, { settingsModule: "posthog.settings" }],
    ["source roots are normalised", { sourceRoots: ["./src/", ".", "lib//py"] }, { sourceRoots: ["src", ".", "lib/py"] }],
    ["globs lose a leading ./", { exclude: ["./vendor/**"] }, { exclude: ["vendor/**"] }],
    ["duplicates collapse", { heavyModules: ["a", "a"] }, { heavyModules: ["a"] }],
    ["max bytes", { maxFileBytes: 1000 }, { maxFileBytes: 1000 }],
    ["startup roots", { startupRoots: ["myproject.settings", "myproject.celery"] }, { startupRoots: ["myproject.settings", "myproject.celery"] }],
    ["extra startup roots", { extendStartupRoots: ["rpc.methods"] }, { extendStartupRoots: ["rpc.methods"] }],
    ["cache dir loses a trailing slash", { cacheDir: "/tmp/guard-cache/" }, { cacheDir: "/tmp/guard-cache" }],
    ["relative cache dir", { cacheDir: ".cache/startup" }, { cacheDir: ".cache/startup" }],
    ["subsystem threshold", { subsystemThreshold: 25 }, { subsystemThreshold: 25 }],
  ];
  it.each(valid)("accepts %s", (_name, options, expected) => {
    const { config, errors } = validateOptions(options, "options");
    expect(errors).toEqual([]);
    expect(config).toEqual(expected);
  });

  const invalid: [string, unknown, string][] = [
    [
      "unknown key, near miss",
      { heavyModule: ["x"] },
      `unknown key "heavyModule" (did you mean "heavyModules"?); allowed keys: ${ALLOWED_KEYS}`,
    ],
    [
      "snake_case key in options",
      { docs_url: "https://x.dev" },
      `unknown key "docs_url" (did you mean "docsUrl"?); allowed keys: ${ALLOWED_KEYS}`,
    ],
    ["unknown key, far off", { colour: true }, `unknown key "colour"; allowed keys: ${ALLOWED_KEYS}`],
    [
      "ESLint-style severity",
      { rules: { "heavy-import-at-startup": "error" } },
      `rules.heavy-import-at-startup: got "error" (did you mean "fail"?); allowed severities: off, message, warn, fail`,
    ],
    [
      "numeric severity",
      { rules: { "side-effect-import-removed": 1 } },
      `rules.side-effect-import-removed: got the number 1 (did you mean "warn"?); allowed severities: off, message, warn, fail`,
    ],
    [
      "unknown rule",
      { rules: { "heavy-imports": "warn" } },
      `rules: unknown rule "heavy-imports" (did you mean "heavy-import-at-startup"?); allowed rules: ${ALLOWED_RULES}`,
    ],
    ["rules not an object", { rules: ["heavy-import-at-startup"] }, "rules: expected an object mapping rule ids to severities, got a list"],
    ["string instead of list", { heavyModules: "scipy" }, 'heavyModules: expected a list of dotted module names, got the string "scipy"'],
    ["bad module name", { heavyModules: ["scipy", "not a module"] }, 'heavyModules[1]: "not a module" is not a dotted Python name'],
    ["non-string element", { testGlobs: [3] }, "testGlobs[0]: expected a string, got the number 3"],
    ["absolute glob", { exclude: ["/abs/**"] }, 'exclude[0]: "/abs/**" starts with "/"; globs are relative to the repository root'],
    ["escaping source root", { sourceRoots: ["../other"] }, 'sourceRoots[0]: "../other" leaves the repository ("..")'],
    ["javascript: docs URL", { docsUrl: "javascript:alert(1)" }, 'docsUrl: expected an http(s) URL, got the string "javascript:alert(1)"'],
    ["zero bytes", { maxFileBytes: 0 }, "maxFileBytes: expected a positive whole number of bytes, got the number 0"],
    ["fractional bytes", { maxFileBytes: 1.5 }, "maxFileBytes: expected a positive whole number of bytes, got the number 1.5"],
    ["bad startup root", { startupRoots: ["myproject/settings.py"] }, 'startupRoots[0]: "myproject/settings.py" is not a dotted Python name'],
    ["empty cache dir", { cacheDir: " " }, 'cacheDir: expected a directory path (relative to the repository root, or absolute), got the string " "'],
    ["cache dir not a string", { cacheDir: false }, "cacheDir: expected a directory path (relative to the repository root, or absolute), got the boolean false"],
    ["zero threshold", { subsystemThreshold: 0 }, "subsystemThreshold: expected a positive whole number of modules, got the number 0"],
    [
      "bad settings module",
      { settingsModule: "posthog/settings.py" },
      'settingsModule: expected a dotted module name such as "myproject.settings" or null, got the string "posthog/settings.py"',
    ],
    ["override without files", { overrides: [{ rules: {} }] }, 'overrides[0]: missing "files" (a list of glob patterns); this override is ignored'],
    [
      "override unknown key",
      { overrides: [{ files: ["a/**"], rule: {} }] },
      'overrides[0]: unknown key "rule" (did you mean "rules"?); allowed keys: files, rules',
    ],
    ["override empty files", { overrides: [{ files: [] }] }, "overrides[0].files: is empty; this override is ignored"],
    ["not an object", "fail", 'expected an object of settings, got the string "fail"'],
    ["a list", [], "expected an object of settings, got a list"],
  ];
  it.each(invalid)("rejects %s with an exact message", (_name, options, message) => {
    const { errors } = validateOptions(options, "djangoStartup() options");
    expect(errors).toEqual([{ kind: "config", where: "djangoStartup() options", message }]);
  });

  it("keeps the valid parts of a partly invalid object", () => {
    const { config, errors } = validateOptions(
      { heavyModules: ["ok", "n o"], rules: { "heavy-import-at-startup": "fail", "side-effect-import-removed": "loud" }, bogus: 1 },
      "options",
    );
    expect(config).toEqual({ heavyModules: ["ok"], rules: { "heavy-import-at-startup": "fail" } });
    expect(errors).toHaveLength(3);
  });

  it("accepts the caller's own keys when told", () => {
    expect(validateOptions({ dryRun: true }, "options", ["dryRun"])).toEqual({ config: {}, errors: [] });
    const { errors } = validateOptions({ dryrun: true }, "options", ["dryRun"]);
    expect(errors[0].message).toMatch(/^unknown key "dryrun" \(did you mean "dryRun"\?\); allowed keys: .*dryRun$/);
  });

  it("rule table form names its own unknown keys", () => {
    const { errors } = validateOptions({ rules: { "heavy-import-at-startup": { severity: "warn", level: 2 } } }, "o");
    expect(errors.map((e) => e.message)).toEqual([
      'rules.heavy-import-at-startup: unknown key "level"; allowed keys: severity',
    ]);
  });
});

const FULL_PYPROJECT = `[project]
name = "posthog"

[tool.django-startup-guard]
docs_url = "https://example.com/startup.md"
extend_heavy_modules = ["posthog.api", "ee.hogai.core"]
extend_receiver_decorators = ["mutable_receiver"]
settings_module = "posthog.settings"
source_roots = [".", "common"]
max_file_bytes = 1048576
startup_roots = ["posthog.settings", "posthog.celery"]
cache_dir = ".cache/startup-guard"
subsystem_threshold = 30
rules = { "heavy-import-at-startup" = "fail" }

[[tool.django-startup-guard.overrides]]
files = ["**/management/commands/**"]
rules = { "heavy-import-at-startup" = "off" }

[[tool.django-startup-guard.overrides]]
files = ["ee/**"]
rules = { "module-moved-without-shim" = "fail" }

[tool.ruff.lint.flake8-tidy-imports]
banned-module-level-imports = ["torch", "posthog.api"]

[tool.ruff.flake8-tidy-imports]
banned-module-level-imports = ["tensorflow"]
`;

describe("parsePyprojectConfig", () => {
  it("reads the table, overrides and both Ruff locations", () => {
    const { config, errors } = parsePyprojectConfig(FULL_PYPROJECT, "pyproject.toml");
    expect(errors).toEqual([]);
    expect(config).toEqual({
      docsUrl: "https://example.com/startup.md",
      extendHeavyModules: ["posthog.api", "ee.hogai.core", "torch", "tensorflow"],
      extendReceiverDecorators: ["mutable_receiver"],
      settingsModule: "posthog.settings",
      sourceRoots: [".", "common"],
      maxFileBytes: 1048576,
      startupRoots: ["posthog.settings", "posthog.celery"],
      cacheDir: ".cache/startup-guard",
      subsystemThreshold: 30,
      rules: { "heavy-import-at-startup": "fail" },
      overrides: [
        { files: ["**/management/commands/**"], rules: { "heavy-import-at-startup": "off" } },
        { files: ["ee/**"], rules: { "module-moved-without-shim": "fail" } },
      ],
    });
  });

  it("reads the per-rule table form", () => {
    const toml = `[tool.django-startup-guard.rules.side-effect-import-removed]\nseverity = "fail"\n`;
    expect(parsePyprojectConfig(toml, "pyproject.toml")).toEqual({
      config: { rules: { "side-effect-import-removed": "fail" } },
      errors: [],
    });
  });

  it("adds Ruff's bans even without our table", () => {
    const toml = `[tool.ruff.lint.flake8-tidy-imports]\nbanned-module-level-imports = ["torch"]\n`;
    expect(parsePyprojectConfig(toml, "pyproject.toml")).toEqual({ config: { extendHeavyModules: ["torch"] }, errors: [] });
  });

  it("ignores a file that configures nothing", () => {
    expect(parsePyprojectConfig(`[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n`, "pyproject.toml")).toEqual({
      config: {},
      errors: [],
    });
    expect(parsePyprojectConfig("", "pyproject.toml")).toEqual({ config: {}, errors: [] });
  });

  it("reports TOML syntax errors with the file and line", () => {
    const { config, errors } = parsePyprojectConfig(`[tool.django-startup-guard]\nheavy_modules = ["a",\nrules = 3\n`, "pyproject.toml");
    expect(config).toEqual({});
    expect(errors).toHaveLength(1);
    expect(errors[0].kind).toBe("config");
    expect(errors[0].where).toMatch(/^pyproject\.toml:\d+$/);
    expect(errors[0].message).toMatch(/^invalid TOML at line \d+, column \d+: /);
  });

  it("names the line of a duplicate table", () => {
    const { errors } = parsePyprojectConfig(`[a]\nb = 1\n[a]\n`, "sub/pyproject.toml");
    expect(errors).toEqual([
      {
        kind: "config",
        where: "sub/pyproject.toml:3",
        message: "invalid TOML at line 3, column 2: trying to redefine an already defined table or value",
      },
    ]);
  });

  const invalid: [string, string, { where: string; message: string }[]][] = [
    [
      "kebab-case key",
      `[tool.django-startup-guard]\nheavy-modules = ["x"]\n`,
      [
        {
          where: "pyproject.toml:2",
          message:
            'tool.django-startup-guard: unknown key "heavy-modules" (did you mean "heavy_modules"?); allowed keys: docs_url, rules, heavy_modules, extend_heavy_modules, receiver_decorators, extend_receiver_decorators, exception_module_globs, extend_exception_module_globs, overrides, exclude, extend_exclude, settings_module, source_roots, test_globs, extend_test_globs, max_file_bytes, startup_roots, extend_startup_roots, cache_dir, subsystem_threshold, importtime_log',
        },
      ],
    ],
    [
      "bad severity in table form",
      `[project]\nname = "x"\n\n[tool.django-startup-guard.rules.heavy-import-at-startup]\nseverity = "warning"\n`,
      [
        {
          where: "pyproject.toml:5",
          message:
            'tool.django-startup-guard.rules.heavy-import-at-startup.severity: got "warning" (did you mean "warn"?); allowed severities: off, message, warn, fail',
        },
      ],
    ],
    [
      "unknown rule in table form",
      `[tool.django-startup-guard]\ndocs_url = "https://x.dev"\n\n[tool.django-startup-guard.rules.side-effects]\nseverity = "warn"\n`,
      [
        {
          where: "pyproject.toml:4",
          message: `tool.django-startup-guard.rules: unknown rule "side-effects" (did you mean "side-effect-import-removed"?); allowed rules: ${ALLOWED_RULES}`,
        },
      ],
    ],
    [
      "wrong type on a later line",
      `[tool.django-startup-guard]\ndocs_url = "https://x.dev"\nmax_file_bytes = "2MB"\n`,
      [{ where: "pyproject.toml:3", message: 'tool.django-startup-guard.max_file_bytes: expected a positive whole number of bytes, got the string "2MB"' }],
    ],
    [
      "second override's files",
      `[[tool.django-startup-guard.overrides]]\nfiles = ["a/**"]\n\n[[tool.django-startup-guard.overrides]]\nrules = {}\nfiles = "b/**"\n`,
      [{ where: "pyproject.toml:6", message: 'tool.django-startup-guard.overrides[1].files: expected a list of glob patterns, got the string "b/**"' }],
    ],
    [
      "bad Ruff entry",
      `[tool.ruff.lint.flake8-tidy-imports]\nbanned-module-level-imports = ["torch", "9lives"]\n`,
      [{ where: "pyproject.toml:2", message: 'tool.ruff.lint.flake8-tidy-imports.banned-module-level-imports[1]: "9lives" is not a dotted Python name' }],
    ],
    [
      "misspelled table name",
      `[tool.django_startup_guard]\nheavy_modules = []\n`,
      [{ where: "pyproject.toml:1", message: 'tool.django_startup_guard: unknown table (did you mean "tool.django-startup-guard"?); its settings are ignored' }],
    ],
    [
      "table is a value",
      `[tool]\ndjango-startup-guard = "on"\n`,
      [{ where: "pyproject.toml:2", message: 'tool.django-startup-guard: expected a table of settings, got the string "on"' }],
    ],
    [
      "date value",
      `[tool.django-startup-guard]\nsettings_module = 2024-01-01\n`,
      [{ where: "pyproject.toml:2", message: 'tool.django-startup-guard.settings_module: expected a dotted module name such as "myproject.settings", got a date' }],
    ],
  ];
  it.each(invalid)("reports %s", (_name, toml, expected) => {
    const { errors } = parsePyprojectConfig(toml, "pyproject.toml");
    expect(errors).toEqual(expected.map((e) => ({ kind: "config", ...e })));
  });

  it("keeps the valid parts", () => {
    const { config } = parsePyprojectConfig(
      `[tool.django-startup-guard]\nheavy_modules = ["scipy", "bad name"]\ndocs_url = 3\n`,
      "pyproject.toml",
    );
    expect(config).toEqual({ heavyModules: ["scipy"] });
  });
});

describe("resolveConfig precedence", () => {
  const base = `[tool.django-startup-guard]
heavy_modules = ["scipy", "numpy"]
extend_heavy_modules = ["posthog.api"]
exclude = ["vendor/**"]
rules = { "heavy-import-at-startup" = "fail", "side-effect-import-removed" = "message" }

[[tool.django-startup-guard.overrides]]
files = ["ee/**"]
rules = { "heavy-import-at-startup" = "warn" }

[tool.ruff.lint.flake8-tidy-imports]
banned-module-level-imports = ["torch"]
`;

  it("applies defaults, then the base pyproject", () => {
    const { config, errors } = resolveConfig({ pyprojectAtBase: base });
    expect(errors).toEqual([]);
    expect(config.heavyModules).toEqual(["scipy", "numpy", "posthog.api", "torch"]);
    expect(config.exclude).toEqual(["vendor/**"]);
    expect(config.rules["heavy-import-at-startup"].severity).toBe("fail");
    expect(config.rules["side-effect-import-removed"].severity).toBe("message");
    expect(config.rules["module-moved-without-shim"].severity).toBe("warn");
    expect(config.receiverDecorators).toEqual(["receiver"]);
  });

  it("applies options over the pyproject, rule by rule", () => {
    const { config } = resolveConfig({
      pyprojectAtBase: base,
      options: {
        rules: { "side-effect-import-removed": "fail" },
        extendHeavyModules: ["openai"],
        extendExclude: ["generated/**"],
        overrides: [{ files: ["ee/billing/**"], rules: { "heavy-import-at-startup": "off" } }],
      },
    });
    expect(config.rules["heavy-import-at-startup"].severity).toBe("fail"); // from pyproject
    expect(config.rules["side-effect-import-removed"].severity).toBe("fail"); // option wins
    expect(config.heavyModules).toEqual(["scipy", "numpy", "posthog.api", "torch", "openai"]);
    expect(config.exclude).toEqual(["vendor/**", "generated/**"]);
    expect(config.overrides.map((o) => o.files)).toEqual([["ee/**"], ["ee/billing/**"]]);
  });

  it("lets an options list replace everything before it", () => {
    const { config } = resolveConfig({ pyprojectAtBase: base, options: { heavyModules: ["pandas"] } });
    expect(config.heavyModules).toEqual(["pandas"]);
  });

  it("extends the defaults when the pyproject only extends", () => {
    const { config } = resolveConfig({
      pyprojectAtBase: `[tool.django-startup-guard]\nextend_heavy_modules = ["posthog.api"]\nextend_receiver_decorators = ["mutable_receiver"]\n`,
    });
    expect(config.heavyModules).toEqual([...DEFAULT_HEAVY_MODULES, "posthog.api"]);
    expect(config.receiverDecorators).toEqual(["receiver", "mutable_receiver"]);
  });

  it("reports invalid parts and keeps the defaults for them, never throwing", () => {
    const { config, errors } = resolveConfig({
      pyprojectAtBase: `[tool.django-startup-guard]\nmax_file_bytes = -3\n`,
      options: { docsUrl: "ftp://x", rules: { "heavy-import-at-startup": "loud" } },
    });
    expect(config.maxFileBytes).toBe(2 * 1024 * 1024);
    expect(config.docsUrl).toBe(DEFAULT_DOCS_URL);
    expect(config.rules["heavy-import-at-startup"].severity).toBe("warn");
    expect(errors.map((e) => e.where)).toEqual(["pyproject.toml:2", "options", "options"]);
  });

  it("survives a broken base pyproject", () => {
    const { config, errors } = resolveConfig({ pyprojectAtBase: "[tool.django-startup-guard\n", options: { maxFileBytes: 10 } });
    expect(config.maxFileBytes).toBe(10);
    expect(config.heavyModules).toEqual([...DEFAULT_HEAVY_MODULES]);
    expect(errors).toHaveLength(1);
    expect(errors[0].where).toBe("pyproject.toml:1");
  });

  it("uses the given names in error locations", () => {
    const { errors } = resolveConfig({
      pyprojectAtBase: `[tool.django-startup-guard]\nbogus = 1\n`,
      pyprojectPath: "backend/pyproject.toml",
      options: { bogus: 1 },
      optionsWhere: "dangerfile djangoStartup({...})",
    });
    expect(errors.map((e) => e.where)).toEqual(["backend/pyproject.toml:2", "dangerfile djangoStartup({...})"]);
  });
});

describe("resolveConfig: the PR's own pyproject is not in force", () => {
  const base = `[tool.django-startup-guard]\nrules = { "heavy-import-at-startup" = "fail" }\n`;
  const NOTE =
    "This pull request changes the startup guard's configuration in pyproject.toml ([tool.django-startup-guard] or Ruff's banned-module-level-imports). This review uses the configuration of the base branch; the new one applies once merged.";

  const cases: [string, string | null, string | null | undefined, boolean][] = [
    ["head silences a rule", base, `[tool.django-startup-guard]\nrules = { "heavy-import-at-startup" = "off" }\n`, true],
    ["head adds the table", null, base, true],
    ["head deletes pyproject.toml", base, null, true],
    ["head edits Ruff's bans", base, `${base}[tool.ruff.lint.flake8-tidy-imports]\nbanned-module-level-imports = ["x"]\n`, true],
    ["head is identical", base, base, false],
    ["head reformats and comments only", base, `# comment\n[tool.django-startup-guard]\nrules = {"heavy-import-at-startup"="fail"}  # why\n`, false],
    ["head edits another table", base, `[project]\nname = "new"\n\n${base}`, false],
    ["neither has a config", null, `[project]\nname = "x"\n`, false],
    ["head not given", base, undefined, false],
  ];
  it.each(cases)("%s", (_name, atBase, atHead, noted) => {
    const { config, notes } = resolveConfig({ pyprojectAtBase: atBase, pyprojectAtHead: atHead });
    expect(notes).toEqual(noted ? [NOTE] : []);
    const expected = atBase === null ? "warn" : "fail";
    expect(config.rules["heavy-import-at-startup"].severity).toBe(expected);
  });

  it("reports errors in the head's new config, labelled as the head's", () => {
    const { errors, config } = resolveConfig({
      pyprojectAtBase: base,
      pyprojectAtHead: `[tool.django-startup-guard]\nrules = { "heavy-import-at-startup" = "nope" }\n`,
    });
    expect(config.rules["heavy-import-at-startup"].severity).toBe("fail");
    expect(errors).toEqual([
      {
        kind: "config",
        where: "pyproject.toml (head):2",
        message:
          'tool.django-startup-guard.rules.heavy-import-at-startup: got "nope"; allowed severities: off, message, warn, fail',
      },
    ]);
  });

  it("does not repeat the base's errors for an unchanged head", () => {
    const broken = `[tool.django-startup-guard]\nbogus = 1\n`;
    expect(resolveConfig({ pyprojectAtBase: broken, pyprojectAtHead: broken }).errors).toHaveLength(1);
  });

  it("compares broken files by their error, not by their label", () => {
    const broken = "[tool.django-startup-guard\n";
    const same = resolveConfig({ pyprojectAtBase: broken, pyprojectAtHead: `${broken}\n` });
    expect(same.notes).toEqual([]);
    expect(same.errors.map((e) => e.where)).toEqual(["pyproject.toml:1"]);
    const fixed = resolveConfig({ pyprojectAtBase: broken, pyprojectAtHead: base });
    expect(fixed.notes).toEqual([NOTE]);
  });

  it("uses the head's when there is no base (a CLI run over a tree)", () => {
    const { config, notes } = resolveConfig({ pyprojectAtHead: base });
    expect(config.rules["heavy-import-at-startup"].severity).toBe("fail");
    expect(notes).toEqual([]);
  });
});

describe("severityFor and path globs", () => {
  function configWith(layer: PartialConfig): Config {
    const { config, errors } = resolveConfig({ options: layer });
    expect(errors).toEqual([]);
    return config;
  }
  const config = configWith({
    rules: { "heavy-import-at-startup": "warn", "module-moved-without-shim": "off" },
    overrides: [
      { files: ["ee/**"], rules: { "heavy-import-at-startup": "fail" } },
      { files: ["ee/billing/**", "**/.hidden/**"], rules: { "heavy-import-at-startup": "message" } },
      { files: ["ee/billing/stripe.py"], rules: { "side-effect-import-removed": "off" } },
      { files: ["products/*/backend/**"], rules: { "module-moved-without-shim": "fail" } },
    ],
    exclude: ["vendor/**", "**/generated_*.py"],
  });

  const cases: [string, string, string][] = [
    ["heavy-import-at-startup", "posthog/models/user.py", "warn"],
    ["heavy-import-at-startup", "ee/api/signature.py", "fail"],
    ["heavy-import-at-startup", "ee/billing/stripe.py", "message"], // last matching override wins
    ["heavy-import-at-startup", "./ee/billing/stripe.py", "message"],
    ["heavy-import-at-startup", "a/.hidden/x.py", "message"], // dot: true
    ["side-effect-import-removed", "ee/billing/stripe.py", "off"],
    ["side-effect-import-removed", "ee/api/signature.py", "warn"], // override without this rule leaves it
    ["module-moved-without-shim", "posthog/exceptions.py", "off"],
    ["module-moved-without-shim", "products/tasks/backend/exceptions.py", "fail"],
  ];
  it.each(cases)("%s in %s is %s", (rule, path, expected) => {
    expect(severityFor(config, rule as (typeof RULE_IDS)[number], path)).toBe(expected);
  });

  it("knows whether a rule may report anywhere", () => {
    expect(ruleEnabledAnywhere(config, "module-moved-without-shim")).toBe(true);
    expect(ruleEnabledAnywhere(configWith({ rules: { "module-moved-without-shim": "off" } }), "module-moved-without-shim")).toBe(false);
  });

  const pathCases: [string, boolean, boolean, boolean][] = [
    // path, excluded, test, exception module
    ["vendor/lib/x.py", true, false, false],
    ["app/generated_models.py", true, false, false],
    ["posthog/models/user.py", false, false, false],
    ["posthog/test/test_user.py", false, true, false],
    ["posthog/tests/helpers.py", false, true, false],
    ["tests/conftest.py", false, true, false],
    ["conftest.py", false, true, false],
    ["posthog/api/user_test.py", false, true, false],
    ["exceptions.py", false, false, true],
    ["products/tasks/backend/temporal/exceptions.py", false, false, true],
    ["posthog/errors.py", false, false, true],
    ["pkg/exceptions/__init__.py", false, false, true],
    ["pkg/exceptions/http.py", false, false, false],
    ["pkg/.venv/exceptions.py", false, false, true],
  ];
  it.each(pathCases)("%s: excluded %s, test %s, exceptions %s", (path, excluded, test, exceptions) => {
    expect(isExcluded(config, path)).toBe(excluded);
    expect(isTestFile(config, path)).toBe(test);
    expect(isExceptionModule(config, path)).toBe(exceptions);
  });

  it("excludes nothing by default", () => {
    expect(isExcluded(defaultConfig(), "posthog/migrations/0001_initial.py")).toBe(false);
  });
});

describe("pragmas", () => {
  const valid: [string, string, { rules: string[] | "all"; reason: string }[]][] = [
    [
      "trailing",
      "import stripe  # startup-guard: allow heavy-import-at-startup -- webhook CLI only",
      [{ rules: ["heavy-import-at-startup"], reason: "webhook CLI only" }],
    ],
    [
      "comment line, two rules",
      "# startup-guard: allow heavy-import-at-startup, side-effect-import-removed -- moved to ready()",
      [{ rules: ["heavy-import-at-startup", "side-effect-import-removed"], reason: "moved to ready()" }],
    ],
    ["all", "from x import *  # startup-guard: allow all -- vendored, see #123", [{ rules: "all", reason: "vendored, see #123" }]],
    [
      "after noqa, before another tool's comment",
      "from . import signals  # noqa: F401  # startup-guard: allow side-effect-import-removed -- wired in apps.py  # type: ignore",
      [{ rules: ["side-effect-import-removed"], reason: "wired in apps.py" }],
    ],
    ["loose spacing and case", "x = 1  #startup-guard :ALLOW  Heavy-Import-At-Startup--ok", [{ rules: ["heavy-import-at-startup"], reason: "ok" }]],
    ["no pragma", "import stripe  # noqa", []],
    ["pragma text inside a string", `s = "# startup-guard: allow all"`, []],
    ["pragma text inside a triple-quoted string", `s = """# startup-guard: allow all -- x"""`, []],
    ["prose mentioning the tool", "# see the startup-guard docs", []],
  ];
  it.each(valid)("parses %s", (_name, line, expected) => {
    const { pragmas, errors } = parsePragmas(line, { file: "a.py", line: 1 });
    expect(errors).toEqual([]);
    expect(pragmas).toEqual(expected);
  });

  const SYNTAX = '"# startup-guard: allow <rule-id>[, <rule-id>...] -- <reason>"';
  const invalid: [string, string, string][] = [
    [
      "no reason",
      "import stripe  # startup-guard: allow heavy-import-at-startup",
      `startup-guard pragma ignored: it gives no reason after "--"; expected ${SYNTAX}`,
    ],
    [
      "empty reason",
      "import stripe  # startup-guard: allow heavy-import-at-startup --   ",
      `startup-guard pragma ignored: it gives no reason after "--"; expected ${SYNTAX}`,
    ],
    [
      "unknown rule",
      "import stripe  # startup-guard: allow heavy-imports -- ok",
      `startup-guard pragma ignored: unknown rule "heavy-imports" (did you mean "heavy-import-at-startup"?); allowed: all, ${ALLOWED_RULES}; expected ${SYNTAX}`,
    ],
    [
      "no rule",
      "import stripe  # startup-guard: allow -- ok",
      `startup-guard pragma ignored: it names no rule (use a rule id or "all"); expected ${SYNTAX}`,
    ],
    [
      "other directive",
      "import stripe  # startup-guard: ignore heavy-import-at-startup -- ok",
      `malformed pragma "# startup-guard: ignore heavy-import-at-startup -- ok"; expected ${SYNTAX}`,
    ],
  ];
  it.each(invalid)("reports %s at file:line and suppresses nothing", (_name, line, message) => {
    const { pragmas, errors } = parsePragmas(line, { file: "ee/api/signature.py", line: 7 });
    expect(pragmas).toEqual([]);
    expect(errors).toEqual([{ kind: "pragma", where: "ee/api/signature.py:7", message }]);
  });

  const lines = [
    "import os",
    "# startup-guard: allow heavy-import-at-startup -- needed by the settings module",
    "import stripe",
    "import chdb  # startup-guard: allow all -- only the CLI imports this module",
    "x = 1  # startup-guard: allow heavy-import-at-startup -- trailing comments do not carry over",
    "import numpy",
    "# startup-guard: allow heavy-import-at-startup",
    "import pandas",
    "# startup-guard: allow side-effect-import-removed -- other rule",
    "import scipy",
  ];
  const allowCases: [number, string, boolean][] = [
    [3, "heavy-import-at-startup", true], // comment-only line above
    [3, "side-effect-import-removed", false],
    [4, "module-moved-without-shim", true], // all, same line
    [6, "heavy-import-at-startup", false], // line above holds code, not only a comment
    [8, "heavy-import-at-startup", false], // pragma without reason
    [10, "heavy-import-at-startup", false],
    [10, "side-effect-import-removed", true],
    [1, "heavy-import-at-startup", false],
    [99, "heavy-import-at-startup", false],
  ];
  it.each(allowCases)("line %d, %s: allowed %s", (line, rule, expected) => {
    expect(pragmaAllows(lines, line, rule as (typeof RULE_IDS)[number])).toBe(expected);
  });

  it("lists every invalid pragma of a file", () => {
    expect(pragmaErrors(lines, "m.py").map((e) => e.where)).toEqual(["m.py:7"]);
  });

  it("finds where a comment starts", () => {
    expect(commentStart("x = 1  # c")).toBe(7);
    expect(commentStart(`x = "a # b" + 'c#' # d`)).toBe(19);
    expect(commentStart(`x = "a \\" # b"`)).toBe(-1);
    expect(commentStart(`x = """ # """ # z`)).toBe(14);
    expect(commentStart(`x = """ # open`)).toBe(-1);
  });
});

describe("matchHeavy", () => {
  const list = ["scipy", "google.genai", "google.genai.types", "django.test", "boto3"];
  const cases: [string, string | null][] = [
    ["scipy", "scipy"],
    ["scipy.stats", "scipy"],
    ["scipy.stats.distributions", "scipy"],
    ["scipyx", null],
    ["scipy_extras", null],
    ["google", null],
    ["google.genai", "google.genai"],
    ["google.genai.types", "google.genai.types"], // longest entry wins
    ["google.genaix", null],
    ["django", null],
    ["django.test.utils", "django.test"],
    ["django.testing", null],
    ["", null],
  ];
  it.each(cases)("%s -> %s", (module, expected) => {
    expect(matchHeavy(module, list)).toBe(expected);
  });
});

describe("docsUrlFor", () => {
  it.each([
    ["https://x.dev/doc.md", "https://x.dev/doc.md#heavy-import-at-startup"],
    ["https://x.dev/doc.md#old", "https://x.dev/doc.md#heavy-import-at-startup"],
    ["https://x.dev/rules/{rule}.html", "https://x.dev/rules/heavy-import-at-startup.html"],
  ])("%s", (docsUrl, expected) => {
    expect(docsUrlFor({ docsUrl }, "heavy-import-at-startup")).toBe(expected);
  });

  it("takes an explicit anchor", () => {
    expect(docsUrlFor({ docsUrl: DEFAULT_DOCS_URL }, "side-effect-import-removed", "traps")).toBe(`${DEFAULT_DOCS_URL}#traps`);
  });
});
