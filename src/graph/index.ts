/**
 * The startup graph: which modules `django.setup()` imports, and through which chain of
 * imports, at the head and at the base of a pull request, read from source alone.
 *
 * One scan serves both revisions: the head's files are scanned (or served from the scan
 * cache), and the base's facts are the head's with only the changed files swapped in.
 */
import type { ReviewError } from "../core/types";
import { graphConfigKey } from "../config/types";
import { type Built, buildStartupGraph } from "./build";
import { stateKey } from "../facts/fingerprint";
import { ReachedGraph } from "./startup-graph";
import { moduleForPath, referenceWords } from "../python/modules";
import { ModuleIndex } from "../python/module-index";
import { inferLayout, type Layout, layoutKey, rootDirs } from "./layout";
import { collectFacts, headReader, type SkipTable } from "../facts/collect";
import type { FactsMap } from "../facts/facts-map";
import type { GraphInput, StartupGraph } from "./types";

export type { GraphInput, Phase, StartupGraph, StartupModule } from "./types";
export { ScanCache } from "../facts/cache";
export { openScanCache, defaultCacheDir } from "../facts/cache-dir";
export { blobSha } from "../facts/fingerprint";
export { listWorktree, type Worktree } from "../source/worktree";
export { listOtherFiles } from "../source/other-files";
export { ModuleIndex } from "../python/module-index";
export type { Layout, SourceRoot } from "./layout";
export { namingDirs } from "./layout";

const PYTHON = /\.pyi?$/;

/**
 * The configuration keys a graph depends on (GRAPH_KEYS), the layouts inferred from the files and the
 * directories holding no Python file (namespace portions), which the state key does not
 * cover (it hashes only Python files).
 */
function configKey(config: GraphInput["config"], layouts: Layout[], dataDirs: string): string {
  return JSON.stringify({ config: graphConfigKey(config), layouts: layouts.map(layoutKey), dataDirs });
}

/** The directories of `files` that hold no Python file, as one text (for the cache key). */
function dataDirsKey(files: readonly string[]): string {
  return new ModuleIndex(files, []).dataDirs.join("\n");
}

export interface Graphs {
  head: StartupGraph;
  base: StartupGraph;
  /** Scanner facts by path (decoded on first access); base = head with the changed files swapped in. */
  headFacts: FactsMap;
  baseFacts: FactsMap;
  /** Files on the head's startup path that could not be read (too large, unreadable). */
  errors: ReviewError[];
  /** Plain-text remarks about how the head's graph was built (settings found, fallbacks used). */
  notes: string[];
  /**
   * Stores in the scan cache every file scanned so far (facts are scanned when first read, by
   * the graphs or by whoever reads `headFacts` later) and stops the scan threads. Call it once
   * done reading facts; it never throws.
   */
  persist(): void;
  /** Head files whose text may refer to `module` (contain every word a reference needs); stored per state with a cache. */
  filesNaming(module: string): Promise<string[]>;
  /**
   * A result derived from one side's files and graph (such as the simulated import order),
   * stored per state with the graphs: `compute` runs only for a state not seen before.
   */
  stored(side: "head" | "base", name: string, compute: () => Promise<unknown>): Promise<unknown>;
}

function summary(head: StartupGraph, skipped: SkipTable): { errors: ReviewError[]; notes: string[] } {
  const errors: ReviewError[] = [];
  for (const u of head.unresolved) {
    const why = skipped.get(u.where);
    if (why !== undefined) errors.push({ kind: why.startsWith("larger") ? "file-too-large" : "unreadable", where: u.where, message: `${u.what}: ${u.why}` });
  }
  const notes = [...head.notes];
  const others = head.unresolved.length - errors.length;
  if (others > 0) {
    notes.push(`The startup graph could not resolve ${others} thing${others === 1 ? "" : "s"} statically (run \`django-startup-guard startup\` to list them); findings that depend on them may be missing.`);
  }
  return { errors, notes };
}

