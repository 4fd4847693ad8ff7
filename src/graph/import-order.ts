/**
 * CPython's import order, simulated: which module-scope import raises because the module it
 * imports from is still executing (a circular import), given the order in which the startup
 * roots are imported. A pure function of the modules' code (`ModuleCode`, built from the
 * scanner's facts by `moduleCode`); it never reads files and never recurses (an explicit
 * stack, so a chain of any length is simulated).
 *
 * What it models, as CPython 3.11+ does it (importlib._bootstrap and ceval's IMPORT_FROM):
 *
 * - `sys.modules` holds a module from the moment it starts executing: importing it again while
 *   it runs returns the partially initialised module, with only the names bound so far.
 * - `import a.b.c` imports `a`, then `a.b`, then `a.b.c` (a parent's `__init__` runs first,
 *   unless the submodule is in `sys.modules` already), then `a` again (it may have left
 *   `sys.modules` after a failure); when a submodule finishes executing it is bound as an
 *   attribute of its parent. It binds `a`. `import a.b.c as d` then reads `b` from `a` and `c`
 *   from that (IMPORT_FROM, 3.7+), each falling back to `sys.modules`: it raises only when
 *   neither has it (a submodule left in `sys.modules` by an earlier failure whose parent was
 *   taken out, or a name of the package bound to another module).
 * - `from A import n` (and `from . import n`): when `A` is a package and `n` is not an attribute
 *   of it, `A.n` is imported if it is a module; then `n` is read from `A`, falling back to
 *   `sys.modules["A.n"]`. If `A` is still executing and binds `n` only later, this raises
 *   `ImportError: cannot import name 'n' from partially initialized module 'A' (most likely
 *   due to a circular import) (<file>)`. Names are tracked with what they are bound to (a
 *   module, or another object), since `a.b` may be rebound by `from a.x import b`.
 * - literal `importlib.import_module("x")` / `__import__("x")` at module scope import `x`.
 * - a failure removes from `sys.modules` every module whose execution it interrupts; the next
 *   root imported runs them again (as a second `import` in the same interpreter would).
 *
 * Bindings: `def`, `class` (bound when its body ends), assignments (`moduleCode` reads them from
 * the statements when given), `for` targets, import statements, submodules bound on their parent.
 * A module that is not in the repository (stdlib, third-party) imports without running any of
 * the repository's code and binds whatever is asked of it.
 *
 * Conservative choices, so that a reported failure is certain:
 * - a name bound anywhere at module scope under a condition (`if`, `try`, `for`...) counts as
 *   bound once its statement is passed; a `from x import *` or a module-level `__getattr__`
 *   passed already makes every name of the module count as bound;
 * - a module that finished executing is taken to bind every name asked of it (other ways of
 *   binding, such as `globals()[...] =`, are not seen; an ImportError from a complete module is
 *   not a circular import anyway);
 * - imports under `if`/`for`/`while`/`match` are executed (so they take part in the order) but
 *   a failure with such an import on the stack is `uncertain`, and so is one with an import in
 *   a `try` body on the stack (an `except` may catch it); an uncertain failure ends the run,
 *   since what follows depends on it. `except` bodies are not executed. `with`, class bodies,
 *   `try: else/finally`, `if not TYPE_CHECKING` and the `else` of `if TYPE_CHECKING` count as
 *   certain.
 *
 * Not modelled (limitations): attribute access on a partially initialised module (`import a`
 * then `a.f()` at module scope raises AttributeError when `a` is still executing), names that
 * `from x import *` copies from a partial module, module-scope calls of functions that import
 * (the startup graph follows them; the simulation does not), PEP 562 `__getattr__` bodies,
 * `sys.modules` edits and import hooks, threads, `.pyi` stubs (never executed).
 */
import type { ExecutionContext, PyFileFacts, PyImportCall } from "../python/types";
import { includeCallees, resolveCallName } from "./edges";
import { resolveRelative } from "../python/modules";
import { assignedNames, type Statement } from "../python/statements";

/** How surely a statement runs when its module is imported. */
export type Certainty = "certain" | "conditional" | "guarded";

