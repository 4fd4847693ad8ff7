/**
 * A small statement-level reader for the few files whose VALUES the startup graph needs
 * (settings modules, `apps.py`, package `__init__`s): logical lines as plain tokens, each
 * with the block it sits in. It re-tokenizes with the scanner's lexer, so strings, comments,
 * continuations and encodings are read exactly as the scanner reads them. It never throws.
 */
import { decodeSlice, detectEncoding } from "./encoding";
import { Lexer, S, stringContent, T } from "./lexer";
import { unescapePython } from "./strings";

export type TokKind = "name" | "str" | "num" | "op";

export interface Tok {
  k: TokKind;
  /** Name text, operator text, number text; for strings the decoded value (null: not a plain str literal). */
  v: string;
  /** For strings: the literal's value, or null for bytes, f-strings and undecodable literals. */
  s?: string | null;
  line: number;
}

export interface Statement {
  toks: Tok[];
  line: number;
  /** Directly in the module body, or inside a module-level if/try/with/for/while/match. */
  moduleLevel: boolean;
  /** Inside a module-level block (if/try/for/...), so it runs only under some condition. */
  conditional: boolean;
  /** The top-level class whose body directly holds the statement (not inside a method). */
  inClass: string | null;
  /**
   * For a module-level statement inside a module-level `for` loop: the outermost such loop
   * (one object shared by every statement of its body, so the body can be run per item).
   */
  loop?: LoopHeader;
}

/** `for TARGET in ITER:` */
export interface LoopHeader {
  target: Tok[];
  iter: Tok[];
  line: number;
}

interface Block {
  indent: number;
  kind: "def" | "class" | "cond";
  name: string;
  loop?: LoopHeader;
}

const COMPOUND = new Set(["if", "elif", "else", "while", "for", "try", "except", "finally", "with", "def", "class", "async", "match", "case"]);

/** Reads every simple statement of a file (compound headers are consumed, their inline bodies kept). */
export function readStatements(bytes: Uint8Array): Statement[] {
  const enc = detectEncoding(bytes);
  const lx = new Lexer(bytes, enc.bomLength, enc.name);
  const out: Statement[] = [];
  const stack: Block[] = [];
  try {
    while (lx.next()) {
      if (lx.n === 0) continue;
      const toks = copyLine(lx, bytes, enc.name);
      while (stack.length > 0 && lx.indent <= stack[stack.length - 1].indent) stack.pop();
      const first = toks[0];
      if (first.k === "op" && first.v === "@") continue; // decorator
      if (first.k === "name" && COMPOUND.has(first.v) && isHeader(toks)) {
        const colon = headerColon(toks);
        let kw = first.v;
        if (kw === "async" && toks.length > 1) kw = toks[1].v;
        const kind: Block["kind"] = kw === "def" ? "def" : kw === "class" ? "class" : "cond";
        const name = kind === "class" && toks.length > 1 ? toks[1].v : "";
        const block: Block = { indent: lx.indent, kind, name };
        if (first.v === "for") block.loop = loopHeader(toks, colon);
        if (colon < toks.length - 1) {
          // One-line body: `if DEBUG: INSTALLED_APPS += ["x"]`.
          for (const part of splitSemis(toks.slice(colon + 1))) emit(out, [...stack, block], part);
        } else stack.push(block);
        continue;
      }
      for (const part of splitSemis(toks)) emit(out, stack, part);
    }
  } catch {
    // A reader bug must never break the graph: what was read so far is kept.
  }
  return out;
}

function emit(out: Statement[], stack: Block[], toks: Tok[]): void {
  if (toks.length === 0) return;
  let inDef = false;
  let classes = 0;
  let conditional = false;
  let cls: string | null = null;
  let loop: LoopHeader | undefined;
  for (const b of stack) {
    if (b.loop !== undefined && !inDef && classes === 0) loop ??= b.loop;
    if (b.kind === "def") inDef = true;
    else if (b.kind === "class") {
      classes++;
      cls = b.name;
    } else conditional = true;
  }
  const moduleLevel = !inDef && classes === 0;
  const directClass = !inDef && classes === 1 && stack[0].kind === "class" && stack.every((b) => b.kind !== "cond") ? cls : null;
  const st: Statement = { toks, line: toks[0].line, moduleLevel, conditional: moduleLevel && conditional, inClass: directClass };
  if (moduleLevel && loop !== undefined) st.loop = loop;
  out.push(st);
}

/** The target and iterable of a `for` header (`colon` ends it); an empty target when it has no top-level `in`. */
function loopHeader(toks: Tok[], colon: number): LoopHeader {
  const head = toks.slice(1, colon);
  let depth = 0;
  for (let i = 0; i < head.length; i++) {
    const t = head[i];
    if (t.k === "op" && (t.v === "(" || t.v === "[" || t.v === "{")) depth++;
    else if (t.k === "op" && (t.v === ")" || t.v === "]" || t.v === "}")) depth--;
    else if (depth === 0 && t.k === "name" && t.v === "in") return { target: head.slice(0, i), iter: head.slice(i + 1), line: toks[0].line };
  }
  return { target: [], iter: head, line: toks[0].line };
}

