/** Decoding of Python `str` literal bodies (escape sequences), for the literals the scanner reports. */

const SIMPLE: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/**
 * Decode the escapes of a non-raw `str` literal body. Returns null for `\N{...}` (named
 * characters need the Unicode name table; no module path contains one).
 */
export function unescapePython(body: string): string | null {
  if (body.indexOf("\\") < 0) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = body[i + 1];
    if (n === undefined) return null;
    if (n === "\n") {
      i += 1;
      continue;
    }
    if (n === "\r") {
      i += body[i + 2] === "\n" ? 2 : 1;
      continue;
    }
    if (SIMPLE[n] !== undefined) {
      out += SIMPLE[n];
      i += 1;
      continue;
    }
    if (n >= "0" && n <= "7") {
      let j = i + 1;
      let digits = "";
      while (j < body.length && digits.length < 3 && body[j] >= "0" && body[j] <= "7") digits += body[j++];
      out += String.fromCodePoint(parseInt(digits, 8));
      i = j - 1;
      continue;
    }
    const width = n === "x" ? 2 : n === "u" ? 4 : n === "U" ? 8 : 0;
    if (width > 0) {
      const hex = body.slice(i + 2, i + 2 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return null;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return null;
      out += String.fromCodePoint(cp);
      i += 1 + width;
      continue;
    }
    if (n === "N") return null;
    // Unknown escapes keep the backslash (a warning in CPython, not an error).
    out += c;
  }
  return out;
}

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** `a.b.C`: an identifier path with at least one dot (ASCII identifiers only). */
export function isDottedPath(value: string): boolean {
  return value.length < 512 && DOTTED.test(value);
}
