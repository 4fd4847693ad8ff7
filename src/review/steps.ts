/**
 * The steps every answer is built from, in their order: the configuration in force
 * (`configInForce`), the head's files (`listHead`, a checkout listed by git once), the scan cache
 * (`openCache`) and the startup graphs (`graphsFor`). `review` (a change) and `startupGraph`
 * (a checkout alone) are both made of them. Problems are returned as `ReviewError`s, never
 * printed: the adapters say them their own way.
 */
import { configFor, type Config, type ResolvedConfig } from "../config";
import { notReadableReason } from "../core/safe-read";
import { pushAll } from "../core/arrays";
import type { ReviewError, RevisionReader } from "../core/types";
import { RULES, type Rule } from "../rules";
import { buildGraphs, type Graphs, type GraphInput, listOtherFiles, listWorktree, openScanCache, type ScanCache } from "../graph";

const PYPROJECT = "pyproject.toml";

/** A file of a revision as text; what cannot be read is an error named with the revision, and null. */
export async function readText(reader: RevisionReader, path: string, errors: ReviewError[]): Promise<string | null> {
  try {
    const b = await reader.read(path);
    return b === null ? null : b.toString("utf8");
  } catch (e) {
    errors.push({ kind: "read", where: `${path}@${reader.rev}`, message: (e as Error).message });
    return null;
  }
}

/** A configuration file of a checkout read alone, as git stores it: a link or a FIFO is an error, never followed. */
async function readCheckoutText(reader: RevisionReader, file: string, errors: ReviewError[]): Promise<string | null> {
  try {
    const bytes = await reader.read(file);
    if (bytes !== null && (await reader.symlinks?.())?.has(file)) throw new Error(notReadableReason("ESYMLINK") ?? "");
    return bytes === null ? null : bytes.toString("utf8");
  } catch (e) {
    errors.push({ kind: "read", where: file, message: `${(e as Error).message}; not read` });
    return null;
  }
}

export interface ConfigInput {
  /** The revision whose pyproject.toml is in force: a change's base. Undefined for a checkout read alone (its own is). */
  base?: RevisionReader;
  /** The head: its pyproject.toml is only compared with the base's (a change cannot silence its own checks). */
  head: RevisionReader;
  /** The rules the configuration and pragmas know (default: the registry's, `RULES`). */
  rules?: readonly Rule[];
  /** Plugin or CLI options (validated strictly, merged over the pyproject table). */
  options?: unknown;
  optionsWhere?: string;
  /** Option keys the adapter handles itself. */
  extraOptionKeys?: readonly string[];
}

/** Step 1: the configuration in force. Files not read and configuration errors go to `errors`. */
export async function configInForce(input: ConfigInput, errors: ReviewError[]): Promise<ResolvedConfig> {
  const [pyprojectAtBase, pyprojectAtHead] =
    input.base === undefined
      ? [undefined, await readCheckoutText(input.head, PYPROJECT, errors)]
      : await Promise.all([readText(input.base, PYPROJECT, errors), readText(input.head, PYPROJECT, errors)]);
  const resolved = configFor((input.rules ?? RULES).map((r) => r.meta)).resolveConfig({
    pyprojectAtBase,
    pyprojectAtHead,
    options: input.options,
    optionsWhere: input.optionsWhere,
    extraOptionKeys: input.extraOptionKeys,
  });
  pushAll(errors, resolved.errors);
  return resolved;
}

/** The head's listing, started at once (git lists while the rest is read) and awaited by `graphsFor`. */
export interface HeadListing {
  head: RevisionReader;
  /** A checkout's Python files with the blob ids of its unmodified ones; null without a checkout. */
  tree: ReturnType<NonNullable<RevisionReader["pythonFiles"]>> | null;
  /** ...and its other files (their directories are namespace packages to CPython). */
  others: Promise<string[]> | null;
}

/**
 * Step 2: the head's files. A checkout is listed by git once, with the blob ids of its
 * unmodified files; another revision of a local repository is read from that checkout where
 * it holds the same blob.
 */
export function listHead(head: RevisionReader): HeadListing {
  const root = head.root;
  const tree = head.pythonFiles !== undefined ? head.pythonFiles() : root !== undefined ? listWorktree(root) : null;
  const others = tree !== null && root !== undefined ? listOtherFiles(root) : null;
  return { head, tree, others };
}

/**
 * Step 3: the scan cache of a local repository (`cache_dir`, outside the checkout by default;
 * never a tracked path or a link: facts/cache-dir.ts). Why it is not used goes to `errors`.
 */
export async function openCache(root: string | undefined, config: Config, use: boolean, errors: ReviewError[]): Promise<ScanCache | undefined> {
  if (root === undefined || !use) return undefined;
  const opened = await openScanCache(root, config.cacheDir);
  if (opened.problem !== undefined) errors.push({ kind: "cache", ...opened.problem });
  return opened.cache;
}

export interface GraphsInput {
  listing: HeadListing;
  config: Config;
  /** Use the scan cache (default true). */
  cache?: boolean;
  /** The base: the head with these files' base bytes swapped in (null: not at the base). None for a checkout alone. */
  baseOverrides?: Map<string, Buffer | null>;
  searchAhead?: GraphInput["searchAhead"];
  readBase?: GraphInput["readBase"];
  onProgress?: GraphInput["onProgress"];
}

/**
 * Step 4: every module's facts and the startup graphs, at the head (and the base). A file that
 * cannot be fetched (a failed API request) is an error of the answer, not its end.
 */
export async function graphsFor(input: GraphsInput, errors: ReviewError[]): Promise<{ graphs: Graphs; headFiles: string[] }> {
  const { listing, config } = input;
  const { head } = listing;
  const tree = listing.tree === null ? null : await listing.tree;
  // Every file, not only Python ones: a directory holding any file is a namespace package to CPython.
  const headFiles = tree !== null && head.isCheckout ? [...tree.files, ...((await listing.others) ?? [])] : await head.listFiles();
  const headShas = head.blobShas ? await head.blobShas() : tree?.shas;
  const headSymlinks = head.symlinks ? await head.symlinks() : tree?.links;
  const sameBlob = (p: string): boolean => headShas?.get(p) !== undefined && tree?.shas.get(p) === headShas.get(p);
  const cache = await openCache(head.root, config, input.cache !== false, errors);
  const graphs = await buildGraphs({
    headFiles,
    readHead: (p) =>
      head.read(p).catch((e: unknown) => {
        const where = `${p}@${head.rev}`;
        if (!errors.some((x) => x.where === where)) errors.push({ kind: "read", where, message: `could not read the file: ${(e as Error).message}` });
        return null;
      }),
    baseOverrides: input.baseOverrides ?? new Map(),
    config,
    headBlobShas: headShas,
    headSymlinks,
    searchAhead: input.searchAhead,
    readBase: input.readBase,
    cache,
    // With a local repository: blob ids as cache keys, and files read from the checkout where they are the head's.
    headRoot: tree !== null ? head.root : undefined,
    headOnDisk: head.isCheckout ? undefined : sameBlob,
    onProgress: input.onProgress,
  });
  return { graphs, headFiles };
}
