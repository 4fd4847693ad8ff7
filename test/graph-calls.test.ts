/**
 * Code that runs at import is not only import statements: repository functions called at
 * module scope (or from `ready()`) run their imports at setup, the "import every submodule"
 * idiom imports a package's modules, and computed `import_module()` calls on the way are
 * listed as unresolved with their file:line and the call route (src/graph/calls.ts).
 */
import { defaultConfig } from "../src/review/config";
import { buildGraphs } from "../src/graph";

const MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n';

function input(files: Record<string, string>, overrides: Record<string, string | null> = {}) {
  const all: Record<string, string> = { "manage.py": MANAGE, "proj/__init__.py": "", ...files };
  return {
    headFiles: Object.keys(all),
    readHead: async (p: string) => (p in all ? Buffer.from(all[p]) : null),
    baseOverrides: new Map(Object.entries(overrides).map(([p, v]) => [p, v === null ? null : Buffer.from(v)])),
    config: defaultConfig(),
  };
}

async function head(files: Record<string, string>) {
  return (await buildGraphs(input(files))).head;
}

describe("calls of repository functions at setup", () => {
  it("follows a module-scope call into the function, and the calls it makes, with the route in the chain", async () => {
    const g = await head({
      "proj/settings.py": "from proj import utils\nINSTALLED_APPS = []\nutils.configure(1)\n",
      "proj/utils.py": "def configure(x):\n    _load()\n\ndef _load():\n    import proj.heavy\n    from . import extra\n\ndef unused():\n    import proj.never\n",
      "proj/heavy.py": "import numpy\n",
      "proj/extra.py": "",
      "proj/never.py": "",
    });
    const chain = g.chainTo("numpy");
    expect(chain?.map((l) => [l.module, l.line, l.via ?? null])).toEqual([
      ["proj.settings", null, null],
      ["proj.heavy", 3, "calls utils.configure -> proj/utils.py:2 calls _load -> proj/utils.py:5 imports proj.heavy"],
      ["numpy", 1, null],
    ]);
    expect(g.chainTo("proj.extra")?.[1].via).toBe("calls utils.configure -> proj/utils.py:2 calls _load -> proj/utils.py:6 imports proj.extra");
    expect(g.chainTo("proj.never")).toBeNull();
    expect(g.unresolved).toEqual([]);
  });

  it("follows calls of names imported from a module, re-exported by a package, and bound by def in the same module", async () => {
    const g = await head({
      "proj/settings.py": "from proj.tools import setup_all\nimport proj.more.helpers\nINSTALLED_APPS = []\n\ndef local():\n    import proj.c\n\nsetup_all()\nproj.more.helpers.go()\nlocal()\n",
      "proj/tools/__init__.py": "from .impl import setup_all\n",
      "proj/tools/impl.py": "def setup_all():\n    import proj.a\n",
      "proj/more/__init__.py": "",
      "proj/more/helpers.py": "def go():\n    import proj.b\n",
      "proj/a.py": "",
      "proj/b.py": "",
      "proj/c.py": "",
    });
    expect(g.chainTo("proj.a")?.[1].via).toBe("calls setup_all -> proj/tools/impl.py:2 imports proj.a");
    expect(g.chainTo("proj.b")?.[1].via).toBe("calls proj.more.helpers.go -> proj/more/helpers.py:2 imports proj.b");
    expect(g.chainTo("proj.c")?.[1]).toMatchObject({ line: 10, via: "calls local -> proj/settings.py:6 imports proj.c" });
  });

  it("calling a repository class at module scope runs its __init__", async () => {
    const g = await head({
      "proj/settings.py": "from proj.registry import Registry\nINSTALLED_APPS = []\nREGISTRY = Registry()\n",
      "proj/registry.py": "class Registry:\n    def __init__(self):\n        import proj.loaded\n\n    def other(self):\n        import proj.never\n",
      "proj/loaded.py": "",
      "proj/never.py": "",
    });
    expect(g.chainTo("proj.loaded")?.[1].via).toBe("calls Registry -> proj/registry.py:3 imports proj.loaded");
    expect(g.chainTo("proj.never")).toBeNull();
  });

  it("a class defined and called in the same module (graphite's STORE = Store()); its methods see module functions, not the class's own", async () => {
    const g = await head({
      "proj/settings.py": "import proj.storage\nINSTALLED_APPS = []\n",
      "proj/storage.py":
        "def get_finders(path):\n    import proj.finder\n\nclass Store:\n    def __init__(self):\n        get_finders('x')\n\n    def get_finders(self):\n        import proj.never\n\nSTORE = Store()\n",
      "proj/finder.py": "",
      "proj/never.py": "",
    });
    expect(g.chainTo("proj.finder")?.[2]).toMatchObject({ line: 11, via: "calls Store -> proj/storage.py:6 calls get_finders -> proj/storage.py:2 imports proj.finder" });
    expect(g.chainTo("proj.never")).toBeNull();
  });

  it("follows calls made in AppConfig.ready()", async () => {
    const g = await head({
      "proj/settings.py": 'INSTALLED_APPS = ["proj.app"]\n',
      "proj/app/__init__.py": "",
      "proj/app/apps.py":
        "from django.apps import AppConfig\n\nclass AppCfg(AppConfig):\n    name = 'proj.app'\n\n    def ready(self):\n        from proj.app.wiring import connect_all\n        connect_all()\n",
      "proj/app/wiring.py": "def connect_all():\n    from proj.app import receivers  # noqa: F401\n",
      "proj/app/receivers.py": "",
    });
    expect(g.chainTo("proj.app.receivers")?.map((l) => l.via ?? null)).toContain("calls connect_all -> proj/app/wiring.py:2 imports proj.app.receivers");
  });

  it("follows self.m() / cls.m() from AppConfig.ready() into the config's own methods (django-axes: ready() calls self.initialize())", async () => {
    const g = await head({
      "proj/settings.py": 'INSTALLED_APPS = ["proj.app"]\n',
      "proj/app/__init__.py": "",
      "proj/app/apps.py":
        "from django.apps import AppConfig\n\nclass AppCfg(AppConfig):\n    name = 'proj.app'\n\n    @classmethod\n    def initialize(cls):\n        from proj.app import checks  # noqa\n        cls._wire()\n\n    @classmethod\n    def _wire(cls):\n        from proj.app import signals  # noqa\n\n    def unused(self):\n        from proj.app import never  # noqa\n\n    def ready(self):\n        self.initialize()\n        self.other.initialize()\n",
      "proj/app/checks.py": "",
      "proj/app/signals.py": "",
      "proj/app/never.py": "",
    });
    expect(g.chainTo("proj.app.checks")?.[1]).toMatchObject({ line: 19, via: "calls self.initialize -> proj/app/apps.py:8 imports proj.app.checks" });
    expect(g.chainTo("proj.app.signals")?.[1]).toMatchObject({
      line: 19,
      via: "calls self.initialize -> proj/app/apps.py:9 calls self._wire -> proj/app/apps.py:13 imports proj.app.signals",
    });
    expect(g.chainTo("proj.app.never")).toBeNull();
  });

  it("follows Cls.m() into a classmethod of an imported class and a staticmethod of a local one (django-debug-toolbar's ready())", async () => {
    const g = await head({
      "proj/settings.py": 'INSTALLED_APPS = ["proj.app"]\n',
      "proj/app/__init__.py": "",
      "proj/app/apps.py":
        "from django.apps import AppConfig\n\nclass AppCfg(AppConfig):\n    name = 'proj.app'\n\n    def ready(self):\n        from proj.app.toolbar import Toolbar\n        for cls in Toolbar.panel_classes():\n            cls.ready()\n        Local.wire()\n\n\nclass Local:\n    @staticmethod\n    def wire():\n        from proj.app import wired  # noqa\n",
      "proj/app/toolbar.py":
        "from django.utils.module_loading import import_string\n\nclass Toolbar:\n    @classmethod\n    def panel_classes(cls):\n        from proj.app import panels  # noqa\n        return [import_string(p) for p in PANELS]\n\n    def other(self):\n        from proj.app import never  # noqa\n",
      "proj/app/panels.py": "",
      "proj/app/wired.py": "",
      "proj/app/never.py": "",
    });
    expect(g.chainTo("proj.app.panels")?.[1]).toMatchObject({ line: 8, via: "calls Toolbar.panel_classes -> proj/app/toolbar.py:6 imports proj.app.panels" });
    expect(g.chainTo("proj.app.wired")?.[1]).toMatchObject({ line: 10 });
    expect(g.chainTo("proj.app.never")).toBeNull();
    // What the panel list imports is computed: said, with where and the route.
    expect(g.unresolved).toContainEqual(expect.objectContaining({ where: "proj/app/toolbar.py:7", what: "import_string(p)" }));
  });

  it("terminates on recursion and call cycles across modules, following each function once", async () => {
    const g = await head({
      "proj/settings.py": "from proj import a\nINSTALLED_APPS = []\na.f(3)\n",
      "proj/a.py": "from proj import b\n\ndef f(n):\n    import proj.x\n    f(n - 1)\n    b.g(n)\n",
      "proj/b.py": "from proj import a\n\ndef g(n):\n    import proj.y\n    a.f(n)\n    g(n)\n",
      "proj/x.py": "",
      "proj/y.py": "",
    });
    expect(g.chainTo("proj.x")?.[1].via).toBe("calls a.f -> proj/a.py:4 imports proj.x");
    expect(g.chainTo("proj.y")?.[1].via).toBe("calls a.f -> proj/a.py:6 calls b.g -> proj/b.py:4 imports proj.y");
  });
});

