#!/usr/bin/env python3
"""CPython oracle for the Python import scanner (src/python/scanner.ts).

Usage:
    python3 test/oracle/py_facts.py FILE...          # paths as arguments
    find DIR -name '*.py' | python3 test/oracle/py_facts.py   # or one path per stdin line
    python3 test/oracle/py_facts.py --json-sources < sources.json  # a JSON array of sources

For every file prints one JSON line:
    {"path": ..., "ok": true, "imports": [...], "importCalls": [...], "classes": [...],
     "functions": [...], "all": ..., "dottedStrings": [...], "futureAnnotations": bool}
or, when CPython cannot parse it (SyntaxError, null bytes, RecursionError, ...):
    {"path": ..., "ok": false, "error": "SyntaxError: <msg> line N", "errorLine": N|null}

Field names and frame strings are those of src/python/types.ts. The file is parsed from
its bytes (`ast.parse(open(p, 'rb').read())`), so coding cookies and BOMs behave exactly
as in CPython. Standard library only; one process for all files; the tree walk is
iterative so deeply nested (but parseable) files never hit the recursion limit.

Frame rules (ground truth for the scanner):
- A compound statement's header expressions (an `if`/`while` test, a `for` target and
  iterable, `with` items, an `except` type, a `match` subject, `case` patterns and guards)
  belong to the ENCLOSING frames; only the statements of each block get the new frame.
- `if:<test>:body` / `if:<test>:else`; an `elif` is an `If` inside the `else` block.
- `try:body`, `try:except:<caught>`, `try:else`, `try:finally` (also for `try*`).
- `with`, `for:body`, `for:else`, `while:body`, `while:else`, `match` (each case body).
- `class:<Name>` and `def:<name>` frame the body only; decorators, bases, keywords,
  default values and annotations are evaluated in the enclosing frames. `lambda` frames
  the lambda body (its defaults are enclosing). Comprehensions add no frame.
- A class/function record's own `frames` are its enclosing frames (not its own frame).

Other rules:
- `dottedStrings` skips the whole subtree of an f-string (JoinedStr), including plain
  literals implicitly concatenated with it (`"a.b" f"{x}"` is one JoinedStr) and literals
  inside its `{...}` expressions; `importCalls` inside those expressions still count.
- `lazy` is always false (no PEP 810 syntax before Python 3.15).
- Names are as the AST has them: non-ASCII identifiers are NFKC-normalised by CPython.
- `__all__`: see module_all().
- `calls`: every call whose callee is a dotted name (`f(...)`, `a.b.f(...)`: a Name, or
  Attributes over a Name) and whose first name the file binds by an import (anywhere; the
  name an `import`/`from` statement binds) or by a `def` (anywhere). Calls inside f-string
  replacement fields are not recorded (the scanner reads an f-string as one token).
- `dynamicImports`: `import_module(...)`/`__import__(...)` calls (a Name or an attribute
  of that name) whose first positional argument is not a str literal; not inside f-strings.
"""

import ast
import json
import os
import re
import sys

DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
IMPORT_FUNCS = ("import_module", "__import__")
IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")
BROAD = ("Exception", "BaseException")

if hasattr(ast, "TryStar"):
    TRY_TYPES = (ast.Try, ast.TryStar)
else:  # Python < 3.11
    TRY_TYPES = (ast.Try,)
MATCH_TYPE = getattr(ast, "Match", None)


# ---------------------------------------------------------------- classification

def _is_type_checking(node):
    return (isinstance(node, ast.Name) and node.id == "TYPE_CHECKING") or (
        isinstance(node, ast.Attribute) and node.attr == "TYPE_CHECKING"
    )


def _is_str(node, value=None):
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (value is None or node.value == value)
    )


def classify_test(test):
    if _is_type_checking(test):
        return "type_checking"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_type_checking(test.operand):
        return "not_type_checking"
    if isinstance(test, ast.Constant):
        v = test.value
        if v is None or v is False or (type(v) is int and v == 0):
            return "false"
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        left, right = test.left, test.comparators[0]
        for a, b in ((left, right), (right, left)):
            if isinstance(a, ast.Name) and a.id == "__name__" and _is_str(b, "__main__"):
                return "main"
    return "other"


