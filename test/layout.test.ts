/**
 * The layout found with no configuration (graph/layout.ts): source roots and the settings
 * module, each with its reason, on real-shaped repositories built as git repos, through the
 * CLI (`startup`, `why`) and the review (at base and head).
 */
import { startupCommand, whyCommand } from "../src/cli/startup";
import { reviewCommand } from "../src/cli/review";
import { cleanupRepos, makeRepo, tempDir, committedRepo } from "./helpers/git-repo";
import { describeRule, type ReviewCase } from "./helpers/rule-tester";
import { graphOf } from "./fixtures-graph/helpers";
import * as fs from "node:fs";
import * as path from "node:path";

afterAll(cleanupRepos);

type Files = Record<string, string>;

const manage = (settings: string): string =>
  `#!/usr/bin/env python\nimport os\nimport sys\n\nif __name__ == "__main__":\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${settings}")\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n`;
const appConfig = (name: string, ready = ""): string =>
  `from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = "${name}"\n${ready ? `\n    def ready(self):\n        ${ready}\n` : ""}`;
/** An app package under `dir` (repository path) named `name` (module name). */
const app = (dir: string, name: string, ready = ""): Files => ({
  [`${dir}/__init__.py`]: "",
  [`${dir}/apps.py`]: appConfig(name, ready),
  [`${dir}/models.py`]: "from django.db import models\n",
});

const repoOf = (files: Files): string => committedRepo(files).dir;

interface Startup {
  settings: string | null;
  settings_from: string | null;
  source_roots: { dir: string; reason: string }[];
  modules: { name: string; first_party: boolean; kind: string }[];
  unresolved: { what: string; where: string; why: string }[];
  notes: string[];
}

