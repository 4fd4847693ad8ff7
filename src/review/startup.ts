/**
 * What `django.setup()` imports in a checkout, read alone (no change): the same steps as a
 * review (configuration, listing, scan cache, graphs), and the answers of `why MODULE`.
 * Knows nothing of the CLI: problems are returned as errors, never printed.
 */
import { closest } from "../config/suggest";
import type { ChainLink, ReviewError } from "../core/types";
import { ModuleIndex, namingDirs, type StartupGraph } from "../graph";
import { isStdlib } from "../python/stdlib";
import { SourceError } from "../source/errors";
import { openGitRepo } from "../source/git";
import { WorkingTreeReader } from "../source/worktree-reader";
import { configInForce, graphsFor, listHead } from "./steps";

export interface StartupInput {
  /** The checkout's directory. */
  repo: string;
  /** CLI options (validated strictly, merged over the checkout's pyproject table). */
  options?: unknown;
  optionsWhere?: string;
  /** Use the scan cache (default true). */
  cache?: boolean;
  /** Files scanned so far, of the Python files listed (they are scanned as setup reaches them). */
  onProgress?: (done: number, total: number) => void;
}

export interface Startup {
  graph: StartupGraph;
  /** The checkout's module names under the graph's source roots. */
  index: ModuleIndex;
  /** What was not read or used (the checkout's pyproject.toml, configuration errors, the scan cache), in the order met. */
  errors: ReviewError[];
}

/**
 * The checkout to read for a directory: the top of the git work tree holding it when `atTop`,
 * else the directory as given. A directory in no git work tree is read as a plain directory:
 * `notInGit` is then set (null when it simply is not in one, else the first line of git's reason).
 */
export async function checkoutOf(dir: string, atTop: boolean): Promise<{ dir: string; notInGit?: string | null }> {
  try {
    const top = (await openGitRepo(dir)).root;
    return { dir: atTop ? top : dir };
  } catch (e) {
    if (!(e instanceof SourceError)) throw e;
    return { dir, notInGit: e.kind === "not-a-repo" ? null : e.message.split("\n")[0] };
  }
}

/** The startup graph of a checkout: its own pyproject.toml is in force, under the options. */
export async function startupGraph(input: StartupInput): Promise<Startup> {
  const errors: ReviewError[] = [];
  const head = new WorkingTreeReader(input.repo);
  const listing = listHead(head);
  const { config } = await configInForce({ head, options: input.options, optionsWhere: input.optionsWhere }, errors);
  const { graphs, headFiles } = await graphsFor({ listing, config, cache: input.cache, onProgress: input.onProgress }, errors);
  graphs.persist();
  const graph = graphs.head;
  return { graph, index: new ModuleIndex(headFiles, graph.sourceRoots.map((r) => r.dir), namingDirs(graph.sourceRoots)), errors };
}

export type Kind = "first-party" | "stdlib" | "third-party";

export function kindOf(module: string, firstParty: boolean): Kind {
  return firstParty ? "first-party" : isStdlib(module) ? "stdlib" : "third-party";
}

/**
 * What `why` can say of a module the graph does not reach: in the repository, in the standard
 * library, or neither. `didYouMean` is a first-party module or one the graph reaches (never an
 * ancestor of the module: that is `package`, the closest package outside the repository that setup
 * imports, whose code the tool does not read; none when there is a name to suggest).
 */
export interface Whereabouts {
  kind: Kind | "not-in-repository";
  file: string | null;
  didYouMean: string | null;
  package: string | null;
}

function whereIs(module: string, head: Startup): Whereabouts {
  const g = head.graph;
  const entry = head.index.resolve(module);
  if (entry !== null) return { kind: "first-party", file: entry.file, didYouMean: null, package: null };
  let pkg: string | null = null;
  for (let p = module.lastIndexOf("."); p > 0 && pkg === null; p = module.lastIndexOf(".", p - 1)) {
    const up = module.slice(0, p);
    if (g.chainTo(up) !== null && head.index.resolve(up) === null) pkg = up;
  }
  if (isStdlib(module)) return { kind: "stdlib", file: null, didYouMean: null, package: pkg };
  const names = new Set<string>();
  for (const f of head.index.paths()) {
    const m = head.index.moduleOf(f);
    if (m !== null) names.add(m);
  }
  for (const m of g.modules()) names.add(m.name);
  const candidates = [...names].filter((n) => !module.startsWith(`${n}.`));
  const didYouMean = closest(module, candidates);
  return { kind: "not-in-repository", file: null, didYouMean, package: didYouMean === null ? pkg : null };
}

/** Why setup imports `module`: the chain to it (or to a module under it), else where it is instead. */
export function whyImported(module: string, head: Startup): { chain: ChainLink[] | null; found: Whereabouts | null } {
  const chain = head.graph.chainTo(module) ?? head.graph.chainToPrefix(module);
  return { chain, found: chain === null ? whereIs(module, head) : null };
}
