/**
 * Calls of `self`, `cls`, `super` and common builtins are skipped on a first reading (they are
 * most calls and almost never of a name the file binds); a file that does bind one of those names
 * by an import or a `def`, anywhere, is read again so that its calls are recorded all the same.
 * The CPython oracle (cpython-agreement.test.ts) checks this over the standard library too.
 */
import { scanPython } from "../src/python/scanner";

function callees(src: string): string[] {
  return scanPython(Buffer.from(src)).calls.map((c) => c.callee);
}

describe("calls of rarely bound names", () => {
  it("are not recorded when the file does not bind them", () => {
    expect(callees("import os\nx = str(1)\nself.f()\nsuper().g()\nos.getcwd()\n")).toEqual(["os.getcwd"]);
  });

  it("are recorded when the file imports the name, even after the call", () => {
    expect(callees("import os\nx = str(1)\nself.f()\nos.getcwd()\nfrom builtins import str\n")).toEqual(["str", "os.getcwd"]);
    expect(callees("cls.make(lambda: cls())\nimport cls\n")).toEqual(["cls.make", "cls"]);
  });

  it("are recorded when the file defines a function of that name", () => {
    expect(callees("class A:\n    def len(self):\n        return 0\nn = len([])\nprint(n)\n")).toEqual(["len"]);
  });

  it("are not confused with attribute calls of the same name", () => {
    expect(callees("def len(x):\n    return x.len()\nlen(a).len()\n")).toEqual(["len"]);
  });
});
