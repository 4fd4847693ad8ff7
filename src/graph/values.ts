/**
 * The literal values a module binds at module level, read statically: assignments
 * (plain, annotated, chained), `+=`, list methods (`.append/.extend/.insert/.remove`, and
 * the reordering ones), `NAME[key] = value` on dicts and slices of lists, `del`, and names
 * brought in by `from m import *` / `from m import a as b` from other modules of the
 * repository (read the same way). Nothing is executed.
 *
 * Statements under a module-level `if`/`try`/`with` are applied too (the reader cannot know
 * the condition): a binding remembers that it is conditional, and a conditional plain
 * assignment to a list keeps what the list held before as well (either may be the value at
 * run time). A module-level `for` loop over a known sequence runs its body once per item
 * with the loop variable bound (a loop over anything else runs it once, the variable
 * unknown). What the reader cannot follow stays in the value as an `unknown` item with its
 * file:line instead of replacing the list:
 * - a list handed to a function of unknown effect (`update_dashboards(..., INSTALLED_APPS)`);
 * - writes to the namespace it cannot see (`globals()[k] = v`, `globals().update(...)`,
 *   `exec(...)`, `globals()` handed to a call), recorded in `dynamic` and added to every list.
 * django-split-settings `include("a.py", "components/*.py", optional("local.py"))` reads the
 * files in order into the same namespace, as `split_settings.tools.include` executes them
 * (patterns relative to the including file, each file at most once).
 * Class bodies are read separately (`classAttributes`), for `AppConfig.name` and `default`.
 * In an import cycle a module sees the other, as Python does, partially initialised: with
 * what it had bound when the cycle came back to it (a name not bound yet is unknown).
 */
import { reading } from "../core/stall";
import type { ModuleIndex } from "../python/module-index";
import { resolveRelative } from "../python/modules";
import { evaluate, type Scope, type Value } from "./literal";
import { closer, splitTop, type LoopHeader, type Statement, type Tok } from "../python/statements";
import { pushAll } from "../core/arrays";

export interface Binding {
  value: Value;
  /** File whose statement made the binding last. */
  file: string;
  line: number;
  /** Some statement that made or changed it runs only under a condition. */
  conditional: boolean;
}

/** A statement at file:line, and what it does that the reader cannot follow or had to assume. */
export interface Site {
  file: string;
  line: number;
  why: string;
}

export interface ModuleValues {
  module: string;
  file: string;
  bindings: Map<string, Binding>;
  /** `from x import *` of modules outside the repository: any name may come from them. */
  opaqueStars: { module: string; line: number }[];
  /** Statements that may write any name of the namespace (`globals()[k] = v`, `exec(...)`), in order. */
  dynamic: Site[];
  /** What the module does that fails or cannot be read (a missing include() file). */
  problems: Site[];
  /** Assumptions made while reading (the order of files a glob matched). */
  notes: string[];
}

export interface ValueSource {
  index: ModuleIndex;
  statements(path: string): Promise<Statement[] | null>;
  /** `__all__` of a module, when literal. */
  allOf(path: string): string[] | null;
}

/** One module's evaluation: its namespace and what the statements of its files share. */
interface Run {
  module: string;
  isPackage: boolean;
  out: ModuleValues;
  scope: Scope;
  /** Modules read for `getattr(module, ...)`. */
  modules: Map<string, ModuleValues | null>;
  /** Names bound to django-split-settings' `include` and `optional`. */
  include: Set<string>;
  optional: Set<string>;
  /** Files executed in this namespace (the module's own and those include() read). */
  included: Set<string>;
  depth: number;
}

/** At most this many items of a `for` loop's sequence are run one by one. */
const MAX_UNROLL = 256;
/** include() nesting deeper than this is reported, not followed. */
const MAX_INCLUDE_DEPTH = 32;

/** A module whose values are being read: what it has bound so far, and the module whose values it awaits. */
interface Reading {
  values: ModuleValues;
  awaits: string | null;
}

export class ValueReader {
  private readonly done = new Map<string, Promise<ModuleValues | null>>();
  private readonly inProgress = new Map<string, Reading>();

  constructor(private readonly src: ValueSource) {}

  /** The module-level bindings of a first-party module, or null when it is not in the repository. */
  read(module: string): Promise<ModuleValues | null> {
    return this.readFor(module, null);
  }

