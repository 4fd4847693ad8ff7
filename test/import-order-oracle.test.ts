/**
 * The import-order simulation (src/graph/import-order.ts) against real CPython: hundreds of
 * random module trees (packages, submodules, `import a`, `import a.b as c`, `from a import n`,
 * `from . import b`, `from .m import n`, `importlib.import_module`, imports in class bodies,
 * definitions and assignments before and after the imports), written to a temporary directory
 * and imported by /usr/bin/python3, one root after the other in one interpreter (as
 * `django.setup()` imports its roots). For every root the simulation must predict exactly which
 * statement raises (file:line), with which exception and message, or that none does.
 *
 * One Python process imports every tree (each tree's modules have their own top-level names).
 * A mutant of the simulation (the 3.7+ `sys.modules` fallback of `from A import n` removed,
 * or classes bound before their body runs) must disagree with CPython somewhere: the
 * comparison can fail.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { type ImportRun, type ImportWorld, moduleCode, simulateImports, simulateRepository } from "../src/graph/import-order";
import { readStatements } from "../src/python/statements";
import { scanPython } from "../src/python/scanner";

const PYTHON = "/usr/bin/python3";
const TREES = Number(process.env.IMPORT_ORDER_TREES ?? 1500);
const SEED = 20261201;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mod {
  name: string;
  isPackage: boolean;
  children: string[];
  /** Names the module binds at module scope (somewhere in its body). */
  names: string[];
}

interface Tree {
  files: Map<string, string>;
  roots: string[];
}

function generate(id: number, random: () => number): Tree {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const mods: Mod[] = [];
  const byName = new Map<string, Mod>();
  const add = (name: string, isPackage: boolean, parent: Mod | null): Mod => {
    const m: Mod = { name, isPackage, children: [], names: [] };
    mods.push(m);
    byName.set(name, m);
    parent?.children.push(name);
    return m;
  };
  const tops = 1 + Math.floor(random() * 2);
  const queue: { m: Mod; depth: number }[] = [];
  for (let i = 0; i < tops; i++) {
    const m = add(`t${id}${"ab"[i]}`, random() < 0.75, null);
    if (m.isPackage) queue.push({ m, depth: 1 });
  }
  while (queue.length > 0 && mods.length < 8) {
    const { m, depth } = queue.shift() as { m: Mod; depth: number };
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n && mods.length < 8; i++) {
      const child = add(`${m.name}.${"mnpq"[i]}`, depth < 3 && random() < 0.3, m);
      if (child.isPackage) queue.push({ m: child, depth: depth + 1 });
    }
  }
  for (const m of mods) {
    const count = Math.floor(random() * 3) + (random() < 0.8 ? 1 : 0);
    const pool = ["f", "g", "K", "V"];
    for (let i = 0; i < count; i++) {
      const n = pool.splice(Math.floor(random() * pool.length), 1)[0];
      m.names.push(n);
    }
  }
  const packageOf = (m: Mod): string | null => (m.isPackage ? m.name : m.name.includes(".") ? m.name.slice(0, m.name.lastIndexOf(".")) : null);
  const importLine = (m: Mod): string => {
    const t = pick(mods);
    const fromNames = [...t.names, ...t.children.map((c) => c.slice(t.name.length + 1))];
    const pkg = packageOf(m);
    const r = random();
    if (r < 0.12) return `import ${t.name}`;
    if (r < 0.2 && t.name.includes(".")) return `import ${t.name} as alias_${Math.floor(random() * 100)}`;
    if (r < 0.27) return `importlib.import_module(${JSON.stringify(t.name)})`;
    if (r < 0.42 && pkg !== null) {
      // `from . import x`: a submodule of this package, or a name its __init__ binds.
      const p = byName.get(pkg) as Mod;
      const names = [...p.names, ...p.children.map((c) => c.slice(p.name.length + 1))];
      if (names.length > 0) return `from . import ${pick(names)}`;
    }
    if (r < 0.52 && pkg !== null && t.name.startsWith(`${pkg}.`) && fromNames.length > 0) {
      return `from .${t.name.slice(pkg.length + 1)} import ${pick(fromNames)}`;
    }
    if (fromNames.length === 0) return `import ${t.name}`;
    const names = [pick(fromNames)];
    if (random() < 0.25) names.push(pick(fromNames));
    return `from ${t.name} import ${[...new Set(names)].join(", ")}`;
  };
  const files = new Map<string, string>();
  for (const m of mods) {
    const body: string[][] = [];
    for (const n of m.names) {
      if (n === "K") body.push(random() < 0.3 ? ["class K:", `    ${importLine(m)}`] : ["class K:", "    pass"]);
      else if (n === "V") body.push([random() < 0.5 ? "V = 1" : "V, W = 1, 2"]);
      else body.push([`def ${n}():`, "    pass"]);
    }
    const imports = Math.floor(random() * 3) + 1;
    for (let i = 0; i < imports; i++) body.push([importLine(m)]);
    for (let i = body.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [body[i], body[j]] = [body[j], body[i]];
    }
    const text = ["import importlib", ...body.flat(), ""].join("\n");
    const rel = m.name.split(".").join("/") + (m.isPackage ? "/__init__.py" : ".py");
    files.set(rel, text);
  }
  const roots: string[] = [];
  const rootCount = 1 + Math.floor(random() * 3);
  for (let i = 0; i < rootCount; i++) roots.push(pick(mods).name);
  return { files, roots };
}

