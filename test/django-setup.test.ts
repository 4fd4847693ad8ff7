/**
 * Proof against CPython: for each fixture project, the startup graph's first-party modules
 * must include every module `django.setup()` really imports (Debian's /usr/bin/python3 with
 * python3-django), and every extra module must be one the static reading cannot rule out,
 * each explained below. Chains must be shortest, and each link's line must be the import
 * statement that creates the edge.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultConfig, type Config } from "../src/review/config";
import { listPythonFiles } from "../src/source/files";
import { buildGraphs, type StartupGraph } from "../src/graph";
import { ReachedGraph } from "../src/graph/startup-graph";
import { diff, djangoSetup, requirePython, type Setup } from "./helpers/django-setup";

const FIXTURES = path.join(__dirname, "fixtures-graph");
const VENDOR = path.join(FIXTURES, "_vendor");

/** setup() of a fixture project whose source root is `pyRoot`. */
function fixtureSetup(pyRoot: string, settings: string, extraPath: string[] = [], firstRequest = false): Setup {
  return djangoSetup({ settings, firstParty: [[pyRoot, ""]], path: [pyRoot, ...extraPath], cwd: pyRoot, firstRequest });
}

async function graphOf(repo: string, config: Partial<Config> = {}): Promise<StartupGraph> {
  const files = listPythonFiles(repo);
  const { head } = await buildGraphs({
    headFiles: files,
    readHead: async (p) => fs.readFileSync(path.join(repo, p)),
    baseOverrides: new Map(),
    config: { ...defaultConfig(), ...config },
  });
  return head;
}

function firstPartyNames(g: StartupGraph): Set<string> {
  return new Set(g.modules().filter((m) => m.firstParty).map((m) => m.name));
}