async function run(cmd: typeof startupCommand, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await cmd(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

async function startup(dir: string, ...extra: string[]): Promise<Startup> {
  const { code, out, err } = await run(startupCommand, ["--repo", dir, "--format", "json", "--no-cache", ...extra]);
  expect([code, err]).toEqual([0, ""]);
  return JSON.parse(out) as Startup;
}

const names = (s: Startup): string[] => s.modules.filter((m) => m.first_party).map((m) => m.name);

describe("source roots and settings, inferred", () => {
  it("manage.py in a subdirectory: its directory is the root (netbox/, as Django puts it on sys.path)", async () => {
    const dir = repoOf({
      "README.md": "# netbox\n",
      "netbox/manage.py": manage("netbox.settings"),
      "netbox/netbox/__init__.py": "",
      "netbox/netbox/settings.py": 'INSTALLED_APPS = ["django.contrib.contenttypes", "dcim", "utilities"]\n',
      "netbox/netbox/wsgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "netbox.settings")\n',
      ...app("netbox/dcim", "dcim", "from . import signals  # noqa: F401"),
      "netbox/dcim/signals.py": "from utilities.helpers import fmt\n",
      ...app("netbox/utilities", "utilities"),
      "netbox/utilities/helpers.py": "def fmt():\n    pass\n",
      "scripts/release.py": "import sys\n",
    });
    const s = await startup(dir);
    expect(s.settings).toBe("netbox.settings");
    expect(s.settings_from).toBe("DJANGO_SETTINGS_MODULE at netbox/manage.py:6");
    expect(s.source_roots).toEqual([{ dir: "netbox", reason: "the directory of netbox/manage.py (running it puts that directory on sys.path)" }]);
    expect(names(s)).toEqual(expect.arrayContaining(["netbox.settings", "dcim.apps", "dcim.models", "dcim.signals", "utilities.helpers", "utilities.models"]));
    expect(s.unresolved).toEqual([]);
    // The roots are the user's to override: `--source-root .` is taken as given, and the settings are then not found.
    const forced = await startup(dir, "--source-root", ".");
    expect(forced.source_roots).toEqual([{ dir: ".", reason: "source_roots (configuration)" }]);
    expect(forced.unresolved[0].why).toBe('the settings module is not in the repository under the source roots (.); netbox/netbox/settings.py would be it with source_roots = ["netbox"]');
  });

  it("src/ layout next to a top-level manage.py: both are roots, in that order", async () => {
    const dir = repoOf({ "manage.py": manage("proj.settings"), "src/proj/__init__.py": "", "src/proj/settings.py": 'INSTALLED_APPS = ["shop"]\n', ...app("src/shop", "shop") });
    const s = await startup(dir);
    expect(s.source_roots).toEqual([
      { dir: ".", reason: "the directory of manage.py (running it puts that directory on sys.path)" },
      { dir: "src", reason: "src/ layout: src/ holds the packages and is not a package itself" },
    ]);
    expect(names(s)).toEqual(expect.arrayContaining(["proj.settings", "shop", "shop.apps", "shop.models"]));
  });

  it("setup.cfg package_dir and pytest's DJANGO_SETTINGS_MODULE in tox.ini (no manage.py)", async () => {
    const dir = repoOf({
      "setup.cfg": "[metadata]\nname = proj\n\n[options]\npackage_dir =\n    = lib\npackages = find:\n\n[options.packages.find]\nwhere = lib\n",
      "tox.ini": "[tox]\nenvlist = py3\n\n[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\n",
      "lib/proj/__init__.py": "",
      "lib/proj/settings.py": 'INSTALLED_APPS = ["shop"]\n',
      ...app("lib/shop", "shop"),
    });
    const s = await startup(dir);
    expect(s.settings).toBe("proj.settings");
    expect(s.settings_from).toBe("DJANGO_SETTINGS_MODULE in tox.ini:5");
    expect(s.source_roots).toEqual([{ dir: "lib", reason: "package_dir in setup.cfg:5 ([options])" }]);
    expect(names(s)).toEqual(expect.arrayContaining(["shop.apps", "shop.models"]));
  });

  it("pyproject.toml: setuptools package-dir and [tool.pytest.ini_options] with --ds in addopts", async () => {
    const dir = repoOf({
      "pyproject.toml": '[project]\nname = "proj"\n\n[tool.setuptools]\npackage-dir = {"" = "code"}\n\n[tool.pytest.ini_options]\naddopts = "-q --ds=proj.test_settings"\n',
      "code/proj/__init__.py": "",
      "code/proj/test_settings.py": 'INSTALLED_APPS = ["shop"]\n',
      ...app("code/shop", "shop"),
    });
    const s = await startup(dir);
    expect(s.settings).toBe("proj.test_settings");
    expect(s.settings_from).toBe("--ds in addopts, pyproject.toml:8");
    expect(s.source_roots).toEqual([{ dir: "code", reason: "package-dir in pyproject.toml:5 ([tool.setuptools])" }]);
    expect(names(s)).toContain("shop.models");
  });

  it("pytest.ini pythonpath and DJANGO_SETTINGS_MODULE", async () => {
    const dir = repoOf({
      "pytest.ini": "[pytest]\npythonpath = backend\nDJANGO_SETTINGS_MODULE = config.settings\n",
      "backend/config/__init__.py": "",
      "backend/config/settings.py": 'INSTALLED_APPS = ["shop"]\n',
      ...app("backend/shop", "shop"),
    });
    const s = await startup(dir);
    expect(s.settings_from).toBe("DJANGO_SETTINGS_MODULE in pytest.ini:3");
    expect(s.source_roots).toEqual([{ dir: "backend", reason: "pythonpath in pytest.ini:2 (pytest puts it on sys.path)" }]);
    expect(names(s)).toContain("shop.models");
  });

  it("two manage.py files: the one whose settings resolve is used, the other is listed", async () => {
    const dir = repoOf({
      "manage.py": manage("example.settings"),
      "sandbox/manage.py": manage("settings"),
      "sandbox/settings.py": 'INSTALLED_APPS = ["oscar"]\n',
      "src/oscar/__init__.py": "",
      "src/oscar/apps.py": appConfig("oscar"),
      "src/oscar/models.py": "",
    });
    const s = await startup(dir);
    expect(s.settings).toBe("settings");
    expect(s.settings_from).toBe("DJANGO_SETTINGS_MODULE at sandbox/manage.py:6");
    expect(s.source_roots.map((r) => r.dir)).toEqual(["sandbox", "src"]);
    expect(names(s)).toEqual(expect.arrayContaining(["settings", "oscar.apps", "oscar.models"]));
    expect(s.notes).toContain(
      "Other manage.py files: manage.py (example.settings, not found from .); the graph uses sandbox/manage.py. Set settings_module (and source_roots) to choose another.",
    );
  });

  it("a plain repository keeps the top directory, and says why", async () => {
    const plain = await startup(repoOf({ "app.py": "import os\n" }));
    expect(plain.source_roots).toEqual([{ dir: ".", reason: "the repository's top directory (no manage.py, src/, package directory or pytest pythonpath says otherwise)" }]);
    expect(plain.settings).toBeNull();
  });

  it("takes --config and --settings on startup and why, and rejects a bad --source-root", async () => {
    const dir = repoOf({ "svc/manage.py": manage("svc_site.settings"), "svc/svc_site/__init__.py": "", "svc/svc_site/settings.py": "INSTALLED_APPS = []\n", "svc/svc_site/other.py": "INSTALLED_APPS = []\nimport json\n" });
    const cfg = path.join(tempDir(), "c.json");
    fs.writeFileSync(cfg, JSON.stringify({ settingsModule: "svc_site.other" }));
    expect((await startup(dir, "--config", cfg)).settings_from).toBe("settings_module (configuration)");
    const viaFlag = await startup(dir, "--settings", "svc_site.other");
    expect(viaFlag.settings).toBe("svc_site.other");
    expect(viaFlag.source_roots.map((r) => r.dir)).toEqual(["svc"]);
    expect(viaFlag.modules.find((m) => m.name === "json")).toMatchObject({ first_party: false, kind: "stdlib" });
    const why = await run(whyCommand, ["json", "--repo", dir, "--no-cache", "--config", cfg]);
    expect(why.out.split("\n").slice(0, 3)).toEqual(["django.setup() imports json:", "  svc_site.other (svc/svc_site/other.py): startup root, settings module (settings_module (configuration))", "  json [stdlib]: imported at svc/svc_site/other.py:2"]);
    const bad = await run(startupCommand, ["--repo", dir, "--source-root", "../elsewhere"]);
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('--source-root: "../elsewhere" leaves the repository ("..")')]);
  });

  it("the stored graph follows the layout: editing pytest.ini's pythonpath changes the graph on the next run", async () => {
    const repo = makeRepo();
    repo.write("pytest.ini", "[pytest]\npythonpath = one\nDJANGO_SETTINGS_MODULE = site_settings\n");
    repo.write("one/site_settings.py", "import first\n");
    repo.write("one/first.py", "");
    repo.write("two/site_settings.py", "import second\n");
    repo.write("two/second.py", "");
    repo.commit("base");
    const withCache = async (): Promise<Startup> => {
      const { out } = await run(startupCommand, ["--repo", repo.dir, "--format", "json"]);
      return JSON.parse(out) as Startup;
    };
    expect(names(await withCache())).toEqual(["site_settings", "first"]);
    repo.write("pytest.ini", "[pytest]\npythonpath = two\nDJANGO_SETTINGS_MODULE = site_settings\n");
    expect(names(await withCache())).toEqual(["site_settings", "second"]);
  });
});

