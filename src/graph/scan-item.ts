/**
 * Scanning one file for the fact collector, the same in the main thread and in workers:
 * read (when given a path), check the size limit, hash (when asked), scan, encode.
 */
import * as fs from "node:fs";
import { scanPython } from "../python/scanner";
import { blobSha } from "./cache";
import { encodeFacts } from "./codec";

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

export function scanItem(item: ScanItem, maxBytes: number): ScanResult {
  let bytes = item.bytes;
  if (bytes === undefined) {
    try {
      bytes = fs.readFileSync(item.abs as string);
    } catch (e) {
      return { sha: null, enc: `E${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }
  const sha = item.hash ? blobSha(bytes) : null;
  if (bytes.length > maxBytes) return { sha, enc: `L${bytes.length}` };
  return { sha, enc: encodeFacts(scanPython(bytes)) };
}

/** Whether an encoded entry is facts (not a size or read marker). */
export function isFacts(enc: string): boolean {
  return enc.charCodeAt(0) === 91; // "["
}
