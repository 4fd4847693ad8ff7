/**
 * A `Map<path, PyFileFacts>` that decodes cached facts only when asked: a large repository's
 * facts load in milliseconds and only the files someone reads are decoded. It behaves as an
 * ordinary Map (iteration decodes everything). A map may also take entries from another
 * map (`link`), so the base revision's facts share the head's decoded objects for every
 * unchanged file.
 */
import type { PyFileFacts } from "../python/types";
import { decodeFacts } from "./codec";

/** Encoded text, a map to ask, or a function giving the encoded text (undefined: no entry after all). */
type Pending = string | FactsMap | (() => string | undefined);

export class FactsMap extends Map<string, PyFileFacts> {
  /** Keys whose value is not decoded yet: the encoded text, or the map to ask. Decoded keys map to null. */
  private pending: Map<string, Pending | null> = new Map();

  /** Adds an entry from its encoded text (see codec.ts). */
  setEncoded(key: string, encoded: string): this {
    super.delete(key);
    this.pending.set(key, encoded);
    return this;
  }

  /** Adds an entry whose encoded text is read only when the entry is first asked for. */
  setDeferred(key: string, text: () => string | undefined): this {
    super.delete(key);
    this.pending.set(key, text);
    return this;
  }

  /** Adds an entry whose value is `other.get(key)`, decoded (once) by `other`. */
  link(key: string, other: FactsMap): this {
    super.delete(key);
    this.pending.set(key, other);
    return this;
  }

  override get(key: string): PyFileFacts | undefined {
    const p = this.pending.get(key);
    if (p === undefined) return undefined;
    if (p === null) return super.get(key);
    let facts: PyFileFacts | undefined;
    if (p instanceof FactsMap) facts = p.get(key);
    else {
      const text = typeof p === "string" ? p : p();
      try {
        facts = text === undefined ? undefined : decodeFacts(text);
      } catch {
        facts = undefined;
      }
    }
    if (facts === undefined) {
      this.pending.delete(key);
      return undefined;
    }
    super.set(key, facts);
    this.pending.set(key, null);
    return facts;
  }

  override has(key: string): boolean {
    return this.pending.has(key);
  }

  override set(key: string, value: PyFileFacts): this {
    super.set(key, value);
    // Map's constructor calls set() before field initialisers run.
    (this.pending ??= new Map()).set(key, null);
    return this;
  }

  override delete(key: string): boolean {
    super.delete(key);
    return this.pending.delete(key);
  }

  override clear(): void {
    super.clear();
    this.pending.clear();
  }

  override get size(): number {
    return this.pending.size;
  }

  override keys(): MapIterator<string> {
    return this.pending.keys();
  }

  override *values(): MapIterator<PyFileFacts> {
    for (const k of this.pending.keys()) {
      const v = this.get(k);
      if (v !== undefined) yield v;
    }
  }

  override *entries(): MapIterator<[string, PyFileFacts]> {
    for (const k of this.pending.keys()) {
      const v = this.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  override [Symbol.iterator](): MapIterator<[string, PyFileFacts]> {
    return this.entries();
  }

  override forEach(fn: (value: PyFileFacts, key: string, map: Map<string, PyFileFacts>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
