#!/usr/bin/env python3
"""CPython oracle for the module-attribute reader (src/python/bindings.ts).

Usage:
    find DIR -name '*.py' | python3 test/oracle/py_bindings.py     # one path per stdin line
    python3 test/oracle/py_bindings.py --json-sources < sources.json  # a JSON array of sources

For every file prints one JSON line:
    {"path": ..., "ok": true, "bindings": [[name, line, how, when]...],
     "deletes": [[name, line, how, when]...], "dynamic": [[line, when]...]}
or {"path": ..., "ok": false} when CPython cannot parse it.

What binds a module attribute, and the `when` of each, as the reader's header documents; here
over CPython's own `ast` (module scope = outside every def, lambda and class body; comprehension
variables are local to the comprehension, its walrus targets are not). `case` captures are given
line 0 (a pattern node's line is where the pattern starts, not the name).
"""

import ast
import json
import sys

RANK = {"top": 0, "conditional": 1, "call": 2, "never": 3}


def stronger(a, b):
    return a if RANK[a] >= RANK[b] else b


def is_type_checking(node):
    if isinstance(node, ast.Name):
        return node.id == "TYPE_CHECKING"
    if isinstance(node, ast.Attribute) and node.attr == "TYPE_CHECKING":
        value = node.value
        while isinstance(value, ast.Attribute):
            value = value.value
        return isinstance(value, ast.Name)
    return False


def classify(test):
    negations = 0
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        negations += 1
        test = test.operand
    if negations:
        return "not_type_checking" if negations == 1 and is_type_checking(test) else "other"
    if is_type_checking(test):
        return "type_checking"
    if isinstance(test, ast.Constant) and (test.value is None or test.value is False or (type(test.value) is int and test.value == 0)):
        return "false"
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        sides = [test.left, test.comparators[0]]
        name = [isinstance(s, ast.Name) and s.id == "__name__" for s in sides]
        main = [isinstance(s, ast.Constant) and s.value == "__main__" for s in sides]
        if (name[0] and main[1]) or (main[0] and name[1]):
            return "main"
    return "other"


def is_call_of(node, names):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names and not node.args and not node.keywords


