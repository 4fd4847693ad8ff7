/**
 * Reading real settings: INSTALLED_APPS built by loops, calls, environment defaults,
 * `getattr`, namespace writes and django-split-settings, statically. Each case gives the
 * entries the reader must know and the parts it must report as unresolved (file:line);
 * cases marked `python` are also executed by CPython (the settings module imported for real,
 * with the environment variables unset, django-split-settings' own `include`), whose
 * INSTALLED_APPS must equal the known entries.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { whyCommand } from "../src/cli/startup";
import { graphOf, imported, type Files } from "./fixtures-graph/helpers";
import { cleanupRepos, makeRepo, tempDir } from "./helpers/git-repo";

afterAll(cleanupRepos);

/** Debian's interpreter, as in test/django-setup.test.ts: the split-settings case runs the real django-split-settings. */
const PYTHON = "/usr/bin/python3";
const MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_.settings")\n';

function project(settings: string, extra: Files = {}): Files {
  return { "manage.py": MANAGE, "site_/__init__.py": "", "site_/settings.py": settings, ...extra };
}

interface Case {
  name: string;
  settings: string;
  extra?: Files;
  /** INSTALLED_APPS entries the reader knows, in order. */
  known: string[];
  /** Unresolved entries: [file:line, a fragment of the reason]. */
  unresolved: [string, string][];
  /** CPython can run this settings module as is; its INSTALLED_APPS must equal `known`. */
  python?: boolean;
  notes?: RegExp[];
}

