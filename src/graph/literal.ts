/**
 * Static evaluation of the literal expressions settings modules use: strings, numbers,
 * `True`/`False`/`None`, list/tuple/set/dict displays, `*` and `**` unpacking, `+`
 * concatenation, names bound earlier, and `list(...)`/`tuple(...)`/`dict(k=v)`. Anything
 * else (a call, an attribute, a comprehension, a conditional) is an `unknown` value that
 * says why, never a guess. A sequence keeps the parts it could read, with `unknown` items
 * standing for the parts it could not.
 */
import { closer, splitTop, type Tok } from "./statements";

/** A statically known value; `line` (and `file`, once known) say where it was written. */
export type Value = (
  | { t: "str"; v: string }
  | { t: "seq"; items: Value[] }
  | { t: "dict"; entries: { key: Value; value: Value }[] }
  | { t: "const"; v: boolean | number | null }
  | { t: "unknown"; why: string }
) & { line: number; file?: string };

/** Looks a name up among the bindings made so far. */
export type Scope = (name: string) => Value | undefined;

const OPEN = new Set(["(", "[", "{"]);

function unknown(why: string, line: number): Value {
  return { t: "unknown", why, line };
}

function text(toks: Tok[]): string {
  let s = "";
  for (const t of toks) {
    if (s.length > 60) return `${s}...`;
    s += (s && t.k === "name" && /\w$/.test(s) ? " " : "") + t.v;
  }
  return s;
}

/** Evaluates the expression in `toks` (a whole expression, possibly a bare tuple). */
export function evaluate(toks: Tok[], scope: Scope): Value {
  const line = toks.length > 0 ? toks[0].line : 0;
  if (toks.length === 0) return unknown("empty expression", line);
  const parts = splitTop(toks, ",");
  if (parts.length > 1) {
    // A bare tuple, `a, b` (a trailing comma leaves an empty last part).
    if (parts[parts.length - 1].length === 0) parts.pop();
    return { t: "seq", items: items(parts, scope), line };
  }
  return sum(toks, scope);
}

function items(parts: Tok[][], scope: Scope): Value[] {
  const out: Value[] = [];
  for (const p of parts) {
    if (p.length === 0) continue;
    if (p[0].k === "op" && p[0].v === "*") {
      const v = sum(p.slice(1), scope);
      if (v.t === "seq") out.push(...v.items);
      else out.push(v.t === "unknown" ? v : unknown(`cannot unpack ${text(p.slice(1))}`, p[0].line));
    } else out.push(sum(p, scope));
  }
  return out;
}

/** `a + b + c`: concatenation; any other operator at this level makes the value unknown. */
function sum(toks: Tok[], scope: Scope): Value {
  const line = toks.length > 0 ? toks[0].line : 0;
  const operands: Tok[][] = [];
  let depth = 0;
  let cur: Tok[] = [];
  for (const t of toks) {
    if (t.k === "op") {
      if (OPEN.has(t.v)) depth++;
      else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
      else if (depth === 0 && t.v === "+" && cur.length > 0) {
        operands.push(cur);
        cur = [];
        continue;
      } else if (depth === 0 && t.v !== ".") return unknown(`the expression ${text(toks)} is not a literal`, line);
    } else if (depth === 0 && t.k === "name" && (t.v === "if" || t.v === "or" || t.v === "and" || t.v === "for" || t.v === "lambda" || t.v === "not" || t.v === "in")) {
      return unknown(`the expression ${text(toks)} is not a literal`, line);
    }
    cur.push(t);
  }
  operands.push(cur);
  let acc: Value | null = null;
  for (const op of operands) {
    const v = primary(op, scope);
    acc = acc === null ? v : concat(acc, v);
  }
  return acc ?? unknown("empty expression", line);
}

function concat(a: Value, b: Value): Value {
  if (a.t === "seq" && b.t === "seq") return { t: "seq", items: [...a.items, ...b.items], line: a.line };
  if (a.t === "str" && b.t === "str") return { t: "str", v: a.v + b.v, line: a.line };
  // Keep what is known of a partly known sequence.
  if (a.t === "seq" && b.t === "unknown") return { t: "seq", items: [...a.items, b], line: a.line };
  if (a.t === "unknown" && b.t === "seq") return { t: "seq", items: [a, ...b.items], line: a.line };
  if (a.t === "unknown") return a;
  if (b.t === "unknown") return b;
  return unknown("cannot add these values", a.line);
}