export type Step =
  | {
      t: "bind";
      line: number;
      /** Names bound (to objects that are not modules); `all` for a module `__getattr__` (every name counts as bound after it). */
      names: readonly string[];
      all?: boolean;
    }
  | {
      t: "import";
      line: number;
      /**
       * `import` (`import a.b` binds `a`; `import a.b as c` reads `b` from `a` and binds `c`),
       * `from` (reads names from the module), `call` (a literal `import_module`, binds nothing).
       */
      kind: "import" | "from" | "call";
      /** The absolute module imported (for `from . import b` in package `p`: `p`). */
      target: string;
      /** For `from`: the names read from `target` and the names they are bound to (empty for a star import); for `import ... as c`: one entry, `c`. */
      names: readonly { name: string; as: string }[];
      star: boolean;
      certainty: Certainty;
    };

/** A repository module's code as the simulation runs it: its module-scope steps in execution order. */
export interface ModuleCode {
  file: string;
  isPackage: boolean;
  steps: readonly Step[];
  /** Literal `__all__` (for `from pkg import *`). */
  all: readonly string[] | null;
  /**
   * False when the steps hold only the imports (the names definitions and assignments bind are
   * not known): a lookup of a name not bound by an import then counts as failing, and the run
   * lists the module in `consulted` (see `simulateRepository`).
   */
  complete?: boolean;
}

export interface ImportWorld {
  /** The code of a repository module; null when the repository holds no such module (it imports without running repository code). */
  code(module: string): ModuleCode | null;
  /**
   * True when the steps hold every binding of every module (generated code): a name a complete
   * module does not bind then raises too (`cannot import name 'n' from 'A'`). Otherwise a
   * complete module is taken to bind whatever is asked of it.
   */
  exhaustive?: boolean;
}

export interface StackLink {
  module: string;
  file: string | null;
  /** Line of the statement in the previous link's module that imported this one (null for a root). */
  line: number | null;
}

export interface ImportFailure {
  exception: "ImportError";
  /** CPython's message. */
  message: string;
  /** Whether the module the name is read from was still executing (a circular import). */
  circular: boolean;
  /** The root whose import raised, and its index in the roots given. */
  root: string;
  rootIndex: number;
  /** The failing statement: the module executing it, its file and line. */
  module: string;
  file: string;
  line: number;
  /** The module the name is read from, and the name it does not bind (yet). */
  from: string;
  name: string;
  /** The modules executing when it raised, from the root to `module` (each with the line that imported it). */
  stack: StackLink[];
}

export interface UncertainStop {
  root: string;
  file: string;
  line: number;
  why: string;
  /** The failure it would be if every statement on the stack ran (and nothing caught it). */
  failure: ImportFailure;
}

export interface ImportRun {
  /** Certain failures, in order (one per root at most: a failure ends that root's import). */
  failures: ImportFailure[];
  /** Set when the run stopped at a failure that is not certain (see the header). */
  uncertain: UncertainStop | null;
  /** Who first imported each module (the module executing the import and the line; null for a root), in first-import order. */
  firstImport: Map<string, { by: string | null; line: number | null; root: string }>;
  /** Modules whose code is not `complete` and whose unknown bindings decided a lookup. */
  consulted: Set<string>;
}

interface ModState {
  name: string;
  code: ModuleCode | null;
  running: boolean;
  /** Names bound so far: to a module (its name) or to another object (null). */
  attrs: Map<string, string | null>;
  /** Every name counts as bound (a star import or `__getattr__` ran). */
  all: boolean;
}

type Op =
  | { o: "load"; name: string }
  | { o: "self"; name: string }
  | { o: "fromlist"; pkg: string; name: string }
  /** `from X import name as bind` (IMPORT_FROM, then the binding). */
  | { o: "from"; from: string; name: string; bind: string }
  /** `import a.b.c as bind`: `b` read from `a`, then `c` from that. */
  | { o: "walk"; parts: readonly string[]; bind: string }
  | { o: "bind"; names: readonly string[]; module: string | null; all: boolean };