  /**
   * `module`'s values as the read of `reader` sees them. When `module`'s read waits, through
   * the modules each read awaits, for `reader`'s own, this is an import cycle: as in Python,
   * `reader` sees the partially initialised module with what it has bound so far (awaiting
   * its promise would wait on itself, and the event loop would empty). Python's import lock
   * detects the same deadlock the same way.
   */
  private readFor(module: string, reader: string | null): Promise<ModuleValues | null> {
    const open = this.inProgress.get(module);
    if (open !== undefined && reader !== null && this.waitsFor(module, reader)) return Promise.resolve(open.values);
    let p = this.done.get(module);
    if (p === undefined) {
      p = this.evaluate(module).finally(() => this.inProgress.delete(module));
      this.done.set(module, p);
    }
    return p;
  }

  private waitsFor(module: string, reader: string): boolean {
    let m: string | null = module;
    for (let steps = 0; m !== null && steps <= this.inProgress.size; steps++) {
      if (m === reader) return true;
      m = this.inProgress.get(m)?.awaits ?? null;
    }
    return false;
  }

  /** `target`'s values for the module `run` evaluates, which waits for them meanwhile; `partial` when it is in a cycle with it. */
  private async readFrom(run: Run, target: string): Promise<{ values: ModuleValues | null; partial: boolean }> {
    const self = this.inProgress.get(run.module);
    if (self !== undefined) self.awaits = target;
    const values = await this.readFor(target, run.module);
    if (self !== undefined) self.awaits = null;
    reading(run.module);
    return { values, partial: values !== null && this.inProgress.get(target)?.values === values };
  }

  private async evaluate(module: string): Promise<ModuleValues | null> {
    const entry = this.src.index.resolve(module);
    if (entry === null || entry.file === null) return null;
    const file = entry.file;
    const out: ModuleValues = { module, file, bindings: new Map(), opaqueStars: [], dynamic: [], problems: [], notes: [] };
    this.inProgress.set(module, { values: out, awaits: null }); // until read() settles
    reading(module);
    const stmts = await this.src.statements(file);
    if (stmts === null) return out;
    const b = out.bindings;
    const modules = new Map<string, ModuleValues | null>();
    const optional = new Set<string>();
    const scope: Scope = Object.assign((name: string) => b.get(name)?.value, {
      attr: (m: string, n: string) => {
        const mv = m === module ? out : modules.get(m);
        return mv === undefined || mv === null ? undefined : (mv.bindings.get(n)?.value ?? null);
      },
      call: (fn: string, args: Tok[][]) => {
        if (!optional.has(fn) || args.length !== 1) return undefined;
        const v = evaluate(args[0], scope);
        return v.t === "str" ? { ...v, optionalFile: true } : undefined;
      },
    });
    const run: Run = { module, isPackage: entry.isPackage, out, scope, modules, include: new Set(), optional, included: new Set([file]), depth: 0 };
    await this.run(run, stmts, file, false);
    return out;
  }

  /** Runs module-level statements of `file` in the namespace of `run`; the body of a `for` loop once per item. */
  private async run(run: Run, stmts: Statement[], file: string, inLoop: boolean): Promise<void> {
    for (let i = 0; i < stmts.length; ) {
      const st = stmts[i];
      if (!inLoop && st.loop !== undefined) {
        let j = i + 1;
        while (j < stmts.length && (stmts[j].loop === st.loop || !stmts[j].moduleLevel)) j++;
        await this.loop(run, st.loop, stmts.slice(i, j), file);
        i = j;
        continue;
      }
      if (st.moduleLevel) await this.statement(run, st, file);
      i++;
    }
  }

  private async loop(run: Run, header: LoopHeader, body: Statement[], file: string): Promise<void> {
    const target = header.target.length === 1 && header.target[0].k === "name" ? header.target[0].v : null;
    const iter = evaluate(header.iter, run.scope);
    const at = { line: header.line, conditional: true } as Statement;
    if (target !== null && iter.t === "seq" && iter.items.length <= MAX_UNROLL) {
      for (const item of iter.items) {
        this.bind(run, target, item, at, file, true);
        await this.run(run, body, file, true);
      }
      return;
    }
    const why = iter.t === "unknown" ? iter.why : iter.t === "seq" ? `a sequence of ${iter.items.length} items` : "not a sequence";
    for (const n of header.target) {
      if (n.k === "name") this.bind(run, n.v, unknownValue(`${n.v} is the variable of the loop at line ${header.line}, over ${why}`, header.line), at, file, true);
    }
    await this.run(run, body, file, true);
  }

