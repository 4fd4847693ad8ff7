/**
 * What the graph knows of AppConfig classes, read statically: where a class is (defined in a
 * module, or brought in by `from x import Name`, followed through first-party modules),
 * whether it derives from AppConfig (or from django.contrib.admin's AdminConfig), its class
 * attributes through first-party bases, which config Django picks in an `apps` module (the
 * only subclass not marked `default = False`, else the only one marked `default = True`,
 * else the base AppConfig), and the startup edges of its `ready()` (its own, else the
 * nearest first-party base's).
 */
import type { ExecutionContext, PyClass, PyFileFacts } from "../python/types";
import type { GraphFacts } from "../facts/codec";
import type { EdgeResolver } from "./edges";
import type { Edge, Unresolved } from "./types";
import type { Value } from "./literal";
import type { ModuleIndex } from "../python/module-index";
import { resolveRelative } from "../python/modules";
import type { Statement } from "../python/statements";
import { classAttributes, type ValueReader } from "./values";
import { inFunctionBody } from "./calls";

export interface ClassSource {
  index: ModuleIndex;
  facts(path: string): PyFileFacts | undefined;
  graphFacts(path: string): GraphFacts | undefined;
  statements(path: string): Promise<Statement[] | null>;
  values: ValueReader;
  edges: EdgeResolver;
}

export interface ClassRef {
  module: string;
  cls: PyClass;
}

export type Found = ClassRef | { thirdParty: string } | null;

const MAX_DEPTH = 8;
/** Most `from x import Name` hops followed to find one class, and most classes in one ancestry walk. */
const MAX_HOPS = 64;
const MAX_CLASSES = 256;

function moduleLevel(ctx: ExecutionContext): boolean {
  return ctx.atImport && ctx.scope === "";
}

/** What resolving a class name needs: where a module is defined in the repository (null: not here), and a file's facts. */
export interface ModuleLookup {
  resolve(module: string): { file: string | null; isPackage: boolean } | null;
  facts(path: string): PyFileFacts | undefined;
}

/** One base expression of a class in an ancestry walk, and what it resolved to. */
export interface BaseStep {
  owner: ClassRef;
  base: string;
  found: Found;
}

/**
 * Finds classes statically: where a name used in a module is defined, following `from x import
 * Name` and module aliases (`import a.b as m`, `from a import b`) through first-party modules
 * until a class definition or a third-party module is reached. Bounded by explicit loops with
 * visited sets, never by recursion over the input.
 */
export class ClassResolver {
  constructor(private readonly src: ModuleLookup) {}

  factsOf(module: string): PyFileFacts | undefined {
    const e = this.src.resolve(module);
    return e?.file ? this.src.facts(e.file) : undefined;
  }

  /** The class `name` as seen in `module`: defined there, or imported into it by `from x import name`. */
  findClass(module: string, name: string): Found {
    const seen = new Set<string>();
    for (;;) {
      const key = `${module}:${name}`;
      const facts = this.factsOf(module);
      if (facts === undefined || seen.has(key) || seen.size >= MAX_HOPS) return null;
      seen.add(key);
      const dot = name.indexOf(".");
      if (dot > 0) {
        // `apps.AppConfig`, `base.BaseConfig`: a module alias then a name.
        const target = this.importedModuleAlias(module, facts, name.slice(0, dot));
        if (target === null) return null;
        const rest = name.slice(dot + 1);
        if (this.src.resolve(target) === null) return { thirdParty: `${target}.${rest}` };
        module = target;
        name = rest;
        continue;
      }
      const cls = facts.classes.find((c) => c.qualname === name && moduleLevel(c.context));
      if (cls) return { module, cls };
      const imported = this.importedName(module, facts, name);
      if (imported === null) return null;
      if (this.src.resolve(imported.from) === null) return { thirdParty: `${imported.from}.${imported.name}` };
      module = imported.from;
      name = imported.name;
    }
  }

  /** Where `from x import name` in `module` takes `name` from (relative imports resolved). */
  private importedName(module: string, facts: PyFileFacts, name: string): { from: string; name: string } | null {
    const entry = this.src.resolve(module);
    for (const imp of facts.imports) {
      if (imp.kind !== "from" || !moduleLevel(imp.context)) continue;
      const n = imp.names.find((x) => (x.asname ?? x.name) === name);
      if (!n) continue;
      const from = imp.level > 0 ? resolveRelative(module, entry?.isPackage ?? false, imp.level, imp.module) : imp.module;
      return from === null ? null : { from, name: n.name };
    }
    return null;
  }

