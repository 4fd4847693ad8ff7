/**
 * The scan cache: content-addressed facts (git blob SHA, or the same value computed from the
 * bytes: sha1 of `blob <len>\0<bytes>`) -> encoded facts (codec.ts), on disk.
 *
 * Entries live in pack files: a build looks its blobs up in the most recently used packs
 * (reading only their headers; an entry is read when someone asks for it) and writes the
 * blobs it had to scan as a new pack, so a new push to a pull request scans and writes only
 * the files that changed. When a build's blobs are spread over too many packs, it writes
 * them all to one. The graphs built for a repository state (every path and blob, plus the
 * base overrides) are stored too, so a repeated state skips building them, and so is which
 * blobs contain the words a reference search looked for (word-memo.ts).
 *
 * Safe to share between runs: files are written to a temporary name and renamed, each entry
 * carries a keyed MAC checked when it is read (cache-key.ts: a corrupt, committed or planted
 * entry is a miss), a pack whose layout does not add up is ignored, and every path includes
 * the format version (the codec version plus a fingerprint of the scanner's source, and of the
 * graph code for stored graphs), so a code change never serves stale results.
 *
 * Where it lives (cache-dir.ts): outside the checkout by default, never a path git tracks,
 * never through a symbolic link; files are opened only if they are regular files.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readRegularSync } from "../core/safe-read";
import { CacheKey } from "./cache-key";
import { cacheFormat, graphFormat } from "./fingerprint";
import { Pack, packBytes, type PackEntry } from "./pack";
import { WordMemo } from "./word-memo";

export { blobSha, stateKey } from "./fingerprint";
export type { PackEntry } from "./pack";

/** Packs kept per format version (the most recently used); stored graphs (and reference candidates) likewise. */
const KEEP_PACKS = 4;
const KEEP_STORED = 8;
/** Word memos kept (the most recently used): one per part of a moved module's name. */
const KEEP_WORDS = 64;
/** When one build's blobs come from more packs than this, it writes them all to one new pack. */
const MAX_SPREAD = 3;

/** Where a cached entry is: decode it with `pack.text(i)`. */
/** What is stored per repository state besides facts. */
export type StoredKind = "graph" | "refs" | "order";

export interface CacheHit {
  pack: Pack;
  i: number;
}

export class ScanCache {
  readonly dir: string;
  private packs: Pack[] | null = null;
  private readonly files = new Map<Pack, string>();
  private readonly used = new Set<Pack>();
  private readonly memos = new Map<string, WordMemo>();

  /** `dir`: the cache directory (created on first write). */
  private readonly root: string;
  private readonly key: CacheKey;
  private readonly gitignore: boolean;

  /**
   * `dir`: the cache directory (created on first write; see cache-dir.ts for where it may be).
   * `key`: what authenticates entries (default: this machine's key next to `dir`, see `defaultKeyFile`).
   * `gitignore`: write a `.gitignore` of `*` in it (for a directory inside a repository).
   */
  constructor(dir: string, opts: { key?: CacheKey; gitignore?: boolean } = {}) {
    this.root = dir;
    this.dir = path.join(dir, cacheFormat());
    this.key = opts.key ?? CacheKey.load(defaultKeyFile(dir));
    this.gitignore = opts.gitignore ?? false;
  }

  /** The packs to look blobs up in: the most recently used ones (headers only are read). */
  private open(): Pack[] {
    if (this.packs === null) {
      this.packs = [];
      for (const file of this.list(/^pack-.*\.pack$/).slice(0, KEEP_PACKS)) {
        const pack = Pack.open(file, this.key);
        if (pack === null) continue;
        this.packs.push(pack);
        this.files.set(pack, file);
      }
    }
    return this.packs;
  }

  /** Where a blob's entry is (not yet checked: `text` does that). */
  find(sha: string): CacheHit | undefined {
    for (const pack of this.open()) {
      const i = pack.find(sha);
      if (i >= 0) {
        this.used.add(pack);
        return { pack, i };
      }
    }
    return undefined;
  }

  /** Encoded facts for a blob (undefined when absent or corrupt). */
  get(sha: string): string | undefined {
    const hit = this.find(sha);
    return hit === undefined ? undefined : (hit.pack.text(hit.i) ?? undefined);
  }

  /** How many packs served entries to this build. */
  get spread(): number {
    return this.used.size;
  }

  /** Whether a build that found its blobs here should write them all to one pack (see `save`). */
  get fragmented(): boolean {
    return this.used.size > MAX_SPREAD;
  }

  /**
   * Ends a build: writes `entries` (blob SHA -> entry bytes and CRC-32) as a new pack when
   * there are any (the blobs this build scanned; or all its blobs, to defragment), marks the
   * packs it used as recently used, and prunes the rest. Never throws: a cache that cannot be
   * written is only slower.
   */
  save(entries: Map<string, PackEntry>): void {
    const now = new Date();
    for (const pack of this.used) touch(this.files.get(pack) as string, now);
    this.saveWords();
    if (entries.size === 0) return;
    try {
      const bytes = packBytes(entries, this.key);
      const name = crypto.createHash("sha1").update(bytes[0]).digest("hex");
      const file = path.join(this.dir, `pack-${name}.pack`);
      this.write(file, bytes);
      this.prune(/^pack-.*\.pack$/, KEEP_PACKS, file);
    } catch {
      // read-only or full disk: carry on uncached
    }
  }

