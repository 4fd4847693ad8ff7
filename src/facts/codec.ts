/**
 * A compact, lossless text form of a file's scanner facts, for the scan cache and for
 * moving facts between worker threads. Execution contexts are a pure function of their
 * frames (`computeContext`), so each distinct frames list is stored once per file and every
 * record refers to it by index; decoding rebuilds identical contexts.
 *
 * The text is two JSON documents on two lines: first what the startup graph reads of every
 * module it reaches (imports, import calls, `__all__`, the names module-level `def`/`class`
 * bind), then everything else. The graph decodes only the first line.
 */
import { computeContext } from "../python/context";
import type { ExecutionContext, Frame, PyCall, PyDynamicImport, PyFileFacts, PyImport, PyImportCall } from "../python/types";

/** Bump when the encoding changes. */
export const CODEC_VERSION = 4;

/** What the startup graph needs of a module (see edges.ts). */
export interface GraphFacts {
  imports: PyImport[];
  importCalls: PyImportCall[];
  all: PyFileFacts["all"];
  /** Names bound by `def`/`class` statements that run at module level. */
  defines: string[];
  /** A module-level `def __getattr__` (PEP 562). */
  getattr: boolean;
  /** Calls of names the file binds (followed into repository functions, see calls.ts). */
  calls: PyCall[];
  /** Import calls whose module name is computed at run time. */
  dynamicImports: PyDynamicImport[];
  /** Qualified names of every `def` in the file (`f`, `Config.ready`, `f.inner`). */
  functions: string[];
}

type Ctx = number;

class FrameTable {
  readonly list: Frame[][] = [];
  private readonly ids = new Map<Frame[], number>();
  private readonly byKey = new Map<string, number>();

  ref(ctx: ExecutionContext): Ctx {
    let id = this.ids.get(ctx.frames);
    if (id === undefined) {
      const key = ctx.frames.join("\u0001");
      id = this.byKey.get(key);
      if (id === undefined) {
        id = this.list.length;
        this.list.push(ctx.frames);
        this.byKey.set(key, id);
      }
      this.ids.set(ctx.frames, id);
    }
    // Only a PEP 810 `lazy` import has a context that its frames alone do not give.
    return id * 2 + (ctx.kind === "lazy" ? 1 : 0);
  }
}

function moduleLevel(ctx: ExecutionContext): boolean {
  return ctx.atImport && ctx.scope === "";
}

export function encodeFacts(f: PyFileFacts): string {
  const ft = new FrameTable();
  const imports = f.imports.map((i) => {
    const flags = (i.kind === "from" ? 1 : 0) | (i.star ? 2 : 0) | (i.lazy ? 4 : 0);
    const names: (string | null)[] = [];
    for (const n of i.names) names.push(n.name, n.asname);
    return [flags, i.line, i.endLine - i.line, i.module, i.level, ft.ref(i.context), names];
  });
  const calls = f.importCalls.map((c) => [c.func === "import_module" ? 0 : 1, c.line, c.module, c.package, ft.ref(c.context)]);
  const classes = f.classes.map((c) => [c.qualname, c.name, c.line, c.endLine - c.line, c.bases, ft.ref(c.context)]);
  const functions = f.functions.map((x) => [x.qualname, x.name, x.line, x.endLine - x.line, x.async ? 1 : 0, ft.ref(x.context)]);
  const decorators = f.decorators.map((d) => [d.line, d.text, d.callee === d.text ? 0 : d.callee, d.target, ft.ref(d.context)]);
  const connects = f.connects.map((c) => [c.line, c.signal, c.args, ft.ref(c.context)]);
  const patches = f.patchTargets.map((p) => [p.line, p.callee, p.target, p.objectText, p.attribute]);
  const admin = f.adminRegisters.map((a) => [a.line, a.args]);
  const dotted: (string | number)[] = [];
  for (const d of f.dottedStrings) dotted.push(d.line, d.value);
  const diags: (string | number)[] = [];
  for (const d of f.diagnostics) diags.push(d.line, d.message);
  const defines: string[] = [];
  let getattr = 0;
  for (const x of f.functions) {
    if (!moduleLevel(x.context)) continue;
    defines.push(x.name);
    if (x.name === "__getattr__") getattr = 1;
  }
  for (const c of f.classes) if (moduleLevel(c.context)) defines.push(c.name);
  // Calls are most records: each callee once, then five numbers a call (line, callee, argument start and length, context).
  const callees: string[] = [];
  const calleeIds = new Map<string, number>();
  const callNumbers: number[] = [];
  for (const c of f.calls) {
    let id = calleeIds.get(c.callee);
    if (id === undefined) {
      id = callees.length;
      callees.push(c.callee);
      calleeIds.set(c.callee, id);
    }
    callNumbers.push(c.line, id, c.argsStart, c.argsEnd - c.argsStart, ft.ref(c.context));
  }
  const plainCalls = [callees, callNumbers];
  const dynamic = f.dynamicImports.map((c) => [c.func === "import_module" ? 0 : 1, c.line, c.args, ft.ref(c.context)]);
  const qualnames = f.functions.map((x) => x.qualname);
  const graph = [CODEC_VERSION, ft.list, imports, calls, f.all === null ? 0 : [f.all.names, f.all.dynamic ? 1 : 0], defines, getattr, plainCalls, dynamic, qualnames];
  const rest = [classes, functions, decorators, connects, patches, admin, dotted, f.futureAnnotations ? 1 : 0, diags, f.lineCount];
  return `${JSON.stringify(graph)}\n${JSON.stringify(rest)}`;
}

