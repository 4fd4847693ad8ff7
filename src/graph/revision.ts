/**
 * Everything the startup graph reads of one revision, behind small caches: the module index,
 * facts (full, or only the graph's part), file bytes and statements, module-level values,
 * and the edge resolver. Problems and remarks found while reading are collected here.
 */
import type { GraphConfig } from "../config/types";
import { reading } from "../core/stall";
import type { PyFileFacts } from "../python/types";
import { type GraphFacts, graphFactsOf } from "../facts/codec";
import { type EdgeMemo, EdgeResolver, heavyNames } from "./edges";
import type { LazyAccess, Unresolved } from "./types";
import { FactsMap } from "../facts/facts-map";
import { type Layout, namingDirs, rootDirs } from "./layout";
import { ModuleIndex } from "../python/module-index";
import { readStatements, type Statement } from "../python/statements";
import { ValueReader } from "./values";
import { pushAll } from "../core/arrays";

export interface RevisionInput {
  /** The revision's Python files (`.py`, `.pyi`), repo-relative. */
  paths: string[];
  /** Every tracked file of the revision (default: `paths`): a directory holding any file is a namespace portion. */
  files?: readonly string[];
  facts: Map<string, PyFileFacts>;
  /** Why a file was not scanned (over the size limit, unreadable); undefined when it was. */
  skipped: { get(path: string): string | undefined };
  /** Scanning ahead: files to scan before they are asked for, and waiting for one a worker is scanning. */
  scan?: ScanAhead;
  read(path: string): Promise<Buffer | null>;
  config: GraphConfig;
  /** Where the code lives and which settings are read (layout.ts), inferred before the build. */
  layout: Layout;
  /** The other revision's build, whose resolved edges are reused where nothing they depend on changed. */
  reuse?: { built: { memo: EdgeMemo; index: ModuleIndex; paths: ReadonlySet<string> }; changed: ReadonlySet<string> };
}

export interface ScanAhead {
  /** Queues files for the worker threads (no-op without them). */
  request(paths: string[]): void;
  /** Resolves when a queued file has been scanned (by a worker or by whoever asked first); undefined when it is not queued. */
  whenScanned(path: string): Promise<void> | undefined;
  /** Resolves when the file a worker is scanning right now is done; undefined when no worker holds it. */
  inFlight(path: string): Promise<void> | undefined;
}

export class Revision {
  readonly config: GraphConfig;
  readonly layout: Layout;
  readonly paths: ReadonlySet<string>;
  readonly index: ModuleIndex;
  readonly edges: EdgeResolver;
  readonly values: ValueReader;
  readonly unresolved: Unresolved[] = [];
  readonly notes: string[] = [];
  readonly lazy: LazyAccess[] = [];
  private readonly graphCache = new Map<string, GraphFacts | undefined>();
  // Memoized promises that await only the revision's reader, never another memo of the graph:
  // no import cycle can make one wait on itself (the one recursive memo, values, handles re-entry).
  private readonly bytesCache = new Map<string, Promise<Buffer | null>>();
  private readonly stmtCache = new Map<string, Promise<Statement[] | null>>();

  constructor(private readonly input: RevisionInput) {
    this.config = input.config;
    this.layout = input.layout;
    pushAll(this.notes, input.layout.notes);
    this.paths = new Set(input.paths);
    this.index = new ModuleIndex(input.files ?? input.paths, rootDirs(input.layout), namingDirs(input.layout.sourceRoots));
    let reuse: ConstructorParameters<typeof EdgeResolver>[0]["reuse"];
    // Another revision's edges hold only under the same source roots (a sys.path edit may add one).
    if (input.reuse !== undefined && input.reuse.built.index.sourceRoots.join("\0") === this.index.sourceRoots.join("\0")) {
      const other = input.reuse.built;
      const sameFiles =
        other.paths.size === this.paths.size && [...this.paths].every((p) => other.paths.has(p)) && other.index.dataDirs.join("\0") === this.index.dataDirs.join("\0");
      reuse = { memo: other.memo, index: other.index, sameFiles, changed: input.reuse.changed };
    }
    this.edges = new EdgeResolver({
      index: this.index,
      graphFacts: (p) => this.graphFacts(p),
      inFlight: (p) => input.scan?.inFlight(p),
      statements: (p) => this.statements(p),
      mentions: async (p, word) => (await this.bytes(p))?.includes(word) ?? false,
      bytes: (p) => this.bytes(p),
      unresolved: this.unresolved,
      lazy: this.lazy,
      wantsThirdParty: heavyNames(input.config.heavyModules),
      reuse,
    });
    this.values = new ValueReader({
      index: this.index,
      statements: (p) => this.statements(p),
      allOf: (p) => {
        const all = this.graphFacts(p)?.all;
        return all && !all.dynamic ? all.names : null;
      },
    });
  }

  /** Why a file was not scanned (too large, unreadable), or undefined. */
  skipped(path: string): string | undefined {
    return this.input.skipped.get(path);
  }

  facts(path: string): PyFileFacts | undefined {
    return this.input.facts.get(path);
  }

  /** What the graph needs of a file's facts (decoding only that part of cached facts). */
  graphFacts(path: string): GraphFacts | undefined {
    if (this.input.facts instanceof FactsMap) return this.input.facts.graph(path);
    if (!this.graphCache.has(path)) {
      const f = this.input.facts.get(path);
      this.graphCache.set(path, f === undefined ? undefined : graphFactsOf(f));
    }
    return this.graphCache.get(path);
  }

  bytes(path: string): Promise<Buffer | null> {
    let b = this.bytesCache.get(path);
    if (b === undefined) {
      reading(path);
      this.bytesCache.set(path, (b = this.input.read(path)));
    }
    return b;
  }

  /** A file's bytes for one look: those read already, else read and not kept (see `bytes`). */
  bytesOnce(path: string): Promise<Buffer | null> {
    const b = this.bytesCache.get(path);
    if (b !== undefined) return b;
    reading(path);
    return this.input.read(path);
  }

  statements(path: string): Promise<Statement[] | null> {
    let s = this.stmtCache.get(path);
    if (s === undefined) {
      s = this.bytes(path).then((b) => (b === null ? null : readStatements(b)));
      this.stmtCache.set(path, s);
    }
    return s;
  }
}
