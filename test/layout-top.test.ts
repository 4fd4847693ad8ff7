/**
 * Layout shapes of reusable apps, on real git repositories through the CLI and the review:
 * the app package at the top with its Django project in `example_project/` (the top is a
 * source root too), settings named by `runtests.py`, and `startup`/`why` run from a
 * subdirectory (the git work tree's top is the repository, as for review).
 */
import { cleanupRepos, committedRepo, tempDir } from "./helpers/git-repo";
import { runInProcess } from "./helpers/run-cli";
import { describeRule, type ReviewCase } from "./helpers/rule-tester";
import * as fs from "node:fs";
import * as path from "node:path";

afterAll(cleanupRepos);

type Files = Record<string, string>;

const manage = (settings: string): string =>
  `#!/usr/bin/env python\nimport os\nimport sys\n\nif __name__ == "__main__":\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${settings}")\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n`;

/** hyperkitty's shape: the app at the top, its example project in example_project/ (settings next to manage.py). */
const APP: Files = {
  "hyperkitty/__init__.py": "",
  "hyperkitty/apps.py": 'from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = "hyperkitty"\n\n    def ready(self):\n        import hyperkitty.signals  # noqa: F401\n',
  "hyperkitty/models.py": "from django.db import models\nfrom hyperkitty.lib import utils\n",
  "hyperkitty/lib/__init__.py": "",
  "hyperkitty/lib/utils.py": "def fmt():\n    pass\n",
  "hyperkitty/signals.py": "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\n\n@receiver(post_save)\ndef on_save(sender, **kwargs):\n    pass\n",
  "example_project/manage.py": manage("settings"),
  "example_project/settings.py": 'INSTALLED_APPS = [\n    "django.contrib.contenttypes",\n    "hyperkitty",\n]\n',
};
const SETUP_PY = 'from setuptools import find_packages, setup\n\nsetup(name="HyperKitty", packages=find_packages(exclude=["example_project"]))\n';

const repoOf = (files: Files): string => committedRepo(files).dir;

interface Startup {
  settings: string | null;
  settings_from: string | null;
  source_roots: { dir: string; reason: string }[];
  modules: { name: string; first_party: boolean }[];
  unresolved: unknown[];
}

async function startup(dir: string, ...extra: string[]): Promise<Startup> {
  const { code, out, err } = await runInProcess(["startup", "--repo", dir, "--format", "json", "--no-cache", ...extra]);
  expect([code, err]).toEqual([0, ""]);
  return JSON.parse(out) as Startup;
}

const firstParty = (s: Startup): string[] => s.modules.filter((m) => m.first_party).map((m) => m.name).sort();
const EXAMPLE_ROOT = { dir: "example_project", reason: "the directory of example_project/manage.py (running it puts that directory on sys.path)" };
const TOP = "the repository's top directory, after the inferred roots: it holds package hyperkitty that they do not find, and ";