export async function buildGraphs(input: GraphInput): Promise<Graphs> {
  const { config } = input;
  const headPaths = input.headFiles.filter((p) => PYTHON.test(p));
  const collected = await collectFacts({
    paths: headPaths,
    readHead: input.readHead,
    headRoot: input.headRoot,
    headOnDisk: input.headOnDisk,
    baseOverrides: input.baseOverrides,
    headBlobShas: input.headBlobShas,
    headSymlinks: input.headSymlinks,
    cache: input.cache,
    maxFileBytes: config.maxFileBytes,
    workerThreshold: input.workerThreshold,
    onProgress: input.onProgress,
  });
  const readHead = headReader(input);
  const basePaths = headPaths.filter((p) => !(input.baseOverrides.has(p) && input.baseOverrides.get(p) === null));
  const inHead = new Set(headPaths);
  for (const [p, b] of input.baseOverrides) if (b !== null && !inHead.has(p) && PYTHON.test(p)) basePaths.push(p);
  // Every file (any kind) at each side: directories holding only other files are namespace portions.
  const headFiles = input.headFiles;
  let baseFiles = headFiles;
  if (input.baseOverrides.size > 0) {
    const headSet = new Set(headFiles);
    baseFiles = headFiles.filter((p) => !(input.baseOverrides.has(p) && input.baseOverrides.get(p) === null));
    for (const [p, b] of input.baseOverrides) if (b !== null && !headSet.has(p)) baseFiles.push(p);
  }
  const readBase = async (p: string): Promise<Buffer | null> =>
    input.baseOverrides.has(p) ? (input.baseOverrides.get(p) ?? null) : !PYTHON.test(p) && input.readBase !== undefined ? input.readBase(p) : readHead(p);
  // Where the code lives, at each side (a change may move manage.py or edit setup.cfg).
  const headLayout = await inferLayout({ paths: headPaths, read: readHead, facts: (p) => collected.head.get(p), config });
  const baseLayout = input.baseOverrides.size === 0 ? headLayout : await inferLayout({ paths: basePaths, read: readBase, facts: (p) => collected.base.get(p), config });
  // A repository state seen before (same blobs, same overrides, same configuration and layout): its graphs are stored.
  let dataDirs: string | null = null;
  const graphKey = (side: string): string | null => {
    if (input.cache === undefined || collected.stateKey === null) return null;
    dataDirs ??= `${dataDirsKey(headFiles)}\0${baseFiles === headFiles ? "" : dataDirsKey(baseFiles)}`;
    return stateKey([collected.stateKey, side, configKey(config, [headLayout, baseLayout], dataDirs)]);
  };
  const cached = async (side: string, build: () => Promise<Built>): Promise<{ graph: ReachedGraph; built: Built | null }> => {
    const key = graphKey(side);
    const hit = key === null ? null : ReachedGraph.fromJSON(input.cache?.loadStored("graph", key));
    if (hit !== null) return { graph: hit, built: null };
    const built = await build();
    if (key !== null) input.cache?.saveStored("graph", key, built.graph.toJSON());
    return { graph: built.graph, built };
  };
  const { persist } = collected;
  // Reference searches: stored for this state, or done now (started ahead, on a worker, for the modules announced).
  const storedRefs = (module: string): string[] | null => {
    const key = graphKey(`refs:${module}`);
    const hit = key === null ? null : input.cache?.loadStored("refs", key);
    return Array.isArray(hit) && hit.every((f) => typeof f === "string") ? (hit as string[]) : null;
  };
  const baseRoots = rootDirs(baseLayout);
  const headRoots = rootDirs(headLayout);
  const announced = (input.searchAhead ?? []).flatMap((p) => moduleForPath(p, baseRoots)?.module ?? []);
  const refs = new Map(announced.map((m) => [m, storedRefs(m)]));
  collected.searchAhead([...refs].flatMap(([m, stored]) => (stored === null ? m.split(".") : [])));
  const filesNaming = async (module: string): Promise<string[]> => {
    const key = graphKey(`refs:${module}`);
    const hit = refs.has(module) ? refs.get(module) : storedRefs(module);
    if (hit) return hit;
    await collected.searched();
    const out: string[] = [];
    for (const file of collected.head.keys()) if (collected.head.mayMention(file, referenceWords(file, module, headRoots))) out.push(file);
    if (key !== null) input.cache?.saveStored("refs", key, out);
    return out;
  };
  const stored = async (side: "head" | "base", name: string, compute: () => Promise<unknown>): Promise<unknown> => {
    // Without changed files the base is the head.
    const key = graphKey(`${name}:${side === "base" && input.baseOverrides.size === 0 ? "head" : side}`);
    const hit = key === null ? undefined : input.cache?.loadStored("order", key);
    if (hit !== undefined && hit !== null) return hit;
    const value = await compute();
    if (key !== null) input.cache?.saveStored("order", key, value);
    return value;
  };
  const headBuild = await cached("head", () => buildStartupGraph({ paths: headPaths, facts: collected.head, skipped: collected.headSkipped, read: readHead, config, layout: headLayout, scan: collected, files: headFiles }));
  const head = headBuild.graph;
  const extra = summary(head, collected.headSkipped);
  if (input.baseOverrides.size === 0) return { head, base: head, headFacts: collected.head, baseFacts: collected.base, ...extra, persist, filesNaming, stored };

  // Files the change touches are the base's own (scanned already); the rest are the head's.
  const baseScan = {
    request: (paths: string[]) => collected.request(paths.filter((p) => !input.baseOverrides.has(p))),
    whenScanned: (p: string) => (input.baseOverrides.has(p) ? undefined : collected.whenScanned(p)),
    inFlight: (p: string) => (input.baseOverrides.has(p) ? undefined : collected.inFlight(p)),
  };
  // The head's resolved edges hold for the base only under the same source roots.
  const sameRoots = headRoots.join("\0") === baseRoots.join("\0");
  const reuse = headBuild.built === null || !sameRoots ? undefined : { built: headBuild.built, changed: new Set(input.baseOverrides.keys()) };
  const base = (await cached("base", () => buildStartupGraph({ paths: basePaths, facts: collected.base, skipped: collected.baseSkipped, read: readBase, config, layout: baseLayout, reuse, scan: baseScan, files: baseFiles }))).graph;
  return { head, base, headFacts: collected.head, baseFacts: collected.base, ...extra, persist, filesNaming, stored };
}
