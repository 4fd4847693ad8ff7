/**
 * Where the code lives and which settings `django.setup()` reads, found the way the tools
 * that run the project find them, each answer with its reason:
 *
 * - source roots (the directories on `sys.path`, in order): `source_roots` from the
 *   configuration, which wins outright; else the directory of `manage.py` (running it puts
 *   that directory on `sys.path`), and the directory from which `wsgi.py`/`asgi.py` naming the
 *   same settings resolve them; `src/` (a directory of packages that is not one itself);
 *   setuptools' `package-dir` / `packages.find` `where` (pyproject.toml, setup.cfg, setup.py)
 *   and Poetry's / Hatch's package directories; pytest's `pythonpath` (pytest.ini,
 *   pyproject.toml, tox.ini, setup.cfg: the file pytest would use); a `conftest.py` at the top
 *   (pytest puts its directory on `sys.path`). With none of these: the repository root.
 *   The repository root comes last too when it holds packages no other root finds and the
 *   repository installs from there or names them (topPackagesRoot: reusable app + example_project/).
 *   The directories the used `manage.py` adds to `sys.path` itself (sys-path.ts; relative
 *   strings from its directory, where it is run) go before or after its own, as it adds them.
 *   (Edits in the modules setup runs are found while the graph is built: build.ts.)
 * - the settings module: `settings_module` from the configuration; else the first `manage.py`
 *   (shallowest first) whose `DJANGO_SETTINGS_MODULE` resolves from its directory, then
 *   `wsgi.py`, `asgi.py`, `celery.py`, then pytest-django's `DJANGO_SETTINGS_MODULE` / `--ds`,
 *   then test-running scripts (`runtests.py`).
 *   The other `manage.py` files and settings modules are listed in the notes.
 *
 * Nothing is executed: `manage.py` & co. are read for their literal `DJANGO_SETTINGS_MODULE`
 * (discover.ts), the configuration files for a few keys.
 */
import { parse } from "smol-toml";
import { iniList, iniMapping, parseIni, type Ini } from "../config/ini";
import { get } from "../config/pyproject";
import { TomlLocator } from "../config/toml-locate";
import type { Config } from "../config/types";
import type { PyFileFacts } from "../python/types";
import { discoverSettings, isScript, isSettingsSource, type Discovered } from "./discover";
import { normaliseRoot } from "../python/module-index";
import { pathsForModule } from "../python/modules";
import { readStatements } from "../python/statements";
import { sysPathEdits } from "./sys-path";

export interface SourceRoot {
  /** Repository-relative directory, `.` for the top. */
  dir: string;
  /** Why it is on `sys.path`, in plain words. */
  reason: string;
  /**
   * False for a directory that is itself a package under another root (a `sys.path` edit
   * adding a package's own directory): its modules are found under it too, but a file is
   * still named after the enclosing root (`openstack_dashboard.local`, not `local`).
   */
  names?: false;
}

export interface Layout {
  sourceRoots: SourceRoot[];
  /** The settings module and where it was found (`settings_module (configuration)`, `DJANGO_SETTINGS_MODULE at manage.py:4`...). */
  settings: { module: string; where: string } | null;
  /** What the reader chose among several answers, and what it could not use. */
  notes: string[];
}

export interface LayoutSource {
  /** The revision's Python files. */
  paths: readonly string[];
  /** Any file of the revision (null when absent): the configuration files are read through it. */
  read(path: string): Promise<Buffer | null>;
  facts(path: string): PyFileFacts | undefined;
  config: Pick<Config, "sourceRoots" | "settingsModule">;
}

/** The directories of `sys.path`, as `ModuleIndex` and `moduleForPath` take them. */
export function rootDirs(layout: Layout): string[] {
  return layout.sourceRoots.map((r) => r.dir);
}

/** The directories files are named under (`moduleForPath`): the roots but those with `names: false`. */
export function namingDirs(roots: readonly SourceRoot[]): string[] {
  return roots.filter((r) => r.names !== false).map((r) => r.dir);
}