  private importedModuleAlias(module: string, facts: PyFileFacts, alias: string): string | null {
    const entry = this.src.resolve(module);
    for (const imp of facts.imports) {
      if (!moduleLevel(imp.context)) continue;
      if (imp.kind === "import") {
        const n = imp.names[0];
        if ((n.asname ?? imp.module.split(".")[0]) === alias) return n.asname ? imp.module : alias;
      } else if (!imp.star) {
        const n = imp.names.find((x) => (x.asname ?? x.name) === alias);
        if (!n) continue;
        const from = imp.level > 0 ? resolveRelative(module, entry?.isPackage ?? false, imp.level, imp.module) : imp.module;
        return from === null ? null : from === "" ? n.name : `${from}.${n.name}`;
      }
    }
    return null;
  }

  /**
   * Every base expression of a class and of its first-party ancestors, breadth-first, with what
   * each resolves to (a first-party class, a third-party dotted name, or null: not found). Each
   * class is walked once, at most MAX_CLASSES classes.
   */
  *bases(start: ClassRef): Generator<BaseStep> {
    const seen = new Set<PyClass>([start.cls]);
    const queue: ClassRef[] = [start];
    for (let i = 0; i < queue.length && i < MAX_CLASSES; i++) {
      const owner = queue[i];
      for (const base of owner.cls.bases) {
        const found = this.findClass(owner.module, base);
        yield { owner, base, found };
        if (found !== null && !("thirdParty" in found) && !seen.has(found.cls)) {
          seen.add(found.cls);
          queue.push(found);
        }
      }
    }
  }
}

export class AppConfigs {
  /** Class attributes by module. Each read awaits only statements and values, which never come back here: no cycle can wait on it. */
  private readonly attrs = new Map<string, Promise<Map<string, Map<string, Value>>>>();
  readonly classes: ClassResolver;

  constructor(private readonly src: ClassSource) {
    this.classes = new ClassResolver({ resolve: (m) => src.index.resolve(m), facts: (p) => src.facts(p) });
  }

  factsOf(module: string): PyFileFacts | undefined {
    return this.classes.factsOf(module);
  }

  /** The class `name` as seen in `module` (see ClassResolver.findClass). */
  findClass(module: string, name: string): Found {
    return this.classes.findClass(module, name);
  }

  /** Whether a class is an AppConfig subclass (third-party bases: named `...Config`). */
  isAppConfig(ref: ClassRef): boolean {
    for (const { base, found } of this.classes.bases(ref)) {
      if (base.slice(base.lastIndexOf(".") + 1) === "AppConfig") return true;
      if (found !== null && "thirdParty" in found && /Config$/.test(found.thirdParty)) return true;
    }
    return false;
  }

  /** Whether a class is (or derives from) django.contrib.admin's autodiscovering AdminConfig. */
  isAdminConfig(ref: ClassRef): boolean {
    for (const { found } of this.classes.bases(ref)) {
      if (found !== null && "thirdParty" in found && found.thirdParty === "django.contrib.admin.apps.AdminConfig") return true;
    }
    return false;
  }

