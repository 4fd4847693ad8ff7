/**
 * The module-attribute reader (src/python/bindings.ts) against CPython: its `ast`
 * (test/oracle/py_bindings.py) over the standard library, the fixtures and hand-written cases,
 * and, for the decisions the rules rely on, CPython actually importing the module.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { boundAtImport, moduleBindings, type ModuleBindings } from "../src/python/bindings";

const ROOT = path.resolve(__dirname, "..");
const ORACLE = path.join(__dirname, "oracle", "py_bindings.py");
const PYTHON = process.env.PYTHON ?? "python3";

interface OracleResult {
  path: string;
  ok: boolean;
  bindings: [string, number, string, string][];
  deletes: [string, number, string, string][];
  dynamic: [number, string][];
}

function oracle(args: string[], input: string): OracleResult[] {
  const res = spawnSync(PYTHON, [ORACLE, ...args], { input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (res.status !== 0) throw new Error(`${PYTHON} ${ORACLE} exited ${res.status}: ${res.stderr}`);
  return res.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as OracleResult);
}

const key = (name: string, line: number, how: string, when: string): string => `${name}|${how === "match" ? 0 : line}|${how}|${when}`;

/** Differences between the reader and the oracle for one file, as readable lines (empty: they agree). */
function compare(actual: ModuleBindings, expected: OracleResult): string[] {
  const sides = [
    ["binding", actual.bindings.map((b) => key(b.name, b.line, b.how, b.when)), expected.bindings.map((b) => key(...b))],
    ["del", actual.deletes.map((b) => key(b.name, b.line, b.how, b.when)), expected.deletes.map((b) => key(...b))],
    ["dynamic", actual.dynamic.map((d) => `${d.line}|${d.when}`), expected.dynamic.map((d) => `${d[0]}|${d[1]}`)],
  ] as const;
  const out: string[] = [];
  for (const [what, a, e] of sides) {
    const left = [...e];
    for (const x of a) {
      const i = left.indexOf(x);
      if (i >= 0) left.splice(i, 1);
      else out.push(`extra ${what} ${x}`);
    }
    for (const x of left) out.push(`missing ${what} ${x}`);
  }
  return out;
}

function collectPy(dir: string, out: string[]): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!["site-packages", "dist-packages", "__pycache__", "node_modules"].includes(e.name)) collectPy(full, out);
    } else if (e.isFile() && e.name.endsWith(".py")) out.push(full);
  }
  return out;
}

const CASES: string[] = [
  "import a.b.c\nimport d.e as f, g\nfrom h import (i as j,\n    k,)\nfrom . import l\nfrom .m import *\n",
  "def f():\n    global g\n    g = 1\n    from x import helper\n    h = 2\n\nclass C:\n    attr = 1\n    global k\n    k = 2\n",
  "for i, (j, *l) in []:\n    pass\nwith open() as w, open() as (v1, v2):\n    pass\nwith (open() as p1, open() as p2):\n    pass\n",
  "try:\n    import x\nexcept ImportError as e:\n    x = None\nelse:\n    y = 1\nfinally:\n    z = 2\n",
  "[t := 1 for u in ()]\nlam = lambda: (ww := 1)\nf(key=lambda q: (qq := q), other=(oo := 2))\no.attr = 1\ns[0] = 1\nann: int\nann2: int = 3\naug += 1\n",
  "match p:\n    case Point(x=px, y=[py, *rest]) | {'k': mv, **mr} if (gw := 1):\n        pass\n    case Color.RED:\n        pass\n    case other:\n        pass\ndel dd\n",
  "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x import A\nelse:\n    A = None\nif not TYPE_CHECKING:\n    B = 1\nelif X:\n    C = 1\nelse:\n    D = 1\nif t.TYPE_CHECKING:\n    E = 1\nelif (F := 2):\n    G = 3\n",
  "if False:\n    a = 1\nif 0:\n    b = 1\nif None:\n    c = 1\nelse:\n    d = 1\nif __name__ == '__main__':\n    e = 1\nif '__main__' == __name__:\n    f = 1\nif 0x0:\n    g = 1\nif 0.0:\n    h = 1\n",
  "globals()['gx'] = 1\nglobals()[name] = 2\nglobals().update(x=1)\nvars()['vx'] = 3\nsetattr(sys.modules[__name__], 'sx', 4)\ndef f():\n    globals()['fx'] = 1\n    vars()['fy'] = 1\n",
  "@deco(dd := 1)\ndef f(x=(fd := 2)) -> (fr := int):\n    pass\nclass K(base := object):\n    pass\nif x: i1 = 1; i2 = 2\nelse: i3 = 3\nwhile (w1 := f()):\n    w2 = 1\nelse:\n    w3 = 1\n",
  "x = y = z = 1\na, b = c, d = 1, 2\n(p, q), r = (1, 2), 3\n[m, n] = 1, 2\n*st, = 1,\nf = lambda k=1: k\nk2: 'str' = lambda: 1\n",
  "def outer():\n    global inner_g\n    def inner():\n        inner_g = 1\n    inner_g = 2\n    del inner_g\n",
  "async def f():\n    global af\n    async with x as af:\n        pass\n    async for af in y:\n        pass\n",
  "import os\ndel os\nimport sys\nif x:\n    del sys\nx = 1\ndel x\nx = 2\n",
  "if TYPE_CHECKING:\n    def f():\n        global tg\n        tg = 1\n    class C:\n        pass\n",
  "café = 1\nﬁ = 2\n",
];

