/**
 * A purpose-built Python tokenizer over raw bytes, one logical line at a time.
 *
 * It follows CPython's tokenizer where it matters for imports: logical lines (brackets and
 * backslash continuations join physical lines), indentation columns (tabs to multiples of
 * 8, form feed resets), comments, every string literal form (prefixes, triple quotes, raw,
 * f-strings with nested replacement fields and quotes as in Python 3.12+), numbers, and
 * operators. It never throws and never backtracks: every byte is looked at a bounded
 * number of times, so it is linear in the input.
 *
 * Tokens of the current logical line live in reusable typed arrays; nothing is allocated
 * per token.
 */
import { decodeSlice } from "./encoding";
import { isHardKeyword, isRarelyBound, N, nameId } from "./names";

/** CPython's limits (its tokenizer's MAXLEVEL and MAXINDENT): deeper code is a syntax error there. */
export const MAX_NESTED_BRACKETS = 200;
export const MAX_INDENT_LEVELS = 100;

const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}\u00B7\u0387\u1369-\u1371\u19DA]*$/u;
const IDENTIFIER_CHAR = /[\p{ID_Continue}_\u00B7]/u;

export const enum T {
  Name = 1,
  Number = 2,
  String = 3,
  Op = 4,
}

/** String token flags (in `val`). */
export const enum S {
  Bytes = 1,
  Format = 2, // f-string or t-string
  Raw = 4,
  Unterminated = 8,
}

/** Operator codes: the bytes of the operator packed little-endian. */
export const enum Op {
  LParen = 40,
  RParen = 41,
  Star = 42,
  Comma = 44,
  Dot = 46,
  Colon = 58,
  Semi = 59,
  Eq = 61,
  At = 64,
  LBracket = 91,
  RBracket = 93,
  LBrace = 123,
  RBrace = 125,
  Walrus = 58 | (61 << 8), // :=
  Arrow = 45 | (62 << 8), // ->
  EqEq = 61 | (61 << 8), // ==
  PlusEq = 43 | (61 << 8), // +=
  StarStar = 42 | (42 << 8),
}

// Character classes.
const C_OTHER = 0;
const C_SPACE = 1;
const C_NL = 2;
const C_HASH = 3;
const C_BSLASH = 4;
const C_ID = 5;
const C_DIGIT = 6;
const C_QUOTE = 7;
const C_OPEN = 8;
const C_CLOSE = 9;
const C_OP = 10;
const C_DOT = 11;

const CLS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let k = C_OTHER;
  if (c === 32 || c === 9 || c === 12) k = C_SPACE;
  else if (c === 10 || c === 13) k = C_NL;
  else if (c === 35) k = C_HASH;
  else if (c === 92) k = C_BSLASH;
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128) k = C_ID;
  else if (c >= 48 && c <= 57) k = C_DIGIT;
  else if (c === 34 || c === 39) k = C_QUOTE;
  else if (c === 40 || c === 91 || c === 123) k = C_OPEN;
  else if (c === 41 || c === 93 || c === 125) k = C_CLOSE;
  else if (c === 46) k = C_DOT;
  else if ("+-*/%&|^~<>=!:;,@".indexOf(String.fromCharCode(c)) >= 0) k = C_OP;
  CLS[c] = k;
}

/** Identifier continuation bytes. */
const IDC = new Uint8Array(256);
for (let c = 0; c < 256; c++) IDC[c] = CLS[c] === C_ID || CLS[c] === C_DIGIT ? 1 : 0;

// Two- and three-byte operators CPython knows (3.11 plus `!` handled separately).
const OPS2 = new Set(["->", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "<>"]);
/** The three-character operators are `**=`, `//=`, `>>=`, `<<=`: a doubled one of these, then `=`. */
const OP3_DOUBLED = new Uint8Array(128);
for (const o of ["**=", "//=", ">>=", "<<="]) OP3_DOUBLED[o.charCodeAt(0)] = 1;
const OP2 = new Uint8Array(65536);
for (const o of OPS2) OP2[o.charCodeAt(0) | (o.charCodeAt(1) << 8)] = 1;

