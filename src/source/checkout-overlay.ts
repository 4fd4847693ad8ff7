/**
 * A pull request's change set from GitHub's API, with file contents from the local checkout.
 *
 * In CI the checkout is usually the pull request (often GitHub's merge commit) at depth 1: the
 * base and head commits are not there, so the diff must come from the API, but reading every
 * file of a large repository through the contents API would take thousands of requests (the
 * rate limit is 5,000 an hour). The checkout already holds the head's files; only the base
 * versions of the files the pull request touches are fetched.
 */
import type { ChangeSet, RevisionReader } from "../core/types";
import { WorkingTreeReader } from "./worktree-reader";

class BaseOverlay implements RevisionReader {
  readonly rev: string;
  constructor(
    private readonly api: RevisionReader,
    private readonly checkout: RevisionReader,
    /** Paths whose base version differs from the checkout (touched by the pull request). */
    private readonly touched: ReadonlySet<string>,
    /** Paths that exist only at head (added, or renamed to). */
    private readonly addedAtHead: ReadonlySet<string>,
    /** Paths that exist only at base (deleted, or renamed from). */
    private readonly onlyAtBase: readonly string[],
  ) {
    this.rev = api.rev;
  }

  read(path: string): Promise<Buffer | null> {
    if (this.touched.has(path)) return this.api.read(path);
    return this.checkout.read(path);
  }

  async listFiles(): Promise<string[]> {
    const files = (await this.checkout.listFiles()).filter((p) => !this.addedAtHead.has(p));
    const seen = new Set(files);
    for (const p of this.onlyAtBase) if (!seen.has(p)) files.push(p);
    return files;
  }
}

/**
 * Whether the checkout at `root` holds the pull request's head: the first few files it
 * changed read the same locally as through the API. (`danger pr` runs against any checkout.)
 */
export async function checkoutHoldsHead(cs: ChangeSet, root: string, sample = 5): Promise<boolean> {
  const local = new WorkingTreeReader(root);
  const probes = cs.files.filter((f) => f.status !== "deleted" && !f.binary).slice(0, sample);
  if (probes.length === 0) return false;
  for (const f of probes) {
    const [a, b] = await Promise.all([local.read(f.path), cs.head.read(f.path)]);
    if (a === null || b === null || !a.equals(b)) return false;
  }
  return true;
}

export function checkoutOverlay(cs: ChangeSet, root: string): ChangeSet {
  const head = new WorkingTreeReader(root, { rev: cs.headRev });
  const touched = new Set<string>();
  const addedAtHead = new Set<string>();
  const onlyAtBase: string[] = [];
  for (const f of cs.files) {
    touched.add(f.path);
    if (f.oldPath !== null) touched.add(f.oldPath);
    if (f.status === "added" || f.status === "copied" || (f.status === "renamed" && f.oldPath !== f.path)) addedAtHead.add(f.path);
    if (f.status === "deleted") onlyAtBase.push(f.path);
    if (f.status === "renamed" && f.oldPath !== null) onlyAtBase.push(f.oldPath);
  }
  return {
    ...cs,
    head,
    base: new BaseOverlay(cs.base, head, touched, addedAtHead, onlyAtBase),
    close: async () => {
      await head.close();
      await cs.close?.();
    },
  };
}
