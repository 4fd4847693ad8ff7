/**
 * The reference search ("which files may refer to module X?"), piece by piece:
 *
 * 1. WordMemo (word-memo.ts): which blobs contain a word, and its on-disk form (round trip,
 *    rejection of another word's memo, truncated, corrupted and junk bytes).
 * 2. FactsMap.fromSource (facts-map.ts): entries opened only when touched and at most once,
 *    entries that turn out not to exist, iteration, delete, overlays; mayMention's probes.
 * 3. referenceWords (modules.ts): the words a file must contain to refer to a module, as a
 *    case table, with soundness proved on real relative imports through the scanner.
 * 4. collectFacts(...).searchAhead / searched (collect.ts): the search worker's answers agree
 *    with the bytes on disk, and word memos stored in the cache answer a later run that
 *    cannot read a single file.
 * 5. buildGraphs(...).filesNaming (index.ts): never a referring file short, unrelated files
 *    left out, and the list stored per repository state in the scan cache.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultConfig } from "../src/review/config";
import { blobSha, buildGraphs, ScanCache } from "../src/graph";
import { encodeFacts } from "../src/facts/codec";
import { collectFacts, type CollectInput } from "../src/facts/collect";
import { FactsMap, type Needle, type Probe } from "../src/facts/facts-map";
import { crc } from "../src/facts/fingerprint";
import { importedModules, moduleForPath, referenceWords, resolveRelative } from "../src/python/modules";
import { WordMemo } from "../src/facts/word-memo";
import { scanPython } from "../src/python/scanner";
import type { PyFileFacts } from "../src/python/types";
import { cleanupRepos, tempDir } from "./helpers/git-repo";

afterAll(cleanupRepos);

const SEARCH_WORKER = path.join(__dirname, "..", "dist", "facts", "search-worker.js");
function searchScript(): string {
  if (!fs.existsSync(SEARCH_WORKER)) throw new Error(`${SEARCH_WORKER} is missing: run \`npm run -s build\` first`);
  return SEARCH_WORKER;
}

/** Writes `files` (path -> content) under `dir`. */
function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [p, t] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), t);
  }
}

/** The cache's directory for the current format (next to the .gitignore it writes). */
const formatDir = (dir: string) => path.join(dir, fs.readdirSync(dir).filter((f) => f !== ".gitignore")[0]);

/** Whether `target` (a dotted name) is `module` or something inside it. */
const refersTo = (target: string, module: string) => target === module || target.startsWith(`${module}.`);

/** Whether a file really refers to `module`, decided from its full scanner facts (as rule 3 reads them). */
function reallyRefers(file: string, facts: PyFileFacts, module: string, sourceRoots: readonly string[]): boolean {
  const mod = moduleForPath(file, sourceRoots);
  for (const imp of facts.imports) {
    if (importedModules(imp, mod?.module ?? null, mod?.isPackage ?? false).some((t) => refersTo(t.module, module))) return true;
  }
  for (const call of facts.importCalls) {
    const rest = call.module.replace(/^\.+/, "");
    const level = call.module.length - rest.length;
    const target = level > 0 ? (call.package === null ? null : resolveRelative(call.package, true, level, rest)) : call.module;
    if (target !== null && refersTo(target, module)) return true;
  }
  if (facts.patchTargets.some((p) => p.target !== null && refersTo(p.target, module))) return true;
  return facts.dottedStrings.some((s) => refersTo(s.value, module));
}

// ---------------------------------------------------------------------------------------
// 1. WordMemo

