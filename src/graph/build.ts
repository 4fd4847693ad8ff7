/**
 * One revision's startup graph: find the startup roots, then walk, breadth first, the
 * imports that run from them (plus the `ready()` edges of the installed apps' configs).
 */
import { reading } from "../core/stall";
import type { EdgeMemo } from "./edges";
import type { Edge } from "./types";
import { importedModules } from "../python/modules";
import type { ModuleIndex } from "../python/module-index";
import { reach } from "./reach";
import { Revision, type RevisionInput, type ScanAhead } from "./revision";
import { findRoots } from "./roots";
import { ReachedGraph } from "./startup-graph";
import type { GraphFacts } from "../facts/codec";
import type { SourceRoot } from "./layout";
import { normaliseRoot } from "../python/module-index";
import { type SysPathEdit, sysPathEdits } from "./sys-path";
import { pushAll } from "../core/arrays";

export type { RevisionInput } from "./revision";

export interface Built {
  graph: ReachedGraph;
  memo: EdgeMemo;
  index: ModuleIndex;
  paths: ReadonlySet<string>;
}

/**
 * Builds the graph; when modules setup runs add directories of the repository to `sys.path`
 * (sys-path.ts), builds it again with those directories as source roots (each with the edit
 * as its reason), until no new one is found.
 */
export async function buildStartupGraph(input: RevisionInput): Promise<Built> {
  let layout = input.layout;
  for (let round = 0; ; round++) {
    const { built, edits, visits, rev } = await walk({ ...input, layout });
    const known = new Set(layout.sourceRoots.map((r) => normaliseRoot(r.dir)));
    const front: SourceRoot[] = [];
    const back: SourceRoot[] = [];
    for (const e of edits) {
      if (typeof e.dir !== "string" || known.has(e.dir) || !rev.index.holdsPython(e.dir)) continue;
      known.add(e.dir);
      const root: SourceRoot = { dir: e.dir === "" ? "." : e.dir, reason: `${e.how} at ${e.where} (runs at setup)` };
      const d = e.dir;
      if (rev.index.hasFile(`${d}/__init__.py`) && [...known].some((k) => k !== d && (k === "" || d.startsWith(`${k}/`)))) root.names = false;
      (e.front ? front : back).push(root);
    }
    if (front.length + back.length > 0 && round < 8) {
      layout = { ...layout, sourceRoots: [...front, ...layout.sourceRoots, ...back] };
      continue;
    }
    unknownEdits(rev, edits, visits);
    return built;
  }
}

interface Visit {
  file: string;
  edges: Edge[];
}

/**
 * An import that finds nothing under the source roots while a `sys.path` edit that could not
 * be evaluated is in effect (after it in its file, anywhere in the files setup runs): listed
 * when some directory of the repository holds a module of that name, which the edit may have
 * put on the path.
 */
function unknownEdits(rev: Revision, edits: SysPathEdit[], visits: Visit[]): void {
  const unknown = edits.filter((e) => e.dir === undefined);
  if (unknown.length === 0) return;
  const said = new Set<string>();
  for (const v of visits) {
    for (const e of v.edges) {
      const top = e.target.split(".")[0];
      if (rev.index.resolve(top) !== null) continue;
      const named = rev.index.somewhereNamed(top);
      const edit = unknown.find((u) => !u.where.startsWith(`${v.file}:`) || u.line < e.line);
      const where = `${v.file}:${e.line}`;
      if (named === null || edit === undefined || said.has(`${where}\0${top}`)) continue;
      said.add(`${where}\0${top}`);
      rev.unresolved.push({
        what: e.target,
        where,
        why: `no module ${top} under the source roots, but ${named} would be it if its directory were on sys.path, which ${edit.how} at ${edit.where} changes with a value not read statically (${edit.why ?? "unknown"})`,
      });
    }
  }
}

/** Text a file editing sys.path holds (before its statements are read): `sys.path.x(`, `sys.path[..] =`, `sys.path +=`, `path.append(` (from sys import path), `addsitedir`. */
const SYS_PATH_EDIT = /\bsys\s*\.\s*path\s*(?:[.[]|\+?=)|\bpath\s*\.\s*(?:append|insert|extend)\s*\(|\baddsitedir\b/;

/** The modules whose code edits sys.path: they import sys or site when they run. */
function importsSys(facts: GraphFacts): boolean {
  return facts.imports.some((i) => (i.module === "sys" || i.module === "site") && i.context.atImport);
}

async function walk(input: RevisionInput): Promise<{ built: Built; edits: SysPathEdit[]; visits: Visit[]; rev: Revision }> {
  const rev = new Revision(input);
  const { index, edges, unresolved } = rev;
  const edits: SysPathEdit[] = [];
  const visits: Visit[] = [];
  const ahead = input.scan === undefined ? null : new LookAhead(rev, input.scan);
  const { settingsModule, settingsFrom, roots, apps, readyEdges, urlconf } = await findRoots(rev);
  let edgeCount = 0;
  const reported = new Set<string>();
  // The first request (second phase): what the URLconf imports that setup did not.
  let firstRequest: { unresolved: number; lazy: number; edges: number } | null = null;
  const then = urlconf === null ? undefined : { roots: withParents(urlconf.module), start: () => (firstRequest = { unresolved: unresolved.length, lazy: rev.lazy.length, edges: edgeCount }) };
  try {
    const reached = await reach(
      roots.map((r) => r.module),
      async (module) => {
        reading(module);
        const entry = index.resolve(module);
        let out: Edge[] = [];
        if (entry !== null && entry.file !== null) {
          await ahead?.ready(entry.file);
          const why = rev.skipped(entry.file);
          if (why === undefined) {
            const g = rev.graphFacts(entry.file);
            if (g !== undefined) {
              out = await edges.moduleEdges(module, entry, g);
              // sys.path edits count from setup's modules (a URLconf's would act only on the first request).
              if (firstRequest === null) visits.push({ file: entry.file, edges: out });
              // Most modules importing sys do not edit sys.path: their bytes are looked at, not kept.
              if (firstRequest === null && importsSys(g) && SYS_PATH_EDIT.test((await rev.bytesOnce(entry.file))?.toString("latin1") ?? "")) {
                const stmts = await rev.statements(entry.file);
                if (stmts !== null) pushAll(edits, sysPathEdits(entry.file, stmts));
              }
            }
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
      then,
    );
    const phase2 = firstRequest as { unresolved: number; lazy: number; edges: number } | null;
    if (phase2 !== null) {
      // What the first request met but could not read is said to be the first request's; its PEP 562 accesses are not setup's.
      for (let i = phase2.unresolved; i < unresolved.length; i++) unresolved[i] = { ...unresolved[i], phase: "first-request" };
      rev.lazy.length = phase2.lazy;
    }
    const graph = new ReachedGraph({
      settingsModule,
      settingsFrom,
      sourceRoots: rev.layout.sourceRoots,
      roots,
      apps,
      firstRequest: urlconf,
      reached,
      fileOf: (m) => index.resolve(m)?.file,
      unresolved,
      notes: rev.notes,
      lazy: rev.lazy,
      stats: { files: index.fileCount, modules: reached.setup, edges: phase2 === null ? edgeCount : phase2.edges },
    });
    return { built: { graph, memo: edges.memo, index, paths: rev.paths }, edits, visits, rev };
  } finally {
    ahead?.stop();
  }
}

/** A module and its parent packages, parents first (importing it runs them). */
function withParents(module: string): string[] {
  const parts = module.split(".");
  return parts.map((_, i) => parts.slice(0, i + 1).join("."));
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
