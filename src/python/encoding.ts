/**
 * PEP 263 source encodings: how CPython decides a file's encoding, and decoding of the few
 * slices (names, string literals) the scanner turns into text.
 */
import { isUtf8 } from "node:buffer";

export interface SourceEncoding {
  /** Normalised encoding name (`utf-8`, `latin-1`, or a WHATWG label). */
  name: string;
  /** Bytes to skip at the start (a UTF-8 BOM). */
  bomLength: number;
  /** Problem CPython would reject the file for, if any. */
  error: { line: number; message: string } | null;
}

// CPython's cookie regex: ^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** Encodings CPython accepts in a cookie that the WHATWG TextDecoder also knows (by its label). */
const KNOWN: Record<string, string> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "latin-1": "latin-1",
  latin1: "latin-1",
  "iso-8859-1": "latin-1",
  "iso8859-1": "latin-1",
  l1: "latin-1",
  cp819: "latin-1",
  ascii: "utf-8",
  "us-ascii": "utf-8",
  cp1252: "windows-1252",
  "windows-1252": "windows-1252",
  cp1251: "windows-1251",
  "windows-1251": "windows-1251",
  cp1250: "windows-1250",
  "koi8-r": "koi8-r",
  "koi8-u": "koi8-u",
  "euc-jp": "euc-jp",
  "shift-jis": "shift_jis",
  "shift_jis": "shift_jis",
  sjis: "shift_jis",
  cp932: "shift_jis",
  gbk: "gbk",
  gb2312: "gbk",
  gb18030: "gb18030",
  big5: "big5",
  "euc-kr": "euc-kr",
  "mac-roman": "macintosh",
  macroman: "macintosh",
};

function normalise(raw: string): string {
  // CPython's get_normal_name(): "utf-8-*" -> utf-8; "latin-1-*", "iso-8859-1-*", "iso-latin-1-*" -> latin-1.
  const s = raw.toLowerCase().replace(/_/g, "-");
  if (s === "utf-8" || s.startsWith("utf-8-")) return "utf-8";
  if (/^(latin-1|iso-8859-1|iso-latin-1)(-|$)/.test(s)) return "latin-1";
  return s;
}

function lookup(raw: string): string | null {
  const s = normalise(raw);
  if (KNOWN[s] !== undefined) return KNOWN[s];
  const m = /^iso-?8859-?(\d+)$/.exec(s);
  if (m) return `iso-8859-${m[1]}`;
  const cp = /^(?:cp|windows-)(125\d)$/.exec(s);
  if (cp) return `windows-${cp[1]}`;
  return null;
}

function firstLines(buf: Uint8Array, from: number): string[] {
  const out: string[] = [];
  let start = from;
  for (let i = from; i < buf.length && out.length < 2; i++) {
    const c = buf[i];
    if (c === 10 || c === 13) {
      out.push(Buffer.from(buf.buffer, buf.byteOffset + start, i - start).toString("latin1"));
      if (c === 13 && buf[i + 1] === 10) i++;
      start = i + 1;
    }
  }
  if (out.length < 2 && start < buf.length) {
    const end = Math.min(buf.length, start + 400);
    out.push(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1"));
  }
  return out;
}

function mayHaveCookie(buf: Uint8Array, from: number): boolean {
  let i = from;
  for (let line = 0; line < 2; line++) {
    while (buf[i] === 32 || buf[i] === 9 || buf[i] === 12) i++;
    if (buf[i] === 35) return true;
    // Line 2 counts only when line 1 is blank.
    if (buf[i] !== 10 && buf[i] !== 13) return false;
    i += buf[i] === 13 && buf[i + 1] === 10 ? 2 : 1;
  }
  return false;
}

export function detectEncoding(buf: Uint8Array): SourceEncoding {
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  // The cookie is a comment on line 1 or 2: skip the regex when neither starts with '#'.
  const lines = mayHaveCookie(buf, bom) ? firstLines(buf, bom) : [];
  let cookie: { raw: string; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = COOKIE.exec(lines[i]);
    if (m) {
      cookie = { raw: m[1], line: i + 1 };
      break;
    }
    // The cookie may be on line 2 only when line 1 is blank or a comment.
    if (!/^[ \t\f]*(#.*)?$/.test(lines[i])) break;
  }
  let name = "utf-8";
  let error: SourceEncoding["error"] = null;
  if (cookie) {
    const found = lookup(cookie.raw);
    if (found === null) {
      error = { line: cookie.line, message: `unknown encoding: ${cookie.raw}` };
    } else {
      name = found;
      // CPython compares the cookie's normalised spelling: even "utf8" is an error after a BOM.
      if (bom && normalise(cookie.raw) !== "utf-8") {
        error = { line: cookie.line, message: `encoding problem: ${cookie.raw} with BOM` };
        name = "utf-8";
      }
    }
  }
  if (error === null && name === "utf-8" && !isUtf8(buf)) {
    error = { line: lineOfFirstInvalidUtf8(buf), message: "(unicode error) the file is not valid UTF-8 and declares no other encoding" };
  }
  return { name, bomLength: bom, error };
}

function lineOfFirstInvalidUtf8(buf: Uint8Array): number {
  // Only called for invalid files: decode line by line until a replacement appears.
  let line = 1;
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 10) {
      if (!isUtf8(buf.subarray(start, i))) return line;
      line++;
      start = i + 1;
    }
  }
  return 1;
}

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Decode a slice of the source in the file's encoding (invalid bytes become U+FFFD). */
export function decodeSlice(buf: Uint8Array, start: number, end: number, encoding: string): string {
  if (encoding === "utf-8") return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8");
  if (encoding === "latin-1") return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
  let d = decoders.get(encoding);
  if (d === undefined) {
    try {
      d = new TextDecoder(encoding);
    } catch {
      d = new TextDecoder("utf-8");
    }
    decoders.set(encoding, d);
  }
  return d.decode(buf.subarray(start, end));
}