const cases: Case[] = [
  {
    name: "a plugin loop that reassigns the list (no plugins configured)",
    settings: [
      'INSTALLED_APPS = ["account", "core"]',
      "PLUGINS = []",
      "for plugin_name in PLUGINS:",
      "    plugin = __import__(plugin_name)",
      "    INSTALLED_APPS.extend(plugin.config.django_apps)",
      "    sorted_apps = reversed(list(dict.fromkeys(reversed(INSTALLED_APPS))))",
      "    INSTALLED_APPS = list(sorted_apps)",
      "",
    ].join("\n"),
    known: ["account", "core"],
    // The computed __import__ is listed too (calls.ts), although this loop never runs.
    unresolved: [["site_/settings.py:4", "the module name is computed at run time"]],
    python: true,
  },
  {
    name: "a plugin loop over plugins that cannot be known keeps the known entries",
    settings: [
      "import importlib",
      'INSTALLED_APPS = ["account", "core"]',
      "PLUGINS = load_plugins()",
      "for plugin_name in PLUGINS:",
      "    plugin = importlib.import_module(plugin_name)",
      "    django_apps = plugin.config.django_apps",
      "    INSTALLED_APPS.extend(django_apps)",
      "    sorted_apps = reversed(list(dict.fromkeys(reversed(INSTALLED_APPS))))",
      "    INSTALLED_APPS = list(sorted_apps)",
      "",
    ].join("\n"),
    known: ["account", "core"],
    unresolved: [
      ["site_/settings.py:6", "plugin.config.django_apps"],
      ["site_/settings.py:5", "the module name is computed at run time"],
    ],
  },
  {
    name: "+= of the loop variable over a known list",
    settings: 'INSTALLED_APPS = ["a"]\nfor p in ["b", "c"]:\n    INSTALLED_APPS += [p]\n',
    known: ["a", "b", "c"],
    unresolved: [],
    python: true,
  },
  {
    name: "a plugin loop that copies the list with list() and appends the loop variable",
    settings: 'INSTALLED_APPS = ("a",)\nOPTIONAL = ("b", "c")\nfor app in OPTIONAL:\n    INSTALLED_APPS = list(INSTALLED_APPS)\n    INSTALLED_APPS.append(app)\n',
    known: ["a", "b", "c"],
    unresolved: [],
    python: true,
  },
  {
    name: "append of the variable of a loop over unknown values",
    settings: 'import os\nINSTALLED_APPS = ["a"]\nfor p in os.environ["PLUGINS"].split(","):\n    INSTALLED_APPS.append(p)\n',
    known: ["a"],
    unresolved: [["site_/settings.py:3", "p is the variable of the loop at line 3"]],
  },
  {
    name: "tuple(), sorted(), reversed(), set()",
    settings: 'INSTALLED_APPS = tuple(sorted(["b", "a"])) + tuple(reversed(["d", "c"])) + tuple(sorted(set(["e", "e"]), reverse=True))\n',
    known: ["a", "b", "c", "d", "e"],
    unresolved: [],
    python: true,
  },
  {
    name: "a list filtered by a comprehension keeps its items (the condition may only remove them)",
    settings: 'BASE = ["a", "b", "debug_toolbar"]\nDEBUG = False\nINSTALLED_APPS = [app for app in BASE if DEBUG or app != "debug_toolbar"]\nINSTALLED_APPS = list(a for a in INSTALLED_APPS if a)\nOTHER = [x.upper() for x in BASE]\n',
    known: ["a", "b", "debug_toolbar"],
    unresolved: [],
    notes: [/^INSTALLED_APPS entries "a" \(site_\/settings\.py:1\), "b" \(site_\/settings\.py:1\), "debug_toolbar" \(site_\/settings\.py:1\): the comprehension at line 3 keeps it under a condition/],
  },
  {
    name: "os.environ.get and os.getenv defaults are used and noted",
    settings: 'import os\nEXTRA = os.getenv("EXTRA_APP", "c")\nINSTALLED_APPS = ["a", os.environ.get("SECOND_APP", "b"), EXTRA]\n',
    known: ["a", "b", "c"],
    unresolved: [],
    python: true,
    notes: [/^INSTALLED_APPS entry "b" \(site_\/settings\.py:3\): the environment variable SECOND_APP is assumed unset/, /^INSTALLED_APPS entry "c" \(site_\/settings\.py:2\): the environment variable EXTRA_APP is assumed unset/],
  },
  {
    name: "getattr(module, NAME, default) of a first-party module, set and not set",
    settings: 'from . import local\nINSTALLED_APPS = ["a"] + getattr(local, "EXTRA_APPS", []) + list(getattr(local, "MORE_APPS", ("c",)))\n',
    extra: { "site_/local.py": 'EXTRA_APPS = ["b"]\n' },
    known: ["a", "b", "c"],
    unresolved: [],
    python: true,
  },
  {
    name: "getattr of a module outside the repository keeps the default and reports the rest",
    settings: 'import deploy_config\nINSTALLED_APPS = ["a"] + getattr(deploy_config, "EXTRA_APPS", ["b"])\n',
    known: ["a", "b"],
    unresolved: [["site_/settings.py:2", "reads deploy_config, which is not in the repository"]],
  },
  {
    name: "a list handed to a function that may change it (Horizon's update_dashboards)",
    settings: 'from site_ import utils\nINSTALLED_APPS = ["a"]\nADD_INSTALLED_APPS = ["z"]\nINSTALLED_APPS = list(INSTALLED_APPS)\nutils.update_dashboards([1], {}, INSTALLED_APPS)\nINSTALLED_APPS[0:0] = ADD_INSTALLED_APPS\n',
    extra: { "site_/utils.py": "def update_dashboards(mods, config, apps):\n    apps.append('dash')\n" },
    known: ["z", "a"],
    unresolved: [["site_/settings.py:5", "INSTALLED_APPS is handed to utils.update_dashboards(), which may change it"]],
  },
  {
    name: "globals() written from runtime data (lava-server's YAML settings)",
    settings: 'INSTALLED_APPS = ["a"]\nfor k, v in load_yaml("/etc/app.yaml").items():\n    globals()[k] = v\n',
    known: ["a"],
    unresolved: [["site_/settings.py:3", "INSTALLED_APPS may be changed by `globals()[...] = ...`"]],
  },
  {
    name: "exec() of a settings snippet",
    settings: 'INSTALLED_APPS = ["a"]\nexec(open("/etc/app/local.py").read())\n',
    known: ["a"],
    unresolved: [["site_/settings.py:2", "INSTALLED_APPS may be changed by `exec(...)`"]],
  },
  {
    name: "globals().update() before a conditional star import that sets the list (graphite-web)",
    settings: [
      "import os",
      "from importlib import import_module",
      "LOADED = False",
      'SETTINGS_MODULE = os.environ.get("APP_SETTINGS_MODULE", "local_settings")',
      "try:",
      "    globals().update(import_module(SETTINGS_MODULE).__dict__)",
      "except ImportError:",
      "    pass",
      "if not LOADED:",
      "    from site_.app_settings import *",
      "",
    ].join("\n"),
    extra: { "site_/app_settings.py": 'INSTALLED_APPS = ("a", "b")\nLOADED = True\n' },
    known: ["a", "b"],
    unresolved: [
      ["site_/settings.py:6", "INSTALLED_APPS may be set by `globals().update(...)`"],
      ["site_/settings.py:6", "the module name is computed at run time"],
    ],
  },
  {
    name: "django-split-settings include() with a glob and optional() files",
    settings: 'from split_settings.tools import include, optional\ninclude("components/base.py", "components/apps_*.py", optional("local.py"), optional("missing.py"))\n',
    extra: {
      "site_/components/base.py": 'INSTALLED_APPS = ["a"]\n',
      "site_/components/apps_2.py": 'INSTALLED_APPS.append("c")\n',
      "site_/components/apps_1.py": 'INSTALLED_APPS += ["b"]\n',
      "site_/components/other.py": 'INSTALLED_APPS += ["never"]\n',
      "site_/local.py": 'include("components/late.py")\nINSTALLED_APPS += ["d"]\n',
      "site_/components/late.py": 'INSTALLED_APPS += ["late"]\n',
    },
    known: ["a", "b", "c", "late", "d"],
    unresolved: [],
    python: true,
    notes: [/matches 2 files, read in sorted order/, /optional\("missing\.py"\) matches no file in the repository/],
  },
  {
    name: "split-settings: a required file that is missing, and an include the reader cannot name",
    settings: 'import os\nfrom split_settings.tools import include\ninclude("settings.dist.py", "gone.py")\ninclude(os.path.join(os.path.dirname(__file__), "x.py"))\n',
    extra: { "site_/settings.dist.py": 'INSTALLED_APPS = ["a"]\n' },
    known: ["a"],
    unresolved: [
      ["site_/settings.py:3", 'include("gone.py") matches no Python file'],
      ["site_/settings.py:4", "INSTALLED_APPS may be changed by include() of a file the reader cannot name"],
    ],
  },
  {
    name: "split-settings in a settings package, a list of patterns unpacked into an aliased include()",
    settings: "",
    extra: {
      "manage.py": MANAGE.replace("site_.settings", "site_.conf"),
      "site_/conf/__init__.py": [
        "from decouple import config",
        "from split_settings.tools import include as settings_include, optional",
        'ENV = config("DJANGO_ENV") or "development"',
        'base_settings = ["components/common.py", "environments/{0}.py".format(ENV), optional("environments/local.py"), optional("/etc/app/extra.py")]',
        "settings_include(*base_settings)",
        "",
      ].join("\n"),
      "site_/conf/components/common.py": 'INSTALLED_APPS = ["a"]\n',
      "site_/conf/environments/local.py": 'INSTALLED_APPS += ["b"]\n',
    },
    known: ["a", "b"],
    unresolved: [["site_/conf/__init__.py:5", "INSTALLED_APPS may be changed by include() of a file the reader cannot name"]],
    notes: [/optional\("\/etc\/app\/extra\.py"\) is outside the repository/],
  },
  {
    name: "from .base import * chains with conditional reassignment keep the earlier entries",
    settings: "from .common import *\ntry:\n    from .local import *\nexcept ImportError:\n    pass\n",
    extra: {
      "site_/base.py": 'INSTALLED_APPS = ["a"]\n',
      "site_/common.py": 'from .base import *\nINSTALLED_APPS += ["b"]\n',
      "site_/local.py": 'from .common import *\nDEBUG = True\nif DEBUG:\n    INSTALLED_APPS = ["c"]\n',
    },
    known: ["a", "b", "c"],
    unresolved: [],
  },
];

