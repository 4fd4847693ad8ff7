/** The queries over one revision's reached import graph (see types.ts for the contract). */
import type { ChainLink } from "../core/types";
import { dominatedCounts, immediateDominators } from "./dominators";
import type { LazyAccess, Unresolved } from "./types";
import type { Reached } from "./reach";
import type { InstalledApp } from "./apps";
import type { GraphHeader, Phase, StartupGraph, StartupModule } from "./types";

export interface GraphParts extends GraphHeader {
  /** Where the first request starts (ROOT_URLCONF), or null. */
  firstRequest: { module: string; reason: string } | null;
  reached: Reached;
  /** File of a first-party module (null for a namespace package); undefined for third-party. */
  fileOf(module: string): string | null | undefined;
  unresolved: Unresolved[];
  notes: string[];
  lazy: LazyAccess[];
  stats: { files: number; modules: number; edges: number };
}

/** A graph as stored in the cache (everything the queries need). */
interface Stored extends GraphHeader {
  v: 4;
  firstRequest: { module: string; reason: string } | null;
  /** Modules setup reaches: the first `setup` names; the rest only the first request. */
  setup: number;
  names: string[];
  parent: number[];
  line: (number | null)[];
  /** Call routes (see ChainLink.via); absent when there are none. */
  via?: Reached["via"];
  succ: number[][];
  /** File of each module: a path, null (namespace package) or false (third-party). */
  files: (string | null | false)[];
  unresolved: Unresolved[];
  notes: string[];
  lazy: LazyAccess[];
  stats: { files: number; modules: number; edges: number };
  /** First-party modules each module alone brings in (see dominatedCount). */
  dominated?: number[];
}

export class ReachedGraph implements StartupGraph {
  readonly settingsModule: string | null;
  readonly settingsFrom: string | null;
  readonly sourceRoots: { dir: string; reason: string }[];
  readonly roots: { module: string; reason: string }[];
  readonly apps: InstalledApp[];
  readonly firstRequest: { module: string; reason: string } | null;
  readonly unresolved: Unresolved[];
  readonly notes: string[];
  readonly lazy: LazyAccess[];
  readonly stats: { files: number; modules: number; edges: number };
  private readonly r: Reached;
  private readonly fileOf: (module: string) => string | null | undefined;
  private dominated: number[] | null = null;

  constructor(parts: GraphParts) {
    this.settingsModule = parts.settingsModule;
    this.settingsFrom = parts.settingsFrom;
    this.sourceRoots = parts.sourceRoots;
    this.roots = parts.roots;
    this.apps = parts.apps;
    this.firstRequest = parts.firstRequest;
    this.r = parts.reached;
    this.fileOf = parts.fileOf;
    this.unresolved = parts.unresolved;
    this.notes = parts.notes;
    this.lazy = parts.lazy;
    this.stats = parts.stats;
  }

  toJSON(): Stored {
    const r = this.r;
    return {
      v: 4,
      settingsModule: this.settingsModule,
      settingsFrom: this.settingsFrom,
      sourceRoots: this.sourceRoots,
      roots: this.roots,
      apps: this.apps,
      firstRequest: this.firstRequest,
      setup: r.setup,
      names: r.names,
      parent: r.parent,
      line: r.line,
      ...(r.via.some((v) => v !== null) ? { via: r.via } : {}),
      succ: r.succ,
      files: r.names.map((n) => this.fileOf(n) ?? (this.fileOf(n) === null ? null : false)),
      unresolved: this.unresolved,
      notes: this.notes,
      lazy: this.lazy,
      stats: this.stats,
      dominated: this.dominatedCounts(),
    };
  }

