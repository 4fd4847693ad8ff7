/**
 * Namespace packages without Python files, and sys.path edits at setup, on real git
 * repositories through the CLI; CPython (a real import of the settings module) is the oracle
 * for which first-party modules exist.
 */
import { spawnSync } from "node:child_process";
import { startupCommand } from "../src/cli/startup";
import { cleanupRepos, committedRepo } from "./helpers/git-repo";

afterAll(cleanupRepos);

type Files = Record<string, string>;

const repoOf = (files: Files): string => committedRepo(files).dir;

interface Startup {
  source_roots: { dir: string; reason: string }[];
  modules: { name: string; first_party: boolean; chain: { module: string; file: string | null }[] }[];
  unresolved: { what: string; where: string; why: string }[];
}

async function startup(dir: string): Promise<Startup> {
  let out = "";
  let err = "";
  const code = await startupCommand(["--repo", dir, "--format", "json", "--no-cache"], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  expect([code, err]).toEqual([0, ""]);
  return JSON.parse(out) as Startup;
}

const fileOf = (s: Startup, name: string): string | null | undefined => s.modules.find((m) => m.name === name)?.chain.at(-1)?.file;

const firstParty = (s: Startup): string[] =>
  s.modules
    .filter((m) => m.first_party)
    .map((m) => m.name)
    .sort();

/**
 * The modules of the repository in sys.modules after CPython imports `module` with `dir`
 * (the directory of manage.py) first on sys.path, as `python manage.py` has it.
 */
function cpythonModules(dir: string, module: string): string[] {
  const code = `
import importlib, os, sys
root = os.path.realpath(sys.argv[1])
sys.path.insert(0, root)
before = set(sys.modules)
importlib.import_module(sys.argv[2])
out = []
for name, m in list(sys.modules.items()):
    spec = getattr(m, "__spec__", None)
    if name in before or spec is None:
        continue
    where = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    if any(w and os.path.realpath(w).startswith(root + os.sep) for w in where):
        out.append(name)
print("\\n".join(sorted(out)))
`;
  const r = spawnSync("/usr/bin/python3", ["-c", code, dir, module], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", PYTHONDONTWRITEBYTECODE: "1" } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

const manage = (settings: string): string => `import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "${settings}")\n`;

describe("namespace packages holding no Python file", () => {
  it("from pkg import ns: a directory holding only a README (or .gitkeep) is a namespace subpackage", async () => {
    const dir = repoOf({
      "manage.py": manage("proj.settings"),
      "proj/__init__.py": "",
      "proj/settings.py": "from proj.local import enabled as local_enabled\nfrom proj import extra\nINSTALLED_APPS = []\n",
      "proj/local/__init__.py": "",
      "proj/local/enabled/README.md": "Put files here.\n",
      "proj/extra/.gitkeep": "",
    });
    const want = ["proj", "proj.extra", "proj.local", "proj.local.enabled", "proj.settings"];
    expect(cpythonModules(dir, "proj.settings")).toEqual(want);
    const s = await startup(dir);
    expect(firstParty(s)).toEqual(want);
    expect(fileOf(s, "proj.local.enabled")).toBeNull();
    expect(s.unresolved).toEqual([]);
  });

  it("import pkg.ns.sub through namespace directories holding only data files", async () => {
    const dir = repoOf({
      "manage.py": manage("proj.settings"),
      "proj/__init__.py": "",
      "proj/settings.py": "import proj.ns.sub\nimport proj.mod\nINSTALLED_APPS = []\n",
      "proj/ns/sub/data.json": "{}\n",
      // A module beats a namespace directory of the same name in the same directory.
      "proj/mod.py": "",
      "proj/mod/notes.txt": "",
    });
    const want = ["proj", "proj.mod", "proj.ns", "proj.ns.sub", "proj.settings"];
    expect(cpythonModules(dir, "proj.settings")).toEqual(want);
    const s = await startup(dir);
    expect(firstParty(s)).toEqual(want);
    expect(fileOf(s, "proj.mod")).toBe("proj/mod.py");
    expect(s.unresolved).toEqual([]);
  });

  it("a top-level directory of data files is not taken for a package (an installed one of that name wins)", async () => {
    const dir = repoOf({
      "manage.py": manage("proj.settings"),
      "proj/__init__.py": "",
      "proj/settings.py": "import redis\nINSTALLED_APPS = []\n",
      "redis/redis.conf": "port 6379\n",
    });
    const s = await startup(dir);
    expect(s.modules.find((m) => m.name === "redis")).toMatchObject({ first_party: false });
  });
});

describe("sys.path edits at setup", () => {
  it("a settings module appending its own directory, then importing a sibling package by a top-level name (Horizon)", async () => {
    const settings = [
      "import os",
      "import sys",
      "ROOT_PATH = os.path.dirname(os.path.abspath(__file__))",
      "if ROOT_PATH not in sys.path:",
      "    sys.path.append(ROOT_PATH)",
      "INSTALLED_APPS = []",
      "try:",
      "    from local.local_settings import *",
      "except ImportError:",
      "    pass",
      "",
    ].join("\n");
    const dir = repoOf({
      "manage.py": manage("proj.settings"),
      "proj/__init__.py": "",
      "proj/settings.py": settings,
      "proj/local/__init__.py": "",
      "proj/local/local_settings.py": "DEBUG = True\n",
    });
    const want = ["local", "local.local_settings", "proj", "proj.settings"];
    expect(cpythonModules(dir, "proj.settings")).toEqual(want);
    const s = await startup(dir);
    expect(firstParty(s)).toEqual(want);
    expect(fileOf(s, "local.local_settings")).toBe("proj/local/local_settings.py");
    expect(s.source_roots).toEqual([
      { dir: ".", reason: "the directory of manage.py (running it puts that directory on sys.path)" },
      { dir: "proj", reason: "sys.path.append at proj/settings.py:5 (runs at setup)", names: false },
    ]);
    expect(s.unresolved).toEqual([]);
  });

  it("manage.py inserting apps/ into sys.path: apps/ is a source root, before manage.py's directory", async () => {
    const dir = repoOf({
      "manage.py": [
        "#!/usr/bin/env python",
        "import os",
        "import sys",
        "from pathlib import Path",
        "",
        "BASE_DIR = Path(__file__).resolve().parent",
        "",
        "",
        "def main():",
        '    sys.path.insert(0, str(BASE_DIR / "apps"))',
        '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")',
        "    from django.core.management import execute_from_command_line",
        "    execute_from_command_line(sys.argv)",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
        "",
      ].join("\n"),
      "proj/__init__.py": "",
      "proj/settings.py": 'INSTALLED_APPS = ["shop"]\n',
      "apps/shop/__init__.py": "",
      "apps/shop/apps.py": 'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n',
      "apps/shop/models.py": "from shop import helpers\n",
      "apps/shop/helpers.py": "",
    });
    const s = await startup(dir);
    expect(s.source_roots).toEqual([
      { dir: "apps", reason: "sys.path.insert at manage.py:10 (running manage.py puts that directory on sys.path)" },
      { dir: ".", reason: "the directory of manage.py (running it puts that directory on sys.path)" },
    ]);
    expect(firstParty(s)).toEqual(["proj", "proj.settings", "shop", "shop.apps", "shop.helpers", "shop.models"]);
    expect(s.unresolved).toEqual([]);
  });

  it("a sys.path edit that cannot be evaluated: a later import of a name the repository holds elsewhere is unresolved, with both lines", async () => {
    const dir = repoOf({
      "manage.py": manage("proj.settings"),
      "proj/__init__.py": "",
      "proj/settings.py": 'import os\nimport sys\nimport plugin_a\nsys.path.insert(0, os.environ["PLUGINS"])\nimport plugin_b\nimport requests\nINSTALLED_APPS = []\n',
      "plugins/plugin_a.py": "",
      "plugins/plugin_b.py": "",
    });
    const s = await startup(dir);
    expect(s.unresolved).toEqual([
      {
        what: "plugin_b",
        where: "proj/settings.py:5",
        why: 'no module plugin_b under the source roots, but plugins/plugin_b.py would be it if its directory were on sys.path, which sys.path.insert at proj/settings.py:4 changes with a value not read statically (os.environ["PLUGINS"]: a subscript)',
      },
    ]);
  });
});
