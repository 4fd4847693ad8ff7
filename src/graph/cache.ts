/**
 * The scan cache: content-addressed facts (git blob SHA, or the same value computed from the
 * bytes: sha1 of `blob <len>\0<bytes>`) -> encoded facts (codec.ts), on disk.
 *
 * Entries live in pack files, one per repository state (all the blobs one build used),
 * named by a key over every path and blob of that state. A warm run of the same state reads
 * one file and decodes only the entries someone asks for; a run over a new state (a few
 * files changed) reuses the blobs of the most recent packs and scans only what is new. The
 * graphs built for a state are kept next to its pack, so a repeated state skips building.
 *
 * Safe to share between runs: files are written to a temporary name and renamed, each entry
 * carries a CRC-32 checked when it is read (a corrupt entry is a miss), a pack whose layout
 * does not add up is ignored, and every path includes the format version (the codec version
 * plus a fingerprint of the scanner's source, and of the graph code for stored graphs), so
 * a code change never serves stale results.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { CODEC_VERSION } from "./codec";

const MAGIC = "DSGPACK2";
/** Packs kept per format version (the newest by modification time); graphs likewise, per side. */
const KEEP_PACKS = 4;
const KEEP_GRAPHS = 8;

const fingerprints = new Map<string, string>();

function sourceHash(dirs: string[]): string {
  const key = dirs.join("|");
  const hit = fingerprints.get(key);
  if (hit !== undefined) return hit;
  const h = crypto.createHash("sha1");
  h.update(`codec${CODEC_VERSION}`);
  for (const d of dirs) {
    const dir = path.join(__dirname, "..", d);
    try {
      for (const f of fs.readdirSync(dir).sort()) {
        if (/\.(js|ts)$/.test(f) && !f.endsWith(".d.ts")) h.update(f).update(fs.readFileSync(path.join(dir, f)));
      }
    } catch {
      h.update(`missing ${d}`);
    }
  }
  const v = h.digest("hex").slice(0, 12);
  fingerprints.set(key, v);
  return v;
}

/** Codec version plus a hash of the scanner's source files: any scanner change invalidates the cache. */
export function cacheFormat(): string {
  return `v${CODEC_VERSION}-${sourceHash(["python"])}`;
}

/** Like `cacheFormat`, for stored graphs: the graph code counts too. */
function graphFormat(): string {
  return sourceHash(["python", "graph"]);
}

