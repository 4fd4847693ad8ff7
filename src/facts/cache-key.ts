/**
 * The scan cache's secret: a per-machine key, kept outside every repository, that
 * authenticates each cache entry (a keyed MAC, HMAC-SHA-256 truncated to 128 bits). An entry
 * that this machine's runs did not write (one committed to a repository, or planted in the
 * cache directory) fails its MAC and is never used.
 *
 * The key is 32 random bytes in a file created with mode 0600 (exclusively: two runs racing
 * agree on one key), read only if it is a regular file (never through a symbolic link).
 * `DJANGO_STARTUP_GUARD_CACHE_KEY` (any secret text) replaces it, e.g. from a CI secret.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readRegularSync } from "../core/safe-read";

export const KEY_ENV = "DJANGO_STARTUP_GUARD_CACHE_KEY";

export class CacheKey {
  private constructor(private readonly secret: Buffer) {}

  /** The MAC of a pack entry: the blob SHA it is filed under and its bytes. */
  entryMac(sha: string, data: Uint8Array): string {
    return this.mac("entry", Buffer.from(sha, "latin1"), data);
  }

  /** The MAC of a pack's header (its first line's fields before the size, and the index). */
  headerMac(lead: string, index: string): string {
    return this.mac("pack", Buffer.from(lead, "latin1"), Buffer.from(index, "latin1"));
  }

  /** The MAC of a whole cache file: what it is (`label`, e.g. its kind and key) and its bytes. */
  fileMac(label: string, data: Uint8Array): string {
    return this.mac("file", Buffer.from(label, "utf8"), data);
  }

  private mac(kind: string, name: Uint8Array, data: Uint8Array): string {
    const h = crypto.createHmac("sha256", this.secret);
    h.update(kind).update("\0").update(String(name.length)).update("\0").update(name).update(data);
    return h.digest("hex").slice(0, 32);
  }

  /** A key from secret text (tests; `DJANGO_STARTUP_GUARD_CACHE_KEY`). */
  static fromText(text: string): CacheKey {
    return new CacheKey(crypto.createHash("sha256").update(text, "utf8").digest());
  }

  /**
   * The key in `file`, created (mode 0600, its directory 0700) when there is none. Throws when
   * the file is not a regular file of at least 32 bytes, or cannot be created.
   */
  static load(file: string, env: NodeJS.ProcessEnv = process.env): CacheKey {
    const fromEnv = env[KEY_ENV];
    if (fromEnv !== undefined && fromEnv !== "") return CacheKey.fromText(fromEnv);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const bytes = readRegularSync(file);
        if (bytes.length < 32) throw new Error(`${file} is not a cache key (fewer than 32 bytes)`);
        return new CacheKey(bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) throw e;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(file, crypto.randomBytes(32), { flag: "wx", mode: 0o600 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // another run made it: read that one
      }
    }
    throw new Error(`could not read ${file}`);
  }
}