  /** Binds `name` as the statement `st` does; a conditional plain assignment keeps the previous list too. */
  private bind(run: Run, name: string, value: Value, st: Pick<Statement, "line" | "conditional">, file: string, changed = false): void {
    const b = run.out.bindings;
    const prev = b.get(name);
    let v = stamp(value, file, st.line);
    if (st.conditional && !changed) {
      const before = prev?.value ?? this.dynamicValue(run, name);
      if (before !== undefined) v = either(before, v);
    }
    b.set(name, { value: v, file, line: st.line, conditional: st.conditional || (changed && prev !== undefined && prev.conditional) });
  }

  /** A write to the namespace the reader cannot see: every list may have changed there. */
  private dynamic(run: Run, site: Site): void {
    const { out } = run;
    if (!out.dynamic.some((d) => d.file === site.file && d.line === site.line)) out.dynamic.push(site);
    for (const [name, binding] of out.bindings) {
      if (binding.value.t === "seq") binding.value = withPart(binding.value, { ...unknownValue(`${name} may be changed by ${site.why}`, site.line), file: site.file });
    }
  }

  /** What an unbound name may hold after namespace writes the reader cannot see. */
  private dynamicValue(run: Run, name: string): Value | undefined {
    const last = run.out.dynamic[run.out.dynamic.length - 1];
    return last === undefined ? undefined : { ...unknownValue(`${name} may be set by ${last.why}`, last.line), file: last.file };
  }

  private async statement(run: Run, st: Statement, file: string): Promise<void> {
    const { out, scope } = run;
    const b = out.bindings;
    const t = st.toks;
    if (t[0].k === "name" && t[0].v === "from") {
      await this.fromImport(run, t, st, file);
      return;
    }
    if (t[0].k === "name" && t[0].v === "import") {
      this.importModules(run, t, st, file);
      return;
    }
    if (t[0].k === "name" && t[0].v === "del") {
      for (const part of splitTop(t.slice(1), ",")) if (part.length === 1) b.delete(part[0].v);
      return;
    }
    if (t[0].k === "name" && run.include.has(t[0].v) && t[1]?.v === "(" && closer(t, 1) === t.length - 1) {
      await this.include(run, t.slice(2, -1), st, file);
      return;
    }
    const dyn = dynamicWrite(t);
    if (dyn !== null) {
      this.dynamic(run, { file, line: st.line, why: dyn });
      return;
    }
    this.mutatingCalls(run, t, st, file);
    await this.loadModules(run, t);
    if (t.length >= 3 && t[0].k === "name" && t[1].k === "op" && t[1].v.length >= 2 && t[1].v.endsWith("=") && t[1].v !== "==") {
      const prev = b.get(t[0].v);
      const rhs = evaluate(t.slice(2), scope);
      let value: Value;
      if (t[1].v !== "+=" && t[1].v !== "|=") value = unknownValue(`\`${t[0].v} ${t[1].v} ...\` is not read`, st.line);
      else if (prev === undefined) value = unknownValue(`${t[0].v} is changed with ${t[1].v} before it is bound`, st.line);
      else value = t[1].v === "+=" ? plus(prev.value, rhs) : merge(prev.value, rhs);
      this.bind(run, t[0].v, value, st, file, true);
      return;
    }
    if (this.method(run, t, st, file)) return;
    const parts = splitTop(t, "=");
    if (parts.length < 2) return;
    const rhs = parts[parts.length - 1];
    const value = evaluate(rhs, scope);
    for (const target of parts.slice(0, -1)) {
      if (target.length === 1 && target[0].k === "name") this.bind(run, target[0].v, value, st, file);
      else if (target.length >= 2 && target[0].k === "name" && target[1].k === "op" && target[1].v === ":") this.bind(run, target[0].v, value, st, file);
      else if (target.length >= 4 && target[0].k === "name" && target[1].v === "[") this.subscript(run, target, value, st, file);
      else for (const n of target) if (n.k === "name" && b.has(n.v)) this.bind(run, n.v, unknownValue(`${n.v} is bound by unpacking`, st.line), st, file);
    }
  }

