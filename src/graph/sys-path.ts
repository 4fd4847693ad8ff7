/**
 * `sys.path` edits in code that runs: `sys.path.append(X)`, `sys.path.insert(i, X)`,
 * `sys.path.extend([X, ...])`, `sys.path[0:0] = [...]`, `sys.path += [...]`,
 * `sys.path = [...] + sys.path`, `site.addsitedir(X)`. Each argument is evaluated, when it can
 * be, to a directory of the repository: `__file__` is the file's own path, and
 * `os.path.dirname/abspath/realpath/normpath/join`, `os.pardir`, `pathlib.Path(...)`,
 * `.parent`, `.parents[n]`, `.resolve()`, `/`, `.joinpath()`, `str()`/`os.fspath()` and
 * names bound earlier in the file to such values are followed (through the aliases the
 * file's imports give them). A relative string is relative to the working directory: it is
 * evaluated only where the caller says what that is (manage.py's directory), else unknown.
 * A directory outside the repository (an absolute path, or above the top) adds nothing the
 * repository holds. Nothing is executed.
 */
import { closer, splitTop, type Statement, type Tok } from "../python/statements";

export interface SysPathEdit {
  /** Where the edit is (`file:line`) and what it calls (`sys.path.append`). */
  where: string;
  line: number;
  how: string;
  /** True when the directory goes before the others (`insert(0, ...)`, `[0:0] =`, `= [...] + sys.path`). */
  front: boolean;
  /** Repository directory added (`""` = the top); null: outside the repository; undefined: not evaluated. */
  dir: string | null | undefined;
  /** Why the argument could not be evaluated (when `dir` is undefined). */
  why?: string;
}

type Val = { k: "path"; segs: string[] } | { k: "str"; v: string } | { k: "outside" } | { k: "list"; items: Val[] } | { k: "unknown"; why: string };

const UNKNOWN = (why: string): Val => ({ k: "unknown", why });

interface Env {
  file: string;
  /** Working directory (segments) for relative strings; null when unknown. */
  cwd: string[] | null;
  /** Local name -> canonical dotted name (`osp` -> `os.path`, `Path` -> `pathlib.Path`). */
  aliases: Map<string, string>;
  bindings: Map<string, Val>;
}

function segments(p: string): string[] {
  return p === "" ? [] : p.split("/");
}

/** Appends a relative path to `base`; `outside` when it climbs above the top. */
function joinPath(base: string[], rel: string): Val {
  if (rel.startsWith("/") || /^[A-Za-z]:[\\/]/.test(rel) || rel.startsWith("~")) return { k: "outside" };
  const out = [...base];
  for (const part of rel.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return { k: "outside" };
      out.pop();
    } else out.push(part);
  }
  return { k: "path", segs: out };
}

function asPath(v: Val, env: Env): Val {
  if (v.k !== "str") return v;
  if (v.v.startsWith("/") || /^[A-Za-z]:[\\/]/.test(v.v)) return { k: "outside" };
  if (env.cwd === null) return UNKNOWN(`the relative path ${JSON.stringify(v.v)} depends on the working directory`);
  return joinPath(env.cwd, v.v);
}

function dirname(v: Val, env: Env): Val {
  const p = asPath(v, env);
  if (p.k !== "path") return p;
  return p.segs.length === 0 ? { k: "outside" } : { k: "path", segs: p.segs.slice(0, -1) };
}

function join(parts: Val[], env: Env): Val {
  if (parts.length === 0) return UNKNOWN("os.path.join() of nothing");
  let acc: Val = parts[0];
  for (const p of parts.slice(1)) {
    if (p.k === "str") {
      if (p.v.startsWith("/")) acc = { k: "outside" };
      else if (acc.k === "str") acc = { k: "str", v: `${acc.v}/${p.v}` };
      else if (acc.k === "path") acc = joinPath(acc.segs, p.v);
    } else if (p.k === "path" || p.k === "outside") acc = p;
    else return p.k === "unknown" ? p : UNKNOWN("a list joined as a path");
  }
  return acc.k === "str" ? asPath(acc, env) : acc;
}

