/**
 * Worker thread body for scan-pool.ts: scans a batch of files and posts the results back as
 * one buffer (the UTF-8 of every entry, back to back), transferred rather than copied.
 */
import { parentPort } from "node:worker_threads";
import * as zlib from "node:zlib";
import { type ScanItem, scanItem } from "./scan-item";

export interface WorkerTask {
  id: number;
  items: ScanItem[];
  maxBytes: number;
}

export interface WorkerReply {
  id: number;
  shas: (string | null)[];
  lengths: number[];
  crcs: number[];
  data: ArrayBuffer;
}

parentPort?.on("message", (task: WorkerTask) => {
  const results = task.items.map((item) => scanItem(item, task.maxBytes));
  const lengths = results.map((r) => Buffer.byteLength(r.enc, "utf8"));
  const data = Buffer.allocUnsafeSlow(lengths.reduce((a, b) => a + b, 0));
  const crcs: number[] = [];
  let at = 0;
  results.forEach((r, i) => {
    data.write(r.enc, at, "utf8");
    crcs.push(zlib.crc32(data.subarray(at, at + lengths[i])) >>> 0);
    at += lengths[i];
  });
  const reply: WorkerReply = { id: task.id, shas: results.map((r) => r.sha), lengths, crcs, data: data.buffer as ArrayBuffer };
  parentPort?.postMessage(reply, [reply.data]);
});
