/**
 * The pack file: many cache entries (blob SHA -> encoded facts or a marker) in one file, each
 * authenticated with a keyed MAC (see cache-key.ts), and the header too, so an entry that was
 * not written by this machine's runs (committed to a repository, planted) is never used.
 * Layout:
 *
 *   DSGPACK4 <format> <count> <header bytes> <MAC of the header>\n
 *   <40-hex SHA of each entry, concatenated>\n
 *   <byte length of each entry, comma-separated>\n
 *   <MAC of each entry (its SHA and bytes), hex, comma-separated>\n
 *   <indices of marker entries (not facts), comma-separated>\n
 *   <the entries, back to back>
 */
import * as fs from "node:fs";
import { openRegularSync } from "../core/safe-read";
import type { CacheKey } from "./cache-key";
import { cacheFormat, crc } from "./fingerprint";

const MAGIC = "DSGPACK4";
/** Entries read one by one before a pack's whole body is read instead. */
const SINGLE_READS = 64;

/**
 * One pack file: blob SHA -> encoded facts. Opening reads only the header; the entries are
 * read from the open file, in one read, when one is first needed (the open descriptor keeps
 * the data even if another run replaces or prunes the file meanwhile).
 */
export class Pack {
  private readonly index = new Map<string, number>();
  private body: Buffer | null = null;
  private fd: number | null;
  private reads = 0;

  /** Entries whose MAC was checked: 1 good, 2 bad. */
  private readonly checked: Uint8Array;

  private constructor(
    fd: number,
    private readonly key: CacheKey,
    private readonly bodyStart: number,
    private readonly offsets: number[],
    private readonly macs: string[],
    private readonly markers: Set<number>,
  ) {
    this.checked = new Uint8Array(macs.length);
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

  /** The entry's bytes and CRC, for copying into another pack; null when it fails its MAC. */
  entry(i: number): PackEntry | null {
    const data = this.raw(i);
    return this.authentic(i, data) ? { data, crc: crc(data) } : null;
  }

  /** The raw bytes of entry `i`, not checked; empty when unreadable. */
  private raw(i: number): Buffer {
    return this.data().subarray(this.offsets[i], this.offsets[i + 1]);
  }

  /** Whether entry `i`'s bytes are the ones this machine's key authenticated. */
  private authentic(i: number, raw: Buffer): boolean {
    if (this.checked[i] === 0) {
      const ok = raw.length === this.offsets[i + 1] - this.offsets[i] && this.key.entryMac(this.shaAt(i), raw) === this.macs[i];
      this.checked[i] = ok ? 1 : 2;
    }
    return this.checked[i] === 1;
  }

  private shaAt(i: number): string {
    return this.shas[i];
  }

  private shas: string[] = [];

  /** Whether entry `i` holds facts, not a size or read marker (known from the header alone). */
  holdsFacts(i: number): boolean {
    return !this.markers.has(i);
  }

  /** Whether entry `i`'s bytes contain `needle` (no decoding: a filter, not a read); true when it fails its MAC. */
  mentions(i: number, needle: Buffer): boolean {
    const raw = this.raw(i);
    return !this.authentic(i, raw) || raw.includes(needle);
  }

  /**
   * The text of entry `i`, or null when it fails its MAC. The first few are read on their own;
   * past that, a build needs many, and the whole body is read at once.
   */
  text(i: number): string | null {
    const len = this.offsets[i + 1] - this.offsets[i];
    let raw: Buffer;
    if (this.body === null && this.fd !== null && ++this.reads <= SINGLE_READS) {
      raw = Buffer.allocUnsafe(len);
      try {
        if (fs.readSync(this.fd, raw, 0, len, this.bodyStart + this.offsets[i]) !== len) return null;
      } catch {
        return null;
      }
    } else raw = this.raw(i);
    return this.authentic(i, raw) ? raw.toString("utf8") : null;
  }

  /**
   * Opens a pack: checks its header (format, counts, total size, and its MAC under `key`); null
   * when it is not a valid pack of this machine. Only a regular file is opened (never a link, FIFO or device).
   */
  static open(file: string, key: CacheKey): Pack | null {
    let fd: number;
    try {
      fd = openRegularSync(file);
    } catch {
      return null;
    }
    let pack: Pack | null = null;
    try {
      const size = fs.fstatSync(fd).size;
      const first = Buffer.alloc(Math.min(256, size));
      fs.readSync(fd, first, 0, first.length, 0);
      const nl = first.indexOf(10);
      // MAGIC format count headerBytes mac \n shas \n lengths \n macs \n markers \n body
      const [magic, format, countText, headText, mac] = first.toString("latin1", 0, nl < 0 ? 0 : nl).split(" ");
      const count = Number(countText);
      const headBytes = Number(headText);
      if (magic !== MAGIC || format !== cacheFormat() || !Number.isSafeInteger(count) || !Number.isSafeInteger(headBytes) || headBytes > size) return null;
      const head = Buffer.alloc(headBytes - nl - 1);
      fs.readSync(fd, head, 0, head.length, nl + 1);
      const index = head.toString("latin1");
      if (mac !== key.headerMac(`${magic} ${format} ${countText}`, index)) return null;
      const [shas, lengths, macs, markers] = index.split("\n");
      if (shas.length !== count * 40) return null;
      const lens = count === 0 ? [] : lengths.split(",").map(Number);
      const sums = count === 0 ? [] : macs.split(",");
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
      pack = new Pack(fd, key, headBytes, offsets, sums, marked);
      for (let i = 0; i < count; i++) {
        const sha = shas.slice(i * 40, i * 40 + 40);
        pack.shas.push(sha);
        pack.index.set(sha, i);
      }
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

/** One stored entry: the UTF-8 of encoded facts (or of a marker) and its CRC-32. */
export interface PackEntry {
  data: Buffer;
  crc: number;
}

/** The bytes of a pack holding `entries` (blob SHA -> entry), header first, authenticated with `key`. */
export function packBytes(entries: Map<string, PackEntry>, key: CacheKey): Buffer[] {
  const shas: string[] = [];
  const lengths: number[] = [];
  const macs: string[] = [];
  const markers: number[] = [];
  const bodies: Buffer[] = [];
  for (const [sha, e] of entries) {
    if (sha.length !== 40) continue;
    if (e.data[0] !== 0x5b) markers.push(shas.length); // not "[": a size or read marker
    shas.push(sha);
    lengths.push(e.data.length);
    macs.push(key.entryMac(sha, e.data));
    bodies.push(e.data);
  }
  const index = `${shas.join("")}\n${lengths.join(",")}\n${macs.join(",")}\n${markers.join(",")}\n`;
  const lead = `${MAGIC} ${cacheFormat()} ${shas.length}`;
  const mac = key.headerMac(lead, index);
  // The header's size counts its own digits: find the fixed point.
  const fixed = lead.length + 1 + 1 + mac.length + 1 + index.length;
  let size = fixed;
  while (fixed + String(size).length !== size) size = fixed + String(size).length;
  return [Buffer.from(`${lead} ${size} ${mac}\n${index}`, "latin1"), ...bodies];
}
