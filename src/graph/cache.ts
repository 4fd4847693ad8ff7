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

const MAGIC = "DSGPACK3";
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

/**
 * One pack file: blob SHA -> encoded facts. Opening reads only the header; the entries are
 * read from the open file, in one read, when one is first needed (the open descriptor keeps
 * the data even if another run replaces or prunes the file meanwhile).
 */
export class Pack {
  private readonly index = new Map<string, number>();
  private body: Buffer | null = null;
  private fd: number | null;

  private constructor(
    fd: number,
    private readonly bodyStart: number,
    private readonly offsets: number[],
    private readonly crcs: number[],
    private readonly markers: Set<number>,
  ) {
    this.fd = fd;
    closer.register(this, fd, this);
  }

  /** Index of a blob's entry, or -1. */
  find(sha: string): number {
    return this.index.get(sha) ?? -1;
  }

  private data(): Buffer {
    if (this.body === null) {
      const size = this.offsets[this.offsets.length - 1];
      const buf = Buffer.allocUnsafe(size);
      let got = 0;
      try {
        while (got < size) {
          const n = fs.readSync(this.fd as number, buf, got, size - got, this.bodyStart + got);
          if (n === 0) break;
          got += n;
        }
      } catch {
        // unreadable: every entry fails its CRC below
      }
      this.body = got === size ? buf : Buffer.alloc(0);
      this.close();
    }
    return this.body;
  }

  private close(): void {
    if (this.fd === null) return;
    closer.unregister(this);
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }

  /** The raw bytes of entry `i` (for copying into another pack); empty when unreadable. */
  raw(i: number): Buffer {
    return this.data().subarray(this.offsets[i], this.offsets[i + 1]);
  }

  /** Whether entry `i` holds facts, not a size or read marker (known from the header alone). */
  holdsFacts(i: number): boolean {
    return !this.markers.has(i);
  }

  /** The text of entry `i`, or null when it fails its CRC. Read on its own unless the whole body is loaded. */
  text(i: number): string | null {
    const len = this.offsets[i + 1] - this.offsets[i];
    let raw: Buffer;
    if (this.body === null && this.fd !== null) {
      raw = Buffer.allocUnsafe(len);
      try {
        if (fs.readSync(this.fd, raw, 0, len, this.bodyStart + this.offsets[i]) !== len) return null;
      } catch {
        return null;
      }
    } else raw = this.raw(i);
    return raw.length === len && crc(raw) === this.crcs[i] ? raw.toString("utf8") : null;
  }

  /** Opens a pack: checks its header (format, counts, total size); null when it is not a valid pack. */
  static open(file: string): Pack | null {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch {
      return null;
    }
    let pack: Pack | null = null;
    try {
      const size = fs.fstatSync(fd).size;
      const first = Buffer.alloc(Math.min(256, size));
      fs.readSync(fd, first, 0, first.length, 0);
      const nl = first.indexOf(10);
      // MAGIC format count headerBytes \n shas \n lengths \n crcs \n markers \n body
      const [magic, format, countText, headText] = first.toString("latin1", 0, nl < 0 ? 0 : nl).split(" ");
      const count = Number(countText);
      const headBytes = Number(headText);
      if (magic !== MAGIC || format !== cacheFormat() || !Number.isSafeInteger(count) || !Number.isSafeInteger(headBytes) || headBytes > size) return null;
      const head = Buffer.alloc(headBytes - nl - 1);
      fs.readSync(fd, head, 0, head.length, nl + 1);
      const [shas, lengths, crcs, markers] = head.toString("latin1").split("\n");
      if (shas.length !== count * 40) return null;
      const lens = count === 0 ? [] : lengths.split(",").map(Number);
      const sums = count === 0 ? [] : crcs.split(",").map((x) => parseInt(x, 16));
      if (lens.length !== count || sums.length !== count) return null;
      const offsets = new Array<number>(count + 1);
      let off = 0;
      for (let i = 0; i < count; i++) {
        offsets[i] = off;
        off += lens[i];
      }
      offsets[count] = off;
      if (!Number.isSafeInteger(off) || headBytes + off !== size) return null;
      const marked = new Set(markers === "" ? [] : markers.split(",").map(Number));
      pack = new Pack(fd, headBytes, offsets, sums, marked);
      for (let i = 0; i < count; i++) pack.index.set(shas.slice(i * 40, i * 40 + 40), i);
      return pack;
    } catch {
      return null;
    } finally {
      if (pack === null) fs.closeSync(fd);
    }
  }
}

/** Closes the descriptor of a pack nobody read entries from, once it is garbage. */
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
});

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
    const pack = Pack.open(file);
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
      const pack = Pack.open(file);
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
      const markers: number[] = [];
      const bodies: Buffer[] = [];
      for (const [sha, enc] of entries) {
        if (sha.length !== 40) continue;
        const b = typeof enc === "string" ? Buffer.from(enc, "utf8") : enc;
        if (b[0] !== 0x5b) markers.push(shas.length); // not "[": a size or read marker
        shas.push(sha);
        lengths.push(b.length);
        crcs.push(crc(b).toString(16));
        bodies.push(b);
      }
      const index = `${shas.join("")}\n${lengths.join(",")}\n${crcs.join(",")}\n${markers.join(",")}\n`;
      const prefix = `${MAGIC} ${cacheFormat()} ${shas.length} `;
      // The header's size counts its own digits: find the fixed point.
      const fixed = prefix.length + 1 + index.length;
      let size = fixed;
      while (fixed + String(size).length !== size) size = fixed + String(size).length;
      const first = `${prefix}${size}\n`;
      const file = this.packFile(stateKey);
      this.write(file, [Buffer.from(first + index, "latin1"), ...bodies]);
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
