/**
 * Which blobs contain a word, remembered across runs (content-addressed, so never stale): a
 * search for the files that may mention a moved module reads each file not scanned yet once,
 * and a later review of the same or a next push of the pull request reads none of them again.
 *
 * On disk, one file per word: `DSGW1\n`, the word's length (u16) and bytes, the counts of
 * blobs that have and lack it (u32 each), their 20-byte SHAs, and a CRC-32 of all before it.
 */
import { crc } from "./fingerprint";

const MAGIC = Buffer.from("DSGW1\n", "latin1");
const SHA = /^[0-9a-f]{40}$/;
/** Past this many blobs a memo starts over (a repository's blobs change over time; a memo should not grow forever). */
const MAX_BLOBS = 1_000_000;

export class WordMemo {
  private readonly has = new Set<string>();
  private readonly lacks = new Set<string>();
  /** Entries learnt by this run (only those need writing). */
  added = 0;

  constructor(readonly word: string) {}

  /** True or false when known for the blob, else undefined. */
  get(sha: string): boolean | undefined {
    return this.has.has(sha) ? true : this.lacks.has(sha) ? false : undefined;
  }

  set(sha: string, present: boolean): void {
    if (!SHA.test(sha) || this.get(sha) !== undefined) return;
    (present ? this.has : this.lacks).add(sha);
    this.added++;
  }

  /** Adds what a stored memo knows (ignored when it is not one, or is another word's). */
  merge(bytes: Buffer): void {
    if (bytes.length < MAGIC.length + 14 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const body = bytes.subarray(0, bytes.length - 4);
    if (crc(body) !== bytes.readUInt32LE(bytes.length - 4)) return;
    let at = MAGIC.length;
    const len = bytes.readUInt16LE(at);
    at += 2;
    if (at + len + 8 > body.length || bytes.toString("utf8", at, at + len) !== this.word) return;
    at += len;
    const nHas = bytes.readUInt32LE(at);
    const nLacks = bytes.readUInt32LE(at + 4);
    at += 8;
    if (at + (nHas + nLacks) * 20 !== body.length) return;
    for (let i = 0; i < nHas + nLacks; i++, at += 20) (i < nHas ? this.has : this.lacks).add(bytes.toString("hex", at, at + 20));
  }

  toBytes(): Buffer {
    const word = Buffer.from(this.word, "utf8");
    const over = this.has.size + this.lacks.size > MAX_BLOBS;
    const has = over ? [] : [...this.has];
    const lacks = over ? [] : [...this.lacks];
    const out = Buffer.alloc(MAGIC.length + 2 + word.length + 8 + (has.length + lacks.length) * 20 + 4);
    let at = MAGIC.copy(out, 0);
    at = out.writeUInt16LE(word.length, at);
    at += word.copy(out, at);
    at = out.writeUInt32LE(has.length, at);
    at = out.writeUInt32LE(lacks.length, at);
    for (const sha of [...has, ...lacks]) at += out.write(sha, at, 20, "hex");
    out.writeUInt32LE(crc(out.subarray(0, at)), at);
    return out;
  }
}