describe("WordMemo", () => {
  const sha = (i: number) => blobSha(Buffer.from(`blob number ${i}\n`));
  const filled = (word: string, has: number[], lacks: number[]) => {
    const m = new WordMemo(word);
    for (const i of has) m.set(sha(i), true);
    for (const i of lacks) m.set(sha(i), false);
    return m;
  };
  /** Every SHA 0..n-1 as a memo answers it. */
  const answers = (m: WordMemo, n = 8) => Array.from({ length: n }, (_, i) => m.get(sha(i)));

  it("remembers presence and absence per blob, and knows nothing else", () => {
    const m = filled("models", [0, 2], [1]);
    expect(answers(m, 4)).toEqual([true, false, true, undefined]);
    expect(m.word).toBe("models");
  });

  it("ignores SHAs that are not 40 lowercase hex digits", () => {
    const m = new WordMemo("w");
    const good = sha(0);
    for (const bad of ["", "abc", good.slice(0, 39), `${good}0`, good.toUpperCase(), "g".repeat(40), ` ${good.slice(1)}`, `${good}\n`]) {
      m.set(bad, true);
      expect([bad, m.get(bad)]).toEqual([bad, undefined]);
    }
    expect(m.added).toBe(0);
    expect(m.toBytes()).toEqual(new WordMemo("w").toBytes()); // nothing stored either
    m.set(good, false);
    expect([m.get(good), m.added]).toEqual([false, 1]);
  });

  it("counts in `added` only entries it did not know (the first answer for a blob stays)", () => {
    const m = new WordMemo("w");
    m.set(sha(0), true);
    m.set(sha(0), true);
    expect(m.added).toBe(1);
    m.set(sha(0), false); // contradicts what is known: ignored
    expect([m.get(sha(0)), m.added]).toEqual([true, 1]);
    m.set(sha(1), false);
    m.set(sha(1), true);
    expect([m.get(sha(1)), m.added]).toEqual([false, 2]);
    // What a stored memo knows is not new.
    const other = new WordMemo("w");
    other.merge(filled("w", [5, 6], [7]).toBytes());
    expect(other.added).toBe(0);
    other.set(sha(5), true); // known from the merge
    expect(other.added).toBe(0);
    other.set(sha(3), true);
    expect(other.added).toBe(1);
  });

  it("round-trips through toBytes and merge", () => {
    const m = filled("pricing", [0, 3, 4], [1, 5]);
    const bytes = m.toBytes();
    const fresh = new WordMemo("pricing");
    fresh.merge(bytes);
    expect(answers(fresh)).toEqual(answers(m));
    expect(answers(fresh)).toEqual([true, false, undefined, true, true, false, undefined, undefined]);
    expect(fresh.toBytes()).toEqual(bytes);
    // Layout: magic, u16 word length, word, two u32 counts, 20 bytes per SHA, CRC-32.
    expect(bytes.length).toBe(6 + 2 + "pricing".length + 8 + 5 * 20 + 4);
    expect(bytes.subarray(0, 6).toString("latin1")).toBe("DSGW1\n");
    // A non-ASCII word round-trips too (its length is counted in bytes).
    const u = filled("modèles", [1], [2]);
    const back = new WordMemo("modèles");
    back.merge(u.toBytes());
    expect(answers(back, 3)).toEqual([undefined, true, false]);
  });

  it("merges into what it knows already (a union)", () => {
    const mine = filled("w", [0], [1]);
    mine.merge(filled("w", [2], [3]).toBytes());
    expect(answers(mine, 5)).toEqual([true, false, true, false, undefined]);
  });

  it("ignores another word's memo, even one that starts or ends alike", () => {
    const bytes = filled("shop", [0], [1]).toBytes();
    for (const word of ["shops", "sho", "Shop", "hop", ""]) {
      const m = new WordMemo(word);
      m.merge(bytes);
      expect([word, answers(m, 2)]).toEqual([word, [undefined, undefined]]);
    }
  });

  it("ignores a truncated memo", () => {
    const bytes = filled("rates", [0, 1], [2]).toBytes();
    for (const cut of [bytes.length - 1, bytes.length - 4, bytes.length - 20, 40, 21, 20, 19, 6, 0]) {
      const m = new WordMemo("rates");
      m.merge(bytes.subarray(0, cut));
      expect([cut, answers(m, 3)]).toEqual([cut, [undefined, undefined, undefined]]);
    }
  });

  it("ignores a memo with any one byte changed (CRC)", () => {
    const bytes = filled("rates", [0, 1], [2]).toBytes();
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x01;
      const m = new WordMemo("rates");
      m.merge(bad);
      expect([i, answers(m, 3)]).toEqual([i, [undefined, undefined, undefined]]);
    }
    // The untouched bytes are accepted (the loop above is not vacuous).
    const ok = new WordMemo("rates");
    ok.merge(bytes);
    expect(answers(ok, 3)).toEqual([true, true, false]);
  });

  it("ignores counts that do not add up, even under a valid CRC", () => {
    const bytes = filled("rates", [0, 1], [2]).toBytes();
    const body = Buffer.from(bytes.subarray(0, bytes.length - 4));
    const at = 6 + 2 + "rates".length;
    for (const [dHas, dLacks] of [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ]) {
      const b = Buffer.from(body);
      b.writeUInt32LE(b.readUInt32LE(at) + dHas, at);
      b.writeUInt32LE(b.readUInt32LE(at + 4) + dLacks, at + 4);
      const sum = Buffer.alloc(4);
      sum.writeUInt32LE(crc(b));
      const m = new WordMemo("rates");
      m.merge(Buffer.concat([b, sum]));
      expect([dHas, dLacks, answers(m, 3)]).toEqual([dHas, dLacks, [undefined, undefined, undefined]]);
    }
  });

  it("ignores junk", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const junk = (n: number) => Buffer.from(Array.from({ length: n }, rand));
    const m = new WordMemo("w");
    const samples = [Buffer.alloc(0), Buffer.alloc(64), Buffer.from("DSGW1\n"), Buffer.from("DSGW2\n" + "\0".repeat(40)), Buffer.from("not a memo at all, really not")];
    for (let n = 0; n < 300; n += 7) samples.push(junk(n), Buffer.concat([Buffer.from("DSGW1\n"), junk(n)]));
    for (const s of samples) expect(() => m.merge(s)).not.toThrow();
    expect(m.toBytes()).toEqual(new WordMemo("w").toBytes()); // learnt nothing
  });
});

// ---------------------------------------------------------------------------------------
// 2. FactsMap.fromSource

const SOURCES: Record<string, string> = {
  "a.py": "import os\nimport shop.models\n",
  "b.py": "from . import pricing  # rates live here\n",
  "c.py": 'X = "shop.pricing.rates.Default"\n',
  "gone.py": "", // open() says: no entry after all
};

interface SourceSpec {
  /** What the entry's function gives: encoded text, facts, or nothing. */
  as: "encoded" | "facts" | "none" | "corrupt";
  probe?: Probe;
}

/** A source-backed map over SOURCES, recording every open() and every run of an entry's function. */
function sourceMap(specs: Record<string, SourceSpec | undefined>, sources: Record<string, string> = SOURCES) {
  const opens: string[] = [];
  const runs: string[] = [];
  const keys = new Set(Object.keys(specs));
  const map = FactsMap.fromSource({
    keys,
    open(k) {
      opens.push(k);
      const s = specs[k];
      if (s === undefined) return undefined;
      const text = () => {
        runs.push(k);
        const facts = scanPython(Buffer.from(sources[k]));
        return s.as === "encoded" ? encodeFacts(facts) : s.as === "facts" ? facts : s.as === "corrupt" ? "not json" : undefined;
      };
      return s.probe === undefined ? { text } : { text, probe: s.probe };
    },
  });
  return { map, opens, runs };
}

const STANDARD = { "a.py": { as: "encoded" }, "b.py": { as: "facts" }, "c.py": { as: "encoded" }, "gone.py": undefined } as const;