/** Cases written by hand: a class bound only when its body has run; the slack_app cycle in both orders; a relative cycle through a package. */
const HANDMADE: Tree[] = [
  { files: new Map([["h0/__init__.py", ""], ["h0/x.py", "class K:\n    from h0.y import h\n"], ["h0/y.py", "from h0.x import K\ndef h():\n    pass\n"]]), roots: ["h0.x"] },
  {
    files: new Map([
      ["h1/__init__.py", ""],
      ["h1/api.py", "def helper():\n    pass\nfrom h1.workflows import Workflow\n"],
      ["h1/workflows.py", "from h1.api import helper\nclass Workflow:\n    pass\n"],
    ]),
    roots: ["h1.workflows", "h1.api"],
  },
  {
    files: new Map([
      ["h2/__init__.py", ""],
      ["h2/api.py", "def helper():\n    pass\nfrom h2.workflows import Workflow\n"],
      ["h2/workflows.py", "from h2.api import helper\nclass Workflow:\n    pass\n"],
    ]),
    roots: ["h2.api", "h2.workflows"],
  },
  { files: new Map([["h3/__init__.py", "from . import a\nVALUE = 1\n"], ["h3/a.py", "from . import VALUE\n"]]), roots: ["h3"] },
];

interface Outcome {
  root: string;
  /** `ImportError file:line` of the failing statement, or "ok". */
  at: string;
  message: string;
}

const DRIVER = `
import importlib, json, os, sys, traceback
top = sys.argv[1]
sys.path.insert(0, top)
out = []
for tree in json.load(sys.stdin):
    for root in tree:
        try:
            importlib.import_module(root)
            out.append({"root": root, "at": "ok", "message": ""})
        except Exception as e:
            frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(top + os.sep)]
            f = frames[-1]
            out.append({"root": root, "at": "%s %s:%d" % (type(e).__name__, os.path.relpath(f.filename, top), f.lineno), "message": str(e).replace(top + os.sep, "")})
print(json.dumps(out))
`;

interface Simulate {
  simulateImports: typeof simulateImports;
  moduleCode: typeof moduleCode;
}

function predict(sim: Simulate, tree: Tree): Outcome[] {
  const code = new Map<string, ReturnType<typeof moduleCode>>();
  for (const [rel, text] of tree.files) {
    const isPackage = rel.endsWith("/__init__.py");
    const name = rel.replace(/\/__init__\.py$|\.py$/, "").split("/").join(".");
    const bytes = Buffer.from(text);
    code.set(name, sim.moduleCode(name, rel, isPackage, scanPython(bytes), readStatements(bytes)));
  }
  const world: ImportWorld = { code: (m) => code.get(m) ?? null, exhaustive: true };
  const run = sim.simulateImports(world, tree.roots);
  expect(run.uncertain).toBeNull();
  return tree.roots.map((root, i) => {
    const f = run.failures.find((x) => x.rootIndex === i);
    return f === undefined ? { root, at: "ok", message: "" } : { root, at: `${f.exception} ${f.file}:${f.line}`, message: f.message };
  });
}

