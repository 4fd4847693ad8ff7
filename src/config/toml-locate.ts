/**
 * Best-effort line numbers for TOML keys, so that a configuration error can say
 * `pyproject.toml:14`. smol-toml returns values without positions; this scans the text for
 * table headers and `key =` lines. It does not understand multi-line strings or keys spread
 * over dotted-key lines in other tables; when it cannot tell, it answers the nearest table.
 */

import type { PathSegment } from "./schema";

interface Section {
  /** Header path, with the occurrence index appended for `[[array.tables]]`. */
  path: PathSegment[];
  line: number;
  /** First segment of each key defined directly in this section -> its first line. */
  keys: Map<string, number>;
}

function splitDotted(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    out.push(m[1] ?? m[2] ?? m[3]);
    if (m[0] === "") break;
  }
  return out;
}

function samePath(a: PathSegment[], b: PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export class TomlLocator {
  private readonly sections: Section[] = [];

  constructor(text: string) {
    const lines = text.split(/\r\n|\r|\n/);
    let current: Section = { path: [], line: 1, keys: new Map() };
    this.sections.push(current);
    const arrayCounts = new Map<string, number>();
    lines.forEach((lineText, i) => {
      const header = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(lineText);
      if (header !== null) {
        const path: PathSegment[] = splitDotted(header[2]);
        if (header[1] === "[[") {
          const id = path.join("\u0000");
          const n = arrayCounts.get(id) ?? 0;
          arrayCounts.set(id, n + 1);
          path.push(n);
        }
        current = { path, line: i + 1, keys: new Map() };
        this.sections.push(current);
        return;
      }
      const key = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]/.exec(lineText);
      if (key !== null) {
        const first = splitDotted(key[1])[0];
        if (first !== undefined && !current.keys.has(first)) current.keys.set(first, i + 1);
      }
    });
  }

  /** Line of the deepest part of `path` that the text defines, or null. */
  lineOf(path: PathSegment[]): number | null {
    for (let k = path.length; k >= 1; k--) {
      const parent = path.slice(0, k - 1);
      const last = path[k - 1];
      if (typeof last === "string") {
        const holder = this.sections.find((s) => samePath(s.path, parent) && s.keys.has(last));
        if (holder !== undefined) return holder.keys.get(last) ?? null;
      }
      const table = this.sections.find((s) => samePath(s.path, path.slice(0, k)));
      if (table !== undefined) return table.line;
    }
    return null;
  }
}
