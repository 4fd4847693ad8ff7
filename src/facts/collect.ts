/**
 * Scanner facts for the Python files of the head revision and, by swapping in only the
 * changed files, of the base revision: one repository scan per pull request at most.
 *
 * Files are scanned lazily: an entry is scanned when someone first asks for it (the startup
 * graph asks only for the modules setup reaches, a rule only for the files it reads), or
 * ahead of need on worker threads when a caller announces what it will ask for (`request`).
 * Entries the scan cache holds are decoded only when asked for too. "May it mention X?" is
 * answered from a file's raw bytes (read by the search worker ahead of time, `searchAhead`, or
 * remembered per blob in the cache), so a search over every file scans only the files that
 * contain the words. `persist()` stores what was scanned, and what was learnt, in the cache.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { checkDirs, notReadableReason, readRegularInside, UnsafePathError } from "../core/safe-read";
import type { PyFileFacts } from "../python/types";
import type { CacheHit, ScanCache } from "./cache";
import { encodeFacts } from "./codec";
import { type Deferred, FactsMap, type Needle, type Probe } from "./facts-map";
import { blobSha, stateKeyOf } from "./fingerprint";
import type { PackEntry } from "./pack";
import { isFacts, readInto, type ScanItem, scanFacts, scanItem, type ScannedBytes, toBytes } from "./scan-item";
import { defaultParallelism, defaultScript, type PoolJob, ScanPool } from "./scan-pool";
import type { SearchReply, SearchTask } from "./search-worker";
import type { WordMemo } from "./word-memo";

export interface CollectInput {
  /** Repository-relative paths of the head revision's Python files (`.py`, `.pyi`). */
  paths: string[];
  readHead(path: string): Promise<Buffer | null>;
  /** When the head is (partly) a checkout on disk: its directory, so files are read directly (and by workers). */
  headRoot?: string;
  /** Which files under `headRoot` hold the head's content (default: all). */
  headOnDisk?(path: string): boolean;
  baseOverrides: Map<string, Buffer | null>;
  headBlobShas?: Map<string, string>;
  /** Head paths that are symbolic links (git stores their target's text: not Python, never followed). */
  headSymlinks?: ReadonlySet<string>;
  cache?: ScanCache;
  maxFileBytes: number;
  /** Scan ahead on worker threads only when at least this many files are not cached (default 256). */
  workerThreshold?: number;
  workers?: number;
  /** The compiled worker script (default: `scan-worker.js` next to this module; null: no threads). */
  workerScript?: string | null;
  /** The compiled search worker (default: `search-worker.js` next to this module; null: search here). */
  searchScript?: string | null;
  onProgress?: (done: number, total: number) => void;
}

/** Why files were not scanned (over the size limit, unreadable); asking about a file not scanned yet scans it. */
export interface SkipTable {
  get(path: string): string | undefined;
}

export interface Collected {
  head: FactsMap;
  base: FactsMap;
  headSkipped: SkipTable;
  baseSkipped: SkipTable;
  /** Key of this repository state (head paths and blobs, base overrides), when a cache is used. */
  stateKey: string | null;
  /** Queues head files not scanned yet for the worker threads (when there are any), so they are scanned ahead of need. */
  request(paths: Iterable<string>): void;
  /** Resolves when a queued file has been scanned (by a worker, or here when asked for first); undefined when not queued. */
  whenScanned(path: string): Promise<void> | undefined;
  /** A queued file a worker is scanning right now: resolves when it is done (undefined when there is nothing worth waiting for). */
  inFlight(path: string): Promise<void> | undefined;
  /**
   * Starts finding out, on a worker thread, which of `words` each file not scanned yet contains
   * (answers for `head.mayMention` later; the word memos learn them too). A no-op without a
   * checkout, without the worker script, or when little is left to read.
   */
  searchAhead(words: string[]): void;
  /** Resolves when the search started by `searchAhead` is done (at once when there is none). */
  searched(): Promise<void>;
  /** Stores in the cache what was scanned since the last call, and stops the worker threads. Never throws. */
  persist(): void;
  /** Files listed; scanned so far; served from the cache. */
  stats: { files: number; scanned: number; cached: number };
}

