/**
 * Code that runs at import is not only import statements: a function of the repository
 * called while a module executes (at module scope, in a class body, from `AppConfig.ready()`)
 * runs its body then, so its imports and `import_module()` calls are setup-time too.
 *
 * - Calls are followed through the repository: a name bound by `def` in the same module (or
 *   an enclosing function), or imported from a first-party module (`from x import f; f()`,
 *   `import x.y; x.y.f()`, `from pkg import mod; mod.f()`), re-exports included; calling a
 *   class runs its own `__init__`, and `Cls.m()` runs `m` when the class's own body defines it
 *   (a classmethod or staticmethod). Other methods, inherited ones, bare decorators and
 *   third-party callees are not followed.
 * - The walk is a worklist: each function once per starting module, at most MAX_FUNCTIONS
 *   of them, so call cycles and recursion end.
 * - The idiom "import every submodule of a package" (`pkgutil.iter_modules(pkg.__path__)`,
 *   `pkgutil.walk_packages`, `os.listdir`/`glob` of the package's directory, with a computed
 *   `import_module(...)` in the same body) imports every module file in that package
 *   directory. The package is `X.__path__`'s `X`, the module's own package for `__path__` or
 *   `__file__`, else the first-party packages passed as arguments along the call route
 *   (nearest call first): a module object handed down through parameters.
 * - Any other computed `import_module(expr)` / `__import__(expr)` on the way is listed as
 *   unresolved, with its file:line and the call route that runs it.
 *
 * Each edge found this way starts at the call statement of the module being resolved (its
 * line) and says, in `via`, the route: `calls settings_utils.update_dashboards ->
 * openstack_dashboard/utils/settings.py:58 import_module(name)`.
 */
import type { ExecutionContext, PyCall } from "../python/types";
import type { GraphFacts } from "../facts/codec";
import type { Edge, Unresolved } from "./types";
import type { ModuleEntry, ModuleIndex } from "../python/module-index";
import { resolveRelative } from "../python/modules";
import { pushAll } from "../core/arrays";

/** Functions followed from one module's statements at most (a bound, not an expectation). */
export const MAX_FUNCTIONS = 400;

/** Callees whose call lists a package's modules (by their last name). */
const ENUMERATORS = new Set(["iter_modules", "walk_packages", "listdir", "scandir", "glob", "iglob", "walk"]);
const RECURSIVE = new Set(["walk_packages", "walk"]);

export interface CallSource {
  index: ModuleIndex;
  graphFacts(path: string): GraphFacts | undefined;
  inFlight?(path: string): Promise<void> | undefined;
  /** Resolves a module name (recording the lookup, for reuse of the edges). */
  resolve(name: string): ModuleEntry | null;
  /** Records that the edges depend on a file (a callee's module, an enumerated package). */
  consulted(path: string): void;
  /** The import edges of the statements `select` picks in module `name` (calls not followed), and the lookups they made. */
  bodyEdges(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean): Promise<{ edges: Edge[]; deps: Deps }>;
  /** Records lookups made earlier (a remembered function body) for the module being resolved now. */
  replay(deps: Deps): void;
  unresolved(u: Unresolved): void;
  /** A file's bytes (argument texts are read from them), or null. */
  bytes(path: string): Promise<Buffer | null>;
}

/** Module names looked up and files consulted (what resolved edges depend on). */
export interface Deps {
  names: string[];
  packages: string[];
}

/** What a function's body gives, whatever the route to it: its import edges and the repository functions it calls. */
interface Summary {
  edges: Edge[];
  calls: { call: PyCall; target: Target }[];
  deps: Deps;
}

interface Target {
  module: string;
  entry: ModuleEntry;
  facts: GraphFacts;
  fn: string;
}

/** One link of a call route: the call at `file:line` in `module` (scope `scope`), with its argument text. */
interface Site {
  module: string;
  entry: ModuleEntry;
  facts: GraphFacts;
  scope: string;
  file: string;
  line: number;
  callee: string;
  call: PyCall;
}

/** A body to read: the statements `select` picks in `module`, reached through `route`. */
interface Body {
  module: string;
  entry: ModuleEntry;
  facts: GraphFacts;
  scope: string;
  select: (ctx: ExecutionContext) => boolean;
  route: Site[];
}

/** What a name is bound to in some scope: a module, or a name in a module. */
type Binding = { module: string } | { from: string; name: string } | { def: string };

