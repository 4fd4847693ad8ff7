/**
 * Files CPython refuses outright get a diagnostic with their line: a NUL byte anywhere (in a
 * string or a comment too) and inconsistent tabs and spaces (TabError). CPython decides.
 */
import { spawnSync } from "node:child_process";
import { scanPython } from "../src/python/scanner";

function cpythonRefuses(src: Buffer): string | null {
  const res = spawnSync("python3", ["-c", "import ast,sys\ntry:\n ast.parse(sys.stdin.buffer.read())\nexcept (SyntaxError, ValueError) as e:\n print(type(e).__name__, getattr(e, 'lineno', None))"], { input: src, encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout.trim() || null;
}

const CASES: [string, string, RegExp | null][] = [
  ["a NUL byte in a string", 'x = "a\0b"\nimport os\n', /null bytes/],
  ["a NUL byte in a comment", "import os  # \0\n", /null bytes/],
  ["tabs then spaces at one level (TabError)", "if True:\n        x = 1\n\ty = 2\n", /TabError/],
  ["a tab-indented body under a space-indented one (TabError)", "if a:\n    if b:\n\tpass\n", /TabError/],
  ["tabs alone", "if x:\n\tif y:\n\t\tpass\n\telse:\n\t\tpass\nz = 1\n", null],
  ["spaces alone", "if x:\n    if y:\n        pass\nz = 1\n", null],
  ["a tab after the same spaces on every line", "if x:\n    \tpass\n    \tpass\n", null],
];

describe("files CPython refuses", () => {
  it.each(CASES)("%s", (_name, text, expected) => {
    const src = Buffer.from(text, "latin1");
    const refused = cpythonRefuses(src);
    const diags = scanPython(src).diagnostics.map((d) => d.message);
    expect(refused !== null).toBe(expected !== null);
    if (expected === null) expect(diags).toEqual([]);
    else expect(diags.some((m) => expected.test(m))).toBe(true);
  });
});
