/**
 * `python -X importtime` logs: what each module cost to import, in microseconds.
 *
 *     import time: self [us] | cumulative | imported package
 *     import time:       412 |       1840 |   chdb.config
 *
 * The cumulative figure of a module includes everything its import pulled in first.
 */

export interface ImportCost {
  self: number;
  cumulative: number;
}

const LINE = /^import time:\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\S+)\s*$/;

/** Costs by module name; lines that are not importtime records are ignored. */
export function parseImporttime(text: string): Map<string, ImportCost> {
  const out = new Map<string, ImportCost>();
  for (const line of text.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const cost = { self: Number(m[1]), cumulative: Number(m[2]) };
    const prev = out.get(m[3]);
    if (prev === undefined || cost.cumulative > prev.cumulative) out.set(m[3], cost);
  }
  return out;
}

/** Milliseconds a module adds when first imported (its cumulative time), or null when the log does not know it. */
export function costMs(costs: ReadonlyMap<string, ImportCost>, module: string): number | null {
  const c = costs.get(module);
  return c === undefined ? null : c.cumulative / 1000;
}