interface Frame {
  /** null: the synthetic frame importing a root. */
  state: ModState | null;
  step: number;
  ops: Op[];
  op: number;
  /** Line and certainty of the step being executed. */
  line: number;
  certainty: Certainty;
}

function parentOf(name: string): string | null {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? null : name.slice(0, dot);
}

/** The message CPython 3.11 gives for `from A import n` when `A` does not bind `n`. */
export function cannotImportMessage(name: string, from: string, file: string, partial: boolean): string {
  return partial
    ? `cannot import name '${name}' from partially initialized module '${from}' (most likely due to a circular import) (${file})`
    : `cannot import name '${name}' from '${from}' (${file})`;
}

/**
 * Imports `roots` in order into one interpreter (as `django.setup()` imports its roots, or as
 * successive `import` statements do), and reports each import that raises.
 * `stopAtFirst`: stop after the first failure (django.setup() does not survive one).
 */
export function simulateImports(world: ImportWorld, roots: readonly string[], opts: { stopAtFirst?: boolean } = {}): ImportRun {
  const modules = new Map<string, ModState>();
  const codes = new Map<string, ModuleCode | null>();
  const codeOf = (name: string): ModuleCode | null => {
    let c = codes.get(name);
    if (c === undefined) {
      c = world.code(name);
      codes.set(name, c);
    }
    return c;
  };
  const run: ImportRun = { failures: [], uncertain: null, firstImport: new Map(), consulted: new Set() };
  const hasAttr = (st: ModState, n: string): boolean => {
    if (st.code === null || st.all || st.attrs.has(n)) return true;
    if (st.code.complete === false) run.consulted.add(st.name);
    return false;
  };
  /**
   * What `getattr(module, n)` with the sys.modules fallback of IMPORT_FROM gives: a module's
   * name, null for another object, undefined when it raises (or, for a complete module of a
   * world that is not exhaustive, an unknown object: null).
   */
  const lookup = (st: ModState, n: string): string | null | undefined => {
    const v = st.attrs.get(n);
    if (v !== undefined) return v;
    const sub = `${st.name}.${n}`;
    if (modules.has(sub)) return sub;
    if (!st.running && !world.exhaustive) return null;
    return hasAttr(st, n) ? null : undefined;
  };

  for (let rootIndex = 0; rootIndex < roots.length; rootIndex++) {
    const root = roots[rootIndex];
    const stack: Frame[] = [{ state: null, step: 0, ops: [{ o: "load", name: root }], op: 0, line: 0, certainty: "certain" }];
    let failed = false;
    const fail = (from: ModState, name: string): boolean => {
      const failure = failureOf(stack, root, rootIndex, from, name);
      const unsure = stack.find((x) => x.state !== null && x.certainty !== "certain");
      if (from.code?.complete === false) {
        const file = from.code.file;
        run.uncertain = { root, file, line: 0, why: `the names ${file} binds are not all known (its facts or statements could not be read)`, failure };
        return true;
      }
      if (unsure !== undefined) {
        run.uncertain = {
          root,
          file: unsure.state?.code?.file ?? "",
          line: unsure.line,
          why: unsure.certainty === "guarded" ? "an import in a try body is on the import stack (an except clause may catch the error)" : "an import that runs only under a condition is on the import stack",
          failure,
        };
        return true;
      }
      run.failures.push(failure);
      // The exception unwinds every executing module: each leaves sys.modules.
      for (const x of stack) if (x.state !== null) modules.delete(x.state.name);
      failed = true;
      return opts.stopAtFirst === true;
    };
    while (stack.length > 0 && !failed) {
      const f = stack[stack.length - 1];
      if (f.op >= f.ops.length) {
        // The current step is done: next step, or the module is done.
        const code = f.state?.code;
        if (f.state === null || code === undefined || code === null || f.step >= code.steps.length) {
          stack.pop();
          if (f.state !== null) finish(f.state);
          continue;
        }
        const step = code.steps[f.step++];
        f.line = step.line;
        f.op = 0;
        f.ops = step.t === "bind" ? [{ o: "bind", names: step.names, module: null, all: step.all === true }] : opsOf(step);
        f.certainty = step.t === "bind" ? "certain" : step.certainty;
        continue;
      }
      const op = f.ops[f.op++];
      switch (op.o) {
        case "load": {
          if (modules.has(op.name)) break;
          const parent = parentOf(op.name);
          const more: Op[] = parent !== null && !modules.has(parent) ? [{ o: "load", name: parent }, { o: "self", name: op.name }] : [{ o: "self", name: op.name }];
          f.ops.splice(f.op, 0, ...more);
          break;
        }
        case "self": {
          if (modules.has(op.name)) break;
          const code = codeOf(op.name);
          const st: ModState = { name: op.name, code, running: code !== null, attrs: new Map(), all: false };
          modules.set(op.name, st);
          const by = f.state?.name ?? null;
          run.firstImport.delete(op.name);
          run.firstImport.set(op.name, { by, line: by === null ? null : f.line, root });
          if (code === null) finish(st);
          else stack.push({ state: st, step: 0, ops: [], op: 0, line: 0, certainty: "certain" });
          break;
        }
        case "fromlist": {
          const pkg = modules.get(op.pkg);
          // CPython imports `pkg.name` only for a package (it has `__path__`); a module outside the
          // repository with a repository submodule is a namespace package.
          if (pkg === undefined || (pkg.code !== null && !pkg.code.isPackage)) break;
          const sub = `${op.pkg}.${op.name}`;
          if (modules.has(sub) || codeOf(sub) === null) break;
          if (pkg.code === null ? pkg.attrs.has(op.name) : hasAttr(pkg, op.name)) break;
          f.ops.splice(f.op, 0, { o: "load", name: sub });
          break;
        }
        case "from": {
          const from = modules.get(op.from);
          if (from === undefined) break;
          const v = lookup(from, op.name);
          if (v === undefined) {
            if (fail(from, op.name)) return run;
            break;
          }
          f.state?.attrs.set(op.bind, v);
          break;
        }
        case "walk": {
          let cur: string | null = op.parts[0];
          for (let i = 1; i < op.parts.length && cur !== null; i++) {
            const st = modules.get(cur);
            if (st === undefined) {
              cur = null;
              break;
            }
            const v = lookup(st, op.parts[i]);
            if (v === undefined) {
              if (fail(st, op.parts[i])) return run;
              break;
            }
            // An object that is not a module: what it has is not modelled (taken to succeed).
            cur = v;
          }
          if (!failed) f.state?.attrs.set(op.bind, cur);
          break;
        }
        case "bind": {
          const st = f.state;
          if (st === null) break;
          for (const n of op.names) st.attrs.set(n, op.module);
          if (op.all) st.all = true;
          break;
        }
      }
    }
  }
  return run;

  function finish(st: ModState): void {
    st.running = false;
    const parent = parentOf(st.name);
    const p = parent === null ? undefined : modules.get(parent);
    if (p !== undefined) p.attrs.set(st.name.slice((parent as string).length + 1), st.name);
  }

  function opsOf(step: Extract<Step, { t: "import" }>): Op[] {
    const ops: Op[] = [{ o: "load", name: step.target }];
    const dot = step.target.indexOf(".");
    const top = dot < 0 ? step.target : step.target.slice(0, dot);
    if (step.kind === "import") {
      // `import a.b` then asks for the top-level package (a failure may have taken it out of sys.modules).
      if (dot >= 0) ops.push({ o: "load", name: top });
      if (step.names.length === 0) ops.push({ o: "bind", names: [top], module: top, all: false });
      else if (dot < 0) ops.push({ o: "bind", names: [step.names[0].as], module: top, all: false });
      else ops.push({ o: "walk", parts: step.target.split("."), bind: step.names[0].as });
    } else if (step.kind === "from") {
      if (step.star) {
        const all = codeOf(step.target)?.all ?? [];
        for (const n of all) ops.push({ o: "fromlist", pkg: step.target, name: n });
        ops.push({ o: "bind", names: [], module: null, all: true });
      }
      for (const n of step.names) ops.push({ o: "fromlist", pkg: step.target, name: n.name });
      for (const n of step.names) ops.push({ o: "from", from: step.target, name: n.name, bind: n.as });
    }
    return ops;
  }

  function failureOf(stack: Frame[], root: string, rootIndex: number, from: ModState, name: string): ImportFailure {
    const links: StackLink[] = [];
    let line: number | null = null;
    for (const x of stack) {
      if (x.state === null) continue;
      links.push({ module: x.state.name, file: x.state.code?.file ?? null, line });
      line = x.line;
    }
    const top = stack[stack.length - 1];
    const file = top.state?.code?.file ?? "";
    const fromFile = from.code?.file ?? "unknown location";
    return {
      exception: "ImportError",
      message: cannotImportMessage(name, from.name, fromFile, from.running),
      circular: from.running,
      root,
      rootIndex,
      module: top.state?.name ?? root,
      file,
      line: top.line,
      from: from.name,
      name,
      stack: links,
    };
  }
}