type RawGraph = [
  number,
  Frame[][],
  [number, number, number, string, number, Ctx, (string | null)[]][],
  [number, number, string, string | null, Ctx][],
  0 | [string[], number],
  string[],
  number,
  [string[], number[]],
  [number, number, string, Ctx][],
  string[],
];

type RawRest = [
  [string, string, number, number, string[], Ctx][],
  [string, string, number, number, number, Ctx][],
  [number, string, string | 0, string, Ctx][],
  [number, string, string, Ctx][],
  [number, string, string | null, string | null, string | null][],
  [number, string][],
  (string | number)[],
  number,
  (string | number)[],
  number,
];

function parseGraph(text: string): { g: GraphFacts; ctx: (c: Ctx) => ExecutionContext } {
  const nl = text.indexOf("\n");
  const r = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as RawGraph;
  if (!Array.isArray(r) || r[0] !== CODEC_VERSION || r.length !== 10) throw new Error("not encoded facts");
  const calls = r[7];
  if (!Array.isArray(calls) || calls.length !== 2 || !Array.isArray(calls[1]) || calls[1].length % 5 !== 0) throw new Error("not encoded facts");
  const frames = r[1];
  const contexts: ExecutionContext[] = [];
  // Once per frames list of the file (these arrays are new: a cache by array would only grow).
  const ctx = (c: Ctx): ExecutionContext => (contexts[c] ??= computeContext(frames[c >> 1], (c & 1) === 1));
  const g: GraphFacts = {
    imports: r[2].map(([flags, line, span, module, level, c, names]): PyImport => {
      const list: PyImport["names"] = [];
      for (let i = 0; i < names.length; i += 2) list.push({ name: names[i] as string, asname: names[i + 1] });
      return { kind: flags & 1 ? "from" : "import", line, endLine: line + span, module, level, names: list, star: (flags & 2) !== 0, lazy: (flags & 4) !== 0, context: ctx(c) };
    }),
    importCalls: r[3].map(([func, line, module, pkg, c]) => ({ func: func === 0 ? "import_module" : "__import__", line, module, package: pkg, context: ctx(c) })),
    all: r[4] === 0 ? null : { names: r[4][0], dynamic: r[4][1] === 1 },
    defines: r[5],
    getattr: r[6] === 1,
    calls: decodeCalls(r[7], ctx),
    dynamicImports: r[8].map(([func, line, args, c]) => ({ func: func === 0 ? "import_module" : "__import__", line, args, context: ctx(c) })),
    functions: r[9],
  };
  return { g, ctx };
}

function decodeCalls([callees, n]: RawGraph[7], ctx: (c: Ctx) => ExecutionContext): PyCall[] {
  const out: PyCall[] = [];
  for (let i = 0; i + 4 < n.length; i += 5) out.push({ line: n[i], callee: callees[n[i + 1]], argsStart: n[i + 2], argsEnd: n[i + 2] + n[i + 3], context: ctx(n[i + 4]) });
  return out;
}

/** Decodes only what the startup graph needs; throws on anything that is not `encodeFacts` output. */
export function decodeGraphFacts(text: string): GraphFacts {
  return parseGraph(text).g;
}

/** Decodes `encodeFacts` output; throws on anything else (callers treat that as a cache miss). */
export function decodeFacts(text: string): PyFileFacts {
  const { g, ctx } = parseGraph(text);
  const r = JSON.parse(text.slice(text.indexOf("\n") + 1)) as RawRest;
  if (!Array.isArray(r) || r.length !== 10) throw new Error("not encoded facts");
  const dotted: PyFileFacts["dottedStrings"] = [];
  for (let i = 0; i < r[6].length; i += 2) dotted.push({ line: r[6][i] as number, value: r[6][i + 1] as string });
  const diagnostics: PyFileFacts["diagnostics"] = [];
  for (let i = 0; i < r[8].length; i += 2) diagnostics.push({ line: r[8][i] as number, message: r[8][i + 1] as string });
  return {
    imports: g.imports,
    importCalls: g.importCalls,
    calls: g.calls,
    dynamicImports: g.dynamicImports,
    classes: r[0].map(([qualname, name, line, span, bases, c]) => ({ name, qualname, line, endLine: line + span, bases, context: ctx(c) })),
    functions: r[1].map(([qualname, name, line, span, isAsync, c]) => ({ name, qualname, line, endLine: line + span, async: isAsync === 1, context: ctx(c) })),
    decorators: r[2].map(([line, text, callee, target, c]) => ({ line, text, callee: callee === 0 ? text : callee, target, context: ctx(c) })),
    connects: r[3].map(([line, signal, args, c]) => ({ line, signal, args, context: ctx(c) })),
    patchTargets: r[4].map(([line, callee, target, objectText, attribute]) => ({ line, callee, target, objectText, attribute })),
    adminRegisters: r[5].map(([line, args]) => ({ line, args })),
    all: g.all,
    dottedStrings: dotted,
    futureAnnotations: r[7] === 1,
    diagnostics,
    lineCount: r[9],
  };
}

/** The graph's view of full facts (for files decoded already, or facts given directly). */
export function graphFactsOf(f: PyFileFacts): GraphFacts {
  const defines: string[] = [];
  let getattr = false;
  for (const x of f.functions) {
    if (!moduleLevel(x.context)) continue;
    defines.push(x.name);
    if (x.name === "__getattr__") getattr = true;
  }
  for (const c of f.classes) if (moduleLevel(c.context)) defines.push(c.name);
  return { imports: f.imports, importCalls: f.importCalls, all: f.all, defines, getattr, calls: f.calls, dynamicImports: f.dynamicImports, functions: f.functions.map((x) => x.qualname) };
}