class Oracle:
    def __init__(self):
        self.bindings = []
        self.deletes = []
        self.dynamic = []

    # scope: None (module) or {"kind": "def"|"class", "globals": set, "when": ...}
    def when_of(self, when, scope):
        return stronger(when, "call") if scope is not None and scope["kind"] == "def" else when

    def bind(self, name, line, how, when, scope):
        if scope is None:
            self.bindings.append([name, line, how, when])
        elif name in scope["globals"]:
            self.bindings.append([name, line, "global", self.when_of(when, scope)])

    def delete(self, name, line, when, scope):
        if scope is None:
            self.deletes.append([name, line, "assign", when])
        elif name in scope["globals"]:
            self.deletes.append([name, line, "global", self.when_of(when, scope)])

    def target(self, node, how, when, scope):
        if isinstance(node, ast.Name):
            self.bind(node.id, node.lineno, how, when, scope)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                self.target(e, how, when, scope)
        elif isinstance(node, ast.Starred):
            self.target(node.value, how, when, scope)
        elif isinstance(node, ast.Subscript):
            self.globals_write(node, when, scope)

    def globals_write(self, sub, when, scope):
        value = sub.value
        if not (is_call_of(value, ("globals",)) or (scope is None and is_call_of(value, ("vars",)))):
            return
        key = sub.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier():
            self.bindings.append([key.value, sub.lineno, "globals", self.when_of(when, scope)])
        else:
            self.dynamic.append([sub.lineno, self.when_of(when, scope)])

    def expr(self, node, when, scope):
        """Walrus targets and globals() writes in an expression (lambda bodies are another scope)."""
        stack = [node]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if isinstance(n, ast.NamedExpr):
                self.bind(n.target.id, n.target.lineno, "walrus", when, scope)
                stack.append(n.value)
                continue
            if isinstance(n, ast.Lambda):
                stack.extend(n.args.defaults)
                stack.extend(d for d in n.args.kw_defaults if d is not None)
                continue
            if isinstance(n, ast.Call):
                f = n.func
                if isinstance(f, ast.Attribute) and f.attr in ("update", "setdefault", "__setitem__") and (
                    is_call_of(f.value, ("globals",)) or (scope is None and is_call_of(f.value, ("vars",)))
                ):
                    self.dynamic.append([n.lineno, self.when_of(when, scope)])
                if isinstance(f, ast.Name) and f.id == "setattr" and n.args and ast.unparse(n.args[0]).startswith("sys.modules"):
                    self.dynamic.append([n.lineno, self.when_of(when, scope)])
            stack.extend(ast.iter_child_nodes(n))

    def args(self, a, when, scope):
        for d in a.defaults + [d for d in a.kw_defaults if d is not None]:
            self.expr(d, when, scope)
        for arg in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            if arg.annotation is not None:
                self.expr(arg.annotation, when, scope)

    def pattern(self, p, when, scope):
        stack = [p]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.MatchAs) and n.name:
                self.bind(n.name, 0, "match", when, scope)
            elif isinstance(n, ast.MatchStar) and n.name:
                self.bind(n.name, 0, "match", when, scope)
            elif isinstance(n, ast.MatchMapping) and n.rest:
                self.bind(n.rest, 0, "match", when, scope)
            stack.extend(c for c in ast.iter_child_nodes(n) if isinstance(c, ast.pattern))

    def body(self, stmts, when, scope):
        for s in stmts:
            self.stmt(s, when, scope)

    def stmt(self, s, when, scope):
        cond = stronger(when, "conditional")
        if isinstance(s, ast.Import):
            for a in s.names:
                self.bind(a.asname or a.name.split(".")[0], a.lineno, "import", when, scope)
        elif isinstance(s, ast.ImportFrom):
            if any(a.name == "*" for a in s.names):
                if scope is None:
                    self.dynamic.append([s.lineno, when])
            else:
                for a in s.names:
                    self.bind(a.asname or a.name, a.lineno, "import", when, scope)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in s.decorator_list:
                self.expr(d, when, scope)
            if isinstance(s, ast.ClassDef):
                for b in s.bases + [k.value for k in s.keywords]:
                    self.expr(b, when, scope)
            else:
                self.args(s.args, when, scope)
                if s.returns is not None:
                    self.expr(s.returns, when, scope)
            self.bind(s.name, s.lineno, "def" if not isinstance(s, ast.ClassDef) else "class", when, scope)
            inner = {"kind": "class" if isinstance(s, ast.ClassDef) else "def", "globals": set(), "when": when}
            for n in walk_scope(s.body):
                if isinstance(n, ast.Global):
                    inner["globals"].update(n.names)
            inner_when = when if inner["kind"] == "class" else stronger(when, "call")
            self.body(s.body, inner_when, inner)
        elif isinstance(s, ast.Assign):
            for t in s.targets:
                self.target(t, "assign", when, scope)
            self.expr(s.value, when, scope)
            for t in s.targets:
                self.expr(t, when, scope)
        elif isinstance(s, ast.AugAssign):
            self.target(s.target, "assign", when, scope)
            self.expr(s.value, when, scope)
            self.expr(s.target, when, scope)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.target(s.target, "assign", when, scope)
                self.expr(s.value, when, scope)
            self.expr(s.annotation, when, scope)
            self.expr(s.target, when, scope)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Name):
                    self.delete(t.id, t.lineno, when, scope)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.target(s.target, "for", cond, scope)
            self.expr(s.iter, when, scope)
            self.body(s.body, cond, scope)
            self.body(s.orelse, cond, scope)
        elif isinstance(s, ast.While):
            self.expr(s.test, when, scope)
            self.body(s.body, cond, scope)
            self.body(s.orelse, cond, scope)
        elif isinstance(s, ast.If):
            self.expr(s.test, when, scope)
            t = classify(s.test)
            self.body(s.body, "never" if t in ("type_checking", "false", "main") else cond, scope)
            self.body(s.orelse, "never" if t == "not_type_checking" else cond, scope)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.expr(item.context_expr, when, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, "with", when, scope)
            self.body(s.body, cond, scope)
        elif isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.body(s.body, cond, scope)
            for h in s.handlers:
                if h.type is not None:
                    self.expr(h.type, when, scope)
                self.body(h.body, cond, scope)
            self.body(s.orelse, cond, scope)
            self.body(s.finalbody, cond, scope)
        elif isinstance(s, ast.Match):
            self.expr(s.subject, when, scope)
            for c in s.cases:
                self.pattern(c.pattern, cond, scope)
                if c.guard is not None:
                    self.expr(c.guard, cond, scope)
                self.body(c.body, cond, scope)
        elif isinstance(s, ast.Global):
            pass
        else:
            for child in ast.iter_child_nodes(s):
                if isinstance(child, ast.expr):
                    self.expr(child, when, scope)


def walk_scope(stmts):
    """Nodes of a def/class body, not entering nested defs, lambdas or classes."""
    stack = list(stmts)
    while stack:
        n = stack.pop()
        yield n
        for c in ast.iter_child_nodes(n):
            if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(c)


def facts(path, source):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {"path": path, "ok": False}
    o = Oracle()
    try:
        o.body(tree.body, "top", None)
    except RecursionError:
        return {"path": path, "ok": False}
    return {"path": path, "ok": True, "bindings": o.bindings, "deletes": o.deletes, "dynamic": o.dynamic}


def main():
    sys.setrecursionlimit(10000)
    if sys.argv[1:] == ["--json-sources"]:
        for i, src in enumerate(json.load(sys.stdin)):
            print(json.dumps(facts(str(i), src.encode("utf-8"))))
        return
    for line in sys.stdin:
        path = line.rstrip("\n")
        if path:
            with open(path, "rb") as fh:
                print(json.dumps(facts(path, fh.read())))


if __name__ == "__main__":
    main()