  /** `NAME.append(x)`, `.extend(xs)`, `.insert(i, x)`, `.remove(x)`, and the other list methods; `NAME[k].update(...)` is not read. */
  private method(run: Run, t: Tok[], st: Statement, file: string): boolean {
    if (!(t.length >= 5 && t[0].k === "name" && t[1].v === "." && t[2].k === "name" && t[3].v === "(" && closer(t, 3) === t.length - 1)) return false;
    const name = t[0].v;
    const method = t[2].v;
    const prev = run.out.bindings.get(name);
    const cur = prev?.value;
    if (cur === undefined || !(LIST_METHODS.has(method) || cur.t === "seq")) return LIST_METHODS.has(method);
    const args = splitTop(t.slice(4, -1), ",").filter((a) => a.length > 0);
    const arg = (i: number): Value => evaluate(args[i], run.scope);
    let value: Value;
    if (cur.t !== "seq") value = cur.t === "unknown" ? cur : unknownValue(`${name}.${method}() on a value that is not a list`, st.line);
    else if (method === "append" && args.length === 1) value = { ...cur, items: [...cur.items, arg(0)] };
    else if (method === "extend" && args.length === 1) value = plus(cur, arg(0));
    else if (method === "insert" && args.length === 2) value = { ...cur, items: [arg(1), ...cur.items] };
    else if (method === "remove" && args.length === 1) {
      const gone = arg(0);
      // Under a condition the item may stay.
      value = gone.t === "str" && !st.conditional ? { ...cur, items: cur.items.filter((i) => !(i.t === "str" && i.v === gone.v)) } : cur;
    } else if (method === "sort" || method === "reverse" || method === "copy" || method === "index" || method === "count" || method === "pop") {
      // Order only, or nothing; `pop` drops one item, which stays counted (membership is what matters).
      value = method === "reverse" ? { ...cur, items: [...cur.items].reverse() } : cur;
    } else if (method === "clear") value = st.conditional ? cur : { ...cur, items: [] };
    else value = { ...cur, items: [...cur.items, unknownValue(`${name}.${method}(...) is not read`, st.line)] };
    this.bind(run, name, value, st, file, true);
    return true;
  }

  /** `NAME["a"]["b"] = value` on a dict binding; `NAME[i] = x` and `NAME[i:j] = xs` on a list. */
  private subscript(run: Run, target: Tok[], value: Value, st: Statement, file: string): void {
    const name = target[0].v;
    const prev = run.out.bindings.get(name);
    if (prev !== undefined && prev.value.t === "seq" && closer(target, 1) === target.length - 1) {
      const index = target.slice(2, -1);
      const slice = splitTop(index, ":").length > 1;
      const added = slice ? (value.t === "seq" ? value.items : [value.t === "unknown" ? value : unknownValue(`${name}[...] is assigned a value that is not a list`, st.line)]) : [value];
      // `NAME[0:0] = xs` puts xs first; any other index or slice: the new items are counted (what they replace stays counted).
      const front = index.length === 3 && index[0].v === "0" && index[1].v === ":" && index[2].v === "0";
      const items = front ? [...added, ...prev.value.items] : [...prev.value.items, ...added];
      return this.bind(run, name, { ...prev.value, items }, st, file, true);
    }
    if (prev === undefined || prev.value.t !== "dict") return;
    const keys: string[] = [];
    let i = 1;
    while (i < target.length && target[i].v === "[" && closer(target, i) > i) {
      const close = closer(target, i);
      const k = evaluate(target.slice(i + 1, close), run.scope);
      if (k.t !== "str") return this.bind(run, name, unknownValue(`${name}[...] is assigned with a key that is not a string literal`, st.line), st, file, true);
      keys.push(k.v);
      i = close + 1;
    }
    if (i !== target.length) return;
    this.bind(run, name, setPath(prev.value, keys, value), st, file, true);
  }

  /**
   * A list handed to a call whose effect is not known may be changed by it
   * (`update_dashboards(..., INSTALLED_APPS)` appends to it): the list keeps its items plus
   * an unknown part from that call.
   */
  private mutatingCalls(run: Run, t: Tok[], st: Statement, file: string): void {
    const b = run.out.bindings;
    for (let k = 1; k < t.length; k++) {
      if (t[k].v !== "(" || t[k].k !== "op" || t[k - 1].k !== "name") continue;
      const fn = calleeName(t, k - 1);
      if (PURE_CALLS.has(fn) || PURE_METHODS.has(fn.slice(fn.lastIndexOf(".") + 1)) || run.include.has(fn) || run.optional.has(fn)) continue;
      const close = closer(t, k);
      if (close < 0) continue;
      for (const arg of splitTop(t.slice(k + 1, close), ",")) {
        const a = arg.length === 3 && arg[1].v === "=" ? arg.slice(2) : arg;
        if (a.length !== 1 || a[0].k !== "name") continue;
        const cur = b.get(a[0].v);
        if (cur === undefined || cur.value.t !== "seq") continue;
        const part = { ...unknownValue(`${a[0].v} is handed to ${fn}(), which may change it`, st.line), file };
        this.bind(run, a[0].v, withPart(cur.value, part), st, file, true);
      }
    }
  }