export interface LexDiagnostic {
  line: number;
  message: string;
}

const shared = {
  kind: new Uint8Array(1024),
  start: new Int32Array(1024),
  end: new Int32Array(1024),
  tline: new Int32Array(1024),
  eline: new Int32Array(1024),
  val: new Int32Array(1024),
  match: new Int32Array(1024),
};

const CLOSER_OF: Record<number, number> = { 40: 41, 91: 93, 123: 125 };

export class Lexer {
  readonly buf: Uint8Array;
  private pos: number;
  private line = 1;
  readonly diagnostics: LexDiagnostic[] = [];

  // Current logical line. The arrays are shared by every Lexer (scanning is synchronous), so
  // scanning many files allocates nothing per file.
  n = 0;
  kind = shared.kind;
  start = shared.start;
  end = shared.end;
  tline = shared.tline;
  eline = shared.eline;
  /** NAME: names.ts id; OP: operator code; STRING: flags | prefixLen << 4 | quoteLen << 8. */
  val = shared.val;
  /** For brackets: index of the matching bracket token in this line (-1 when unmatched). */
  match = shared.match;
  indent = 0;
  /** The indentation stack, in columns (tabs to multiples of 8) and with tabs as one column. */
  private readonly indents: number[] = [0];
  private readonly altIndents: number[] = [0];
  private tabError = false;
  lineStart = 1;
  lineEnd = 1;
  /** The line has a string or a name the scanner looks for in expressions. */
  interesting = false;
  /** The line has two operands in a row somewhere (possibly legal: `match x`, `type X = ...`). */
  adjacent = false;
  /** The line has a `;` (outside brackets or not). */
  semicolon = false;
  /**
   * The line has a name followed by `(`: a call (or a `def`/`class` header), not counting
   * `x().f(`, `x[0].f(` (not a dotted-name call) nor, with `skipRareCalls`, calls whose first name
   * is one of `RARELY_BOUND`.
   */
  calls = false;
  /** The callee NAME tokens of those calls, in order (`callCount` of them). */
  readonly callNames: number[] = [];
  callCount = 0;
  /** The line has a `lambda` (calls in its body have other frames). */
  lambda = false;
  /** The line has a name that is not ASCII. */
  wideNames = false;
  /** See `calls`. */
  skipRareCalls = false;
  private lastOperand = false;
  private lastString = false;

  private stack: number[] = []; // indices of open bracket tokens
  private physStart = false; // a newline was crossed inside brackets
  private physLinePos = 0;
  /** Whether any \r occurs: without one, line ends can be found with a native search. */
  private readonly hasCR: boolean;

  constructor(
    buf: Uint8Array,
    skip: number,
    private readonly encoding: string,
  ) {
    this.buf = buf;
    this.pos = skip;
    this.hasCR = buf.indexOf(13) >= 0;
  }

  get lineNumber(): number {
    return this.line;
  }

  private grow(): void {
    const cap = this.kind.length * 2;
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.kind = shared.kind = g8(this.kind);
    this.start = shared.start = g32(this.start);
    this.end = shared.end = g32(this.end);
    this.tline = shared.tline = g32(this.tline);
    this.eline = shared.eline = g32(this.eline);
    this.val = shared.val = g32(this.val);
    this.match = shared.match = g32(this.match);
  }

  /** Whether the NAME token before a `(` ends a dotted name that may be a recorded call (see `calls`). */
  private dottedCall(): boolean {
    let k = this.n - 1;
    while (k >= 2 && this.kind[k - 1] === T.Op && this.val[k - 1] === Op.Dot && this.kind[k - 2] === T.Name) k -= 2;
    if (k >= 1 && this.kind[k - 1] === T.Op && this.val[k - 1] === Op.Dot) return false;
    return !(this.skipRareCalls && isRarelyBound(this.val[k]));
  }

