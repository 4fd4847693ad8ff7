/**
 * The Python import scanner: from a file's bytes to the facts every rule asks about
 * (imports with their execution context, import calls, classes, functions, decorators,
 * signal connections, patch targets, `__all__`, dotted strings, diagnostics).
 *
 * It reads statements, not an AST: the lexer yields logical lines, and this module tracks
 * blocks by indentation, exactly mirroring the nesting CPython's AST would have. Its output
 * is proven equal to CPython's `ast` over the standard library (test/cpython-agreement).
 * It never throws; syntax it cannot read becomes a diagnostic, and reading resumes at the
 * next statement.
 */
import { childContextOf, computeContext } from "./context";
import { decodeSlice, detectEncoding } from "./encoding";
import { Lexer, MAX_INDENT_LEVELS, Op, S, stringContent, T } from "./lexer";
import { isCompoundKeyword, isHardKeyword, isRarelyBound, N, RARELY_BOUND } from "./names";
import { isDottedPath, unescapePython } from "./strings";
import type {
  ExecutionContext,
  Frame,
  ImportedName,
  PyClass,
  PyFileFacts,
  PyFunction,
} from "./types";

type SiblingType = "if" | "try" | "loop-for" | "loop-while" | "end";

interface Sibling {
  type: SiblingType;
  headerIndent: number;
  base: Frame[];
  /** if-chain: the frames in which the last test ran (the else frames of the tests before it)... */
  chain: Frame[];
  /** ...and that last test, classified: the next `elif`/`else` runs in `chain` plus `if:<test>:else`. */
  test: string;
  /** try: an except or finally was seen. */
  handled: boolean;
  line: number;
}

interface Block {
  bodyIndent: number;
  headerIndent: number;
  frames: Frame[];
  owner: PyClass | PyFunction | null;
  sib: Sibling | null;
  isMatch: boolean;
  keyword: string;
  line: number;
}

const EMPTY: Frame[] = [];
const KEYWORD_TEXT: Record<number, string> = {
  [N.If]: "if",
  [N.Elif]: "elif",
  [N.Else]: "else",
  [N.While]: "while",
  [N.For]: "for",
  [N.Try]: "try",
  [N.Except]: "except",
  [N.Finally]: "finally",
  [N.With]: "with",
  [N.Def]: "def",
  [N.Class]: "class",
  [N.Match]: "match",
  [N.Case]: "case",
};
const MAX_TEXT = 400;
const IDENT_LIKE = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

/** `-=`, `*=`, `|=`...: an operator of two or three bytes ending in `=` that is not a comparison. */
function isAugmentedAssign(op: number): boolean {
  const last = op > 0xffff ? op >>> 16 : op >>> 8;
  return last === 61 && op !== Op.EqEq && op !== (60 | (61 << 8)) && op !== (62 | (61 << 8)) && op !== (33 | (61 << 8));
}

