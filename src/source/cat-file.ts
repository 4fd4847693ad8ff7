/**
 * Reading objects through one long-lived `git cat-file --batch` process: blob contents by id
 * (or `<rev>:<path>`), as git stores them (no filters, no attributes).
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import type { Closable } from "./change-set";
import { SourceError } from "./errors";
import { firstLines, gitFailure, spawnGit } from "./git-run";

interface Pending {
  resolve(value: Buffer | null): void;
  reject(err: Error): void;
}

/**
 * One `git cat-file --batch` child process. Requests are written as soon as they arrive and
 * answered in order, so any number of concurrent `request` calls is safe. The process is
 * started on first use, unref'd while idle (a forgotten `close()` does not keep Node alive),
 * and restarted on the next request after `close()`.
 */
export class CatFileBatch implements Closable {
  private child: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending[] = [];
  private headerParts: Buffer[] = [];
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private bodyIsBlob = false;
  private skipNewline = false;
  private stderrTail = "";

  constructor(private readonly cwd: string) {}

  /** Object contents of a blob (`<sha>` or `<rev>:<path>`), or null when missing or not a blob. */
  request(objectName: string): Promise<Buffer | null> {
    if (/[\r\n]/.test(objectName)) return Promise.resolve(null);
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.start();
    } catch (err) {
      return Promise.reject(gitFailure(err, ["cat-file", "--batch"], this.cwd));
    }
    return new Promise<Buffer | null>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.setRef(true);
      child.stdin.write(`${objectName}\n`);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("close", () => resolve());
      // An idle child is unref'd: keep the event loop alive until it has really exited, or a
      // caller awaiting close() would see Node exit under it with the promise pending.
      this.setRef(true);
      child.stdin.end();
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawnGit(this.cwd, ["cat-file", "--batch"]);
    this.child = child;
    this.resetParser();
    this.stderrTail = "";
    child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-2000);
    });
    child.stdin.on("error", () => {
      /* EPIPE and the like: reported by the "close" handler. */
    });
    child.on("error", (err) => this.stopped(child, gitFailure(err, ["cat-file", "--batch"], this.cwd)));
    child.on("close", (code, signal) => {
      const why = firstLines(this.stderrTail) || `exit ${code ?? signal}`;
      this.stopped(child, new SourceError("git-failed", this.cwd, `\`git cat-file --batch\` stopped before answering: ${why}`));
    });
    return child;
  }

  private stopped(child: ChildProcessWithoutNullStreams, err: SourceError): void {
    if (this.child !== child) return;
    this.child = null;
    this.resetParser();
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(err);
  }

  private resetParser(): void {
    this.headerParts = [];
    this.body = null;
    this.bodyFilled = 0;
    this.skipNewline = false;
  }

  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    if (on) c.ref();
    else c.unref();
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>) {
      if (on) s.ref?.();
      else s.unref?.();
    }
  }

  private settle(value: Buffer | null): void {
    const p = this.pending.shift();
    if (this.pending.length === 0) this.setRef(false);
    p?.resolve(value);
  }

  private onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFilled, chunk.length - off);
        chunk.copy(this.body, this.bodyFilled, off, off + n);
        this.bodyFilled += n;
        off += n;
        if (this.bodyFilled === this.body.length) {
          const body = this.body;
          this.body = null;
          this.skipNewline = true;
          this.settle(this.bodyIsBlob ? body : null);
        }
        continue;
      }
      if (this.skipNewline) {
        this.skipNewline = false;
        if (chunk[off] === 0x0a) off++;
        continue;
      }
      const nl = chunk.indexOf(0x0a, off);
      if (nl < 0) {
        this.headerParts.push(chunk.subarray(off));
        break;
      }
      this.headerParts.push(chunk.subarray(off, nl));
      off = nl + 1;
      const header = Buffer.concat(this.headerParts).toString("utf8");
      this.headerParts = [];
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
      if (!m) {
        // "<name> missing", "<name> ambiguous": nothing follows.
        this.settle(null);
        continue;
      }
      const size = Number(m[3]);
      this.bodyIsBlob = m[2] === "blob";
      if (size === 0) {
        this.skipNewline = true;
        this.settle(this.bodyIsBlob ? Buffer.alloc(0) : null);
      } else {
        this.body = Buffer.allocUnsafe(size);
        this.bodyFilled = 0;
      }
    }
  }
}
