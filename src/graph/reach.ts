/**
 * Breadth-first reachability from the startup roots (all at distance 0), so every module's
 * recorded parent gives a shortest chain of imports. Edges are resolved lazily: only the
 * modules setup reaches are ever resolved. Ties go to the earlier root, then the earlier
 * import line.
 *
 * A second phase may follow (`then`): once setup is done, the walk goes on from more roots
 * (the first request's URLconf), and the modules setup imported are already there, as they
 * are in `sys.modules`: what the second phase adds is what only it imports, each with its
 * shortest chain from its own roots. Ids below `setup` are the first phase's.
 */
import type { Edge } from "./types";

export interface Reached {
  names: string[];
  ids: Map<string, number>;
  /** Parent in the BFS tree (-1 for a root) and the import line in the parent's file. */
  parent: number[];
  line: (number | null)[];
  /** For a module first reached through a called function: the call route (see Edge.via). */
  via: ({ via: string; steps: { file: string; line: number }[] } | null)[];
  depth: number[];
  /** Successors of each reached module (for dominators). */
  succ: number[][];
  /** How many modules (the first ids) the first phase reached; the rest only the second. */
  setup: number;
}

/** `added`, when given, is told of each module as the walk adds it (so its file can be read ahead). */
export async function reach(
  roots: string[],
  edgesOf: (module: string) => Promise<Edge[]>,
  added?: (module: string) => void,
  then?: { roots: string[]; start?(): void },
): Promise<Reached> {
  const r: Reached = { names: [], ids: new Map(), parent: [], line: [], via: [], depth: [], succ: [], setup: 0 };
  const add = (name: string, parent: number, line: number | null, via: Reached["via"][number] = null): number => {
    const id = r.names.length;
    r.names.push(name);
    r.ids.set(name, id);
    r.parent.push(parent);
    r.line.push(line);
    r.via.push(via);
    r.depth.push(parent < 0 ? 0 : r.depth[parent] + 1);
    r.succ.push([]);
    added?.(name);
    return id;
  };
  for (const root of roots) if (!r.ids.has(root)) add(root, -1, null);
  let cur = 0;
  for (let phase = 0; phase < 2; phase++) {
    if (phase === 1) {
      r.setup = r.names.length;
      if (then === undefined) break;
      then.start?.();
      for (const root of then.roots) if (!r.ids.has(root)) add(root, -1, null);
    }
    for (; cur < r.names.length; cur++) {
      const edges = await edgesOf(r.names[cur]);
      const succ = r.succ[cur];
      for (const e of edges) {
        let id = r.ids.get(e.target);
        if (id === undefined) id = add(e.target, cur, e.line, e.via === undefined ? null : { via: e.via, steps: e.steps ?? [] });
        if (id !== cur) succ.push(id);
      }
    }
  }
  return r;
}
