/**
 * Where the scan cache lives, so that a pull request cannot touch it.
 *
 * - `cache_dir` from the configuration in force (the base revision's `pyproject.toml`, or the
 *   plugin's/CLI's options: a pull request cannot choose it), relative to the repository root
 *   unless absolute;
 * - else `$DJANGO_STARTUP_GUARD_CACHE_DIR` (a directory CI keeps between runs);
 * - else `$XDG_CACHE_HOME/django-startup-guard`, or `~/.cache/django-startup-guard`.
 *
 * A directory inside the repository is refused when git tracks anything under it, and any
 * cache directory is refused when it, or a directory between the repository root and it, is a
 * symbolic link (checked with lstat, component by component). Refused means not used, with a
 * reason the review reports. Entries are authenticated with a key kept outside the repository
 * (cache-key.ts): next to the cache directory, or in the user's configuration directory when the
 * cache directory is inside the repository.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ScanCache, defaultKeyFile } from "./cache";
import { CacheKey } from "./cache-key";
import { firstLines, runGit } from "../source/git-run";

export const CACHE_DIR_ENV = "DJANGO_STARTUP_GUARD_CACHE_DIR";

export interface OpenedCache {
  cache?: ScanCache;
  /** Why the cache is not used (a symbolic link, a tracked directory, no key), for the review's errors. */
  problem?: { where: string; message: string };
}

/** The default cache directory: outside any repository. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[CACHE_DIR_ENV];
  if (given !== undefined && given !== "") return path.resolve(given);
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "django-startup-guard");
}

function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".config"), "django-startup-guard");
}

/** The first of `dir` and the directories between `from` and it that is a symbolic link (or not a directory), or null. */
function linkOnTheWay(from: string, dir: string): string | null {
  const rel = path.relative(from, dir);
  let at = from;
  for (const part of rel === "" ? [] : rel.split(path.sep)) {
    at = path.join(at, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch {
      return null; // not there yet: created (as real directories) on first write
    }
    if (!st.isDirectory()) return at;
  }
  return null;
}

/**
 * Why a directory inside the repository must not hold the cache, as git says: it tracks files
 * in it, or git could not tell (then the cache is not trusted either); null when git says it
 * tracks nothing there, or the directory is in no git repository (no pull request can write it).
 */
async function trackedProblem(root: string, rel: string): Promise<string | null> {
  const r = await runGit(root, ["ls-files", "-z", "--", `:(literal)${rel}`]).catch((e: unknown) => e as Error);
  if (r instanceof Error) return `git could not be run to check whether it tracks files there (${firstLines(r.message, 1)})`;
  if (r.code === 0) return r.stdout !== "" ? "git tracks files in it, so a pull request could change it; use a directory outside the repository" : null;
  if (/not a git repository/i.test(r.stderr)) return null;
  return `git could not tell whether it tracks files there (${firstLines(r.stderr, 1) || `exit status ${r.code}`}), so a pull request might change it; use a directory outside the repository`;
}

/**
 * Opens the scan cache for a review of the repository at `repoRoot`, with `configured` the
 * configuration's `cache_dir` (null: the default location).
 */
export async function openScanCache(repoRoot: string, configured: string | null, env: NodeJS.ProcessEnv = process.env): Promise<OpenedCache> {
  const root = path.resolve(repoRoot);
  const dir = configured !== null ? path.resolve(root, configured) : defaultCacheDir(env);
  const rel = path.relative(root, dir);
  const inside = rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  const refuse = (why: string): OpenedCache => ({ problem: { where: "cache_dir", message: `the scan cache in ${dir} is not used: ${why}` } });
  if (rel === "") return refuse("it is the repository itself");
  // Inside the repository, every directory from its root down; outside, the cache directory itself.
  const link = inside ? linkOnTheWay(root, dir) : linkOnTheWay(path.dirname(dir), dir);
  if (link !== null) return refuse(`${link} is a symbolic link (or not a directory), which is never followed`);
  const problem = inside ? await trackedProblem(root, rel.split(path.sep).join("/")) : null;
  if (problem !== null) return refuse(problem);
  try {
    const key = CacheKey.load(inside ? path.join(configDir(env), "cache.key") : defaultKeyFile(dir), env);
    return { cache: new ScanCache(dir, { key, gitignore: inside }) };
  } catch (e) {
    return refuse(`its key could not be read or created (${(e as Error).message})`);
  }
}
