/**
 * The names a module binds in its own namespace (its module attributes), read from its bytes:
 * what `from mod import name`, `mock.patch("mod.name")` and `mod.name` find after the module
 * has been imported. Read on demand for the few files a rule asks about (the changed ones),
 * never for the whole repository; proven against CPython's `ast` (test/oracle/py_bindings.py).
 *
 * A module attribute is bound by, at module scope (outside every `def`, `lambda` and `class`
 * body): `import a.b` (binds `a`), `import a.b as c`, `from m import x [as y]`, `def`, `class`,
 * assignment targets (`x = ...`, `x, (y, *z) = ...`, `x: int = ...`, `x += ...`), `for`
 * targets, `with ... as` targets, `case` capture patterns, `type X = ...`, and walrus
 * targets (`(x := ...)`, also inside a comprehension at module scope, not inside a `lambda`).
 * From inside a `def` (or a class body) only names that scope declares `global`, when the code
 * runs; and `globals()["x"] = ...` anywhere.
 *
 * Not bindings: `x: int` without a value (an annotation only), attribute and subscript targets,
 * names bound in class bodies (class attributes), comprehension variables, and
 * `except E as x` (CPython deletes `x` at the end of the handler). `del x` at module scope
 * is recorded apart. What may bind names the text does not spell (`from m import *`,
 * `globals()[expr] = ...`, `globals().update(...)`, `vars()` writes at module scope,
 * `setattr(sys.modules[...], ...)`) is listed in `dynamic`.
 *
 * `when` says whether it happens as the module is imported: `top` (module level, no enclosing
 * block), `conditional` (inside a module-level if/try/for/while/with/match), `never` (under
 * `if TYPE_CHECKING:`, the `else` of `if not TYPE_CHECKING:`, `if False:`/`if 0:`/`if None:`,
 * `if __name__ == "__main__":`), or `call` (in a function, through `global`: only once it runs).
 */
import { decodeSlice, detectEncoding } from "./encoding";
import { Lexer, Op, S, stringContent, T } from "./lexer";
import { isHardKeyword, N } from "./names";
import { unescapePython } from "./strings";

export type BindingWhen = "top" | "conditional" | "never" | "call";

export type BindingHow = "import" | "def" | "class" | "assign" | "for" | "with" | "walrus" | "match" | "type" | "global" | "globals";

export interface NameBinding {
  name: string;
  line: number;
  how: BindingHow;
  when: BindingWhen;
}

export interface ModuleBindings {
  bindings: NameBinding[];
  /** `del x` at module scope (and in a function for a name it declares `global`). */
  deletes: NameBinding[];
  /** Statements that may bind names their text does not spell, e.g. `from m import *`. */
  dynamic: { line: number; what: string; when: BindingWhen }[];
}

const IDENT_LIKE = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

/** Precedence of contexts: a binding's `when` is the strongest of its enclosing blocks'. */
const RANK: Record<BindingWhen, number> = { top: 0, conditional: 1, call: 2, never: 3 };