  /** `import a.b as c` binds c to the module a.b; `import a.b` binds a (read when `getattr` asks). */
  private importModules(run: Run, t: Tok[], st: Statement, file: string): void {
    for (const part of splitTop(t.slice(1), ",")) {
      const as = part.length >= 3 && part[part.length - 2].v === "as" ? part[part.length - 1].v : null;
      const dotted = (as !== null ? part.slice(0, -2) : part).map((x) => x.v).join("");
      if (!/^[\w.]+$/.test(dotted)) continue;
      const module = as !== null ? dotted : dotted.split(".")[0];
      const name = as ?? module;
      this.bind(run, name, unknownValue(`${name} is the module ${module}`, st.line, module), st, file);
    }
  }

  /** Reads the first-party modules `getattr(NAME, ...)` in this statement asks about. */
  private async loadModules(run: Run, t: Tok[]): Promise<void> {
    for (let k = 0; k + 3 < t.length; k++) {
      if (!(t[k].v === "getattr" && t[k + 1].v === "(" && t[k + 2].k === "name" && t[k + 3].v === ",")) continue;
      const v = run.out.bindings.get(t[k + 2].v)?.value;
      if (v?.t !== "unknown" || v.module === undefined || v.module === run.module || run.modules.has(v.module)) continue;
      run.modules.set(v.module, (await this.readFrom(run, v.module)).values);
    }
  }

  /** django-split-settings `include(...)`: each pattern's files, in order, run in this namespace. */
  private async include(run: Run, args: Tok[], st: Statement, file: string): Promise<void> {
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
    const patterns: Value[] = [];
    for (const part of splitTop(args, ",")) {
      if (part.length === 0 || (part.length >= 2 && part[0].k === "name" && part[1].v === "=")) continue; // scope=globals()
      if (part[0].v === "*") {
        const v = evaluate(part.slice(1), run.scope);
        patterns.push(...(v.t === "seq" ? v.items : [v]));
      } else patterns.push(evaluate(part, run.scope));
    }
    for (const pattern of patterns) {
      const optional = pattern.optionalFile === true;
      if (pattern.t !== "str") {
        this.dynamic(run, { file, line: st.line, why: `include() of a file the reader cannot name (${pattern.t === "unknown" ? pattern.why : "not a string"})` });
        continue;
      }
      const files = globFiles(this.src.index, dir, pattern.v);
      if (files === null) {
        if (optional) run.out.notes.push(`${file}:${st.line}: optional("${pattern.v}") is outside the repository, so nothing is read from it (a deployment may add it).`);
        else this.dynamic(run, { file, line: st.line, why: `include("${pattern.v}") of a file outside the repository` });
        continue;
      }
      if (files.length === 0) {
        if (optional) run.out.notes.push(`${file}:${st.line}: optional("${pattern.v}") matches no file in the repository, so nothing is read from it (a deployment may add it).`);
        else run.out.problems.push({ file, line: st.line, why: `include("${pattern.v}") matches no Python file in the repository (split_settings raises IOError)` });
        continue;
      }
      if (files.length > 1) run.out.notes.push(`${file}:${st.line}: include("${pattern.v}") matches ${files.length} files, read in sorted order (glob's order is the file system's).`);
      for (const f of files) {
        if (run.included.has(f)) continue;
        run.included.add(f);
        if (run.depth >= MAX_INCLUDE_DEPTH) {
          run.out.problems.push({ file, line: st.line, why: `include() nested more than ${MAX_INCLUDE_DEPTH} deep; ${f} is not read` });
          continue;
        }
        const stmts = await this.src.statements(f);
        if (stmts === null) {
          run.out.problems.push({ file, line: st.line, why: `${f} could not be read` });
          continue;
        }
        run.depth++;
        await this.run(run, stmts, f, false);
        run.depth--;
      }
    }
  }

