/**
 * Dominators of the reached import graph (Cooper, Harvey and Kennedy's iterative algorithm),
 * with a virtual entry node in front of every startup root: module M dominates N when every
 * chain of imports from a root to N passes through M. The subtree sizes answer "how much of
 * startup is there only because of M".
 */

/** Immediate dominator of each node (`-1` for nodes hanging off the virtual entry), given successor lists and roots. */
export function immediateDominators(n: number, succ: number[][], roots: number[]): number[] {
  const ENTRY = n;
  const order: number[] = []; // postorder
  const seen = new Uint8Array(n + 1);
  const stack: [number, number][] = [[ENTRY, 0]];
  seen[ENTRY] = 1;
  const childrenOf = (v: number): number[] => (v === ENTRY ? roots : succ[v]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const kids = childrenOf(top[0]);
    if (top[1] < kids.length) {
      const w = kids[top[1]++];
      if (!seen[w]) {
        seen[w] = 1;
        stack.push([w, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  const po = new Int32Array(n + 1).fill(-1);
  order.forEach((v, i) => (po[v] = i));
  const preds: number[][] = Array.from({ length: n + 1 }, () => []);
  for (const r of roots) preds[r].push(ENTRY);
  for (let v = 0; v < n; v++) for (const w of succ[v]) preds[w].push(v);
  const idom = new Int32Array(n + 1).fill(-1);
  idom[ENTRY] = ENTRY;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (po[a] < po[b]) a = idom[a];
      while (po[b] < po[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = order.length - 2; i >= 0; i--) {
      const v = order[i];
      let nd = -1;
      for (const p of preds[v]) {
        if (idom[p] === -1) continue;
        nd = nd === -1 ? p : intersect(p, nd);
      }
      if (nd !== -1 && idom[v] !== nd) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  return Array.from(idom.subarray(0, n), (d) => (d === ENTRY ? -1 : d));
}

/** For each node, how many nodes it dominates (itself excluded) that satisfy `counted`. */
export function dominatedCounts(idom: number[], counted: (v: number) => boolean): number[] {
  const n = idom.length;
  const total = new Array<number>(n).fill(0);
  // Children before parents: sort by depth in the dominator tree, deepest first.
  const depth = new Array<number>(n).fill(-1);
  const depthOf = (v: number): number => {
    const path: number[] = [];
    let u = v;
    while (u !== -1 && depth[u] === -1) {
      path.push(u);
      u = idom[u];
    }
    let d = u === -1 ? -1 : depth[u];
    for (let i = path.length - 1; i >= 0; i--) depth[path[i]] = ++d;
    return depth[v];
  };
  const nodes = Array.from({ length: n }, (_, v) => v).sort((a, b) => depthOf(b) - depthOf(a));
  for (const v of nodes) {
    const d = idom[v];
    if (d >= 0) total[d] += total[v] + (counted(v) ? 1 : 0);
  }
  return total;
}