function stronger(a: BindingWhen, b: BindingWhen): BindingWhen {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The nearest enclosing `def` or class body: only names it declares `global` bind module attributes. */
interface Scope {
  kind: "def" | "class";
  globals: Set<string>;
  /** When code of this scope binds a global: `call` for a def, the class statement's own for a class body. */
  when: BindingWhen;
}

interface Block {
  headerIndent: number;
  when: BindingWhen;
  scope: Scope | null;
}

/** An if-chain, try or loop at an indentation: what its `elif`/`else`/`except` clauses run under. */
interface Sibling {
  kind: "if" | "other";
  /** Context of the statement itself. */
  base: BindingWhen;
  /** For an if-chain: a test so far was `not TYPE_CHECKING`, so every later branch runs only under type checking. */
  elseNever: boolean;
}

export function moduleBindings(source: Uint8Array): ModuleBindings {
  return new Reader(source).run();
}

/**
 * Module attributes bound when the module is imported (`top` or `conditional`), by name, with
 * the first such binding; minus names an unconditional module-level `del` removes after their
 * last binding.
 */
export function boundAtImport(b: ModuleBindings): Map<string, NameBinding> {
  const out = new Map<string, NameBinding>();
  const last = new Map<string, number>();
  for (const x of b.bindings) {
    if (x.when !== "top" && x.when !== "conditional") continue;
    if (!out.has(x.name)) out.set(x.name, x);
    last.set(x.name, Math.max(last.get(x.name) ?? 0, x.line));
  }
  for (const d of b.deletes) if (d.when === "top" && (last.get(d.name) ?? Infinity) < d.line) out.delete(d.name);
  return out;
}

class Reader {
  private readonly lx: Lexer;
  private readonly encoding: string;
  private readonly out: ModuleBindings = { bindings: [], deletes: [], dynamic: [] };
  private readonly stack: Block[] = [{ headerIndent: -1, when: "top", scope: null }];
  private readonly siblings = new Map<number, Sibling>();
  /** Tokens inside a lambda body on the current line (walrus targets there are the lambda's). */
  private lambdaBody: Uint8Array = new Uint8Array(64);

  constructor(source: Uint8Array) {
    const enc = detectEncoding(source);
    this.encoding = enc.name;
    this.lx = new Lexer(source, enc.bomLength, enc.name);
  }

  run(): ModuleBindings {
    const lx = this.lx;
    try {
      while (lx.next()) if (lx.n > 0) this.line();
    } catch {
      // Never throws: what was read so far stands (the scanner reports the file's syntax errors).
    }
    return this.out;
  }

  // ---- tokens ---------------------------------------------------------------------

  private isName(i: number, id?: N): boolean {
    return this.lx.kind[i] === T.Name && (id === undefined ? !isHardKeyword(this.lx.val[i]) : this.lx.val[i] === id);
  }

  private isOp(i: number, op: number): boolean {
    return this.lx.kind[i] === T.Op && this.lx.val[i] === op;
  }

  private isOpen(i: number): boolean {
    const lx = this.lx;
    return lx.kind[i] === T.Op && (lx.val[i] === Op.LParen || lx.val[i] === Op.LBracket || lx.val[i] === Op.LBrace);
  }

  /** The index after the bracket group opening at `i` (or after `i` when unmatched). */
  private skipGroup(i: number, e: number): number {
    const m = this.lx.match[i];
    return m > i && m < e ? m + 1 : e;
  }

  private text(i: number): string {
    const lx = this.lx;
    const s = lx.start[i];
    const e = lx.end[i];
    let out = "";
    for (let p = s; p < e; p++) {
      const c = lx.buf[p];
      if (c >= 128) {
        const t = decodeSlice(lx.buf, s, e, this.encoding);
        return IDENT_LIKE.test(t) ? t.normalize("NFKC") : t;
      }
      out += String.fromCharCode(c);
    }
    return out;
  }

  private stringValue(i: number): string | null {
    const lx = this.lx;
    const v = lx.val[i];
    if ((v & (S.Bytes | S.Format | S.Unterminated)) !== 0) return null;
    const [s, e] = stringContent(lx, i);
    const body = decodeSlice(lx.buf, s, e, this.encoding);
    return (v & S.Raw) !== 0 ? body : unescapePython(body);
  }

  /** Index of the first token in [s, e) at bracket depth 0 satisfying `pred`, or -1. */
  private findTop(s: number, e: number, pred: (i: number) => boolean): number {
    for (let i = s; i < e; ) {
      if (pred(i)) return i;
      i = this.isOpen(i) ? this.skipGroup(i, e) : i + 1;
    }
    return -1;
  }

  /** Calls `item(a, b)` for each comma-separated part of [s, e) at bracket depth 0. */
  private split(s: number, e: number, item: (a: number, b: number) => void): void {
    let a = s;
    for (let i = s; i <= e; ) {
      if (i === e || this.isOp(i, Op.Comma)) {
        if (i > a) item(a, i);
        a = i + 1;
        if (i === e) break;
        i++;
      } else i = this.isOpen(i) ? this.skipGroup(i, e) : i + 1;
    }
  }

  /** The colon ending a compound statement's header in [s, e) (lambdas' colons skipped), or -1. */
  private headerColon(s: number, e: number): number {
    let lambdas = 0;
    for (let i = s; i < e; ) {
      if (this.isOp(i, Op.Colon)) {
        if (lambdas === 0) return i;
        lambdas--;
      } else if (this.isName(i, N.Lambda)) lambdas++;
      i = this.isOpen(i) ? this.skipGroup(i, e) : i + 1;
    }
    return -1;
  }

  // ---- blocks ---------------------------------------------------------------------

  private get top(): Block {
    return this.stack[this.stack.length - 1];
  }

  private line(): void {
    const lx = this.lx;
    const indent = lx.indent;
    while (this.stack.length > 1 && this.top.headerIndent >= indent) this.stack.pop();
    for (const k of this.siblings.keys()) if (k > indent) this.siblings.delete(k);
    this.markLambdas(0, lx.n);
    let first = 0;
    if (this.isName(0, N.Async) && lx.n > 1 && (this.isName(1, N.Def) || this.isName(1, N.For) || this.isName(1, N.With))) first = 1;
    const kw = lx.kind[first] === T.Name ? lx.val[first] : N.None;
    const soft = (kw === N.Match || kw === N.Case) && this.isSoftHeader(first);
    const compound =
      soft ||
      kw === N.If ||
      kw === N.Elif ||
      kw === N.Else ||
      kw === N.While ||
      kw === N.For ||
      kw === N.Try ||
      kw === N.Except ||
      kw === N.Finally ||
      kw === N.With ||
      kw === N.Def ||
      kw === N.Class;
    const sib = this.siblings.get(indent);
    const continues = kw === N.Elif || kw === N.Else || kw === N.Except || kw === N.Finally;
    if (!compound || !continues) this.siblings.delete(indent);
    if (compound) this.compound(first, kw, sib ?? null);
    else if (this.isOp(0, Op.At)) this.expression(1, lx.n, this.top);
    else this.simple(0, lx.n, this.top);
  }

  /** `match x:` / `case y:` are statements only when the line is a header ending in its colon. */
  private isSoftHeader(first: number): boolean {
    const lx = this.lx;
    if (lx.n < first + 3) return false;
    const k1 = lx.kind[first + 1];
    const v1 = lx.val[first + 1];
    if (k1 === T.Op && !this.isOpen(first + 1) && v1 !== 45 && v1 !== 126 && v1 !== Op.Star && v1 !== Op.Dot) return false;
    if (k1 === T.Name && isHardKeyword(v1) && v1 !== N.Not && v1 !== N.Lambda && v1 !== N.Await && v1 !== N.NoneKw && v1 !== N.True && v1 !== N.False) return false;
    return this.headerColon(first + 1, lx.n) === lx.n - 1;
  }

  private compound(first: number, kw: number, sib: Sibling | null): void {
    const lx = this.lx;
    const n = lx.n;
    const parent = this.top;
    const here = parent.when;
    const hc = this.headerColon(first + 1, n);
    if (hc < 0) return;
    let when: BindingWhen = here;
    let scope = parent.scope;
    const indent = lx.indent;
    switch (kw) {
      case N.If:
      case N.Elif: {
        const chain = kw === N.Elif && sib?.kind === "if" ? sib : null;
        const base = chain?.base ?? here;
        const reach = chain?.elseNever ? "never" : stronger(base, "conditional");
        const test = this.classifyTest(first + 1, hc);
        when = test === "type_checking" || test === "false" || test === "main" ? "never" : reach;
        this.siblings.set(indent, { kind: "if", base, elseNever: (chain?.elseNever ?? false) || test === "not_type_checking" });
        // An `elif` test runs only when the tests before it failed.
        this.expression(first + 1, hc, chain === null ? parent : { ...parent, when: reach });
        break;
      }
      case N.Else:
        when = sib?.kind === "if" && sib.elseNever ? "never" : stronger(sib?.base ?? here, "conditional");
        break;
      case N.While:
        this.siblings.set(indent, { kind: "other", base: here, elseNever: false });
        when = stronger(here, "conditional");
        this.expression(first + 1, hc, parent);
        break;
      case N.For: {
        this.siblings.set(indent, { kind: "other", base: here, elseNever: false });
        when = stronger(here, "conditional");
        const inAt = this.findTop(first + 1, hc, (i) => this.isName(i, N.In));
        // The target is bound only when the iterable is not empty.
        this.targets(first + 1, inAt < 0 ? hc : inAt, { ...parent, when }, "for");
        if (inAt >= 0) this.expression(inAt + 1, hc, parent);
        break;
      }
      case N.Try:
        this.siblings.set(indent, { kind: "other", base: here, elseNever: false });
        when = stronger(here, "conditional");
        break;
      case N.Except:
      case N.Finally: {
        when = stronger(sib?.base ?? here, "conditional");
        // `except E as x`: x is deleted when the handler ends, so it is no binding.
        const as = this.findTop(first + 1, hc, (i) => this.isName(i, N.As));
        this.expression(first + 1, as < 0 ? hc : as, parent);
        break;
      }
      case N.With:
        when = stronger(here, "conditional");
        this.withItems(first + 1, hc, parent);
        break;
      case N.Match:
        this.expression(first + 1, hc, parent);
        when = stronger(here, "conditional");
        break;
      case N.Case: {
        when = stronger(here, "conditional");
        const guard = this.findTop(first + 1, hc, (i) => this.isName(i, N.If));
        // Captures are bound, and the guard runs, only when the pattern matches.
        this.pattern(first + 1, guard < 0 ? hc : guard, { ...parent, when });
        if (guard >= 0) this.expression(guard + 1, hc, { ...parent, when });
        break;
      }
      case N.Def:
      case N.Class: {
        if (this.isName(first + 1)) this.bind(this.text(first + 1), lx.tline[0], kw === N.Def ? "def" : "class", parent);
        // Decorators, defaults, annotations and bases run in the enclosing scope.
        this.expression(first + 2, hc, parent);
        scope = kw === N.Def ? { kind: "def", globals: new Set(), when: stronger(here, "call") } : { kind: "class", globals: new Set(), when: here };
        when = scope.when;
        break;
      }
    }
    const block: Block = { headerIndent: indent, when, scope };
    if (hc + 1 < n) this.simple(hc + 1, n, block);
    else this.stack.push(block);
  }

  private classifyTest(s0: number, e0: number): "type_checking" | "not_type_checking" | "false" | "main" | "other" {
    const lx = this.lx;
    let [s, e] = this.stripParens(s0, e0);
    let negations = 0;
    while (e - s >= 2 && this.isName(s, N.Not)) {
      negations++;
      [s, e] = this.stripParens(s + 1, e);
    }
    const typeChecking = (): boolean => {
      if (e <= s || !this.isName(e - 1, N.TypeChecking) || (e - s) % 2 === 0) return false;
      for (let i = e - 2; i >= s; i -= 2) if (!this.isOp(i, Op.Dot) || lx.kind[i - 1] !== T.Name) return false;
      return true;
    };
    if (negations > 0) return negations === 1 && typeChecking() ? "not_type_checking" : "other";
    if (typeChecking()) return "type_checking";
    if (e - s === 1) {
      if (this.isName(s, N.False) || this.isName(s, N.NoneKw)) return "false";
      if (lx.kind[s] === T.Number && /^0[xob]?[0_]*$/i.test(this.text(s)) && !/^0[xob]$/i.test(this.text(s))) return "false";
      return "other";
    }
    if (e - s === 3 && this.isOp(s + 1, Op.EqEq)) {
      const name = (i: number) => this.isName(i, N.DunderName);
      const main = (i: number) => lx.kind[i] === T.String && this.stringValue(i) === "__main__";
      if ((name(s) && main(s + 2)) || (main(s) && name(s + 2))) return "main";
    }
    return "other";
  }

  private stripParens(s: number, e: number): [number, number] {
    while (e - s >= 2 && this.isOp(s, Op.LParen) && this.lx.match[s] === e - 1) {
      s++;
      e--;
    }
    return [s, e];
  }

  // ---- statements -----------------------------------------------------------------

  /** Simple statements in [s, e), split at `;`. */
  private simple(s: number, e: number, block: Block): void {
    let a = s;
    for (let i = s; i <= e; ) {
      if (i === e || this.isOp(i, Op.Semi)) {
        if (i > a) this.statement(a, i, block);
        a = i + 1;
        i++;
      } else i = this.isOpen(i) ? this.skipGroup(i, e) : i + 1;
    }
  }

  private statement(a: number, b: number, block: Block): void {
    const lx = this.lx;
    if (lx.kind[a] === T.Name) {
      const v = lx.val[a];
      if (v === N.Lazy && a + 1 < b && (this.isName(a + 1, N.Import) || this.isName(a + 1, N.From))) return this.statement(a + 1, b, block);
      if (v === N.Import) return this.importStmt(a + 1, b, block);
      if (v === N.From) return this.fromStmt(a + 1, b, block);
      if (v === N.Global) {
        if (block.scope !== null) this.split(a + 1, b, (x, y) => y === x + 1 && this.isName(x) && block.scope?.globals.add(this.text(x)));
        return;
      }
      if (v === N.Del) {
        this.split(a + 1, b, (x, y) => {
          const [s, e] = this.stripParens(x, y);
          if (e === s + 1 && this.isName(s)) this.del(this.text(s), lx.tline[s], block);
        });
        return;
      }
      if (v === N.Type && this.isName(a + 1) && (this.isOp(a + 2, Op.Eq) || this.isOp(a + 2, Op.LBracket))) {
        this.bind(this.text(a + 1), lx.tline[a + 1], "type", block);
        return;
      }
    }
    // Assignment: targets before each `=` at depth 0 (none after a lambda: `f = lambda x=1: x`).
    let lastEq = -1;
    let annotation = -1;
    let augmented = -1;
    for (let i = a; i < b; ) {
      if (this.isName(i, N.Lambda)) break;
      if (lx.kind[i] === T.Op) {
        const op = lx.val[i];
        if (op === Op.Eq) {
          if (annotation < 0) this.targets(lastEq + 1 > a ? lastEq + 1 : a, i, block, "assign");
          lastEq = i;
        } else if (op === Op.Colon && annotation < 0 && lastEq < 0) annotation = i;
        else if (lastEq < 0 && annotation < 0 && augmented < 0 && isAugmented(op)) augmented = i;
      }
      i = this.isOpen(i) ? this.skipGroup(i, b) : i + 1;
    }
    if (annotation >= 0 && lastEq > annotation) this.targets(a, annotation, block, "assign");
    if (augmented >= 0) this.targets(a, augmented, block, "assign");
    this.expression(a, b, block);
  }

  private importStmt(s: number, e: number, block: Block): void {
    this.split(s, e, (a, b) => {
      const as = b - a >= 3 && this.isName(b - 2, N.As) ? b - 1 : -1;
      if (as >= 0) this.bind(this.text(as), this.lx.tline[a], "import", block);
      else if (this.isName(a)) this.bind(this.text(a), this.lx.tline[a], "import", block);
    });
  }

  private fromStmt(s: number, e: number, block: Block): void {
    const imp = this.findTop(s, e, (i) => this.isName(i, N.Import));
    if (imp < 0) return;
    let [a, b] = [imp + 1, e];
    if (b - a === 1 && this.isOp(a, Op.Star)) {
      if (block.scope === null) {
        let module = "";
        for (let i = s; i < imp; i++) module += this.isOp(i, Op.Dot) ? "." : this.text(i);
        this.out.dynamic.push({ line: this.lx.tline[s - 1], what: `from ${module} import *`, when: block.when });
      }
      return;
    }
    if (this.isOp(a, Op.LParen) && this.lx.match[a] === b - 1) [a, b] = [a + 1, b - 1];
    this.split(a, b, (x, y) => {
      const at = y - x >= 3 && this.isName(y - 2, N.As) ? y - 1 : x;
      if (this.isName(at)) this.bind(this.text(at), this.lx.tline[x], "import", block);
    });
  }

  /** `with A as T, B as (x, y):` and the parenthesised form `with (A as T, B):`. */
  private withItems(s: number, e: number, block: Block): void {
    let [a, b] = [s, e];
    if (this.isOp(s, Op.LParen) && this.lx.match[s] === e - 1 && this.findTop(s + 1, e - 1, (i) => this.isName(i, N.As)) >= 0) [a, b] = [s + 1, e - 1];
    this.split(a, b, (x, y) => {
      const as = this.findTop(x, y, (i) => this.isName(i, N.As));
      this.expression(x, as < 0 ? y : as, block);
      if (as >= 0) this.targets(as + 1, y, block, "with");
    });
  }

  /** Assignment targets in [s, e): names, tuples and lists of them, starred; `globals()["x"]`. */
  private targets(s: number, e: number, block: Block, how: BindingHow): void {
    this.split(s, e, (a0, b) => {
      let a = a0;
      if (this.isOp(a, Op.Star)) a++;
      if (b - a === 1 && this.isName(a)) return this.bind(this.text(a), this.lx.tline[a], how, block);
      if (this.isOpen(a) && this.lx.match[a] === b - 1 && this.lx.val[a] !== Op.LBrace) return this.targets(a + 1, b - 1, block, how);
      this.globalsWrite(a, b, block, true);
    });
  }

  /** `case` patterns: capture names (`x`, `p as x`, `*rest`, `**rest`, keyword pattern values). */
  private pattern(s: number, e: number, block: Block): void {
    const lx = this.lx;
    for (let i = s; i < e; i++) {
      if (!this.isName(i) || lx.val[i] === N.Underscore) continue;
      if (i > s && this.isOp(i - 1, Op.Dot)) continue;
      if (i + 1 < e && (this.isOp(i + 1, Op.Dot) || this.isOp(i + 1, Op.LParen) || this.isOp(i + 1, Op.Eq))) continue;
      this.bind(this.text(i), lx.tline[i], "match", block);
    }
  }

  /** Walrus targets and `globals()` writes inside an expression. */
  private expression(s: number, e: number, block: Block): void {
    const lx = this.lx;
    for (let i = s; i < e; i++) {
      if (lx.kind[i] !== T.Name) continue;
      if (i + 1 < e && this.isOp(i + 1, Op.Walrus) && this.lambdaBody[i] === 0 && !isHardKeyword(lx.val[i])) this.bind(this.text(i), lx.tline[i], "walrus", block);
      else if (this.lambdaBody[i] === 0) this.globalsWrite(i, e, block, false);
    }
  }

  /**
   * `globals()["x"] = ...` (a target: binds `x`), and what may bind any name: `globals()[expr] = ...`,
   * `globals().update(...)`/`.setdefault(...)`/`.__setitem__(...)`, `vars()` alike at module scope,
   * `setattr(sys.modules[...], ...)`.
   */
  private globalsWrite(i: number, e: number, block: Block, target: boolean): void {
    const lx = this.lx;
    if (lx.kind[i] !== T.Name || (i > 0 && this.isOp(i - 1, Op.Dot))) return;
    const name = this.text(i);
    const line = lx.tline[i];
    if (name === "setattr" && this.isOp(i + 1, Op.LParen) && i + 5 < e && this.text(i + 2) === "sys" && this.isOp(i + 3, Op.Dot) && this.text(i + 4) === "modules") {
      this.out.dynamic.push({ line, what: "setattr(sys.modules[...], ...)", when: this.whenOf(block) });
      return;
    }
    const moduleScope = block.scope === null;
    if (!((name === "globals" || (name === "vars" && moduleScope)) && this.isOp(i + 1, Op.LParen) && this.isOp(i + 2, Op.RParen))) return;
    const after = i + 3;
    if (after >= e) return;
    const when = this.whenOf(block);
    if (this.isOp(after, Op.LBracket)) {
      const close = lx.match[after];
      if (!target || close !== e - 1) return;
      if (close === after + 2 && lx.kind[after + 1] === T.String) {
        const key = this.stringValue(after + 1);
        if (key !== null && IDENT_LIKE.test(key)) {
          this.record(this.out.bindings, key, line, "globals", when);
          return;
        }
      }
      this.out.dynamic.push({ line, what: `${name}()[...] = ...`, when });
    } else if (this.isOp(after, Op.Dot) && after + 1 < e) {
      const method = this.text(after + 1);
      if (method === "update" || method === "setdefault" || method === "__setitem__") this.out.dynamic.push({ line, what: `${name}().${method}(...)`, when });
    }
  }

  // ---- recording ------------------------------------------------------------------

  /** When a statement of `block` that writes module globals runs: in a def, when it is called. */
  private whenOf(block: Block): BindingWhen {
    return block.scope?.kind === "def" ? stronger(block.when, "call") : block.when;
  }

  private bind(name: string, line: number, how: BindingHow, block: Block): void {
    if (block.scope === null) this.record(this.out.bindings, name, line, how, block.when);
    else if (block.scope.globals.has(name)) this.record(this.out.bindings, name, line, "global", this.whenOf(block));
  }

  private del(name: string, line: number, block: Block): void {
    if (block.scope === null) this.record(this.out.deletes, name, line, "assign", block.when);
    else if (block.scope.globals.has(name)) this.record(this.out.deletes, name, line, "global", this.whenOf(block));
  }

  private record(list: NameBinding[], name: string, line: number, how: BindingHow, when: BindingWhen): void {
    list.push({ name, line, how, when });
  }

  /** Marks the tokens of lambda bodies in [s, e): from each lambda's colon to the end of its expression. */
  private markLambdas(s: number, e: number): void {
    const lx = this.lx;
    if (this.lambdaBody.length < e) this.lambdaBody = new Uint8Array(Math.max(e, this.lambdaBody.length * 2));
    this.lambdaBody.fill(0, s, e);
    for (let l = s; l < e; l++) {
      if (!this.isName(l, N.Lambda)) continue;
      let depth = 0;
      let i = l + 1;
      let nested = 0;
      // The body starts after the lambda's own colon (defaults run in the enclosing scope).
      for (; i < e; i++) {
        if (this.isOpen(i)) i = this.skipGroup(i, e) - 1;
        else if (this.isName(i, N.Lambda)) nested++;
        else if (this.isOp(i, Op.Colon)) {
          if (nested === 0) break;
          nested--;
        }
      }
      for (i++; i < e; i++) {
        const k = lx.kind[i];
        if (k === T.Op) {
          const v = lx.val[i];
          if (v === Op.LParen || v === Op.LBracket || v === Op.LBrace) depth++;
          else if (v === Op.RParen || v === Op.RBracket || v === Op.RBrace) {
            if (depth === 0) break;
            depth--;
          } else if (depth === 0 && (v === Op.Comma || v === Op.Semi || v === Op.Eq)) break;
        } else if (depth === 0 && k === T.Name && (lx.val[i] === N.For || lx.val[i] === N.Async)) break;
        this.lambdaBody[i] = 1;
      }
    }
  }
}

/** `+=`, `-=`, `|=`...: two- or three-byte operators ending in `=` that are not comparisons. */
function isAugmented(op: number): boolean {
  const last = op > 0xffff ? op >>> 16 : op >>> 8;
  return last === 61 && op !== Op.EqEq && op !== (60 | (61 << 8)) && op !== (62 | (61 << 8)) && op !== (33 | (61 << 8)) && op !== Op.Walrus;
}
