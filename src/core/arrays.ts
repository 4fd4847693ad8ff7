/**
 * Array helpers that stay within a bounded stack on inputs of any size. `out.push(...items)`
 * and `Math.max(...values)` pass every element as an argument: over about 100,000 elements
 * they throw "Maximum call stack size exceeded". Use these instead wherever the length comes
 * from the input (files, lines, imports, settings entries, globs).
 */

/** Appends every item of `items` to `out` (in order) and returns `out`. */
export function pushAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const x of items) out.push(x);
  return out;
}

/** The largest of `values`, or `empty` when there are none. */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let max = empty;
  let seen = false;
  for (const v of values) {
    if (!seen || v > max) max = v;
    seen = true;
  }
  return max;
}