/** How surely a module-scope statement runs, from its frames (see the header). */
export function certaintyOf(ctx: ExecutionContext): Certainty | null {
  if (!ctx.atImport || ctx.kind === "import_error_fallback" || ctx.kind === "lazy") return null;
  let out: Certainty = "certain";
  for (const fr of ctx.frames) {
    if (fr.startsWith("try:except")) return null;
    if (fr === "try:body") out = "guarded";
    else if (out === "certain" && !(fr.startsWith("class:") || fr === "with" || fr === "try:else" || fr === "try:finally" || fr === "if:not_type_checking:body" || fr === "if:type_checking:else")) {
      out = "conditional";
    }
  }
  return out;
}

/** What `moduleCode` reads of a module's facts: its imports, and (for its bindings) its functions and classes. */
export type CodeFacts = Pick<PyFileFacts, "imports" | "importCalls" | "all"> & Partial<Pick<PyFileFacts, "functions" | "classes">>;

/**
 * A module's steps from its scanner facts and its statements (for the assignments at module
 * scope). Without its functions and classes, or without statements, the code is not
 * `complete`: the simulation then lists the module when its unknown bindings decide a lookup.
 */
export function moduleCode(module: string, file: string, isPackage: boolean, facts: CodeFacts, statements: readonly Statement[] | null): ModuleCode {
  const steps: (Step & { order: number })[] = [];
  // Same line: bindings first (a conservative tie: the name counts as bound).
  for (const imp of facts.imports) {
    const certainty = certaintyOf(imp.context);
    if (certainty === null) continue;
    const target = imp.level > 0 ? resolveRelative(module, isPackage, imp.level, imp.module) : imp.module;
    if (target === null || target === "") continue;
    const names = imp.kind === "from" ? (imp.star ? [] : imp.names.map((n) => ({ name: n.name, as: n.asname ?? n.name }))) : imp.names[0].asname === null ? [] : [{ name: imp.module, as: imp.names[0].asname }];
    steps.push({ t: "import", line: imp.line, kind: imp.kind, target, names, star: imp.star, certainty, order: imp.line * 2 + 1 });
  }
  for (const call of facts.importCalls) {
    const certainty = certaintyOf(call.context);
    if (certainty === null) continue;
    const target = resolveCallName(call.module, call.package, module, isPackage);
    if (target === null || target === "") continue;
    steps.push({ t: "import", line: call.line, kind: "call", target, names: [], star: false, certainty, order: call.line * 2 + 1 });
  }
  for (const fn of facts.functions ?? []) {
    if (fn.context.scope !== "" || certaintyOf(fn.context) === null) continue;
    const getattr = fn.name === "__getattr__";
    steps.push({ t: "bind", line: fn.line, names: [fn.name], all: getattr, order: fn.line * 2 });
  }
  for (const c of facts.classes ?? []) {
    if (c.context.scope !== "" || certaintyOf(c.context) === null) continue;
    // A class is bound when its body has run (imports in the body run before).
    steps.push({ t: "bind", line: c.endLine, names: [c.name], order: c.endLine * 2 + 1.5 });
  }
  if (statements !== null) {
    const loops = new Set<unknown>();
    for (const st of statements) {
      if (!st.moduleLevel) continue;
      const names = [...assignedNames([st])];
      if (st.loop !== undefined && !loops.has(st.loop)) {
        loops.add(st.loop);
        const targets = st.loop.target.filter((t) => t.k === "name").map((t) => t.v);
        if (targets.length > 0) steps.push({ t: "bind", line: st.loop.line, names: targets, order: st.loop.line * 2 });
      }
      if (names.length > 0) steps.push({ t: "bind", line: st.line, names, order: st.line * 2 });
    }
  }
  steps.sort((a, b) => a.order - b.order);
  const complete = facts.functions !== undefined && facts.classes !== undefined && statements !== null;
  return { file, isPackage, steps: steps.map(({ order: _order, ...s }) => s as Step), all: facts.all === null || facts.all.dynamic ? null : facts.all.names, complete };
}