export function skipReason(enc: string, maxBytes: number): string {
  if (enc.startsWith("L")) {
    const size = Number(enc.slice(1));
    // More bytes came than its size says (a device such as /dev/zero, a FIFO, a file growing while read).
    if (!(size > maxBytes)) return `not a regular file: it gave more than max_file_bytes (${maxBytes} bytes) while its size is ${size} bytes; not read`;
    return `larger than max_file_bytes (${size} > ${maxBytes} bytes); not read`;
  }
  return notReadableReason(enc.slice(1)) ?? `could not be read (${enc.slice(1)})`;
}

const SYMLINK_REASON = notReadableReason("ESYMLINK") as string;

function sorted(xs: string[]): string[] {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1] > xs[i]) return [...xs].sort();
  return xs;
}

/** A head file not scanned yet: where its bytes are, and the blob SHA it will be cached under. */
interface Pending {
  item: ScanItem;
  sha: string | undefined;
}

/** Whether a file's bytes contain every needle (true when it cannot be read: a probe only rules files out). */
function bytesMention(item: ScanItem, maxBytes: number, needles: readonly Needle[], memos: WordMemo[] | null, sha: string | undefined): boolean {
  // What earlier runs learnt about this blob: one word it lacks settles it; all known present, too.
  if (memos !== null && sha !== undefined) {
    let known = true;
    for (const m of memos) {
      const v = m.get(sha);
      if (v === false) return false;
      if (v === undefined) known = false;
    }
    if (known) return true;
  }
  let bytes: Uint8Array | number | null = item.bytes ?? null;
  if (bytes === null) {
    try {
      bytes = readInto(item.abs as string, maxBytes);
    } catch {
      return true;
    }
  }
  if (typeof bytes === "number") return true; // over the size limit: never scanned, so never ruled out here
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let all = true;
  needles.forEach((n, k) => {
    const present = b.includes(n.bytes);
    if (sha !== undefined) memos?.[k].set(sha, present);
    if (!present) all = false;
  });
  return all;
}

/** Step 1: blob SHAs (only needed to use a cache). Files git did not give one are read and hashed here (their bytes kept). */
async function headShas(input: CollectInput): Promise<{ shas: Map<string, string>; bytesOf: Map<string, Buffer> }> {
  const { cache } = input;
  const read = headReader(input);
  const shas = new Map<string, string>();
  const bytesOf = new Map<string, Buffer>();
  if (cache !== undefined) {
    for (const p of input.paths) {
      const known = input.headBlobShas?.get(p);
      if (known !== undefined) {
        shas.set(p, known);
        continue;
      }
      const b = await read(p);
      if (b === null) continue;
      bytesOf.set(p, b);
      shas.set(p, blobSha(b));
    }
  }
  return { shas, bytesOf };
}

/** Step 2: the key of this repository state (stored graphs are keyed by it); null without a cache. */
function repoStateKey(input: CollectInput, shas: ReadonlyMap<string, string>, baseShas: ReadonlyMap<string, string | null>): string | null {
  const { cache, maxFileBytes } = input;
  let key: string | null = null;
  if (cache !== undefined) {
    key = stateKeyOf((add) => {
      add(`max=${maxFileBytes}`);
      for (const p of sorted(input.paths)) {
        add(p);
        add(shas.get(p) ?? "-");
        if (input.headSymlinks?.has(p)) add("symlink");
      }
      for (const p of sorted([...baseShas.keys()])) {
        add(`base:${p}`);
        add(baseShas.get(p) ?? "-");
      }
    });
  }
  return key;
}

type Opened = { text: Deferred; probe?: Probe } | undefined;

