/**
 * Finding `DJANGO_SETTINGS_MODULE` without running anything: the literal that `manage.py`,
 * `wsgi.py`, `asgi.py`, `celery.py` or a test-running script (`runtests.py`) give to `os.environ.setdefault(...)` (or assign to
 * `os.environ[...]`). A value must also be a string the scanner saw in code (not in a
 * comment or docstring) when it is dotted.
 */
import type { PyFileFacts } from "../python/types";

export const ENTRY_FILES = ["manage.py", "wsgi.py", "asgi.py", "celery.py"];
/**
 * Scripts that set `DJANGO_SETTINGS_MODULE` before running the tests or commands (`runtests.py`,
 * `run_tests.py`, `tests/runtests.py`, a `*_manage.py`), at any depth: trusted after the entry files
 * (and after pytest's configuration, layout.ts).
 */
export const SCRIPT_FILE = /^(?:run_?tests?|.+[_-]manage)\.py$/i;

/** `manage.py`, `wsgi.py`, `asgi.py`, `celery.py` or a test-running script, at any depth. */
export function isSettingsSource(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return ENTRY_FILES.includes(base) || SCRIPT_FILE.test(base);
}

/** A test-running script (not one of ENTRY_FILES). */
export function isScript(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return !ENTRY_FILES.includes(base) && SCRIPT_FILE.test(base);
}
const SETTING = /DJANGO_SETTINGS_MODULE['"]\s*(?:,|\]\s*=)\s*[rRuU]?(['"])([A-Za-z_][A-Za-z0-9_.]*)\1/g;

export interface Discovered {
  module: string;
  /** The file naming it. */
  file: string;
  /** `file:line` of the literal. */
  where: string;
}

export interface DiscoverSource {
  paths: Iterable<string>;
  read(path: string): Promise<Buffer | null>;
  facts(path: string): PyFileFacts | undefined;
}

function rank(path: string): [number, number] {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const kind = ENTRY_FILES.indexOf(base);
  return [kind < 0 ? ENTRY_FILES.length : kind, path.split("/").length];
}

/** Every settings module named by the entry-point files (each file's own, once), most trusted first. */
export async function discoverSettings(src: DiscoverSource): Promise<Discovered[]> {
  const files = [...src.paths].filter(isSettingsSource);
  files.sort((a, b) => {
    const [ka, da] = rank(a);
    const [kb, db] = rank(b);
    return ka - kb || da - db || (a < b ? -1 : a > b ? 1 : 0);
  });
  const out: Discovered[] = [];
  for (const file of files) {
    const bytes = await src.read(file);
    if (bytes === null) continue;
    const text = bytes.toString("utf8");
    const facts = src.facts(file);
    for (const m of text.matchAll(SETTING)) {
      const at = m.index ?? 0;
      const lineStart = text.lastIndexOf("\n", at) + 1;
      if (text.slice(lineStart, at).includes("#")) continue;
      const value = m[2];
      const line = text.slice(0, at).split("\n").length;
      if (value.includes(".") && facts && !facts.dottedStrings.some((d) => d.value === value)) continue;
      if (!out.some((d) => d.module === value && d.file === file)) out.push({ module: value, file, where: `${file}:${line}` });
    }
  }
  return out;
}