  private async fromImport(run: Run, t: Tok[], st: Statement, file: string): Promise<void> {
    const { out } = run;
    let i = 1;
    let level = 0;
    while (i < t.length && t[i].k === "op" && (t[i].v === "." || t[i].v === "...")) level += t[i++].v.length;
    let name = "";
    while (i < t.length && !(t[i].k === "name" && t[i].v === "import")) name += t[i++].v;
    i++;
    const target = level > 0 ? resolveRelative(run.module, run.isPackage, level, name) : name;
    if (target === null || i > t.length) return;
    const names: [string, string][] = [];
    const star = t[i]?.v === "*";
    if (!star) {
      const rest = t.slice(i).filter((x) => x.v !== "(" && x.v !== ")");
      for (const part of splitTop(rest, ",")) {
        if (part.length === 1) names.push([part[0].v, part[0].v]);
        else if (part.length === 3 && part[1].v === "as") names.push([part[0].v, part[2].v]);
      }
    }
    if (target === "split_settings.tools" || target === "split_settings") {
      for (const [n, as] of names) {
        if (n === "include") run.include.add(as);
        else if (n === "optional") run.optional.add(as);
      }
    }
    const { values: other, partial } = await this.readFrom(run, target);
    const b = out.bindings;
    if (other === null) {
      if (star) out.opaqueStars.push({ module: target, line: st.line });
      for (const [n, as] of names) {
        const sub = `${target}.${n}`;
        const v = this.src.index.resolve(sub) !== null ? unknownValue(`${as} is the module ${sub}`, st.line, sub) : unknownValue(`${as} comes from ${target}, outside the repository`, st.line);
        this.bind(run, as, v, st, file);
      }
      return;
    }
    const copy = (as: string, v: Binding): void => {
      const prev = b.get(as);
      const before = st.conditional ? (prev?.value ?? this.dynamicValue(run, as)) : undefined;
      const value = before !== undefined ? either(before, v.value) : v.value;
      b.set(as, { ...v, value, conditional: v.conditional || st.conditional });
    };
    if (star) {
      pushAll(out.opaqueStars, other.opaqueStars);
      pushAll(out.dynamic, other.dynamic);
      const all = this.src.allOf(other.file);
      for (const [k, v] of other.bindings) {
        if (all !== null ? all.includes(k) : !k.startsWith("_")) copy(k, v);
      }
      return;
    }
    for (const [n, as] of names) {
      const v = other.bindings.get(n);
      const sub = `${target}.${n}`;
      if (v !== undefined) copy(as, v);
      else if (this.src.index.resolve(sub) !== null) this.bind(run, as, unknownValue(`${as} is the module ${sub}`, st.line, sub), st, file);
      else if (partial) {
        // Python: ImportError, unless a def or class bound it earlier (those are not values read here).
        const why = `${n} is not bound (as a value) in ${target} when this import runs: ${target} is partially initialised (an import cycle)`;
        this.bind(run, as, unknownValue(why, st.line), st, file);
      } else b.delete(as);
    }
  }
}

/** Calls that do not change a list handed to them. */
const PURE_CALLS = new Set(["list", "tuple", "set", "frozenset", "sorted", "reversed", "len", "print", "str", "repr", "isinstance", "issubclass", "any", "all", "enumerate", "zip", "map", "filter", "iter", "hasattr", "getattr", "min", "max", "sum", "bool", "id", "type", "hash", "dict", "dict.fromkeys", "format", "warnings.warn", "warn", "logging.info", "logging.debug", "logging.warning"]);
/** Methods that do not change their arguments (list, str, dict and os.path methods). */
const PURE_METHODS = new Set(["append", "extend", "insert", "index", "count", "copy", "join", "format", "get", "update", "setdefault", "remove", "startswith", "endswith", "exists", "isdir", "isfile", "debug", "info", "warning", "error"]);
const LIST_METHODS = new Set(["append", "extend", "insert", "remove", "sort", "reverse", "clear", "pop", "copy", "index", "count"]);

/** The dotted name of a callee ending at token `end` (`a.b.c`). */
function calleeName(t: Tok[], end: number): string {
  let fn = t[end].v;
  for (let j = end - 1; j >= 1 && t[j].v === "." && t[j - 1].k === "name"; j -= 2) fn = `${t[j - 1].v}.${fn}`;
  return fn;
}

const NAMESPACES = new Set(["globals", "vars", "locals"]);