/** Every chain starts at a root, is a shortest chain, and each line is the import creating the edge. */
function checkChains(g: StartupGraph, repo: string): void {
  const rootNames = new Set(g.roots.map((r) => r.module));
  const lines = new Map<string, string[]>();
  const text = (file: string) => {
    let l = lines.get(file);
    if (l === undefined) lines.set(file, (l = fs.readFileSync(path.join(repo, file), "utf8").split("\n")));
    return l;
  };
  for (const m of g.modules()) {
    const chain = m.chain;
    expect(chain[chain.length - 1].module).toBe(m.name);
    expect(rootNames.has(chain[0].module)).toBe(true);
    expect(chain[0].line).toBeNull();
    chain.forEach((link, i) => {
      // Shortest: every prefix of a chain is the shortest chain to its last module.
      expect(g.chainTo(link.module)?.length).toBe(i + 1);
      if (i === 0) return;
      const prev = chain[i - 1];
      expect(prev.file).not.toBeNull();
      const stmt = text(prev.file as string).slice((link.line as number) - 1, (link.line as number) + 2).join(" ");
      expect(stmt).toMatch(/\bimport\b|import_module\(|__import__\(/);
      const last = link.module.slice(link.module.lastIndexOf(".") + 1);
      // The statement names the module (or its last part, for relative and from-imports),
      // or is a star import (which imports the submodules `__all__` names).
      if (!stmt.includes(last) && !/import \*/.test(stmt)) throw new Error(`${prev.file}:${link.line} does not import ${link.module}: ${stmt}`);
    });
  }
}

beforeAll(() => requirePython(["django"], ["python3-django"]));

describe("shop: settings package, apps, models packages, lazy and eager packages", () => {
  const repo = path.join(FIXTURES, "shop");
  let graph: StartupGraph;
  let real: Setup;
  beforeAll(async () => {
    graph = await graphOf(repo);
    real = fixtureSetup(repo, "shop_site.settings.dev", [VENDOR], true);
  });

  it("finds the settings module from manage.py", () => {
    expect(graph.settingsModule).toBe("shop_site.settings.dev");
    expect(graph.roots.find((r) => r.module === "shop_site.settings.dev")?.reason).toBe("settings module (DJANGO_SETTINGS_MODULE at manage.py:7)");
    expect(graph.unresolved.filter((u) => u.phase !== "first-request")).toEqual([]);
  });

  it("follows the first request: ROOT_URLCONF and what it imports, include() strings too, as Django's resolver does", () => {
    expect(graph.firstRequest).toEqual({ module: "shop_site.urls", reason: "ROOT_URLCONF at shop_site/settings/base.py:14" });
    const only = graph.firstRequestModules().filter((m) => m.firstParty);
    expect(only.map((m) => m.name).sort()).toEqual([...(real.firstRequest as Map<string, string | null>).keys()].sort());
    for (const m of only) expect(m.file).toBe(real.firstRequest?.get(m.name));
    // Reached by setup, only by the first request, or never; setup's queries do not see the second phase.
    expect(graph.reachedBy("catalog.search_index")).toEqual({
      phase: "first-request",
      chain: [
        { module: "shop_site.urls", file: "shop_site/urls.py", line: null },
        { module: "catalog.urls", file: "catalog/urls.py", line: 9 },
        { module: "catalog.search_index", file: "catalog/search_index.py", line: 2 },
      ],
    });
    expect(graph.chainTo("catalog.search_index")).toBeNull();
    expect(graph.reachedBy("orders.choices")?.phase).toBe("setup");
    expect(graph.reachedBy("catalog.reports")).toBeNull();
    expect(graph.chainTo("fakeheavy.stats")).toBeNull();
    expect(graph.reachedBy("fakeheavy.stats")?.phase).toBe("first-request");
    // A stored graph (the cache) answers the same.
    const stored = ReachedGraph.fromJSON(JSON.parse(JSON.stringify((graph as ReachedGraph).toJSON()))) as ReachedGraph;
    expect(stored.firstRequest).toEqual(graph.firstRequest);
    expect(stored.firstRequestModules()).toEqual(graph.firstRequestModules());
    expect(stored.modules()).toEqual(graph.modules());
    expect(stored.chainTo("catalog.search_index")).toBeNull();
    expect(stored.dominatedCount("orders.temporal")).toBe(3);
    // A computed include() is named, file:line, as the first request's.
    expect(graph.unresolved.filter((u) => u.phase === "first-request")).toEqual([
      {
        what: 'include(f"{name}.urls")',
        where: "shop_site/urls.py:16",
        why: "the URLconf module include() imports is computed at run time; what it imports is not followed",
        phase: "first-request",
      },
    ]);
  });

  it("misses no module django.setup() imports", () => {
    expect(diff(new Set(real.firstParty.keys()), firstPartyNames(graph))).toEqual([]);
  });

  it("adds only modules the static reading cannot rule out", () => {
    expect(diff(firstPartyNames(graph), real.firstParty.keys())).toEqual([
      // catalog/pricing.py: `try: import fakeheavy.fast` / `except ImportError: from . import
      // slowpricing`. The fallback runs only if the import fails; statically both branches
      // count (section 3: an except ImportError body executes at import, conditionally).
      "catalog.slowpricing",
    ]);
  });

  it("agrees on files, including the namespace package", () => {
    for (const m of graph.modules().filter((x) => x.firstParty && real.firstParty.has(x.name))) {
      expect([m.name, m.file]).toEqual([m.name, real.firstParty.get(m.name)]);
    }
    expect(graph.modules().find((m) => m.name === "plugins")).toMatchObject({ firstParty: true, file: null });
  });

  it("reaches the heavy third-party package exactly as CPython does", () => {
    expect(real.all.has("fakeheavy")).toBe(true);
    expect(graph.chainToPrefix("fakeheavy")).toEqual([
      { module: "billing.models", file: "billing/models.py", line: null },
      { module: "fakeheavy", file: null, line: 3 },
    ]);
    // Deferred (function bodies), URLconf, tasks, migrations, management commands: not at setup.
    for (const m of ["fakeheavy.stats", "fakeheavy.tasks"]) {
      expect(real.all.has(m)).toBe(false);
      expect(graph.chainTo(m)).toBeNull();
    }
    expect(graph.chainTo("fakeheavy.fast")).not.toBeNull();
  });

  it("gives shortest chains whose lines are the imports", () => {
    checkChains(graph, repo);
    expect(graph.chainTo("orders.temporal.workflows.checkout")).toEqual([
      { module: "orders.models", file: "orders/models.py", line: null },
      { module: "orders.temporal", file: "orders/temporal/__init__.py", line: 7 },
      { module: "orders.temporal.workflows.checkout", file: "orders/temporal/workflows/checkout.py", line: 1 },
    ]);
    expect(graph.chainTo("catalog.signals")).toEqual([
      { module: "catalog.apps", file: "catalog/apps.py", line: null },
      { module: "catalog.signals", file: "catalog/signals.py", line: 10 },
    ]);
    expect(graph.chainTo("notify.backends")).toEqual([
      { module: "notify.apps", file: "notify/apps.py", line: null },
      { module: "notify.base_config", file: "notify/base_config.py", line: 1 },
      { module: "notify.backends", file: "notify/backends.py", line: 12 },
    ]);
    expect(graph.chainTo("shop_site.logging_handlers")?.[0].line).toBeNull();
  });

  it("records the from-import answered by a package __getattr__", () => {
    expect(graph.lazy).toEqual([{ package: "lazyreports", name: "pdf", where: "lazyreports/models.py:2" }]);
    expect(graph.chainTo("lazyreports.charts")).toBeNull();
  });

  it("counts what a subsystem alone brings in", () => {
    // orders.temporal alone brings workflows, workflows.checkout and workflows.refund.
    expect(graph.dominatedCount("orders.temporal")).toBe(3);
    expect(graph.dominatedCount("catalog.models.category")).toBe(1); // catalog.units
    expect(graph.dominatedCount("not.imported")).toBe(0);
  });
});

describe("blog: src/ layout, INSTALLED_APPS from a function call, SimpleAdminConfig", () => {
  const repo = path.join(FIXTURES, "blog");
  let graph: StartupGraph;
  let real: Setup;
  beforeAll(async () => {
    graph = await graphOf(repo, { sourceRoots: ["src"] });
    real = fixtureSetup(path.join(repo, "src"), "blog_site.settings");
  });

  it("says what it could not read and what it did instead", () => {
    expect(graph.settingsModule).toBe("blog_site.settings");
    expect(graph.unresolved).toEqual([
      { what: "INSTALLED_APPS", where: "src/blog_site/settings.py:15", why: "the value comes from a call to get_apps()" },
    ]);
    expect(graph.notes).toEqual([
      "INSTALLED_APPS could not be read statically, so every package with an apps.py defining an AppConfig subclass is taken as installed (3 found, each marked guessed).",
    ]);
  });

  it("misses no module django.setup() imports", () => {
    expect(diff(new Set(real.firstParty.keys()), firstPartyNames(graph))).toEqual([]);
  });

  it("adds only the app the fallback cannot tell is not installed", () => {
    expect(diff(firstPartyNames(graph), real.firstParty.keys())).toEqual([
      // get_apps() leaves drafts out, but the fallback installs every package with an
      // AppConfig in apps.py: its package, apps and models modules.
      "drafts",
      "drafts.apps",
      "drafts.models",
    ]);
    // SimpleAdminConfig (and an unreadable INSTALLED_APPS) means no admin autodiscovery.
    expect(graph.chainTo("posts.admin")).toBeNull();
    checkChains(graph, repo);
  });
});
