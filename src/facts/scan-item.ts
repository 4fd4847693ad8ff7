/**
 * Scanning one file for the fact collector, the same in the main thread and in workers:
 * read (when given a path), check the size limit, hash (when asked), scan, encode.
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { openRegularSync } from "../core/safe-read";
import { scanPython } from "../python/scanner";
import { blobSha } from "./fingerprint";
import { encodeFacts } from "./codec";
import type { PyFileFacts } from "../python/types";

export interface ScanItem {
  /** Absolute path to read, or the bytes themselves. */
  abs?: string;
  bytes?: Uint8Array;
  /** Also compute the blob SHA. */
  hash?: boolean;
}

export interface ScanResult {
  /** The blob SHA, when asked for. */
  sha: string | null;
  /**
   * Encoded facts (codec.ts), or a marker: `L<size>` for a file over the size limit (not
   * scanned), `E<message>` for a file that could not be read.
   */
  enc: string;
}

/** A scan result as UTF-8 bytes with their CRC-32, the form the cache stores. */
export interface ScannedBytes {
  sha: string | null;
  data: Buffer;
  crc: number;
}

/** One read buffer per thread: files are read into it without a stat or an allocation each. */
let scratch: Buffer | null = null;

/**
 * Reads a file into this thread's scratch buffer: a view of it (valid until the next read), or
 * the file's size when it is over `maxBytes`. Only a regular file is read, never through a
 * symbolic link (see core/safe-read.ts; the collector checks the directories above it).
 */
export function readInto(abs: string, maxBytes: number): Buffer | number {
  const cap = maxBytes + 1;
  if (scratch === null || scratch.length < cap) scratch = Buffer.allocUnsafe(cap);
  const fd = openRegularSync(abs);
  try {
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, scratch, n, cap - n, null);
      if (got === 0) return scratch.subarray(0, n);
      n += got;
      if (n === cap) return fs.fstatSync(fd).size; // over the limit: only its size matters
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A scanned file: its facts, or a marker saying why there are none (see ScanResult.enc). */
export interface ScannedFacts {
  sha: string | null;
  facts: PyFileFacts | null;
  marker: string;
}

export function scanFacts(item: ScanItem, maxBytes: number): ScannedFacts {
  let bytes: Uint8Array | number | undefined = item.bytes;
  if (bytes === undefined) {
    try {
      bytes = readInto(item.abs as string, maxBytes);
    } catch (e) {
      return { sha: null, facts: null, marker: `E${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    // Too large: the SHA is not needed (the marker is keyed by git's SHA when there is one).
    if (typeof bytes === "number") return { sha: null, facts: null, marker: `L${bytes}` };
  }
  const sha = item.hash ? blobSha(bytes) : null;
  if (bytes.length > maxBytes) return { sha, facts: null, marker: `L${bytes.length}` };
  return { sha, facts: scanPython(bytes), marker: "" };
}

export function scanItem(item: ScanItem, maxBytes: number): ScanResult {
  const r = scanFacts(item, maxBytes);
  return { sha: r.sha, enc: r.facts === null ? r.marker : encodeFacts(r.facts) };
}

export function toBytes(r: ScanResult): ScannedBytes {
  const data = Buffer.from(r.enc, "utf8");
  return { sha: r.sha, data, crc: zlib.crc32(data) >>> 0 };
}

/** Whether an encoded entry is facts (not a size or read marker). */
export function isFacts(enc: string | Uint8Array): boolean {
  return typeof enc === "string" ? enc.charCodeAt(0) === 91 : enc[0] === 91; // "["
}
