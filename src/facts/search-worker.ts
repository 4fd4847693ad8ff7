/**
 * Worker thread body for collect.ts `searchAhead`: reads files and says, per file, which of a
 * few words its bytes contain (a bit per word; every bit when the file cannot be read or is
 * over the size limit, since a search may only rule files out), so the main thread can build
 * the startup graph meanwhile.
 */
import { parentPort } from "node:worker_threads";
import { readInto } from "./scan-item";

export interface SearchTask {
  files: string[];
  words: string[];
  maxBytes: number;
}

export interface SearchReply {
  masks: Uint32Array;
  /** 1 for a file that could not be read, 2 for one over the size limit (its mask has every bit: never ruled out); else 0. */
  unread: Uint8Array;
}

/** Which of `needles` (at most 32) the file at `abs` contains, as bits; "unread" or "large" when it cannot tell. */
export function wordMask(abs: string, needles: Buffer[], maxBytes: number): number | "unread" | "large" {
  let bytes: Buffer | number;
  try {
    bytes = readInto(abs, maxBytes);
  } catch {
    return "unread";
  }
  if (typeof bytes === "number") return "large";
  let mask = 0;
  needles.forEach((n, k) => {
    if (bytes.includes(n)) mask |= 1 << k;
  });
  return mask >>> 0;
}

parentPort?.on("message", (task: SearchTask) => {
  const needles = task.words.map((w) => Buffer.from(w, "latin1"));
  const masks = new Uint32Array(task.files.length);
  const unread = new Uint8Array(task.files.length);
  task.files.forEach((f, i) => {
    const mask = wordMask(f, needles, task.maxBytes);
    if (mask === "unread") unread[i] = 1;
    else if (mask === "large") {
      unread[i] = 2;
      masks[i] = 0xffffffff;
    } else masks[i] = mask;
  });
  const reply: SearchReply = { masks, unread };
  parentPort?.postMessage(reply, [masks.buffer as ArrayBuffer, unread.buffer as ArrayBuffer]);
});
