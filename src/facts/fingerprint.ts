/**
 * Version stamps and keys for everything cached: the format of stored facts (codec version
 * plus a hash of the scanner's source), of stored graphs (the graph code too), git blob SHAs
 * and repository-state keys.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { CODEC_VERSION } from "./codec";

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
export function graphFormat(): string {
  return sourceHash(["python", "facts", "graph"]);
}

/** The git blob SHA of some bytes. */
export function blobSha(bytes: Uint8Array): string {
  return crypto.createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function crc(bytes: Uint8Array): number {
  return zlib.crc32(bytes) >>> 0;
}

/** The key of a repository state: every path with its blob, plus the base overrides (given in order to `add`). */
export function stateKeyOf(fill: (add: (part: string) => void) => void): string {
  const h = crypto.createHash("sha1");
  h.update(cacheFormat());
  fill((part) => h.update(part).update("\0"));
  return h.digest("hex");
}

export function stateKey(parts: Iterable<string>): string {
  return stateKeyOf((add) => {
    for (const p of parts) add(p);
  });
}
