/**
 * The literal values a module binds at module level, read statically: assignments
 * (plain, annotated, chained), `+=`, `.append/.extend/.insert/.remove` on lists,
 * `NAME[key] = value` on dicts, `del`, and names brought in by `from m import *` /
 * `from m import a as b` from other modules of the repository (read the same way).
 * Nothing is executed. Statements under a module-level `if`/`try`/`for` are applied too
 * (the reader cannot know the condition) and the binding remembers that it is conditional.
 * Class bodies are read separately (`classAttributes`), for `AppConfig.name` and `default`.
 */
import type { ModuleIndex } from "./module-index";
import { resolveRelative } from "./modules";
import { evaluate, type Scope, type Value } from "./literal";
import { closer, splitTop, type Statement, type Tok } from "./statements";

export interface Binding {
  value: Value;
  /** File whose statement made the binding last. */
  file: string;
  line: number;
  /** Some statement that made or changed it runs only under a condition. */
  conditional: boolean;
}

export interface ModuleValues {
  module: string;
  file: string;
  bindings: Map<string, Binding>;
  /** `from x import *` of modules outside the repository: any name may come from them. */
  opaqueStars: { module: string; line: number }[];
}

export interface ValueSource {
  index: ModuleIndex;
  statements(path: string): Promise<Statement[] | null>;
  /** `__all__` of a module, when literal. */
  allOf(path: string): string[] | null;
}

export class ValueReader {
  private readonly done = new Map<string, Promise<ModuleValues | null>>();

  constructor(private readonly src: ValueSource) {}

  /** The module-level bindings of a first-party module, or null when it is not in the repository. */
  read(module: string): Promise<ModuleValues | null> {
    let p = this.done.get(module);
    if (p === undefined) {
      // Registered before reading: an import cycle sees the module as empty, not as a loop.
      p = this.evaluate(module);
      this.done.set(module, p);
    }
    return p;
  }

  private async evaluate(module: string): Promise<ModuleValues | null> {
    const entry = this.src.index.resolve(module);
    if (entry === null || entry.file === null) return null;
    const file = entry.file;
    const out: ModuleValues = { module, file, bindings: new Map(), opaqueStars: [] };
    const stmts = await this.src.statements(file);
    if (stmts === null) return out;
    const b = out.bindings;
    const scope: Scope = (name) => b.get(name)?.value;
    const bind = (name: string, value: Value, st: Statement, changed = false) => {
      const prev = b.get(name);
      b.set(name, { value: stamp(value, file), file, line: st.line, conditional: st.conditional || (changed && prev !== undefined && prev.conditional) });
    };
    for (const st of stmts) {
      if (!st.moduleLevel) continue;
      const t = st.toks;
      if (t[0].k === "name" && t[0].v === "from") {
        await this.fromImport(t, entry.isPackage, module, out, st);
        continue;
      }
      if (t[0].k === "name" && t[0].v === "del") {
        for (const part of splitTop(t.slice(1), ",")) if (part.length === 1) b.delete(part[0].v);
        continue;
      }
      if (t.length >= 3 && t[0].k === "name" && t[1].k === "op" && t[1].v.length >= 2 && t[1].v.endsWith("=") && t[1].v !== "==") {
        const prev = b.get(t[0].v);
        const rhs = evaluate(t.slice(2), scope);
        let value: Value;
        if (t[1].v !== "+=" && t[1].v !== "|=") value = unknownValue(`\`${t[0].v} ${t[1].v} ...\` is not read`, st.line);
        else if (prev === undefined) value = unknownValue(`${t[0].v} is changed with ${t[1].v} before it is bound`, st.line);
        else value = t[1].v === "+=" ? plus(prev.value, rhs) : merge(prev.value, rhs);
        bind(t[0].v, value, st, true);
        continue;
      }
      if (this.method(t, b, st, scope, bind)) continue;
      const parts = splitTop(t, "=");
      if (parts.length < 2) continue;
      const rhs = parts[parts.length - 1];
      const value = evaluate(rhs, scope);
      for (const target of parts.slice(0, -1)) {
        if (target.length === 1 && target[0].k === "name") bind(target[0].v, value, st);
        else if (target.length >= 2 && target[0].k === "name" && target[1].k === "op" && target[1].v === ":") bind(target[0].v, value, st);
        else if (target.length >= 4 && target[0].k === "name" && target[1].v === "[") this.subscript(target, value, b, st, scope, bind);
        else for (const n of target) if (n.k === "name" && b.has(n.v)) bind(n.v, unknownValue(`${n.v} is bound by unpacking`, st.line), st);
      }
    }
    return out;
  }

