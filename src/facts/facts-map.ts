/**
 * A `Map<path, PyFileFacts>` that decodes cached facts only when asked: a large repository's
 * facts load in milliseconds and only the files someone reads are decoded. It behaves as an
 * ordinary Map (iteration decodes everything).
 *
 * A map can be an overlay on another (`FactsMap.overlay`): the base revision's facts are the
 * head's, except for the entries set or deleted on the overlay, and they share the head's
 * decoded objects for every unchanged file. A map can also take its keys from a source
 * (`FactsMap.fromSource`) that says what each entry is only when the entry is first touched,
 * so listing a large repository costs nothing per file.
 */
import type { PyFileFacts } from "../python/types";
import { decodeFacts, decodeGraphFacts, type GraphFacts, graphFactsOf } from "./codec";

/** What a deferred entry's function gives: encoded text, facts scanned just now, or undefined (no entry after all). */
export type Deferred = () => string | PyFileFacts | undefined;

/** Encoded text, or a function giving the entry. Decoded keys map to null. */
type Pending = string | Deferred | null;

/** A word a search looks for, as text and as bytes. */
export interface Needle {
  text: string;
  bytes: Buffer;
}

/** Answers mayMention() for an entry not computed yet: false when it certainly lacks a needle. */
export type Probe = (needles: readonly Needle[]) => boolean;

/** Where a source-backed map's entries come from (see fromSource). */
export interface EntrySource {
  keys: ReadonlySet<string>;
  /** What the entry is (asked once, when the key is first touched); undefined: no entry after all. */
  open(key: string): { text: Deferred; probe?: Probe } | undefined;
}

export class FactsMap extends Map<string, PyFileFacts> {
  private pending: Map<string, Pending> = new Map();
  private parent: FactsMap | null = null;
  /** Keys of the parent this overlay removes. */
  private hidden = new Set<string>();
  private graphs = new Map<string, GraphFacts>();
  private probes = new Map<string, Probe>();
  private source: EntrySource | null = null;
  private readonly needles = new Map<string, Needle>();

  /** A map whose keys are `source.keys`, each entry opened when first touched. */
  static fromSource(source: EntrySource): FactsMap {
    const m = new FactsMap();
    m.source = source;
    return m;
  }

  /** A map with `parent`'s entries, minus `removed`; entries set on it shadow the parent's. */
  static overlay(parent: FactsMap, removed: Iterable<string> = []): FactsMap {
    const m = new FactsMap();
    m.parent = parent;
    for (const k of removed) m.hidden.add(k);
    return m;
  }

  /** Adds an entry from its encoded text (see codec.ts). */
  setEncoded(key: string, encoded: string): this {
    return this.setPending(key, encoded);
  }

  /**
   * Adds an entry computed only when the entry is first asked for (its encoded text read from
   * the cache, or the file scanned then). `probe`, when given, answers mayMention() (does it
   * contain every needle?) without computing the entry.
   */
  setDeferred(key: string, text: Deferred, probe?: Probe): this {
    this.setPending(key, text);
    if (probe !== undefined) this.probes.set(key, probe);
    return this;
  }

  private setPending(key: string, p: Pending): this {
    super.delete(key);
    this.probes.delete(key);
    this.graphs.delete(key);
    this.pending.set(key, p);
    this.hidden.delete(key);
    return this;
  }

  private inherits(key: string): boolean {
    return this.parent !== null && !this.pending.has(key) && !this.hidden.has(key) && this.parent.has(key);
  }

  /** A source key not touched yet. */
  private unopened(key: string): boolean {
    return this.source !== null && this.source.keys.has(key) && !this.pending.has(key) && !this.hidden.has(key);
  }

  /** The pending state of an entry of this map (not a parent's), opening a source key first. */
  private state(key: string): Pending | undefined {
    const p = this.pending.get(key);
    if (p !== undefined || !this.unopened(key)) return p;
    const e = (this.source as EntrySource).open(key);
    if (e === undefined) {
      this.hidden.add(key);
      return undefined;
    }
    this.pending.set(key, e.text);
    if (e.probe !== undefined) this.probes.set(key, e.probe);
    return e.text;
  }

  /** Runs a deferred entry's function once: facts are kept as decoded, text replaces the function. */
  private run(key: string, fn: Deferred): string | PyFileFacts | undefined {
    const v = fn();
    if (v === undefined) return undefined;
    if (typeof v === "string") this.pending.set(key, v);
    else {
      super.set(key, v);
      this.pending.set(key, null);
    }
    return v;
  }