  /** A class attribute, looked up through first-party base classes. */
  async attr(ref: ClassRef, key: string, depth = 0): Promise<Value | undefined> {
    let p = this.attrs.get(ref.module);
    if (p === undefined) {
      p = this.readAttrs(ref.module);
      this.attrs.set(ref.module, p);
    }
    const own = (await p).get(ref.cls.name)?.get(key);
    if (own !== undefined || depth > MAX_DEPTH) return own;
    for (const base of ref.cls.bases) {
      const found = this.findClass(ref.module, base);
      if (found !== null && !("thirdParty" in found)) {
        const v = await this.attr(found, key, depth + 1);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }

  private async readAttrs(module: string): Promise<Map<string, Map<string, Value>>> {
    const e = this.src.index.resolve(module);
    if (!e?.file) return new Map();
    const stmts = await this.src.statements(e.file);
    return stmts === null ? new Map() : classAttributes(stmts, await this.src.values.read(module));
  }

  /** The AppConfig subclasses `inspect.getmembers(apps_module)` would list (first-party ones). */
  candidates(appsModule: string): ClassRef[] {
    const facts = this.factsOf(appsModule);
    if (facts === undefined) return [];
    const out: ClassRef[] = [];
    const names = new Set<string>();
    for (const c of facts.classes) if (moduleLevel(c.context) && c.qualname === c.name) names.add(c.name);
    for (const imp of facts.imports) {
      if (imp.kind === "from" && !imp.star && moduleLevel(imp.context)) for (const n of imp.names) names.add(n.asname ?? n.name);
    }
    for (const n of names) {
      const found = this.findClass(appsModule, n);
      if (found === null || "thirdParty" in found) continue;
      if (this.isAppConfig(found) && !out.some((r) => r.cls === found.cls)) out.push(found);
    }
    return out;
  }

  /** Django's automatic choice among an `apps` module's configs; null means the base AppConfig. */
  async choose(appsModule: string, unresolved: Unresolved[]): Promise<ClassRef | null> {
    const cands = this.candidates(appsModule);
    const defaults: (boolean | null)[] = [];
    for (const c of cands) {
      const v = await this.attr(c, "default");
      defaults.push(v === undefined ? null : v.t === "const" ? Boolean(v.v) : null);
    }
    const notFalse = cands.filter((_, i) => defaults[i] !== false);
    if (notFalse.length === 1) return notFalse[0];
    const marked = cands.filter((_, i) => defaults[i] === true);
    if (marked.length === 1) return marked[0];
    if (marked.length > 1) {
      unresolved.push({ what: `${appsModule}`, where: this.src.index.resolve(appsModule)?.file ?? appsModule, why: `declares more than one default AppConfig (${marked.map((m) => m.cls.name).join(", ")}): RuntimeError in Django` });
    }
    return null;
  }

  /** Startup edges of a config's `ready()`: its own, else the nearest first-party base's. */
  async readyEdges(ref: ClassRef, out: Map<string, Edge[]>, depth = 0): Promise<void> {
    const facts = this.factsOf(ref.module);
    const entry = this.src.index.resolve(ref.module);
    if (facts === undefined || entry === null || depth > MAX_DEPTH) return;
    const qual = `${ref.cls.qualname}.ready`;
    if (facts.functions.some((f) => f.qualname === qual)) {
      const head = `class:${ref.cls.name}`;
      const inReady = (ctx: ExecutionContext) =>
        ctx.kind === "function" && ctx.frames[0] === head && ctx.frames[1] === "def:ready" && ctx.frames.slice(2).every((f) => !f.startsWith("def:") && f !== "lambda");
      const file = entry.file as string;
      const g = this.src.graphFacts(file);
      const edges = g === undefined ? [] : await this.src.edges.edges(ref.module, entry, g, inReady);
      if (g !== undefined) {
        for (const m of await this.ownMethodsCalled(ref, facts, file, qual)) {
          for (const e of await this.src.edges.edges(ref.module, entry, g, inFunctionBody(m.qualname))) {
            const tail = e.kind === "call" && e.via !== undefined ? e.via : `${file}:${e.line} imports ${e.target}`;
            edges.push({ target: e.target, line: m.line, kind: "call", via: `${m.route} -> ${tail}`, steps: [...m.steps, ...(e.steps ?? [{ file, line: e.line }])] });
          }
        }
      }
      if (edges.length > 0) out.set(ref.module, [...(out.get(ref.module) ?? []), ...edges]);
      return;
    }
    for (const base of ref.cls.bases) {
      const found = this.findClass(ref.module, base);
      if (found !== null && !("thirdParty" in found)) return this.readyEdges(found, out, depth + 1);
    }
  }

  /**
   * The config's own methods `ready()` runs through `self.m()` / `cls.m()` (axes' `ready()`
   * calls `self.initialize()`, which imports its signals), and those they call the same way:
   * each with the line in `ready()` that starts the route and the route so far. Methods the
   * class does not define itself (inherited, or overridden in a subclass) are not followed.
   */
  private async ownMethodsCalled(ref: ClassRef, facts: PyFileFacts, file: string, ready: string): Promise<{ qualname: string; line: number; route: string; steps: { file: string; line: number }[] }[]> {
    const stmts = await this.src.statements(file);
    if (stmts === null) return [];
    const spans = new Map(facts.functions.map((f) => [f.qualname, f]));
    const out: { qualname: string; line: number; route: string; steps: { file: string; line: number }[] }[] = [];
    const seen = new Set<string>([ready]);
    const work = [{ qualname: ready, line: 0, route: "", steps: [] as { file: string; line: number }[] }];
    for (let k = 0; k < work.length && seen.size <= MAX_CLASSES; k++) {
      const from = work[k];
      const span = spans.get(from.qualname);
      if (span === undefined) continue;
      for (const st of stmts) {
        if (st.line < span.line || st.line > span.endLine) continue;
        const t = st.toks;
        for (let i = 0; i + 3 < t.length; i++) {
          if (t[i].k !== "name" || (t[i].v !== "self" && t[i].v !== "cls") || t[i + 1].v !== "." || t[i + 2].k !== "name" || t[i + 3].v !== "(") continue;
          if (i > 0 && t[i - 1].v === ".") continue;
          const qualname = `${ref.cls.qualname}.${t[i + 2].v}`;
          if (seen.has(qualname) || !spans.has(qualname)) continue;
          seen.add(qualname);
          const call = `calls self.${t[i + 2].v}`;
          const m = k === 0 ? { qualname, line: t[i].line, route: call, steps: [] } : { qualname, line: from.line, route: `${from.route} -> ${file}:${t[i].line} ${call}`, steps: [...from.steps, { file, line: t[i].line }] };
          out.push(m);
          work.push(m);
        }
      }
    }
    return out;
  }

  /** The class at a dotted path (`pkg.apps.Config`), when it is a first-party class. */
  classPath(path: string): ClassRef | null {
    const cut = path.lastIndexOf(".");
    if (cut <= 0) return null;
    const found = this.findClass(path.slice(0, cut), path.slice(cut + 1));
    return found === null || "thirdParty" in found ? null : found;
  }
}
