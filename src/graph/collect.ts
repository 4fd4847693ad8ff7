/**
 * Scanner facts for every Python file of the head revision and, by swapping in only the
 * changed files, of the base revision: one repository scan per pull request, served from the
 * scan cache when it can be (entries are decoded only when asked for), on worker threads
 * when there is much to scan.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ScanCache } from "./cache";
import { blobSha, stateKeyOf } from "./fingerprint";
import type { PackEntry } from "./pack";
import { FactsMap } from "./facts-map";
import { scanAll } from "./scan-pool";
import { isFacts, type ScanItem, scanItem, toBytes } from "./scan-item";

export interface CollectInput {
  /** Repository-relative paths of the head revision's Python files (`.py`, `.pyi`). */
  paths: string[];
  readHead(path: string): Promise<Buffer | null>;
  /** When the head is a checkout on disk: its directory, so files are read directly (and by workers). */
  headRoot?: string;
  baseOverrides: Map<string, Buffer | null>;
  headBlobShas?: Map<string, string>;
  cache?: ScanCache;
  maxFileBytes: number;
  workerThreshold?: number;
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Collected {
  head: FactsMap;
  base: FactsMap;
  /** Paths not scanned, with why (over the size limit, unreadable), per revision. */
  headSkipped: Map<string, string>;
  baseSkipped: Map<string, string>;
  /** Key of this repository state (head paths and blobs, base overrides), when a cache is used. */
  stateKey: string | null;
  stats: { files: number; scanned: number; cached: number };
}

function skipReason(enc: string, maxBytes: number): string {
  if (enc.startsWith("L")) return `larger than max_file_bytes (${enc.slice(1)} > ${maxBytes} bytes); not read`;
  return `could not be read (${enc.slice(1)})`;
}

function sorted(xs: string[]): string[] {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1] > xs[i]) return [...xs].sort();
  return xs;
}

export async function collectFacts(input: CollectInput): Promise<Collected> {
  const { cache, maxFileBytes } = input;
  const head = new FactsMap();
  const headSkipped = new Map<string, string>();
  const stats = { files: input.paths.length, scanned: 0, cached: 0 };
  const read = headReader(input);
  const accept = (p: string, enc: string, map: FactsMap, skipped: Map<string, string>): void => {
    if (isFacts(enc)) map.setEncoded(p, enc);
    else skipped.set(p, skipReason(enc, maxFileBytes));
  };

  // 1. Blob SHAs (only needed to use a cache). Files git did not give one are read and hashed here.
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
  const baseShas = new Map<string, string | null>();
  for (const [p, b] of input.baseOverrides) baseShas.set(p, b === null ? null : blobSha(b));

  // 2. The key of this repository state (stored graphs are keyed by it).
  let key: string | null = null;
  if (cache !== undefined) {
    key = stateKeyOf((add) => {
      add(`max=${maxFileBytes}`);
      for (const p of sorted(input.paths)) {
        add(p);
        add(shas.get(p) ?? "-");
      }
      for (const p of sorted([...baseShas.keys()])) {
        add(`base:${p}`);
        add(baseShas.get(p) ?? "-");
      }
    });
  }
  // Entries scanned now (the cached ones are in the cache already).
  const fresh = new Map<string, PackEntry>();

  // 3. Head: cached entries (decoded when first asked for), then scan the rest.
  const todo: string[] = [];
  for (const p of input.paths) {
    const sha = shas.get(p);
    const hit = sha === undefined || cache === undefined ? undefined : cache.find(sha);
    if (hit === undefined || sha === undefined) {
      todo.push(p);
      continue;
    }
    const { pack, i } = hit;
    if (pack.holdsFacts(i)) {
      // A corrupt entry is rescanned from the checkout, when there is one.
      const root = input.headRoot;
      head.setDeferred(
        p,
        () => pack.text(i) ?? (root === undefined ? undefined : scanItem({ abs: path.join(root, p) }, maxFileBytes).enc),
        (needle) => pack.mentions(i, needle),
      );
    } else {
      const enc = pack.text(i);
      // A size marker is reusable only if the limit still excludes the file.
      if (enc === null || !(enc.startsWith("L") && Number(enc.slice(1)) > maxFileBytes)) {
        todo.push(p);
        continue;
      }
      headSkipped.set(p, skipReason(enc, maxFileBytes));
    }
    stats.cached++;
  }
  const items: ScanItem[] = [];
  const itemPaths: string[] = [];
  const root = input.headRoot === undefined ? "" : path.resolve(input.headRoot);
  for (const p of todo) {
    let b: Buffer | null | undefined = bytesOf.get(p);
    if (b === undefined && input.headRoot === undefined) b = await input.readHead(p);
    if (b === null) {
      headSkipped.set(p, "could not be read");
      continue;
    }
    const hash = cache !== undefined && !shas.has(p);
    items.push(b !== undefined ? { bytes: b, hash } : { abs: `${root}/${p}`, hash });
    itemPaths.push(p);
  }
  const results = await scanAll(items, {
    maxBytes: maxFileBytes,
    threshold: input.workerThreshold,
    workers: input.workers,
    onProgress: input.onProgress,
  });
  results.forEach((r, i) => {
    const p = itemPaths[i];
    stats.scanned++;
    if (isFacts(r.data)) head.setDeferred(p, () => r.data.toString("utf8"));
    else {
      const marker = r.data.toString("utf8");
      headSkipped.set(p, skipReason(marker, maxFileBytes));
      if (marker.startsWith("E")) return;
    }
    const sha = shas.get(p) ?? r.sha;
    if (sha !== null && cache !== undefined) fresh.set(sha, { data: r.data, crc: r.crc });
  });

  // 4. Base: the head's facts, with the changed files swapped in.
  const base = FactsMap.overlay(head, input.baseOverrides.keys());
  const baseSkipped = new Map<string, string>();
  for (const [p, why] of headSkipped) if (!input.baseOverrides.has(p)) baseSkipped.set(p, why);
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
    accept(p, scanned.data.toString("utf8"), base, baseSkipped);
    if (cache !== undefined) fresh.set(sha, scanned);
  }

  // 5. Keep what was scanned (everything, when the cached blobs are spread over too many packs).
  if (cache !== undefined) {
    if (cache.fragmented) {
      for (const sha of [...shas.values(), ...baseShas.values()]) {
        const hit = sha === null || fresh.has(sha) ? undefined : cache.find(sha);
        if (hit !== undefined && sha !== null) fresh.set(sha, hit.pack.entry(hit.i));
      }
    }
    cache.save(fresh);
  }
  return { head, base, headSkipped, baseSkipped, stateKey: key, stats };
}

/** Reads a head file: from the checkout when there is one (workers do the same), else through the reader. */
export function headReader(input: { headRoot?: string; readHead(p: string): Promise<Buffer | null> }): (p: string) => Promise<Buffer | null> {
  return async (p) => {
    if (input.headRoot !== undefined) {
      try {
        return fs.readFileSync(path.join(input.headRoot, p));
      } catch {
        return null;
      }
    }
    return input.readHead(p);
  };
}