describe("the app at the top, its project in example_project/", () => {
  it("installable from the top (setup.py): the top is a root after example_project, and startup finds the app", async () => {
    const s = await startup(repoOf({ ...APP, "setup.py": SETUP_PY }));
    expect(s.settings_from).toBe("DJANGO_SETTINGS_MODULE at example_project/manage.py:6");
    expect(s.source_roots).toEqual([
      EXAMPLE_ROOT,
      { dir: ".", reason: `${TOP}the repository installs from there (setup.py; pip install -e . or running the tests from the top makes them importable)` },
    ]);
    expect(firstParty(s)).toEqual(["hyperkitty", "hyperkitty.apps", "hyperkitty.lib", "hyperkitty.lib.utils", "hyperkitty.models", "hyperkitty.signals", "settings"]);
    expect(s.unresolved).toEqual([]);
  });

  it.each([
    ["pyproject.toml [build-system]", { "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n' }, "the repository installs from there (pyproject.toml:1 ([build-system]); pip install -e . or running the tests from the top makes them importable)"],
    ["setup.cfg [metadata]", { "setup.cfg": "[metadata]\nname = hyperkitty\n" }, "the repository installs from there (setup.cfg ([metadata]); pip install -e . or running the tests from the top makes them importable)"],
    ["not installable, INSTALLED_APPS names it", {}, "the settings name hyperkitty at example_project/settings.py:3 (installed from the checkout or run from the top in real life)"],
  ])("%s", async (_name, extra, reason) => {
    const s = await startup(repoOf({ ...APP, ...extra }));
    expect(s.source_roots).toEqual([EXAMPLE_ROOT, { dir: ".", reason: `${TOP}${reason}` }]);
    expect(firstParty(s)).toContain("hyperkitty.signals");
  });

  it("not installable, imported by the settings", async () => {
    const s = await startup(repoOf({ ...APP, "example_project/settings.py": "from hyperkitty.lib.utils import fmt\n\nINSTALLED_APPS = []\n" }));
    expect(s.source_roots).toEqual([EXAMPLE_ROOT, { dir: ".", reason: `${TOP}example_project/settings.py:1 imports hyperkitty (installed from the checkout or run from the top in real life)` }]);
    expect(firstParty(s)).toEqual(["hyperkitty", "hyperkitty.lib", "hyperkitty.lib.utils", "settings"]);
  });

  it("a top-level package nothing names, in a repository that does not install from the top, is not made importable", async () => {
    const s = await startup(repoOf({ ...APP, "example_project/settings.py": "INSTALLED_APPS = []\n", "tools/__init__.py": "", "tools/release.py": "import sys\n" }));
    expect(s.source_roots).toEqual([EXAMPLE_ROOT]);
  });

  it("packaging naming its own directory (package_dir = src): the packages at the top are not what it installs", async () => {
    const s = await startup(repoOf({ "setup.cfg": "[options]\npackage_dir =\n    = src\n", "src/shop/__init__.py": "", "src/shop/settings.py": "INSTALLED_APPS = []\n", "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n", "tests/__init__.py": "", "tests/test_x.py": "" }));
    expect(s.source_roots.map((r) => r.dir)).toEqual(["src"]);
  });

  it("why finds the app's modules (it said: not in the repository)", async () => {
    const dir = repoOf({ ...APP, "setup.py": SETUP_PY });
    const t = await runInProcess(["why", "hyperkitty.signals", "--repo", dir, "--no-cache"]);
    expect(t.code).toBe(0);
    expect(t.out.split("\n")[0]).toBe("django.setup() imports hyperkitty.signals:");
    expect(t.out).toContain("hyperkitty/apps.py:8");
  });
});

describe("review in the same shape", () => {
  const cases: ReviewCase[] = [
    {
      name: "the ready() import of the receivers module removed (its only importer)",
      base: { ...APP, "setup.py": SETUP_PY },
      head: { "hyperkitty/apps.py": APP["hyperkitty/apps.py"].replace("        import hyperkitty.signals  # noqa: F401\n", "        pass\n") },
      expect: ["side-effect-import-removed hyperkitty/apps.py:8 warn"],
    },
    {
      name: "a heavy import in a module setup imports through the app's models (with its chain)",
      base: { ...APP },
      head: { "hyperkitty/lib/utils.py": "import numpy\n\n\ndef fmt():\n    pass\n" },
      expect: ["heavy-import-at-startup hyperkitty/lib/utils.py:1 warn"],
    },
  ];
  const valid: ReviewCase[] = [
    {
      name: "the ready() import removed while the app's models still import the receivers module",
      base: { ...APP, "hyperkitty/models.py": "from django.db import models\nfrom hyperkitty import signals  # noqa: F401\n" },
      head: { "hyperkitty/apps.py": APP["hyperkitty/apps.py"].replace("        import hyperkitty.signals  # noqa: F401\n", "        pass\n") },
      expect: [],
    },
  ];
  describeRule("layout-top", cases, valid);
});

describe("settings named by runtests.py (django-filter's shape)", () => {
  const RUNTESTS = "#!/usr/bin/env python\nimport os\nimport sys\n\nimport django\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings')\ndjango.setup()\n";
  const FILES: Files = {
    "django_filters/__init__.py": "",
    "django_filters/apps.py": 'from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = "django_filters"\n',
    "django_filters/filterset.py": "import decimal\n",
    "tests/__init__.py": "",
    "tests/settings.py": 'INSTALLED_APPS = ["django_filters", "tests"]\n',
    "tests/models.py": "from django_filters import filterset\n",
    "runtests.py": RUNTESTS,
  };
  it.each([
    ["runtests.py at the top, setdefault", FILES, "DJANGO_SETTINGS_MODULE at runtests.py:7", "."],
    ["tests/runtests.py, os.environ[...] =", { ...FILES, "runtests.py": "", "tests/runtests.py": 'import os\n\nos.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"\n' }, "DJANGO_SETTINGS_MODULE at tests/runtests.py:3", "."],
  ])("%s", async (_name, files, from, root) => {
    const s = await startup(repoOf(files));
    expect([s.settings, s.settings_from]).toEqual(["tests.settings", from]);
    expect(s.source_roots[0].dir).toBe(root);
    expect(firstParty(s)).toEqual(expect.arrayContaining(["django_filters.apps", "django_filters.filterset", "tests.models", "tests.settings"]));
  });

  it("pytest's DJANGO_SETTINGS_MODULE comes first; runtests.py's is then listed", async () => {
    const s = await startup(repoOf({ ...FILES, "tests/ci_settings.py": "INSTALLED_APPS = []\n", "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = tests.ci_settings\n" }));
    expect([s.settings, s.settings_from]).toEqual(["tests.ci_settings", "DJANGO_SETTINGS_MODULE in pytest.ini:2"]);
    expect((s as unknown as { notes: string[] }).notes.join("\n")).toContain("tests.settings at runtests.py:7");
  });
});

describe("startup and why from a subdirectory, and outside git", () => {
  async function inDir<T>(dir: string, f: () => Promise<T>): Promise<T> {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      return await f();
    } finally {
      process.chdir(cwd);
    }
  }
  const FILES: Files = { "manage.py": manage("proj.settings"), "proj/__init__.py": "", "proj/settings.py": 'INSTALLED_APPS = ["shop"]\n', "shop/__init__.py": "", "shop/models.py": "from django.db import models\n" };

  it("without --repo, the top of the git work tree holding the current directory is the repository (as review finds it)", async () => {
    const dir = repoOf(FILES);
    const s = await inDir(path.join(dir, "shop"), () => runInProcess(["startup", "--format", "json", "--no-cache"]));
    expect([s.code, s.err]).toEqual([0, ""]);
    const json = JSON.parse(s.out) as Startup;
    expect([json.settings, json.source_roots.map((r) => r.dir)]).toEqual(["proj.settings", ["."]]);
    const w = await inDir(path.join(dir, "proj"), () => runInProcess(["why", "shop.models", "--no-cache"]));
    expect([w.code, w.out.split("\n")[0]]).toEqual([0, "django.setup() imports shop.models:"]);
  });

  it("a directory in no git work tree is read with a warning saying so", async () => {
    const dir = tempDir("dsg-plain-");
    for (const [p, c] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), c);
    }
    const s = await runInProcess(["startup", "--repo", dir, "--format", "json", "--no-cache"]);
    expect(s.code).toBe(0);
    expect(s.err).toBe(`django-startup-guard: warning: --repo ${dir} (${dir}) is not in a git work tree; every file under it is read as a plain directory.\n`);
    expect((JSON.parse(s.out) as Startup).settings).toBe("proj.settings");
  });
});
