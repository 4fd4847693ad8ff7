/**
 * Table-driven cases for the scanner, one per row of the semantics table in
 * shared/startup-traps.md plus the lexical traps (strings, comments, continuations...).
 *
 * Each case states the imports it expects as `"<line> <target> <context kind>"`, where
 * target is `module` for `import module` and `<dots><module>:<names>` for from-imports.
 * Every expectation is checked twice: against our scanner, and (for cases CPython 3.11
 * can parse) against CPython's own `ast` through the oracle, so an expectation can
 * never simply restate what the scanner does.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { contextOf } from "../src/python/context";
import { scanPython } from "../src/python/scanner";
import type { PyFileFacts } from "../src/python/types";

interface Case {
  name: string;
  src: string;
  imports: string[];
  /** Set when CPython 3.11 cannot parse the source (PEP 810 lazy imports, 3.12 syntax, errors). */
  notPy311?: boolean;
  /** Expected diagnostics (line numbers); default none. */
  diagnostics?: number[];
  check?: (facts: PyFileFacts) => void;
}

const cases: Case[] = [
  // --- the semantics table -----------------------------------------------------------
  { name: "top level", src: "import os\nimport a.b.c as d\n", imports: ["1 os top", "2 a.b.c top"] },
  {
    name: "module-level if / elif / else",
    src: "if x:\n    import a\nelif y:\n    import b\nelse:\n    import c\n",
    imports: ["2 a conditional", "4 b conditional", "6 c conditional"],
  },
  {
    name: "try / except / else / finally",
    src: "try:\n    import a\nexcept KeyError:\n    import b\nelse:\n    import c\nfinally:\n    import d\n",
    imports: ["2 a conditional", "4 b conditional", "6 c conditional", "8 d conditional"],
  },
  {
    name: "try-import with ImportError fallback",
    src: "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
    imports: ["2 ujson conditional", "4 json import_error_fallback"],
  },
  {
    name: "ModuleNotFoundError in a tuple, with `as`",
    src: "try:\n    import a\nexcept (ValueError, ModuleNotFoundError) as e:\n    import b\n",
    imports: ["2 a conditional", "4 b import_error_fallback"],
  },
  {
    name: "with / for / while / match",
    src: "with lock:\n    import a\nfor x in y:\n    import b\nelse:\n    import c\nwhile z:\n    import d\nmatch v:\n    case 1:\n        import e\n    case _:\n        import f\n",
    imports: ["2 a conditional", "4 b conditional", "6 c conditional", "8 d conditional", "11 e conditional", "13 f conditional"],
  },
  {
    name: "class bodies run at definition, nested too",
    src: "class A:\n    import a\n    class B:\n        from x import y\n",
    imports: ["2 a class_body", "4 x:y class_body"],
  },
  {
    name: "def and async def bodies are deferred",
    src: "def f():\n    import a\nasync def g():\n    import b\nclass C:\n    def m(self):\n        import c\n",
    imports: ["2 a function", "4 b function", "7 c function"],
  },
  {
    name: "AppConfig.ready() scope is recorded",
    src: "from django.apps import AppConfig\nclass AnalyticsConfig(AppConfig):\n    def ready(self):\n        from . import signals  # noqa: F401\n",
    imports: ["1 django.apps:AppConfig top", "4 .:signals function"],
    check: (f) => {
      expect(f.imports[1].context.scope).toBe("AnalyticsConfig.ready");
      expect(f.classes[0].bases).toEqual(["AppConfig"]);
      expect(f.functions[0]).toMatchObject({ qualname: "AnalyticsConfig.ready", line: 3, endLine: 4 });
    },
  },
  {
    name: "TYPE_CHECKING in every spelling, and not its else/elif",
    src:
      "if TYPE_CHECKING:\n    import a\nif typing.TYPE_CHECKING:\n    import b\nif t.TYPE_CHECKING:\n    import c\nelif x:\n    import d\nelse:\n    import e\nif (TYPE_CHECKING):\n    import f\n",
    imports: ["2 a type_checking", "4 b type_checking", "6 c type_checking", "8 d conditional", "10 e conditional", "12 f type_checking"],
  },
  {
    name: "if not TYPE_CHECKING runs; its else does not",
    src: "if not TYPE_CHECKING:\n    import a\nelse:\n    import b\n",
    imports: ["2 a conditional", "4 b type_checking"],
  },
  {
    name: "TYPE_CHECKING combined with other tests is an ordinary condition",
    src: "if TYPE_CHECKING or DEBUG:\n    import a\n",
    imports: ["2 a conditional"],
  },
  {
    name: "dead code: if False / if 0 / if None",
    src: "if False:\n    import a\nif 0:\n    import b\nif None:\n    import c\nif 0x0:\n    import d\nif True:\n    import e\n",
    imports: ["2 a dead", "4 b dead", "6 c dead", "8 d dead", "10 e conditional"],
  },
  {
    name: "main guard, both orders and quote styles",
    src: "if __name__ == \"__main__\":\n    import a\nif '__main__' == __name__:\n    import b\nelse:\n    import c\n",
    imports: ["2 a main_guard", "4 b main_guard", "6 c conditional"],
  },
  {
    name: "import a.b.c is one record with the full dotted name",
    src: "import a.b.c\n",
    imports: ["1 a.b.c top"],
  },
  {
    name: "relative imports keep their level",
    src: "from . import x\nfrom .. import y\nfrom ..a.b import c\nfrom ...pkg import (d as e, f,)\n",
    imports: ["1 .:x top", "2 ..:y top", "3 ..a.b:c top", "4 ...pkg:d,f top"],
  },
  { name: "star import", src: "from pkg import *\n", imports: ["1 pkg:* top"] },
  {
    name: "PEP 810 lazy imports (Python 3.15)",
    src: "lazy import heavy\nlazy from scipy import stats\nlazy = 1\n",
    imports: ["1 heavy lazy", "2 scipy:stats lazy"],
    notPy311: true,
  },
  {
    name: "importlib.import_module and __import__ literals with their context",
    src: "import importlib\nm = importlib.import_module('a.b')\ndef f():\n    return __import__(\"c\")\ng = lambda: import_module('.d', 'pkg')\nimport_module(name)\n",
    imports: ["1 importlib top"],
    check: (f) => {
      expect(f.importCalls.map((c) => `${c.line} ${c.func} ${c.module} ${c.package} ${c.context.kind}`)).toEqual([
        "2 import_module a.b null top",
        "4 __import__ c null function",
        "5 import_module .d pkg function",
      ]);
    },
  },
  {
    name: "string references are not imports",
    src: "user = models.ForeignKey('auth.User', on_delete=CASCADE)\nM = apps.get_model('app.Model')\n",
    imports: [],
    check: (f) => expect(f.dottedStrings.map((d) => d.value)).toEqual(["auth.User", "app.Model"]),
  },
  // --- lexical traps -------------------------------------------------------------------
  {
    name: "strings and comments that look like imports",
    src: 'doc = """\nimport chdb\n"""\n# import scipy\ns = "import numpy"\nx = \'\'\'from a import b\'\'\'\nimport real\n',
    imports: ["7 real top"],
  },
  {
    name: "line continuations and brackets",
    src: "import a, \\\n    b\nfrom c import (\n    d,  # comment\n    e\n)\nx = [1,\n  2]; import f\n",
    imports: ["1 a top", "1 b top", "3 c:d,e top", "8 f top"],
    check: (f) => expect(f.imports[2].endLine).toBe(6),
  },
  {
    name: "semicolons and one-line compound bodies",
    src: "import a; import b\nif x: import c; import d\nclass K: import e\ndef g(): import f\n",
    imports: ["1 a top", "1 b top", "2 c conditional", "2 d conditional", "3 e class_body", "4 f function"],
  },
  {
    name: "decorators are evaluated in the enclosing scope",
    src: "@receiver(post_save, sender=Team)\ndef on_save(sender, **kwargs):\n    import a\n@app.task(base=import_module('x.y').Task)\nclass T: pass\n",
    imports: ["3 a function"],
    check: (f) => {
      expect(f.decorators.map((d) => `${d.line} ${d.callee} ${d.text} -> ${d.target}`)).toEqual([
        "1 receiver receiver(post_save, sender=Team) -> on_save",
        "4 app.task app.task(base=import_module('x.y').Task) -> T",
      ]);
      expect(f.importCalls[0].context.kind).toBe("top");
    },
  },
  {
    name: "f-strings with nested quotes, format specs and braces",
    src: "x = f\"{a['k']!r:>{w}} {{literal}} {b:%Y-%m-%d}\"\ny = rf'\\d{{2}}'\nimport after\n",
    imports: ["3 after top"],
  },
  {
    name: "tabs, form feeds, CRLF",
    src: "if x:\r\n\timport a\r\n\f\r\nimport b\r\n",
    imports: ["2 a conditional", "4 b top"],
  },
  {
    name: "BOM and a coding cookie",
    src: "\ufeff# -*- coding: utf-8 -*-\nimport a\n",
    imports: ["2 a top"],
  },
  {
    name: "match and case are soft keywords",
    src: "match = 1\nmatch(x)\ncase = 2\nimport a\n",
    imports: ["4 a top"],
  },
  {
    name: "deeply nested blocks close on dedent",
    src: "class A:\n    def f(self):\n        if x:\n            import a\n    import b\nimport c\n",
    imports: ["4 a function", "5 b class_body", "6 c top"],
    check: (f) => expect(f.classes[0]).toMatchObject({ line: 1, endLine: 5 }),
  },
  {
    name: "__all__ literal, extended",
    src: "__all__ = ['a', 'b']\n__all__ += ('c',)\n__all__.append('d')\n",
    imports: [],
    check: (f) => expect(f.all).toEqual({ names: ["a", "b", "c", "d"], dynamic: false }),
  },
  {
    name: "signal wiring, patch targets and admin registrations",
    src:
      "post_save.connect(handler, sender=Team)\nwith mock.patch('a.b.C') as m: pass\n@patch.object(Foo, 'bar')\ndef test(): pass\nadmin.site.register(Team, TeamAdmin)\nmonkeypatch.setattr('x.y.z', 1)\n",
    imports: [],
    check: (f) => {
      expect(f.connects).toEqual([expect.objectContaining({ line: 1, signal: "post_save", args: "handler, sender=Team" })]);
      expect(f.patchTargets.map((p) => `${p.line} ${p.callee} ${p.target ?? ""}${p.objectText ?? ""}.${p.attribute ?? ""}`)).toEqual([
        "2 mock.patch a.b.C.",
        "3 patch.object Foo.bar",
        "6 monkeypatch.setattr x.y.z.",
      ]);
      expect(f.adminRegisters).toEqual([{ line: 5, args: "Team, TeamAdmin" }]);
    },
  },
  // --- broken input -------------------------------------------------------------------
  {
    name: "an unclosed bracket does not lose the imports after it",
    src: "x = foo(1,\nimport a\ndef f():\n    import b\n",
    imports: ["2 a top", "4 b function"],
    notPy311: true,
    diagnostics: [1],
  },
  {
    name: "Python 2 print statement is a diagnostic, imports are kept",
    src: "import a\nprint 'hello'\nimport b\n",
    imports: ["1 a top", "3 b top"],
    notPy311: true,
    diagnostics: [2],
  },
  {
    name: "unterminated string",
    src: "import a\ns = 'abc\nimport b\n",
    imports: ["1 a top", "3 b top"],
    notPy311: true,
    diagnostics: [2],
  },
  {
    name: "bad indentation",
    src: "import a\n    import b\nimport c\n",
    imports: ["1 a top", "2 b top", "3 c top"],
    notPy311: true,
    diagnostics: [2],
  },
  // --- long chains: each branch keeps its meaning, frames stay short (linear scanning) ---
  {
    name: "a long elif chain with alternating tests",
    src: `if TYPE_CHECKING:\n    import t\n${Array.from({ length: 40 }, (_, i) => `elif False:\n    import f${i}\nelif x:\n    import o${i}\n`).join("")}else:\n    import e\n`,
    imports: ["2 t type_checking", ...Array.from({ length: 40 }, (_, i) => [`${4 * i + 4} f${i} dead`, `${4 * i + 6} o${i} conditional`]).flat(), "164 e conditional"],
    check: (f) => {
      // At most one `else` frame per distinct test (three here) plus the branch's own frame.
      expect(Math.max(...f.imports.map((i) => i.context.frames.length))).toBe(4);
      expect(f.imports[f.imports.length - 1].context.frames).toEqual(["if:type_checking:else", "if:false:else", "if:other:else"]);
    },
  },
  {
    name: "not not TYPE_CHECKING is a plain condition",
    src: "if not not TYPE_CHECKING:\n    import a\nif not (not TYPE_CHECKING):\n    import b\nif not TYPE_CHECKING:\n    pass\nelse:\n    import c\n",
    imports: ["2 a conditional", "4 b conditional", "8 c type_checking"],
  },
  {
    name: "nested lambdas give one lambda frame",
    src: "import importlib\nf = lambda: lambda: lambda: importlib.import_module('x')\n",
    imports: ["1 importlib top"],
    check: (f) => expect(f.importCalls.map((c) => [c.module, c.context.kind, c.context.frames])).toEqual([["x", "function", ["lambda"]]]),
  },
];

