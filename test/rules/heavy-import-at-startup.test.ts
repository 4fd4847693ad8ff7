import { review } from "../../src/review/review";
import { gitChangeSet } from "../../src/source/git";
import { cleanupRepos, makeRepo } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase, summarise } from "../helpers/rule-tester";

afterAll(cleanupRepos);

const MODELS = DJANGO_BASE["shop/models.py"];
const RULE = "heavy-import-at-startup";

const invalid: ReviewCase[] = [
  {
    name: "module-scope import of a heavy module in a models module",
    base: DJANGO_BASE,
    head: { "shop/models.py": `import numpy\n${MODELS}` },
    expect: [`${RULE} shop/models.py:1 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.inDiff).toBe(true);
      expect(f.message).toContain("numpy");
      expect(f.chain?.map((l) => l.module)).toEqual(expect.arrayContaining(["shop.models", "numpy"]));
    },
  },
  {
    name: "an import moved from a function to module scope counts as added",
    base: { ...DJANGO_BASE, "shop/models.py": `${MODELS}\n\ndef stats():\n    import scipy.stats\n    return scipy.stats\n` },
    head: { "shop/models.py": `import scipy.stats\n${MODELS}\n\ndef stats():\n    return scipy.stats\n` },
    expect: [`${RULE} shop/models.py:1 warn`],
  },
  {
    name: "a heavy import added inside a repository function that a models module calls at module scope",
    base: { ...DJANGO_BASE, "shop/models.py": `from shop import util\n${MODELS}\nLABEL = util.fmt(1)\n` },
    head: { "shop/util.py": "def fmt(x):\n    import numpy  # noqa: F401\n    return str(x)\n" },
    expect: [`${RULE} shop/util.py:2 warn`],
    check: (r) => {
      const link = r.findings[0].chain?.find((l) => l.module === "numpy");
      expect(link?.via).toBe("calls util.fmt -> shop/util.py:2 imports numpy");
    },
  },
  {
    name: "an import inside AppConfig.ready() runs during setup",
    base: DJANGO_BASE,
    head: { "shop/apps.py": DJANGO_BASE["shop/apps.py"] + "        import pandas  # noqa: F401\n" },
    expect: [`${RULE} shop/apps.py:9 warn`],
  },
  {
    name: "an import_module() literal inside AppConfig.ready() runs during setup",
    base: DJANGO_BASE,
    head: { "shop/apps.py": DJANGO_BASE["shop/apps.py"] + '        import importlib\n        importlib.import_module("pandas")\n' },
    expect: [`${RULE} shop/apps.py:10 warn`],
    check: (r) => expect(r.findings[0].message).toContain("inside ShopConfig.ready() (Django calls it during setup)"),
  },
  {
    name: "a class-body import and a module-level import_module() literal",
    base: DJANGO_BASE,
    head: { "shop/models.py": `import importlib\n${MODELS}    import stripe\n\nboto = importlib.import_module("boto3")\n` },
    expect: [`${RULE} shop/models.py:7 warn`, `${RULE} shop/models.py:9 warn`],
  },
  {
    name: "from google import genai matches the dotted entry google.genai",
    base: DJANGO_BASE,
    head: { "shop/models.py": `from google import genai\n${MODELS}` },
    expect: [`${RULE} shop/models.py:1 warn`],
  },
  {
    name: "transitive: a new link to a module that imports a heavy one, reported at the new link with its chain",
    base: { ...DJANGO_BASE, "shop/reports.py": "import pandas\n\n\ndef report():\n    return pandas.DataFrame()\n" },
    head: { "shop/models.py": `from . import reports  # noqa: F401\n${MODELS}` },
    expect: [`${RULE} shop/models.py:1 warn`],
    check: (r) => {
      expect(r.findings[0].chain?.map((l) => l.module).slice(-3)).toEqual(["shop.models", "shop.reports", "pandas"]);
      expect(r.findings[0].chain?.[r.findings[0].chain.length - 1].line).toBe(1);
    },
  },
  {
    name: "a heavy import in a module setup does not reach is only a message",
    base: { ...DJANGO_BASE, "shop/management/__init__.py": "", "shop/management/commands/__init__.py": "", "shop/management/commands/export.py": "def handle():\n    pass\n" },
    head: { "shop/management/commands/export.py": "import pandas\n\n\ndef handle():\n    pass\n" },
    expect: [`${RULE} shop/management/commands/export.py:1 message`],
  },
  {
    name: "severity from the options and the base pyproject's ruff bans",
    base: { ...DJANGO_BASE, "pyproject.toml": '[tool.ruff.lint.flake8-tidy-imports]\nbanned-module-level-imports = ["shop.heavy_lib"]\n', "shop/heavy_lib.py": "X = 1\n" },
    head: { "shop/models.py": `from shop import heavy_lib  # noqa: F401\n${MODELS}` },
    options: { rules: { "heavy-import-at-startup": "fail" } },
    expect: [`${RULE} shop/models.py:1 fail`],
  },
  {
    name: "a PR cannot silence itself by editing pyproject.toml; the review says so",
    base: { ...DJANGO_BASE, "pyproject.toml": "[tool.django-startup-guard]\nextend_heavy_modules = []\n" },
    head: { "pyproject.toml": '[tool.django-startup-guard]\nheavy_modules = []\n[tool.django-startup-guard.rules]\nheavy-import-at-startup = "off"\n', "shop/models.py": `import numpy\n${MODELS}` },
    expect: [`${RULE} shop/models.py:1 warn`],
    check: (r) => expect(r.notes.join("\n")).toMatch(/pyproject/),
  },
  {
    name: "a first-party subsystem: setup newly reaches more modules through one import than the threshold",
    base: {
      ...DJANGO_BASE,
      "shop/engine/__init__.py": "from . import a, b, c, d, e  # noqa: F401\n",
      ...Object.fromEntries(["a", "b", "c", "d", "e"].map((m) => [`shop/engine/${m}.py`, "X = 1\n"])),
    },
    head: { "shop/models.py": `from shop import engine  # noqa: F401\n${MODELS}` },
    options: { subsystemThreshold: 3 },
    expect: [`${RULE} shop/models.py:1 warn`],
    check: (r) => expect(r.findings[0].message).toMatch(/shop\.engine.*5 more first-party modules/),
  },
  {
    name: "with an importtime log, findings carry their estimated cost, ranked",
    base: {
      ...DJANGO_BASE,
      "importtime.log": "import time: self [us] | cumulative | imported package\nimport time:      1200 |     250000 | pandas\nimport time:       900 |      90000 | numpy\n",
    },
    head: { "shop/models.py": `import numpy\nimport pandas\n${MODELS}` },
    options: { importtimeLog: "importtime.log" },
    expect: [`${RULE} shop/models.py:1 warn`, `${RULE} shop/models.py:2 warn`],
    check: (r) => {
      const byLine = new Map(r.findings.map((f) => [f.line, f.message]));
      expect(byLine.get(2)).toContain("+250.0 ms per process (pandas, from the importtime log; 1 of 2 by cost)");
      expect(byLine.get(1)).toContain("+90.0 ms per process (numpy, from the importtime log; 2 of 2 by cost)");
    },
  },
];

invalid.push({
  name: "a file with a syntax error is reported as a problem and loses no finding elsewhere",
  base: DJANGO_BASE,
  head: { "shop/util.py": "def fmt(x:\n    return str(x\n", "shop/models.py": `import numpy\n${MODELS}` },
  expect: [`${RULE} shop/models.py:1 warn`],
  check: (r) => expect(r.errors.filter((e) => e.kind === "syntax").map((e) => e.where)).toEqual(["shop/util.py:1"]),
});

const valid: ReviewCase[] = [
  {
    name: "under TYPE_CHECKING, inside a function, PEP 810 lazy",
    base: DJANGO_BASE,
    head: {
      "shop/models.py": `from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\nlazy import numpy\n${MODELS}\n\ndef f():\n    import scipy\n    return scipy\n`,
    },
    expect: [],
  },
  {
    name: "re-wrapping an existing import or moving it into a try block adds nothing",
    base: { ...DJANGO_BASE, "shop/models.py": `from numpy import array, zeros\n${MODELS}` },
    head: { "shop/models.py": `try:\n    from numpy import (\n        array,\n        zeros,\n    )\nexcept ImportError:\n    raise\n${MODELS}` },
    expect: [],
  },
  {
    name: "ready() of a class that is not an AppConfig is not called during setup (imports and import_module() alike)",
    base: DJANGO_BASE,
    head: { "shop/util.py": 'import importlib\n\n\nclass Job:\n    def ready(self):\n        import numpy  # noqa: F401\n        return importlib.import_module("pandas")\n' },
    expect: [],
  },
  {
    name: "a similar-looking name is not a prefix match",
    base: DJANGO_BASE,
    head: { "shop/models.py": `import numpy_financial\nimport pandasql\n${MODELS}` },
    expect: [],
  },
  {
    name: "test modules are never on the startup path",
    base: { ...DJANGO_BASE, "shop/tests/__init__.py": "", "shop/tests/test_orders.py": "def test_x():\n    pass\n" },
    head: { "shop/tests/test_orders.py": "import pandas\n\n\ndef test_x():\n    pass\n" },
    expect: [],
  },
  {
    name: "an inline pragma with a reason accepts the line",
    base: DJANGO_BASE,
    head: { "shop/models.py": `import numpy  # startup-guard: allow heavy-import-at-startup -- numpy is already loaded by the ORM extension\n${MODELS}` },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);

describe("the head revision, wherever the checkout is", () => {
  it("reads the head's blobs, not a checkout at another commit (nor its uncommitted edits)", async () => {
    const repo = makeRepo();
    for (const [p, content] of Object.entries(DJANGO_BASE)) repo.write(p, content);
    repo.commit("base");
    repo.git("checkout", "-q", "-b", "pr");
    repo.write("shop/models.py", `import numpy\n${MODELS}`);
    repo.commit("pr");
    repo.git("checkout", "-q", "main");
    // On disk now: main's models.py (no numpy), and an uncommitted edit no revision has.
    repo.write("shop/signals.py", `import pandas\n${DJANGO_BASE["shop/signals.py"]}`);
    const cs = await gitChangeSet({ repo: repo.dir, base: "main", head: "pr" });
    try {
      const r = await review({ changeSet: cs });
      expect(summarise(r)).toEqual([`${RULE} shop/models.py:1 warn`]);
      expect(r.findings[0].chain?.map((l) => l.module)).not.toContain("pandas");
    } finally {
      await cs.close?.();
    }
  });
});
