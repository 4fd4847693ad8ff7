/**
 * What the local change sources return: a `ChangeSet` whose readers may hold git processes,
 * released by `close()`.
 */
import type { ChangeSet, ChangedFile, ReviewError, RevisionReader } from "../core/types";

/** Something holding a child process or another resource; `close()` is idempotent. */
export interface Closable {
  close(): Promise<void>;
}

export type ClosableRevisionReader = RevisionReader & Closable;

/**
 * A `ChangeSet` whose readers hold `git cat-file` processes. Call `close()` when done
 * (forgetting it does not keep Node alive: idle readers are unref'd).
 */
export type ClosableChangeSet = ChangeSet & Closable;

/** A change set whose `close()` closes both readers. */
export function closableChangeSet(parts: {
  baseRev: string;
  headRev: string;
  files: ChangedFile[];
  base: ClosableRevisionReader;
  head: ClosableRevisionReader;
  errors: ReviewError[];
}): ClosableChangeSet {
  const { base, head } = parts;
  return {
    ...parts,
    close: async () => {
      await Promise.all([base.close(), head.close()]);
    },
  };
}