/**
 * Steps 3 to 5: the head's facts map, each file classified (cached facts, a cached size
 * marker, or a file to scan when asked for) when first touched, so a warm build does nothing
 * per file; the worker threads that scan ahead (`request`) and the search worker
 * (`searchAhead`); the base overlay; and `persist`.
 */
class Collector {
  readonly cache: ScanCache | undefined;
  readonly maxFileBytes: number;
  readonly headSkips = new Map<string, string>();
  readonly stats: Collected["stats"];
  // Entries scanned in this run, not stored yet (the cached ones are in the cache already).
  readonly fresh = new Map<string, PackEntry>();
  readonly toEncode = new Map<string, PyFileFacts>();
  readonly root: string;
  readonly pending = new Map<string, Pending>();
  readonly opened = new Map<string, Opened>();
  readonly keys: Set<string>;
  readonly head: FactsMap;
  // Worker threads, started when first asked to scan ahead in a repository with enough unscanned files.
  pool: ScanPool | null | undefined;
  readonly jobs = new Map<string, { job: PoolJob; done: Promise<void> }>();
  // Searching ahead (see searchAhead): which words each file contains, as bits in the order of `searchWords`.
  readonly searchWords = new Map<string, number>();
  readonly found = new Map<string, number>();
  searching: { done: Promise<void>; worker: Worker | null } | null = null;

  constructor(
    readonly input: CollectInput,
    readonly shas: Map<string, string>,
    readonly bytesOf: Map<string, Buffer>,
    readonly baseShas: Map<string, string | null>,
  ) {
    this.cache = input.cache;
    this.maxFileBytes = input.maxFileBytes;
    this.stats = { files: input.paths.length, scanned: 0, cached: 0 };
    this.root = input.headRoot === undefined ? "" : path.resolve(input.headRoot);
    this.keys = new Set(input.paths);
    this.head = FactsMap.fromSource({ keys: this.keys, open: (p) => this.open(p) });
  }

  onDisk(p: string): boolean {
    return this.root !== "" && (this.input.headOnDisk?.(p) ?? true);
  }

  cachedEntry(p: string): CacheHit | undefined {
    const sha = this.shas.get(p);
    return sha === undefined || this.cache === undefined ? undefined : this.cache.find(sha);
  }

  /** Null unless a directory between the checkout's root and `p` is a link (or not a directory): then why it is not read. */
  dirsInside(p: string): string | null {
    try {
      checkDirs(this.root, p);
      return null;
    } catch (e) {
      return e instanceof UnsafePathError ? (notReadableReason(e.code) as string) : null; // a missing file is found missing when read
    }
  }

  reusableMarker(enc: string | null): enc is string {
    return enc !== null && enc.startsWith("L") && Number(enc.slice(1)) > this.maxFileBytes;
  }

  /** What the checkout does not hold is read through the (asynchronous) reader now, when the cache does not hold it either. */
  async readOffDisk(): Promise<void> {
    const { input, bytesOf } = this;
    for (const p of input.paths) {
      if (this.onDisk(p)) continue;
      const hit = this.cachedEntry(p);
      if (bytesOf.has(p) || (hit !== undefined && (hit.pack.holdsFacts(hit.i) || this.reusableMarker(hit.pack.text(hit.i))))) continue;
      const b = await input.readHead(p);
      if (b !== null) bytesOf.set(p, b);
    }
  }

  open(p: string): Opened {
    if (!this.keys.has(p)) return undefined;
    if (!this.opened.has(p)) this.opened.set(p, this.classify(p));
    return this.opened.get(p);
  }