/** The dotted name a callee or attribute chain spells, with the file's import aliases applied. */
function canonical(name: string, env: Env): string {
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  const alias = env.aliases.get(head);
  return alias === undefined ? name : alias + (dot < 0 ? "" : name.slice(dot));
}

const IDENTITY = new Set(["os.path.abspath", "os.path.realpath", "os.path.normpath", "str", "os.fspath", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "os.path.expanduser"]);

/** Evaluates a whole expression (no top-level commas). */
function evalExpr(toks: Tok[], env: Env): Val {
  // pathlib's `/`, left to right, and `+` of strings.
  let depth = 0;
  for (let i = toks.length - 1; i > 0; i--) {
    const t = toks[i];
    if (t.k !== "op") continue;
    if (t.v === ")" || t.v === "]" || t.v === "}") depth++;
    else if (t.v === "(" || t.v === "[" || t.v === "{") depth--;
    else if (depth === 0 && (t.v === "/" || t.v === "+")) {
      const left = evalExpr(toks.slice(0, i), env);
      const right = evalExpr(toks.slice(i + 1), env);
      if (t.v === "/") return right.k === "str" ? join([left, right], env) : right.k === "unknown" ? right : left.k === "unknown" ? left : UNKNOWN("a path divided by a non-string");
      if (left.k === "str" && right.k === "str") return { k: "str", v: left.v + right.v };
      if (left.k === "list" && right.k === "list") return { k: "list", items: [...left.items, ...right.items] };
      return left.k === "unknown" ? left : right.k === "unknown" ? right : UNKNOWN("a sum that is not of strings or lists");
    } else if (depth === 0 && !(t.v === "." || t.v === "(" || t.v === "[")) return UNKNOWN(`an expression with ${t.v}`);
  }
  return postfix(toks, env);
}

function postfix(toks: Tok[], env: Env): Val {
  if (toks.length === 0) return UNKNOWN("an empty expression");
  let i = 0;
  let val: Val | null = null;
  let name = "";
  const t0 = toks[0];
  if (t0.k === "str") {
    if (t0.s === null || t0.s === undefined) return UNKNOWN("an f-string or bytes literal");
    let s = t0.s;
    i = 1;
    while (i < toks.length && toks[i].k === "str") s += toks[i++].s ?? "";
    val = { k: "str", v: s };
  } else if (t0.k === "op" && (t0.v === "(" || t0.v === "[")) {
    const end = closer(toks, 0);
    if (end < 0) return UNKNOWN("an unclosed bracket");
    const inner = toks.slice(1, end);
    const parts = splitTop(inner, ",").filter((p) => p.length > 0);
    if (t0.v === "[" || parts.length > 1 || (inner.length > 0 && inner[inner.length - 1].v === ",")) val = { k: "list", items: parts.map((p) => evalExpr(p, env)) };
    else val = evalExpr(inner, env);
    i = end + 1;
  } else if (t0.k === "name") {
    name = t0.v;
    i = 1;
    while (i + 1 < toks.length && toks[i].v === "." && toks[i].k === "op" && toks[i + 1].k === "name") {
      name += `.${toks[i + 1].v}`;
      i += 2;
    }
  } else return UNKNOWN(`an expression starting with ${t0.v}`);

  for (;;) {
    if (val === null && name !== "") {
      // A name not called (yet): a binding, `__file__`, a constant of os.
      const next = toks[i];
      if (next?.k === "op" && next.v === "(") {
        const end = closer(toks, i);
        if (end < 0) return UNKNOWN("an unclosed call");
        const args = splitTop(toks.slice(i + 1, end), ",").filter((p) => p.length > 0);
        val = call(canonical(name, env), args, env);
        i = end + 1;
        name = "";
        continue;
      }
      val = nameValue(name, env);
      name = "";
      continue;
    }
    if (val === null) return UNKNOWN("nothing");
    if (i >= toks.length) return val;
    const t = toks[i];
    if (t.k === "op" && t.v === "." && toks[i + 1]?.k === "name") {
      const attr = toks[i + 1].v;
      i += 2;
      if (attr === "parent") val = dirname(val, env);
      else if (attr === "parents" && toks[i]?.v === "[" && toks[i + 1]?.k === "num" && toks[i + 2]?.v === "]") {
        for (let n = Number(toks[i + 1].v); n >= 0 && val.k === "path"; n--) val = dirname(val, env);
        i += 3;
      } else if (toks[i]?.v === "(") {
        const end = closer(toks, i);
        if (end < 0) return UNKNOWN("an unclosed call");
        const args = splitTop(toks.slice(i + 1, end), ",").filter((p) => p.length > 0);
        i = end + 1;
        if (attr === "resolve" || attr === "absolute" || attr === "expanduser") continue;
        if (attr === "joinpath") val = join([asPath(val, env), ...args.map((a) => evalExpr(a, env))], env);
        else return UNKNOWN(`.${attr}()`);
      } else return UNKNOWN(`.${attr}`);
      continue;
    }
    return UNKNOWN(t.v === "[" ? "a subscript" : `${t.v} after a value`);
  }
}