function installed(roots: { module: string; reason: string }[]): string[] {
  return roots.filter((r) => r.reason.startsWith("INSTALLED_APPS entry")).map((r) => r.module);
}

/** INSTALLED_APPS as CPython computes it, importing the settings module for real. */
function pythonInstalledApps(files: Files): string[] {
  const dir = tempDir("dsg-settings-");
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const code = "import importlib, json, sys; sys.path.insert(0, sys.argv[1]); m = importlib.import_module('site_.settings'); print(json.dumps(list(m.INSTALLED_APPS)))";
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  const res = spawnSync(PYTHON, ["-B", "-I", "-c", code, dir], { encoding: "utf8", env });
  if (res.status !== 0) {
    const hint = /No module named 'split_settings'/.test(res.stderr) ? " (the split-settings case needs Debian's python3-django-split-settings: apt-get install python3-django-split-settings)" : "";
    throw new Error(`${PYTHON} failed${hint}: ${res.stderr}`);
  }
  return JSON.parse(res.stdout) as string[];
}

describe("INSTALLED_APPS in real settings shapes", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const files = project(c.settings, c.extra);
    const g = await graphOf(files);
    expect(installed(g.roots)).toEqual(c.known);
    expect(g.unresolved.map((u) => [u.where, u.why])).toEqual(c.unresolved.map(([where, why]) => [where, expect.stringContaining(why)]));
    expect(g.notes.filter((n) => n.startsWith("INSTALLED_APPS could not be read"))).toEqual([]);
    for (const n of c.notes ?? []) expect(g.notes).toEqual(expect.arrayContaining([expect.stringMatching(n)]));
    if (c.python) expect(pythonInstalledApps(files)).toEqual(c.known);
  });

  it("a fallback guesses only when nothing of the list is known, and says each entry is guessed", async () => {
    const apps = { "a/__init__.py": "", "a/apps.py": "from django.apps import AppConfig\nclass A(AppConfig):\n    name = 'a'\n" };
    const partly = await graphOf(project('INSTALLED_APPS = ["core"] + discover_apps()\n', apps));
    expect(installed(partly.roots)).toEqual(["core"]);
    expect(partly.roots.some((r) => r.reason.startsWith("guessed"))).toBe(false);
    const nothing = await graphOf(project("INSTALLED_APPS = discover_apps()\n", apps));
    expect(nothing.roots.filter((r) => r.reason.startsWith("guessed")).map((r) => r.module)).toEqual(["a"]);
  });
});