  classify(p: string): Opened {
    const { input, headSkips, stats, root, maxFileBytes, cache } = this;
    if (input.headSymlinks?.has(p)) {
      headSkips.set(p, SYMLINK_REASON);
      return undefined;
    }
    const hit = this.cachedEntry(p);
    if (hit !== undefined) {
      const { pack, i } = hit;
      if (pack.holdsFacts(i)) {
        stats.cached++;
        return {
          // A corrupt entry is rescanned from the checkout, when there is one.
          text: () => pack.text(i) ?? (this.onDisk(p) && this.dirsInside(p) === null ? scanItem({ abs: `${root}/${p}` }, maxFileBytes).enc : undefined),
          probe: (needles) => needles.every((n) => pack.mentions(i, n.bytes)),
        };
      }
      const enc = pack.text(i);
      // A size marker is reusable only if the limit still excludes the file.
      if (this.reusableMarker(enc)) {
        headSkips.set(p, skipReason(enc, maxFileBytes));
        stats.cached++;
        return undefined;
      }
    }
    const b = this.bytesOf.get(p);
    if (b === undefined && !this.onDisk(p)) {
      headSkips.set(p, "could not be read");
      return undefined;
    }
    // Read from the checkout (here or by a worker): never through a linked directory.
    const unsafe = b === undefined ? this.dirsInside(p) : null;
    if (unsafe !== null) {
      headSkips.set(p, unsafe);
      return undefined;
    }
    const sha = this.shas.get(p);
    const item: ScanItem = b !== undefined ? { bytes: b } : { abs: `${root}/${p}` };
    this.pending.set(p, { item, sha });
    return {
      text: () => {
        if (!this.pending.has(p)) return undefined;
        const r = scanFacts(item, maxFileBytes);
        return this.settle(p, r.facts ?? r.marker);
      },
      // Answers from the file's bytes (or what a search or earlier runs learnt of them), scanned or not.
      probe: (needles) => {
        const ahead = this.searchedMentions(p, needles);
        if (ahead !== undefined) return ahead;
        const memos = cache === undefined || sha === undefined ? null : needles.map((n) => cache.words(n.text));
        return bytesMention(item, maxFileBytes, needles, memos, sha);
      },
    };
  }

  /**
   * Records a scan result for a pending head file: facts (scanned here), encoded facts or a
   * marker (with their bytes, from a worker). Returns what the facts map keeps, or undefined.
   */
  settle<T extends string | PyFileFacts>(p: string, result: T, scanned?: ScannedBytes): T | undefined {
    const { pending, stats, input, headSkips, maxFileBytes, cache } = this;
    const job = pending.get(p);
    if (job === undefined) return undefined;
    pending.delete(p);
    stats.scanned++;
    input.onProgress?.(stats.scanned, stats.files);
    const marker = typeof result === "string" && !isFacts(result) ? result : null;
    if (marker !== null) headSkips.set(p, skipReason(marker, maxFileBytes));
    // A read error is not a property of the blob: not cached. Facts scanned here are encoded when stored.
    if (cache !== undefined && job.sha !== undefined && !marker?.startsWith("E")) {
      if (typeof result !== "string") this.toEncode.set(job.sha, result);
      else {
        const b = scanned ?? toBytes({ sha: null, enc: result });
        this.fresh.set(job.sha, { data: b.data, crc: b.crc });
      }
    }
    return marker === null ? result : undefined;
  }

  request(paths: Iterable<string>): void {
    const { input, stats, maxFileBytes, pending, jobs, head } = this;
    if (this.pool === undefined) {
      // This thread walks the graph (and scans what it reaches first): the workers get the other cores. On two
      // cores one worker measured slower than none (each thread pays for warming up the scanner), so none then.
      const workers = input.workers ?? defaultParallelism() - 1;
      this.pool = input.paths.length - stats.cached >= (input.workerThreshold ?? 256) ? ScanPool.start({ maxBytes: maxFileBytes, workers, workerScript: input.workerScript }) : null;
    }
    const pool = this.pool;
    if (pool === null) return;
    for (const p of paths) {
      this.open(p);
      const job0 = pending.get(p);
      if (job0 === undefined || jobs.has(p)) continue;
      let finish = () => {};
      const done = new Promise<void>((resolve) => (finish = resolve));
      const job: PoolJob = {
        item: job0.item,
        dropped: () => {
          if (pending.has(p)) return false;
          finish(); // scanned meanwhile by whoever asked first
          return true;
        },
        done: (r) => {
          if (r !== null && pending.has(p)) {
            const enc = this.settle(p, r.data.toString("utf8"), r);
            if (enc !== undefined) head.setEncoded(p, enc);
            else head.delete(p);
          }
          finish();
        },
      };
      jobs.set(p, { job, done });
      pool.submit(job);
    }
  }