function sameText(word: string, buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** ASCII bytes [s, e) as a string. */
function latin1(buf: Uint8Array, s: number, e: number): string {
  // Whole (a flat string: byte by byte `+=` builds a chain of partial strings several times the
  // size, kept with the facts), at most LATIN1_CHUNK bytes per call (`apply` passes each byte as
  // an argument: a long name must not overflow the stack).
  if (e - s <= LATIN1_CHUNK) return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
  let out = "";
  for (let p = s; p < e; p += LATIN1_CHUNK) out += String.fromCharCode.apply(null, buf.subarray(p, Math.min(e, p + LATIN1_CHUNK)) as unknown as number[]);
  return out;
}

const LATIN1_CHUNK = 1024;

/** The frames of code inside the active lambda bodies (nested lambdas give one `lambda` frame, see `Frame`). */
function lambdaFrames(frames: Frame[], lambdaDepths: number[] | null): Frame[] {
  return lambdaDepths === null || lambdaDepths.length === 0 ? frames : extendFrames(frames, "lambda");
}

/**
 * `parent` plus `frame`, except that a frame repeating one of the trailing run it would join
 * is not listed again (see `Frame`): the `else` frames of an if-chain (`elif` after `elif`)
 * and nested lambdas. Their meaning is the same, and frames stay short: an `elif` chain of any
 * length costs constant time and memory per branch, not time and memory in its length.
 */
function extendFrames(parent: Frame[], frame: Frame): Frame[] {
  const last = parent.length > 0 ? parent[parent.length - 1] : "";
  if (frame === "lambda" && last === "lambda") return parent;
  if (isElseFrame(frame)) {
    for (let i = parent.length - 1; i >= 0 && isElseFrame(parent[i]); i--) if (parent[i] === frame) return parent;
  }
  const out = parent.slice();
  out.push(frame);
  return out;
}

function isElseFrame(f: Frame): boolean {
  return f.startsWith("if:") && f.endsWith(":else");
}

/** Numbers per pending call (see `Scanner.pendingLength`). */
const CALL_INTS = 7;

/**
 * The pending calls of the scan in progress (see `Scanner.pendingLength`): scans are synchronous
 * and one at a time, so they share this buffer and make no garbage of it.
 */
let pendingCalls = new Int32Array(CALL_INTS * 1024);

/** See `Scanner.firstNameShapes` (shared like `pendingCalls`: no typed array allocated per scan). */
const firstNameShapes = new Uint32Array(128);

/** `RARELY_BOUND` as a set, and its names' shapes (see `Scanner.firstNameShapes`). */
const RARE_NAMES = new Set(RARELY_BOUND);
const RARE_SHAPES = new Uint32Array(128);
let RARE_LENGTHS = 0;
for (const w of RARELY_BOUND) {
  const bit = 1 << (w.length < 31 ? w.length : 31);
  RARE_SHAPES[w.charCodeAt(0)] |= bit;
  RARE_LENGTHS |= bit;
}

export function scanPython(source: Uint8Array): PyFileFacts {
  // Calls of `self`, `cls` and common builtins are most calls and almost never recorded (the file
  // rarely binds those names): read without them, and again with them if the file does bind one.
  const quick = new Scanner(source, true);
  const facts = quick.run();
  return quick.bindsRare ? new Scanner(source, false).run() : facts;
}

class Scanner {
  private readonly lx: Lexer;
  private readonly encoding: string;
  private readonly facts: PyFileFacts;
  private stack: Block[] = [];
  private pending: Block | null = null;
  private inlineSib: Sibling | null = null;
  private decorators: { line: number; text: string; callee: string; frames: Frame[] }[] = [];
  private lastEnd = 0;
  private frames: Frame[] = EMPTY;
  private readonly interned = new Map<Frame[], Map<Frame, Frame[]>>();
  /** The parent of each interned frames array (see `child`) and of each function's and class's body. */
  private readonly parents = new Map<Frame[], Frame[]>();
  /** Contexts worked out by `contextFor`, by frames array. */
  private readonly contexts = new Map<Frame[], ExecutionContext>();
  /**
   * The shapes of the first names of plain pending calls: bit min(length, 31) of the entry for
   * the first byte (the shared `firstNameShapes`, cleared for each scan).
   */
  private readonly firstNameShapes = firstNameShapes.fill(0);
  /** The union of `firstNameShapes`. */
  private firstNameLengths = 0;
  /** In a `case` header: tokens before this index are the pattern (`Cls()` there is no call). */
  private patternEnd = -1;
  /**
   * Calls seen, kept as numbers until the file's bindings are known (most calls are of names it
   * does not bind, and build no string): per call (`CALL_INTS` numbers), the callee's byte span,
   * line, argument span, frames (an index into `callFrames`) and the end of its first name, in
   * the shared `pendingCalls` (`pendingLength` used). Callees spelt other than as plain ASCII
   * `a.b.c` (spaces, non-ASCII names) have their text in `calleeText`, by call number.
   */
  private pendingLength = 0;
  private readonly callFrames: Frame[][] = [];
  private readonly callFrameIds = new Map<Frame[], number>();
  private readonly calleeText = new Map<number, string>();
  private lastCallFrames: Frame[] | null = null;
  private lastCallFrameId = 0;
  /** With `skipRare`: the file binds a name of `RARELY_BOUND`, whose calls were not recorded. */
  bindsRare = false;

  /** `skipRare`: do not record calls whose first name is one of `RARELY_BOUND` (see `bindsRare`). */
  constructor(
    source: Uint8Array,
    private readonly skipRare: boolean,
  ) {
    const enc = detectEncoding(source);
    this.encoding = enc.name;
    this.lx = new Lexer(source, enc.bomLength, enc.name);
    this.lx.skipRareCalls = skipRare;
    this.facts = {
      imports: [],
      importCalls: [],
      calls: [],
      dynamicImports: [],
      classes: [],
      functions: [],
      decorators: [],
      connects: [],
      patchTargets: [],
      adminRegisters: [],
      all: null,
      dottedStrings: [],
      futureAnnotations: false,
      diagnostics: [],
      lineCount: 0,
    };
    if (enc.error) this.facts.diagnostics.push(enc.error);
    this.stack.push({ bodyIndent: 0, headerIndent: -1, frames: EMPTY, owner: null, sib: null, isMatch: false, keyword: "", line: 0 });
  }

  run(): PyFileFacts {
    const lx = this.lx;
    try {
      while (lx.next()) {
        if (lx.n === 0) continue;
        this.line();
      }
      this.finish();
      this.keepBoundCalls();
    } catch (e) {
      // Defensive: a scanner bug must never lose the file's facts or crash the review.
      this.diag(lx.lineNumber, `internal scanner error: ${(e as Error).message}`);
    }
    for (const d of lx.diagnostics) this.facts.diagnostics.push(d);
    this.nulBytes();
    this.facts.diagnostics.sort((a, b) => a.line - b.line);
    this.facts.lineCount = lx.lineNumber;
    return this.facts;
  }

  /** Records the calls whose first name the file binds by an import, a `def` or a `class` (see PyCall). */
  private keepBoundCalls(): void {
    const f = this.facts;
    const p = pendingCalls;
    const length = this.pendingLength;
    // The bound names that may be the first name of a pending call (by shape, see `shapes`): most
    // functions are methods, never called by their bare name.
    const bound = new Set<string>();
    const shapes = this.calleeText.size > 0 ? null : this.firstNameShapes;
    const skipRare = this.skipRare;
    let bindsRare = false;
    const lengths = shapes === null ? -1 : this.firstNameLengths | (skipRare ? RARE_LENGTHS : 0);
    const bind = (name: string): void => {
      const bit = 1 << (name.length < 31 ? name.length : 31);
      if ((lengths & bit) === 0) return;
      const c = name.charCodeAt(0);
      if (skipRare && c < 128 && (RARE_SHAPES[c] & bit) !== 0 && RARE_NAMES.has(name)) bindsRare = true;
      if (shapes === null || (c < 128 && (shapes[c] & bit) !== 0)) bound.add(name);
    };
    for (const imp of f.imports) {
      if (imp.kind === "import") {
        const dot = imp.module.indexOf(".");
        bind(imp.names[0].asname ?? (dot < 0 ? imp.module : imp.module.slice(0, dot)));
      } else if (!imp.star) for (const n of imp.names) bind(n.asname ?? n.name);
    }
    for (const fn of f.functions) bind(fn.name);
    // Calling a class runs its `__init__`.
    for (const c of f.classes) bind(c.name);
    if (bindsRare) {
      this.bindsRare = true;
      return;
    }
    if (length === 0 || bound.size === 0) return;
    // Names by length, compared with the callee's bytes (plain callees are ASCII `a.b.c`, so a
    // non-ASCII name never matches one).
    const byLength: string[][] = [];
    for (const b of bound) (byLength[b.length] ??= []).push(b);
    const buf = this.lx.buf;
    const texts = this.calleeText.size > 0 ? this.calleeText : null;
    const contexts: ExecutionContext[] = [];
    // One string per distinct callee (a file calls the same names again and again).
    const callees = new Map<string, string>();
    for (let c = 0, n = 0; c < length; c += CALL_INTS, n++) {
      const s = p[c];
      const e = p[c + 1];
      const text = texts?.get(n);
      if (text !== undefined) {
        const dot = text.indexOf(".");
        if (!bound.has(dot < 0 ? text : text.slice(0, dot))) continue;
      } else {
        const cands = byLength[p[c + 6] - s];
        if (cands === undefined) continue;
        let hit = false;
        for (let w = 0; w < cands.length && !hit; w++) hit = sameText(cands[w], buf, s);
        if (!hit) continue;
      }
      const fi = p[c + 5];
      const context = (contexts[fi] ??= this.contextFor(this.callFrames[fi]));
      let callee = text ?? latin1(buf, s, e);
      const known = callees.get(callee);
      if (known === undefined) callees.set(callee, callee);
      else callee = known;
      f.calls.push({ line: p[c + 2], callee, argsStart: p[c + 3], argsEnd: p[c + 4], context });
    }
  }

  /**
   * `contextOf(frames)`, one object per frames array in this scan, worked out frame by frame from
   * the enclosing blocks' contexts when `frames` is interned (constant time per new block, not
   * time in its depth).
   */
  private contextFor(frames: Frame[]): ExecutionContext {
    const chain: Frame[][] = [];
    let f = frames;
    let ctx: ExecutionContext | undefined;
    for (;;) {
      ctx = this.contexts.get(f);
      if (ctx !== undefined) break;
      const parent = this.parents.get(f);
      if (parent === undefined) {
        ctx = computeContext(f, false);
        this.contexts.set(f, ctx);
        break;
      }
      chain.push(f);
      f = parent;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      ctx = childContextOf(ctx, chain[i]);
      this.contexts.set(chain[i], ctx);
    }
    return ctx;
  }

  /** A NUL byte anywhere (in a string or a comment too) makes CPython refuse the whole file. */
  private nulBytes(): void {
    const buf = this.lx.buf;
    const at = buf.indexOf(0);
    if (at < 0 || this.facts.diagnostics.some((d) => d.message.includes("null bytes"))) return;
    let line = 1;
    for (let i = buf.indexOf(10); i >= 0 && i < at; i = buf.indexOf(10, i + 1)) line++;
    this.diag(line, "source code cannot contain null bytes");
  }

  private diag(line: number, message: string): void {
    if (this.facts.diagnostics.length < 100) this.facts.diagnostics.push({ line, message });
  }

  // ---- blocks -------------------------------------------------------------------------

  /**
   * `parent` plus one frame, interned: the same nesting gives the same array, so contexts are
   * computed once per block shape and nothing is allocated for repeated shapes.
   */
  private child(parent: Frame[], frame: Frame): Frame[] {
    let m = this.interned.get(parent);
    if (m === undefined) {
      m = new Map();
      this.interned.set(parent, m);
    }
    let c = m.get(frame);
    if (c === undefined) {
      c = extendFrames(parent, frame);
      m.set(frame, c);
      // `extendFrames` may give `parent` itself (a repeated frame): its parent is not `parent`.
      if (c !== parent) this.parents.set(c, parent);
    }
    return c;
  }

  /** The frames of an `else` (or of the test of an `elif`) after the if-chain's tests so far: O(1) per branch. */
  private elseChain(sib: Sibling): Frame[] {
    return this.child(sib.chain, `if:${sib.test}:else`);
  }

  private close(b: Block, endLine: number): void {
    if (b.owner) b.owner.endLine = endLine;
  }

  private finish(): void {
    if (this.pending) {
      this.diag(this.pending.line, `expected an indented block after '${this.pending.keyword}' statement on line ${this.pending.line}`);
      this.close(this.pending, this.pending.line);
      this.pending = null;
    }
    while (this.stack.length > 1) this.close(this.stack.pop() as Block, this.lastEnd);
    if (this.decorators.length > 0) this.diag(this.decorators[0].line, "decorator not followed by a class or function definition");
  }

  /** Place the current logical line in the block structure; returns the sibling compound, if any. */
  private indentation(): Sibling | null {
    const c = this.lx.indent;
    let sib: Sibling | null = null;
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      if (c > p.headerIndent) {
        p.bodyIndent = c;
        this.stack.push(p);
        if (this.stack.length === MAX_INDENT_LEVELS + 1) this.diag(this.lx.lineStart, "too many levels of indentation");
        this.frames = p.frames;
        this.inlineSib = null;
        return null;
      }
      this.diag(this.lx.lineStart, `expected an indented block after '${p.keyword}' statement on line ${p.line}`);
      this.close(p, p.line);
      if (p.sib && p.sib.headerIndent === c) sib = p.sib;
    }
    let popped: Block | null = null;
    while (this.stack[this.stack.length - 1].bodyIndent > c) {
      popped = this.stack.pop() as Block;
      this.close(popped, this.lastEnd);
    }
    const top = this.stack[this.stack.length - 1];
    if (top.bodyIndent < c) {
      this.diag(this.lx.lineStart, popped ? "unindent does not match any outer indentation level" : "unexpected indent");
      this.stack.push({ ...top, bodyIndent: c, headerIndent: top.bodyIndent, owner: null, sib: null });
    }
    this.frames = this.stack[this.stack.length - 1].frames;
    if (popped) {
      if (popped.sib && popped.sib.headerIndent === c) sib = popped.sib;
    } else if (sib === null && this.inlineSib && this.inlineSib.headerIndent === c) sib = this.inlineSib;
    this.inlineSib = null;
    return sib;
  }

  // ---- logical lines ------------------------------------------------------------------

  private line(): void {
    const lx = this.lx;
    const sib = this.indentation();
    const n = lx.n;
    const k0 = lx.kind[0];
    const v0 = lx.val[0];
    let compound = false;
    if (k0 === T.Name) {
      if (isCompoundKeyword(v0)) compound = true;
      switch (v0) {
        case N.Async:
          compound = n > 1 && lx.kind[1] === T.Name && (lx.val[1] === N.Def || lx.val[1] === N.For || lx.val[1] === N.With);
          break;
        case N.Match:
          compound = this.isSoftHeader();
          break;
        case N.Case:
          compound = this.stack[this.stack.length - 1].isMatch && this.isSoftHeader();
          break;
      }
    }
    if (sib && sib.type === "try" && !sib.handled && !(compound && (v0 === N.Except || v0 === N.Finally))) {
      this.diag(sib.line, "expected 'except' or 'finally' block");
    }
    if (this.decorators.length > 0 && !(compound && (v0 === N.Def || v0 === N.Class || v0 === N.Async)) && !(k0 === T.Op && v0 === Op.At)) {
      this.diag(this.decorators[0].line, "decorator not followed by a class or function definition");
      this.decorators = [];
    }
    if (compound) this.compound(sib);
    else if (k0 === T.Op && v0 === Op.At) this.decorator();
    else {
      if (sib === null && k0 === T.Name && (v0 === N.Elif || v0 === N.Else || v0 === N.Except || v0 === N.Finally)) {
        this.diag(lx.lineStart, "invalid syntax");
      }
      this.simple(0, n, this.frames);
    }
    this.lastEnd = lx.lineEnd;
  }

  /** `match x:` / `case y:` are statements only when the line is a header ending in a colon. */
  private isSoftHeader(): boolean {
    const lx = this.lx;
    if (lx.n < 3) return false;
    const k1 = lx.kind[1];
    const v1 = lx.val[1];
    if (k1 === T.Op && v1 !== Op.LParen && v1 !== Op.LBracket && v1 !== Op.LBrace && v1 !== 45 && v1 !== 126 && v1 !== Op.Star && v1 !== Op.Dot) return false;
    if (k1 === T.Name && isHardKeyword(v1) && v1 !== N.Not && v1 !== N.Lambda && v1 !== N.Await && v1 !== N.NoneKw && v1 !== N.True && v1 !== N.False) return false;
    const hc = this.headerColon(1, lx.n);
    return hc === lx.n - 1;
  }

  /** Index of the colon ending a compound statement header in [s, e), or -1. */
  private headerColon(s: number, e: number): number {
    const lx = this.lx;
    let lambdas = 0;
    for (let i = s; i < e; i++) {
      const k = lx.kind[i];
      if (k === T.Op) {
        const v = lx.val[i];
        if (v === Op.LParen || v === Op.LBracket || v === Op.LBrace) {
          const m = lx.match[i];
          if (m < 0) return -1;
          i = m;
        } else if (v === Op.Colon) {
          if (lambdas > 0) lambdas--;
          else return i;
        }
      } else if (k === T.Name && lx.val[i] === N.Lambda) lambdas++;
    }
    return -1;
  }

  private compound(sib: Sibling | null): void {
    const lx = this.lx;
    const n = lx.n;
    let kw = lx.val[0];
    let first = 1;
    let isAsync = false;
    if (kw === N.Async) {
      kw = lx.val[1];
      first = 2;
      isAsync = true;
    }
    const hc = this.headerColon(first, n);
    const line = lx.tline[0];
    const keyword = KEYWORD_TEXT[kw] ?? "statement";
    if (hc < 0) {
      this.diag(line, `expected ':' after '${keyword}' header`);
      this.scanExpr(first, n, this.frames);
      return;
    }
    const base = this.frames;
    let body: Frame[] = base;
    let headerFrames = base;
    let nextSib: Sibling | null = null;
    let owner: PyClass | PyFunction | null = null;
    let isMatch = false;
    switch (kw) {
      case N.If: {
        const t = this.classifyTest(first, hc);
        nextSib = { type: "if", headerIndent: lx.indent, base, chain: base, test: t, handled: false, line };
        body = this.child(base, `if:${t}:body`);
        break;
      }
      case N.Elif: {
        if (!sib || sib.type !== "if") {
          this.diag(line, "invalid syntax: 'elif' without a matching 'if'");
          const t = this.classifyTest(first, hc);
          body = this.child(base, `if:${t}:body`);
          break;
        }
        headerFrames = this.elseChain(sib);
        const t = this.classifyTest(first, hc);
        sib.chain = headerFrames;
        sib.test = t;
        nextSib = sib;
        body = this.child(headerFrames, `if:${t}:body`);
        break;
      }
      case N.Else:
        if (!sib || sib.type === "end") {
          this.diag(line, "invalid syntax: 'else' without a matching statement");
          break;
        }
        if (sib.type === "if") body = this.elseChain(sib);
        else if (sib.type === "try") {
          body = this.child(sib.base, "try:else");
          nextSib = sib;
        } else body = this.child(sib.base, sib.type === "loop-for" ? "for:else" : "while:else");
        break;
      case N.Try:
        nextSib = { type: "try", headerIndent: lx.indent, base, chain: base, test: "", handled: false, line };
        body = this.child(base, "try:body");
        break;
      case N.Except:
        if (!sib || sib.type !== "try") {
          this.diag(line, "invalid syntax: 'except' without 'try'");
          break;
        }
        sib.handled = true;
        nextSib = sib;
        body = this.child(sib.base, `try:except:${this.classifyCaught(first, hc)}`);
        break;
      case N.Finally:
        if (!sib || sib.type !== "try") {
          this.diag(line, "invalid syntax: 'finally' without 'try'");
          break;
        }
        sib.handled = true;
        body = this.child(sib.base, "try:finally");
        break;
      case N.While:
      case N.For:
        nextSib = { type: kw === N.For ? "loop-for" : "loop-while", headerIndent: lx.indent, base, chain: base, test: "", handled: false, line };
        body = this.child(base, kw === N.For ? "for:body" : "while:body");
        break;
      case N.With:
        body = this.child(base, "with");
        break;
      case N.Match:
        isMatch = true;
        break;
      case N.Case:
        body = this.child(base, "match");
        break;
      case N.Def:
      case N.Class: {
        const nameTok = first;
        if (lx.kind[nameTok] !== T.Name || isHardKeyword(lx.val[nameTok])) {
          this.diag(line, `invalid syntax: expected a name after '${keyword}'`);
          break;
        }
        const name = this.text1(nameTok);
        const ctx = this.contextFor(base);
        const qualname = ctx.scope ? `${ctx.scope}.${name}` : name;
        if (kw === N.Def) {
          const fn: PyFunction = { name, qualname, line, endLine: line, async: isAsync, context: ctx };
          this.facts.functions.push(fn);
          owner = fn;
          body = [...base, `def:${name}`];
        } else {
          const cls: PyClass = { name, qualname, line, endLine: line, bases: this.bases(nameTok + 1, hc), context: ctx };
          this.facts.classes.push(cls);
          owner = cls;
          body = [...base, `class:${name}`];
        }
        this.parents.set(body, base);
        for (const d of this.decorators) {
          this.facts.decorators.push({ line: d.line, text: d.text, callee: d.callee, target: qualname, context: this.contextFor(d.frames) });
        }
        this.decorators = [];
        break;
      }
    }
    if (kw !== N.Def && kw !== N.Class && this.decorators.length > 0) this.decorators = [];
    // Header expressions run in the enclosing frames.
    if (kw === N.Case) this.patternEnd = this.guardStart(first, hc);
    if (kw !== N.Else && kw !== N.Try && kw !== N.Finally) this.scanExpr(first, hc, headerFrames);
    this.patternEnd = -1;
    if (hc + 1 < n) {
      // One-line body: `if x: import y; import z`.
      this.simple(hc + 1, n, body);
      if (owner) owner.endLine = lx.lineEnd;
      this.inlineSib = nextSib;
      if (kw === N.Match) this.diag(line, "invalid syntax: 'match' needs an indented block of cases");
      return;
    }
    this.pending = { bodyIndent: -1, headerIndent: lx.indent, frames: body, owner, sib: nextSib, isMatch, keyword, line };
  }

  private decorator(): void {
    const lx = this.lx;
    const text = this.text(1, lx.n);
    let e = 1;
    while (e + 2 <= lx.n && lx.kind[e] === T.Name && lx.kind[e + 1] === T.Op && lx.val[e + 1] === Op.Dot) e += 2;
    const callee = lx.kind[e] === T.Name ? this.text(1, e + 1) : text;
    this.decorators.push({ line: lx.tline[0], text, callee, frames: this.frames });
    this.scanExpr(1, lx.n, this.frames);
  }

  /** Simple statements in [s, e), split at top-level semicolons. */
  private simple(s: number, e: number, frames: Frame[]): void {
    const lx = this.lx;
    if (!lx.semicolon) {
      if (e > s) this.statement(s, e, frames);
      return;
    }
    let a = s;
    for (let i = s; i <= e; i++) {
      if (i < e) {
        if (lx.kind[i] !== T.Op) continue;
        const v = lx.val[i];
        if (v === Op.LParen || v === Op.LBracket || v === Op.LBrace) {
          const m = lx.match[i];
          i = m < 0 ? e - 1 : m;
          continue;
        }
        if (v !== Op.Semi) continue;
      }
      if (i > a) this.statement(a, i, frames);
      a = i + 1;
    }
  }

  private statement(a: number, b: number, frames: Frame[]): void {
    const lx = this.lx;
    if (lx.kind[a] === T.Name) {
      const v = lx.val[a];
      if (v === N.Import) return this.importStmt(a, b, frames, false);
      if (v === N.From) return this.fromStmt(a, b, frames, false);
      if (v === N.Lazy && a + 1 < b && lx.kind[a + 1] === T.Name) {
        const v1 = lx.val[a + 1];
        if (v1 === N.Import) return this.importStmt(a + 1, b, frames, true);
        if (v1 === N.From) return this.fromStmt(a + 1, b, frames, true);
      }
      if (isCompoundKeyword(v)) {
        this.diag(lx.tline[a], "invalid syntax: a compound statement cannot follow ':' or ';' on the same line");
        return;
      }
      if (v === N.DunderAll && frames.length === 0) this.dunderAll(a, b);
    }
    this.scanExpr(a, b, frames);
  }

  // ---- imports ------------------------------------------------------------------------

  private lazyContext(frames: Frame[], line: number, star: boolean): ExecutionContext {
    if (star) this.diag(line, "lazy from ... import * is not allowed");
    if (frames.some((f) => f.startsWith("def:") || f.startsWith("class:") || f.startsWith("try:"))) {
      this.diag(line, "lazy imports are only allowed at module level, outside try/except");
    }
    return computeContext(frames, true);
  }

  /** A dotted name at [i, e): returns [text, next index] or null. */
  private dotted(i: number, e: number): [string, number] | null {
    const lx = this.lx;
    if (i >= e || lx.kind[i] !== T.Name || isHardKeyword(lx.val[i])) return null;
    let text = this.text1(i);
    i++;
    while (i + 1 < e && lx.kind[i] === T.Op && lx.val[i] === Op.Dot) {
      if (lx.kind[i + 1] !== T.Name || isHardKeyword(lx.val[i + 1])) return null;
      text += "." + this.text1(i + 1);
      i += 2;
    }
    if (i < e && lx.kind[i] === T.Op && lx.val[i] === Op.Dot) return null;
    return [text, i];
  }

  /** `as NAME` at i (optional): returns [asname, next index], or null when malformed. */
  private asName(i: number, e: number): [string | null, number] | null {
    const lx = this.lx;
    if (i < e && lx.kind[i] === T.Name && lx.val[i] === N.As) {
      if (i + 1 >= e || lx.kind[i + 1] !== T.Name || isHardKeyword(lx.val[i + 1])) return null;
      return [this.text1(i + 1), i + 2];
    }
    return [null, i];
  }

  private importStmt(a: number, b: number, frames: Frame[], lazy: boolean): void {
    const lx = this.lx;
    const line = lx.tline[a];
    const endLine = lx.eline[b - 1];
    const records: { module: string; asname: string | null }[] = [];
    let i = a + 1;
    for (;;) {
      const d = this.dotted(i, b);
      const as = d ? this.asName(d[1], b) : null;
      if (!d || !as) return this.diag(line, "invalid syntax in import statement");
      records.push({ module: d[0], asname: as[0] });
      i = as[1];
      if (i === b) break;
      if (lx.kind[i] !== T.Op || lx.val[i] !== Op.Comma) return this.diag(line, "invalid syntax in import statement");
      i++;
    }
    const context = lazy ? this.lazyContext(frames, line, false) : this.contextFor(frames);
    for (const r of records) {
      this.facts.imports.push({
        kind: "import",
        line,
        endLine,
        module: r.module,
        level: 0,
        names: [{ name: r.module, asname: r.asname }],
        star: false,
        lazy,
        context,
      });
    }
  }

  private fromStmt(a: number, b: number, frames: Frame[], lazy: boolean): void {
    const lx = this.lx;
    const line = lx.tline[a];
    const endLine = lx.eline[b - 1];
    let i = a + 1;
    let level = 0;
    while (i < b && lx.kind[i] === T.Op && lx.val[i] === Op.Dot) {
      level++;
      i++;
    }
    let module = "";
    if (i < b && !(lx.kind[i] === T.Name && lx.val[i] === N.Import)) {
      const d = this.dotted(i, b);
      if (!d) return this.diag(line, "invalid syntax in from-import statement");
      module = d[0];
      i = d[1];
    }
    if ((level === 0 && module === "") || i >= b || lx.kind[i] !== T.Name || lx.val[i] !== N.Import) {
      return this.diag(line, "invalid syntax in from-import statement");
    }
    i++;
    const names: ImportedName[] = [];
    let star = false;
    let end = b;
    if (i < b && lx.kind[i] === T.Op && lx.val[i] === Op.Star) {
      if (i + 1 !== b) return this.diag(line, "invalid syntax in from-import statement");
      star = true;
    } else {
      let paren = false;
      if (i < b && lx.kind[i] === T.Op && lx.val[i] === Op.LParen) {
        if (lx.match[i] !== b - 1) return this.diag(line, "invalid syntax in from-import statement");
        paren = true;
        i++;
        end = b - 1;
      }
      for (;;) {
        if (i >= end || lx.kind[i] !== T.Name || isHardKeyword(lx.val[i])) return this.diag(line, "invalid syntax in from-import statement");
        const name = this.text1(i);
        const as = this.asName(i + 1, end);
        if (!as) return this.diag(line, "invalid syntax in from-import statement");
        names.push({ name, asname: as[0] });
        i = as[1];
        if (i === end) break;
        if (lx.kind[i] !== T.Op || lx.val[i] !== Op.Comma) return this.diag(line, "invalid syntax in from-import statement");
        i++;
        if (i === end) {
          if (!paren) return this.diag(line, "trailing comma not allowed without surrounding parentheses");
          break;
        }
      }
    }
    if (module === "__future__" && level === 0 && frames.length === 0 && names.some((n) => n.name === "annotations")) {
      this.facts.futureAnnotations = true;
    }
    this.facts.imports.push({
      kind: "from",
      line,
      endLine,
      module,
      level,
      names,
      star,
      lazy,
      context: lazy ? this.lazyContext(frames, line, star) : this.contextFor(frames),
    });
  }

  // ---- headers ------------------------------------------------------------------------

  private stripParens(s: number, e: number): [number, number] {
    const lx = this.lx;
    while (e - s >= 2 && lx.kind[s] === T.Op && lx.val[s] === Op.LParen && lx.match[s] === e - 1) {
      s++;
      e--;
    }
    return [s, e];
  }

  private classifyTest(s0: number, e0: number): string {
    const lx = this.lx;
    // `not not ... x`: read without recursion (a chain of any length).
    let [s, e] = this.stripParens(s0, e0);
    let negations = 0;
    while (e - s >= 2 && lx.kind[s] === T.Name && lx.val[s] === N.Not) {
      negations++;
      [s, e] = this.stripParens(s + 1, e);
    }
    if (negations > 0) return negations === 1 && this.isTypeChecking(s, e) ? "not_type_checking" : "other";
    if (this.isTypeChecking(s, e)) return "type_checking";
    if (e - s === 1) {
      const k = lx.kind[s];
      if (k === T.Name && (lx.val[s] === N.False || lx.val[s] === N.NoneKw)) return "false";
      if (k === T.Number && this.isZeroInt(s)) return "false";
      return "other";
    }
    if (e - s === 3 && lx.kind[s + 1] === T.Op && lx.val[s + 1] === Op.EqEq) {
      const name = (i: number) => lx.kind[i] === T.Name && lx.val[i] === N.DunderName;
      const main = (i: number) => lx.kind[i] === T.String && this.stringValue(i) === "__main__";
      if ((name(s) && main(s + 2)) || (main(s) && name(s + 2))) return "main";
    }
    return "other";
  }

  private isTypeChecking(s: number, e: number): boolean {
    const lx = this.lx;
    if (e <= s || lx.kind[e - 1] !== T.Name || lx.val[e - 1] !== N.TypeChecking) return false;
    // TYPE_CHECKING, or a NAME(.NAME)* chain ending in .TYPE_CHECKING
    for (let i = e - 2; i >= s; i -= 2) {
      if (lx.kind[i] !== T.Op || lx.val[i] !== Op.Dot) return false;
      if (i - 1 < s || lx.kind[i - 1] !== T.Name) return false;
    }
    return (e - s) % 2 === 1;
  }

  private isZeroInt(i: number): boolean {
    const lx = this.lx;
    let p = lx.start[i];
    const e = lx.end[i];
    const buf = lx.buf;
    if (buf[p] === 48 && e - p > 2) {
      const x = buf[p + 1] | 0x20;
      if (x === 120 || x === 111 || x === 98) p += 2;
    }
    for (; p < e; p++) if (buf[p] !== 48 && buf[p] !== 95) return false;
    return true;
  }

  private classifyCaught(s0: number, hc: number): string {
    const lx = this.lx;
    let s = s0;
    if (s < hc && lx.kind[s] === T.Op && lx.val[s] === Op.Star) s++;
    let e = hc;
    for (let i = s; i < hc; i++) if (lx.kind[i] === T.Name && lx.val[i] === N.As) e = i;
    if (s === e) return "broad";
    [s, e] = this.stripParens(s, e);
    let importError = false;
    let broad = false;
    const names = (i: number, j: number) => {
      if (j - i !== 1 || lx.kind[i] !== T.Name) return;
      const t = this.text1(i);
      if (t === "ImportError" || t === "ModuleNotFoundError") importError = true;
      if (t === "Exception" || t === "BaseException") broad = true;
    };
    // A tuple of names (or a single name).
    this.splitTopLevel(s, e, names);
    return importError ? "import_error" : broad ? "broad" : "other";
  }

  /** Calls `item(a, b)` for each non-empty comma-separated item of tokens [s, e) (commas inside brackets do not split). */
  private splitTopLevel(s: number, e: number, item: (a: number, b: number) => void): void {
    const lx = this.lx;
    let a = s;
    for (let i = s; i <= e; i++) {
      if (i < e) {
        if (lx.kind[i] !== T.Op) continue;
        const v = lx.val[i];
        if ((v === Op.LParen || v === Op.LBracket || v === Op.LBrace) && lx.match[i] > 0) {
          i = lx.match[i];
          continue;
        }
        if (v !== Op.Comma) continue;
      }
      if (i > a) item(a, i);
      a = i + 1;
    }
  }

  private bases(s: number, hc: number): string[] {
    const lx = this.lx;
    if (s >= hc || lx.kind[s] !== T.Op || lx.val[s] !== Op.LParen || lx.match[s] !== hc - 1) return [];
    const out: string[] = [];
    this.splitTopLevel(s + 1, hc - 1, (a, i) => {
      const isKeyword = lx.kind[a] === T.Name && a + 1 < i && lx.kind[a + 1] === T.Op && lx.val[a + 1] === Op.Eq;
      const isStar = lx.kind[a] === T.Op && (lx.val[a] === Op.Star || lx.val[a] === Op.StarStar);
      if (!isKeyword && !isStar) out.push(this.text(a, i));
    });
    return out;
  }

  // ---- expressions --------------------------------------------------------------------

  /**
   * Look through expression tokens for import calls, patch targets, signal connections,
   * admin registrations and dotted string constants; report adjacent operands.
   */
  private scanExpr(s: number, e: number, frames: Frame[]): void {
    const lx = this.lx;
    // Most lines hold nothing to look at: no string, no interesting name, no adjacent operands.
    if (!lx.interesting && !lx.adjacent) {
      if (lx.calls && !lx.lambda) this.callsOnly(s, e, frames);
      if (!lx.lambda) return;
    }
    let depth = 0;
    let lambdaDepths: number[] | null = null; // depths of active lambda bodies
    let pendingLambdas: number[] | null = null; // depths of lambdas whose ':' is not seen yet
    for (let i = s; i < e; i++) {
      const k = lx.kind[i];
      if (k === T.Op) {
        const v = lx.val[i];
        if (v === Op.LParen || v === Op.LBracket || v === Op.LBrace) depth++;
        else if (v === Op.RParen || v === Op.RBracket || v === Op.RBrace) {
          depth--;
          if (lambdaDepths) while (lambdaDepths.length > 0 && lambdaDepths[lambdaDepths.length - 1] > depth) lambdaDepths.pop();
        } else if (v === Op.Colon) {
          if (pendingLambdas && pendingLambdas.length > 0 && pendingLambdas[pendingLambdas.length - 1] === depth) {
            pendingLambdas.pop();
            (lambdaDepths ??= []).push(depth);
          }
        } else if (v === Op.Comma) {
          if (lambdaDepths) while (lambdaDepths.length > 0 && lambdaDepths[lambdaDepths.length - 1] >= depth) lambdaDepths.pop();
        }
        continue;
      }
      if (k === T.String) {
        let j = i;
        while (j + 1 < e && lx.kind[j + 1] === T.String) j++;
        this.constant(i, j);
        if (j + 1 < e) this.adjacent(j, j + 1);
        i = j;
        continue;
      }
      if (k === T.Number) {
        if (i + 1 < e) this.adjacent(i, i + 1);
        continue;
      }
      // Name
      const id = lx.val[i];
      if (id === N.None) {
        if (i + 1 < e) {
          this.adjacent(i, i + 1);
          if (lx.kind[i + 1] === T.Op && lx.val[i + 1] === Op.LParen && !(i > 0 && lx.kind[i - 1] === T.Name && (lx.val[i - 1] === N.Def || lx.val[i - 1] === N.Class))) {
            this.plainCall(s, i, lx.match[i + 1] < 0 ? e : lx.match[i + 1], lambdaFrames(frames, lambdaDepths));
          }
        }
        continue;
      }
      if (id === N.Lambda) {
        (pendingLambdas ??= []).push(depth);
        continue;
      }
      if (id === N.For && lambdaDepths) {
        while (lambdaDepths.length > 0 && lambdaDepths[lambdaDepths.length - 1] >= depth) lambdaDepths.pop();
        continue;
      }
      if (isHardKeyword(id)) continue;
      if (i + 1 < e && !(i === s && (id === N.Type || id === N.Match || id === N.Case))) this.adjacent(i, i + 1);
      if (i + 1 < e && lx.kind[i + 1] === T.Op && lx.val[i + 1] === Op.LParen) {
        if (i > 0 && lx.kind[i - 1] === T.Name && (lx.val[i - 1] === N.Def || lx.val[i - 1] === N.Class)) continue;
        const close = lx.match[i + 1] < 0 ? e : lx.match[i + 1];
        this.call(s, i, close, id, lambdaFrames(frames, lambdaDepths));
      }
    }
  }

  /**
   * What `scanExpr` does on a line with no string, no interesting name, no adjacent operands
   * and no lambda: record its calls (the lexer's list), without reading every token.
   */
  private callsOnly(s: number, e: number, frames: Frame[]): void {
    const lx = this.lx;
    const names = lx.callNames;
    for (let c = 0; c < lx.callCount; c++) {
      const i = names[c];
      if (i < s || i + 1 >= e) continue;
      if (i > 0 && lx.kind[i - 1] === T.Name && (lx.val[i - 1] === N.Def || lx.val[i - 1] === N.Class)) continue;
      const close = lx.match[i + 1] < 0 ? e : lx.match[i + 1];
      const id = lx.val[i];
      if (id === N.None) this.plainCall(s, i, close, frames);
      else this.call(s, i, close, id, frames);
    }
  }

  private adjacent(i: number, j: number): void {
    const lx = this.lx;
    const k = lx.kind[j];
    if (k === T.Op) return;
    if (k === T.Name && isHardKeyword(lx.val[j])) return;
    if (lx.kind[i] === T.String && k === T.String) return;
    this.diag(lx.tline[j], "invalid syntax: two expressions without an operator between them (Python 2 syntax?)");
  }

  /** The dotted callee chain ending at NAME token `i`, as parts, stopping at `s`. */
  private chain(s: number, i: number): string[] {
    const lx = this.lx;
    const parts = [this.text1(i)];
    let k = i - 1;
    while (k - 1 >= s && lx.kind[k] === T.Op && lx.val[k] === Op.Dot && lx.kind[k - 1] === T.Name && parts.length < 16) {
      parts.unshift(this.text1(k - 1));
      k -= 2;
    }
    return parts;
  }

  private call(s: number, i: number, close: number, id: number, frames: Frame[]): void {
    const lx = this.lx;
    const line = lx.tline[i];
    const a0 = i + 2;
    this.plainCall(s, i, close, frames);
    switch (id) {
      case N.ImportModule:
      case N.DunderImport: {
        const first = this.stringArg(a0, close);
        if (!first) {
          if (this.hasPositional(a0, close)) {
            this.facts.dynamicImports.push({ func: id === N.ImportModule ? "import_module" : "__import__", line, args: this.text(a0, close), context: this.contextFor(frames) });
          }
          return;
        }
        let pkg: string | null = null;
        if (first[1] < close) {
          const second = this.stringArg(first[1] + 1, close);
          if (second) pkg = second[0];
        }
        this.facts.importCalls.push({
          func: id === N.ImportModule ? "import_module" : "__import__",
          line,
          module: first[0],
          package: pkg,
          context: this.contextFor(frames),
        });
        return;
      }
      case N.Patch:
      case N.Object:
      case N.Dict:
      case N.Multiple:
      case N.Setattr:
      case N.Delattr: {
        const parts = this.chain(s, i);
        const last = parts[parts.length - 1];
        const prev = parts.length > 1 ? parts[parts.length - 2] : "";
        const isPatch = last === "patch";
        const isPatchMember = prev === "patch" && (last === "object" || last === "dict" || last === "multiple");
        const isMonkey = prev === "monkeypatch" && (last === "setattr" || last === "delattr");
        if (!isPatch && !isPatchMember && !isMonkey) return;
        const callee = parts.join(".");
        const first = this.stringArg(a0, close);
        if (first && !(last === "object")) {
          this.facts.patchTargets.push({ line, callee, target: first[0], objectText: null, attribute: null });
          return;
        }
        if (last === "object" || isMonkey) {
          const comma = this.nextComma(a0, close);
          if (comma < 0 || comma === a0) return;
          const attr = this.stringArg(comma + 1, close);
          this.facts.patchTargets.push({ line, callee, target: null, objectText: this.text(a0, comma), attribute: attr ? attr[0] : null });
        }
        return;
      }
      case N.Connect: {
        if (i - 1 <= s || lx.kind[i - 1] !== T.Op || lx.val[i - 1] !== Op.Dot) return;
        const parts = this.chain(s, i);
        if (parts.length < 2) return;
        this.facts.connects.push({ line, signal: parts.slice(0, -1).join("."), args: this.text(a0, close), context: this.contextFor(frames) });
        return;
      }
      case N.Register: {
        const parts = this.chain(s, i);
        if (parts.length >= 2 && parts[parts.length - 2] === "site") {
          this.facts.adminRegisters.push({ line, args: this.text(a0, close) });
        }
        return;
      }
    }
  }

  /** Index of the top-level `if` of a `case` header's guard in [s, e), else e. */
  private guardStart(s: number, e: number): number {
    const lx = this.lx;
    for (let i = s; i < e; i++) {
      if (lx.kind[i] === T.Op && (lx.val[i] === Op.LParen || lx.val[i] === Op.LBracket || lx.val[i] === Op.LBrace) && lx.match[i] > i) i = lx.match[i];
      else if (lx.kind[i] === T.Name && lx.val[i] === N.If) return i;
    }
    return e;
  }

  /** Records a call of a dotted name `a.b.f(...)` (the callee NAME token at `i`); `x().f()`, `x[0].f()` are not one. */
  private plainCall(s: number, i: number, close: number, frames: Frame[]): void {
    const lx = this.lx;
    if (i < this.patternEnd) return;
    let k = i;
    while (k - 2 >= s && lx.kind[k - 1] === T.Op && lx.val[k - 1] === Op.Dot && lx.kind[k - 2] === T.Name) k -= 2;
    if (k - 1 >= s && lx.kind[k - 1] === T.Op && lx.val[k - 1] === Op.Dot) return;
    if (isHardKeyword(lx.val[k]) || (this.skipRare && isRarelyBound(lx.val[k]))) return;
    const s0 = lx.start[k];
    const e0 = lx.end[i];
    const buf = lx.buf;
    // Plain: ASCII names and dots with nothing between them.
    let plain = !lx.wideNames;
    for (let j = k; plain && j < i; j++) plain = lx.end[j] === lx.start[j + 1];
    const n = this.pendingLength;
    if (plain) {
      const l = lx.end[k] - s0;
      const bit = 1 << (l < 31 ? l : 31);
      this.firstNameShapes[buf[s0]] |= bit;
      this.firstNameLengths |= bit;
    } else {
      let callee = this.text1(k);
      for (let j = k + 2; j <= i; j += 2) callee += `.${this.text1(j)}`;
      this.calleeText.set(n / CALL_INTS, callee);
    }
    let fi = this.lastCallFrameId;
    if (frames !== this.lastCallFrames) {
      let id = this.callFrameIds.get(frames);
      if (id === undefined) {
        id = this.callFrames.length;
        this.callFrames.push(frames);
        this.callFrameIds.set(frames, id);
      }
      this.lastCallFrames = frames;
      this.lastCallFrameId = fi = id;
    }
    let p = pendingCalls;
    if (n + CALL_INTS > p.length) {
      p = new Int32Array(p.length * 2);
      p.set(pendingCalls);
      pendingCalls = p;
    }
    p[n] = s0;
    p[n + 1] = e0;
    p[n + 2] = lx.tline[k];
    p[n + 3] = lx.end[i + 1];
    p[n + 4] = lx.match[i + 1] === close ? lx.start[close] : lx.end[close - 1];
    p[n + 5] = fi;
    p[n + 6] = lx.end[k];
    this.pendingLength = n + CALL_INTS;
  }

  /** Whether the argument list starting at `a` begins with a positional argument (not `name=`, not `**x`). */
  private hasPositional(a: number, close: number): boolean {
    const lx = this.lx;
    if (a >= close) return false;
    if (lx.kind[a] === T.Op && lx.val[a] === Op.StarStar) return false;
    return !(lx.kind[a] === T.Name && a + 1 < close && lx.kind[a + 1] === T.Op && lx.val[a + 1] === Op.Eq);
  }

  private nextComma(a: number, close: number): number {
    const lx = this.lx;
    for (let i = a; i < close; i++) {
      if (lx.kind[i] !== T.Op) continue;
      const v = lx.val[i];
      if ((v === Op.LParen || v === Op.LBracket || v === Op.LBrace) && lx.match[i] > 0) i = lx.match[i];
      else if (v === Op.Comma) return i;
    }
    return -1;
  }

  /** A positional argument at `a` that is exactly a str literal run: [value, index after it]. */
  private stringArg(a: number, close: number): [string, number] | null {
    const lx = this.lx;
    if (a >= close || lx.kind[a] !== T.String) return null;
    let j = a;
    while (j + 1 < close && lx.kind[j + 1] === T.String) j++;
    const after = j + 1;
    if (after < close && !(lx.kind[after] === T.Op && lx.val[after] === Op.Comma)) return null;
    const v = this.runValue(a, j);
    return v === null ? null : [v, after];
  }

  /** The str value of an implicitly concatenated run of string tokens [a, b], or null. */
  private runValue(a: number, b: number): string | null {
    let out = "";
    for (let i = a; i <= b; i++) {
      const v = this.stringValue(i);
      if (v === null) return null;
      out += v;
    }
    return out;
  }

  private stringValue(i: number): string | null {
    const lx = this.lx;
    const flags = lx.val[i];
    if (flags & (S.Bytes | S.Format | S.Unterminated)) return null;
    const [cs, ce] = stringContent(lx, i);
    const raw = decodeSlice(lx.buf, cs, ce, this.encoding);
    return flags & S.Raw ? raw : unescapePython(raw);
  }

  /** A run of string tokens [a, b]: record it when its value is a dotted path. */
  private constant(a: number, b: number): void {
    const lx = this.lx;
    const buf = lx.buf;
    // Cheap byte pre-check before decoding: only identifier characters, dots and escapes,
    // and at least one dot or escape (a dotted path has a dot; an escape may encode one).
    let dotted = false;
    for (let i = a; i <= b; i++) {
      const v = lx.val[i];
      if (v & (S.Bytes | S.Format | S.Unterminated)) return;
      const ce = lx.end[i] - ((v >> 8) & 15);
      for (let p = lx.start[i] + ((v >> 4) & 15) + ((v >> 8) & 15); p < ce; p++) {
        const c = buf[p];
        if (c === 46 || c === 92) dotted = true;
        else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return;
      }
    }
    if (!dotted) return;
    const value = this.runValue(a, b);
    if (value !== null && isDottedPath(value)) this.facts.dottedStrings.push({ line: lx.tline[a], value });
  }

  private dunderAll(a: number, b: number): void {
    const lx = this.lx;
    let i = a + 1;
    let extend = false;
    if (i < b && lx.kind[i] === T.Op && lx.val[i] === Op.Colon) {
      // Annotated: __all__: list[str] = [...]
      while (i < b && !(lx.kind[i] === T.Op && lx.val[i] === Op.Eq)) {
        if (lx.kind[i] === T.Op && lx.match[i] > i) i = lx.match[i];
        i++;
      }
      if (i >= b) return;
    } else if (i < b && lx.kind[i] === T.Op && lx.val[i] === Op.PlusEq) {
      extend = true;
    } else if (
      i + 2 < b &&
      lx.kind[i] === T.Op &&
      lx.val[i] === Op.Dot &&
      lx.kind[i + 1] === T.Name &&
      lx.kind[i + 2] === T.Op &&
      lx.val[i + 2] === Op.LParen &&
      lx.match[i + 2] === b - 1
    ) {
      const method = this.text1(i + 1);
      if (method !== "extend" && method !== "append") return;
      const inner: [number, number] = [i + 3, b - 1];
      const names = method === "append" ? this.singleString(inner[0], inner[1]) : this.stringSequence(inner[0], inner[1]);
      this.setAll(names, true);
      return;
    } else if (i < b && lx.kind[i] === T.Op && isAugmentedAssign(lx.val[i])) {
      // `__all__ -= ...` and the like: no longer a known literal, names so far kept.
      this.setAll(null, true);
      return;
    } else if (!(i < b && lx.kind[i] === T.Op && lx.val[i] === Op.Eq)) return;
    i++;
    this.setAll(this.stringSequence(i, b), extend);
  }

  private setAll(names: string[] | null, extend: boolean): void {
    const prev = this.facts.all;
    if (names === null) {
      this.facts.all = { names: extend && prev ? prev.names : [], dynamic: true };
    } else if (extend && prev) {
      // In place: `__all__ += [...]` repeated stays linear.
      for (const n of names) prev.names.push(n);
    } else {
      this.facts.all = { names, dynamic: false };
    }
  }

  private singleString(s: number, e: number): string[] | null {
    const lx = this.lx;
    if (s >= e || lx.kind[s] !== T.String) return null;
    for (let j = s; j < e; j++) if (this.lx.kind[j] !== T.String) return null;
    const v = this.runValue(s, e - 1);
    return v === null ? null : [v];
  }

  /** `[...]`, `(...)` or a bare tuple of string literals spanning [s, e); null when anything else. */
  private stringSequence(s: number, e: number): string[] | null {
    const lx = this.lx;
    if (s >= e) return null;
    if (lx.kind[s] === T.Op && (lx.val[s] === Op.LBracket || lx.val[s] === Op.LParen)) {
      if (lx.match[s] !== e - 1) return null;
      const inner = this.stringItems(s + 1, e - 1);
      // `("a")` is a string, not a tuple.
      if (inner && lx.val[s] === Op.LParen && inner.length === 1 && !(lx.kind[e - 2] === T.Op && lx.val[e - 2] === Op.Comma)) return null;
      return inner;
    }
    const items = this.stringItems(s, e);
    if (items === null) return null;
    // A bare string is not a sequence of names: `__all__ = "a"` is a str.
    let hasComma = false;
    for (let j = s; j < e; j++) if (lx.kind[j] === T.Op) hasComma = true;
    return hasComma ? items : null;
  }

  private stringItems(s: number, e: number): string[] | null {
    const lx = this.lx;
    const out: string[] = [];
    let i = s;
    while (i < e) {
      if (lx.kind[i] !== T.String) return null;
      let j = i;
      while (j + 1 < e && lx.kind[j + 1] === T.String) j++;
      const v = this.runValue(i, j);
      if (v === null) return null;
      out.push(v);
      i = j + 1;
      if (i < e) {
        if (lx.kind[i] !== T.Op || lx.val[i] !== Op.Comma) return null;
        i++;
      }
    }
    return out;
  }

  // ---- text ---------------------------------------------------------------------------

  private text1(i: number): string {
    const lx = this.lx;
    const s = lx.start[i];
    const e = lx.end[i];
    const buf = lx.buf;
    if (e - s > 24) return this.wideText(s, e);
    let out = "";
    for (let p = s; p < e; p++) {
      const c = buf[p];
      if (c >= 128) return this.wideText(s, e);
      out += String.fromCharCode(c);
    }
    return out;
  }

  /** A token's text; identifiers with non-ASCII characters are NFKC-normalised as CPython does. */
  private wideText(s: number, e: number): string {
    const t = decodeSlice(this.lx.buf, s, e, this.encoding);
    return IDENT_LIKE.test(t) ? t.normalize("NFKC") : t;
  }

  /** Normalised source text of tokens [a, b): comments dropped, spacing canonical. */
  private text(a: number, b: number): string {
    const lx = this.lx;
    let out = "";
    for (let i = a; i < b && out.length < MAX_TEXT; i++) {
      if (i > a && lx.start[i] > lx.end[i - 1]) {
        const prev = lx.kind[i - 1] === T.Op ? lx.val[i - 1] : 0;
        const cur = lx.kind[i] === T.Op ? lx.val[i] : 0;
        const noSpaceAfter = prev === Op.LParen || prev === Op.LBracket || prev === Op.LBrace || prev === Op.Dot;
        const noSpaceBefore = cur === Op.RParen || cur === Op.RBracket || cur === Op.RBrace || cur === Op.Comma || cur === Op.Dot || cur === Op.Colon;
        if (!noSpaceAfter && !noSpaceBefore) out += " ";
      }
      if (lx.kind[i] === T.String) out += decodeSlice(lx.buf, lx.start[i], lx.end[i], this.encoding).replace(/\s+/g, " ");
      else out += this.text1(i);
    }
    return out.length > MAX_TEXT ? out.slice(0, MAX_TEXT) + "…" : out;
  }
}

