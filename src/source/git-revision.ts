/**
 * File contents at one commit of a local repository, through `git ls-tree` and one
 * `git cat-file --batch` process.
 */
import type { ClosableRevisionReader } from "./change-set";
import { CatFileBatch } from "./cat-file";
import { gitOutput } from "./git-run";
import { normalizeRepoPath, SYMLINK_MODE } from "./paths";

interface Tree {
  /** Blob path -> object id. */
  blobs: Map<string, string>;
  /** Blob paths that are symbolic links (mode 120000). */
  links: Set<string>;
}

/** Parses `git ls-tree -r -z` (full format): blob ids, and which blobs are symbolic links. */
function parseLsTree(out: string): Tree {
  const blobs = new Map<string, string>();
  const links = new Set<string>();
  for (const rec of out.split("\0")) {
    const tab = rec.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type, sha] = rec.slice(0, tab).split(" ");
    if (type !== "blob" || !sha) continue;
    const p = rec.slice(tab + 1);
    blobs.set(p, sha);
    if (mode === SYMLINK_MODE) links.add(p);
  }
  return { blobs, links };
}

/**
 * File contents at one commit, as git stores them (a symbolic link is the text of its
 * target), through a single `git cat-file --batch` process. Blobs are asked for by their id
 * from one `git ls-tree`: `<rev>:<path>` would make git walk the tree for each file, which in
 * a folder of 20,000 files is a scan of 20,000 entries per file.
 */
export class GitRevisionReader implements ClosableRevisionReader {
  readonly rev: string;
  private readonly batch: CatFileBatch;
  private tree: Promise<Tree> | null = null;

  /** `rev` should be a full commit SHA (any revision name works but may move). */
  constructor(
    readonly root: string,
    rev: string,
  ) {
    this.rev = rev;
    this.batch = new CatFileBatch(root);
  }

  async read(p: string): Promise<Buffer | null> {
    const rel = normalizeRepoPath(p);
    if (rel === null) return null;
    const sha = (await this.listing()).blobs.get(rel);
    if (sha === undefined) return null;
    return this.batch.request(sha);
  }

  async listFiles(): Promise<string[]> {
    return [...(await this.listing()).blobs.keys()];
  }

  async blobShas(): Promise<Map<string, string>> {
    return (await this.listing()).blobs;
  }

  async symlinks(): Promise<ReadonlySet<string>> {
    return (await this.listing()).links;
  }

  close(): Promise<void> {
    return this.batch.close();
  }

  private listing(): Promise<Tree> {
    if (!this.tree) {
      this.tree = gitOutput(this.root, ["ls-tree", "-r", "-z", "--full-tree", this.rev], this.rev).then(parseLsTree);
      this.tree.catch(() => {
        this.tree = null;
      });
    }
    return this.tree;
  }
}