/** The module-scope calls of Django's `include` in a module (none without an import of it). */
function moduleScopeIncludes(module: string, isPackage: boolean, facts: Pick<PyFileFacts, "imports" | "calls">): PyFileFacts["calls"] {
  const callees = includeCallees(facts, module, isPackage);
  return callees.size === 0 ? [] : facts.calls.filter((c) => callees.has(c.callee) && certaintyOf(c.context) !== null);
}

const DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

/**
 * Django's `include("app.urls")` calls at module scope (a URLconf building its `urlpatterns`),
 * as the literal `import_module` calls they are: `include()` imports the module named by its
 * string argument (alone, or first in a tuple) when the call runs. Read from the statements'
 * tokens at each call's line; a call whose argument is not a literal names no module here (the
 * startup graph lists it as unresolved).
 */
export function includeImportCalls(module: string, isPackage: boolean, facts: Pick<PyFileFacts, "imports" | "calls">, statements: readonly Statement[] | null): PyImportCall[] {
  const calls = moduleScopeIncludes(module, isPackage, facts);
  if (calls.length === 0 || statements === null) return [];
  const callees = new Set(calls.map((c) => c.callee));
  const lines = new Set(calls.map((c) => c.line));
  const found = new Map<string, string[]>();
  for (const st of statements) {
    if (!st.moduleLevel) continue;
    const t = st.toks;
    for (let i = 0; i < t.length; i++) {
      if (t[i].k !== "name" || !lines.has(t[i].line) || t[i - 1]?.v === ".") continue;
      // The dotted callee, then `(`, an optional `(` (a tuple), a plain string, then `)` or `,`.
      let j = i;
      let callee = t[j].v;
      while (t[j + 1]?.v === "." && t[j + 2]?.k === "name") {
        callee += `.${t[j + 2].v}`;
        j += 2;
      }
      if (!callees.has(callee) || t[j + 1]?.v !== "(") continue;
      let k = j + 2;
      if (t[k]?.v === "(") k++;
      const arg = t[k];
      if (arg?.k !== "str" || typeof arg.s !== "string" || !DOTTED.test(arg.s) || (t[k + 1]?.v !== ")" && t[k + 1]?.v !== ",")) continue;
      const key = `${t[i].line}\0${callee}`;
      found.set(key, [...(found.get(key) ?? []), arg.s]);
    }
  }
  const out: PyImportCall[] = [];
  const used = new Map<string, number>();
  for (const c of calls) {
    // The calls of one callee on one line, in order, take that line's literals in order.
    const key = `${c.line}\0${c.callee}`;
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    const target = found.get(key)?.[n];
    if (target !== undefined) out.push({ func: "import_module", line: c.line, module: target, package: null, context: c.context });
  }
  return out;
}