def classify_handler(type_node):
    if type_node is None:
        return "broad"
    elts = type_node.elts if isinstance(type_node, ast.Tuple) else [type_node]
    ids = [e.id for e in elts if isinstance(e, ast.Name)]
    if any(i in IMPORT_ERRORS for i in ids):
        return "import_error"
    if any(i in BROAD for i in ids):
        return "broad"
    return "other"


# ---------------------------------------------------------------- facts

class Facts:
    def __init__(self):
        self.imports = []
        self.import_calls = []
        self.classes = []
        self.functions = []
        self.dotted = []
        self.calls = []
        self.dynamic_imports = []

    def add_import(self, node, frames):
        fr = list(frames)
        if isinstance(node, ast.Import):
            for i, alias in enumerate(node.names):
                self.imports.append(((node.lineno, node.col_offset, i), {
                    "kind": "import",
                    "line": node.lineno,
                    "endLine": node.end_lineno,
                    "module": alias.name,
                    "level": 0,
                    "names": [{"name": alias.name, "asname": alias.asname}],
                    "star": False,
                    "lazy": False,
                    "frames": fr,
                }))
        else:
            star = len(node.names) == 1 and node.names[0].name == "*"
            names = [] if star else [{"name": a.name, "asname": a.asname} for a in node.names]
            self.imports.append(((node.lineno, node.col_offset, 0), {
                "kind": "from",
                "line": node.lineno,
                "endLine": node.end_lineno,
                "module": node.module or "",
                "level": node.level or 0,
                "names": names,
                "star": star,
                "lazy": False,
                "frames": fr,
            }))

    def add_call(self, node, frames, in_fstr):
        func = node.func
        if isinstance(func, ast.Name):
            fname = func.id
        elif isinstance(func, ast.Attribute):
            fname = func.attr
        else:
            return
        if not in_fstr:
            parts = []
            f = func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
                self.calls.append(((node.lineno, node.col_offset), {
                    "line": node.lineno,
                    "callee": ".".join(reversed(parts)),
                    "frames": list(frames),
                }))
            if fname in IMPORT_FUNCS and node.args and not _is_str(node.args[0]):
                self.dynamic_imports.append(((node.lineno, node.col_offset), {
                    "func": fname,
                    "line": node.lineno,
                    "frames": list(frames),
                }))
        if fname not in IMPORT_FUNCS or not node.args or not _is_str(node.args[0]):
            return
        package = None
        if len(node.args) >= 2 and _is_str(node.args[1]):
            package = node.args[1].value
        self.import_calls.append(((node.lineno, node.col_offset), {
            "func": fname,
            "line": node.lineno,
            "module": node.args[0].value,
            "package": package,
            "frames": list(frames),
        }))


def _extend(stack, nodes, frames, scope, in_fstr):
    for n in nodes:
        if n is not None:
            stack.append((n, frames, scope, in_fstr))