describe("module bindings agree with CPython's ast", () => {
  test("hand-written cases", () => {
    const expected = oracle(["--json-sources"], JSON.stringify(CASES));
    const problems: string[] = [];
    CASES.forEach((src, i) => {
      expect(expected[i].ok).toBe(true);
      for (const p of compare(moduleBindings(Buffer.from(src)), expected[i])) problems.push(`case ${i}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  test("the standard library and the fixtures", () => {
    const stdlib = spawnSync(PYTHON, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).stdout.trim();
    const files = collectPy(stdlib, []);
    collectPy(path.join(ROOT, "fixtures"), files);
    const results = oracle([], files.join("\n"));
    let compared = 0;
    let bindings = 0;
    const problems: string[] = [];
    for (const r of results) {
      if (!r.ok) continue;
      compared++;
      bindings += r.bindings.length;
      const p = compare(moduleBindings(fs.readFileSync(r.path)), r);
      if (p.length > 0) problems.push(`${r.path}: ${p.slice(0, 4).join("; ")}`);
    }
    process.stdout.write(`bindings-agreement: files=${compared} bindings=${bindings} mismatches=${problems.length}\n`);
    expect(compared).toBeGreaterThan(1700);
    expect(problems.slice(0, 20)).toEqual([]);
  }, 180_000);
});

/** Runs `module` of a tree of files under CPython and says whether it ends with `name` as an attribute. */
function cpythonHas(files: Record<string, string>, module: string, names: string[]): Record<string, boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bindings-"));
  try {
    for (const [p, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), text);
    }
    const script = `import importlib, json, sys\nm = importlib.import_module(sys.argv[1])\nprint(json.dumps({n: hasattr(m, n) for n in sys.argv[2:]}))`;
    const res = spawnSync(PYTHON, ["-B", "-I", "-c", `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); exec(${JSON.stringify(script)})`, module, ...names], { encoding: "utf8" });
    if (res.status !== 0) throw new Error(res.stderr);
    return JSON.parse(res.stdout) as Record<string, boolean>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("what boundAtImport says is what CPython's import leaves in the module", () => {
  const src = [
    "from typing import TYPE_CHECKING",
    "import json.decoder",
    "if TYPE_CHECKING:",
    "    from json import dumps",
    "try:",
    "    from json import loads",
    "except ImportError as err:",
    "    loads = None",
    "annotated: int",
    "valued: int = 1",
    "import os",
    "del os",
    "def later():",
    "    global late",
    "    from json import JSONDecoder as late",
    "    return late",
    "class Box:",
    "    inner = 1",
    "if __name__ == '__main__':",
    "    main_only = 1",
    "squares = [sq for sq in range(3)]",
    "walrused = [(w := n) for n in range(3)]",
    "for looped in range(2):",
    "    pass",
    "",
  ].join("\n");
  const names = ["TYPE_CHECKING", "json", "dumps", "loads", "err", "annotated", "valued", "os", "later", "late", "Box", "inner", "main_only", "squares", "sq", "w", "looped", "n"];
  const real = cpythonHas({ "m.py": src }, "m", names);
  const bound = boundAtImport(moduleBindings(Buffer.from(src)));
  expect(Object.fromEntries(names.map((n) => [n, bound.has(n)]))).toEqual(real);
  // `late` is bound only once later() runs: the reader says when.
  expect(moduleBindings(Buffer.from(src)).bindings.find((b) => b.name === "late")).toMatchObject({ how: "global", when: "call" });
});