describe('the idiom "import every submodule of a package"', () => {
  const PLUGINS = { "proj/plugins/_10_one.py": "import proj.one_dep\n", "proj/plugins/_20_two.py": "", "proj/plugins/sub/__init__.py": "", "proj/plugins/sub/deep.py": "", "proj/one_dep.py": "" };

  it("pkgutil.iter_modules(__path__) in a package __init__ imports its modules", async () => {
    const g = await head({
      ...PLUGINS,
      "proj/settings.py": "import proj.plugins\nINSTALLED_APPS = []\n",
      "proj/plugins/__init__.py": "import importlib, pkgutil\nfor _, name, _ in pkgutil.iter_modules(__path__):\n    importlib.import_module(f'{__name__}.{name}')\n",
    });
    const link = g.chainTo("proj.plugins._10_one")?.[2];
    expect(link).toMatchObject({ line: 3, via: "proj/plugins/__init__.py:3 import_module(f'{__name__}.{name}') enumerates the modules of package proj.plugins" });
    expect(g.chainTo("proj.one_dep")).not.toBeNull();
    expect(g.chainTo("proj.plugins.sub")).not.toBeNull();
    expect(g.chainTo("proj.plugins.sub.deep")).toBeNull(); // iter_modules lists one level
    expect(g.unresolved).toEqual([]);
  });

  it("a package passed down as an argument to a function that enumerates it (Horizon's update_dashboards)", async () => {
    const g = await head({
      ...PLUGINS,
      "proj/plugins/__init__.py": "",
      "proj/settings.py": "from proj import plugins\nfrom proj import loader\nINSTALLED_APPS = []\nloader.update([plugins], INSTALLED_APPS)\n",
      "proj/loader.py":
        "import pkgutil\nfrom importlib import import_module\n\ndef submodules(module):\n    for _, name, _ in pkgutil.walk_packages(module.__path__, module.__name__ + '.'):\n        import_module(name)\n\ndef update(modules, apps):\n    for m in modules:\n        submodules(m)\n",
    });
    expect(g.chainTo("proj.plugins._20_two")?.[1]).toMatchObject({
      line: 4,
      via: "calls loader.update -> proj/loader.py:10 calls submodules -> proj/loader.py:6 import_module(name) enumerates the modules of package proj.plugins",
    });
    expect(g.chainTo("proj.plugins.sub.deep")).not.toBeNull(); // walk_packages recurses
    expect(g.unresolved).toEqual([]);
  });

  it("os.listdir of the package's own directory", async () => {
    const g = await head({
      ...PLUGINS,
      "proj/settings.py": "import proj.plugins\nINSTALLED_APPS = []\n",
      "proj/plugins/__init__.py":
        "import os\nfrom importlib import import_module\nHERE = os.path.dirname(__file__)\nfor f in os.listdir(HERE):\n    if f.endswith('.py'):\n        import_module('proj.plugins.' + f[:-3])\n",
    });
    expect(g.chainTo("proj.plugins._10_one")?.[2].via).toBe("proj/plugins/__init__.py:6 import_module('proj.plugins.' + f[:-3]) enumerates the modules of package proj.plugins");
  });
});