describe("FactsMap.fromSource", () => {
  it("lists its keys without opening any (has, keys, size)", () => {
    const { map, opens } = sourceMap(STANDARD);
    expect(["a.py", "b.py", "c.py", "gone.py", "nope.py"].map((k) => map.has(k))).toEqual([true, true, true, true, false]);
    expect([...map.keys()]).toEqual(["a.py", "b.py", "c.py", "gone.py"]);
    expect(map.size).toBe(4);
    expect(map.get("nope.py")).toBeUndefined(); // not a source key: open() is not asked
    expect(opens).toEqual([]);
  });

  it("opens a key when first touched by get, graph or mayMention, and only once", () => {
    const { map, opens, runs } = sourceMap(STANDARD);
    expect(map.get("a.py")).toEqual(scanPython(Buffer.from(SOURCES["a.py"])));
    expect(map.get("a.py")).toBe(map.get("a.py"));
    expect(opens).toEqual(["a.py"]);
    expect(map.graph("b.py")?.imports[0]).toMatchObject({ module: "", level: 1, names: [{ name: "pricing", asname: null }] });
    expect(opens).toEqual(["a.py", "b.py"]);
    expect(map.get("b.py")?.imports).toHaveLength(1);
    expect(map.mayMention("c.py", "rates")).toBe(true);
    expect(map.mayMention("c.py", ["numpy"])).toBe(false);
    expect(map.get("c.py")?.dottedStrings.map((s) => s.value)).toEqual(["shop.pricing.rates.Default"]);
    expect(map.graph("c.py")?.imports).toEqual([]);
    for (const k of ["a.py", "b.py", "c.py"]) {
      map.has(k);
      map.get(k);
      map.graph(k);
      map.mayMention(k, "x");
    }
    expect(opens).toEqual(["a.py", "b.py", "c.py"]);
    expect(runs).toEqual(["a.py", "b.py", "c.py"]); // each entry's function ran once too
    expect([map.size, [...map.keys()]]).toEqual([4, ["a.py", "b.py", "c.py", "gone.py"]]);
  });

  it("drops keys that turn out not to be entries once touched, without opening them again", () => {
    const { map, opens } = sourceMap({ ...STANDARD, "none.py": { as: "none" }, "bad.py": { as: "corrupt" } }, { ...SOURCES, "none.py": "", "bad.py": "" });
    expect(map.size).toBe(6);
    expect(map.get("gone.py")).toBeUndefined();
    expect(map.graph("none.py")).toBeUndefined();
    expect(map.get("bad.py")).toBeUndefined();
    for (const k of ["gone.py", "none.py", "bad.py"]) expect([k, map.has(k)]).toEqual([k, false]);
    expect([...map.keys()]).toEqual(["a.py", "b.py", "c.py"]);
    expect(map.size).toBe(3);
    expect([...map].map(([k]) => k)).toEqual(["a.py", "b.py", "c.py"]);
    map.get("gone.py");
    map.mayMention("gone.py", "x");
    map.graph("none.py");
    expect(opens.filter((k) => k === "gone.py" || k === "none.py" || k === "bad.py")).toEqual(["gone.py", "none.py", "bad.py"]);
  });

  it("yields each key exactly once while get() opens entries inside the loop", () => {
    const { map, opens } = sourceMap(STANDARD);
    const facts = scanPython(Buffer.from("import sys\n"));
    map.get("b.py"); // opened before
    map.set("c.py", facts); // a source key set directly
    map.set("extra.py", facts); // not a source key
    map.setEncoded("enc.py", encodeFacts(facts));
    const seen: string[] = [];
    for (const k of map.keys()) {
      seen.push(k);
      map.get(k);
    }
    expect([...seen].sort()).toEqual(["a.py", "b.py", "c.py", "enc.py", "extra.py", "gone.py"]);
    expect(opens.sort()).toEqual(["a.py", "b.py", "gone.py"]); // c.py was set, never opened
    // Afterwards: gone.py is gone, everything else once.
    const after = [...map.keys()];
    expect(after.sort()).toEqual(["a.py", "b.py", "c.py", "enc.py", "extra.py"]);
    expect(map.size).toBe(5);
    const entries: string[] = [];
    map.forEach((_v, k) => entries.push(k));
    expect(entries.sort()).toEqual(after);
    expect(map.get("c.py")).toBe(facts);
  });

  it("deletes a key that was never opened, without opening it", () => {
    const { map, opens } = sourceMap(STANDARD);
    expect(map.delete("b.py")).toBe(true);
    expect([map.has("b.py"), map.get("b.py"), map.graph("b.py"), map.size]).toEqual([false, undefined, undefined, 3]);
    expect([...map.keys()]).toEqual(["a.py", "c.py", "gone.py"]);
    expect(map.delete("b.py")).toBe(false);
    expect(map.mayMention("b.py", "pricing")).toBe(true); // no entry: nothing rules it out
    expect(opens).toEqual([]);
    // An opened key deletes alike; setting a deleted key brings it back.
    map.get("a.py");
    expect(map.delete("a.py")).toBe(true);
    expect([map.has("a.py"), map.get("a.py")]).toEqual([false, undefined]);
    const facts = scanPython(Buffer.from("import b\n"));
    map.set("b.py", facts);
    expect([map.has("b.py"), map.get("b.py"), [...map.keys()]]).toEqual([true, facts, ["b.py", "c.py", "gone.py"]]);
    expect(opens).toEqual(["a.py"]);
  });

  it("lets an overlay inherit a source-backed map's entries and hide the removed ones", () => {
    const { map, opens } = sourceMap(STANDARD);
    const over = FactsMap.overlay(map, ["b.py"]);
    expect(["a.py", "b.py", "c.py", "gone.py"].map((k) => over.has(k))).toEqual([true, false, true, true]);
    expect([[...over.keys()], over.size]).toEqual([["a.py", "c.py", "gone.py"], 3]);
    expect(opens).toEqual([]);
    expect(over.get("a.py")).toBe(map.get("a.py")); // shared decoded object
    expect(over.get("b.py")).toBeUndefined();
    expect(map.get("b.py")?.imports).toHaveLength(1); // the parent keeps it
    expect(over.mayMention("c.py", ["shop", "rates"])).toBe(true);
    expect(over.mayMention("c.py", ["numpy"])).toBe(false);
    // A parent key that is no entry disappears from the overlay too.
    expect(over.get("gone.py")).toBeUndefined();
    expect([over.has("gone.py"), map.has("gone.py"), [...over.keys()], over.size]).toEqual([false, false, ["a.py", "c.py"], 2]);
    // The overlay's own changes stay its own.
    const facts = scanPython(Buffer.from("import numpy\n"));
    over.set("b.py", facts);
    over.delete("c.py");
    expect([...over.keys()].sort()).toEqual(["a.py", "b.py"]);
    expect(over.get("b.py")).toBe(facts);
    expect(map.get("b.py")).not.toBe(facts);
    expect([map.has("c.py"), map.size]).toEqual([true, 3]);
    expect(opens.sort()).toEqual(["a.py", "b.py", "c.py", "gone.py"]); // each once
  });
});

