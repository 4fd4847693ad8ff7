/**
 * Scans files on worker threads (the scanner is single-threaded and CPU-bound). Workers read
 * files themselves when given absolute paths, so the bytes never cross threads.
 *
 * A pool is a queue: callers submit files as they learn they will need them (a lazy build
 * submits each module as the walk, or its look-ahead, reaches it), idle workers take the next
 * few, and each result comes back to its job. A job still in the queue can be dropped (the
 * caller scanned it itself meanwhile). Workers never keep the process alive.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { ScanItem, ScannedBytes } from "./scan-item";
import type { WorkerReply, WorkerTask } from "./scan-worker";

/** Files per message to a worker: small, so a result the caller waits for is never far off. */
const BATCH = 24;

/** A compiled worker script next to this module (null under ts-jest, where there is none). */
export function defaultScript(name: string): string | null {
  const file = path.join(__dirname, name);
  return fs.existsSync(file) ? file : null;
}

export function defaultParallelism(): number {
  return Math.min(8, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

/** One file to scan on the pool. */
export interface PoolJob {
  item: ScanItem;
  /** Called with the result, or null when no worker could scan it (the caller scans it). */
  done(result: ScannedBytes | null): void;
  /** Asked when a worker is about to take the job: true drops it (done is not called). */
  dropped?(): boolean;
  /** Set when a worker has taken the job. */
  sent?: boolean;
}

export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly inFlight = new Map<Worker, PoolJob[]>();
  private queue: PoolJob[] = [];
  private next = 0;
  private closed = false;

  /** A pool of `workers` threads (default: the available parallelism), or null when threads cannot be used here. */
  static start(opts: { maxBytes: number; workers?: number; workerScript?: string | null }): ScanPool | null {
    const n = opts.workers ?? defaultParallelism();
    const script = opts.workerScript === undefined ? defaultScript("scan-worker.js") : opts.workerScript;
    if (script === null || n < 2) return null;
    try {
      return new ScanPool(script, n, opts.maxBytes);
    } catch {
      return null;
    }
  }

  private constructor(
    script: string,
    n: number,
    private readonly maxBytes: number,
  ) {
    for (let k = 0; k < n; k++) {
      const w = new Worker(script);
      w.unref();
      w.on("message", (msg: WorkerReply) => this.received(w, msg));
      // A failed worker takes no more jobs; the ones it held are handed back (done(null)).
      w.on("error", () => this.lost(w));
      w.on("exit", () => this.lost(w));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Queues a job (handed straight back when the pool has no worker left). */
  submit(job: PoolJob): void {
    if (this.closed || this.workers.length === 0) return job.done(null);
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.next < this.queue.length) {
      const batch: PoolJob[] = [];
      while (batch.length < BATCH && this.next < this.queue.length) {
        const job = this.queue[this.next++];
        if (job.dropped?.()) continue;
        job.sent = true;
        batch.push(job);
      }
      if (this.next === this.queue.length) {
        this.queue = [];
        this.next = 0;
      }
      if (batch.length === 0) break;
      const w = this.idle.pop() as Worker;
      this.inFlight.set(w, batch);
      const task: WorkerTask = { id: 0, items: batch.map((j) => j.item), maxBytes: this.maxBytes };
      w.ref();
      w.postMessage(task);
    }
  }

  private received(w: Worker, msg: WorkerReply): void {
    const batch = this.inFlight.get(w) ?? [];
    this.inFlight.delete(w);
    w.unref();
    this.idle.push(w);
    let at = 0;
    msg.lengths.forEach((len, k) => {
      const data = Buffer.from(msg.data, at, len);
      at += len;
      batch[k]?.done({ sha: msg.shas[k], data, crc: msg.crcs[k] });
    });
    this.pump();
  }

  private lost(w: Worker): void {
    const i = this.workers.indexOf(w);
    if (i < 0) return;
    this.workers.splice(i, 1);
    const idle = this.idle.indexOf(w);
    if (idle >= 0) this.idle.splice(idle, 1);
    for (const job of this.inFlight.get(w) ?? []) job.done(null);
    this.inFlight.delete(w);
    if (this.workers.length === 0) this.drain();
  }

  /** Hands every queued job back (done(null)). */
  private drain(): void {
    const left = this.queue.slice(this.next);
    this.queue = [];
    this.next = 0;
    for (const job of left) if (!job.dropped?.()) job.done(null);
  }

  /** Stops the workers; jobs not done are handed back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const workers = this.workers.splice(0);
    this.idle.length = 0;
    for (const batch of this.inFlight.values()) for (const job of batch) job.done(null);
    this.inFlight.clear();
    this.drain();
    for (const w of workers) void w.terminate();
  }
}