/** A canonical text of a layout, for cache keys. */
export function layoutKey(layout: Layout): string {
  return JSON.stringify(layout);
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function within(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

function shown(dir: string): string {
  return dir === "" ? "." : dir;
}

/** A directory named in a configuration file, relative to that file's directory; null when it leaves the repository. */
function relativeDir(base: string, raw: string): string | null {
  if (raw.startsWith("/") || raw.includes("\\") || /^[A-Za-z]:/.test(raw)) return null;
  const parts = base === "" ? [] : base.split("/");
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

interface Toml {
  doc: unknown;
  line(path: string[]): string;
}

class LayoutReader {
  private readonly files: ReadonlySet<string>;
  /** Every directory holding a Python file (at any depth), `""` included when there is one. */
  readonly dirs: Set<string> = new Set();
  private readonly roots: SourceRoot[] = [];
  readonly notes: string[];
  /** How many directories were asked to be roots (added, already there or refused). */
  asked = 0;

  /** A reader of `src`; with `shared`, a second list of roots over the same files (and notes). */
  constructor(
    readonly src: LayoutSource,
    shared?: LayoutReader,
  ) {
    if (shared !== undefined) {
      this.files = shared.files;
      this.dirs = shared.dirs;
      this.notes = shared.notes;
      return;
    }
    this.notes = [];
    this.files = new Set(src.paths);
    for (const p of src.paths) {
      let d = p;
      do {
        d = dirOf(d);
        if (this.dirs.has(d)) break;
        this.dirs.add(d);
      } while (d !== "");
    }
  }

  /** Adds a root (once; the first reason stays); a directory without Python files is noted, not added. */
  add(dir: string, reason: string): void {
    this.asked++;
    if (this.roots.some((r) => normaliseRoot(r.dir) === dir)) return;
    if (!this.dirs.has(dir)) {
      this.notes.push(`${shown(dir)} is not used as a source root although ${reason}: it holds no Python files.`);
      return;
    }
    this.roots.push({ dir: shown(dir), reason });
  }

  resolvesFrom(module: string, dirs: readonly string[]): boolean {
    return pathsForModule(module, dirs.map(shown)).some((p) => this.files.has(p));
  }

  /** The nearest directory, from `dir` up, from which `module` resolves. */
  ancestorResolving(module: string, dir: string): string | null {
    for (let d = dir; ; d = dirOf(d)) {
      if (this.resolvesFrom(module, [d])) return d;
      if (d === "") return null;
    }
  }

  /** Every directory from which `module` resolves (for a settings module found nowhere else). */
  everyDirResolving(module: string): string[] {
    const rel = module.split(".").join("/");
    const out = new Set<string>();
    for (const p of this.files) {
      for (const tail of [`${rel}.py`, `${rel}/__init__.py`]) {
        if (p === tail) out.add("");
        else if (p.endsWith(`/${tail}`)) out.add(p.slice(0, p.length - tail.length - 1));
      }
    }
    return [...out].sort();
  }

  get result(): SourceRoot[] {
    return this.roots;
  }

  async text(path: string): Promise<string | null> {
    try {
      return (await this.src.read(path))?.toString("utf8") ?? null;
    } catch {
      return null;
    }
  }

  async toml(path: string): Promise<Toml | null> {
    const text = await this.text(path);
    if (text === null) return null;
    try {
      const doc = parse(text);
      const locator = new TomlLocator(text);
      return { doc, line: (p) => `${path}:${locator.lineOf(p) ?? 1}` };
    } catch {
      this.notes.push(`${path} is not valid TOML; its package and pytest settings are not read for the layout.`);
      return null;
    }
  }

  async ini(path: string): Promise<Ini | null> {
    const text = await this.text(path);
    return text === null ? null : parseIni(text);
  }
}

/** Directories setuptools, Poetry and Hatch install packages from (pyproject.toml, setup.cfg, setup.py at the top). */
async function packagingRoots(r: LayoutReader): Promise<void> {
  const pyproject = await r.toml("pyproject.toml");
  if (pyproject !== null) {
    const { doc, line } = pyproject;
    const packageDir = get(doc, ["tool", "setuptools", "package-dir"]);
    if (typeof packageDir === "object" && packageDir !== null && !Array.isArray(packageDir)) {
      const at = line(["tool", "setuptools", "package-dir"]);
      packageDirRoots(r, new Map(Object.entries(packageDir).filter((e): e is [string, string] => typeof e[1] === "string")), `package-dir in ${at} ([tool.setuptools])`);
    }
    for (const w of strings(get(doc, ["tool", "setuptools", "packages", "find", "where"]))) {
      addDir(r, "", w, `packages.find where in ${line(["tool", "setuptools", "packages", "find", "where"])} ([tool.setuptools])`);
    }
    const poetry = get(doc, ["tool", "poetry", "packages"]);
    if (Array.isArray(poetry)) {
      for (const p of poetry) {
        const from = get(p, ["from"]);
        if (typeof from === "string") addDir(r, "", from, `packages "from" in ${line(["tool", "poetry", "packages"])} ([tool.poetry])`);
      }
    }
    for (const p of strings(get(doc, ["tool", "hatch", "build", "targets", "wheel", "packages"]))) {
      const dir = relativeDir("", p);
      if (dir !== null && dir.includes("/")) addDir(r, "", dirOf(dir), `packages in ${line(["tool", "hatch", "build", "targets", "wheel", "packages"])} ([tool.hatch.build.targets.wheel])`);
    }
  }
  const cfg = await r.ini("setup.cfg");
  const pd = cfg?.get("options")?.get("package_dir");
  if (pd !== undefined) packageDirRoots(r, iniMapping(pd.value.includes("=") ? pd.value : `=${pd.value}`), `package_dir in setup.cfg:${pd.line} ([options])`);
  const where = cfg?.get("options.packages.find")?.get("where");
  if (where !== undefined) for (const w of iniList(where.value)) addDir(r, "", w, `where in setup.cfg:${where.line} ([options.packages.find])`);
  const setupPy = r.src.paths.includes("setup.py") ? await r.text("setup.py") : null;
  if (setupPy !== null) {
    for (const m of setupPy.matchAll(/package_dir\s*=\s*\{\s*(['"])\1\s*:\s*(['"])([^'"\\\n]+)\2|find_(?:namespace_)?packages\(\s*(?:where\s*=\s*)?(['"])([^'"\\\n]+)\4/g)) {
      const lineNo = setupPy.slice(0, m.index).split("\n").length;
      addDir(r, "", m[3] ?? m[5], `${m[3] !== undefined ? "package_dir" : "find_packages"} in setup.py:${lineNo}`);
    }
  }
}

/** `package-dir`: `"" = "src"` makes `src` a root; `"pkg" = "lib/pkg"` makes `lib` one. */
function packageDirRoots(r: LayoutReader, mapping: Map<string, string>, reason: string): void {
  for (const [pkg, dir] of mapping) {
    if (pkg === "") addDir(r, "", dir, reason);
    else {
      const tail = `/${pkg.split(".").join("/")}`;
      const d = relativeDir("", dir);
      if (d !== null && d.endsWith(tail)) addDir(r, "", d.slice(0, -tail.length), reason);
      else if (d !== null && d !== pkg.split(".").join("/")) r.notes.push(`${reason} maps package ${pkg} to ${dir}, which is not its name under a directory; modules there are not mapped (set source_roots).`);
    }
  }
}

function addDir(r: LayoutReader, base: string, raw: string, reason: string): void {
  const dir = relativeDir(base, raw);
  if (dir === null) r.notes.push(`${reason} names ${raw}, outside the repository; not used.`);
  else r.add(dir, reason);
}

/** Whether the top of the repository is a distribution pip can install (`pip install -e .`), and the file saying so. */
async function installableFrom(r: LayoutReader): Promise<string | null> {
  if (r.src.paths.includes("setup.py")) return "setup.py";
  const pyproject = await r.toml("pyproject.toml");
  for (const table of ["build-system", "project"]) if (pyproject !== null && get(pyproject.doc, [table]) !== undefined) return `${pyproject.line([table])} ([${table}])`;
  const cfg = await r.ini("setup.cfg");
  for (const section of ["metadata", "options"]) if (cfg?.has(section)) return `setup.cfg ([${section}])`;
  return null;
}

const TOP_PACKAGE = /^([A-Za-z_][A-Za-z0-9_]*)\/__init__\.py$/;

/**
 * The top of the repository as the last source root when it holds packages (`pkg/__init__.py`)
 * that no inferred root finds: the reusable-app shape, the app at the top and its Django project in
 * `example_project/`. The app is importable in real life because it is installed from the checkout
 * (`pip install -e .`) or the tests run from the top; so the top is a root when the repository is
 * installable from there (setup.py, pyproject.toml's [build-system] / [project], setup.cfg's
 * [metadata] / [options]) and its packaging does not name another directory, or when the settings
 * module names such a package (INSTALLED_APPS) or a file outside it imports it.
 */
async function topPackagesRoot(r: LayoutReader, settings: Layout["settings"], packagingNamesDir: boolean): Promise<void> {
  const roots = r.result.map((x) => normaliseRoot(x.dir));
  if (roots.includes("")) return;
  const packages = r.src.paths
    .map((p) => TOP_PACKAGE.exec(p)?.[1])
    .filter((name): name is string => name !== undefined && !roots.includes(name) && !r.resolvesFrom(name, roots));
  if (packages.length === 0) return;
  const listed = `${packages.length === 1 ? "package" : "packages"} ${packages.slice(0, 5).join(", ")}${packages.length > 5 ? ` and ${packages.length - 5} more` : ""}`;
  const why = `the repository's top directory, after the inferred roots: it holds ${listed} that they do not find, `;
  const installable = packagingNamesDir ? null : await installableFrom(r);
  if (installable !== null) {
    r.add("", `${why}and the repository installs from there (${installable}; pip install -e . or running the tests from the top makes them importable)`);
    return;
  }
  const names = new Set(packages);
  // The settings module naming one (INSTALLED_APPS = ["app"]), then an import from a file outside the package.
  const settingsFiles = settings === null ? [] : r.src.paths.filter((p) => pathsForModule(settings.module, roots.map(shown)).includes(p));
  for (const file of settingsFiles) {
    const text = (await r.text(file)) ?? "";
    for (const m of text.matchAll(/(['"])([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_.]*)?\1/g)) {
      if (!names.has(m[2])) continue;
      const line = text.slice(0, m.index).split("\n").length;
      r.add("", `${why}and the settings name ${m[2]} at ${file}:${line} (installed from the checkout or run from the top in real life)`);
      return;
    }
  }
  for (const file of r.src.paths) {
    for (const imp of r.src.facts(file)?.imports ?? []) {
      const top = imp.module.split(".")[0];
      if (imp.level !== 0 || !names.has(top) || file.startsWith(`${top}/`)) continue;
      r.add("", `${why}and ${file}:${imp.line} imports ${top} (installed from the checkout or run from the top in real life)`);
      return;
    }
  }
}

interface PytestConfig {
  /** The file pytest would read, and its directory (pytest's rootdir). */
  file: string;
  dir: string;
  pythonpath: { value: string[]; where: string } | null;
  settings: { module: string; where: string } | null;
}

const DS_OPTION = /(?:^|\s)--ds(?:=|\s+)([A-Za-z_][A-Za-z0-9_.]*)/;

/** The configuration pytest would use in `dir`, in pytest's order: pytest.ini, .pytest.ini, pyproject.toml, tox.ini, setup.cfg. */
async function pytestConfig(r: LayoutReader, dir: string): Promise<PytestConfig | null> {
  const fromIni = (file: string, ini: Ini, section: string): PytestConfig => {
    const s = ini.get(section);
    const pp = s?.get("pythonpath");
    const dsm = s?.get("DJANGO_SETTINGS_MODULE");
    const ds = s?.get("addopts");
    const dsMatch = ds === undefined ? null : DS_OPTION.exec(ds.value.replace(/\n/g, " "));
    return {
      file,
      dir,
      pythonpath: pp === undefined ? null : { value: iniList(pp.value), where: `${file}:${pp.line}` },
      settings: dsMatch !== null && ds !== undefined ? { module: dsMatch[1], where: `--ds in addopts, ${file}:${ds.line}` } : dsm !== undefined ? { module: dsm.value, where: `DJANGO_SETTINGS_MODULE in ${file}:${dsm.line}` } : null,
    };
  };
  for (const name of ["pytest.ini", ".pytest.ini"]) {
    const ini = await r.ini(within(dir, name));
    if (ini !== null) return fromIni(within(dir, name), ini, "pytest");
  }
  const pyproject = await r.toml(within(dir, "pyproject.toml"));
  const opts = pyproject === null ? undefined : get(pyproject.doc, ["tool", "pytest", "ini_options"]);
  if (pyproject !== null && opts !== undefined) {
    const file = within(dir, "pyproject.toml");
    const key = (k: string): string[] => ["tool", "pytest", "ini_options", k];
    const pp = get(opts, ["pythonpath"]);
    const dsm = get(opts, ["DJANGO_SETTINGS_MODULE"]);
    const ds = DS_OPTION.exec(strings(get(opts, ["addopts"])).join(" "));
    return {
      file,
      dir,
      pythonpath: pp === undefined ? null : { value: strings(pp).flatMap(iniList), where: pyproject.line(key("pythonpath")) },
      settings: ds !== null ? { module: ds[1], where: `--ds in addopts, ${pyproject.line(key("addopts"))}` } : typeof dsm === "string" ? { module: dsm, where: `DJANGO_SETTINGS_MODULE in ${pyproject.line(key("DJANGO_SETTINGS_MODULE"))}` } : null,
    };
  }
  for (const [name, section] of [
    ["tox.ini", "pytest"],
    ["setup.cfg", "tool:pytest"],
  ]) {
    const ini = await r.ini(within(dir, name));
    if (ini?.has(section)) return fromIni(within(dir, name), ini, section);
  }
  return null;
}

interface Candidate {
  module: string;
  where: string;
  file: string;
  /** The directory this candidate puts on `sys.path` when it is the one used, and why. */
  root: { dir: string; reason: string } | null;
  /** Directories its own `sys.path` edits put before and after that one (manage.py). */
  edits?: { front: SourceRoot[]; back: SourceRoot[] };
}

/**
 * The directories of the repository a manage.py adds to `sys.path` itself (anywhere in the
 * file: its `main()` runs), relative strings taken from its directory (where it is run).
 */
async function entryEdits(r: LayoutReader, file: string): Promise<{ front: SourceRoot[]; back: SourceRoot[] }> {
  const out = { front: [] as SourceRoot[], back: [] as SourceRoot[] };
  const bytes = await r.src.read(file).catch(() => null);
  if (bytes === null || !bytes.includes("sys") ) return out;
  for (const e of sysPathEdits(file, readStatements(bytes), { cwd: dirOf(file), select: () => true })) {
    if (typeof e.dir !== "string") continue;
    (e.front ? out.front : out.back).push({ dir: e.dir, reason: `${e.how} at ${e.where} (running ${file} puts that directory on sys.path)` });
  }
  return out;
}

export async function inferLayout(src: LayoutSource): Promise<Layout> {
  const r = new LayoutReader(src);
  const { config } = src;
  const explicitRoots = config.sourceRoots !== null && config.sourceRoots.length > 0 ? config.sourceRoots : null;
  const explicitSettings = config.settingsModule;
  const entryFiles = src.paths.filter(isSettingsSource);
  const manages = entryFiles.filter((p) => /(^|\/)manage\.py$/.test(p)).sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));

  // Roots that do not depend on the settings: src/, packaging, pytest, conftest.py.
  const staticRoots = new LayoutReader(src, r);
  if (explicitRoots === null) {
    if (!src.paths.includes("src/__init__.py") && src.paths.some((p) => p.startsWith("src/"))) {
      staticRoots.add("src", "src/ layout: src/ holds the packages and is not a package itself");
    }
  }
  // Packaging naming its own directory (package-dir, where): the packages at the top are not what it installs.
  const beforePackaging = staticRoots.asked + staticRoots.notes.length;
  if (explicitRoots === null) await packagingRoots(staticRoots);
  const packagingNamesDir = staticRoots.asked + staticRoots.notes.length > beforePackaging;
  let pytest: PytestConfig | null = null;
  // pytest's configuration: at the top, else next to a manage.py (the first few: a monorepo may hold many).
  for (const dir of ["", ...manages.slice(0, 8).map(dirOf)]) {
    pytest = await pytestConfig(r, dir);
    if (pytest !== null) break;
  }
  if (explicitRoots === null && pytest?.pythonpath) {
    for (const p of pytest.pythonpath.value) addDir(staticRoots, pytest.dir, p, `pythonpath in ${pytest.pythonpath.where} (pytest puts it on sys.path)`);
  }
  if (explicitRoots === null && src.paths.includes("conftest.py") && !src.paths.includes("__init__.py")) {
    staticRoots.add("", "conftest.py at the top of the repository (pytest puts its directory on sys.path)");
  }
  const staticDirs = staticRoots.result.map((x) => normaliseRoot(x.dir));

  // The settings module, and the directory the entry point that names it puts on sys.path.
  const found: Discovered[] = explicitSettings === null ? await discoverSettings({ paths: entryFiles, read: (p) => src.read(p), facts: (p) => src.facts(p) }) : [];
  const candidates: Candidate[] = [];
  const isManage = (file: string): boolean => /(^|\/)manage\.py$/.test(file);
  const literal = (d: Discovered): Candidate => ({ module: d.module, file: d.file, where: `DJANGO_SETTINGS_MODULE at ${d.where}`, root: null });
  for (const m of manages) {
    const named = explicitSettings === null ? found.filter((d) => d.file === m).map(literal) : [{ module: explicitSettings, where: "settings_module (configuration)", file: m, root: null }];
    const root = { dir: dirOf(m), reason: `the directory of ${m} (running it puts that directory on sys.path)` };
    const edits = named.length > 0 && explicitRoots === null ? await entryEdits(r, m) : undefined;
    for (const c of named) candidates.push({ ...c, root, edits });
  }
  const fromFile = (d: Discovered): Candidate => {
    const dir = r.ancestorResolving(d.module, dirOf(d.file));
    return { ...literal(d), root: dir === null ? null : { dir, reason: `the directory from which ${d.file}'s DJANGO_SETTINGS_MODULE (${d.module}) resolves` } };
  };
  for (const d of found) if (!isManage(d.file) && !isScript(d.file)) candidates.push(fromFile(d));
  if (pytest?.settings && explicitSettings === null) {
    const reason = `pytest's rootdir (${pytest.file}), from which its DJANGO_SETTINGS_MODULE resolves`;
    candidates.push({ ...pytest.settings, file: pytest.file, root: r.resolvesFrom(pytest.settings.module, staticDirs) ? null : { dir: pytest.dir, reason } });
  }
  // Test-running scripts (runtests.py) last: they are run from their directory, which python puts on sys.path.
  for (const d of found) if (isScript(d.file)) candidates.push(fromFile(d));
  const rootsFor = (c: Candidate): string[] =>
    explicitRoots ?? [...(c.edits?.front ?? []).map((x) => x.dir), ...(c.root === null ? [] : [c.root.dir]), ...(c.edits?.back ?? []).map((x) => x.dir), ...staticDirs];
  const resolves = (c: Candidate): boolean => r.resolvesFrom(c.module, rootsFor(c));
  const chosen = candidates.find(resolves) ?? null;
  const first = chosen ?? candidates[0] ?? null;
  const settings: Layout["settings"] = explicitSettings !== null ? { module: explicitSettings, where: "settings_module (configuration)" } : first && { module: first.module, where: first.where };
  // The entry point in use: the one whose settings resolve, else the first manage.py (Django puts its directory on sys.path all the same).
  const used = chosen ?? candidates.find((c) => isManage(c.file)) ?? null;

  if (explicitRoots !== null) {
    // Taken as given, even a directory without Python files (nothing is then found under it, and the graph says so).
    for (const dir of explicitRoots) r.result.push({ dir: shown(normaliseRoot(dir)), reason: "source_roots (configuration)" });
  } else {
    for (const x of used?.edits?.front ?? []) r.add(x.dir, x.reason);
    if (used?.root) r.add(used.root.dir, used.root.reason);
    for (const x of used?.edits?.back ?? []) r.add(x.dir, x.reason);
    // wsgi.py / asgi.py naming the same settings: where they resolve them from is on sys.path when they run.
    for (const d of found) {
      if (settings === null || d.module !== settings.module || !/(^|\/)[wa]sgi\.py$/.test(d.file)) continue;
      const dir = r.ancestorResolving(d.module, dirOf(d.file));
      if (dir !== null) r.add(dir, `the directory from which ${d.file}'s DJANGO_SETTINGS_MODULE (${d.module}) resolves`);
    }
    for (const s of staticRoots.result) r.add(normaliseRoot(s.dir), s.reason);
    if (settings !== null && !r.resolvesFrom(settings.module, r.result.map((x) => normaliseRoot(x.dir)))) {
      const dirs = r.everyDirResolving(settings.module);
      if (dirs.length === 1) r.add(dirs[0], `the only directory from which the settings module ${settings.module} (${settings.where}) resolves`);
    }
  }
  if (explicitRoots === null && r.result.length > 0) await topPackagesRoot(r, settings, packagingNamesDir);
  if (r.result.length === 0) {
    const why = r.dirs.has("") ? "no manage.py, src/, package directory or pytest pythonpath says otherwise" : "it holds no Python files";
    r.result.push({ dir: ".", reason: `the repository's top directory (${why})` });
  }

  // The other answers, so a reader can tell the tool which one they meant.
  const otherManage = candidates.filter((c) => isManage(c.file) && c.file !== used?.file);
  if (otherManage.length > 0) {
    const what = (c: Candidate): string => `${c.file} (${c.module}, ${resolves(c) ? "found" : `not found from ${shown(c.root?.dir ?? "")}`})`;
    const listed = otherManage.length > 10 ? `${otherManage.slice(0, 10).map(what).join(", ")} and ${otherManage.length - 10} more` : otherManage.map(what).join(", ");
    r.notes.push(`Other manage.py files: ${listed}; the graph uses ${used?.file ?? "none of them"}. Set settings_module (and source_roots) to choose another.`);
  }
  const otherNamed = candidates.filter((c, i) => !isManage(c.file) && c.module !== settings?.module && candidates.findIndex((o) => o.module === c.module) === i);
  if (otherNamed.length > 0 && settings !== null) {
    r.notes.push(`Other settings modules are named too (${otherNamed.map((o) => `${o.module} at ${o.where.replace(/^DJANGO_SETTINGS_MODULE at /, "")}`).join(", ")}); the graph uses ${settings.module}. Set settings_module to choose.`);
  }
  return { sourceRoots: r.result, settings, notes: r.notes };
}