/** Loads a copy of the simulation with `mutate` applied to its source. */
function mutant(mutate: (src: string) => string): Simulate {
  const file = path.join(__dirname, "..", "src", "graph", "import-order.ts");
  const src = fs.readFileSync(file, "utf8");
  const changed = mutate(src);
  expect(changed).not.toBe(src);
  const js = ts.transpileModule(changed, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  // The mutant's own imports resolve to the real modules, through jest's loader (a dynamic require).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const req = (p: string): unknown => require(p.startsWith(".") ? path.join(path.dirname(file), p) : p);
  new Function("exports", "require", "module", js)(mod.exports, req, mod);
  return mod.exports as unknown as Simulate;
}

describe("import-order simulation agrees with CPython", () => {
  const random = rng(SEED);
  const trees = [...HANDMADE, ...Array.from({ length: TREES }, (_, i) => generate(i, random))];
  let real: Outcome[][] = [];

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "import-order-"));
    try {
      for (const t of trees) {
        for (const [rel, text] of t.files) {
          fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
          fs.writeFileSync(path.join(dir, rel), text);
        }
      }
      const res = spawnSync(PYTHON, ["-B", "-c", DRIVER, dir], { input: JSON.stringify(trees.map((t) => t.roots)), encoding: "utf8", maxBuffer: 64 << 20 });
      if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
      const flat = JSON.parse(res.stdout) as Outcome[];
      let at = 0;
      real = trees.map((t) => t.roots.map(() => flat[at++]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${TREES} random trees: the same statement fails with the same exception, or none`, () => {
    const mismatches: string[] = [];
    trees.forEach((t, i) => {
      const want = real[i];
      const got = predict({ simulateImports, moduleCode }, t);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(`tree ${i} roots ${t.roots.join(", ")}\nCPython: ${JSON.stringify(want)}\nsimulated: ${JSON.stringify(got)}\n${[...t.files].map(([f, s]) => `--- ${f}\n${s}`).join("")}`);
      }
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
    // The trees exercise both outcomes, and cycles that fail only in one order.
    const failing = real.flat().filter((o) => o.at !== "ok").length;
    expect(failing).toBeGreaterThan(40);
    expect(real.flat().length - failing).toBeGreaterThan(40);
    expect(real.flat().every((o) => o.at === "ok" || o.at.startsWith("ImportError "))).toBe(true);
  });

  test("read lazily (imports first, a module read in full only when its bindings decide a lookup), the repository simulation gives the same answers", async () => {
    const mismatches: string[] = [];
    for (let i = 0; i < trees.length; i++) {
      const t = trees[i];
      const files = new Map([...t.files].map(([rel, text]) => [rel, Buffer.from(text)]));
      const facts = new Map([...files].map(([rel, b]) => [rel, scanPython(b)]));
      const fileOf = (m: string): string | null => {
        const rel = m.split(".").join("/");
        return files.has(`${rel}/__init__.py`) ? `${rel}/__init__.py` : files.has(`${rel}.py`) ? `${rel}.py` : null;
      };
      const run: ImportRun = await simulateRepository(
        {
          fileOf,
          facts: (f) => facts.get(f),
          importFacts: (f) => {
            const x = facts.get(f);
            return x && { imports: x.imports, importCalls: x.importCalls, all: x.all };
          },
          statements: async (f) => readStatements(files.get(f) as Buffer),
        },
        t.roots,
      );
      const got = t.roots.map((root, k) => {
        const f = run.failures.find((x) => x.rootIndex === k);
        return f === undefined ? { root, at: "ok", message: "" } : { root, at: `${f.exception} ${f.file}:${f.line}`, message: f.message };
      });
      // A complete module not binding a name is not a circular import: the repository simulation takes it to succeed.
      const want = real[i].map((o) => (o.message.includes("partially initialized") || o.at === "ok" ? o : { root: o.root, at: "ok", message: "" }));
      if (JSON.stringify(got) !== JSON.stringify(want) && !real[i].some((o) => o.at !== "ok" && !o.message.includes("partially initialized"))) mismatches.push(`tree ${i}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  test.each([
    ["no sys.modules fallback for from-imports", (s: string) => s.replace("if (modules.has(sub)) return sub;", "")],
    ["classes bound before their body runs", (s: string) => s.replace("order: c.endLine * 2 + 1.5", "order: c.line * 2")],
    ["submodules not imported by from-imports", (s: string) => s.replace('f.ops.splice(f.op, 0, { o: "load", name: sub })', "void 0")],
    ["failed modules kept in sys.modules", (s: string) => s.replace("for (const x of stack) if (x.state !== null) modules.delete(x.state.name);", "")],
    ["import a.b not asking for a again", (s: string) => s.replace("if (dot >= 0) ops.push({ o: \"load\", name: top });", "")],
    ["from-imports binding objects, never modules", (s: string) => s.replace("f.state?.attrs.set(op.bind, v);", "f.state?.attrs.set(op.bind, null);")],
  ])("a broken simulation (%s) disagrees with CPython", (_what, mutate) => {
    const broken = mutant(mutate);
    const disagree = trees.filter((t, i) => JSON.stringify(predict(broken, t)) !== JSON.stringify(real[i])).length;
    expect(disagree).toBeGreaterThan(0);
  });
});

test("a chain of 200,000 modules importing each other is simulated without recursion", () => {
  const n = 200_000;
  const world: ImportWorld = {
    code: (m) => {
      const i = Number(m.slice(1));
      if (!/^m\d+$/.test(m) || i >= n) return null;
      // m{i}: `from m{i+1} import x` then `x = 1`; the last one imports from m0, which is still running.
      const next = i === n - 1 ? "m0" : `m${i + 1}`;
      return { file: `${m}.py`, isPackage: false, all: null, steps: [{ t: "import", line: 1, kind: "from", target: next, names: [{ name: "x", as: "y" }], star: false, certainty: "certain" }, { t: "bind", line: 2, names: ["x"] }] };
    },
  };
  const run = simulateImports(world, ["m0"]);
  expect(run.failures.map((f) => [f.file, f.line, f.from, f.stack.length])).toEqual([[`m${n - 1}.py`, 1, "m0", n]]);
});
