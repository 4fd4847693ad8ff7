/** From the frames enclosing a statement to what it means for import time. */
import type { ContextKind, ExecutionContext, Frame } from "./types";

const cache = new WeakMap<Frame[], ExecutionContext>();

function classify(frames: Frame[]): ContextKind {
  let dead = false;
  let typeChecking = false;
  let main = false;
  let fn = false;
  let fallback = false;
  let cls = false;
  for (const f of frames) {
    switch (f) {
      case "if:false:body":
        dead = true;
        break;
      case "if:type_checking:body":
      case "if:not_type_checking:else":
        typeChecking = true;
        break;
      case "if:main:body":
        main = true;
        break;
      case "lambda":
        fn = true;
        break;
      case "try:except:import_error":
        fallback = true;
        break;
      default:
        if (f.startsWith("def:")) fn = true;
        else if (f.startsWith("class:")) cls = true;
    }
  }
  if (dead) return "dead";
  if (typeChecking) return "type_checking";
  if (main) return "main_guard";
  if (fn) return "function";
  if (fallback) return "import_error_fallback";
  if (cls) return "class_body";
  return frames.length === 0 ? "top" : "conditional";
}

function scopeOf(frames: Frame[]): string {
  let scope = "";
  for (const f of frames) {
    if (f.startsWith("class:")) scope = scope ? `${scope}.${f.slice(6)}` : f.slice(6);
    else if (f.startsWith("def:")) scope = scope ? `${scope}.${f.slice(4)}` : f.slice(4);
  }
  return scope;
}

const AT_IMPORT: Record<ContextKind, boolean> = {
  top: true,
  conditional: true,
  class_body: true,
  import_error_fallback: true,
  function: false,
  type_checking: false,
  dead: false,
  main_guard: false,
  lazy: false,
};

/** The execution context for statements enclosed by `frames` (cached per frames array). */
export function contextOf(frames: Frame[], lazy = false): ExecutionContext {
  if (lazy) return computeContext(frames, true);
  let ctx = cache.get(frames);
  if (ctx === undefined) {
    ctx = computeContext(frames, false);
    cache.set(frames, ctx);
  }
  return ctx;
}

/** `contextOf` without its cache (for a caller that keeps its own: the scanner, see `childContextOf`). */
export function computeContext(frames: Frame[], lazy: boolean): ExecutionContext {
  let kind = classify(frames);
  if (lazy && AT_IMPORT[kind]) kind = "lazy";
  const atImport = AT_IMPORT[kind];
  return {
    kind,
    atImport,
    conditional: atImport && frames.some((f) => !f.startsWith("class:")),
    scope: scopeOf(frames),
    frames,
  };
}

/** Kinds by precedence: a statement's kind is that of its highest-ranking frame (see `classify`). */
const RANK: Record<ContextKind, number> = {
  top: 0,
  conditional: 1,
  class_body: 2,
  import_error_fallback: 3,
  function: 4,
  main_guard: 5,
  type_checking: 6,
  dead: 7,
  lazy: -1,
};

/**
 * `contextOf(frames)` for `frames` = the frames of `parent` plus `frames[frames.length - 1]`,
 * worked out from `parent` (the same result, with less work; not cached).
 */
export function childContextOf(parent: ExecutionContext, frames: Frame[]): ExecutionContext {
  const f = frames[frames.length - 1];
  const own = classify([f]);
  const kind = RANK[own] > RANK[parent.kind] ? own : parent.kind;
  const atImport = AT_IMPORT[kind];
  const isClass = f.startsWith("class:");
  let scope = parent.scope;
  if (isClass || f.startsWith("def:")) {
    const name = f.slice(isClass ? 6 : 4);
    scope = scope ? `${scope}.${name}` : name;
  }
  // A kind not at import time outranks every kind at import time: when this one is at import
  // time, so is the parent's, and its `conditional` says whether it has a non-class frame.
  return { kind, atImport, conditional: atImport && (parent.conditional || !isClass), scope, frames };
}

/** Plain-language description of a context, for messages: "at module top level", "inside `AnalyticsConfig.ready()`". */
export function describeContext(ctx: ExecutionContext): string {
  switch (ctx.kind) {
    case "top":
      return "at module top level";
    case "conditional": {
      const f = ctx.frames;
      const last = f[f.length - 1];
      const elif = last.startsWith("if:") && last.endsWith(":body") && f.length > 1 && f[f.length - 2].startsWith("if:") && f[f.length - 2].endsWith(":else");
      return `at module level, conditionally (inside ${elif ? "an `elif`" : describeFrame(last)})`;
    }
    case "class_body":
      return `in the body of class ${ctx.scope}`;
    case "import_error_fallback":
      return "in an `except ImportError` fallback";
    case "function":
      return ctx.scope ? `inside ${ctx.scope}()` : "inside a lambda";
    case "type_checking":
      return "under `if TYPE_CHECKING:`";
    case "dead":
      return "in dead code (`if False:`)";
    case "main_guard":
      return 'under `if __name__ == "__main__":`';
    case "lazy":
      return "as a PEP 810 lazy import";
  }
}

function describeFrame(f: Frame): string {
  if (f.startsWith("if:")) return f.endsWith(":else") ? "an `else`" : "an `if`";
  if (f.startsWith("try:except")) return "an `except` handler";
  if (f === "try:body") return "a `try`";
  if (f.startsWith("try:")) return `a \`try\`'s \`${f.slice(4)}\``;
  if (f.startsWith("class:")) return `class ${f.slice(6)}`;
  if (f.startsWith("for:")) return "a `for` loop";
  if (f.startsWith("while:")) return "a `while` loop";
  if (f === "with") return "a `with` block";
  if (f === "match") return "a `match` case";
  return f;
}
