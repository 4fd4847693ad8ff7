/**
 * A compact, lossless text form of a file's scanner facts, for the scan cache and for
 * moving facts between worker threads. Execution contexts are a pure function of their
 * frames (`contextOf`), so each distinct frames list is stored once per file and every
 * record refers to it by index; decoding rebuilds identical contexts.
 */
import { contextOf } from "../python/context";
import type { ExecutionContext, Frame, PyFileFacts, PyImport } from "../python/types";

/** Bump when the encoding changes. */
export const CODEC_VERSION = 1;

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
  return JSON.stringify([
    CODEC_VERSION,
    ft.list,
    imports,
    calls,
    classes,
    functions,
    decorators,
    connects,
    patches,
    admin,
    f.all === null ? 0 : [f.all.names, f.all.dynamic ? 1 : 0],
    dotted,
    f.futureAnnotations ? 1 : 0,
    diags,
    f.lineCount,
  ]);
}

type Raw = [
  number,
  Frame[][],
  [number, number, number, string, number, Ctx, (string | null)[]][],
  [number, number, string, string | null, Ctx][],
  [string, string, number, number, string[], Ctx][],
  [string, string, number, number, number, Ctx][],
  [number, string, string | 0, string, Ctx][],
  [number, string, string, Ctx][],
  [number, string, string | null, string | null, string | null][],
  [number, string][],
  0 | [string[], number],
  (string | number)[],
  number,
  (string | number)[],
  number,
];

/** Decodes `encodeFacts` output; throws on anything else (callers treat that as a cache miss). */
export function decodeFacts(text: string): PyFileFacts {
  const r = JSON.parse(text) as Raw;
  if (!Array.isArray(r) || r[0] !== CODEC_VERSION || r.length !== 15) throw new Error("not encoded facts");
  const frames = r[1];
  const ctx = (c: Ctx): ExecutionContext => contextOf(frames[c >> 1], (c & 1) === 1);
  const dotted: PyFileFacts["dottedStrings"] = [];
  for (let i = 0; i < r[11].length; i += 2) dotted.push({ line: r[11][i] as number, value: r[11][i + 1] as string });
  const diagnostics: PyFileFacts["diagnostics"] = [];
  for (let i = 0; i < r[13].length; i += 2) diagnostics.push({ line: r[13][i] as number, message: r[13][i + 1] as string });
  return {
    imports: r[2].map(([flags, line, span, module, level, c, names]): PyImport => {
      const list: PyImport["names"] = [];
      for (let i = 0; i < names.length; i += 2) list.push({ name: names[i] as string, asname: names[i + 1] });
      return {
        kind: flags & 1 ? "from" : "import",
        line,
        endLine: line + span,
        module,
        level,
        names: list,
        star: (flags & 2) !== 0,
        lazy: (flags & 4) !== 0,
        context: ctx(c),
      };
    }),
    importCalls: r[3].map(([func, line, module, pkg, c]) => ({ func: func === 0 ? "import_module" : "__import__", line, module, package: pkg, context: ctx(c) })),
    classes: r[4].map(([qualname, name, line, span, bases, c]) => ({ name, qualname, line, endLine: line + span, bases, context: ctx(c) })),
    functions: r[5].map(([qualname, name, line, span, isAsync, c]) => ({ name, qualname, line, endLine: line + span, async: isAsync === 1, context: ctx(c) })),
    decorators: r[6].map(([line, text, callee, target, c]) => ({ line, text, callee: callee === 0 ? text : callee, target, context: ctx(c) })),
    connects: r[7].map(([line, signal, args, c]) => ({ line, signal, args, context: ctx(c) })),
    patchTargets: r[8].map(([line, callee, target, objectText, attribute]) => ({ line, callee, target, objectText, attribute })),
    adminRegisters: r[9].map(([line, args]) => ({ line, args })),
    all: r[10] === 0 ? null : { names: r[10][0], dynamic: r[10][1] === 1 },
    dottedStrings: dotted,
    futureAnnotations: r[12] === 1,
    diagnostics,
    lineCount: r[14],
  };
}