  /** A graph from `toJSON()` output; null when the data is not one. */
  static fromJSON(data: unknown): ReachedGraph | null {
    const d = data as Stored | null;
    if (d === null || typeof d !== "object" || d.v !== 4 || !Array.isArray(d.sourceRoots) || !Array.isArray(d.apps) || !Array.isArray(d.names) || d.names.length !== d.parent?.length) return null;
    if (typeof d.setup !== "number" || d.setup < 0 || d.setup > d.names.length) return null;
    const ids = new Map<string, number>();
    d.names.forEach((n, i) => ids.set(n, i));
    const depth = d.parent.map(() => 0);
    d.parent.forEach((p, i) => (depth[i] = p < 0 ? 0 : depth[p] + 1)); // parents come first (BFS order)
    const files = new Map<string, string | null>();
    d.names.forEach((n, i) => {
      if (d.files[i] !== false) files.set(n, d.files[i] as string | null);
    });
    const g = new ReachedGraph({
      settingsModule: d.settingsModule,
      settingsFrom: d.settingsFrom,
      sourceRoots: d.sourceRoots,
      roots: d.roots,
      apps: d.apps,
      firstRequest: d.firstRequest ?? null,
      reached: { names: d.names, ids, parent: d.parent, line: d.line, via: Array.isArray(d.via) && d.via.length === d.names.length ? d.via : d.names.map(() => null), depth, succ: d.succ, setup: d.setup },
      fileOf: (m) => files.get(m),
      unresolved: d.unresolved,
      notes: d.notes,
      lazy: d.lazy,
      stats: d.stats,
    });
    if (Array.isArray(d.dominated) && d.dominated.length === d.names.length) g.dominated = d.dominated;
    return g;
  }

  private chainOf(id: number): ChainLink[] {
    const links: ChainLink[] = [];
    for (let v = id; v >= 0; v = this.r.parent[v]) {
      const name = this.r.names[v];
      const call = this.r.via[v];
      const link: ChainLink = { module: name, file: this.fileOf(name) ?? null, line: this.r.line[v] };
      if (call !== null) {
        link.via = call.via;
        link.steps = call.steps;
      }
      links.push(link);
    }
    return links.reverse();
  }

  chainTo(module: string): ChainLink[] | null {
    const id = this.r.ids.get(module);
    return id === undefined || id >= this.r.setup ? null : this.chainOf(id);
  }

  chainToPrefix(prefix: string): ChainLink[] | null {
    let best = -1;
    const under = `${prefix}.`;
    for (let id = 0; id < this.r.setup; id++) {
      const name = this.r.names[id];
      if ((name === prefix || name.startsWith(under)) && (best < 0 || this.r.depth[id] < this.r.depth[best])) best = id;
    }
    return best < 0 ? null : this.chainOf(best);
  }

  modules(): StartupModule[] {
    return this.moduleRange(0, this.r.setup);
  }

  reachedBy(module: string): { phase: Phase; chain: ChainLink[] } | null {
    const id = this.r.ids.get(module);
    if (id === undefined) return null;
    return { phase: id < this.r.setup ? "setup" : "first-request", chain: this.chainOf(id) };
  }

  firstRequestModules(): StartupModule[] {
    return this.moduleRange(this.r.setup, this.r.names.length);
  }

  private moduleRange(from: number, to: number): StartupModule[] {
    const out: StartupModule[] = [];
    for (let id = from; id < to; id++) {
      const name = this.r.names[id];
      const file = this.fileOf(name);
      out.push({ name, firstParty: file !== undefined, file: file ?? null, chain: this.chainOf(id) });
    }
    return out;
  }

  dominatedCount(module: string): number {
    const id = this.r.ids.get(module);
    return id === undefined || id >= this.r.setup ? 0 : this.dominatedCounts()[id];
  }

  /** Over setup's modules only (their successors are setup's too: what setup imports, setup reached). */
  private dominatedCounts(): number[] {
    if (this.dominated === null) {
      const n = this.r.setup;
      const roots: number[] = [];
      for (let v = 0; v < n; v++) if (this.r.parent[v] < 0) roots.push(v);
      const idom = immediateDominators(n, this.r.succ.slice(0, n), roots);
      this.dominated = dominatedCounts(idom, (v) => typeof this.fileOf(this.r.names[v]) === "string");
    }
    return this.dominated;
  }
}
