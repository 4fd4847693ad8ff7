/**
 * Glob lists (`exclude`, `overrides[].files`, `test_globs`...) compiled once for matching:
 * the same answers as `picomatch(globs, { dot: true })`, at a cost that does not grow with
 * the length of the list. picomatch builds a regular expression per glob (tens of
 * microseconds each) and tries every one on every path; a list of 200,000 globs took
 * minutes. Here the list is deduplicated and indexed, and a glob is compiled only when a
 * path could match it:
 *
 * - a glob without special characters is an exact path (a set lookup);
 * - a glob with a literal segment (`products/p1/**`, `**\/migrations/**`) is filed under its
 *   rarest literal segment: a path can match it only if the path has that segment;
 * - a glob whose last segment ends in literal text (`**\/*.py`, `test_*.py`) is filed under
 *   that text: the path's file name must end with it;
 * - the rest (`*`, `**`, `!x`...) are tried on every path.
 */
import picomatch from "picomatch";

/** Characters that make a glob segment more than literal text (conservative: `+`, `@`, `!` are special only before `(` or at the start). */
const SPECIAL = /[*?[\]{}()!+@|\\]/;
const LITERAL_TAIL = /[*?[\]{}()!+@|\\]([^*?[\]{}()!+@|\\]+)$/;

function isLiteralSegment(s: string): boolean {
  return s !== "" && s !== "." && s !== ".." && !SPECIAL.test(s);
}

function file<K>(index: Map<K, string[]>, key: K, glob: string): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [glob]);
  else list.push(glob);
}

export class GlobSet {
  private readonly exact = new Set<string>();
  private readonly bySegment = new Map<string, string[]>();
  private readonly byTail = new Map<string, string[]>();
  private readonly rest: string[] = [];
  private readonly compiled = new Map<string, (path: string) => boolean>();
  /** Globs looked at by `has` so far (a work counter for the linear-time tests). */
  tried = 0;

  constructor(globs: Iterable<string>) {
    const unique = [...new Set(globs)];
    // How many globs name each literal segment: a glob is filed under its rarest one.
    const frequency = new Map<string, number>();
    const segments = unique.map((g) => g.split("/"));
    for (const segs of segments) for (const s of new Set(segs)) if (isLiteralSegment(s)) frequency.set(s, (frequency.get(s) ?? 0) + 1);
    unique.forEach((g, k) => {
      const segs = segments[k];
      if (g.startsWith("!")) this.rest.push(g);
      else if (segs.every(isLiteralSegment)) this.exact.add(g);
      else {
        let rarest: string | null = null;
        for (const s of segs) if (isLiteralSegment(s) && (rarest === null || (frequency.get(s) ?? 0) < (frequency.get(rarest) ?? 0))) rarest = s;
        const last = segs[segs.length - 1];
        const tail = last === "**" ? null : LITERAL_TAIL.exec(last);
        if (rarest !== null) file(this.bySegment, rarest, g);
        else if (tail !== null) file(this.byTail, tail[1], g);
        else this.rest.push(g);
      }
    });
  }

  /** Whether `path` (repository-relative, `/`-separated) matches any of the globs. */
  has(path: string): boolean {
    if (this.exact.has(path)) return true;
    const segs = path.split("/");
    for (const s of new Set(segs)) if (this.any(this.bySegment.get(s), path)) return true;
    const name = segs[segs.length - 1];
    if (this.byTail.size > 0) for (let k = 0; k < name.length; k++) if (this.any(this.byTail.get(name.slice(k)), path)) return true;
    return this.any(this.rest, path);
  }

  private any(globs: string[] | undefined, path: string): boolean {
    if (globs === undefined) return false;
    for (const g of globs) {
      this.tried++;
      let m = this.compiled.get(g);
      if (m === undefined) this.compiled.set(g, (m = picomatch(g, { dot: true })));
      if (m(path)) return true;
    }
    return false;
  }
}
