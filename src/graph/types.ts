/** The startup graph's public vocabulary (re-exported by index.ts). */
import type { ChainLink } from "../core/types";
import type { ContextKind } from "../python/types";
import type { GraphConfig } from "../config/types";
import type { ScanCache } from "../facts/cache";
import type { InstalledApp } from "./apps";

export interface Edge {
  target: string;
  /** Line of the statement (in the importing file) that creates the edge. */
  line: number;
  /** How the statement runs: at module top level, conditionally, in a class body, in `ready()` ("function")... or in a called function ("call"). */
  kind: ContextKind | "call";
  /** For a `call` edge: the route from the call statement (`line`) to the import, e.g. `calls f -> pkg/a.py:9 imports x`. */
  via?: string;
  /** For a `call` edge: the places the route runs through after the call (file, line), the importing statement last. */
  steps?: { file: string; line: number }[];
}

export interface Unresolved {
  what: string;
  where: string;
  why: string;
  /** Met while following the first request (ROOT_URLCONF and what it imports), not setup. */
  phase?: "first-request";
}

export interface LazyAccess {
  /** The package whose `__getattr__` provides the name. */
  package: string;
  name: string;
  where: string;
}

/** When a module is first imported: by `django.setup()`, or only when the first request imports the URLconf. */
export type Phase = "setup" | "first-request";

export interface StartupModule {
  name: string;
  firstParty: boolean;
  file: string | null;
  chain: ChainLink[];
}

/** What a startup graph says of its revision's setup, before any module: stored as it is. */
export interface GraphHeader {
  settingsModule: string | null;
  /** Where the settings module was found (`settings_module (configuration)`, `DJANGO_SETTINGS_MODULE at manage.py:4`...). */
  settingsFrom: string | null;
  /** The directories module names are read under (`sys.path`, in order), each with why (layout.ts). */
  sourceRoots: { dir: string; reason: string }[];
  roots: { module: string; reason: string }[];
  /** The first-party installed apps: each one's module (AppConfig.name), INSTALLED_APPS entry and the AppConfig class Django picks. */
  apps: InstalledApp[];
}

export interface StartupGraph extends GraphHeader {
  /** Shortest chain from a startup root to `module` (first link = the root, line null), or null if setup does not import it. */
  chainTo(module: string): ChainLink[] | null;
  /** Shortest chain to any imported module equal to `prefix` or under it (`scipy` matches `scipy.stats`). */
  chainToPrefix(prefix: string): ChainLink[] | null;
  /** Every module setup imports: name, firstParty, file, chain (breadth-first order). */
  modules(): StartupModule[];
  /** First-party modules reachable at setup only through `module` (for "heavy subsystem" detection). */
  dominatedCount(module: string): number;
  /** Where the first request starts: the settings' ROOT_URLCONF (with where it is set), or null when not set or not read. */
  firstRequest: { module: string; reason: string } | null;
  /**
   * Whether `module` is imported by setup, or only once the first request imports the
   * URLconf (web processes only), with its shortest chain (from a startup root, or from the
   * URLconf); null when neither imports it.
   */
  reachedBy(module: string): { phase: Phase; chain: ChainLink[] } | null;
  /** The modules only the first request imports (not setup), breadth-first, each chain starting at the URLconf. */
  firstRequestModules(): StartupModule[];
  /** What could not be read, file:line and why; `phase: "first-request"` for what the first request (not setup) met. */
  unresolved: { what: string; where: string; why: string; phase?: "first-request" }[];
  notes: string[];
  /**
   * `from pkg import name` statements on the startup path that CPython answers through
   * `pkg.__getattr__` (PEP 562): the graph follows what that `__getattr__` imports for the name.
   */
  lazy: { package: string; name: string; where: string }[];
  /** Python files indexed; modules setup imports; import-time edges out of them (the graph resolves only what setup reaches). */
  stats: { files: number; modules: number; edges: number };
}

export interface GraphInput {
  /** Every file path at head (repo-relative POSIX), and a reader for its bytes. */
  headFiles: string[];
  readHead(path: string): Promise<Buffer | null>;
  /**
   * Files whose base version differs: path -> base bytes (null = absent at base). Paths absent
   * here are identical at base. Also paths that exist only at base (deleted/renamed-from)
   * appear here with their base bytes.
   */
  baseOverrides: Map<string, Buffer | null>;
  config: GraphConfig;
  /** Content-addressed scan cache (optional). */
  cache?: ScanCache;
  /** Blob SHA per head path when known (from `git ls-files -s` / `git ls-tree`), used as cache keys; else hash the bytes. */
  headBlobShas?: Map<string, string>;
  /** Head paths that are symbolic links: listed, never read as Python nor followed (reported when setup reaches them). */
  headSymlinks?: ReadonlySet<string>;
  /** When the head revision is (partly) a checkout on disk: its directory. Files are then read directly (worker threads read them themselves). */
  headRoot?: string;
  /** Which files under `headRoot` hold the head's content (default: all of them); the others are read through `readHead`. */
  headOnDisk?(path: string): boolean;
  /** Scan progress (files scanned so far, files listed), e.g. for a progress line; files are scanned only as they are reached. */
  onProgress?(done: number, total: number): void;
  /** Scan ahead on worker threads only when at least this many files are not cached (default 256). */
  workerThreshold?: number;
  /**
   * Base paths of files whose module's references will be asked for (`filesNaming`), e.g.
   * those the change removes from their path: the files are searched for the modules' names
   * (under the base's layout) on a worker thread while the graphs are built.
   */
  searchAhead?: string[];
  /**
   * Reads a file other than a Python one at the base revision (the layout's pyproject.toml,
   * setup.cfg, pytest.ini, tox.ini); default: the head's (`readHead`).
   */
  readBase?(path: string): Promise<Buffer | null>;
}
