/**
 * The facts the scanner extracts from one Python file. Everything later in the
 * pipeline (the startup graph, the rules) asks these records; nothing re-reads source.
 *
 * Line numbers are 1-based, counted the way CPython counts them (\n, \r\n and a lone \r
 * each end a line).
 */

/**
 * One enclosing block of a statement, outermost first. The kinds mirror CPython's AST so
 * that the CPython oracle (test/oracle/py_facts.py) can print the very same strings:
 *
 * - `if:<test>:body` / `if:<test>:else`: `<test>` is `type_checking` (`TYPE_CHECKING`,
 *   `x.TYPE_CHECKING`), `not_type_checking`, `false` (`False`, `None`, an integer zero),
 *   `main` (`__name__ == "__main__"`, either side) or `other`. An `elif` is an `if` nested
 *   in the `else` branch, as in the AST, with one difference: in a run of consecutive
 *   `if:<test>:else` frames each distinct one is listed once (its first time), so an `elif`
 *   chain of any length has at most five of them (the meaning is the same; frames stay
 *   short and the scanner linear).
 * - `try:body`, `try:except:<caught>` (`import_error` when `ImportError` or
 *   `ModuleNotFoundError` is named, `broad` for a bare `except`, `Exception` or
 *   `BaseException`, else `other`), `try:else`, `try:finally`; `try*`/`except*` alike.
 * - `with` (and `async with`), `for:body`, `for:else` (and `async for`), `while:body`,
 *   `while:else`, `match` (a `case` body).
 * - `class:<Name>`, `def:<name>` (and `async def`), `lambda` (only for import calls; nested
 *   lambdas give one `lambda` frame).
 */
export type Frame = string;

export type ContextKind =
  | "top" // module top level: runs at import
  | "conditional" // inside a module-level if/try/with/for/while/match: runs at import, conditionally
  | "class_body" // inside a class body (not in a function): runs at import
  | "import_error_fallback" // in an `except ImportError` after a try-import: runs only if that import failed
  | "function" // inside a def/lambda: deferred until called
  | "type_checking" // under `if TYPE_CHECKING:`: never at run time
  | "dead" // under `if False:` / `if 0:`: never
  | "main_guard" // under `if __name__ == "__main__":`: not on import
  | "lazy"; // PEP 810 `lazy import`: deferred until first use

export interface ExecutionContext {
  kind: ContextKind;
  /** True when the statement executes when its module is imported (possibly conditionally). */
  atImport: boolean;
  /** True when it executes at import only under some condition (if/try/for/...). */
  conditional: boolean;
  /** Enclosing class/function names, e.g. `AnalyticsConfig.ready` (empty at module level). */
  scope: string;
  frames: Frame[];
}

export interface ImportedName {
  /** For `import a.b as c`: `a.b`. For `from m import x as y`: `x`. */
  name: string;
  asname: string | null;
}

export interface PyImport {
  kind: "import" | "from";
  line: number;
  endLine: number;
  /** Dotted module as written, without leading dots; `""` for `from . import x`. */
  module: string;
  /** Number of leading dots (0 = absolute). */
  level: number;
  /**
   * `import a.b as c, d` yields one record per alias (module `a.b` with names
   * `[{name: "a.b", asname: "c"}]`, then module `d`). `from` yields one record with all names.
   */
  names: ImportedName[];
  star: boolean;
  /** PEP 810 `lazy import` / `lazy from ... import`. */
  lazy: boolean;
  context: ExecutionContext;
}

/** `importlib.import_module("a.b")`, `import_module(".x", "pkg")`, `__import__("a.b")`. */
export interface PyImportCall {
  func: "import_module" | "__import__";
  line: number;
  module: string;
  /** The literal `package` argument of `import_module(".x", "pkg")`, when given. */
  package: string | null;
  context: ExecutionContext;
}

