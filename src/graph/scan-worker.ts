/** Worker thread body for scan-pool.ts: scans batches of files and posts the results back. */
import { parentPort } from "node:worker_threads";
import { type ScanItem, scanItem } from "./scan-item";

export interface WorkerTask {
  id: number;
  items: ScanItem[];
  maxBytes: number;
}

parentPort?.on("message", (task: WorkerTask) => {
  const results = task.items.map((item) => scanItem(item, task.maxBytes));
  parentPort?.postMessage({ id: task.id, results });
});