describe("why: missing, not imported, stdlib", () => {
  const dir = (): string =>
    repoOf({ "manage.py": manage("proj.settings"), "proj/__init__.py": "", "proj/settings.py": 'INSTALLED_APPS = ["django.contrib.auth", "shop"]\n', ...app("shop", "shop"), "shop/views.py": "import decimal\n" });
  const outside = "Django itself and installed third-party apps may still import it; the tool does not read their code.";
  it.each([
    ["shop.viewz", `No module shop.viewz in the repository (did you mean shop.views?). If it is third-party, the repository's code does not import it at setup (settings: proj.settings). ${outside}`, "not-in-repository", "shop.views"],
    ["shop.views", "shop.views (shop/views.py) is in the repository, but django.setup() does not import it (settings: proj.settings).", "first-party", null],
    ["decimal", `decimal [stdlib] is in the standard library; the repository's code does not import it at setup (settings: proj.settings). ${outside}`, "stdlib", null],
    ["requests", `No module requests in the repository. If it is third-party, the repository's code does not import it at setup (settings: proj.settings). ${outside}`, "not-in-repository", null],
    // A module of an installed third-party app: the tool cannot know, and says what it does know.
    [
      "django.contrib.auth.models",
      `No module django.contrib.auth.models in the repository. If it is third-party, the repository's code does not import it at setup (settings: proj.settings). ${outside}\nIts package django.contrib.auth is imported at setup (why django.contrib.auth); the tool does not read its code, so it cannot tell whether that imports django.contrib.auth.models. Django's app registry imports the models module of every installed app, so setup imports django.contrib.auth.models if it exists.`,
      "not-in-repository",
      null,
    ],
    // A misspelt name the graph reaches outside the repository is suggested as such, never as a module of the repository.
    ["django.contrib.atuh", `No module django.contrib.atuh in the repository (did you mean django.contrib.auth, which django.setup() imports?). If it is third-party, the repository's code does not import it at setup (settings: proj.settings). ${outside}`, "not-in-repository", "django.contrib.auth"],
  ])("%s", async (module, text, kind, didYouMean) => {
    const repo = dir();
    const t = await run(whyCommand, [module, "--repo", repo, "--no-cache"]);
    expect([t.code, t.out]).toEqual([0, `${text}\n`]);
    const j = await run(whyCommand, [module, "--repo", repo, "--no-cache", "--format", "json"]);
    expect(JSON.parse(j.out)).toMatchObject({ module, imported: false, kind, did_you_mean: didYouMean });
  });

  it("without a settings module, leads with that and claims nothing about setup", async () => {
    const repo = repoOf({ ...app("shop", "shop"), "shop/views.py": "import decimal\n" });
    const t = await run(whyCommand, ["shop.views", "--repo", repo, "--no-cache"]);
    expect(t.code).toBe(0);
    expect(t.out.split("\n").slice(0, 2)).toEqual([
      "No settings module was found, so nothing is known to be imported at setup: pass --settings MODULE (or set settings_module or startup_roots).",
      "shop.views (shop/views.py) is in the repository.",
    ]);
    expect(t.out).not.toMatch(/does not import/);
    expect(t.out).toMatch(/\nNotes:\n {2}No settings module found/);
    const s = await run(whyCommand, ["json", "--repo", repo, "--no-cache"]);
    expect(s.out.split("\n").slice(0, 2)).toEqual([
      "No settings module was found, so nothing is known to be imported at setup: pass --settings MODULE (or set settings_module or startup_roots).",
      "json [stdlib] is in the standard library.",
    ]);
  });
});