function summary(f: PyFileFacts): string[] {
  return f.imports.map((i) => {
    const target = i.kind === "import" ? i.module : `${".".repeat(i.level)}${i.module}:${i.star ? "*" : i.names.map((n) => n.name).join(",")}`;
    return `${i.line} ${target} ${i.context.kind}`;
  });
}

describe("scanner cases", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const facts = scanPython(Buffer.from(c.src, "utf8"));
    expect(summary(facts)).toEqual(c.imports);
    expect(facts.diagnostics.map((d) => d.line)).toEqual(c.diagnostics ?? []);
    c.check?.(facts);
  });
});

describe("the case table agrees with CPython", () => {
  const runnable = cases.filter((c) => !c.notPy311);
  test("CPython's ast gives the same imports and contexts for every case", () => {
    const script = path.join(__dirname, "oracle", "py_facts.py");
    const input = JSON.stringify(runnable.map((c) => c.src));
    const r = spawnSync("python3", [script, "--json-sources"], { input, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.error) throw new Error(`python3 is required for the CPython oracle: ${r.error.message}`);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(runnable.length);
    runnable.forEach((c, k) => {
      const o = lines[k];
      expect({ name: c.name, ok: o.ok }).toEqual({ name: c.name, ok: true });
      const got = (o.imports as { line: number; kind: string; module: string; level: number; names: { name: string }[]; star: boolean; frames: string[] }[]).map((i) => {
        const target = i.kind === "import" ? i.module : `${".".repeat(i.level)}${i.module}:${i.star ? "*" : i.names.map((n) => n.name).join(",")}`;
        return `${i.line} ${target} ${contextOf(i.frames).kind}`;
      });
      expect({ name: c.name, imports: got }).toEqual({ name: c.name, imports: c.imports });
    });
  });
});