/** Whether a context is the body of function `qualname` itself (not a nested def, class or lambda). */
export function inFunctionBody(qualname: string): (ctx: ExecutionContext) => boolean {
  return (ctx) => {
    if (ctx.kind !== "function" || ctx.scope !== qualname) return false;
    const f = ctx.frames;
    for (let i = f.length - 1; i >= 0; i--) {
      if (f[i].startsWith("def:")) return true;
      if (f[i] === "lambda") return false;
    }
    return false;
  };
}

/** The enclosing scopes of `scope`, innermost first, ending with the module (`""`). */
function scopes(scope: string): string[] {
  const out: string[] = [];
  let s = scope;
  for (;;) {
    out.push(s);
    if (s === "") return out;
    const dot = s.lastIndexOf(".");
    s = dot < 0 ? "" : s.slice(0, dot);
  }
}

/** Source text without string literals and comments (`f(a, "b")  # c` -> `f(a,  )`). */
export function codeOnly(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '"' || c === "'") {
      const q = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + q.length;
      while (j < text.length && !text.startsWith(q, j)) j += text[j] === "\\" ? 2 : 1;
      i = j + q.length;
      out += " ";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Dotted names in argument text, outside string literals and comments (`[enabled, local.enabled]` -> enabled, local.enabled). */
function argumentNames(args: string): string[] {
  const bare = codeOnly(args);
  const out: string[] = [];
  for (const m of bare.matchAll(/(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/g)) out.push(m[0]);
  return out;
}

export class CallFollower {
  private children: Map<string, string[]> | null = null;
  private readonly reported = new Set<string>();
  /** Function bodies read so far (by module and qualified name): each is read once per revision. */
  private readonly summaries = new Map<string, Summary>();
  /** Lookups made while a summary is being computed. */
  private tracking: Deps | null = null;

  constructor(private readonly src: CallSource) {}

  /** Edges of the repository functions the statements `select` picks in module `name` call (and of what they call). */
  async follow(name: string, entry: ModuleEntry, facts: GraphFacts, select: (ctx: ExecutionContext) => boolean): Promise<Edge[]> {
    const out: Edge[] = [];
    const root: Body = { module: name, entry, facts, scope: "", select, route: [] };
    if (!facts.calls.some((c) => select(c.context)) && !facts.dynamicImports.some((d) => select(d.context))) return out;
    const file = entry.file as string;
    const seen = new Set<string>();
    const work: Body[] = [root];
    for (let k = 0; k < work.length; k++) {
      const body = work[k];
      const first = body.route[0];
      const edgeLine = first === undefined ? 0 : first.line;
      const summary = k === 0 ? await this.summarise(body, false) : await this.summary(body);
      if (k > 0) {
        // The imports of a called function: edges from this module's call statement.
        for (const e of summary.edges) {
          out.push({
            target: e.target,
            line: edgeLine,
            kind: "call",
            via: `${routeText(body.route, file)} -> ${body.entry.file}:${e.line} imports ${e.target}`,
            steps: routeSteps(body.route, { file: body.entry.file as string, line: e.line }),
          });
        }
      }
      await this.dynamicImports(body, file, out);
      await this.importStrings(body);
      for (const { call: c, target } of summary.calls) {
        const key = `${target.module}\u0000${target.fn}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (seen.size > MAX_FUNCTIONS) {
          this.report({ what: `calls from ${name}`, where: `${body.entry.file}:${c.line}`, why: `more than ${MAX_FUNCTIONS} repository functions are called at setup from here; the rest are not followed` });
          return out;
        }
        const site: Site = { module: body.module, entry: body.entry, facts: body.facts, scope: c.context.scope, file: body.entry.file as string, line: c.line, callee: c.callee, call: c };
        work.push({ module: target.module, entry: target.entry, facts: target.facts, scope: target.fn, select: inFunctionBody(target.fn), route: [...body.route, site] });
      }
    }
    return out;
  }

  /** A function body's summary, computed once per revision; its lookups count for every module that reaches it. */
  private async summary(body: Body): Promise<Summary> {
    const key = `${body.module}\u0000${body.scope}`;
    const hit = this.summaries.get(key);
    if (hit !== undefined) {
      this.src.replay(hit.deps);
      return hit;
    }
    const s = await this.summarise(body, true);
    this.summaries.set(key, s);
    return s;
  }

  private async summarise(body: Body, withEdges: boolean): Promise<Summary> {
    const outer = this.tracking;
    const deps: Deps = { names: [], packages: [] };
    this.tracking = deps;
    try {
      let edges: Edge[] = [];
      if (withEdges) {
        const r = await this.src.bodyEdges(body.module, body.entry, body.facts, body.select);
        edges = r.edges;
        pushAll(deps.names, r.deps.names);
        pushAll(deps.packages, r.deps.packages);
      }
      const calls: Summary["calls"] = [];
      for (const c of body.facts.calls) {
        if (!body.select(c.context)) continue;
        const target = await this.callee(body.module, body.facts, c.context.scope, c.callee);
        if (target !== null) calls.push({ call: c, target });
      }
      return { edges, calls, deps };
    } finally {
      this.tracking = outer;
      if (outer) pushAll(outer.names, deps.names);
      if (outer) pushAll(outer.packages, deps.packages);
    }
  }

  private resolve(name: string): ModuleEntry | null {
    this.tracking?.names.push(name);
    return this.src.resolve(name);
  }

  private consulted(path: string): void {
    this.tracking?.packages.push(path);
    this.src.consulted(path);
  }

  /** Computed import calls of a body: an enumeration of a package's modules, or unresolved. */
  private async dynamicImports(body: Body, rootFile: string, out: Edge[]): Promise<void> {
    const dyn = body.facts.dynamicImports.filter((d) => body.select(d.context));
    if (dyn.length === 0) return;
    const file = body.entry.file as string;
    const lister = body.facts.calls.find((c) => body.select(c.context) && ENUMERATORS.has(c.callee.slice(c.callee.lastIndexOf(".") + 1)));
    const packages = lister === undefined ? [] : await this.enumerated(body, lister);
    const route = body.route.length === 0 ? "" : `${routeText(body.route, rootFile)} -> `;
    const first = body.route[0];
    for (const d of dyn) {
      const call = `${d.func}(${d.args})`;
      if (packages.length === 0) {
        const why =
          lister === undefined
            ? "the module name is computed at run time"
            : `the module name is computed at run time from ${lister.callee}(${(await this.args(file, lister)).replace(/\s+/g, " ").trim()}) (${file}:${lister.line}), whose package could not be told`;
        this.report({ what: call, where: `${file}:${d.line}`, why: `${why}; ${runsAtSetup(body.route)}` });
        continue;
      }
      const recursive = RECURSIVE.has((lister as { callee: string }).callee.slice((lister as { callee: string }).callee.lastIndexOf(".") + 1));
      for (const pkg of packages) {
        for (const m of this.submodules(pkg, recursive)) {
          out.push({
            target: m,
            line: first === undefined ? d.line : first.line,
            kind: "call",
            via: `${route}${file}:${d.line} ${call} enumerates the modules of package ${pkg}`,
            steps: routeSteps(body.route, { file, line: d.line }),
          });
        }
      }
    }
  }

  /**
   * Django's `import_string(path)` imports the module part of a dotted path. A path computed at
   * run time (a settings list, a loop variable) is listed as unresolved, as a computed
   * `import_module()` is: setup imports modules the tool cannot name (django-debug-toolbar's
   * `ready()` imports its panels this way).
   */
  private async importStrings(body: Body): Promise<void> {
    const file = body.entry.file as string;
    for (const c of body.facts.calls) {
      if (!body.select(c.context) || c.callee.slice(c.callee.lastIndexOf(".") + 1) !== "import_string") continue;
      const b = this.binding(body.module, body.facts, c.context.scope, c.callee.split(".")[0]);
      const from = b === null ? null : "from" in b ? `${b.from}.${b.name}` : "module" in b ? b.module : null;
      if (from === null || !from.startsWith("django.utils.module_loading")) continue;
      const args = (await this.args(file, c)).replace(/\s+/g, " ").trim();
      if (/^(['"])[\w.]+\1$/.test(args)) continue; // a literal path: a dotted string, read where settings are
      this.report({
        what: `import_string(${args})`,
        where: `${file}:${c.line}`,
        why: `the dotted path is computed at run time; ${runsAtSetup(body.route)}`,
      });
    }
  }

  /** The first-party packages an enumeration call (its argument text) lists, in a body. */
  private async enumerated(body: Body, lister: PyCall): Promise<string[]> {
    const file = body.entry.file as string;
    const pkgs = new Set<string>();
    const names = argumentNames(await this.args(file, lister));
    const own = () => {
      const self = body.entry.isPackage ? body.module : body.module.slice(0, Math.max(0, body.module.lastIndexOf(".")));
      if (self !== "" && this.isPackage(self)) pkgs.add(self);
    };
    for (const n of names) {
      if (n === "__path__" || n === "__file__") own();
      else if (n.endsWith(".__path__")) {
        const m = this.moduleNamed(body.module, body.facts, body.scope, n.slice(0, -".__path__".length));
        if (m !== null && this.isPackage(m)) pkgs.add(m);
      }
    }
    // `os.listdir(here)` with `here = os.path.dirname(__file__)` elsewhere in the body or module.
    if (pkgs.size === 0) {
      for (const c of body.facts.calls) {
        if ((body.select(c.context) || c.context.scope === "") && argumentNames(await this.args(file, c)).includes("__file__")) {
          own();
          break;
        }
      }
    }
    if (pkgs.size > 0) return [...pkgs];
    // A module object handed down as an argument: the packages named at the nearest call site that names any.
    for (let i = body.route.length - 1; i >= 0; i--) {
      const site = body.route[i];
      for (const n of argumentNames(await this.args(site.file, site.call))) {
        const m = this.moduleNamed(site.module, site.facts, site.scope, n);
        if (m !== null && this.isPackage(m)) pkgs.add(m);
      }
      if (pkgs.size > 0) return [...pkgs];
    }
    return [];
  }

  /** A call's argument text as written, read from the file's bytes (empty when unreadable). */
  private async args(file: string, call: PyCall): Promise<string> {
    const b = await this.src.bytes(file);
    if (b === null || call.argsEnd > b.length) return "";
    return b.subarray(call.argsStart, call.argsEnd).toString("utf8");
  }

  private isPackage(module: string): boolean {
    const e = this.resolve(module);
    return e !== null && e.isPackage;
  }

  /** Modules of a package directory (regular modules and packages; every level when `recursive`), in name order. */
  private submodules(pkg: string, recursive: boolean): string[] {
    const out: string[] = [];
    const todo = [pkg];
    const seen = new Set<string>(todo);
    while (todo.length > 0) {
      const p = todo.shift() as string;
      const entry = this.resolve(p);
      if (entry === null) continue;
      this.consulted(entry.file ?? `${entry.dirs[0]}/__init__.py`);
      for (const dir of entry.dirs) {
        for (const child of this.childrenOf(dir)) {
          const m = `${p}.${child}`;
          if (seen.has(m)) continue;
          const e = this.resolve(m);
          if (e === null || e.file === null) continue;
          seen.add(m);
          out.push(m);
          if (recursive && e.isPackage) todo.push(m);
        }
      }
    }
    return out.sort();
  }

  /** Names of the `.py` modules and `__init__.py` packages directly in a directory. */
  private childrenOf(dir: string): string[] {
    if (this.children === null) {
      const map = new Map<string, string[]>();
      const add = (d: string, n: string) => {
        const l = map.get(d);
        if (l === undefined) map.set(d, [n]);
        else l.push(n);
      };
      for (const p of this.src.index.paths()) {
        const slash = p.lastIndexOf("/");
        const d = slash < 0 ? "" : p.slice(0, slash);
        const base = p.slice(slash + 1);
        if (base === "__init__.py") {
          const s2 = d.lastIndexOf("/");
          if (d !== "") add(s2 < 0 ? "" : d.slice(0, s2), d.slice(s2 + 1));
        } else add(d, base.slice(0, -3));
      }
      this.children = map;
    }
    return this.children.get(dir) ?? [];
  }

  /** What a name means in a scope of a module: the innermost binding by import or `def`. */
  private binding(module: string, facts: GraphFacts, scope: string, name: string): Binding | null {
    const entry = this.resolve(module);
    const isPkg = entry !== null && entry.isPackage;
    for (const s of scopes(scope)) {
      // A class body's names are not visible from the functions nested in it (scope parts are defs or classes).
      if (s !== scope && s !== "" && !facts.functions.includes(s)) continue;
      let found: Binding | null = null;
      for (const imp of facts.imports) {
        if (imp.context.scope !== s || imp.context.kind === "type_checking" || imp.context.kind === "dead") continue;
        if (imp.kind === "import") {
          const n = imp.names[0];
          if (n.asname === name) found = { module: imp.module };
          else if (n.asname === null && imp.module.split(".")[0] === name) found = { module: name };
          continue;
        }
        if (imp.star) continue;
        const base = resolveRelative(module, isPkg, imp.level, imp.module);
        if (base === null || base === "") continue;
        for (const n of imp.names) if ((n.asname ?? n.name) === name) found = { from: base, name: n.name };
      }
      const qual = s === "" ? name : `${s}.${name}`;
      if (found === null && facts.functions.includes(qual)) found = { def: qual };
      // Calling a class runs its `__init__` (when the class defines one).
      if (found === null && facts.functions.includes(`${qual}.__init__`)) found = { def: `${qual}.__init__` };
      if (found !== null) return found;
    }
    return null;
  }

  /** The first-party module a dotted name denotes in a scope (`enabled`, `x.y`), or null. */
  private moduleNamed(module: string, facts: GraphFacts, scope: string, dotted: string): string | null {
    const parts = dotted.split(".");
    const b = this.binding(module, facts, scope, parts[0]);
    if (b === null || "def" in b) return null;
    let cur = "module" in b ? b.module : `${b.from}.${b.name}`;
    if (this.resolve(cur) === null) return null;
    for (const p of parts.slice(1)) {
      if (this.resolve(`${cur}.${p}`) === null) return null;
      cur = `${cur}.${p}`;
    }
    return cur;
  }

  /** The repository function a call's callee denotes (following re-exports), or null. */
  private async callee(module: string, facts: GraphFacts, scope: string, callee: string): Promise<Target | null> {
    const parts = callee.split(".");
    let b = this.binding(module, facts, scope, parts[0]);
    if (b === null || "def" in b) {
      if (b !== null && parts.length === 1) return { module, entry: this.resolve(module) as ModuleEntry, facts, fn: b.def };
      // `Cls.method()` on a class of this module: a classmethod or staticmethod of its own body.
      const method = `${parts[0]}.${parts[1]}`;
      return parts.length === 2 && facts.functions.includes(method) ? { module, entry: this.resolve(module) as ModuleEntry, facts, fn: method } : null;
    }
    let cur: string;
    let rest: string[];
    if ("module" in b) {
      cur = b.module;
      rest = parts.slice(1);
    } else if (this.resolve(`${b.from}.${b.name}`) !== null) {
      cur = `${b.from}.${b.name}`;
      rest = parts.slice(1);
    } else {
      cur = b.from;
      rest = [b.name, ...parts.slice(1)];
    }
    // Descend through submodules; what is left must be one function name.
    while (rest.length > 1 && this.resolve(`${cur}.${rest[0]}`) !== null) {
      cur = `${cur}.${rest[0]}`;
      rest = rest.slice(1);
    }
    // One function name, or `Cls.method` (a classmethod or staticmethod called through its class).
    if (rest.length !== 1 && rest.length !== 2) return null;
    // Follow re-exports (`from .impl import f` in a package), a few hops at most.
    for (let hop = 0; hop < 8; hop++) {
      const entry = this.resolve(cur);
      if (entry === null || entry.file === null) return null;
      await this.src.inFlight?.(entry.file);
      const g = this.src.graphFacts(entry.file);
      if (g === undefined) return null;
      this.consulted(entry.file);
      if (rest.length === 2 && g.functions.includes(`${rest[0]}.${rest[1]}`)) return { module: cur, entry, facts: g, fn: `${rest[0]}.${rest[1]}` };
      b = this.binding(cur, g, "", rest[0]);
      if (b === null) return null;
      if ("def" in b) return rest.length === 1 ? { module: cur, entry, facts: g, fn: b.def } : null;
      if ("module" in b || this.resolve(`${b.from}.${b.name}`) !== null) return null;
      cur = b.from;
      rest = [b.name, ...rest.slice(1)];
    }
    return null;
  }

  private report(u: Unresolved): void {
    const key = `${u.where}\u0000${u.what}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.src.unresolved(u);
  }
}

/** The places a route runs through after its first call (the callees' calls), then the importing statement. */
function routeSteps(route: readonly Site[], last: { file: string; line: number }): { file: string; line: number }[] {
  return [...route.slice(1).map((s) => ({ file: s.file, line: s.line })), last];
}

/** `it runs at setup`, with the call route that runs it when there is one. */
function runsAtSetup(route: readonly Site[]): string {
  return route.length === 0 ? "it runs at setup" : `it runs at setup through ${routeText(route, "")}`;
}

/** `calls a.f -> pkg/a.py:12 calls g`: a call route; the first call's place is left out when it is in `rootFile`. */
function routeText(route: readonly Site[], rootFile: string): string {
  return route.map((s, i) => (i === 0 && s.file === rootFile ? `calls ${s.callee}` : `${s.file}:${s.line} calls ${s.callee}`)).join(" -> ");
}