describe("review with the layout inferred at base and head", () => {
  const NETBOX: Files = {
    "netbox/manage.py": manage("netbox.settings"),
    "netbox/netbox/__init__.py": "",
    "netbox/netbox/settings.py": 'INSTALLED_APPS = ["dcim"]\n',
    ...app("netbox/dcim", "dcim"),
    "netbox/dcim/views.py": "from utilities.exceptions import AbortRequest\n",
    "netbox/utilities/__init__.py": "",
    "netbox/utilities/exceptions.py": "class AbortRequest(Exception):\n    pass\n",
    "scripts/tools/__init__.py": "",
    "scripts/tools/helpers.py": "def run():\n    pass\n",
  };
  const cases: ReviewCase[] = [
    {
      name: "a heavy import added to a models module under netbox/",
      base: NETBOX,
      head: { "netbox/dcim/models.py": "import numpy\nfrom django.db import models\n" },
      expect: ["heavy-import-at-startup netbox/dcim/models.py:1 warn"],
    },
    {
      name: "an exceptions module moved while netbox/dcim/views.py still imports utilities.exceptions",
      base: NETBOX,
      renames: [["netbox/utilities/exceptions.py", "netbox/core/exceptions.py"]],
      head: { "netbox/core/__init__.py": "" },
      expect: ["module-moved-without-shim netbox/dcim/views.py:1 warn"],
    },
    {
      name: "a moved file under no source root: the rule says it could not look",
      base: NETBOX,
      renames: [["scripts/tools/helpers.py", "scripts/tools/run.py"]],
      expect: ["module-moved-without-shim scripts/tools/run.py:- message"],
      check: (r) => expect(r.findings[0].message).toBe("scripts/tools/helpers.py was moved to scripts/tools/run.py, but it is under none of the source roots (netbox), so it has no module name: references to its old path were not looked for, and this review cannot say whether anything still imports it."),
    },
  ];
  const valid: ReviewCase[] = [
    { name: "a test module outside the roots renamed (pytest collects it by path)", base: { ...NETBOX, "scripts/test_release.py": "def test_x():\n    pass\n" }, renames: [["scripts/test_release.py", "scripts/test_publish.py"]], expect: [] },
  ];
  describeRule("layout", cases, valid);

  it("review takes --settings and --source-root", async () => {
    const repo = committedRepo(NETBOX);
    repo.git("checkout", "-q", "-b", "pr");
    repo.write("netbox/dcim/models.py", "import numpy\n");
    repo.commit("pr");
    const review = async (...extra: string[]): Promise<string[]> => {
      const r = await run(reviewCommand, ["--repo", repo.dir, "--base", "main", "--format", "json", "--no-cache", ...extra]);
      return (JSON.parse(r.out) as { findings: { rule: string; severity: string }[] }).findings.map((f) => `${f.rule} ${f.severity}`);
    };
    expect(await review()).toEqual(["heavy-import-at-startup warn"]);
    // Pointing the roots elsewhere loses the settings: the module is no longer on the startup path (the flag is applied).
    expect(await review("--source-root", ".")).toEqual(["heavy-import-at-startup message"]);
    expect(await review("--source-root", "netbox", "--source-root", "scripts", "--settings", "netbox.settings")).toEqual(["heavy-import-at-startup warn"]);
  });
});