  private push(kind: T, s: number, e: number, sl: number, v: number): number {
    // Operand followed by operand (`print "x"`, `1 2`) is a syntax error the scanner reports;
    // strings and a few names make the line worth a closer look.
    let operand = false;
    if (kind === T.Name) {
      operand = !isHardKeyword(v);
      if (v >= N.ImportModule && v < N.FirstRare) this.interesting = true;
      else if (v === N.Lambda) this.lambda = true;
    } else if (kind === T.Number) operand = true;
    else if (kind === T.String) {
      this.interesting = true;
      operand = !this.lastString;
    }
    if (operand && this.lastOperand) this.adjacent = true;
    this.lastOperand = operand || (kind === T.String && this.lastOperand);
    this.lastString = kind === T.String;
    const i = this.n;
    if (i === this.kind.length) this.grow();
    this.kind[i] = kind;
    this.start[i] = s;
    this.end[i] = e;
    this.tline[i] = sl;
    this.eline[i] = this.line;
    this.val[i] = v;
    this.match[i] = -1;
    this.n = i + 1;
    return i;
  }

  /**
   * CPython's TabError: the indentation must compare the same way whether a tab counts to the
   * next multiple of 8 or as one column (tokenizer.c keeps both stacks; reported once, as
   * CPython stops at the first).
   */
  private checkTabs(col: number, alt: number): void {
    if (this.tabError) return;
    const cols = this.indents;
    const alts = this.altIndents;
    let top = cols.length - 1;
    let bad = false;
    if (col === cols[top]) bad = alt !== alts[top];
    else if (col > cols[top]) {
      bad = alt <= alts[top];
      cols.push(col);
      alts.push(alt);
    } else {
      while (top > 0 && col < cols[top]) {
        cols.pop();
        alts.pop();
        top--;
      }
      // A column that matches no level is the scanner's "unindent does not match" error.
      bad = col === cols[top] && alt !== alts[top];
    }
    if (bad) {
      this.tabError = true;
      this.diag(this.line, "inconsistent use of tabs and spaces in indentation (TabError)");
    }
  }

  private diag(line: number, message: string): void {
    if (this.diagnostics.length < 100) this.diagnostics.push({ line, message });
  }

  /** Read the next logical line into the token arrays. Returns false at end of input. */
  next(): boolean {
    const buf = this.buf;
    const len = buf.length;
    this.n = 0;
    // Skip blank and comment-only lines; measure indentation (and, as CPython's tokenizer does
    // to detect TabError, the column with tabs counted as one).
    let col = 0;
    let alt = 0;
    for (;;) {
      if (this.pos >= len) return false;
      const c = buf[this.pos];
      if (c === 32) {
        col++;
        alt++;
        this.pos++;
      } else if (c === 9) {
        col = (col >> 3) * 8 + 8;
        alt++;
        this.pos++;
      } else if (c === 12) {
        col = 0;
        alt = 0;
        this.pos++;
      } else if (c === 35) {
        this.skipComment();
      } else if (c === 10 || c === 13) {
        this.newline();
        col = 0;
        alt = 0;
      } else if (c === 92 && this.isNewlineAt(this.pos + 1)) {
        // A backslash continuation before any token: keep measuring on the next line.
        this.pos++;
        this.newline();
      } else if (c === 0) {
        this.diag(this.line, "source code cannot contain null bytes");
        this.pos++;
      } else break;
    }
    this.indent = col;
    this.lineStart = this.line;
    this.checkTabs(col, alt);
    if (this.stack.length > 0) this.stack.length = 0;
    this.physStart = false;
    this.interesting = false;
    this.adjacent = false;
    this.semicolon = false;
    this.calls = false;
    this.callCount = 0;
    this.lambda = false;
    this.wideNames = false;
    this.lastOperand = false;
    this.lastString = false;
    this.tokens();
    this.lineEnd = this.n > 0 ? this.eline[this.n - 1] : this.lineStart;
    return true;
  }