describe("FactsMap.mayMention", () => {
  const needles = (probe: jest.Mock) => probe.mock.calls.map(([ns]: [readonly Needle[]]) => ns.map((n) => [n.text, n.bytes.toString("latin1")]));

  it("asks the probe of an entry whose function gives facts, before and after it is decoded", () => {
    const probe = jest.fn((_: readonly Needle[]) => false); // says no to everything: only the probe can make mayMention false here
    const { map, runs, opens } = sourceMap({ "a.py": { as: "facts", probe } });
    expect(map.mayMention("a.py", ["import", "os"])).toBe(false);
    expect(needles(probe)).toEqual([[["import", "import"], ["os", "os"]]]);
    expect(map.mayMention("a.py", "os")).toBe(false);
    expect(runs).toEqual([]); // not scanned to answer
    expect(opens).toEqual(["a.py"]); // opened once, though never run
    expect(map.get("a.py")?.imports.map((i) => i.module)).toEqual(["os", "shop.models"]);
    expect(runs).toEqual(["a.py"]);
    expect(map.mayMention("a.py", "shop")).toBe(false); // decoded: still the probe's answer
    expect(probe).toHaveBeenCalledTimes(3);
    probe.mockReturnValue(true);
    expect(map.mayMention("a.py", "anything")).toBe(true);
    expect(probe).toHaveBeenCalledTimes(4);
    expect([runs, opens]).toEqual([["a.py"], ["a.py"]]);
  });

  it("answers true for an empty word list without asking the probe", () => {
    const probe = jest.fn((_: readonly Needle[]) => false);
    const { map } = sourceMap({ "a.py": { as: "facts", probe }, "c.py": { as: "encoded" } });
    expect([map.mayMention("a.py", []), map.mayMention("c.py", [])]).toEqual([true, true]);
    expect(probe).not.toHaveBeenCalled();
    map.get("a.py");
    expect(map.mayMention("a.py", [])).toBe(true);
    expect(probe).not.toHaveBeenCalled();
  });

  it("agrees with a byte probe for every word combination, before and after decoding", () => {
    const bytesOf = (k: string) => Buffer.from(SOURCES[k]);
    const probeFor = (k: string): Probe => (ns) => ns.every((n) => bytesOf(k).includes(n.bytes));
    const { map } = sourceMap({ "a.py": { as: "facts", probe: probeFor("a.py") }, "b.py": { as: "facts", probe: probeFor("b.py") } });
    const combos = [["os"], ["shop", "models"], ["rates"], ["pricing", "rates"], ["numpy"], ["shop", "numpy"], ["import"]];
    const expected = (k: string) => combos.map((ws) => ws.every((w) => SOURCES[k].includes(w)));
    for (const k of ["a.py", "b.py"]) {
      expect([k, combos.map((ws) => map.mayMention(k, ws))]).toEqual([k, expected(k)]);
      map.get(k);
      expect([k, combos.map((ws) => map.mayMention(k, ws))]).toEqual([k, expected(k)]);
    }
    // b.py's "rates" is in a comment: the bytes have it (a probe of bytes says maybe).
    expect(map.mayMention("b.py", ["pricing", "rates"])).toBe(true);
  });

  it("does not ask the probe about words it cannot look for as bytes (non-ASCII)", () => {
    const probe = jest.fn((_: readonly Needle[]) => false);
    const { map } = sourceMap({ "a.py": { as: "facts", probe } });
    expect(map.mayMention("a.py", ["modèles"])).toBe(true);
    expect(map.mayMention("a.py", ["os", "modèles"])).toBe(true);
    expect(probe).not.toHaveBeenCalled();
  });

  it("searches the encoded facts of an entry without a probe", () => {
    const { map } = sourceMap({ "a.py": { as: "encoded" }, "b.py": { as: "encoded" }, "c.py": { as: "encoded" } });
    expect(map.mayMention("a.py", ["shop", "models"])).toBe(true);
    expect(map.mayMention("a.py", ["shop", "pricing"])).toBe(false);
    expect(map.mayMention("c.py", ["shop", "pricing", "rates", "Default"])).toBe(true);
    // b.py's "rates" is only in a comment, which its facts do not keep: ruled out.
    expect(map.mayMention("b.py", ["pricing"])).toBe(true);
    expect(map.mayMention("b.py", ["rates"])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------
// 3. referenceWords

describe("referenceWords", () => {
  type Row = [file: string, module: string, sourceRoots: string[], words: string[]];
  const DOT = ["."];
  const SRC = [".", "src"];
  const ROWS: Row[] = [
    // Unrelated places: every part.
    ["billing/tasks.py", "shop.pricing.rates", DOT, ["shop", "pricing", "rates"]],
    ["manage.py", "shop.pricing.rates", DOT, ["shop", "pricing", "rates"]],
    ["billing/shop/pricing/x.py", "shop.pricing.rates", DOT, ["shop", "pricing", "rates"]], // same names, elsewhere
    // A sibling module in the module's package, and the package's __init__: only the last part.
    ["shop/pricing/calc.py", "shop.pricing.rates", DOT, ["rates"]],
    ["shop/pricing/__init__.py", "shop.pricing.rates", DOT, ["rates"]],
    // Inside the module's own package: nothing (`from .. import x` refers to it by no name).
    ["shop/pricing/rates/__init__.py", "shop.pricing.rates", DOT, []],
    ["shop/pricing/rates/sub/deep.py", "shop.pricing.rates", DOT, []],
    ["shop/pricing/rates/sub/deep.py", "shop", DOT, []],
    // A parent package: the parts below it.
    ["shop/views.py", "shop.pricing.rates", DOT, ["pricing", "rates"]],
    ["shop/__init__.py", "shop.pricing.rates", DOT, ["pricing", "rates"]],
    // A cousin: the parts below the common package.
    ["shop/pricing/rates/sub/deep.py", "shop.pricing.tax", DOT, ["tax"]],
    ["shop/billing/invoice.py", "shop.pricing.rates", DOT, ["pricing", "rates"]],
    // Source roots: files under src/ share parts under `src`; other files only under `.`.
    ["src/shop/views.py", "shop.pricing.rates", SRC, ["pricing", "rates"]],
    ["src/shop/pricing/calc.py", "shop.pricing.rates", SRC, ["rates"]],
    ["src/shop/pricing/rates/x.py", "shop.pricing.rates", SRC, []],
    ["src/billing/tasks.py", "shop.pricing.rates", SRC, ["shop", "pricing", "rates"]],
    ["shop/views.py", "shop.pricing.rates", SRC, ["pricing", "rates"]],
    ["srcx/shop/views.py", "shop.pricing.rates", SRC, ["shop", "pricing", "rates"]], // not under src/
    ["shop/views.py", "shop.pricing.rates", ["src"], ["shop", "pricing", "rates"]], // not under any root
    ["lib/shop/views.py", "shop.pricing.rates", ["src"], ["shop", "pricing", "rates"]], // not under src/, however long the root
    ["src/shop/views.py", "shop.pricing.rates", ["src", "."], ["pricing", "rates"]], // the root sharing most wins, in any order
    ["src/shop/views.py", "shop.pricing.rates", ["./src/"], ["pricing", "rates"]], // root spelt differently
    ["src/shop/views.py", "shop.pricing.rates", ["src/"], ["pricing", "rates"]],
    ["shop/views.py", "shop.pricing.rates", ["./"], ["pricing", "rates"]],
    ["shop/views.py", "shop.pricing.rates", [""], ["pricing", "rates"]],
    // A directory whose name only starts with a part is another package.
    ["productsX/views.py", "products.models", DOT, ["products", "models"]],
    ["products_old/views.py", "products.models", DOT, ["products", "models"]],
    ["products/views.py", "products.models", DOT, ["models"]],
    ["shop/pricingX/y.py", "shop.pricing.rates", DOT, ["pricing", "rates"]],
    ["shop/pricing.py", "shop.pricing.rates", DOT, ["pricing", "rates"]], // a module file, not the package
    // A module file a/b.py is not the package a/b/.
    ["a/b.py", "a.b.c", DOT, ["b", "c"]],
    ["a/b/__init__.py", "a.b.c", DOT, ["c"]],
    ["a/b.py", "a.b", DOT, ["b"]],
    ["a/b/__init__.py", "a.b", DOT, []],
    ["a/b.py", "a", DOT, []],
  ];
  it.each(ROWS)("%s referring to %s (roots %j) must contain %j", (file, module, roots, words) => {
    expect(referenceWords(file, module, roots)).toEqual(words);
  });

  it("returns a suffix of the module's parts", () => {
    for (const [file, module, roots] of ROWS) {
      const parts = module.split(".");
      const words = referenceWords(file, module, roots);
      expect([file, module, words]).toEqual([file, module, parts.slice(parts.length - words.length)]);
    }
  });

  // Soundness: real statements that refer to the module, resolved as the graph resolves them.
  type Ref = [file: string, module: string, sourceRoots: string[], source: string];
  const REFS: Ref[] = [
    ["shop/pricing/calc.py", "shop.pricing.rates", DOT, "from . import rates\n"],
    ["shop/pricing/calc.py", "shop.pricing.rates", DOT, "from .rates import Default\n"],
    ["shop/pricing/calc.py", "shop.pricing.rates", DOT, "from .rates.sub import x\n"],
    ["shop/pricing/__init__.py", "shop.pricing.rates", DOT, "from . import rates\n"],
    ["shop/pricing/__init__.py", "shop.pricing.rates", DOT, "from .rates import *\n"],
    ["shop/pricing/rates/__init__.py", "shop.pricing.rates", DOT, "from . import sub\n"],
    ["shop/pricing/rates/sub/deep.py", "shop.pricing.rates", DOT, "from .. import helpers\n"],
    ["shop/pricing/rates/sub/deep.py", "shop.pricing.rates", DOT, "from ..helpers import x\n"],
    ["shop/pricing/rates/sub/deep.py", "shop.pricing.tax", DOT, "from ... import tax\n"],
    ["shop/pricing/rates/sub/deep.py", "shop", DOT, "from .... import anything\n"],
    ["shop/views.py", "shop.pricing.rates", DOT, "from .pricing import rates\n"],
    ["shop/views.py", "shop.pricing.rates", DOT, "def f():\n    from .pricing.rates import Default\n"],
    ["shop/__init__.py", "shop.pricing.rates", DOT, "from .pricing import rates as r\n"],
    ["shop/billing/invoice.py", "shop.pricing.rates", DOT, "from ..pricing import rates\n"],
    ["shop/billing/invoice.py", "shop.pricing.rates", DOT, "from ..pricing.rates import (\n    Default,\n)\n"],
    ["src/shop/views.py", "shop.pricing.rates", SRC, "from .pricing import rates\n"],
    ["src/shop/pricing/calc.py", "shop.pricing.rates", SRC, "from . import rates\n"],
    ["src/shop/pricing/rates/x.py", "shop.pricing.rates", SRC, "from . import y\n"],
    ["products/views.py", "products.models", DOT, "from . import models\n"],
    ["productsX/views.py", "products.models", DOT, "from products import models\n"],
    ["a/b.py", "a.b.c", DOT, "from .b import c\n"],
    ["a/b/__init__.py", "a.b.c", DOT, "from . import c\n"],
    ["a/b/__init__.py", "a.b", DOT, "from . import anything\n"],
    ["a/b.py", "a", DOT, "from . import anything\n"],
    ["billing/tasks.py", "shop.pricing.rates", DOT, "import shop.pricing.rates\n"],
    ["billing/tasks.py", "shop.pricing.rates", DOT, 'import importlib\nimportlib.import_module(".rates", "shop.pricing")\n'],
    ["billing/tasks.py", "shop.pricing.rates", DOT, 'from unittest import mock\n@mock.patch("shop.pricing.rates.Default")\ndef test(): pass\n'],
    ["site_/settings.py", "shop.pricing.rates", DOT, 'RATES = "shop.pricing.rates.Default"\n'],
  ];
  it.each(REFS)("%s refers to %s (roots %j) with %j, and contains every word", (file, module, roots, source) => {
    const facts = scanPython(Buffer.from(source));
    expect(facts.diagnostics).toEqual([]);
    expect(reallyRefers(file, facts, module, roots)).toBe(true);
    const words = referenceWords(file, module, roots);
    expect([source, words.filter((w) => !source.includes(w))]).toEqual([source, []]);
  });

  it("needs fewer words only where a relative import really leaves them out", () => {
    // The empty list for a file inside the module's package is not slack: this statement
    // refers to shop.pricing.rates without naming any of its parts.
    const source = "from .. import helpers\n";
    const file = "shop/pricing/rates/sub/deep.py";
    expect(reallyRefers(file, scanPython(Buffer.from(source)), "shop.pricing.rates", DOT)).toBe(true);
    expect(["shop", "pricing", "rates"].filter((w) => source.includes(w))).toEqual([]);
    // From productsX, a relative import cannot reach `products`: every part is needed.
    expect(reallyRefers("productsX/views.py", scanPython(Buffer.from("from . import models\n")), "products.models", DOT)).toBe(false);
  });

  it("is sound for every relative import that reaches a module, over many files and modules", () => {
    const files = ["a/b/c/d.py", "a/b/c/__init__.py", "a/b/__init__.py", "a/b.py", "a/x.py", "a/__init__.py", "a/bx/c.py", "src/a/b/c.py", "src/a/__init__.py", "top.py"];
    const modules = ["a", "a.b", "a.b.c", "a.b.c.d", "a.b.e", "a.f.g", "a.bx.c", "b.c"];
    let checked = 0;
    for (const roots of [DOT, SRC]) {
      for (const file of files) {
        const me = moduleForPath(file, roots);
        if (me === null) continue;
        for (const module of modules) {
          const words = referenceWords(file, module, roots);
          for (let level = 1; level <= 5; level++) {
            const base = resolveRelative(me.module, me.isPackage, level, "");
            if (base === null) continue;
            if (module !== base && !module.startsWith(`${base}.`)) continue;
            // `from <dots><rest> import name`: the module is the base, or under it.
            const rest = module === base ? [] : module.slice(base.length + 1).split(".");
            const sources = rest.length === 0 ? [`from ${".".repeat(level)} import zz\n`] : [`from ${".".repeat(level)}${rest.join(".")} import zz\n`, `from ${".".repeat(level)}${rest.slice(0, -1).join(".")} import ${rest[rest.length - 1]}\n`];
            for (const source of sources) {
              expect([file, module, source, reallyRefers(file, scanPython(Buffer.from(source)), module, roots)]).toEqual([file, module, source, true]);
              expect([file, module, source, words.filter((w) => !source.includes(w))]).toEqual([file, module, source, []]);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});

// ---------------------------------------------------------------------------------------
// 4. collectFacts: searchAhead / searched

const MAX = 300;
const CHECKOUT: Record<string, string | Buffer> = {
  "shop/__init__.py": "",
  "shop/models.py": "from .pricing import rates\nimport os\n",
  "shop/pricing/__init__.py": "from . import rates\n",
  "shop/pricing/rates.py": "class Default:\n    pass\n",
  "shop/views.py": "# nothing about shop.pricing here\nimport json\n",
  "billing/tasks.py": "import shop.pricing.rates\n",
  "billing/notes.py": 'X = "models"\n',
  "latin.py": Buffer.from([0x23, 0x20, 0xe9, 0xff, 0x0a, ...Buffer.from("import shop\r\n")]), // non-UTF-8 bytes, CRLF
  "empty.py": "",
  "exact.py": `# ${"x".repeat(MAX - 3)}\n`, // exactly at the limit: read
  "big.py": `import shop.pricing.rates\n${"y = 1\n".repeat(60)}`, // over the limit: never ruled out
};
/** Listed but unreadable: a missing file and a dangling symbolic link. */
const UNREADABLE = ["ghost.py", "dangling.py"];
const WORDS = ["shop", "pricing", "rates", "models", "import", "json", "zzz"];
const COMBOS: string[][] = [...WORDS.map((w) => [w]), ["shop", "pricing"], ["shop", "pricing", "rates"], ["pricing", "rates"], ["shop", "zzz"], ["import", "json"], ["models", "import"]];

function checkout(): { dir: string; paths: string[] } {
  const dir = tempDir();
  writeTree(dir, CHECKOUT);
  fs.symlinkSync(path.join(dir, "nowhere.py"), path.join(dir, "dangling.py"));
  expect(fs.statSync(path.join(dir, "exact.py")).size).toBe(MAX);
  expect(fs.statSync(path.join(dir, "big.py")).size).toBeGreaterThan(MAX);
  return { dir, paths: [...Object.keys(CHECKOUT), ...UNREADABLE] };
}

/** What mayMention must say: the bytes contain every word; true when the file cannot be read or is over the limit. */
function expectedMention(p: string, words: string[]): boolean {
  const content = CHECKOUT[p];
  if (content === undefined) return true;
  const bytes = Buffer.from(content);
  if (bytes.length > MAX) return true;
  return words.every((w) => bytes.includes(Buffer.from(w, "latin1")));
}

/** Every (path, combo) answer of a facts map. */
const answersOf = (m: FactsMap, paths: string[], combos = COMBOS) => paths.map((p) => [p, combos.map((ws) => m.mayMention(p, ws))]);
const expectedAnswers = (paths: string[], combos = COMBOS) => paths.map((p) => [p, combos.map((ws) => expectedMention(p, ws))]);

describe("collectFacts: searching ahead", () => {
  const collect = (dir: string, paths: string[], extra: Partial<CollectInput> = {}) =>
    collectFacts({ paths, readHead: async () => null, headRoot: dir, baseOverrides: new Map(), maxFileBytes: MAX, workerThreshold: 0, searchScript: searchScript(), ...extra });

  it("the oracle is not trivial (some answers are false, some true)", () => {
    const flat = expectedAnswers([...Object.keys(CHECKOUT), ...UNREADABLE]).flatMap(([, a]) => a as boolean[]);
    expect(flat.filter((x) => x).length).toBeGreaterThan(20);
    expect(flat.filter((x) => !x).length).toBeGreaterThan(20);
  });

  it("answers mayMention from the search, as the bytes on disk say", async () => {
    const { dir, paths } = checkout();
    const c = await collect(dir, paths);
    c.searchAhead(WORDS);
    await c.searched();
    expect(answersOf(c.head, paths)).toEqual(expectedAnswers(paths));
    expect(c.stats.scanned).toBe(0); // searching reads, it does not scan
    // The answers were found by the search: files rewritten since do not change them.
    fs.writeFileSync(path.join(dir, "shop/views.py"), "import shop.pricing.rates\n");
    fs.writeFileSync(path.join(dir, "billing/tasks.py"), "x = 1\n");
    expect(c.head.mayMention("shop/views.py", ["pricing", "rates"])).toBe(false);
    expect(c.head.mayMention("billing/tasks.py", ["shop", "pricing", "rates"])).toBe(true);
    // A word not searched for is looked up in the file as it is now (unless a searched word settles it).
    expect(c.head.mayMention("shop/views.py", ["rat"])).toBe(true);
    expect(c.head.mayMention("shop/views.py", ["shop", "rat"])).toBe(true);
    expect(c.head.mayMention("shop/views.py", ["nothing"])).toBe(false);
    expect(c.head.mayMention("shop/views.py", ["rates", "rat"])).toBe(false); // "rates" was not there when searched
    expect(c.head.mayMention("billing/tasks.py", ["x = 1"])).toBe(true);
    c.persist();
  });

  it("keeps answering after a file is scanned, and for words searched and not searched together", async () => {
    const { dir, paths } = checkout();
    const c = await collect(dir, paths);
    c.searchAhead(["shop", "pricing", "rates"]);
    await c.searched();
    for (const p of ["shop/models.py", "billing/tasks.py", "shop/views.py"]) c.head.get(p);
    expect(c.stats.scanned).toBe(3);
    expect(answersOf(c.head, paths)).toEqual(expectedAnswers(paths));
    c.persist();
  });

  it("answers for the 32nd word (the sign bit) from the search, and looks up words past 32 itself", async () => {
    const { dir, paths } = checkout();
    const words = Array.from({ length: 33 }, (_, i) => `tok${String(i).padStart(2, "0")}`);
    writeTree(dir, { "t1.py": "tok31 = tok00\n", "t2.py": "tok32 = tok30\n", "t3.py": "tok31 = tok32\n" });
    const all = [...paths, "t1.py", "t2.py", "t3.py"];
    const c = await collect(dir, all);
    c.searchAhead(words);
    await c.searched();
    const ask = (p: string) => [["tok31"], ["tok00", "tok31"], ["tok30"], ["tok32"], ["tok31", "tok32"]].map((ws) => c.head.mayMention(p, ws));
    expect(ask("t1.py")).toEqual([true, true, false, false, false]);
    expect(ask("t2.py")).toEqual([false, false, true, true, false]);
    expect(ask("t3.py")).toEqual([true, false, false, true, true]);
    // tok31 was answered by the search (a rewrite does not change it); tok32 by reading the file now.
    fs.writeFileSync(path.join(dir, "t1.py"), "tok32 = 1\n");
    expect([c.head.mayMention("t1.py", "tok31"), c.head.mayMention("t1.py", "tok32")]).toEqual([true, true]);
    c.persist();
  });

  it("is a no-op without the search script: mayMention reads the bytes itself, when asked", async () => {
    const { dir, paths } = checkout();
    const c = await collect(dir, paths, { searchScript: null });
    c.searchAhead(WORDS);
    await c.searched(); // nothing to wait for
    expect(answersOf(c.head, paths)).toEqual(expectedAnswers(paths));
    // Nothing was searched ahead: a file rewritten now is read as it is now.
    fs.writeFileSync(path.join(dir, "shop/views.py"), "import shop.pricing.rates\n");
    expect(c.head.mayMention("shop/views.py", ["pricing", "rates"])).toBe(true);
    expect(c.stats.scanned).toBe(0);
    c.persist();
  });

  it("still answers when the search worker cannot start", async () => {
    const { dir, paths } = checkout();
    const c = await collect(dir, paths, { searchScript: path.join(dir, "no-such-worker.js") });
    c.searchAhead(WORDS);
    await c.searched();
    expect(answersOf(c.head, paths)).toEqual(expectedAnswers(paths));
    c.persist();
  });

  it("stores what it found as word memos, which answer a later run that cannot read any file", async () => {
    const { dir, paths } = checkout();
    const cacheDir = tempDir();
    // First run: SHAs computed from the checkout's bytes.
    const first = await collect(dir, paths, { cache: new ScanCache(cacheDir) });
    first.searchAhead(WORDS);
    await first.searched();
    expect(answersOf(first.head, paths)).toEqual(expectedAnswers(paths));
    expect(first.stats.scanned).toBe(0);
    first.persist();
    const memos = fs.readdirSync(formatDir(cacheDir)).filter((f) => /^words-.*\.bin$/.test(f));
    expect(memos).toHaveLength(WORDS.length);
    expect(fs.readdirSync(formatDir(cacheDir)).filter((f) => f.endsWith(".pack"))).toEqual([]); // nothing was scanned
    // Second run: git's SHAs for the same blobs, and a checkout with no files at all.
    const shas = new Map(Object.entries(CHECKOUT).map(([p, t]) => [p, blobSha(Buffer.from(t))]));
    const empty = tempDir();
    const second = await collect(empty, paths, { cache: new ScanCache(cacheDir), headBlobShas: shas, searchScript: null });
    expect(answersOf(second.head, paths)).toEqual(expectedAnswers(paths));
    // Without the memos nothing could be ruled out: a word never searched for says "maybe" everywhere.
    expect(paths.map((p) => second.head.mayMention(p, ["never_searched"]))).toEqual(paths.map(() => true));
    // ...but one known-absent word still settles it.
    expect(second.head.mayMention("shop/views.py", ["never_searched", "rates"])).toBe(false);
    expect(second.stats.scanned).toBe(0);
    second.persist();
    // A third run without the cache cannot tell anything apart (proves the second run's answers came from the memos).
    const blind = await collect(empty, paths, { searchScript: null });
    expect(paths.every((p) => COMBOS.every((ws) => blind.head.mayMention(p, ws)))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// 5. buildGraphs(...).filesNaming

const REPO: Record<string, string> = {
  "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_.settings")\n',
  "site_/__init__.py": "",
  "site_/settings.py": 'INSTALLED_APPS = ["shop", "billing"]\nRATES_BACKEND = "shop.pricing.rates.Default"\n',
  "shop/__init__.py": "",
  "shop/models.py": "from .pricing import rates\nfrom .pricing.tax import VAT\n",
  "shop/pricing/__init__.py": "from . import rates\n",
  "shop/pricing/rates.py": "class Default:\n    pass\n",
  "shop/pricing/tax.py": "VAT = 0.2\n",
  "shop/pricing/calc.py": "from .rates import Default\n",
  "shop/pricing/other.py": "x = 1\n",
  "shop/views.py": "def view():\n    from .pricing.rates import Default\n    return Default\n",
  "billing/__init__.py": "",
  "billing/tasks.py": "import shop.pricing.rates\n",
  "billing/lazy.py": 'import importlib\nmod = importlib.import_module(".rates", "shop.pricing")\n',
  "billing/dyn.py": 'import importlib\nmod = importlib.import_module("shop.pricing.rates")\n',
  "billing/unrelated.py": "rates = {'shop': 1}\n", // two of the words, not the module
  "billing/prices.py": "pricing = 'rates'\n",
  "tests/test_rates.py": 'from unittest import mock\n\n@mock.patch("shop.pricing.rates.Default")\ndef test_x(m):\n    pass\n',
  "tests/test_tax.py": "import shop.pricing.tax as t\n",
  "README.md": "shop.pricing.rates\n", // not Python: not a head file of the search
};

function repoInput(files: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    headFiles: Object.keys(files),
    readHead: async (p: string) => (p in files ? Buffer.from(files[p]) : null),
    baseOverrides: new Map<string, Buffer | null>(),
    config: defaultConfig(),
    ...extra,
  };
}

/** The Python files that really refer to `module`, from their full facts. */
function referrers(files: Record<string, string>, module: string, roots: readonly string[]): string[] {
  return Object.keys(files).filter((f) => /\.pyi?$/.test(f) && reallyRefers(f, scanPython(Buffer.from(files[f])), module, roots));
}

describe("buildGraphs: filesNaming", () => {
  const roots = ["."]; // what the layout infers here (manage.py at the top)

  it("includes every file that refers to the module, and leaves out files that only share a word", async () => {
    const g = await buildGraphs(repoInput(REPO));
    const rates = referrers(REPO, "shop.pricing.rates", roots);
    // The oracle sees what it should (so the check below is not vacuous).
    expect(rates.sort()).toEqual(["billing/dyn.py", "billing/lazy.py", "billing/tasks.py", "shop/models.py", "shop/pricing/__init__.py", "shop/pricing/calc.py", "shop/views.py", "site_/settings.py", "tests/test_rates.py"]);
    const found = await g.filesNaming("shop.pricing.rates");
    expect(rates.filter((f) => !found.includes(f))).toEqual([]);
    for (const f of ["billing/unrelated.py", "billing/prices.py", "shop/pricing/other.py", "shop/pricing/tax.py", "manage.py", "tests/test_tax.py"]) expect([f, found.includes(f)]).toEqual([f, false]);
    expect(found).not.toContain("README.md");
    // Without a cache or a checkout the answer is exactly the files containing every reference word.
    const exact = Object.keys(REPO).filter((f) => /\.py$/.test(f) && referenceWords(f, "shop.pricing.rates", roots).every((w) => REPO[f].includes(w)));
    expect([...found].sort()).toEqual(exact.sort());

    const tax = referrers(REPO, "shop.pricing.tax", roots);
    expect(tax.sort()).toEqual(["shop/models.py", "tests/test_tax.py"]);
    const foundTax = await g.filesNaming("shop.pricing.tax");
    expect(tax.filter((f) => !foundTax.includes(f))).toEqual([]);
    for (const f of ["billing/tasks.py", "site_/settings.py", "shop/pricing/calc.py"]) expect([f, foundTax.includes(f)]).toEqual([f, false]);
  });

  it("finds references under a src/ source root", async () => {
    const files: Record<string, string> = {
      "src/shop/__init__.py": "",
      "src/shop/views.py": "from .pricing import rates\n",
      "src/shop/pricing/__init__.py": "",
      "src/shop/pricing/calc.py": "from . import rates\n",
      "src/shop/pricing/rates.py": "",
      "src/shop/pricing/other.py": "x = 1\n",
      "src/billing/x.py": "from .pricing import rates\n", // a different package's `pricing`
      "scripts/run.py": "import shop.pricing.rates\n",
    };
    const sourceRoots = [".", "src"];
    const g = await buildGraphs({ ...repoInput(files), config: { ...defaultConfig(), sourceRoots } });
    const refs = referrers(files, "shop.pricing.rates", sourceRoots);
    expect(refs.sort()).toEqual(["scripts/run.py", "src/shop/pricing/calc.py", "src/shop/views.py"]);
    const found = await g.filesNaming("shop.pricing.rates");
    expect(refs.filter((f) => !found.includes(f))).toEqual([]);
    expect(found).not.toContain("src/shop/pricing/other.py");
    expect(found).not.toContain("src/billing/x.py");
  });

  it("stores the list per repository state in the scan cache; another module computes its own", async () => {
    const cacheDir = tempDir();
    const shas = new Map(Object.entries(REPO).map(([p, t]) => [p, blobSha(Buffer.from(t))]));
    const run = () => buildGraphs(repoInput(REPO, { cache: new ScanCache(cacheDir), headBlobShas: shas }));
    const refsFiles = () => fs.readdirSync(formatDir(cacheDir)).filter((f) => f.startsWith("refs-"));

    const first = await run();
    const listed = await first.filesNaming("shop.pricing.rates");
    first.persist();
    expect(refsFiles()).toHaveLength(1);
    expect(referrers(REPO, "shop.pricing.rates", roots).filter((f) => !listed.includes(f))).toEqual([]);

    const second = await run();
    const spy = jest.spyOn(second.headFacts, "mayMention");
    expect(await second.filesNaming("shop.pricing.rates")).toEqual(listed);
    expect(spy).not.toHaveBeenCalled(); // stored: no file was asked about
    const tax = await second.filesNaming("shop.pricing.tax");
    expect(spy).toHaveBeenCalled();
    expect(tax).not.toEqual(listed);
    expect(referrers(REPO, "shop.pricing.tax", roots).filter((f) => !tax.includes(f))).toEqual([]);
    expect(tax).not.toContain("billing/tasks.py");
    second.persist();
    expect(refsFiles()).toHaveLength(2);

    // A third run of the same state serves both from the store; another state computes again.
    const third = await run();
    const spy3 = jest.spyOn(third.headFacts, "mayMention");
    expect([await third.filesNaming("shop.pricing.rates"), await third.filesNaming("shop.pricing.tax")]).toEqual([listed, tax]);
    expect(spy3).not.toHaveBeenCalled();
    const changed = { ...REPO, "billing/unrelated.py": "from shop.pricing import rates\n" };
    const other = await buildGraphs(repoInput(changed, { cache: new ScanCache(cacheDir) }));
    const otherList = await other.filesNaming("shop.pricing.rates");
    expect(otherList).toContain("billing/unrelated.py");
    expect(listed).not.toContain("billing/unrelated.py");
  });
});

// ---------------------------------------------------------------------------------------
// The reference search rules a file out when its bytes lack a part of the module's name as
// written. What it finds, and the documented limit of what it does not.

describe("spellings of a module name", () => {
  // A dotted string split across adjacent literals at a dot (as people wrap long patch targets)
  // still spells every part: found.
  it("finds a patch target split across adjacent string literals at a dot", async () => {
    const files = { ...REPO, "billing/split.py": 'from unittest import mock\n\n\n@mock.patch(\n    "shop.pricing."\n    "rates.Default"\n)\ndef test_x(m):\n    pass\n' };
    expect(reallyRefers("billing/split.py", scanPython(Buffer.from(files["billing/split.py"])), "shop.pricing.rates", ["."])).toBe(true);
    const g = await buildGraphs(repoInput(files));
    expect(await g.filesNaming("shop.pricing.rates")).toContain("billing/split.py");
  });

  // Documented limit (modules.ts referenceWords): a name part spelt through an escape, split
  // inside a part across adjacent literals, or with NFKC look-alike letters is not in the bytes,
  // so a file not scanned yet is ruled out although the scanner's facts refer to the module.
  const unusual: Record<string, string> = {
    "billing/concat.py": 'RATES = "shop.pri" "cing.rates.Default"\n',
    "billing/escape.py": 'RATES = "shop.pricing.r\\x61tes.Default"\n',
    "billing/nfkc.py": "import \uff53hop.pricing.rates\n",
  };
  it.each(Object.keys(unusual))("the scanner's facts make %s refer to shop.pricing.rates", (f) => {
    expect(reallyRefers(f, scanPython(Buffer.from(unusual[f])), "shop.pricing.rates", ["."])).toBe(true);
  });
  it.each(Object.keys(unusual))("a cold search rules out %s (the documented limit)", async (f) => {
    const g = await buildGraphs(repoInput({ ...REPO, ...unusual }));
    expect(await g.filesNaming("shop.pricing.rates")).not.toContain(f);
  });
});

describe("WordMemo.merge on a memo too short for its counts", () => {
  it("ignores a CRC-valid memo with no room for its counts", () => {
    const word = "abcdefgh";
    const head = Buffer.concat([Buffer.from("DSGW1\n", "latin1"), Buffer.from([word.length, 0]), Buffer.from(word)]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(crc(head));
    const memo = new WordMemo(word);
    expect(() => memo.merge(Buffer.concat([head, sum]))).not.toThrow();
    expect(memo.get("a".repeat(40))).toBeUndefined();
  });
});