describe("computed import_module() calls that run at setup are unresolved, with file:line and route", () => {
  it("in a function called at module scope", async () => {
    const g = await head({
      "proj/settings.py": "from proj import utils\nINSTALLED_APPS = []\nBACKEND = 'proj.backend'\nutils.load(BACKEND)\n",
      "proj/utils.py": "import importlib\n\ndef load(path):\n    return importlib.import_module(path)\n\ndef later(path):\n    return __import__(path)\n",
      "proj/backend.py": "",
    });
    expect(g.unresolved).toEqual([
      { what: "import_module(path)", where: "proj/utils.py:4", why: "the module name is computed at run time; it runs at setup through proj/settings.py:4 calls utils.load" },
    ]);
  });

  it("at module scope, and an enumeration whose package cannot be told", async () => {
    const g = await head({
      "proj/settings.py": "import os, pkgutil\nfrom importlib import import_module\nINSTALLED_APPS = []\nmod = import_module(os.environ['X'])\nfor _, n, _ in pkgutil.iter_modules(somewhere()):\n    __import__(n)\n",
    });
    expect(g.unresolved.map((u) => [u.where, u.what])).toEqual([
      ["proj/settings.py:4", "import_module(os.environ['X'])"],
      ["proj/settings.py:6", "__import__(n)"],
    ]);
    expect(g.unresolved[1].why).toContain("whose package could not be told");
  });
});