  /** Drops a corrupt entry: it is no entry. */
  private corrupt(key: string): undefined {
    this.pending.delete(key);
    this.hidden.add(key);
    return undefined;
  }

  override get(key: string): PyFileFacts | undefined {
    const p = this.state(key);
    if (p === undefined) return this.inherits(key) ? this.parent?.get(key) : undefined;
    if (p === null) return super.get(key);
    const v = typeof p === "string" ? p : this.run(key, p);
    if (v === undefined) return this.corrupt(key);
    if (typeof v !== "string") return v;
    let facts: PyFileFacts;
    try {
      facts = decodeFacts(v);
    } catch {
      return this.corrupt(key);
    }
    super.set(key, facts);
    this.pending.set(key, null);
    return facts;
  }

  /**
   * False only when the entry certainly does not mention every one of `words` (its encoded
   * form, or the bytes it will be scanned from, lacks one): lets a search over every file skip
   * decoding (or scanning) most of them.
   */
  mayMention(key: string, words: string | readonly string[]): boolean {
    const list = typeof words === "string" ? [words] : words;
    const p = this.state(key);
    if (p === undefined) return this.inherits(key) ? (this.parent?.mayMention(key, list) ?? true) : true;
    if (list.length === 0) return true;
    const probe = this.probes.get(key);
    // eslint-disable-next-line no-control-regex -- ASCII test: encoded text may escape other characters
    if (typeof p !== "string" && probe !== undefined && list.every((w) => /^[\x00-\x7f]*$/.test(w))) return probe(list.map((w) => this.needle(w)));
    if (p === null) return true; // decoded, and nothing to probe: maybe
    const v = typeof p === "string" ? p : this.run(key, p);
    return typeof v !== "string" || list.every((w) => v.includes(w));
  }

  private needle(text: string): Needle {
    let n = this.needles.get(text);
    if (n === undefined) this.needles.set(text, (n = { text, bytes: Buffer.from(text, "latin1") }));
    return n;
  }

  /** What the startup graph reads of an entry, decoding only that part when the entry is not decoded yet. */
  graph(key: string): GraphFacts | undefined {
    const hit = this.graphs.get(key);
    if (hit !== undefined) return hit;
    const p = this.state(key);
    if (p === undefined) return this.inherits(key) ? this.parent?.graph(key) : undefined;
    const v = p === null ? (super.get(key) as PyFileFacts) : typeof p === "string" ? p : this.run(key, p);
    if (v === undefined) return this.corrupt(key);
    let g: GraphFacts | undefined;
    try {
      g = typeof v === "string" ? decodeGraphFacts(v) : graphFactsOf(v);
    } catch {
      g = undefined;
    }
    if (g !== undefined) this.graphs.set(key, g);
    return g;
  }

  override has(key: string): boolean {
    return this.pending.has(key) || this.unopened(key) || this.inherits(key);
  }

  override set(key: string, value: PyFileFacts): this {
    super.set(key, value);
    this.graphs?.delete(key);
    // Map's constructor calls set() before field initialisers run.
    (this.pending ??= new Map()).set(key, null);
    this.hidden?.delete(key);
    return this;
  }

  override delete(key: string): boolean {
    const had = this.has(key);
    super.delete(key);
    this.graphs.delete(key);
    this.pending.delete(key);
    if (this.parent !== null || this.source !== null) this.hidden.add(key);
    return had;
  }

  override clear(): void {
    super.clear();
    this.graphs.clear();
    this.pending.clear();
    this.parent = null;
    this.source = null;
    this.hidden.clear();
  }

  override get size(): number {
    let n = this.pending.size;
    if (this.parent !== null) for (const k of this.parent.keys()) if (this.inherits(k)) n++;
    if (this.source !== null) for (const k of this.source.keys) if (this.unopened(k)) n++;
    return n;
  }

  /** The keys as they are when asked (entries opened while iterating do not show up twice). */
  override *keys(): MapIterator<string> {
    const out: string[] = [];
    if (this.parent !== null) for (const k of this.parent.keys()) if (this.inherits(k)) out.push(k);
    const source = this.source?.keys;
    if (source !== undefined) for (const k of source) if (this.pending.has(k) || !this.hidden.has(k)) out.push(k);
    for (const k of this.pending.keys()) if (source === undefined || !source.has(k)) out.push(k);
    yield* out;
  }

  override *values(): MapIterator<PyFileFacts> {
    for (const [, v] of this.entries()) yield v;
  }

  override *entries(): MapIterator<[string, PyFileFacts]> {
    for (const k of [...this.keys()]) {
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
