/**
 * Building both revisions' graphs from one scan, the facts codec, the scan cache, the
 * worker pool, and listing a working tree with git's blob SHAs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultConfig } from "../src/review/config";
import { listPythonFiles } from "../src/source/files";
import { blobSha, buildGraphs, listWorktree, ScanCache } from "../src/graph";
import { decodeFacts, encodeFacts } from "../src/facts/codec";
import { collectFacts, type CollectInput } from "../src/facts/collect";
import { FactsMap } from "../src/facts/facts-map";
import { type ScanItem, scanItem, type ScannedBytes, toBytes } from "../src/facts/scan-item";
import { ScanPool } from "../src/facts/scan-pool";
import { scanPython } from "../src/python/scanner";
import { cleanupRepos, makeRepo, tempDir } from "./helpers/git-repo";

afterAll(cleanupRepos);

const HEAD: Record<string, string> = {
  "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_.settings")\n',
  "site_/__init__.py": "",
  "site_/settings.py": 'INSTALLED_APPS = ["shop"]\n',
  "shop/__init__.py": "",
  "shop/models.py": "import shop.pricing\n",
  "shop/pricing.py": "import scipy.stats\n",
  "shop/util.py": "",
};

function input(files: Record<string, string>, overrides: Record<string, string | null> = {}) {
  return {
    headFiles: Object.keys(files),
    readHead: async (p: string) => (p in files ? Buffer.from(files[p]) : null),
    baseOverrides: new Map(Object.entries(overrides).map(([p, v]) => [p, v === null ? null : Buffer.from(v)])),
    config: defaultConfig(),
  };
}

describe("buildGraphs: head and base from one scan", () => {
  it("swaps in the base versions of changed files only", async () => {
    const g = await buildGraphs(
      input(HEAD, {
        "shop/pricing.py": "def price():\n    import scipy.stats\n", // modified: the import was deferred at base
        "shop/util.py": null, // added by the PR
        "shop/old.py": "import legacy\n", // deleted by the PR
      }),
    );
    expect(g.head.chainToPrefix("scipy")?.map((l) => [l.module, l.line])).toEqual([
      ["shop.models", null],
      ["shop.pricing", 1],
      ["scipy", 1],
    ]);
    expect(g.base.chainToPrefix("scipy")).toBeNull();
    expect(g.headFacts.has("shop/util.py")).toBe(true);
    expect(g.baseFacts.has("shop/util.py")).toBe(false);
    expect(g.headFacts.has("shop/old.py")).toBe(false);
    expect(g.baseFacts.get("shop/old.py")?.imports[0].module).toBe("legacy");
    // Unchanged files share one decoded object.
    expect(g.baseFacts.get("shop/models.py")).toBe(g.headFacts.get("shop/models.py"));
    expect(g.baseFacts.get("shop/pricing.py")).not.toBe(g.headFacts.get("shop/pricing.py"));
    expect(g.errors).toEqual([]);
  });

  // The base graph reuses the head's edges where nothing they consulted changed: it must equal
  // a graph built from the base files alone.
  const scenarios: [string, Record<string, string>, Record<string, string | null>][] = [
    ["a submodule added by the PR", { ...HEAD, "shop/models.py": "from shop import extra\n", "shop/extra.py": "import numpy\n" }, { "shop/extra.py": null }],
    ["a package attribute that shadows a submodule at base", { ...HEAD, "shop/models.py": "from shop import util\n", "shop/util.py": "import numpy\n" }, { "shop/__init__.py": "util = None\n" }],
    ["a star import whose __all__ changed", { ...HEAD, "shop/models.py": "from shop import *\n", "shop/__init__.py": "__all__ = ['util']\n", "shop/util.py": "import numpy\n" }, { "shop/__init__.py": "__all__ = []\n" }],
    ["a module moved to a package", { ...HEAD, "shop/pricing/__init__.py": "import pandas\n" }, { "shop/pricing/__init__.py": null, "shop/pricing.py": "import scipy\n" }],
  ];
  it.each(scenarios)("the base graph equals one built from the base files: %s", async (_name, head, overrides) => {
    const g = await buildGraphs(input(head, overrides));
    const baseFiles: Record<string, string> = { ...head };
    for (const [p, v] of Object.entries(overrides)) {
      if (v === null) delete baseFiles[p];
      else baseFiles[p] = v;
    }
    const alone = await buildGraphs(input(baseFiles));
    expect(g.base.modules()).toEqual(alone.head.modules());
    expect(g.base.unresolved).toEqual(alone.head.unresolved);
    expect(g.head.modules()).not.toEqual(g.base.modules());
  });

  it("uses one graph for both sides when nothing changed", async () => {
    const g = await buildGraphs(input(HEAD));
    expect(g.base).toBe(g.head);
    // site_, site_.settings, shop, shop.models, shop.pricing, scipy, scipy.stats; 2 + 2 edges.
    expect(g.head.stats).toEqual({ files: 7, modules: 7, edges: 4 });
  });

  it("reports files on the startup path too large to read", async () => {
    const g = await buildGraphs({ ...input(HEAD), config: { ...defaultConfig(), maxFileBytes: 12 } });
    expect(g.errors).toEqual([
      {
        kind: "file-too-large",
        where: "site_/settings.py",
        message: "site_.settings: larger than max_file_bytes (26 > 12 bytes); not read; its imports are not followed",
      },
      {
        kind: "file-too-large",
        where: "shop/models.py",
        message: "shop.models: larger than max_file_bytes (20 > 12 bytes); not read; its imports are not followed",
      },
    ]);
    // The settings values are still read (INSTALLED_APPS): only the scan is skipped.
    expect(g.head.chainTo("shop.models")).not.toBeNull();
  });
});

describe("facts codec", () => {
  it("round-trips every fact of real files exactly", () => {
    const dir = path.join(__dirname, "fixtures-graph");
    const stdlib = "/usr/lib/python3.11";
    const files = listPythonFiles(dir).map((f) => path.join(dir, f));
    if (fs.existsSync(stdlib)) files.push(...listPythonFiles(stdlib).slice(0, 300).map((f) => path.join(stdlib, f)));
    for (const f of files) {
      const facts = scanPython(fs.readFileSync(f));
      expect([f, decodeFacts(encodeFacts(facts))]).toEqual([f, facts]);
    }
    const lazy = scanPython(Buffer.from("lazy import a.b\nlazy from c import d\ndef f():\n    lazy = 1\n"));
    expect(decodeFacts(encodeFacts(lazy))).toEqual(lazy);
  });

  it("a FactsMap behaves as a Map and decodes on demand", () => {
    const facts = scanPython(Buffer.from("import os\n"));
    const m = new FactsMap().setEncoded("a.py", encodeFacts(facts)).setEncoded("bad.py", "not json");
    m.set("b.py", facts);
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(["a.py", "bad.py", "b.py"]);
    expect(m.get("a.py")).toEqual(facts);
    expect(m.get("a.py")).toBe(m.get("a.py"));
    expect(m.get("bad.py")).toBeUndefined(); // a corrupt entry is no entry
    expect([...m].map(([k]) => k)).toEqual(["a.py", "b.py"]);
    const over = FactsMap.overlay(m, ["b.py"]);
    expect(over.get("a.py")).toBe(m.get("a.py"));
    expect([over.has("b.py"), over.size]).toEqual([false, 1]);
    over.set("c.py", facts);
    over.delete("a.py");
    expect([...over.keys()]).toEqual(["c.py"]);
    expect(m.has("a.py")).toBe(true);
  });
});

const WORKER = path.join(__dirname, "..", "dist", "facts", "scan-worker.js");
/** The cache's directory for the current format (next to the .gitignore it writes). */
const formatDir = (dir: string) => path.join(dir, fs.readdirSync(dir).filter((f) => f !== ".gitignore")[0]);
const packsIn = (dir: string) => fs.readdirSync(formatDir(dir)).filter((f) => f.endsWith(".pack"));