/** What a statement does to the module namespace that the reader cannot see, or null. */
function dynamicWrite(t: Tok[]): string | null {
  if (t[0].k === "name" && (t[0].v === "exec" || t[0].v === "execfile") && t[1]?.v === "(") return `\`${t[0].v}(...)\``;
  for (let k = 0; k + 2 < t.length; k++) {
    if (!(t[k].k === "name" && NAMESPACES.has(t[k].v) && t[k + 1].v === "(" && t[k + 2].v === ")") || t[k - 1]?.v === ".") continue;
    const ns = `${t[k].v}()`;
    const next = t[k + 3];
    if (next?.v === "[") {
      const close = closer(t, k + 3);
      const after = t[close + 1];
      if (after !== undefined && after.k === "op" && after.v.endsWith("=") && after.v !== "==") return `\`${ns}[...] = ...\``;
      continue;
    }
    if (next?.v === ".") {
      const m = t[k + 4]?.v ?? "";
      if (["update", "setdefault", "__setitem__", "pop", "clear", "__delitem__"].includes(m)) return `\`${ns}.${m}(...)\``;
      continue;
    }
    // Read only: `"X" in globals()`, `f(**locals())`, `dict(globals())`.
    const before = t[k - 1];
    if (before !== undefined && (before.v === "in" || before.v === "**" || (before.v === "(" && k >= 2 && PURE_CALLS.has(calleeName(t, k - 2))))) continue;
    // Handed to a call, or aliased: whatever receives it may write any name.
    return `\`${ns}\` handed on`;
  }
  if (t[0].v === "setattr" && t[1]?.v === "(" && t.some((x) => x.v === "modules")) return `\`setattr(sys.modules[...], ...)\``;
  return null;
}

/**
 * The `.py` files a django-split-settings pattern names, relative to `dir`, sorted; null
 * when it leaves the repository. `*`, `?` and `[...]` match within one path segment as
 * `glob.glob` does (not a leading dot; `**` is `*`, glob is not recursive there).
 */
function globFiles(index: ModuleIndex, dir: string, pattern: string): string[] | null {
  if (pattern.startsWith("/")) return null;
  const segs: string[] = dir === "" ? [] : dir.split("/");
  for (const s of pattern.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") {
      if (segs.length === 0) return null;
      segs.pop();
    } else segs.push(s);
  }
  const wild = (s: string): boolean => /[*?[]/.test(s);
  if (!segs.some(wild)) {
    const p = segs.join("/");
    return index.hasFile(p) ? [p] : [];
  }
  const res = segs.map((s) => (wild(s) ? segmentRegex(s) : null));
  const out: string[] = [];
  for (const p of index.paths()) {
    const ps = p.split("/");
    if (ps.length !== segs.length) continue;
    if (ps.every((x, i) => (res[i] === null ? x === segs[i] : !x.startsWith(".") && (res[i] as RegExp).test(x)))) out.push(p);
  }
  return out.sort();
}

