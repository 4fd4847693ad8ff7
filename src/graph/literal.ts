/**
 * Static evaluation of the literal expressions settings modules use: strings, numbers,
 * `True`/`False`/`None`, list/tuple/set/dict displays, `*` and `**` unpacking, `+`
 * concatenation, names bound earlier, `list(...)`/`tuple(...)`/`dict(k=v)`, and the few
 * calls settings use to shape lists (`reversed`, `sorted`, `set`, `dict.fromkeys`, `list` of
 * a dict), `os.environ.get`/`os.getenv` with a default (the default is used and the value
 * says it is assumed) and `getattr(module, "NAME", default)` of a module the scope can read.
 * Anything else (another call, an attribute, a comprehension, a conditional) is an `unknown`
 * value that says why, never a guess.
 *
 * A sequence may be partly known: its `unknown` items stand for parts that could not be read
 * (each zero or more items: `["a"] + more()` is `a` plus what `more()` returns), so the known
 * items are never thrown away because of them.
 */
import { MAX_NESTED_BRACKETS } from "../python/lexer";
import { closer, splitTop, type Tok } from "../python/statements";
import { pushAll } from "../core/arrays";

/** A statically known value; `line` (and `file`, once known) say where it was written. */
export type Value = (
  | { t: "str"; v: string }
  | { t: "seq"; items: Value[] }
  | { t: "dict"; entries: { key: Value; value: Value }[] }
  | { t: "const"; v: boolean | number | null }
  | { t: "unknown"; why: string; module?: string }
) & {
  line: number;
  file?: string;
  /** The value rests on an assumption (an environment variable's default), said here. */
  assumed?: string;
  /** A file path wrapped in django-split-settings' `optional()`: it may be missing. */
  optionalFile?: boolean;
};

/**
 * Looks a name up among the bindings made so far. `attr`, when given, answers
 * `getattr(module, name)` for a name bound to a module (`unknown` with `module`): the value,
 * null when the module is read and does not bind it, undefined when the module is not read.
 */
export type Scope = ((name: string) => Value | undefined) & {
  attr?: (module: string, name: string) => Value | null | undefined;
  /** Calls the scope knows (`optional` of split-settings): their value, or undefined. */
  call?: (fn: string, args: Tok[][], line: number) => Value | undefined;
};

const OPEN = new Set(["(", "[", "{"]);

/**
 * The deepest bracket nesting in `toks`. The evaluator recurses once per bracket level, so an
 * expression is read only when this is within Python's own limit: the stack stays bounded and
 * nothing Python could run is lost.
 */
function bracketDepth(toks: Tok[]): number {
  let depth = 0;
  let max = 0;
  for (const t of toks) {
    if (t.k !== "op") continue;
    if (OPEN.has(t.v)) max = Math.max(max, ++depth);
    else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
  }
  return max;
}

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
  if (bracketDepth(toks) > MAX_NESTED_BRACKETS) return unknown(`brackets are nested more than ${MAX_NESTED_BRACKETS} deep (a syntax error in Python)`, line);
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
      if (v.t === "seq") pushAll(out, v.items);
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
    if (t0.v !== "{") {
      const kept = filterComprehension(toks.slice(1, -1), scope, line);
      if (kept !== null) return kept;
    }
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
    const dotted = dottedCall(toks);
    if (dotted !== null) return knownCall(dotted.fn, dotted.args, scope, line) ?? unknown(`the value comes from a call to ${dotted.fn}()`, line);
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
      if (v.t === "dict") pushAll(entries, v.entries);
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
  const kept = (fn === "list" || fn === "tuple") && parts.length === 1 ? filterComprehension(parts[0], scope, line) : null;
  if (kept !== null) return kept;
  if ((fn === "list" || fn === "tuple") && parts.length <= 1) {
    if (parts.length === 0) return { t: "seq", items: [], line };
    const v = sum(parts[0], scope);
    if (v.t === "seq" || v.t === "unknown") return v;
    if (v.t === "dict") return keysOf(v, line);
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
        pushAll(entries, v.entries);
      } else return unknown("dict() with positional arguments", line);
    }
    return { t: "dict", entries, line };
  }
  return scope.call?.(fn, parts, line) ?? knownCall(fn, parts, scope, line) ?? unknown(`the value comes from a call to ${fn}()`, line);
}