describe("lazy collection", () => {
  const files: Record<string, string> = { ...HEAD, "shop/big.py": `import os\n${"x = 1\n".repeat(50)}` };
  const collectLazy = (extra: Partial<CollectInput> = {}) =>
    collectFacts({ paths: Object.keys(files), readHead: async (p) => Buffer.from(files[p]), baseOverrides: new Map(), maxFileBytes: 100, ...extra });

  it("scans a file only when it is asked for, and each file once", async () => {
    const c = await collectLazy();
    expect(c.stats).toEqual({ files: 8, scanned: 0, cached: 0 });
    expect(c.head.has("shop/models.py")).toBe(true);
    expect(c.head.graph("shop/models.py")?.imports[0].module).toBe("shop.pricing");
    expect(c.head.get("shop/models.py")?.imports[0].module).toBe("shop.pricing");
    expect(c.stats.scanned).toBe(1);
    expect(c.headSkipped.get("shop/models.py")).toBeUndefined();
    expect(c.headSkipped.get("shop/big.py")).toBe("larger than max_file_bytes (310 > 100 bytes); not read");
    expect([c.stats.scanned, c.head.has("shop/big.py"), c.head.get("shop/big.py")]).toEqual([2, false, undefined]);
  });

  it("answers 'may it mention' from the raw bytes of files not scanned yet", async () => {
    const c = await collectLazy();
    expect(c.head.mayMention("shop/pricing.py", ["scipy", "stats"])).toBe(true);
    expect(c.head.mayMention("shop/pricing.py", ["scipy", "numpy"])).toBe(false);
    expect(c.head.mayMention("shop/models.py", [])).toBe(true);
    expect(c.stats.scanned).toBe(0);
  });

  it("reads from the checkout, and scans requested files ahead on worker threads", async () => {
    const checkout = tempDir();
    for (const [p, t] of Object.entries(files)) {
      fs.mkdirSync(path.join(checkout, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(checkout, p), t);
    }
    const progress: number[] = [];
    if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
    const c = await collectLazy({ headRoot: checkout, readHead: async () => null, workerThreshold: 2, workers: 2, workerScript: WORKER, onProgress: (d) => progress.push(d) });
    expect(c.head.mayMention("manage.py", ["DJANGO_SETTINGS_MODULE"])).toBe(true);
    const scanAhead = async (paths: string[]) => {
      c.request(paths);
      for (const p of paths) await c.whenScanned(p);
    };
    await scanAhead(["shop/models.py", "shop/pricing.py", "shop/big.py", "not/listed.py", "shop/models.py"]);
    expect(c.stats.scanned).toBe(3);
    expect(progress).toEqual([1, 2, 3]); // files scanned so far, as each is done
    await scanAhead(["shop/models.py"]); // scanned already: nothing to do
    expect(c.stats.scanned).toBe(3);
    expect(c.head.get("shop/pricing.py")).toEqual(scanPython(Buffer.from(files["shop/pricing.py"])));
    expect(c.head.get("shop/models.py")).toEqual(scanPython(Buffer.from(files["shop/models.py"])));
    expect(c.headSkipped.get("shop/big.py")).toMatch(/^larger than max_file_bytes/);
    expect(c.head.has("shop/big.py")).toBe(false);
    c.persist();
  });

  it("takes a file's base version from the overrides, and its head version elsewhere", async () => {
    const c = await collectLazy({ baseOverrides: new Map([["shop/pricing.py", Buffer.from("import numpy\n")], ["shop/util.py", null]]) });
    expect(c.base.get("shop/pricing.py")?.imports[0].module).toBe("numpy");
    expect(c.head.get("shop/pricing.py")?.imports[0].module).toBe("scipy.stats");
    expect(c.base.get("shop/models.py")).toBe(c.head.get("shop/models.py"));
    expect([c.base.has("shop/util.py"), c.head.has("shop/util.py")]).toEqual([false, true]);
  });
});

describe("scan cache", () => {
  /** Collects, reads every file (as a full review would), and stores what it scanned. */
  const collect = async (dir: string, files: Record<string, string>, extra: Partial<CollectInput> = {}) => {
    const c = await collectFacts({
      paths: Object.keys(files),
      readHead: async (p) => Buffer.from(files[p]),
      baseOverrides: new Map(),
      cache: new ScanCache(dir),
      maxFileBytes: 1 << 20,
      ...extra,
    });
    for (const p of Object.keys(files)) c.head.get(p);
    c.persist();
    return c;
  };

  it("stores only what was scanned, so a later run scans the rest", async () => {
    const dir = tempDir();
    const first = await collectFacts({ paths: Object.keys(HEAD), readHead: async (p) => Buffer.from(HEAD[p]), baseOverrides: new Map(), cache: new ScanCache(dir), maxFileBytes: 1 << 20 });
    first.head.get("shop/models.py");
    first.persist();
    first.persist(); // nothing new: nothing written
    expect(packsIn(dir)).toHaveLength(1);
    const next = await collect(dir, HEAD);
    expect(next.stats).toMatchObject({ cached: 1, scanned: 6 });
  });

  it("serves every blob seen before, and writes only what it had to scan", async () => {
    const dir = tempDir();
    const cold = await collect(dir, HEAD);
    expect(cold.stats).toMatchObject({ cached: 0, scanned: 7 });
    const warm = await collect(dir, HEAD);
    expect(warm.stats).toMatchObject({ cached: 7, scanned: 0 });
    expect(warm.head.get("shop/models.py")).toEqual(cold.head.get("shop/models.py"));
    expect(packsIn(dir)).toHaveLength(1); // nothing new: nothing written
    const next = await collect(dir, { ...HEAD, "shop/util.py": "import os\n" });
    expect(next.stats).toMatchObject({ cached: 6, scanned: 1 });
    expect(packsIn(dir)).toHaveLength(2); // the first, and one with the new blob
    expect(warm.stateKey).toBe(cold.stateKey);
    expect(next.stateKey).not.toBe(cold.stateKey);
  });

  it("gathers blobs spread over too many packs into one, and keeps only recent packs", async () => {
    const dir = tempDir();
    const files = { ...HEAD };
    for (let i = 0; i < 6; i++) {
      files[`shop/new${i}.py`] = `X = ${i}\n`;
      const r = await collect(dir, files);
      expect(r.stats).toMatchObject({ scanned: 1 + (i === 0 ? 7 : 0) });
      expect(packsIn(dir).length).toBeLessThanOrEqual(4);
    }
    const all = await collect(dir, files);
    expect(all.stats).toMatchObject({ cached: 13, scanned: 0 });
  });

  it("keys entries by git blob SHA, as given or computed", async () => {
    expect(blobSha(Buffer.from("hello\n"))).toBe("ce013625030ba8dba906f756967f9e9ca394464a"); // git hash-object
    const dir = tempDir();
    const shas = new Map(Object.entries(HEAD).map(([p, t]) => [p, blobSha(Buffer.from(t))]));
    await collect(dir, HEAD);
    // Given SHAs: nothing is read at all.
    const warm = await collect(dir, HEAD, { headBlobShas: shas, readHead: async () => null });
    expect(warm.stats).toMatchObject({ cached: 7, scanned: 0 });
  });

  it("rescans a corrupt entry, ignores a broken pack, and leaves no temporary files", async () => {
    const dir = tempDir();
    const checkout = tempDir();
    for (const [p, t] of Object.entries(HEAD)) {
      fs.mkdirSync(path.join(checkout, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(checkout, p), t);
    }
    const cold = await collect(dir, HEAD, { headRoot: checkout });
    const packDir = formatDir(dir);
    const packs = fs.readdirSync(packDir);
    expect(packs).toEqual([expect.stringMatching(/^pack-[0-9a-f]{40}\.pack$/)]);
    const file = path.join(packDir, packs[0]);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0x01; // inside the last entry
    fs.writeFileSync(file, bytes);
    const again = await collect(dir, HEAD, { headRoot: checkout });
    expect(again.stats).toMatchObject({ cached: 7, scanned: 0 });
    for (const p of Object.keys(HEAD)) expect([p, again.head.get(p)]).toEqual([p, cold.head.get(p)]);
    fs.writeFileSync(file, bytes.subarray(0, 100)); // truncated: not a pack
    const broken = await collect(dir, HEAD);
    expect(broken.stats).toMatchObject({ cached: 0, scanned: 7 });
    expect(broken.head.get("shop/models.py")?.imports[0].module).toBe("shop.pricing");
    expect(fs.readdirSync(packDir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("stores the graphs of a state, so a repeated build skips building them", async () => {
    const dir = tempDir();
    const run = () => buildGraphs({ ...input(HEAD, { "shop/pricing.py": "X = 1\n" }), cache: new ScanCache(dir) });
    const first = await run();
    const graphs = () => fs.readdirSync(formatDir(dir)).filter((f) => f.startsWith("graph-"));
    expect(graphs()).toHaveLength(2); // head and base
    const again = await run();
    expect(again.head.modules()).toEqual(first.head.modules());
    expect(again.base.modules()).toEqual(first.base.modules());
    expect(again.head.roots).toEqual(first.head.roots);
    expect(again.head.dominatedCount("shop.models")).toBe(first.head.dominatedCount("shop.models"));
    expect(again.head.chainToPrefix("scipy")).toEqual(first.head.chainToPrefix("scipy"));
    // Another configuration is another graph.
    await buildGraphs({ ...input(HEAD, { "shop/pricing.py": "X = 1\n" }), cache: new ScanCache(dir), config: { ...defaultConfig(), heavyModules: ["x"] } });
    expect(graphs()).toHaveLength(4);
  });

  it("is safe when runs share it", async () => {
    const dir = tempDir();
    const runs = await Promise.all([1, 2, 3, 4].map((i) => collect(dir, { ...HEAD, "shop/util.py": `X = ${i % 2}\n` })));
    for (const r of runs) expect(r.head.get("shop/util.py")?.lineCount).toBe(2);
    const again = await collect(dir, { ...HEAD, "shop/util.py": "X = 1\n" });
    expect(again.stats).toMatchObject({ scanned: 0 });
  });
});

describe("worker pool", () => {
  const worker = WORKER;

  it("scans on worker threads exactly as in this thread", async () => {
    if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
    const dir = path.join(__dirname, "fixtures-graph");
    const items: ScanItem[] = listPythonFiles(dir).map((f) => ({ abs: path.join(dir, f), hash: true }));
    items.push({ abs: path.join(dir, "does-not-exist.py") });
    const pool = ScanPool.start({ maxBytes: 200, workers: 2, workerScript: worker });
    if (pool === null) throw new Error("no worker pool");
    let done = 0;
    const threaded = await Promise.all(
      items.map(
        (item) =>
          new Promise<ScannedBytes | null>((resolve) =>
            pool.submit({
              item,
              done: (r) => {
                done++;
                resolve(r);
              },
            }),
          ),
      ),
    );
    pool.close();
    const here = items.map((item) => toBytes(scanItem(item, 200)));
    expect(threaded).toEqual(here);
    expect(here[here.length - 1].data.toString()).toBe("EENOENT");
    expect(here.some((r) => r.data.toString().startsWith("L"))).toBe(true);
    expect(here.some((r) => r.sha !== null && r.data[0] === 0x5b)).toBe(true);
    expect(done).toBe(items.length);
  });
});

describe("listWorktree", () => {
  it("gives git's blob SHAs for clean files only, and sees untracked and deleted files", async () => {
    const repo = makeRepo();
    repo.write("app/a.py", "import os\n");
    repo.write("app/b.py", "x = 1\n");
    repo.write("app/c.py", "");
    repo.write("notes.txt", "");
    repo.write("node_modules/x.py", "");
    repo.commit("base");
    repo.write("app/b.py", "x = 2\n"); // modified, unstaged
    repo.write("app/new.py", ""); // untracked
    repo.rm("app/c.py"); // deleted
    const wt = await listWorktree(repo.dir);
    expect(wt.git).toBe(true);
    expect(wt.files).toEqual(["app/a.py", "app/b.py", "app/new.py"]);
    expect([...wt.shas]).toEqual([["app/a.py", blobSha(Buffer.from("import os\n"))]]);
    const sub = await listWorktree(path.join(repo.dir, "app"));
    expect(sub.files).toEqual(["a.py", "b.py", "new.py"]);
  });

  it("walks the directory outside a git repository", async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "p"));
    fs.writeFileSync(path.join(dir, "p", "m.py"), "");
    const wt = await listWorktree(dir);
    expect(wt).toMatchObject({ files: ["p/m.py"], git: false });
    expect(wt.shas.size).toBe(0);
  });
});