function segmentRegex(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = seg.slice(i + 1, end);
        re += body.startsWith("!") ? `[^${escapeClass(body.slice(1))}]` : `[${escapeClass(body)}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function escapeClass(s: string): string {
  return s.replace(/[\\\]^]/g, "\\$&");
}

/** Reads `name = ...` and `default = ...` style attributes of the top-level classes of a module. */
export function classAttributes(stmts: Statement[], module: ModuleValues | null): Map<string, Map<string, Value>> {
  const out = new Map<string, Map<string, Value>>();
  for (const st of stmts) {
    if (st.inClass === null) continue;
    let attrs = out.get(st.inClass);
    if (attrs === undefined) out.set(st.inClass, (attrs = new Map()));
    const own = attrs;
    const scope: Scope = (n) => own.get(n) ?? module?.bindings.get(n)?.value;
    const parts = splitTop(st.toks, "=");
    if (parts.length < 2) continue;
    const value = evaluate(parts[parts.length - 1], scope);
    for (const target of parts.slice(0, -1)) {
      if (target.length >= 1 && target[0].k === "name" && (target.length === 1 || target[1].v === ":")) own.set(target[0].v, value);
    }
  }
  return out;
}

function unknownValue(why: string, line: number, module?: string): Value {
  return module === undefined ? { t: "unknown", why, line } : { t: "unknown", why, line, module };
}

/** A list with an unknown part added, once (a loop body run per item adds the same part each time). */
function withPart(list: Value & { t: "seq" }, part: Value): Value {
  const same = (i: Value): boolean => i.t === "unknown" && i.file === part.file && i.line === part.line && part.t === "unknown" && i.why === part.why;
  return list.items.some(same) ? list : { ...list, items: [...list.items, part] };
}

/**
 * Either value (a statement under a condition may not have run): for lists, the items of
 * both (those of `b` not already in `a` follow); otherwise `b`, as the reader cannot say more.
 */
function either(a: Value, b: Value): Value {
  if (a.t === "seq" && b.t === "seq") {
    const key = (v: Value): string => (v.t === "str" ? `s${v.v}` : v.t === "unknown" ? `u${v.file}:${v.line}:${v.why}` : "");
    const seen = new Set(a.items.map(key));
    return { ...b, items: [...a.items, ...b.items.filter((i) => key(i) === "" || !seen.has(key(i)))] };
  }
  if (a.t === "seq" && b.t === "unknown") return { ...a, items: [...a.items, b] };
  if (a.t === "unknown" && b.t === "seq") return { ...b, items: [a, ...b.items] };
  return b;
}

function plus(a: Value, b: Value): Value {
  if (a.t === "seq" && b.t === "seq") return { ...a, items: [...a.items, ...b.items] };
  if (a.t === "seq" && b.t === "unknown") return { ...a, items: [...a.items, b] };
  if (a.t === "unknown") return a;
  return b.t === "unknown" ? b : unknownValue("cannot add these values", b.line);
}

function merge(a: Value, b: Value): Value {
  if (a.t === "dict" && b.t === "dict") return { ...a, entries: [...a.entries, ...b.entries] };
  return a.t === "unknown" ? a : b.t === "unknown" ? b : unknownValue("cannot merge these values", b.line);
}

/** `d[k1][k2]... = value`, without recursion over the number of keys. */
function setPath(d: Value, keys: string[], value: Value): Value {
  // Down: the dict at each level (a missing key starts an empty one) until a value is not a dict.
  const dicts: Value[] = [];
  let cur = d;
  let leaf = value;
  for (const k of keys) {
    if (cur.t !== "dict") {
      leaf = unknownValue("a nested key is set on a value that is not a dict", value.line);
      break;
    }
    dicts.push(cur);
    cur = cur.entries.filter((e) => e.key.t === "str" && e.key.v === k).pop()?.value ?? { t: "dict", entries: [], line: value.line };
  }
  // Up: each level gets the new entry.
  let out = leaf;
  for (let i = dicts.length - 1; i >= 0; i--) {
    const at = dicts[i];
    if (at.t === "dict") out = { ...at, entries: [...at.entries, { key: { t: "str", v: keys[i], line: value.line }, value: out }] };
  }
  return out;
}

/** Marks the values first made in `file` with it (values brought from other modules keep theirs); `line`: the statement binding it. */
function stamp(v: Value, file: string, line: number, done = new Map<Value, Value>()): Value {
  // A value stamped before is whole and kept as it is (never copied again), and a value shared
  // by several places (`X = [X, X]`) is stamped once: the work is linear in new values.
  if (STAMPED.has(v)) return v;
  const seen = done.get(v);
  if (seen !== undefined) return seen;
  const own = v.file ?? file;
  let out: Value;
  switch (v.t) {
    case "seq":
      out = { ...v, file: own, items: capped(v.items, line).map((i) => stamp(i, file, line, done)) };
      break;
    case "dict":
      out = { ...v, file: own, entries: capped(v.entries, line).map((e) => ({ key: stamp(e.key, file, line, done), value: stamp(e.value, file, line, done) })) };
      break;
    default:
      out = v.file === undefined ? { ...v, file } : v;
  }
  done.set(v, out);
  STAMPED.add(out);
  return out;
}

/** Values `stamp` made: every value inside them has its file. */
const STAMPED = new WeakSet<Value>();

/** At most this many items of a list or entries of a dict are kept (a loop doubling a list stays bounded). */
const MAX_ITEMS = 10_000;

function capped<T>(items: T[], line: number): T[] {
  if (items.length <= MAX_ITEMS) return items;
  const rest = unknownValue(`more than ${MAX_ITEMS} items; the rest are not read`, line);
  const kept = items.slice(0, MAX_ITEMS - 1);
  // Entries of a dict: the marker is an entry with an unknown key.
  return [...kept, ("key" in (items[0] as object) ? { key: rest, value: rest } : rest) as T];
}