function primary(toks: Tok[], scope: Scope): Value {
  const line = toks.length > 0 ? toks[0].line : 0;
  if (toks.length === 0) return unknown("empty expression", line);
  const t0 = toks[0];
  if (t0.k === "str") {
    let v = "";
    let i = 0;
    for (; i < toks.length && toks[i].k === "str"; i++) {
      const s = toks[i].s;
      if (s === null || s === undefined) return unknown(`${toks[i].v.slice(0, 40)} is not a plain string literal`, line);
      v += s;
    }
    if (i !== toks.length) return unknown(`the expression ${text(toks)} is not a literal`, line);
    return { t: "str", v, line };
  }
  if (t0.k === "num" && toks.length === 1) {
    const n = Number(t0.v.replace(/_/g, ""));
    return Number.isFinite(n) ? { t: "const", v: n, line } : unknown(`number ${t0.v}`, line);
  }
  if (t0.k === "op" && OPEN.has(t0.v)) {
    if (closer(toks, 0) !== toks.length - 1) return unknown(`the expression ${text(toks)} is not a literal`, line);
    return display(t0.v, toks.slice(1, -1), scope, line);
  }
  if (t0.k === "name") {
    if (toks.length === 1) {
      if (t0.v === "True" || t0.v === "False") return { t: "const", v: t0.v === "True", line };
      if (t0.v === "None") return { t: "const", v: null, line };
      return scope(t0.v) ?? unknown(`the name ${t0.v} is not bound to a literal here`, line);
    }
    const call = toks[1];
    if (toks.length >= 3 && call.k === "op" && call.v === "(" && closer(toks, 1) === toks.length - 1) {
      return builtinCall(t0.v, toks.slice(2, -1), scope, line);
    }
  }
  return unknown(`the expression ${text(toks)} is not a literal`, line);
}

function display(open: string, inner: Tok[], scope: Scope, line: number): Value {
  const parts = splitTop(inner, ",");
  if (parts[parts.length - 1].length === 0) parts.pop();
  if (inner.some((t) => t.k === "name" && t.v === "for")) return unknown("a comprehension is not a literal", line);
  if (open === "(") {
    if (parts.length === 0) return { t: "seq", items: [], line };
    // `(x)` is x; `(x,)` is a tuple.
    const hasComma = inner.length > 0 && splitTop(inner, ",").length > 1;
    if (!hasComma) return sum(inner, scope);
    return { t: "seq", items: items(parts, scope), line };
  }
  if (open === "[") return { t: "seq", items: items(parts, scope), line };
  // `{...}`: a dict when its first item has a top-level colon or is `**x`; else a set.
  if (parts.length === 0) return { t: "dict", entries: [], line };
  const isDict = parts.some((p) => (p[0].k === "op" && p[0].v === "**") || splitTop(p, ":").length === 2);
  if (!isDict) return { t: "seq", items: items(parts, scope), line };
  const entries: { key: Value; value: Value }[] = [];
  for (const p of parts) {
    if (p[0].k === "op" && p[0].v === "**") {
      const v = sum(p.slice(1), scope);
      if (v.t === "dict") entries.push(...v.entries);
      else entries.push({ key: unknown(`cannot unpack ${text(p.slice(1))}`, p[0].line), value: v });
      continue;
    }
    const kv = splitTop(p, ":");
    if (kv.length !== 2) return unknown("not a dict display", line);
    entries.push({ key: sum(kv[0], scope), value: evaluate(kv[1], scope) });
  }
  return { t: "dict", entries, line };
}

function builtinCall(fn: string, args: Tok[], scope: Scope, line: number): Value {
  const parts = splitTop(args, ",");
  if (parts[parts.length - 1].length === 0) parts.pop();
  if ((fn === "list" || fn === "tuple") && parts.length <= 1) {
    if (parts.length === 0) return { t: "seq", items: [], line };
    const v = sum(parts[0], scope);
    if (v.t === "seq" || v.t === "unknown") return v;
    return unknown(`${fn}() of a non-sequence`, line);
  }
  if (fn === "dict") {
    const entries: { key: Value; value: Value }[] = [];
    for (const p of parts) {
      if (p.length >= 3 && p[0].k === "name" && p[1].k === "op" && p[1].v === "=") {
        entries.push({ key: { t: "str", v: p[0].v, line: p[0].line }, value: evaluate(p.slice(2), scope) });
      } else if (p[0].k === "op" && p[0].v === "**") {
        const v = sum(p.slice(1), scope);
        if (v.t !== "dict") return unknown(`cannot unpack ${text(p.slice(1))}`, line);
        entries.push(...v.entries);
      } else return unknown("dict() with positional arguments", line);
    }
    return { t: "dict", entries, line };
  }
  return unknown(`the value comes from a call to ${fn}()`, line);
}

/** The value of `key` in a dict value (last one wins), or undefined. */
export function dictGet(d: Value, key: string): Value | undefined {
  if (d.t !== "dict") return undefined;
  let found: Value | undefined;
  for (const e of d.entries) if (e.key.t === "str" && e.key.v === key) found = e.value;
  return found;
}