/**
 * `[x for x in L if ...]` (or the generator in `list(...)`): the items of L, which the
 * condition may only remove, so every item is counted (as for a statement under an `if`);
 * null for any other comprehension.
 */
function filterComprehension(inner: Tok[], scope: Scope, line: number): Value | null {
  if (!(inner.length >= 5 && inner[0].k === "name" && inner[1].v === "for" && inner[2].v === inner[0].v && inner[3].v === "in")) return null;
  let end = 4;
  let depth = 0;
  for (; end < inner.length; end++) {
    const t = inner[end];
    if (t.k === "op" && OPEN.has(t.v)) depth++;
    else if (t.k === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) depth--;
    else if (depth === 0 && t.k === "name" && (t.v === "if" || t.v === "for" || t.v === "async")) break;
  }
  // A second `for` (or an async one) makes it something else than a filter.
  if (end < inner.length && inner[end].v !== "if") return null;
  for (let k = end + 1; k < inner.length; k++) if (inner[k].k === "name" && inner[k].v === "for") return null;
  const iter = sum(inner.slice(4, end), scope);
  const seq = iter.t === "dict" ? keysOf(iter, line) : iter;
  if (seq.t !== "seq" && seq.t !== "unknown") return null;
  if (seq.t === "unknown") return seq;
  if (end === inner.length) return { ...seq, items: [...seq.items], line };
  const assumed = `the comprehension at line ${line} keeps it under a condition the reader does not evaluate, so it is counted`;
  return { ...seq, items: seq.items.map((i) => ({ ...i, assumed: i.assumed ?? assumed })), line };
}

/** `a.b.c(args)` as a whole expression: the dotted callee and the argument text, or null. */
function dottedCall(toks: Tok[]): { fn: string; args: Tok[] } | null {
  let i = 0;
  let fn = "";
  while (i + 1 < toks.length && toks[i].k === "name" && toks[i + 1].k === "op" && toks[i + 1].v === ".") {
    fn += `${toks[i].v}.`;
    i += 2;
  }
  if (fn === "" || toks[i]?.k !== "name" || toks[i + 1]?.v !== "(" || closer(toks, i + 1) !== toks.length - 1) return null;
  return { fn: fn + toks[i].v, args: toks.slice(i + 2, -1) };
}

const ENV_GET = new Set(["os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault", "environ.setdefault"]);

/**
 * The calls settings use to shape a list, when their arguments are known; null for any other
 * call (or argument shapes these do not take). `args` is raw argument text or already split.
 */
