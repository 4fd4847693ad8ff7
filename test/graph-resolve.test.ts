/**
 * Import resolution edge cases, table style: each case is a tiny repository whose startup
 * root is `app` (startup_roots), the modules setup must import, and those it must not.
 * Every case follows CPython 3.11 semantics (startup-traps.md, section 3).
 */
import { graphOf, imported, type Files } from "./fixtures-graph/helpers";

interface Case {
  name: string;
  files: Files;
  yes: string[];
  no?: string[];
  /** Substrings of unresolved `why`s expected (in order). */
  unresolved?: string[];
  roots?: string[];
  sourceRoots?: string[];
  heavy?: string[];
}

const pkg = (p: string, body = "") => ({ [`${p}/__init__.py`]: body });

const CASES: Case[] = [
  {
    name: "import a.b.c executes a, a.b, a.b.c",
    files: { "app.py": "import a.b.c\n", ...pkg("a"), ...pkg("a/b"), "a/b/c.py": "", "a/b/d.py": "" },
    yes: ["a", "a.b", "a.b.c"],
    no: ["a.b.d"],
  },
  {
    name: "from a.b import c imports the submodule when there is one",
    files: { "app.py": "from a.b import c\n", ...pkg("a"), ...pkg("a/b"), "a/b/c.py": "" },
    yes: ["a", "a.b", "a.b.c"],
  },
  {
    name: "from a.b import c does not when a.b binds c by assignment",
    files: { "app.py": "from a.b import c\n", ...pkg("a"), ...pkg("a/b", "c = 1\n"), "a/b/c.py": "" },
    yes: ["a.b"],
    no: ["a.b.c"],
  },
  {
    name: "... nor when a.b defines c with def, class or an import",
    files: {
      "app.py": "from a.b import c, d, e\n",
      ...pkg("a"),
      ...pkg("a/b", "def c(): pass\nclass d: pass\nfrom a.x import e\n"),
      "a/b/c.py": "",
      "a/b/d.py": "",
      "a/b/e.py": "",
      "a/x.py": "e = 1\n",
    },
    yes: ["a.b", "a.x"],
    no: ["a.b.c", "a.b.d", "a.b.e"],
  },
  {
    name: "from a.b import name: an attribute, nothing else imported, nothing unresolved",
    files: { "app.py": "from a.b import name\n", ...pkg("a"), ...pkg("a/b", "name = 1\n") },
    yes: ["a", "a.b"],
    no: ["a.b.name"],
  },
  {
    name: "relative imports: `.` in a package __init__ is the package itself",
    files: { ...pkg("app", "from . import x\nfrom .y import z\n"), "app/x.py": "", "app/y.py": "z = 1\n" },
    yes: ["app.x", "app.y"],
  },
  {
    name: "relative imports in a module climb from its package",
    files: { "app.py": "import a.b.c\n", ...pkg("a"), ...pkg("a/b"), "a/b/c.py": "from ..up import z\nfrom . import sib\n", "a/up.py": "z = 1\n", "a/b/sib.py": "" },
    yes: ["a.up", "a.b.sib"],
  },
  {
    name: "a relative import above the top-level package is unresolved",
    files: { "app.py": "from .. import x\n" },
    yes: ["app"],
    unresolved: ["climbs above the top-level package"],
  },
  {
    name: "from pkg import * follows a literal __all__ to submodules",
    files: { "app.py": "from p import *\n", ...pkg("p", '__all__ = ["s1", "name"]\nname = 1\n'), "p/s1.py": "", "p/s2.py": "" },
    yes: ["p", "p.s1"],
    no: ["p.s2", "p.name"],
  },
  {
    name: "from pkg import * without __all__ imports no submodule",
    files: { "app.py": "from p import *\n", ...pkg("p"), "p/s1.py": "" },
    yes: ["p"],
    no: ["p.s1"],
  },
  {
    name: "literal import_module and __import__ calls run where they are",
    files: {
      "app.py": 'import importlib\nimportlib.import_module("a.b")\n__import__("c")\nimportlib.import_module(".d", "p")\n\ndef f():\n    importlib.import_module("e")\n',
      ...pkg("a"),
      "a/b.py": "",
      "c.py": "",
      ...pkg("p"),
      "p/d.py": "",
      "e.py": "",
    },
    yes: ["a", "a.b", "c", "p", "p.d"],
    no: ["e"],
  },
  {
    name: "execution contexts: what runs at import and what does not",
    files: {
      "app.py": [
        "from typing import TYPE_CHECKING",
        "import typing as t",
        "if TYPE_CHECKING:",
        "    import tc",
        "else:",
        "    import tc_else",
        "if t.TYPE_CHECKING:",
        "    import tc2",
        "if not TYPE_CHECKING:",
        "    import not_tc",
        "if False:",
        "    import dead",
        'if __name__ == "__main__":',
        "    import main_only",
        "def f():",
        "    import in_def",
        "g = lambda: __import__('in_lambda')",
        "class C:",
        "    import in_class",
        "    class D:",
        "        import in_nested_class",
        "try:",
        "    import in_try",
        "except ImportError:",
        "    import in_fallback",
        "for _ in range(1):",
        "    import in_for",
        "with open(__file__):",
        "    import in_with",
        "lazy import in_lazy",
        "",
      ].join("\n"),
      ...Object.fromEntries(
        ["tc", "tc_else", "tc2", "not_tc", "dead", "main_only", "in_def", "in_lambda", "in_class", "in_nested_class", "in_try", "in_fallback", "in_for", "in_with", "in_lazy"].map((m) => [`${m}.py`, ""]),
      ),
    },
    yes: ["tc_else", "not_tc", "in_class", "in_nested_class", "in_try", "in_fallback", "in_for", "in_with"],
    no: ["tc", "tc2", "dead", "main_only", "in_def", "in_lambda", "in_lazy"],
  },
  {
    name: "a namespace package (no __init__.py) is imported, without a file",
    files: { "app.py": "import ns.mod\n", "ns/mod.py": "" },
    yes: ["ns", "ns.mod"],
  },
  {
    name: "a regular package beats a module of the same name, which beats a namespace portion",
    files: { "app.py": "import a\nimport b\n", ...pkg("a"), "a.py": "", "b.py": "", "b/x.py": "" },
    yes: ["a", "b"],
  },
  {
    name: "third-party modules are leaves named by their full dotted path",
    files: { "app.py": "import scipy.stats\nfrom django.db import models\n" },
    yes: ["scipy", "scipy.stats", "django", "django.db"],
    no: ["django.db.models"],
  },
  {
    name: "from x import y on third-party x reaches x.y when a heavy module is x.y",
    files: { "app.py": "from google import genai\n" },
    heavy: ["google.genai"],
    yes: ["google", "google.genai"],
  },
  {
    name: "a missing submodule of a first-party package is unresolved, not third-party",
    files: { "app.py": "import p.gone\n", ...pkg("p") },
    yes: ["p"],
    no: ["p.gone"],
    unresolved: ["no module p.gone in the repository"],
  },
  {
    name: "under a namespace package, a missing submodule may be another distribution's: a leaf",
    files: { "app.py": "import ns.other\n", "ns/mine.py": "" },
    yes: ["ns", "ns.other"],
  },
  {
    name: "PEP 562: from pkg import x goes through __getattr__, which imports the submodule",
    files: {
      "app.py": "import lazy\nfrom lazy import sub\n",
      ...pkg("lazy", "import importlib\ndef __getattr__(name):\n    return importlib.import_module('.' + name, __name__)\n"),
      "lazy/sub.py": "",
      "lazy/other.py": "",
    },
    yes: ["lazy", "lazy.sub"],
    no: ["lazy.other"],
  },
  {
    name: "PEP 562: a name __getattr__ provides by a literal import in its body",
    files: {
      "app.py": "from lazy import Client\n",
      ...pkg("lazy", "def __getattr__(name):\n    if name == 'Client':\n        from .client import Client\n        return Client\n    if name == 'Other':\n        from .other import Other\n        return Other\n    raise AttributeError(name)\n"),
      "lazy/client.py": "class Client: pass\n",
      "lazy/other.py": "class Other: pass\n",
    },
    yes: ["lazy", "lazy.client"],
    no: ["lazy.other"],
  },
  {
    name: "PEP 562: import pkg alone imports nothing __getattr__ could",
    files: { "app.py": "import lazy\n", ...pkg("lazy", "def __getattr__(name):\n    from . import sub\n    return sub\n"), "lazy/sub.py": "" },
    yes: ["lazy"],
    no: ["lazy.sub"],
  },
  {
    name: "source roots: a src/ layout",
    files: { "src/app.py": "import lib\n", "src/lib.py": "" },
    sourceRoots: ["src"],
    yes: ["app", "lib"],
  },
  {
    name: "source roots are sys.path: the first root that has the module wins",
    files: { "one/app.py": "import shared\n", "one/shared.py": "", "two/shared.py": "import only_two\n", "two/only_two.py": "" },
    sourceRoots: ["one", "two"],
    yes: ["app", "shared"],
    no: ["only_two"],
  },
  {
    name: "a startup root brings its parent packages",
    files: { ...pkg("a", "import from_a\n"), ...pkg("a/b"), "a/b/c.py": "", "from_a.py": "" },
    roots: ["a.b.c"],
    yes: ["a", "a.b", "a.b.c", "from_a"],
  },
];