  private isNewlineAt(i: number): boolean {
    const c = this.buf[i];
    return c === 10 || c === 13;
  }

  private newline(): void {
    const buf = this.buf;
    if (buf[this.pos] === 13 && buf[this.pos + 1] === 10) this.pos += 2;
    else this.pos++;
    this.line++;
  }

  private skipComment(): void {
    const buf = this.buf;
    if (!this.hasCR) {
      const nl = buf.indexOf(10, this.pos);
      this.pos = nl < 0 ? buf.length : nl;
      return;
    }
    let i = this.pos;
    const len = buf.length;
    while (i < len && buf[i] !== 10 && buf[i] !== 13) i++;
    this.pos = i;
  }

  /** Tokenize until the NEWLINE that ends the logical line (consumed) or end of input. */
  private tokens(): void {
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len) {
      const p = this.pos;
      const c = buf[p];
      switch (CLS[c]) {
        case C_SPACE: {
          let i = p + 1;
          while (buf[i] === 32) i++;
          this.pos = i;
          break;
        }
        case C_NL:
          this.newline();
          if (this.stack.length === 0) return;
          this.physStart = true;
          this.physLinePos = this.pos;
          break;
        case C_HASH:
          this.skipComment();
          break;
        case C_BSLASH:
          if (this.isNewlineAt(p + 1)) {
            this.pos++;
            this.newline();
          } else {
            this.diag(this.line, "unexpected character after line continuation character");
            this.pos++;
          }
          break;
        case C_ID: {
          let i = p + 1;
          let wide = c >= 128;
          while (i < len && IDC[buf[i]] === 1) {
            if (buf[i] >= 128) wide = true;
            i++;
          }
          if (wide) {
            this.checkIdentifier(p, i);
            this.wideNames = true;
          }
          const q = buf[i];
          if ((q === 34 || q === 39) && i - p <= 2) {
            const flags = stringPrefix(buf, p, i);
            if (flags >= 0) {
              this.pos = i;
              this.string(p, i - p, flags);
              break;
            }
          }
          const id = nameId(buf, p, i);
          if (this.physStart) {
            this.physStart = false;
            if ((id === N.Import || id === N.Def || id === N.Class || id === N.From) && this.recover(id)) return;
          }
          this.pos = i;
          this.push(T.Name, p, i, this.line, id);
          break;
        }
        case C_DIGIT:
          this.number(p);
          break;
        case C_DOT:
          if (p + 1 < len && CLS[buf[p + 1]] === C_DIGIT) this.number(p);
          else {
            this.pos++;
            this.push(T.Op, p, p + 1, this.line, Op.Dot);
          }
          break;
        case C_QUOTE:
          this.string(p, 0, 0);
          break;
        case C_OPEN: {
          this.pos++;
          this.physStart = false;
          if (c === 40 && this.n > 0 && this.kind[this.n - 1] === T.Name && !isHardKeyword(this.val[this.n - 1]) && this.dottedCall()) {
            this.calls = true;
            this.callNames[this.callCount++] = this.n - 1;
          }
          const i = this.push(T.Op, p, p + 1, this.line, c);
          if (this.stack.length === MAX_NESTED_BRACKETS) this.diag(this.line, "too many nested parentheses");
          this.stack.push(i);
          break;
        }
        case C_CLOSE: {
          this.pos++;
          this.physStart = false;
          const i = this.push(T.Op, p, p + 1, this.line, c);
          const open = this.stack.pop();
          if (open === undefined) {
            this.diag(this.line, `unmatched '${String.fromCharCode(c)}'`);
          } else {
            if (CLOSER_OF[this.val[open]] !== c) {
              this.diag(
                this.line,
                `closing parenthesis '${String.fromCharCode(c)}' does not match opening parenthesis '${String.fromCharCode(this.val[open])}' on line ${this.tline[open]}`,
              );
            }
            this.match[open] = i;
            this.match[i] = open;
          }
          break;
        }
        case C_OP: {
          this.physStart = false;
          let e = p + 1;
          if (p + 2 < len && buf[p + 2] === 61 && buf[p + 1] === c && OP3_DOUBLED[c] === 1) e = p + 3;
          else if (p + 1 < len && OP2[c | (buf[p + 1] << 8)] === 1) e = p + 2;
          else if (c === 33) {
            // A lone `!` is only valid inside f-strings (handled there).
            this.diag(this.line, "invalid syntax: '!'");
          }
          if (e === p + 2 && c === 60 && buf[p + 1] === 62) this.diag(this.line, "invalid syntax: '<>' (use '!=')");
          let v = 0;
          for (let k = e - 1; k >= p; k--) v = (v << 8) | buf[k];
          if (v === 59) this.semicolon = true;
          this.pos = e;
          this.push(T.Op, p, e, this.line, v);
          break;
        }
        default:
          this.physStart = false;
          if (c === 0) this.diag(this.line, "source code cannot contain null bytes");
          else this.diag(this.line, `invalid character '${String.fromCharCode(c)}' (U+${c.toString(16).toUpperCase().padStart(4, "0")})`);
          this.pos++;
      }
    }
    // End of input.
    if (this.stack.length > 0) this.unclosed();
  }

  private checkIdentifier(s: number, e: number): void {
    const text = decodeSlice(this.buf, s, e, this.encoding);
    if (!IDENTIFIER.test(text)) {
      const bad = [...text].find((ch) => !IDENTIFIER_CHAR.test(ch)) ?? text[0];
      const cp = bad.codePointAt(0) ?? 0;
      this.diag(this.line, `invalid character '${bad}' (U+${cp.toString(16).toUpperCase().padStart(4, "0")})`);
    }
  }

  private unclosed(): void {
    const open = this.stack[0];
    this.diag(this.tline[open], `'${String.fromCharCode(this.val[open])}' was never closed`);
    this.stack.length = 0;
  }

  /**
   * `import`, `def`, `class` or `from` at the start of a physical line inside brackets can
   * only mean an unclosed bracket above: end the logical line there so the rest of the
   * file is still read. Returns true when the line was cut.
   */
  private recover(id: N): boolean {
    if (id === N.From && this.n > 0 && this.kind[this.n - 1] === T.Name && this.val[this.n - 1] === N.Yield) return false;
    this.unclosed();
    this.pos = this.physLinePos;
    return true;
  }

  private number(p: number): void {
    const buf = this.buf;
    const len = buf.length;
    let i = p;
    const c0 = buf[p];
    const c1 = buf[p + 1] | 0x20;
    if (c0 === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) {
      i += 2;
      while (i < len && (IDC[buf[i]] === 1 && buf[i] < 128)) i++;
    } else {
      while (i < len && ((buf[i] >= 48 && buf[i] <= 57) || buf[i] === 95)) i++;
      let isInt = true;
      if (buf[i] === 46) {
        isInt = false;
        i++;
        while (i < len && ((buf[i] >= 48 && buf[i] <= 57) || buf[i] === 95)) i++;
      }
      if ((buf[i] | 0x20) === 101) {
        const n1 = buf[i + 1];
        const j = n1 === 43 || n1 === 45 ? i + 2 : i + 1;
        if (buf[j] >= 48 && buf[j] <= 57) {
          isInt = false;
          i = j;
          while (i < len && ((buf[i] >= 48 && buf[i] <= 57) || buf[i] === 95)) i++;
        }
      }
      if ((buf[i] | 0x20) === 106) {
        isInt = false;
        i++;
      }
      if (isInt && c0 === 48) {
        for (let k = p; k < i; k++) {
          if (buf[k] !== 48 && buf[k] !== 95) {
            this.diag(this.line, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers");
            break;
          }
        }
      }
    }
    this.pos = i;
    this.push(T.Number, p, i, this.line, 0);
  }

  /** A string literal whose opening quote is at `this.pos`; `p` is where its prefix starts. */
  private string(p: number, prefixLen: number, flags: number): void {
    const buf = this.buf;
    const q = buf[this.pos];
    const triple = buf[this.pos + 1] === q && buf[this.pos + 2] === q;
    const startLine = this.line;
    this.physStart = false;
    this.pos += triple ? 3 : 1;
    const ok = flags & S.Format ? this.fbody(q, triple) : this.body(q, triple);
    if (!ok) {
      flags |= S.Unterminated;
      this.diag(startLine, triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
    }
    this.push(T.String, p, this.pos, startLine, flags | (prefixLen << 4) | ((triple ? 3 : 1) << 8));
  }

  /** Consume a plain string body up to and including the closing quote(s). */
  private body(q: number, triple: boolean): boolean {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    if (!triple) {
      for (;;) {
        if (i >= len) break;
        const c = buf[i];
        if (c === q) {
          this.pos = i + 1;
          return true;
        }
        if (c === 92) {
          const n = buf[i + 1];
          if (n === 13 || n === 10) {
            this.pos = i + 1;
            this.newline();
            i = this.pos;
            continue;
          }
          i += 2;
          continue;
        }
        if (c === 10 || c === 13) break;
        i++;
      }
      this.pos = Math.min(i, len);
      return false;
    }
    if (!this.hasCR) return this.tripleFast(q, i);
    for (;;) {
      if (i >= len) break;
      const c = buf[i];
      if (c === q) {
        if (buf[i + 1] === q && buf[i + 2] === q) {
          this.pos = i + 3;
          return true;
        }
        i++;
      } else if (c === 92) {
        const n = buf[i + 1];
        if (n === 13 || n === 10) {
          this.pos = i + 1;
          this.newline();
          i = this.pos;
        } else i += 2;
      } else if (c === 10 || c === 13) {
        this.pos = i;
        this.newline();
        i = this.pos;
      } else i++;
    }
    this.pos = len;
    return false;
  }

  /**
   * A triple-quoted body in a file without carriage returns: jump between quote characters
   * with the native search, then count the newlines crossed the same way.
   */
  private tripleFast(q: number, from: number): boolean {
    const buf = this.buf;
    let i = from;
    let end = -1;
    for (;;) {
      const j = buf.indexOf(q, i);
      if (j < 0) break;
      let k = j;
      while (k > from && buf[k - 1] === 92) k--;
      if ((j - k) % 2 === 0 && buf[j + 1] === q && buf[j + 2] === q) {
        end = j + 3;
        break;
      }
      i = j + 1;
    }
    const stop = end < 0 ? buf.length : end;
    for (let nl = buf.indexOf(10, from); nl >= 0 && nl < stop; nl = buf.indexOf(10, nl + 1)) this.line++;
    this.pos = stop;
    return end >= 0;
  }

  /**
   * An f-string (or t-string) body with replacement fields, as Python 3.12 reads them:
   * expressions may contain any string, including the enclosing quote.
   */
  private fbody(q: number, triple: boolean): boolean {
    const buf = this.buf;
    const len = buf.length;
    // Iterative state machine with an explicit stack: literal text, expression, format spec.
    // Each stack entry: 0 = literal of the f-string itself, 1 = expression (bracket depth kept
    // separately), 2 = format spec.
    const modes: number[] = [0];
    const depths: number[] = [0];
    while (this.pos < len) {
      const c = buf[this.pos];
      const mode = modes[modes.length - 1];
      if (mode === 0 || mode === 2) {
        if (c === q && (!triple || (buf[this.pos + 1] === q && buf[this.pos + 2] === q))) {
          if (mode === 2 || modes.length > 1) return false;
          this.pos += triple ? 3 : 1;
          return true;
        }
        if (c === 92) {
          this.pos++;
          if (this.isNewlineAt(this.pos)) this.newline();
          else this.pos++;
          continue;
        }
        if (c === 10 || c === 13) {
          if (!triple) return false;
          this.newline();
          continue;
        }
        if (c === 123) {
          if (mode === 0 && buf[this.pos + 1] === 123) {
            this.pos += 2;
            continue;
          }
          modes.push(1);
          depths.push(0);
          this.pos++;
          continue;
        }
        if (c === 125) {
          if (mode === 0) {
            this.pos += buf[this.pos + 1] === 125 ? 2 : 1;
            continue;
          }
          // End of the replacement field whose format spec this is.
          modes.pop();
          depths.pop();
          modes.pop();
          depths.pop();
          this.pos++;
          continue;
        }
        this.pos++;
        continue;
      }
      // Expression mode.
      const d = depths.length - 1;
      switch (c) {
        case 34:
        case 39: {
          // A nested string: may itself be an f-string (prefix already consumed as a name).
          const startLine = this.line;
          const nq = c;
          const ntriple = buf[this.pos + 1] === nq && buf[this.pos + 2] === nq;
          this.pos += ntriple ? 3 : 1;
          const prefixStart = this.prefixStartBefore(this.pos - (ntriple ? 3 : 1));
          const pf = prefixStart >= 0 ? stringPrefix(buf, prefixStart, this.pos - (ntriple ? 3 : 1)) : 0;
          const ok = pf > 0 && pf & S.Format ? this.fbody(nq, ntriple) : this.body(nq, ntriple);
          if (!ok) {
            this.diag(startLine, "unterminated string literal in f-string expression");
            return false;
          }
          break;
        }
        case 40:
        case 91:
        case 123:
          depths[d]++;
          this.pos++;
          break;
        case 41:
        case 93:
          depths[d]--;
          this.pos++;
          break;
        case 125:
          if (depths[d] > 0) {
            depths[d]--;
            this.pos++;
          } else {
            modes.pop();
            depths.pop();
            this.pos++;
          }
          break;
        case 58: // ':' at depth 0 starts the format spec
          if (depths[d] === 0) {
            modes.push(2);
            depths.push(0);
          }
          this.pos++;
          break;
        case 10:
        case 13:
          this.newline();
          break;
        case 35:
          // A comment inside a multi-line replacement field (3.12+).
          this.skipComment();
          break;
        default:
          this.pos++;
      }
    }
    return false;
  }

  /** Start index of an identifier run ending right before `quotePos`, or -1. */
  private prefixStartBefore(quotePos: number): number {
    let i = quotePos;
    while (i > 0 && IDC[this.buf[i - 1]] === 1 && quotePos - i < 3) i--;
    return i < quotePos ? i : -1;
  }
}

/**
 * Flags for a string prefix `buf[s, e)` (at most 2 bytes), or -1 when it is not a string
 * prefix (then it is a name followed by a string, which is a syntax error the scanner reports).
 */
function stringPrefix(buf: Uint8Array, s: number, e: number): number {
  let flags = 0;
  let seenU = false;
  for (let i = s; i < e; i++) {
    const c = buf[i] | 0x20;
    if (c === 114 && !(flags & S.Raw)) flags |= S.Raw;
    else if (c === 98 && !(flags & (S.Bytes | S.Format))) flags |= S.Bytes;
    else if ((c === 102 || c === 116) && !(flags & (S.Bytes | S.Format))) flags |= S.Format;
    else if (c === 117 && e - s === 1) seenU = true;
    else return -1;
  }
  return seenU ? 0 : flags;
}

/** Decode token text helpers shared by the scanner. */
export function stringContent(lx: Lexer, i: number): [number, number] {
  const v = lx.val[i];
  const prefix = (v >> 4) & 15;
  const ql = (v >> 8) & 15;
  return [lx.start[i] + prefix + ql, lx.end[i] - ql];
}