describe("more layouts, read from the files (in memory)", () => {
  const settings = { "proj/__init__.py": "", "proj/settings.py": "INSTALLED_APPS = []\n" };
  const under = (dir: string): Files => Object.fromEntries(Object.entries(settings).map(([p, c]) => [`${dir}/${p}`, c]));
  const PYTEST = { "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\n" };
  const cases: [string, Files, { dir: string; reason: string }[]][] = [
    ["Poetry's packages from", { ...PYTEST, ...under("lib"), "pyproject.toml": '[tool.poetry]\nname = "x"\npackages = [{ include = "proj", from = "lib" }]\n' }, [{ dir: "lib", reason: 'packages "from" in pyproject.toml:3 ([tool.poetry])' }]],
    ["Hatch's wheel packages", { ...PYTEST, ...under("python"), "pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["python/proj"]\n' }, [{ dir: "python", reason: "packages in pyproject.toml:2 ([tool.hatch.build.targets.wheel])" }]],
    ["setup.py package_dir", { ...PYTEST, ...under("pysrc"), "setup.py": 'from setuptools import setup\nsetup(\n    package_dir={"": "pysrc"},\n)\n' }, [{ dir: "pysrc", reason: "package_dir in setup.py:3" }]],
    ["wsgi.py naming the settings, no manage.py", { ...under("deploy"), "deploy/proj/wsgi.py": 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings"\n' }, [{ dir: "deploy", reason: "the directory from which deploy/proj/wsgi.py's DJANGO_SETTINGS_MODULE (proj.settings) resolves" }]],
    [
      "src/ and a top-level conftest.py",
      { ...PYTEST, ...under("src"), "conftest.py": "" },
      [
        { dir: "src", reason: "src/ layout: src/ holds the packages and is not a package itself" },
        { dir: ".", reason: "conftest.py at the top of the repository (pytest puts its directory on sys.path)" },
      ],
    ],
  ];
  it.each(cases)("%s", async (_name, files, roots) => {
    const g = await graphOf(files);
    expect(g.sourceRoots).toEqual(roots);
    expect(g.settingsModule).toBe("proj.settings");
    expect(g.unresolved).toEqual([]);
  });

  it("notes what it could not use", async () => {
    const g = await graphOf({ ...PYTEST, ...settings, "setup.cfg": "[options]\npackage_dir =\n    = ../elsewhere\n" });
    expect(g.sourceRoots.map((r) => r.dir)).toEqual(["."]);
    expect(g.notes).toContain("package_dir in setup.cfg:2 ([options]) names ../elsewhere, outside the repository; not used.");
  });
});
