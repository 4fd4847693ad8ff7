/**
 * One revision's startup graph: find the startup roots, then walk, breadth first, the
 * imports that run from them (plus the `ready()` edges of the installed apps' configs).
 */
import type { Edge, EdgeMemo } from "./edges";
import { importedModules } from "./modules";
import type { ModuleIndex } from "./module-index";
import { reach } from "./reach";
import { Revision, type RevisionInput, type ScanAhead } from "./revision";
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
  const ahead = input.scan === undefined ? null : new LookAhead(rev, input.scan);
  const { settingsModule, settingsFrom, roots, readyEdges } = await findRoots(rev);
  let edgeCount = 0;
  const reported = new Set<string>();
  try {
    const reached = await reach(
      roots.map((r) => r.module),
      async (module) => {
        const entry = index.resolve(module);
        let out: Edge[] = [];
        if (entry !== null && entry.file !== null) {
          await ahead?.ready(entry.file);
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
      ahead === null ? undefined : (module) => ahead.want(module),
    );
    const graph = new ReachedGraph({
      settingsModule,
      settingsFrom,
      sourceRoots: rev.layout.sourceRoots,
      roots,
      reached,
      fileOf: (m) => index.resolve(m)?.file,
      unresolved,
      notes: rev.notes,
      lazy: rev.lazy,
      stats: { files: index.fileCount, modules: reached.names.length, edges: edgeCount },
    });
    return { graph, memo: edges.memo, index, paths: rev.paths };
  } finally {
    ahead?.stop();
  }
}

/**
 * Scanning ahead of the walk, on the worker threads: each module the walk adds is queued, and
 * as soon as a worker has scanned it, what it imports when it runs is queued too. So the
 * workers scan the next modules while this thread resolves edges, and the walk rarely waits.
 */
class LookAhead {
  private readonly asked = new Set<string>();
  private stopped = false;

  constructor(
    private readonly rev: Revision,
    private readonly scan: ScanAhead,
  ) {}

  want(module: string): void {
    const entry = this.rev.index.resolve(module);
    if (this.stopped || entry === null || entry.file === null || this.asked.has(entry.file)) return;
    const file = entry.file;
    this.asked.add(file);
    this.scan.request([file]);
    void this.scan.whenScanned(file)?.then(() => {
      if (this.stopped) return;
      try {
        for (const imp of this.rev.graphFacts(file)?.imports ?? []) {
          if (imp.context.atImport) for (const t of importedModules(imp, module, entry.isPackage)) this.want(t.module);
        }
      } catch {
        // only a look-ahead: the walk reads the file itself
      }
    });
  }

  /** Waits for a file a worker is scanning right now (one queued but not taken is scanned by whoever asks first). */
  async ready(file: string): Promise<void> {
    const wait = this.scan.inFlight(file);
    if (wait !== undefined) await wait;
  }

  stop(): void {
    this.stopped = true;
  }
}