  whenScanned(p: string): Promise<void> | undefined {
    return this.jobs.get(p)?.done;
  }

  inFlight(p: string): Promise<void> | undefined {
    const j = this.jobs.get(p);
    return j !== undefined && j.job.sent === true && this.pending.has(p) ? j.done : undefined;
  }

  searchedMentions(p: string, needles: readonly Needle[]): boolean | undefined {
    const mask = this.found.get(p);
    if (mask === undefined) return undefined;
    for (const n of needles) {
      const bit = this.searchWords.get(n.text);
      if (bit === undefined) return undefined;
      if (((mask >>> bit) & 1) === 0) return false;
    }
    return true;
  }

  searchAhead(words: string[]): void {
    const { input, root, cache, maxFileBytes, shas, found } = this;
    // eslint-disable-next-line no-control-regex -- the words are looked for as bytes
    const list = [...new Set(words)].filter((w) => /^[\x00-\x7f]+$/.test(w)).slice(0, 32);
    const script = input.searchScript === undefined ? defaultScript("search-worker.js") : input.searchScript;
    if (this.searching !== null || root === "" || list.length === 0 || script === null) return;
    const memos = cache === undefined ? null : list.map((w) => cache.words(w));
    const files = input.paths.filter((p) => {
      if (!this.onDisk(p)) return false; // its bytes are in memory: probed here as asked
      const hit = this.cachedEntry(p);
      if (hit !== undefined && hit.pack.holdsFacts(hit.i)) return false; // probed through its cached facts
      const sha = shas.get(p);
      return memos === null || sha === undefined || memos.some((m) => m.get(sha) === undefined);
    });
    if (files.length < (input.workerThreshold ?? 256)) return; // little to read: probing as asked is as quick
    list.forEach((w, k) => this.searchWords.set(w, k));
    let worker: Worker | null = null;
    const done = new Promise<void>((resolve) => {
      try {
        worker = new Worker(script);
      } catch {
        resolve();
        return;
      }
      worker.unref(); // kept alive only while someone waits for it (searched)
      worker.once("message", (reply: SearchReply) => {
        files.forEach((p, i) => {
          if (reply.unread[i] === 1) return; // could not be read: asked again when needed
          const mask = reply.masks[i];
          found.set(p, mask);
          const sha = shas.get(p);
          // Only what the bytes said is a property of the blob (not "too large to read").
          if (sha !== undefined && reply.unread[i] === 0) memos?.forEach((m, k) => m.set(sha, ((mask >>> k) & 1) === 1));
        });
        resolve();
        void worker?.terminate();
      });
      worker.once("error", () => resolve());
      worker.once("exit", () => resolve());
      const task: SearchTask = { files: files.map((p) => `${root}/${p}`), words: list, maxBytes: maxFileBytes };
      worker.postMessage(task);
    });
    this.searching = { done, worker };
  }

  async searched(): Promise<void> {
    if (this.searching === null) return;
    this.searching.worker?.ref();
    await this.searching.done;
  }