def walk(tree, facts):
    # Entries: (node, frames tuple, scope tuple, inside a JoinedStr).
    # Order of visiting does not matter: every list is sorted afterwards.
    stack = [(tree, (), (), False)]
    push = stack.append
    while stack:
        node, frames, scope, in_fstr = stack.pop()
        t = type(node)

        if t is ast.If:
            kind = classify_test(node.test)
            push((node.test, frames, scope, in_fstr))
            _extend(stack, node.body, frames + ("if:%s:body" % kind,), scope, in_fstr)
            _extend(stack, node.orelse, frames + ("if:%s:else" % kind,), scope, in_fstr)
        elif t in TRY_TYPES:
            _extend(stack, node.body, frames + ("try:body",), scope, in_fstr)
            for h in node.handlers:
                if h.type is not None:
                    push((h.type, frames, scope, in_fstr))
                _extend(stack, h.body, frames + ("try:except:%s" % classify_handler(h.type),), scope, in_fstr)
            _extend(stack, node.orelse, frames + ("try:else",), scope, in_fstr)
            _extend(stack, node.finalbody, frames + ("try:finally",), scope, in_fstr)
        elif t is ast.For or t is ast.AsyncFor:
            push((node.target, frames, scope, in_fstr))
            push((node.iter, frames, scope, in_fstr))
            _extend(stack, node.body, frames + ("for:body",), scope, in_fstr)
            _extend(stack, node.orelse, frames + ("for:else",), scope, in_fstr)
        elif t is ast.While:
            push((node.test, frames, scope, in_fstr))
            _extend(stack, node.body, frames + ("while:body",), scope, in_fstr)
            _extend(stack, node.orelse, frames + ("while:else",), scope, in_fstr)
        elif t is ast.With or t is ast.AsyncWith:
            _extend(stack, node.items, frames, scope, in_fstr)
            _extend(stack, node.body, frames + ("with",), scope, in_fstr)
        elif MATCH_TYPE is not None and t is MATCH_TYPE:
            push((node.subject, frames, scope, in_fstr))
            for case in node.cases:
                push((case.pattern, frames, scope, in_fstr))
                if case.guard is not None:
                    push((case.guard, frames, scope, in_fstr))
                _extend(stack, case.body, frames + ("match",), scope, in_fstr)
        elif t is ast.ClassDef:
            facts.classes.append(((node.lineno, node.col_offset), {
                "name": node.name,
                "qualname": ".".join(scope + (node.name,)),
                "line": node.lineno,
                "endLine": node.end_lineno,
                "frames": list(frames),
            }))
            _extend(stack, node.decorator_list, frames, scope, in_fstr)
            _extend(stack, node.bases, frames, scope, in_fstr)
            _extend(stack, node.keywords, frames, scope, in_fstr)
            _extend(stack, getattr(node, "type_params", ()), frames, scope, in_fstr)
            _extend(stack, node.body, frames + ("class:" + node.name,), scope + (node.name,), in_fstr)
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            facts.functions.append(((node.lineno, node.col_offset), {
                "name": node.name,
                "qualname": ".".join(scope + (node.name,)),
                "line": node.lineno,
                "endLine": node.end_lineno,
                "async": t is ast.AsyncFunctionDef,
                "frames": list(frames),
            }))
            _extend(stack, node.decorator_list, frames, scope, in_fstr)
            push((node.args, frames, scope, in_fstr))
            if node.returns is not None:
                push((node.returns, frames, scope, in_fstr))
            _extend(stack, getattr(node, "type_params", ()), frames, scope, in_fstr)
            _extend(stack, node.body, frames + ("def:" + node.name,), scope + (node.name,), in_fstr)
        elif t is ast.Lambda:
            push((node.args, frames, scope, in_fstr))
            push((node.body, frames + ("lambda",), scope, in_fstr))
        else:
            if t is ast.Import or t is ast.ImportFrom:
                facts.add_import(node, frames)
            elif t is ast.Call:
                facts.add_call(node, frames, in_fstr)
            elif t is ast.Constant:
                v = node.value
                if not in_fstr and type(v) is str and DOTTED.fullmatch(v):
                    facts.dotted.append(((node.lineno, node.col_offset), {"line": node.lineno, "value": v}))
            child_fstr = in_fstr or t is ast.JoinedStr
            for child in ast.iter_child_nodes(node):
                push((child, frames, scope, child_fstr))


# ---------------------------------------------------------------- __all__ and __future__

def _literal_str_seq(value):
    if isinstance(value, (ast.List, ast.Tuple)) and all(_is_str(e) for e in value.elts):
        return [e.value for e in value.elts]
    return None


def _binds_all(target):
    """`__all__` is bound by this target: directly (True), by unpacking ("nested"), or not."""
    if isinstance(target, ast.Name):
        return target.id == "__all__"
    if any(isinstance(n, ast.Name) and n.id == "__all__" and isinstance(n.ctx, ast.Store) for n in ast.walk(target)):
        return "nested"
    return False