describe("edges found through calls are reused for the base graph only when nothing they read changed", () => {
  const HEAD = {
    "proj/settings.py": "from proj import utils\nINSTALLED_APPS = []\nutils.configure()\n",
    "proj/utils.py": "def configure():\n    import proj.heavy\n",
    "proj/heavy.py": "",
    "proj/plugins/__init__.py": "",
    "proj/plugins/p1.py": "",
  };
  const scenarios: [string, Record<string, string>, Record<string, string | null>][] = [
    ["the called function changed", HEAD, { "proj/utils.py": "def configure():\n    pass\n" }],
    [
      "the called function changed, called from two modules (its body is read once)",
      {
        ...HEAD,
        "proj/settings.py": "from proj import utils, other\nINSTALLED_APPS = []\nutils.configure()\n",
        "proj/other.py": "from proj import utils\nutils.configure()\n",
        "proj/utils.py": "from proj import helpers\ndef configure():\n    helpers.inner()\n",
        "proj/helpers.py": "def inner():\n    import proj.heavy\n",
      },
      { "proj/helpers.py": "def inner():\n    pass\n" },
    ],
    [
      "a module added to an enumerated package",
      { ...HEAD, "proj/utils.py": "import pkgutil, importlib\nfrom proj import plugins\ndef configure():\n    for _, n, _ in pkgutil.iter_modules(plugins.__path__):\n        importlib.import_module('proj.plugins.' + n)\n", "proj/plugins/p2.py": "" },
      { "proj/plugins/p2.py": null },
    ],
  ];
  it.each(scenarios)("%s", async (_name, files, overrides) => {
    const g = await buildGraphs(input(files, overrides));
    const baseFiles: Record<string, string> = { ...files };
    for (const [p, v] of Object.entries(overrides)) {
      if (v === null) delete baseFiles[p];
      else baseFiles[p] = v;
    }
    const alone = await buildGraphs(input(baseFiles));
    expect(g.base.modules()).toEqual(alone.head.modules());
    expect(g.base.modules()).not.toEqual(g.head.modules());
  });
});