  private wordFile(word: string): string {
    return path.join(this.dir, `words-${crypto.createHash("sha1").update(word).digest("hex").slice(0, 24)}.bin`);
  }

  /** Which blobs contain `word`, as far as earlier runs (and this one) found out; `save` stores what this run adds. */
  words(word: string): WordMemo {
    let memo = this.memos.get(word);
    if (memo === undefined) {
      memo = new WordMemo(word);
      const file = this.wordFile(word);
      const bytes = this.readAuthentic(file, `words\0${word}`);
      if (bytes !== null) {
        memo.merge(bytes);
        touch(file);
      }
      this.memos.set(word, memo);
    }
    return memo;
  }

  private saveWords(): void {
    for (const memo of this.memos.values()) {
      if (memo.added === 0) continue;
      const file = this.wordFile(memo.word);
      const bytes = this.readAuthentic(file, `words\0${memo.word}`);
      if (bytes !== null) memo.merge(bytes); // what runs sharing the cache added meanwhile
      try {
        this.writeAuthentic(file, `words\0${memo.word}`, memo.toBytes());
        memo.added = 0;
        this.prune(/^words-.*\.bin$/, KEEP_WORDS, file);
      } catch {
        // read-only or full disk: carry on uncached
      }
    }
  }

  private storedFile(kind: StoredKind, key: string): string {
    return path.join(this.dir, `${kind}-${graphFormat()}-${key}.json`);
  }

  /** Data stored for a repository state (a graph, see startup-graph.ts `toJSON`; reference candidates), or null. */
  loadStored(kind: StoredKind, key: string): unknown {
    const file = this.storedFile(kind, key);
    const body = this.readAuthentic(file, `${kind}\0${graphFormat()}\0${key}`);
    if (body === null) return null;
    try {
      const data = JSON.parse(body.toString("utf8")) as unknown;
      touch(file);
      return data;
    } catch {
      return null;
    }
  }

  saveStored(kind: StoredKind, key: string, data: unknown): void {
    try {
      const body = Buffer.from(JSON.stringify(data), "utf8");
      const file = this.storedFile(kind, key);
      this.writeAuthentic(file, `${kind}\0${graphFormat()}\0${key}`, body);
      this.prune(new RegExp(`^${kind}-.*\\.json$`), KEEP_STORED, file);
    } catch {
      // as above
    }
  }

  /** A whole file's bytes after its MAC line, when the MAC (over `label` and the bytes) is this machine's; else null. */
  private readAuthentic(file: string, label: string): Buffer | null {
    let bytes: Buffer;
    try {
      bytes = readRegularSync(file);
    } catch {
      return null;
    }
    const nl = bytes.indexOf(10);
    if (nl < 0) return null;
    const body = bytes.subarray(nl + 1);
    return bytes.toString("latin1", 0, nl) === this.key.fileMac(label, body) ? body : null;
  }

  private writeAuthentic(file: string, label: string, body: Buffer): void {
    this.write(file, [Buffer.from(`${this.key.fileMac(label, body)}\n`, "latin1"), body]);
  }

  private write(file: string, parts: Buffer[]): void {
    if (!isRealDir(this.dir)) {
      if (!isRealDir(this.root)) {
        if (exists(this.root)) throw new Error(`${this.root} is not a directory (a symbolic link?)`);
        fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
      }
      if (exists(this.dir)) throw new Error(`${this.dir} is not a directory (a symbolic link?)`);
      fs.mkdirSync(this.dir, { mode: 0o700 });
      // Inside a repository, git ignores the cache without anyone adding it to .gitignore (as pytest and ruff do).
      const ignore = path.join(this.root, ".gitignore");
      if (this.gitignore && !exists(ignore)) fs.writeFileSync(ignore, "# Written by django-startup-guard: the scan cache is not part of the repository.\n*\n", { flag: "wx" });
    }
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      for (let i = 0; i < parts.length; i += 512) {
        const chunk = parts.slice(i, i + 512);
        let left = chunk.reduce((n, b) => n + b.length, 0);
        while (left > 0) {
          const n = fs.writevSync(fd, chunk);
          left -= n;
          if (left > 0) {
            // A short write: drop what was written and go on with the rest.
            let skip = n;
            while (skip > 0 && chunk.length > 0) {
              if (chunk[0].length <= skip) skip -= (chunk.shift() as Buffer).length;
              else {
                chunk[0] = chunk[0].subarray(skip);
                skip = 0;
              }
            }
          }
        }
      }
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
        const st = fs.lstatSync(file);
        if (st.isFile()) found.push({ file, mtime: st.mtimeMs });
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
        if (now - fs.lstatSync(f).mtimeMs > 3600_000) rm(f);
      }
    } catch {
      // best effort
    }
  }
}

/** Where the key for a cache directory is kept by default: next to it, outside it. */
export function defaultKeyFile(dir: string): string {
  return path.join(path.dirname(path.resolve(dir)), "django-startup-guard.key");
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A directory that is not a symbolic link. */
function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function touch(file: string, now = new Date()): void {
  try {
    fs.lutimesSync(file, now, now); // recently used: kept by pruning
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
