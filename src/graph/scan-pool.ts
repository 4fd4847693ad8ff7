/**
 * Scans many files, on worker threads when there are enough of them to pay for starting the
 * workers (the scanner is single-threaded and CPU-bound), else in this thread. Workers read
 * files themselves when given absolute paths, so the bytes never cross threads.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { type ScanItem, scanItem, type ScannedBytes, toBytes } from "./scan-item";
import type { WorkerReply, WorkerTask } from "./scan-worker";

export interface PoolOptions {
  maxBytes: number;
  /** Use worker threads above this many files (default 2,000). */
  threshold?: number;
  /** Number of workers (default: the available parallelism, at most 8). */
  workers?: number;
  /** Compiled worker script; default `scan-worker.js` next to this file (absent under ts-jest: no workers). */
  workerScript?: string | null;
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 64;
const PROGRESS_EVERY = 256;

function defaultWorkerScript(): string | null {
  const file = path.join(__dirname, "scan-worker.js");
  return fs.existsSync(file) ? file : null;
}

export async function scanAll(items: ScanItem[], opts: PoolOptions): Promise<ScannedBytes[]> {
  const script = opts.workerScript === undefined ? defaultWorkerScript() : opts.workerScript;
  const parallel = opts.workers ?? Math.min(8, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
  if (script === null || items.length <= (opts.threshold ?? 2000) || parallel < 2) return scanHere(items, 0, opts, new Array(items.length));
  return scanOnWorkers(items, script, parallel, opts);
}

function scanHere(items: ScanItem[], from: number, opts: PoolOptions, out: ScannedBytes[]): ScannedBytes[] {
  for (let i = from; i < items.length; i++) {
    if (out[i] !== undefined) continue;
    out[i] = toBytes(scanItem(items[i], opts.maxBytes));
    if (opts.onProgress && i % PROGRESS_EVERY === 0) opts.onProgress(i, items.length);
  }
  opts.onProgress?.(items.length, items.length);
  return out;
}

async function scanOnWorkers(items: ScanItem[], script: string, parallel: number, opts: PoolOptions): Promise<ScannedBytes[]> {
  const out: ScannedBytes[] = new Array(items.length);
  const batches: number[] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(i);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  const run = (w: Worker): Promise<void> =>
    new Promise((resolve) => {
      const send = () => {
        if (next >= batches.length) return resolve();
        const start = batches[next++];
        const task: WorkerTask = { id: start, items: items.slice(start, start + BATCH), maxBytes: opts.maxBytes };
        w.postMessage(task);
      };
      w.on("message", (msg: WorkerReply) => {
        let at = 0;
        msg.lengths.forEach((len, k) => {
          out[msg.id + k] = { sha: msg.shas[k], data: Buffer.from(msg.data, at, len), crc: msg.crcs[k] };
          at += len;
        });
        done += msg.lengths.length;
        opts.onProgress?.(done, items.length);
        send();
      });
      // A failed worker stops taking batches; whatever it did not finish is scanned below.
      w.on("error", () => resolve());
      w.on("exit", () => resolve());
      send();
    });
  try {
    for (let k = 0; k < parallel; k++) workers.push(new Worker(script));
    await Promise.all(workers.map(run));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return scanHere(items, 0, { ...opts, onProgress: undefined }, out);
}

