/**
 * Never silent, never stalled. An analysis that waits for something nothing will ever settle
 * (a promise waiting on itself through an import cycle, a source that never answers) leaves
 * Node with an empty event loop, and Node then exits 0 having printed nothing: a PR bot that
 * silently passes. `untilStalled` turns that into an error the adapters report, naming what
 * the analysis was reading last (`reading`, one assignment per module read, kept by the graph).
 */

let last: string | null = null;

/** Records what the analysis is reading now (a module, else a file). Cheap: call it freely. */
export function reading(what: string): void {
  last = what;
}

/** What the analysis was reading last (null before it read anything). */
export function lastReading(): string | null {
  return last;
}

/** The analysis stopped making progress: the event loop emptied while its promise was pending. */
export class AnalysisStalled extends Error {
  constructor(readonly what: string | null) {
    super(`analysis stalled while reading ${what ?? "(nothing read yet)"}`);
    this.name = "AnalysisStalled";
  }
}

/** The part of `process` the guard uses (injectable in tests). */
export interface ExitEvents {
  on(event: "beforeExit", listener: () => void): unknown;
  off(event: "beforeExit", listener: () => void): unknown;
}

/**
 * Settles as `work` does, or rejects with `AnalysisStalled` when the event loop empties while
 * `work` is still pending (Node's `beforeExit`; the rejection schedules more work, so the
 * caller still gets to report before the process ends).
 */
export function untilStalled<T>(work: Promise<T>, events: ExitEvents = process): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stalled = (): void => {
      events.off("beforeExit", stalled);
      reject(new AnalysisStalled(lastReading()));
    };
    events.on("beforeExit", stalled);
    work.then(
      (v) => {
        events.off("beforeExit", stalled);
        resolve(v);
      },
      (e: unknown) => {
        events.off("beforeExit", stalled);
        reject(e);
      },
    );
  });
}