function nameValue(name: string, env: Env): Val {
  if (name === "__file__") return { k: "path", segs: segments(env.file) };
  const full = canonical(name, env);
  if (full === "os.pardir" || full === "os.path.pardir") return { k: "str", v: ".." };
  if (full === "os.curdir" || full === "os.path.curdir") return { k: "str", v: "." };
  const bound = env.bindings.get(name);
  if (bound !== undefined) return bound;
  return UNKNOWN(`${name} is not bound to a path in this file`);
}

function call(fn: string, args: Tok[][], env: Env): Val {
  const vals = (): Val[] => args.map((a) => evalExpr(a, env));
  if (args.some((a) => a[0]?.v === "*" || a[0]?.v === "**" || (a.length > 1 && a[1].v === "="))) return UNKNOWN(`${fn}() with unpacked or keyword arguments`);
  if (IDENTITY.has(fn) && args.length === 1) return asPath(vals()[0], env);
  if ((fn === "pathlib.Path" || fn === "pathlib.PurePath" || fn === "pathlib.PosixPath") && args.length > 1) return join(vals(), env);
  if (fn === "os.path.dirname" && args.length === 1) return dirname(vals()[0], env);
  if (fn === "os.path.join") return join(vals(), env);
  if (fn === "os.getcwd" || fn === "pathlib.Path.cwd") return env.cwd === null ? UNKNOWN("the working directory") : { k: "path", segs: env.cwd };
  return UNKNOWN(`a call of ${fn}()`);
}