describe("a plugin-loop settings module in a git repository", () => {
  it("`why account.models` finds the chain through the known entries", async () => {
    const repo = makeRepo();
    const files: Files = {
      "pyproject.toml": '[tool.django-startup-guard]\nsource_roots = ["netbox"]\n',
      "netbox/manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "netbox.settings")\n',
      "netbox/netbox/__init__.py": "",
      "netbox/netbox/settings.py": [
        "import importlib",
        "from netbox import configuration",
        'PLUGINS = getattr(configuration, "PLUGINS", [])',
        "INSTALLED_APPS = [",
        '    "django.contrib.auth",',
        '    "account",',
        '    "core",',
        "]",
        "for plugin_name in PLUGINS:",
        "    plugin = importlib.import_module(plugin_name)",
        "    plugin_config = plugin.config",
        "    django_apps = plugin_config.django_apps",
        "    INSTALLED_APPS.extend(django_apps)",
        "    sorted_apps = reversed(list(dict.fromkeys(reversed(INSTALLED_APPS))))",
        "    INSTALLED_APPS = list(sorted_apps)",
        "",
      ].join("\n"),
      "netbox/netbox/configuration.py": "import os\nPLUGINS = os.environ.get('PLUGINS', '').split()\n",
      "netbox/account/__init__.py": "",
      "netbox/account/models.py": "from core.models import Base\n",
      "netbox/core/__init__.py": "",
      "netbox/core/apps.py": "from django.apps import AppConfig\nclass CoreConfig(AppConfig):\n    name = 'core'\n",
      "netbox/core/models.py": "class Base:\n    pass\n",
      "netbox/plugin_a/__init__.py": "",
      "netbox/plugin_a/apps.py": "from django.apps import AppConfig\nclass PluginConfig(AppConfig):\n    name = 'plugin_a'\n",
    };
    for (const [p, text] of Object.entries(files)) repo.write(p, text);
    repo.commit("netbox-like layout");
    let out = "";
    let err = "";
    const code = await whyCommand(["account.models", "--repo", repo.dir, "--no-cache", "--format", "json"], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
    expect([code, err]).toEqual([0, ""]);
    const json = JSON.parse(out);
    expect(json.chain).toEqual([{ module: "account.models", file: "netbox/account/models.py", line: null }]);
    expect(json.unresolved).toEqual([
      { what: "an INSTALLED_APPS entry", where: "netbox/netbox/settings.py:12", why: expect.stringContaining("plugin_config.django_apps") },
      { what: "import_module(plugin_name)", where: "netbox/netbox/settings.py:10", why: expect.stringContaining("computed at run time") },
    ]);
    let text = "";
    await whyCommand(["core.models", "--repo", repo.dir, "--no-cache"], { out: (s) => (text += s), err: () => undefined, isTTY: false });
    expect(text).toMatch(/^django\.setup\(\) imports core\.models:\n {2}core\.models \(netbox\/core\/models\.py\): startup root, models of installed app core\n/);
  });
});

describe("the loop reader", () => {
  it("runs a loop body over a sequence once per item, and never more than the items", async () => {
    const g = await graphOf(project('INSTALLED_APPS = []\nfor a in []:\n    INSTALLED_APPS.append("never")\nfor a in ("x", "y"):\n    if a:\n        INSTALLED_APPS.append(a)\n    INSTALLED_APPS.append(a + "_extra")\n'));
    expect(installed(g.roots)).toEqual(["x", "x_extra", "y", "y_extra"]);
    expect(imported(g)).not.toContain("never");
  });

  it("stays bounded when a loop doubles a list or nests it in itself", async () => {
    const items = Array.from({ length: 200 }, (_, i) => String(i)).join(", ");
    const g = await graphOf(project(`INSTALLED_APPS = ["a"]\nX = ["x"]\nfor i in (${items}):\n    X = [X, X]\n    INSTALLED_APPS += INSTALLED_APPS\n`));
    expect(installed(g.roots)).toEqual(["a"]);
    expect(g.unresolved).toEqual([{ what: "an INSTALLED_APPS entry", where: "site_/settings.py:5", why: "more than 10000 items; the rest are not read" }]);
  });

  it("reading globals() is not writing it", async () => {
    const g = await graphOf(project('INSTALLED_APPS = ["a"]\nHAS_KEY = "SECRET_KEY" in globals()\nNAMES = sorted(globals())\nTEXT = "{INSTALLED_APPS}".format(**globals())\nKEY = globals().get("SECRET_KEY")\n'));
    expect(installed(g.roots)).toEqual(["a"]);
    expect(g.unresolved).toEqual([]);
  });
});