/** Where the simulation finds a module's facts and statements. */
export interface CodeSource {
  /** The repository file of `module` (a package's `__init__.py`), or null. */
  fileOf(module: string): string | null;
  /** A file's facts. */
  facts(file: string): PyFileFacts | undefined;
  /** Only its imports (cheaper to read, when the source has them apart). */
  importFacts?(file: string): CodeFacts | undefined;
  /** The file's statements (for its assignments), or null when unreadable. */
  statements(file: string): Promise<readonly Statement[] | null>;
}

/**
 * `simulateImports` over a repository. The order in which modules are imported depends on
 * their bindings only where a lookup consults them (a failure, or whether `from pkg import x`
 * imports the submodule `pkg.x`), so a first run reads only the modules' imports; each module
 * whose unknown bindings a lookup consulted is then read in full (facts and statements) and the
 * run is redone, until no lookup consults an unread module. A module the run executes that
 * calls Django's `include()` at module scope is read in full too (its calls' arguments name
 * the URLconfs they import: `includeImportCalls`). The result is the one a run over every
 * module read in full gives; each round reads at least one more file.
 */
export async function simulateRepository(src: CodeSource, roots: readonly string[], opts: { stopAtFirst?: boolean } = {}): Promise<ImportRun> {
  const full = new Map<string, readonly Statement[] | null>();
  const cache = new Map<string, ModuleCode | null>();
  // Modules calling include() at module scope whose statements (the calls' arguments) are not read yet.
  const pending = new Set<string>();
  const world: ImportWorld = {
    code(module) {
      let c = cache.get(module);
      if (c !== undefined) return c;
      const file = src.fileOf(module);
      c = null;
      if (file !== null && !file.endsWith(".pyi")) {
        const isPackage = file === "__init__.py" || file.endsWith("/__init__.py");
        const statements = full.get(file);
        let facts: CodeFacts | undefined = statements !== undefined || src.importFacts === undefined ? src.facts(file) : src.importFacts(file);
        // Django's include("app.urls") at module scope imports too: such a module is read in full.
        if (facts !== undefined && includeCallees(facts, module, isPackage).size > 0) {
          const all = statements !== undefined ? (facts as PyFileFacts) : src.facts(file);
          if (all !== undefined && statements === undefined && moduleScopeIncludes(module, isPackage, all).length > 0) pending.add(module);
          else if (all !== undefined && statements !== undefined) {
            const extra = includeImportCalls(module, isPackage, all, statements);
            if (extra.length > 0) facts = { ...facts, importCalls: [...facts.importCalls, ...extra] };
          }
        }
        if (facts !== undefined) c = moduleCode(module, file, isPackage, facts, statements ?? null);
      }
      cache.set(module, c);
      return c;
    },
  };
  for (;;) {
    const run = simulateImports(world, roots, opts);
    const unread = [...new Set([...run.consulted, ...pending])].filter((m) => {
      const f = src.fileOf(m);
      return f !== null && !full.has(f);
    });
    pending.clear();
    if (unread.length === 0) return run;
    for (const m of unread) {
      const file = src.fileOf(m) as string;
      full.set(file, await src.statements(file));
      cache.delete(m);
    }
  }
}