/**
 * A call of a dotted name (`f(...)`, `mod.f(...)`, `a.b.f(...)`) whose first name the file
 * binds by an import (anywhere) or a `def` (anywhere): the calls that may run repository code
 * (the startup graph follows them into the functions they run). Calls of other callees
 * (`self.x()`, `f()()`, builtins) are not recorded.
 */
export interface PyCall {
  line: number;
  /** The callee as written, dotted: `update_dashboards`, `settings_utils.update_dashboards`. */
  callee: string;
  /** Byte offsets in the file of the argument list (after `(`, up to `)`): read from the bytes when needed. */
  argsStart: number;
  argsEnd: number;
  context: ExecutionContext;
}

/** `import_module(expr)` / `__import__(expr)` whose first argument is not a string literal. */
export interface PyDynamicImport {
  func: "import_module" | "__import__";
  line: number;
  /** Argument text, whitespace normalised (capped like other texts). */
  args: string;
  context: ExecutionContext;
}

export interface PyClass {
  name: string;
  /** Dotted enclosing scope plus name, e.g. `Outer.Inner`. */
  qualname: string;
  line: number;
  endLine: number;
  /** Source text of each base expression (whitespace normalised), e.g. `AppConfig`, `apps.AppConfig`. */
  bases: string[];
  context: ExecutionContext;
}

export interface PyFunction {
  name: string;
  qualname: string;
  line: number;
  endLine: number;
  async: boolean;
  context: ExecutionContext;
}

export interface PyDecorator {
  line: number;
  /** Decorator expression text without `@`, whitespace normalised: `receiver(post_save, sender=Team)`. */
  text: string;
  /** Callee part: `receiver`, `mutable_receiver`, `admin.register`. */
  callee: string;
  /** Qualname of the decorated function or class. */
  target: string;
  context: ExecutionContext;
}

/** `signal.connect(handler, sender=X)` */
export interface PyConnectCall {
  line: number;
  /** Text before `.connect`, e.g. `post_save` or `signals.user_logged_in`. */
  signal: string;
  /** Argument text, whitespace normalised. */
  args: string;
  context: ExecutionContext;
}

/** String literal targets of `patch(...)`, `mock.patch(...)`, `patch.object(...)`, `patch.dict(...)`, `mocker.patch(...)`, `monkeypatch.setattr("a.b", ...)`. */
export interface PyPatchTarget {
  line: number;
  /** Callee text, e.g. `mock.patch`, `patch.object`, `mocker.patch`. */
  callee: string;
  /** The first argument's string value when it is a string literal (`"a.b.Name"`), else null. */
  target: string | null;
  /** For `patch.object(obj, "attr")`: the text of `obj` and the attribute literal. */
  objectText: string | null;
  attribute: string | null;
}

/** Any other call with a dotted string literal argument, e.g. `admin.site.register(Model)` is not one; `"myapp.middleware.X"` in settings is collected separately. */
export interface PyAdminRegister {
  line: number;
  /** Argument text, e.g. `Team` or `Team, TeamAdmin`. */
  args: string;
}

export interface PyDiagnostic {
  line: number;
  message: string;
}

export interface PyFileFacts {
  imports: PyImport[];
  importCalls: PyImportCall[];
  /** Calls of names the file binds by an import, a `def` or a `class` (see PyCall). */
  calls: PyCall[];
  /** Import calls whose module name is computed at run time. */
  dynamicImports: PyDynamicImport[];
  classes: PyClass[];
  functions: PyFunction[];
  decorators: PyDecorator[];
  connects: PyConnectCall[];
  patchTargets: PyPatchTarget[];
  adminRegisters: PyAdminRegister[];
  /** Literal module-level `__all__` names; null when absent; `dynamic` when it is not a literal list/tuple of strings. */
  all: { names: string[]; dynamic: boolean } | null;
  /** Every module-level string literal that looks like a dotted path (`"a.b.C"`), with its line: settings use them. */
  dottedStrings: { line: number; value: string }[];
  /** `from __future__ import annotations` is present. */
  futureAnnotations: boolean;
  diagnostics: PyDiagnostic[];
  lineCount: number;
}
