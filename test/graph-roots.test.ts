/**
 * Startup roots: finding the settings module, reading INSTALLED_APPS and LOGGING statically,
 * and what Django's app registry imports for each installed app (startup-traps.md, section 4).
 */
import { graphOf, imported, type Files } from "./fixtures-graph/helpers";

const MANAGE = 'import os\n\ndef main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_.settings")\n';

function project(settings: string, extra: Files = {}): Files {
  return { "manage.py": MANAGE, "site_/__init__.py": "", "site_/settings.py": settings, ...extra };
}

const app = (name: string, apps = `from django.apps import AppConfig\n\nclass C(AppConfig):\n    name = "${name}"\n`): Files => ({
  [`${name}/__init__.py`]: "",
  [`${name}/apps.py`]: apps,
  [`${name}/models.py`]: "",
});

describe("the settings module", () => {
  const cases: [string, Files, string | null, Partial<{ settingsModule: string }>][] = [
    ["from manage.py's setdefault", project(""), "site_.settings", {}],
    ["from os.environ[...] = in wsgi.py", { "site_/wsgi.py": 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "site_.prod"\n', "site_/__init__.py": "", "site_/prod.py": "" }, "site_.prod", {}],
    ["not from a comment", { "manage.py": '# os.environ.setdefault("DJANGO_SETTINGS_MODULE", "old.settings")\n' }, null, {}],
    ["not from a docstring", { "manage.py": '"""os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doc.settings")"""\n' }, null, {}],
    ["the configured one wins", project(""), "other.settings", { settingsModule: "other.settings" }],
  ];
  it.each(cases)("%s", async (_name, files, expected, config) => {
    const g = await graphOf(files, config);
    expect(g.settingsModule).toBe(expected);
    if (expected === null) expect(g.notes[0]).toMatch(/^No settings module found/);
  });

  it("without a settings module, names the settings.configure() calls of conftest.py and runtests.py (DRF's tests/conftest.py)", async () => {
    const g = await graphOf({
      "rest_framework/__init__.py": "",
      "tests/conftest.py": "import django\n\n\ndef pytest_configure(config):\n    from django.conf import settings\n\n    # settings.configure() in a comment is no call\n    settings.configure(\n        INSTALLED_APPS=('rest_framework',),\n    )\n    django.setup()\n",
      "runtests.py": "import django.conf\nfrom django.conf import settings as s\nif not s.configured:\n    s.configure(DEBUG=True)\ndjango.conf.settings.configure()\nother.configure()\n",
      "tests/helpers.py": "from django.conf import settings\nsettings.configure()\n",
    });
    expect(g.settingsModule).toBeNull();
    expect(g.notes[0]).toMatch(/^No settings module found .* The startup graph is empty\. Settings are given by settings\.configure\(\) at runtests\.py:4, runtests\.py:5, tests\/conftest\.py:8, which the tool does not read/);
    const none = await graphOf({ "tests/conftest.py": "def pytest_configure(config):\n    pass\n" });
    expect(none.notes[0]).toMatch(/The startup graph is empty\.$/);
  });

  it("brings its parent packages first, and reports a settings module not in the repository", async () => {
    const g = await graphOf({ "manage.py": MANAGE.replace("site_.settings", "pkg.sub.settings"), "pkg/__init__.py": "import eager\n", "pkg/sub/__init__.py": "", "pkg/sub/settings.py": "", "eager.py": "" });
    expect(g.roots.map((r) => r.module)).toEqual(["pkg", "pkg.sub", "pkg.sub.settings"]);
    expect(imported(g)).toContain("eager");
    const missing = await graphOf({}, { settingsModule: "gone.settings" });
    expect(missing.unresolved).toEqual([{ what: "gone.settings", where: "settings_module (configuration)", why: "the settings module is not in the repository under the source roots (.)" }]);
    // An explicit source_roots wins over the layout: the hint says which root would find the settings.
    const srcLayout = await graphOf({ "manage.py": MANAGE, "src/site_/__init__.py": "", "src/site_/settings.py": "" }, { sourceRoots: ["."] });
    expect(srcLayout.unresolved.map((u) => u.why)).toEqual([
      'the settings module is not in the repository under the source roots (.); src/site_/settings.py would be it with source_roots = ["src"]',
    ]);
  });

  it("startup_roots replace the settings module", async () => {
    const g = await graphOf(project("INSTALLED_APPS = ['a']\n", { "worker.py": "import job\n", "job.py": "" }), { startupRoots: ["worker"] });
    expect(g.settingsModule).toBeNull();
    expect(g.roots).toEqual([{ module: "worker", reason: "listed in startup_roots (configuration)" }]);
    expect(imported(g)).toEqual(["worker", "job"]);
  });

  const READY = `from django.apps import AppConfig\n\nclass C(AppConfig):\n    name = "a"\n\n    def ready(self):\n        from . import signals  # noqa: F401\n`;
  const withReady = project("INSTALLED_APPS = ['a', 'django.contrib.admin']\n", { ...app("a", READY), "a/signals.py": "", "a/admin.py": "" });

  it("startup_roots still follow ready() and the registration modules: a settings root is read as settings, an app root as an installed app", async () => {
    const viaSettings = await graphOf(withReady, { startupRoots: ["site_.settings"] });
    expect(viaSettings.settingsModule).toBe("site_.settings");
    expect(imported(viaSettings)).toEqual(expect.arrayContaining(["a.apps", "a.models", "a.signals", "a.admin"]));
    const viaApp = await graphOf(withReady, { startupRoots: ["a"] });
    expect(viaApp.settingsModule).toBeNull();
    expect(viaApp.roots.map((r) => r.module)).toEqual(["a", "a.apps", "a.models"]);
    expect(imported(viaApp)).toContain("a.signals");
  });

  it("extend_startup_roots add roots to the discovered ones, each followed the same way", async () => {
    const g = await graphOf({ ...withReady, "rpc/__init__.py": "", "rpc/methods.py": "import rpc.helpers\n", "rpc/helpers.py": "" }, { extendStartupRoots: ["rpc.methods"] });
    expect(g.settingsModule).toBe("site_.settings");
    expect(g.roots).toContainEqual({ module: "rpc.methods", reason: "listed in extend_startup_roots (configuration)" });
    expect(imported(g)).toEqual(expect.arrayContaining(["a.signals", "a.admin", "rpc.methods", "rpc.helpers"]));
  });
});

describe("INSTALLED_APPS, read statically", () => {
  const apps = { ...app("a"), ...app("b"), ...app("c"), ...app("d") };
  const cases: [string, string, Files, string[]][] = [
    ["a list", 'INSTALLED_APPS = ["a", "b"]\n', {}, ["a", "b"]],
    ["a tuple, implicit concatenation of strings", 'INSTALLED_APPS = ("a", "b" "")\n', {}, ["a", "b"]],
    ["concatenation of names", 'X = ["a"]\nY = ("b",)\nINSTALLED_APPS = X + list(Y)\n', {}, ["a", "b"]],
    ["unpacking", 'X = ["a"]\nINSTALLED_APPS = [*X, "b", *("c",)]\n', {}, ["a", "b", "c"]],
    ["+=, append, extend, insert, remove", 'INSTALLED_APPS = ["a"]\nINSTALLED_APPS += ["b"]\nINSTALLED_APPS.append("c")\nINSTALLED_APPS.extend(["d"])\nINSTALLED_APPS.insert(0, "x")\nINSTALLED_APPS.remove("x")\n', {}, ["a", "b", "c", "d"]],
    ["from .base import *", "from .base import *\nINSTALLED_APPS += ['b']\n", { "site_/base.py": "INSTALLED_APPS = ['a']\n_PRIVATE = ['c']\n" }, ["a", "b"]],
    ["from .base import NAME as ALIAS", "from .base import APPS as BASE\nINSTALLED_APPS = BASE + ['c']\n", { "site_/base.py": "APPS = ['a', 'b']\n" }, ["a", "b", "c"]],
    ["from an absolute first-party module", "from site_.lists import APPS\nINSTALLED_APPS = APPS\n", { "site_/lists.py": "APPS = ('d',)\n" }, ["d"]],
  ];
  it.each(cases)("%s", async (_name, settings, extra, expected) => {
    const g = await graphOf(project(settings, { ...apps, ...extra }));
    expect(g.unresolved).toEqual([]);
    const installed = g.roots.filter((r) => r.reason.startsWith("INSTALLED_APPS entry")).map((r) => r.module);
    expect(installed).toEqual(expected);
  });

  it("notes entries added under a condition, and counts them", async () => {
    const g = await graphOf(project('DEBUG = False\nINSTALLED_APPS = ["a"]\nif DEBUG:\n    INSTALLED_APPS += ["b"]\n', apps));
    expect(g.roots.filter((r) => r.reason.startsWith("INSTALLED_APPS entry")).map((r) => r.module)).toEqual(["a", "b"]);
    expect(g.notes).toEqual(["INSTALLED_APPS is set or changed under a condition (last at site_/settings.py:4); every entry the reader saw is counted as installed."]);
  });

  it("keeps the readable part and reports the rest", async () => {
    const g = await graphOf(project('INSTALLED_APPS = ["a"] + more_apps()\n', apps));
    expect(g.roots.filter((r) => r.reason.startsWith("INSTALLED_APPS entry")).map((r) => r.module)).toEqual(["a"]);
    expect(g.unresolved).toEqual([{ what: "an INSTALLED_APPS entry", where: "site_/settings.py:1", why: "the value comes from a call to more_apps()" }]);
  });

  it("falls back to every package with an AppConfig when it cannot be read, and says so", async () => {
    const g = await graphOf(project("INSTALLED_APPS = get_apps()\n", { ...app("a"), ...app("b"), "c/__init__.py": "", "c/apps.py": "X = 1\n" }));
    expect(g.unresolved).toEqual([{ what: "INSTALLED_APPS", where: "site_/settings.py:1", why: "the value comes from a call to get_apps()" }]);
    expect(g.notes).toEqual(["INSTALLED_APPS could not be read statically, so every package with an apps.py defining an AppConfig subclass is taken as installed (2 found, each marked guessed)."]);
    expect(imported(g)).toEqual(expect.arrayContaining(["a.apps", "a.models", "b.apps", "b.models"]));
    expect(g.roots.find((r) => r.module === "a")?.reason).toBe('guessed app "a" (INSTALLED_APPS could not be read; a/apps.py defines an AppConfig)');
    expect(imported(g)).not.toContain("c");
  });

  it("says when a star import from outside the repository may set it", async () => {
    const g = await graphOf(project("from shared_settings import *\n", apps));
    expect(g.unresolved).toEqual([{ what: "INSTALLED_APPS", where: "site_/settings.py", why: "not set in the repository's settings; it may come from `from shared_settings import *`" }]);
  });
});

describe("LOGGING", () => {
  const handler = { "site_/log.py": "import logging\nclass H(logging.Handler):\n    pass\n", "site_/fmt.py": "def make():\n    pass\n" };
  it("imports handler classes and formatter factories", async () => {
    const settings = 'LOGGING = {"version": 1, "handlers": {"h": {"class": "site_.log.H"}, "s": {"class": "logging.StreamHandler"}}, "formatters": {"f": {"()": "site_.fmt.make"}}}\n';
    const g = await graphOf(project(settings, handler));
    expect(g.roots.filter((r) => r.reason.startsWith("logging")).map((r) => r.module)).toEqual(["site_.log", "logging", "site_.fmt"]);
    expect(g.chainTo("site_.log")).toEqual([{ module: "site_.log", file: "site_/log.py", line: null }]);
  });

  it("reads dict(...) and later item assignments", async () => {
    const settings = 'LOGGING = dict(version=1, handlers={})\nLOGGING["handlers"]["h"] = {"class": "site_.log.H"}\n';
    const g = await graphOf(project(settings, handler));
    expect(imported(g)).toContain("site_.log");
  });

  it("imports nothing when LOGGING_CONFIG is None, and reports an unreadable LOGGING", async () => {
    const off = await graphOf(project('LOGGING_CONFIG = None\nLOGGING = {"handlers": {"h": {"class": "site_.log.H"}}}\n', handler));
    expect(imported(off)).not.toContain("site_.log");
    const unread = await graphOf(project("LOGGING = build_logging()\n", handler));
    expect(unread.unresolved).toEqual([{ what: "LOGGING", where: "site_/settings.py:1", why: "the value comes from a call to build_logging(); the classes it names are not followed" }]);
  });
});

describe("installed apps: what apps.populate() imports", () => {
  const settings = (apps: string[]) => `INSTALLED_APPS = ${JSON.stringify(apps)}\n`;

  it("imports the entry, its apps module, its models, and the ready() imports of the config", async () => {
    const g = await graphOf(
      project(settings(["shop"]), {
        ...app("shop", 'from django.apps import AppConfig\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n\n    def ready(self):\n        from . import signals  # noqa\n        import shop.checks\n'),
        "shop/signals.py": "",
        "shop/checks.py": "",
        "shop/admin.py": "",
      }),
    );
    expect(g.roots.map((r) => [r.module, r.reason])).toEqual([
      ["site_", "parent package of site_.settings"],
      ["site_.settings", "settings module (DJANGO_SETTINGS_MODULE at manage.py:4)"],
      ["shop", 'INSTALLED_APPS entry "shop" (site_/settings.py:1)'],
      ["shop.apps", "apps submodule of installed app shop (Django looks for its AppConfig)"],
      ["shop.models", "models of installed app shop"],
    ]);
    expect(g.chainTo("shop.signals")).toEqual([
      { module: "shop.apps", file: "shop/apps.py", line: null },
      { module: "shop.signals", file: "shop/signals.py", line: 7 },
    ]);
    expect(imported(g)).toContain("shop.checks");
    expect(imported(g)).not.toContain("shop.admin"); // no django.contrib.admin
  });

  const two = (defaults: [string, string]) =>
    `from django.apps import AppConfig\n\nclass One(AppConfig):\n    name = "x"\n${defaults[0]}\n    def ready(self):\n        import one\n\nclass Two(AppConfig):\n    name = "x"\n${defaults[1]}\n    def ready(self):\n        import two\n`;
  const choice: [string, [string, string], string[]][] = [
    ["one default = True among two", ["    default = True\n", ""], ["one"]],
    ["the only one not default = False", ["    default = False\n", ""], ["two"]],
    ["two candidates, none marked: the base AppConfig (no ready())", ["", ""], []],
    ["every candidate default = False: the base AppConfig", ["    default = False\n", "    default = False\n"], []],
  ];
  it.each(choice)("picks the config like Django: %s", async (_name, defaults, readies) => {
    const g = await graphOf(project(settings(["x"]), { ...app("x", two(defaults)), "one.py": "", "two.py": "" }));
    expect(["one", "two"].filter((m) => g.chainTo(m) !== null)).toEqual(readies);
  });

  it("reports two default configs (a RuntimeError in Django)", async () => {
    const g = await graphOf(project(settings(["x"]), { ...app("x", two(["    default = True\n", "    default = True\n"])), "one.py": "", "two.py": "" }));
    expect(g.unresolved.map((u) => u.why)).toEqual(["declares more than one default AppConfig (One, Two): RuntimeError in Django"]);
  });

  it("follows a dotted AppConfig path, its name, and an inherited ready()", async () => {
    const g = await graphOf(
      project(settings(["conf.apps.Cfg"]), {
        "conf/__init__.py": "",
        "conf/base.py": "from django.apps import AppConfig\n\nclass Base(AppConfig):\n    def ready(self):\n        import inherited\n",
        "conf/apps.py": 'from conf.base import Base\n\nclass Cfg(Base):\n    name = "real.app"\n',
        "real/__init__.py": "",
        "real/app/__init__.py": "",
        "real/app/models.py": "",
        "inherited.py": "",
      }),
    );
    expect(g.roots.map((r) => r.module)).toEqual(["site_", "site_.settings", "conf", "conf.apps", "real", "real.app", "real.app.models"]);
    expect(g.chainTo("inherited")?.map((l) => [l.module, l.line])).toEqual([
      ["conf.apps", null],
      ["conf.base", 1],
      ["inherited", 5],
    ]);
  });

  const admin: [string, string, boolean][] = [
    ["django.contrib.admin autodiscovers admin modules", "django.contrib.admin", true],
    ["so does its AdminConfig path", "django.contrib.admin.apps.AdminConfig", true],
    ["SimpleAdminConfig does not", "django.contrib.admin.apps.SimpleAdminConfig", false],
  ];
  it.each(admin)("%s", async (_name, entry, discovers) => {
    const g = await graphOf(project(settings([entry, "shop"]), { ...app("shop"), "shop/admin.py": "import admin_only\n", "admin_only.py": "" }));
    expect(g.chainTo("shop.admin") !== null).toBe(discovers);
    expect(g.chainTo("admin_only") !== null).toBe(discovers);
  });

  it("a first-party AdminConfig subclass autodiscovers too", async () => {
    const g = await graphOf(
      project(settings(["site_.apps.MyAdmin", "shop"]), {
        ...app("shop"),
        "shop/admin.py": "",
        "site_/apps.py": "from django.contrib.admin.apps import AdminConfig\n\nclass MyAdmin(AdminConfig):\n    default_site = 'site_.admin.Site'\n",
      }),
    );
    expect(g.chainTo("shop.admin")).not.toBeNull();
  });

  it("treats third-party entries as leaves", async () => {
    const g = await graphOf(project(settings(["rest_framework", "django.contrib.auth.apps.AuthConfig"])));
    expect(g.roots.filter((r) => r.reason.startsWith("INSTALLED")).map((r) => r.module)).toEqual(["rest_framework", "django.contrib.auth.apps"]);
    expect(g.unresolved).toEqual([]);
  });
});