/** An `ImportRun` as plain JSON (for the cache). */
export function encodeRun(run: ImportRun): unknown {
  return { v: 1, failures: run.failures, uncertain: run.uncertain, firstImport: [...run.firstImport], consulted: [...run.consulted] };
}

/** `encodeRun`'s output back, or null when `data` is not that (a cache entry of another shape). */
export function decodeRun(data: unknown): ImportRun | null {
  const d = data as { v?: unknown; failures?: unknown; uncertain?: unknown; firstImport?: unknown; consulted?: unknown } | null;
  if (d === null || typeof d !== "object" || d.v !== 1 || !Array.isArray(d.failures) || !Array.isArray(d.firstImport) || !Array.isArray(d.consulted)) return null;
  if (d.uncertain !== null && typeof d.uncertain !== "object") return null;
  const ok = d.firstImport.every((e: unknown) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "object" && e[1] !== null);
  const failures = d.failures.every((f: unknown) => typeof f === "object" && f !== null && Array.isArray((f as ImportFailure).stack) && typeof (f as ImportFailure).file === "string");
  if (!ok || !failures) return null;
  return {
    failures: d.failures as ImportFailure[],
    uncertain: d.uncertain as UncertainStop | null,
    firstImport: new Map(d.firstImport as [string, { by: string | null; line: number | null; root: string }][]),
    consulted: new Set(d.consulted as string[]),
  };
}