function knownCall(fn: string, args: Tok[] | Tok[][], scope: Scope, line: number): Value | null {
  let parts: Tok[][];
  if (args.length > 0 && Array.isArray(args[0])) parts = args as Tok[][];
  else {
    parts = args.length === 0 ? [] : splitTop(args as Tok[], ",");
    if (parts.length > 0 && parts[parts.length - 1].length === 0) parts.pop();
  }
  const keyword = (p: Tok[]): boolean => p.length >= 2 && p[0].k === "name" && p[1].k === "op" && p[1].v === "=";
  const pos = parts.filter((p) => !keyword(p));
  const kw = new Map(parts.filter(keyword).map((p) => [p[0].v, p.slice(2)]));
  if (ENV_GET.has(fn)) return environDefault(fn, pos, scope, line);
  if (fn === "getattr") return getattrValue(pos, scope, line);
  if (pos.length !== 1 || pos[0].length === 0 || pos[0][0].v === "*") return null;
  const v = sum(pos[0], scope);
  const seq = v.t === "dict" ? keysOf(v, line) : v;
  if (seq.t === "unknown") return seq;
  if (seq.t !== "seq") return null;
  switch (fn) {
    case "reversed":
      return kw.size === 0 ? { ...seq, items: [...seq.items].reverse(), line } : null;
    case "sorted": {
      if ([...kw.keys()].some((k) => k !== "key" && k !== "reverse")) return null;
      // Only strings are sorted (with a key function the order is unknown, but not the members).
      const strs = !kw.has("key") && seq.items.every((i) => i.t === "str");
      const items = strs ? [...seq.items].sort((a, b) => (strOf(a) < strOf(b) ? -1 : strOf(a) > strOf(b) ? 1 : 0)) : [...seq.items];
      const rev = kw.get("reverse");
      const flip = rev !== undefined && rev.length === 1 && rev[0].v === "True";
      return { ...seq, items: flip ? items.reverse() : items, line };
    }
    case "set":
    case "frozenset":
      return kw.size === 0 ? { ...seq, items: unique(seq.items), line } : null;
    case "dict.fromkeys":
      return kw.size === 0 ? { t: "dict", entries: unique(seq.items).map((key) => ({ key, value: { t: "const", v: null, line } })), line } : null;
    default:
      return null;
  }
}

function strOf(v: Value): string {
  return v.t === "str" ? v.v : "";
}

/** Items without repeated strings (the first one stays); other items are kept as they are. */
function unique(items: Value[]): Value[] {
  const seen = new Set<string>();
  return items.filter((i) => i.t !== "str" || (!seen.has(i.v) && Boolean(seen.add(i.v))));
}

function keysOf(d: Value & { t: "dict" }, line: number): Value {
  return { t: "seq", items: unique(d.entries.map((e) => e.key)), line };
}

/** `os.environ.get("X", default)`: the default, marked as assumed (None without one). */
function environDefault(fn: string, pos: Tok[][], scope: Scope, line: number): Value | null {
  if (pos.length < 1 || pos.length > 2) return null;
  const key = sum(pos[0], scope);
  if (key.t !== "str") return unknown(`${fn}() of a variable whose name is not a literal`, line);
  const dflt: Value = pos.length === 2 ? evaluate(pos[1], scope) : { t: "const", v: null, line };
  if (dflt.t === "unknown") return unknown(`${fn}("${key.v}", ...): ${dflt.why}`, line);
  return { ...dflt, assumed: `the environment variable ${key.v} is assumed unset, so ${fn}() gives its default` };
}

/** `getattr(module, "NAME", default)` for a name bound to a module the scope can read. */
function getattrValue(pos: Tok[][], scope: Scope, line: number): Value | null {
  if (pos.length < 2 || pos.length > 3 || pos[0].length !== 1 || pos[0][0].k !== "name") return null;
  const obj = scope(pos[0][0].v);
  const name = sum(pos[1], scope);
  if (obj === undefined || obj.t !== "unknown" || obj.module === undefined || name.t !== "str") return null;
  const dflt = pos.length === 3 ? evaluate(pos[2], scope) : undefined;
  const found = scope.attr?.(obj.module, name.v);
  if (found !== null && found !== undefined) return found;
  if (found === null) return dflt ?? unknown(`getattr(${pos[0][0].v}, "${name.v}") raises AttributeError: ${obj.module} does not bind it`, line);
  // The module is not read: it may bind the name (then that value) or not (then the default).
  const maybe = unknown(`getattr(${pos[0][0].v}, "${name.v}") reads ${obj.module}, which is not in the repository`, line);
  return dflt !== undefined && dflt.t === "seq" ? { ...dflt, items: [...dflt.items, maybe] } : maybe;
}

/** The value of `key` in a dict value (last one wins), or undefined. */
export function dictGet(d: Value, key: string): Value | undefined {
  if (d.t !== "dict") return undefined;
  let found: Value | undefined;
  for (const e of d.entries) if (e.key.t === "str" && e.key.v === key) found = e.value;
  return found;
}