describe("import resolution", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const g = await graphOf(c.files, { startupRoots: c.roots ?? ["app"], sourceRoots: c.sourceRoots ?? ["."], heavyModules: c.heavy ?? [] });
    const names = imported(g);
    for (const m of c.yes) expect([m, names.includes(m)]).toEqual([m, true]);
    for (const m of c.no ?? []) expect([m, names.includes(m)]).toEqual([m, false]);
    expect(g.unresolved.map((u) => u.why)).toEqual((c.unresolved ?? []).map((w) => expect.stringContaining(w)));
  });
});

describe("chains", () => {
  const files: Files = {
    "app.py": "import long1\nimport short\n",
    "long1.py": "import long2\n",
    "long2.py": "import target\n",
    "short.py": "\n\nimport target\n",
    "target.py": "",
  };

  it("are shortest, and each line is the import in the previous link's file", async () => {
    const g = await graphOf(files, { startupRoots: ["app"] });
    expect(g.chainTo("target")).toEqual([
      { module: "app", file: "app.py", line: null },
      { module: "short", file: "short.py", line: 2 },
      { module: "target", file: "target.py", line: 3 },
    ]);
    expect(g.chainTo("nowhere")).toBeNull();
  });

  it("chainToPrefix matches on dotted boundaries and prefers the shortest chain", async () => {
    const g = await graphOf({ "app.py": "import a\nimport scipyx\n", "a.py": "import scipy.stats\n" }, { startupRoots: ["app"] });
    expect(g.chainToPrefix("scipy")?.map((l) => l.module)).toEqual(["app", "a", "scipy"]);
    expect(g.chainToPrefix("scipy.stats")?.map((l) => l.module)).toEqual(["app", "a", "scipy.stats"]);
    expect(g.chainToPrefix("scipyx.sub")).toBeNull();
  });

  it("dominatedCount counts the first-party modules only one module brings", async () => {
    const g = await graphOf(
      {
        "app.py": "import hub\nimport shared\n",
        "hub.py": "import only1\nimport only2\nimport shared\nimport numpy\n",
        "only1.py": "import only3\n",
        "only2.py": "",
        "only3.py": "",
        "shared.py": "",
      },
      { startupRoots: ["app"] },
    );
    expect(g.dominatedCount("hub")).toBe(3); // only1, only2, only3; not shared, not numpy (third-party)
    expect(g.dominatedCount("only1")).toBe(1);
    expect(g.dominatedCount("shared")).toBe(0);
    expect(g.dominatedCount("app")).toBe(5);
  });
});