def _all_mutation(stmt):
    """A top-level `__all__.extend(x)` / `__all__.append(x)` statement: the literal names it
    adds, or None when its argument is not a literal; False when it is no such statement."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    call = stmt.value
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "__all__"
        and func.attr in ("extend", "append")
    ):
        return False
    if len(call.args) != 1 or call.keywords:
        return None
    arg = call.args[0]
    if func.attr == "append":
        return [arg.value] if _is_str(arg) else None
    return _literal_str_seq(arg)


def module_all(tree):
    """`__all__` from top-level statements only, in order:
    - `__all__ = L` (also annotated) with L a literal list/tuple of str: names = L, static;
    - `__all__ += L`, `__all__.extend(L)`, `__all__.append("s")`: names += L;
    - `__all__ = <not a literal>`: dynamic, and no names (the rebinding discards them);
    - any other assignment to `__all__` (unpacking, `-=`), or a non-literal
      `+=`/`extend`/`append` argument: dynamic, keeping the names collected so far.
    A later literal `=` makes it static again. Other mutations (`__all__.remove(...)`,
    `__all__[i] = ...`) and everything not at top level are ignored. None when never bound."""
    names = None
    dynamic = False
    for stmt in tree.body:
        added = _all_mutation(stmt)
        if added is not False:
            names = names or []
            if added is None:
                dynamic = True
            else:
                names = names + added
            continue
        if isinstance(stmt, ast.Assign):
            targets, value, augmented = stmt.targets, stmt.value, False
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value, augmented = [stmt.target], stmt.value, False
        elif isinstance(stmt, ast.AugAssign):
            targets, value, augmented = [stmt.target], stmt.value, True
        else:
            continue
        binds = [_binds_all(tg) for tg in targets]
        if not any(binds):
            continue
        names = names or []
        lit = _literal_str_seq(value) if True in binds else None
        if not augmented and "nested" not in binds and lit is None:
            # A plain rebinding to something that is not a literal: earlier names are gone.
            names, dynamic = [], True
        elif "nested" in binds or lit is None or (augmented and not isinstance(stmt.op, ast.Add)):
            dynamic = True
        elif augmented:
            names = names + lit
        else:
            names, dynamic = lit, False
    if names is None:
        return None
    return {"names": names, "dynamic": dynamic}


def future_annotations(tree):
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == "__future__"
            and not stmt.level
            and any(a.name == "annotations" for a in stmt.names)
        ):
            return True
    return False


def bound_calls(facts):
    """The calls whose first name the file binds by an import, a `def` or a `class` (see `calls` above)."""
    bound = set()
    for _key, imp in facts.imports:
        if imp["kind"] == "import":
            n = imp["names"][0]
            bound.add(n["asname"] or imp["module"].split(".")[0])
        elif not imp["star"]:
            for n in imp["names"]:
                bound.add(n["asname"] or n["name"])
    for _key, fn in facts.functions:
        bound.add(fn["name"])
    for _key, c in facts.classes:
        bound.add(c["name"])
    return [(k, c) for k, c in facts.calls if c["callee"].split(".")[0] in bound]


# ---------------------------------------------------------------- driver

def _sorted(items):
    return [rec for _key, rec in sorted(items, key=lambda kv: kv[0])]


def facts_for(path):
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        return {"path": path, "ok": False, "error": "%s: %s" % (type(e).__name__, e), "errorLine": None}
    return facts_for_source(source, path)


def facts_for_source(source, path):
    try:
        tree = ast.parse(source, filename=path)
        facts = Facts()
        walk(tree, facts)
        return {
            "path": path,
            "ok": True,
            "imports": _sorted(facts.imports),
            "importCalls": _sorted(facts.import_calls),
            "classes": _sorted(facts.classes),
            "functions": _sorted(facts.functions),
            "all": module_all(tree),
            "dottedStrings": _sorted(facts.dotted),
            "futureAnnotations": future_annotations(tree),
            "calls": _sorted(bound_calls(facts)),
            "dynamicImports": _sorted(facts.dynamic_imports),
        }
    except SyntaxError as e:  # includes IndentationError / TabError
        line = e.lineno if isinstance(e.lineno, int) else None
        where = "" if line is None else " line %d" % line
        return {"path": path, "ok": False, "error": "%s: %s%s" % (type(e).__name__, e.msg, where),
                "errorLine": line}
    except Exception as e:  # ValueError (null bytes), RecursionError, MemoryError, OSError, ...
        return {"path": path, "ok": False, "error": "%s: %s" % (type(e).__name__, e), "errorLine": None}


def main(argv):
    if argv[1:] == ["--json-sources"]:
        # A JSON array of source strings on stdin (used by the scanner's case table).
        for k, src in enumerate(json.load(sys.stdin)):
            sys.stdout.write(json.dumps(facts_for_source(src.encode("utf-8"), "<case %d>" % k)))
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    paths = argv[1:]
    if not paths:
        paths = [os.fsdecode(ln.rstrip(b"\r\n")) for ln in sys.stdin.buffer]
        paths = [p for p in paths if p]
    out = sys.stdout
    for p in paths:
        out.write(json.dumps(facts_for(p)))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    main(sys.argv)
