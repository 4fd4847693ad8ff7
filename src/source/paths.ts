/**
 * Paths of a repository as git prints them and as readers accept them: git's C-style quoting
 * (patch headers, with core.quotepath=false) and repository-relative path checks.
 */

/** git's modes of the entries that are not regular files: a symbolic link, a submodule (gitlink). */
export const SYMLINK_MODE = "120000";
export const GITLINK_MODE = "160000";

const C_ESCAPES: Record<string, string> = { "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r", '"': '"', "\\": "\\" };

/** Quotes a path the way git does in patch headers when core.quotepath=false. */
export function quoteGitPath(name: string): string {
  let needs = false;
  let out = "";
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    const named = C_ESCAPES[ch];
    if (named !== undefined) {
      needs = true;
      out += `\\${named}`;
    } else if (code < 0x20 || code === 0x7f) {
      needs = true;
      out += `\\${code.toString(8).padStart(3, "0")}`;
    } else {
      out += ch;
    }
  }
  return needs ? `"${out}"` : name;
}

/**
 * Decodes a C-style quoted path (`"a/sp\303\251cial"`, quotes included) into the file
 * name. Octal escapes are bytes, so the result is decoded as UTF-8. Returns null when
 * `quoted` is not a complete quoted string.
 */
export function unquoteGitPath(quoted: string): string | null {
  const r = readQuoted(quoted, 0);
  return r && r.end === quoted.length ? r.value : null;
}

/** Reads a quoted string starting at `start` (which must be `"`); returns it and the index after the closing quote. */
export function readQuoted(text: string, start: number): { value: string; end: number } | null {
  if (text[start] !== '"') return null;
  const bytes: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') return { value: Buffer.from(bytes).toString("utf8"), end: i + 1 };
    if (ch === "\\") {
      const next = text[i + 1];
      if (next === undefined) return null;
      if (next in named) {
        bytes.push(named[next]);
        i += 2;
        continue;
      }
      const oct = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8) & 0xff);
        i += 4;
        continue;
      }
      // Unknown escape: keep it literally.
      bytes.push(...Buffer.from(next, "utf8"));
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const s = String.fromCodePoint(cp);
    bytes.push(...Buffer.from(s, "utf8"));
    i += s.length;
  }
  return null;
}

/**
 * Normalises a repo-relative POSIX path for lookup; null for paths that cannot name a file
 * in the repository (absolute, `..`, empty).
 */
export function normalizeRepoPath(p: string): string | null {
  if (typeof p !== "string" || p === "" || p.includes("\0") || p.startsWith("/")) return null;
  let rel = p;
  while (rel.startsWith("./")) rel = rel.slice(2);
  const parts = rel.split("/");
  if (parts.some((s) => s === "" || s === "." || s === "..")) return null;
  return rel;
}