/** Source-like text of tokens, for messages. */
function text(toks: Tok[]): string {
  let s = "";
  for (const t of toks) s += (s !== "" && t.k === "name" && /\w$/.test(s) ? " " : "") + t.v;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Import aliases of the modules the evaluator knows (os, os.path, pathlib, sys, site). */
function readImport(toks: Tok[], aliases: Map<string, string>): void {
  const words = toks.map((t) => t.v);
  if (words[0] === "import") {
    for (const part of splitTop(toks.slice(1), ",")) {
      const as = part.findIndex((t) => t.k === "name" && t.v === "as");
      const mod = (as < 0 ? part : part.slice(0, as)).map((t) => t.v).join("");
      if (as >= 0 && part[as + 1]?.k === "name") aliases.set(part[as + 1].v, mod);
      else aliases.delete(mod.split(".")[0]);
    }
  } else if (words[0] === "from") {
    const at = words.indexOf("import");
    if (at < 0) return;
    const mod = words.slice(1, at).join("");
    if (mod.startsWith(".")) return;
    const names = toks.slice(at + 1).filter((t) => !(t.k === "op" && (t.v === "(" || t.v === ")")));
    for (const part of splitTop(names, ",")) {
      if (part.length === 0 || part[0].k !== "name") continue;
      const local = part.length >= 3 && part[1].v === "as" ? part[2].v : part[0].v;
      aliases.set(local, `${mod}.${part[0].v}`);
    }
  }
}

/** The items a list-valued argument adds; undefined items when unknown. */
function listItems(v: Val): Val[] {
  return v.k === "list" ? v.items : [v];
}

function dirOf(v: Val): Pick<SysPathEdit, "dir" | "why"> {
  if (v.k === "path") return { dir: v.segs.join("/") };
  if (v.k === "outside") return { dir: null };
  if (v.k === "str") return { dir: undefined, why: "a string that is not a path" };
  return { dir: undefined, why: v.k === "unknown" ? v.why : "a list where a path was expected" };
}

/**
 * The `sys.path` edits of a file, in line order. `select` picks the statements that run
 * (default: those at module level); `cwd` is the working directory relative strings are
 * taken from (null: unknown).
 */
export function sysPathEdits(file: string, stmts: Statement[], opts: { cwd?: string | null; select?: (st: Statement) => boolean } = {}): SysPathEdit[] {
  const env: Env = { file, cwd: opts.cwd === undefined || opts.cwd === null ? null : segments(opts.cwd), aliases: new Map(), bindings: new Map() };
  const select = opts.select ?? ((st: Statement) => st.moduleLevel);
  const out: SysPathEdit[] = [];
  for (const st of stmts) {
    const toks = st.toks;
    const first = toks[0];
    if (first.k === "name" && (first.v === "import" || first.v === "from")) {
      readImport(toks, env.aliases);
      continue;
    }
    if (!select(st)) continue;
    const eq = splitTop(toks, "=");
    const edit = (how: string, front: boolean, arg: Tok[]): void => {
      for (const item of listItems(evalExpr(arg, env))) {
        const found = dirOf(asPath(item, env));
        if (found.why !== undefined) found.why = `${text(arg)}: ${found.why}`;
        out.push({ where: `${file}:${st.line}`, line: st.line, how, front, ...found });
      }
    };
    if (eq.length === 2 && eq[0].length > 0) {
      const target = eq[0];
      const targetName = target.every((t) => t.k === "name" || t.v === ".") ? canonical(target.map((t) => t.v).join(""), env) : null;
      if (targetName === "sys.path") {
        // sys.path = [...] + sys.path (front) / sys.path + [...] (back)
        const rhs = eq[1];
        const sp = rhs.findIndex((t, i) => canonical(`${t.v}.path`, env) === "sys.path" && rhs[i + 1]?.v === "." && rhs[i + 2]?.v === "path");
        const front = sp > 0;
        const rest = sp < 0 ? rhs : front ? rhs.slice(0, Math.max(0, sp - 1)) : rhs.slice(sp + 4);
        edit("sys.path =", front, rest);
        continue;
      }
      if (target.length > 3 && canonical(target.slice(0, 3).map((t) => t.v).join(""), env) === "sys.path" && target[3].v === "[") {
        edit("sys.path[...] =", true, eq[1]);
        continue;
      }
      if (target.length === 1 && target[0].k === "name") env.bindings.set(target[0].v, evalExpr(eq[1], env));
      continue;
    }
    if (toks.length > 4 && toks[3]?.v === "+=" && canonical(toks.slice(0, 3).map((t) => t.v).join(""), env) === "sys.path") {
      edit("sys.path +=", false, toks.slice(4));
      continue;
    }
    // A call statement: sys.path.append(X) & co.
    const open = toks.findIndex((t) => t.v === "(");
    if (open < 1 || closer(toks, open) !== toks.length - 1 || !toks.slice(0, open).every((t) => t.k === "name" || t.v === ".")) continue;
    const fn = canonical(
      toks
        .slice(0, open)
        .map((t) => t.v)
        .join(""),
      env,
    );
    const args = splitTop(toks.slice(open + 1, -1), ",").filter((p) => p.length > 0);
    if ((fn === "sys.path.append" || fn === "sys.path.extend") && args.length === 1) edit(fn, false, args[0]);
    else if (fn === "site.addsitedir" && args.length >= 1) edit(fn, false, args[0]);
    else if (fn === "sys.path.insert" && args.length === 2) edit(fn, text(args[0]) === "0", args[1]);
  }
  return out;
}
