/**
 * One revision's startup graph: find the startup roots, then walk, breadth first, the
 * imports that run from them (plus the `ready()` edges of the installed apps' configs).
 */
import type { Edge, EdgeMemo } from "./edges";
import type { ModuleIndex } from "./module-index";
import { reach } from "./reach";
import { Revision, type RevisionInput } from "./revision";
import { findRoots } from "./roots";
import { ReachedGraph } from "./startup-graph";

export type { RevisionInput } from "./revision";

export interface Built {
  graph: ReachedGraph;
  memo: EdgeMemo;
  index: ModuleIndex;
  paths: ReadonlySet<string>;
}

export async function buildStartupGraph(input: RevisionInput): Promise<Built> {
  const rev = new Revision(input);
  const { index, edges, unresolved } = rev;
  const { settingsModule, roots, readyEdges } = await findRoots(rev);
  let edgeCount = 0;
  const reported = new Set<string>();
  const reached = await reach(
    roots.map((r) => r.module),
    async (module) => {
      const entry = index.resolve(module);
      let out: Edge[] = [];
      if (entry !== null && entry.file !== null) {
        const why = rev.skipped(entry.file);
        if (why === undefined) {
          const g = rev.graphFacts(entry.file);
          if (g !== undefined) out = await edges.moduleEdges(module, entry, g);
        } else if (!reported.has(entry.file)) {
          reported.add(entry.file);
          unresolved.push({ what: module, where: entry.file, why: `${why}; its imports are not followed` });
        }
      }
      const extra = readyEdges.get(module);
      if (extra !== undefined) out = out.concat(extra);
      edgeCount += out.length;
      return out;
    },
  );
  const graph = new ReachedGraph({
    settingsModule,
    roots,
    reached,
    fileOf: (m) => index.resolve(m)?.file,
    unresolved,
    notes: rev.notes,
    lazy: rev.lazy,
    stats: { files: index.fileCount, modules: reached.names.length, edges: edgeCount },
  });
  return { graph, memo: edges.memo, index, paths: rev.paths };
}