  /** `NAME.append(x)`, `.extend(xs)`, `.insert(i, x)`, `.remove(x)`; `NAME[k].update(...)` is not read. */
  private method(t: Tok[], b: Map<string, Binding>, st: Statement, scope: Scope, bind: (n: string, v: Value, st: Statement, changed?: boolean) => void): boolean {
    if (!(t.length >= 5 && t[0].k === "name" && t[1].v === "." && t[2].k === "name" && t[3].v === "(" && closer(t, 3) === t.length - 1)) return false;
    const name = t[0].v;
    const method = t[2].v;
    if (!["append", "extend", "insert", "remove"].includes(method)) return false;
    const prev = b.get(name);
    if (prev === undefined) return true;
    const args = splitTop(t.slice(4, -1), ",").filter((a) => a.length > 0);
    const cur = prev.value;
    let value: Value;
    if (cur.t !== "seq") value = cur.t === "unknown" ? cur : unknownValue(`${name}.${method}() on a value that is not a list`, st.line);
    else if (method === "append" && args.length === 1) value = { ...cur, items: [...cur.items, evaluate(args[0], scope)] };
    else if (method === "extend" && args.length === 1) value = plus(cur, evaluate(args[0], scope));
    else if (method === "insert" && args.length === 2) value = { ...cur, items: [evaluate(args[1], scope), ...cur.items] };
    else if (method === "remove" && args.length === 1) {
      const gone = evaluate(args[0], scope);
      value = gone.t === "str" ? { ...cur, items: cur.items.filter((i) => !(i.t === "str" && i.v === gone.v)) } : cur;
    } else value = unknownValue(`${name}.${method}(...) is not read`, st.line);
    bind(name, value, st, true);
    return true;
  }

  /** `NAME["a"]["b"] = value` on a dict binding. */
  private subscript(target: Tok[], value: Value, b: Map<string, Binding>, st: Statement, scope: Scope, bind: (n: string, v: Value, st: Statement, changed?: boolean) => void): void {
    const name = target[0].v;
    const prev = b.get(name);
    if (prev === undefined || prev.value.t !== "dict") return;
    const keys: string[] = [];
    let i = 1;
    while (i < target.length && target[i].v === "[" && closer(target, i) > i) {
      const close = closer(target, i);
      const k = evaluate(target.slice(i + 1, close), scope);
      if (k.t !== "str") return bind(name, unknownValue(`${name}[...] is assigned with a key that is not a string literal`, st.line), st, true);
      keys.push(k.v);
      i = close + 1;
    }
    if (i !== target.length) return;
    bind(name, setPath(prev.value, keys, value), st, true);
  }

  private async fromImport(t: Tok[], isPackage: boolean, module: string, out: ModuleValues, st: Statement): Promise<void> {
    let i = 1;
    let level = 0;
    while (i < t.length && t[i].k === "op" && (t[i].v === "." || t[i].v === "...")) level += t[i++].v.length;
    let name = "";
    while (i < t.length && !(t[i].k === "name" && t[i].v === "import")) name += t[i++].v;
    i++;
    const target = level > 0 ? resolveRelative(module, isPackage, level, name) : name;
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
    const other = await this.read(target);
    const b = out.bindings;
    if (other === null) {
      if (star) out.opaqueStars.push({ module: target, line: st.line });
      for (const [, as] of names) b.set(as, { value: unknownValue(`${as} comes from ${target}, outside the repository`, st.line), file: out.file, line: st.line, conditional: st.conditional });
      return;
    }
    if (star) {
      out.opaqueStars.push(...other.opaqueStars);
      const all = this.src.allOf(other.file);
      for (const [k, v] of other.bindings) {
        if (all !== null ? all.includes(k) : !k.startsWith("_")) b.set(k, { ...v, conditional: v.conditional || st.conditional });
      }
      return;
    }
    for (const [n, as] of names) {
      const v = other.bindings.get(n);
      if (v !== undefined) b.set(as, { ...v, conditional: v.conditional || st.conditional });
      else b.delete(as);
    }
  }
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

function unknownValue(why: string, line: number): Value {
  return { t: "unknown", why, line };
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

function setPath(d: Value, keys: string[], value: Value): Value {
  if (keys.length === 0) return value;
  if (d.t !== "dict") return unknownValue("a nested key is set on a value that is not a dict", value.line);
  const [k, ...rest] = keys;
  const cur = d.entries.filter((e) => e.key.t === "str" && e.key.v === k).pop()?.value ?? { t: "dict", entries: [], line: value.line };
  return { ...d, entries: [...d.entries, { key: { t: "str", v: k, line: value.line }, value: setPath(cur, rest, value) }] };
}

/** Marks the values first made in `file` with it (values brought from other modules keep theirs). */
function stamp(v: Value, file: string): Value {
  const own = v.file ?? file;
  switch (v.t) {
    case "seq":
      return { ...v, file: own, items: v.items.map((i) => stamp(i, file)) };
    case "dict":
      return { ...v, file: own, entries: v.entries.map((e) => ({ key: stamp(e.key, file), value: stamp(e.value, file) })) };
    default:
      return v.file === undefined ? { ...v, file } : v;
  }
}
