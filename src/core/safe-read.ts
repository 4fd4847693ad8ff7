/**
 * Reading a checkout's files the way git stores them, and nothing else: the one place that
 * opens files under a repository directory (the working-tree reader, the fact collector and its
 * worker threads, the CLI's `startup`/`why`, the checkout overlay all come here).
 *
 * - A symbolic link is never followed: its text (what git stores for it) is all there is.
 * - Only regular files are opened, with O_NOFOLLOW and O_NONBLOCK, and checked with fstat
 *   before a byte is read, so a FIFO, a device or `/dev/stdin` cannot make a read block.
 * - No path goes through a symbolically linked directory: every directory between the root and
 *   the file is checked with lstat (remembered per directory, so a large tree costs one lstat
 *   per directory, not per file).
 *
 * Errors carry a `code` the callers turn into a plain sentence (`notReadableReason`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Why a path under a checkout was not read. */
export type UnsafeCode = "ESYMLINK" | "ELINKDIR" | "ENOTREG";

export class UnsafePathError extends Error {
  constructor(
    readonly code: UnsafeCode,
    readonly rel: string,
  ) {
    super(`${rel}: ${UNSAFE_TEXT[code]}`);
    this.name = "UnsafePathError";
  }
}

const UNSAFE_TEXT: Record<UnsafeCode, string> = {
  ESYMLINK: "is a symbolic link: git stores only the text of its target, which is not Python; links are never followed",
  ELINKDIR: "is under a symbolically linked directory, which is never followed",
  ENOTREG: "is not a regular file (a FIFO, device, socket or directory); not read",
};

/** A sentence for a read that failed with `code` (an UnsafeCode or an errno code), or null for other codes. */
export function notReadableReason(code: string): string | null {
  return (UNSAFE_TEXT as Record<string, string>)[code] ?? null;
}

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** Directories (absolute) already checked to be real directories, not links, below their root. */
const checkedDirs = new Set<string>();

/**
 * Throws `UnsafePathError("ELINKDIR")` when a directory between `root` and `rel`'s file is a
 * symbolic link (or not a directory). `rel` is a repository-relative POSIX path.
 */
export function checkDirs(root: string, rel: string): void {
  const slash = rel.lastIndexOf("/");
  if (slash < 0) return;
  // A directory is remembered only after every one above it was checked: a remembered parent
  // means the whole way down was (one lookup per file in a tree already seen).
  if (checkedDirs.has(path.join(root, rel.slice(0, slash)))) return;
  const parts = rel.split("/");
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = path.join(dir, parts[i]);
    if (checkedDirs.has(dir)) continue;
    const st = fs.lstatSync(dir); // ENOENT and the like: the caller's "missing"
    if (!st.isDirectory()) throw new UnsafePathError(st.isSymbolicLink() ? "ELINKDIR" : "ENOTREG", rel);
    checkedDirs.add(dir);
  }
}

/**
 * Opens a regular file for reading, never through a symbolic link at its last component and
 * never a FIFO or device; returns the descriptor (close it). Directories above are not
 * checked here (see `checkDirs`, or `openInside`). Throws `UnsafePathError` or the errno error.
 */
export function openRegularSync(abs: string, rel = abs): number {
  let fd: number;
  try {
    fd = fs.openSync(abs, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a link: ELOOP (Linux), EMLINK (FreeBSD), EFTYPE (NetBSD).
    if (code === "ELOOP" || code === "EMLINK" || code === "EFTYPE") throw new UnsafePathError("ESYMLINK", rel);
    throw e;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new UnsafePathError("ENOTREG", rel);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

/** `openRegularSync` of `rel` under `root`, checking every directory in between. */
export function openInside(root: string, rel: string): number {
  checkDirs(root, rel);
  return openRegularSync(path.join(root, ...rel.split("/")), rel);
}

/** The buffer each read starts in (reads are synchronous): a file that fits is copied out at its size. */
let scratch: Buffer | null = null;

/** Reads a whole open regular file. */
function readAll(fd: number): Buffer {
  // Not a 64 KiB buffer per file (most files are a few KiB: the rest was garbage outside the heap).
  const first = (scratch ??= Buffer.allocUnsafe(64 * 1024));
  let n = 0;
  for (;;) {
    const got = fs.readSync(fd, first, n, first.length - n, null);
    if (got === 0) return Buffer.from(first.subarray(0, n));
    n += got;
    if (n === first.length) break;
  }
  const chunks: Buffer[] = [Buffer.from(first)];
  let total = n;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(total, 16 << 20));
    const got = fs.readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    chunks.push(got === buf.length ? buf : buf.subarray(0, got));
    total += got;
  }
  return Buffer.concat(chunks, total);
}

/** What a path under a checkout is, as git would store it. */
export type CheckoutEntry = { kind: "file"; bytes: Buffer } | { kind: "symlink"; target: Buffer };

const MISSING = new Set(["ENOENT", "ENOTDIR", "EISDIR", "ENAMETOOLONG"]);

/**
 * A file under `root` as git stores it: a regular file's bytes, or a symbolic link's text
 * (never followed). Null when there is no such file (or it is a directory). Throws
 * `UnsafePathError` for FIFOs, devices and paths through linked directories.
 */
export function readEntrySync(root: string, rel: string): CheckoutEntry | null {
  const abs = path.join(root, ...rel.split("/"));
  try {
    checkDirs(root, rel);
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) return { kind: "symlink", target: fs.readlinkSync(abs, { encoding: "buffer" }) };
    if (st.isDirectory()) return null;
    const fd = openRegularSync(abs, rel);
    try {
      return { kind: "file", bytes: readAll(fd) };
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if (MISSING.has((e as NodeJS.ErrnoException).code ?? "")) return null;
    throw e;
  }
}

/** The bytes of a regular file under `root`, or null when absent; symbolic links and other non-files throw `UnsafePathError`. */
export function readRegularInside(root: string, rel: string): Buffer | null {
  const e = readEntrySync(root, rel);
  if (e === null) return null;
  if (e.kind === "symlink") throw new UnsafePathError("ESYMLINK", rel);
  return e.bytes;
}

/** The bytes of a regular file at an absolute path, never through a symbolic link at its last component, never a FIFO or device. */
export function readRegularSync(abs: string): Buffer {
  const fd = openRegularSync(abs);
  try {
    return readAll(fd);
  } finally {
    fs.closeSync(fd);
  }
}