  /** Step 4. Base: the head's facts, with the changed files swapped in (scanned now: they are few, and always read). */
  overlayBase(): { base: FactsMap; baseSkips: Map<string, string> } {
    const { input, baseShas, cache, maxFileBytes, stats } = this;
    const base = FactsMap.overlay(this.head, input.baseOverrides.keys());
    const baseSkips = new Map<string, string>();
    for (const [p, bytes] of input.baseOverrides) {
      if (bytes === null || !/\.pyi?$/.test(p)) continue;
      const sha = baseShas.get(p) as string;
      const hit = cache?.find(sha);
      if (hit !== undefined && hit.pack.holdsFacts(hit.i)) {
        const { pack, i } = hit;
        base.setDeferred(p, () => pack.text(i) ?? scanItem({ bytes }, maxFileBytes).enc);
        stats.cached++;
        continue;
      }
      const scanned = toBytes(scanItem({ bytes }, maxFileBytes));
      stats.scanned++;
      const enc = scanned.data.toString("utf8");
      if (isFacts(enc)) base.setEncoded(p, enc);
      else baseSkips.set(p, skipReason(enc, maxFileBytes));
      if (cache !== undefined) this.fresh.set(sha, scanned);
    }
    return { base, baseSkips };
  }

  /** Why a head file was not scanned (asking about a file not scanned yet scans it). */
  skipped(p: string): string | undefined {
    this.open(p);
    if (this.pending.has(p)) this.head.get(p); // scans it
    return this.headSkips.get(p);
  }

  /** Step 5. Keep what was scanned (everything, when the cached blobs are spread over too many packs). */
  persist(): void {
    const { cache, fresh, toEncode, shas, baseShas } = this;
    void this.searching?.worker?.terminate();
    this.pool?.close();
    this.pool = null;
    this.jobs.clear();
    if (cache === undefined) return;
    if (cache.fragmented) {
      for (const sha of [...shas.values(), ...baseShas.values()]) {
        const hit = sha === null || fresh.has(sha) ? undefined : cache.find(sha);
        const entry = hit === undefined ? null : hit.pack.entry(hit.i);
        if (entry !== null && sha !== null) fresh.set(sha, entry);
      }
    }
    for (const [sha, facts] of toEncode) if (!fresh.has(sha)) fresh.set(sha, toBytes({ sha: null, enc: encodeFacts(facts) }));
    cache.save(fresh);
    fresh.clear();
    toEncode.clear();
  }
}

export async function collectFacts(input: CollectInput): Promise<Collected> {
  const { shas, bytesOf } = await headShas(input);
  const baseShas = new Map<string, string | null>();
  for (const [p, b] of input.baseOverrides) baseShas.set(p, b === null ? null : blobSha(b));
  const key = repoStateKey(input, shas, baseShas);
  const c = new Collector(input, shas, bytesOf, baseShas);
  await c.readOffDisk();
  const { base, baseSkips } = c.overlayBase();
  const headSkipped: SkipTable = { get: (p) => c.skipped(p) };
  const baseSkipped: SkipTable = {
    get: (p) => (input.baseOverrides.has(p) ? baseSkips.get(p) : headSkipped.get(p)),
  };
  return {
    head: c.head,
    base,
    headSkipped,
    baseSkipped,
    stateKey: key,
    request: (paths) => c.request(paths),
    whenScanned: (p) => c.whenScanned(p),
    inFlight: (p) => c.inFlight(p),
    searchAhead: (words) => c.searchAhead(words),
    searched: () => c.searched(),
    persist: () => c.persist(),
    stats: c.stats,
  };
}

/**
 * Reads a head file: from the checkout when it holds the file (workers do the same; regular
 * files only, see core/safe-read.ts), else through the reader. Null for what is not read.
 */
export function headReader(input: {
  headRoot?: string;
  headOnDisk?(p: string): boolean;
  headSymlinks?: ReadonlySet<string>;
  readHead(p: string): Promise<Buffer | null>;
}): (p: string) => Promise<Buffer | null> {
  return async (p) => {
    if (input.headSymlinks?.has(p)) return null;
    if (input.headRoot !== undefined && (input.headOnDisk?.(p) ?? true)) {
      try {
        return readRegularInside(input.headRoot, p);
      } catch {
        return null;
      }
    }
    return input.readHead(p);
  };
}
