/**
 * The working-tree reader: a checkout's files on disk, read as git would store them.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { readEntrySync } from "../core/safe-read";
import type { ClosableRevisionReader } from "./change-set";
import { isSkippedDir } from "./files";
import { gitOutput } from "./git-run";
import { normalizeRepoPath } from "./paths";
import { listWorktree, type Worktree } from "./worktree";

/**
 * File contents on disk under `root` (the CLI's `--diff FILE` mode, a checkout holding a pull
 * request). Read as git stores them (core/safe-read.ts): a symbolic link is its text, never
 * followed; FIFOs, devices and paths through linked directories are refused. `listFiles()` uses `git ls-files` (tracked and
 * untracked-but-not-ignored files that exist) inside a git work tree, otherwise walks the
 * directory, skipping dot-directories and what is never project source (files.ts).
 */
export class WorkingTreeReader implements ClosableRevisionReader {
  readonly rev: string;
  readonly root: string;
  readonly isCheckout = true;
  private readonly useGit: boolean | undefined;
  private worktree: Promise<Worktree> | null = null;
  private readonly links = new Set<string>();

  constructor(root: string, opts: { rev?: string; useGit?: boolean } = {}) {
    this.root = path.resolve(root);
    this.rev = opts.rev ?? "working-tree";
    this.useGit = opts.useGit;
  }

  async read(p: string): Promise<Buffer | null> {
    const rel = normalizeRepoPath(p);
    if (rel === null) return null;
    // As git stores it: a symbolic link is its text (remembered: see symlinks()), never followed.
    const entry = readEntrySync(this.root, rel);
    if (entry === null) return null;
    if (entry.kind === "file") return entry.bytes;
    this.links.add(rel);
    return entry.target;
  }

  /** The symbolic links among the files git lists, and those read so far (a live set). */
  async symlinks(): Promise<ReadonlySet<string>> {
    for (const l of (await this.pythonFiles()).links) this.links.add(l);
    return this.links;
  }

  /** Listed by git once (the first call starts it; a diff source starts it early). */
  pythonFiles(): Promise<Worktree> {
    this.worktree ??= listWorktree(this.root);
    return this.worktree;
  }

  async listFiles(): Promise<string[]> {
    let useGit = this.useGit;
    if (useGit === undefined) {
      useGit = await gitOutput(this.root, ["rev-parse", "--is-inside-work-tree"], this.root)
        .then((o) => o.trim() === "true")
        .catch(() => false);
    }
    const candidates = useGit ? await this.gitFiles() : await this.walk();
    const out: string[] = [];
    for (let i = 0; i < candidates.length; i += 256) {
      const slice = candidates.slice(i, i + 256);
      const kept = await Promise.all(slice.map((rel) => this.isFileLike(rel)));
      slice.forEach((rel, j) => {
        if (kept[j]) out.push(rel);
      });
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async isFileLike(rel: string): Promise<boolean> {
    try {
      const st = await fsp.lstat(path.join(this.root, ...rel.split("/")));
      return st.isFile() || st.isSymbolicLink();
    } catch {
      return false;
    }
  }

  private async gitFiles(): Promise<string[]> {
    const out = await gitOutput(this.root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name"], this.root);
    return [...new Set(out.split("\0").filter((p) => p !== ""))];
  }

  private async walk(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (dirRel: string): Promise<void> => {
      const abs = dirRel ? path.join(this.root, ...dirRel.split("/")) : this.root;
      const entries = await fsp.readdir(abs, { withFileTypes: true });
      for (const ent of entries) {
        const rel = dirRel ? `${dirRel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          if (ent.name.startsWith(".") || isSkippedDir(ent.name)) continue;
          await visit(rel);
        } else if (ent.isFile() || ent.isSymbolicLink()) {
          out.push(rel);
        }
      }
    };
    await visit("");
    return out.sort();
  }
}