function copyLine(lx: Lexer, buf: Uint8Array, encoding: string): Tok[] {
  const toks: Tok[] = [];
  for (let i = 0; i < lx.n; i++) {
    const kind = lx.kind[i];
    const text = decodeSlice(buf, lx.start[i], lx.end[i], encoding);
    const line = lx.tline[i];
    if (kind === T.String) {
      const flags = lx.val[i];
      let value: string | null = null;
      if (!(flags & (S.Bytes | S.Format | S.Unterminated))) {
        const [cs, ce] = stringContent(lx, i);
        const raw = decodeSlice(buf, cs, ce, encoding);
        value = flags & S.Raw ? raw : unescapePython(raw);
      }
      toks.push({ k: "str", v: text, s: value, line });
    } else if (kind === T.Name) {
      toks.push({ k: "name", v: text, line });
    } else if (kind === T.Number) toks.push({ k: "num", v: text, line });
    else toks.push({ k: "op", v: text, line });
  }
  return toks;
}

/** Index of the bracket closing the one at `i` (-1 when unmatched or not a bracket). */
export function closer(toks: Tok[], i: number): number {
  if (toks[i]?.k !== "op" || !(toks[i].v === "(" || toks[i].v === "[" || toks[i].v === "{")) return -1;
  let depth = 0;
  for (let j = i; j < toks.length; j++) {
    const t = toks[j];
    if (t.k !== "op") continue;
    if (t.v === "(" || t.v === "[" || t.v === "{") depth++;
    else if (t.v === ")" || t.v === "]" || t.v === "}") {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** Index of the colon ending a compound header (top level, not a lambda's), or -1. */
export function headerColon(toks: Tok[]): number {
  let depth = 0;
  let lambdas = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.k === "name" && t.v === "lambda" && depth === 0) lambdas++;
    if (t.k !== "op") continue;
    if (t.v === "(" || t.v === "[" || t.v === "{") depth++;
    else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
    else if (t.v === ":" && depth === 0) {
      if (lambdas > 0) lambdas--;
      else return i;
    }
  }
  return -1;
}

function isHeader(toks: Tok[]): boolean {
  const kw = toks[0].v;
  if ((kw === "match" || kw === "case") && (toks.length < 3 || (toks[1].k === "op" && toks[1].v === "="))) return false;
  if (kw === "async" && !(toks.length > 1 && (toks[1].v === "def" || toks[1].v === "for" || toks[1].v === "with"))) return false;
  return headerColon(toks) >= 0;
}

/** The simple statements of a line (`a = 1; b = 2`), empty ones dropped. */
function splitSemis(toks: Tok[]): Tok[][] {
  return splitTop(toks, ";").filter((p) => p.length > 0);
}

/** Splits tokens at top-level occurrences of the operator `sep`. */
export function splitTop(toks: Tok[], sep: string): Tok[][] {
  const parts: Tok[][] = [];
  let depth = 0;
  let cur: Tok[] = [];
  for (const t of toks) {
    if (t.k === "op") {
      if (t.v === "(" || t.v === "[" || t.v === "{") depth++;
      else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
      else if (t.v === sep && depth === 0) {
        parts.push(cur);
        cur = [];
        continue;
      }
    }
    cur.push(t);
  }
  parts.push(cur);
  return parts;
}

/**
 * The names a module binds by plain assignment at module level (`x = ...`, `a, b = ...`,
 * `x: int = ...`, `x += ...`). Imports, defs and classes come from the scanner's facts;
 * loop and `with` targets are not counted (no package binds a submodule's name that way).
 */
export function assignedNames(stmts: Statement[]): Set<string> {
  const names = new Set<string>();
  for (const st of stmts) {
    if (!st.moduleLevel) continue;
    const t = st.toks;
    const parts = splitTop(t, "=");
    if (parts.length > 1) {
      for (const target of parts.slice(0, -1)) targetNames(target, names);
      continue;
    }
    if (t.length >= 2 && t[0].k === "name" && t[1].k === "op" && (t[1].v === ":" || /^[-+*/%&|^@<>]+=$|^\/\/=$|^\*\*=$/.test(t[1].v))) {
      names.add(t[0].v);
    }
  }
  return names;
}

/** The names an assignment target binds (`a`, `a, *b`, `(a, [b, c])`), in linear time and without recursion. */
function targetNames(target: Tok[], out: Set<string>): void {
  const match = bracketMatches(target);
  const isOp = (i: number, v: string) => target[i].k === "op" && target[i].v === v;
  const isOpen = (i: number) => isOp(i, "(") || isOp(i, "[");
  const todo: [number, number][] = [[0, target.length]];
  const part = (a: number, b: number) => {
    const t0 = target[a];
    if (b - a === 1 && t0.k === "name") out.add(t0.v);
    else if (b - a === 2 && isOp(a, "*") && target[a + 1].k === "name") out.add(target[a + 1].v);
    else if (b - a > 1 && isOpen(a)) todo.push([a, b]);
    else if (b - a >= 2 && t0.k === "name" && isOp(a + 1, ":")) out.add(t0.v);
  };
  for (let r = todo.pop(); r !== undefined; r = todo.pop()) {
    let [s, e] = r;
    while (e - s >= 2 && isOpen(s) && match[s] === e - 1) {
      s++;
      e--;
    }
    // Each top-level comma-separated part.
    let a = s;
    for (let i = s; i <= e; i++) {
      if (i < e && match[i] > i) i = match[i];
      else if (i === e || isOp(i, ",")) {
        if (i > a) part(a, i);
        a = i + 1;
      }
    }
  }
}

/** For each opening bracket, the index of its closing bracket (-1 when unmatched or not an opening bracket). */
export function bracketMatches(toks: Tok[]): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.k !== "op") continue;
    if (t.v === "(" || t.v === "[" || t.v === "{") open.push(i);
    else if (t.v === ")" || t.v === "]" || t.v === "}") {
      const o = open.pop();
      if (o !== undefined) match[o] = i;
    }
  }
  return match;
}