/** The git blob SHA of some bytes. */
export function blobSha(bytes: Uint8Array): string {
  return crypto.createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function crc(bytes: Uint8Array): number {
  return zlib.crc32(bytes) >>> 0;
}

/** One pack file, read: blob SHA -> encoded facts, decoded to text only on demand. */
export class Pack {
  private readonly index = new Map<string, number>();

  private constructor(
    private readonly buf: Buffer,
    private readonly offsets: number[],
    private readonly crcs: number[],
  ) {}

  /** Index of a blob's entry, or -1. */
  find(sha: string): number {
    return this.index.get(sha) ?? -1;
  }

  /** The raw bytes of entry `i` (for copying into another pack). */
  raw(i: number): Buffer {
    return this.buf.subarray(this.offsets[i], this.offsets[i + 1]);
  }

  /** The text of entry `i`, or null when it fails its CRC. */
  text(i: number): string | null {
    const raw = this.raw(i);
    return crc(raw) === this.crcs[i] ? raw.toString("utf8") : null;
  }

  static read(file: string): Pack | null {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch {
      return null;
    }
    try {
      // MAGIC \n format \n count \n shas \n lengths \n crcs \n body
      let p = 0;
      const line = (): string => {
        const nl = buf.indexOf(10, p);
        if (nl < 0) throw new Error("truncated");
        const s = buf.toString("latin1", p, nl);
        p = nl + 1;
        return s;
      };
      if (line() !== MAGIC || line() !== cacheFormat()) return null;
      const count = Number(line());
      const shas = line();
      const lengths = line();
      const crcs = line();
      if (!Number.isSafeInteger(count) || shas.length !== count * 40) return null;
      const lens = count === 0 ? [] : lengths.split(",").map(Number);
      const sums = count === 0 ? [] : crcs.split(",").map((x) => parseInt(x, 16));
      if (lens.length !== count || sums.length !== count) return null;
      const offsets = new Array<number>(count + 1);
      let off = p;
      for (let i = 0; i < count; i++) {
        offsets[i] = off;
        off += lens[i];
      }
      offsets[count] = off;
      if (!Number.isSafeInteger(off) || off !== buf.length) return null;
      const pack = new Pack(buf, offsets, sums);
      for (let i = 0; i < count; i++) pack.index.set(shas.slice(i * 40, i * 40 + 40), i);
      return pack;
    } catch {
      return null;
    }
  }
}

/** Where a cached entry is: decode it with `pack.text(i)`. */
export interface CacheHit {
  pack: Pack;
  i: number;
}

export class ScanCache {
  readonly dir: string;
  private readonly packs: Pack[] = [];
  private loadedRecent = false;

  /** `dir`: the cache directory (created on first write). */
  constructor(dir: string) {
    this.dir = path.join(dir, cacheFormat());
  }

  private packFile(stateKey: string): string {
    return path.join(this.dir, `state-${stateKey}.pack`);
  }

  /** Loads the pack of exactly this repository state; true when found (and valid). */
  loadState(stateKey: string): boolean {
    const file = this.packFile(stateKey);
    const pack = Pack.read(file);
    if (pack === null) return false;
    this.packs.unshift(pack);
    touch(file);
    return true;
  }

  /** Loads the most recent packs (of other states) so their blobs can be reused. */
  loadRecent(limit = 2): void {
    if (this.loadedRecent) return;
    this.loadedRecent = true;
    for (const file of this.list(/^state-.*\.pack$/).slice(0, limit)) {
      const pack = Pack.read(file);
      if (pack !== null) this.packs.push(pack);
    }
  }

  /** Where a blob's entry is, in the loaded packs (not yet checked: `text` does that). */
  find(sha: string): CacheHit | undefined {
    for (const pack of this.packs) {
      const i = pack.find(sha);
      if (i >= 0) return { pack, i };
    }
    return undefined;
  }

  /** Encoded facts for a blob, from the loaded packs (undefined when absent or corrupt). */
  get(sha: string): string | undefined {
    for (const pack of this.packs) {
      const i = pack.find(sha);
      if (i < 0) continue;
      const t = pack.text(i);
      if (t !== null) return t;
    }
    return undefined;
  }

  /**
   * Writes the pack of a repository state (blob SHA -> encoded facts, as text or as the raw
   * bytes of another pack's entry), atomically, then prunes old packs. Never throws: a cache
   * that cannot be written is only slower.
   */
  saveState(stateKey: string, entries: Map<string, string | Buffer>): void {
    try {
      const shas: string[] = [];
      const lengths: number[] = [];
      const crcs: string[] = [];
      const bodies: Buffer[] = [];
      for (const [sha, enc] of entries) {
        if (sha.length !== 40) continue;
        const b = typeof enc === "string" ? Buffer.from(enc, "utf8") : enc;
        shas.push(sha);
        lengths.push(b.length);
        crcs.push(crc(b).toString(16));
        bodies.push(b);
      }
      const head = `${MAGIC}\n${cacheFormat()}\n${shas.length}\n${shas.join("")}\n${lengths.join(",")}\n${crcs.join(",")}\n`;
      const file = this.packFile(stateKey);
      this.write(file, [Buffer.from(head, "latin1"), ...bodies]);
      this.prune(/^state-.*\.pack$/, KEEP_PACKS, file);
    } catch {
      // read-only or full disk: carry on uncached
    }
  }

  private graphFile(key: string): string {
    return path.join(this.dir, `graph-${graphFormat()}-${key}.json`);
  }

  /** A stored graph (see startup-graph.ts `toJSON`), or null. */
  loadGraph(key: string): unknown {
    const file = this.graphFile(key);
    try {
      const text = fs.readFileSync(file, "utf8");
      const nl = text.indexOf("\n");
      const body = text.slice(nl + 1);
      if (text.slice(0, nl) !== crc(Buffer.from(body, "utf8")).toString(16)) return null;
      touch(file);
      return JSON.parse(body) as unknown;
    } catch {
      return null;
    }
  }

  saveGraph(key: string, data: unknown): void {
    try {
      const body = Buffer.from(JSON.stringify(data), "utf8");
      const file = this.graphFile(key);
      this.write(file, [Buffer.from(`${crc(body).toString(16)}\n`, "latin1"), body]);
      this.prune(/^graph-.*\.json$/, KEEP_GRAPHS, file);
    } catch {
      // as above
    }
  }

  private write(file: string, parts: Buffer[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const fd = fs.openSync(tmp, "w");
    try {
      for (const b of parts) fs.writeSync(fd, b);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  /** Files of this format's directory matching `pattern`, newest first. */
  private list(pattern: RegExp): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const found: { file: string; mtime: number }[] = [];
    for (const n of names) {
      if (!pattern.test(n)) continue;
      const file = path.join(this.dir, n);
      try {
        found.push({ file, mtime: fs.statSync(file).mtimeMs });
      } catch {
        // pruned by another run
      }
    }
    return found.sort((a, b) => b.mtime - a.mtime).map((p) => p.file);
  }

  private prune(pattern: RegExp, keep: number, just: string): void {
    let kept = 0;
    for (const file of this.list(pattern)) {
      if (file === just) continue;
      if (++kept < keep) continue;
      rm(file);
    }
    // Temporary files of crashed runs (an hour old) go too.
    const now = Date.now();
    try {
      for (const n of fs.readdirSync(this.dir)) {
        if (!n.includes(".tmp-")) continue;
        const f = path.join(this.dir, n);
        if (now - fs.statSync(f).mtimeMs > 3600_000) rm(f);
      }
    } catch {
      // best effort
    }
  }
}

function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now); // recently used: kept by pruning
  } catch {
    // another run pruned it meanwhile: we have it in memory
  }
}

function rm(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** The key of a repository state: every path with its blob, plus the base overrides. */
export function stateKey(parts: Iterable<string>): string {
  const h = crypto.createHash("sha1");
  h.update(cacheFormat());
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}
