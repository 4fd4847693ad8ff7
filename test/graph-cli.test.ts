/** `django-startup-guard startup` and `why`: output shapes, plain answers, usage errors. */
import * as fs from "node:fs";
import * as path from "node:path";
import { startupCommand, whyCommand } from "../src/cli/startup";
import { cleanupRepos, makeRepo, tempDir } from "./helpers/git-repo";

afterAll(cleanupRepos);

const SHOP = path.join(__dirname, "fixtures-graph", "shop");

async function run(cmd: typeof startupCommand, argv: string[], isTTY = false): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await cmd(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY });
  return { code, out, err };
}

describe("startup", () => {
  it("prints settings, roots, every module with its chain, and unresolved, as JSON", async () => {
    const { code, out, err } = await run(startupCommand, ["--repo", SHOP, "--format", "json", "--no-cache"]);
    expect([code, err]).toEqual([0, ""]);
    const json = JSON.parse(out);
    expect(Object.keys(json)).toEqual(["settings", "settings_from", "source_roots", "roots", "modules", "unresolved", "first_request", "notes"]);
    expect(json.settings).toBe("shop_site.settings.dev");
    expect(json.settings_from).toBe("DJANGO_SETTINGS_MODULE at manage.py:7");
    expect(json.source_roots).toEqual([{ dir: ".", reason: "the directory of manage.py (running it puts that directory on sys.path)" }]);
    expect(json.roots[0]).toEqual({ module: "shop_site", reason: "parent package of shop_site.settings.dev" });
    expect(json.modules.find((m: { name: string }) => m.name === "fakeheavy")).toEqual({
      name: "fakeheavy",
      first_party: false,
      kind: "third-party",
      chain: [
        { module: "billing.models", file: "billing/models.py", line: null },
        { module: "fakeheavy", file: null, line: 3 },
      ],
    });
    expect(json.unresolved).toEqual([]);
    // The second phase: what only the first request imports (ROOT_URLCONF), and what it could not read.
    expect(json.first_request.urlconf).toEqual({ module: "shop_site.urls", reason: "ROOT_URLCONF at shop_site/settings/base.py:14" });
    expect(json.first_request.modules.map((m: { name: string }) => m.name)).toEqual(["shop_site.urls", "django.urls", "catalog.views", "catalog.urls", "orders.urls", "fakeheavy.stats", "catalog.search_index"]);
    expect(json.first_request.unresolved).toEqual([
      { what: 'include(f"{name}.urls")', where: "shop_site/urls.py:16", why: "the URLconf module include() imports is computed at run time; what it imports is not followed", phase: "first-request" },
    ]);
  });

  it("prints text by default", async () => {
    const { code, out } = await run(startupCommand, ["--repo", SHOP, "--no-cache"]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /^Settings: shop_site\.settings\.dev \(DJANGO_SETTINGS_MODULE at manage\.py:7\)\n\nSource roots \(1\):\n {2}\.: the directory of manage\.py \(running it puts that directory on sys\.path\)\n\nStartup roots \(27\):\n {2}shop_site: parent package of shop_site\.settings\.dev\n/,
    );
    expect(out).toContain("  fakeheavy [third-party]: billing.models (billing/models.py) -> fakeheavy (billing/models.py:3)\n");
    expect(out).toContain("  catalog.signals: catalog.apps (catalog/apps.py) -> catalog.signals (catalog/apps.py:10)\n");
  });

  it("takes --settings, and caches scans in the cache directory, outside the repository", async () => {
    const repo = makeRepo();
    repo.write("conf.py", "INSTALLED_APPS = []\nimport helper\n");
    repo.write("helper.py", "");
    repo.commit("base");
    const cache = path.join(tempDir(), "cache");
    const saved = process.env.DJANGO_STARTUP_GUARD_CACHE_DIR;
    process.env.DJANGO_STARTUP_GUARD_CACHE_DIR = cache;
    try {
      const { code, out } = await run(startupCommand, ["--repo", repo.dir, "--settings", "conf", "--format", "json"]);
      expect(code).toBe(0);
      expect(JSON.parse(out).modules.map((m: { name: string }) => m.name)).toEqual(["conf", "helper"]);
    } finally {
      if (saved === undefined) delete process.env.DJANGO_STARTUP_GUARD_CACHE_DIR;
      else process.env.DJANGO_STARTUP_GUARD_CACHE_DIR = saved;
    }
    expect(fs.readdirSync(cache)).toEqual([expect.stringMatching(/^v\d+-/)]);
    expect(fs.existsSync(`${cache}/../django-startup-guard.key`)).toBe(true);
    expect(repo.git("status", "--porcelain", "--untracked-files=all", "--ignored")).toBe("");
  });
});

describe("why", () => {
  it("gives the chain, with the root's reason", async () => {
    const { code, out } = await run(whyCommand, ["orders.temporal.workflows.checkout", "--repo", SHOP, "--no-cache"]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "django.setup() imports orders.temporal.workflows.checkout:",
        "  orders.models (orders/models.py): startup root, models of installed app orders",
        "  orders.temporal (orders/temporal/__init__.py): imported at orders/models.py:7",
        "  orders.temporal.workflows.checkout (orders/temporal/workflows/checkout.py): imported at orders/temporal/__init__.py:1",
        "",
      ].join("\n"),
    );
  });

  it("matches a prefix (`scipy` covers `scipy.stats`)", async () => {
    const { out } = await run(whyCommand, ["orders.temporal.workflows", "--repo", SHOP, "--no-cache", "--format", "json"]);
    expect(JSON.parse(out)).toMatchObject({ module: "orders.temporal.workflows", imported: true });
    const { out: text } = await run(whyCommand, ["fakeheavy.fast", "--repo", SHOP, "--no-cache"]);
    expect(text.split("\n")[0]).toBe("django.setup() imports fakeheavy.fast:");
  });

  it("says plainly when setup does not import the module, and exits 0", async () => {
    const { code, out } = await run(whyCommand, ["catalog.views", "--repo", SHOP, "--no-cache"]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "catalog.views (catalog/views.py) is in the repository, but django.setup() does not import it (settings: shop_site.settings.dev).",
        "It is imported only on the first request, which imports shop_site.urls (ROOT_URLCONF at shop_site/settings/base.py:14): in web processes only, never in Celery, migrate or shell:",
        "  shop_site.urls (shop_site/urls.py): the URLconf",
        "  catalog.views (catalog/views.py): imported at shop_site/urls.py:4",
        "",
      ].join("\n"),
    );
    const json = await run(whyCommand, ["catalog.views", "--repo", SHOP, "--no-cache", "--format", "json"]);
    expect(JSON.parse(json.out)).toEqual({
      settings: "shop_site.settings.dev",
      settings_from: "DJANGO_SETTINGS_MODULE at manage.py:7",
      module: "catalog.views",
      imported: false,
      kind: "first-party",
      file: "catalog/views.py",
      did_you_mean: null,
      imported_package: null,
      chain: null,
      first_request_chain: [
        { module: "shop_site.urls", file: "shop_site/urls.py", line: null },
        { module: "catalog.views", file: "catalog/views.py", line: 4 },
      ],
      unresolved: [],
    });
  });
});

describe("usage errors exit 2", () => {
  const cases: [string, typeof startupCommand, string[], string][] = [
    ["why without a module", whyCommand, ["--repo", SHOP], "why needs exactly one module name"],
    ["why with a path", whyCommand, ["a/b.py"], "'a/b.py' is not a dotted module name"],
    ["why with a migration's name", whyCommand, ["catalog.migrations.0001_initial", "--repo", SHOP], "'0001_initial' is not a Python identifier, so no import statement can name it"],
    ["unknown flag", startupCommand, ["--repos", SHOP], "unknown option '--repos'"],
    ["bad format", startupCommand, ["--format", "xml"], "option '--format' must be one of text, json"],
    ["missing repo", startupCommand, ["--repo", "/nonexistent/dir"], "--repo /nonexistent/dir: not a directory"],
    ["bad settings", startupCommand, ["--repo", SHOP, "--settings", "a/b"], "--settings: expected a dotted module name"],
    ["stray argument", startupCommand, ["extra"], "startup takes no arguments"],
  ];
  it.each(cases)("%s", async (_name, cmd, argv, message) => {
    const { code, out, err } = await run(cmd, argv);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toContain(message);
  });
});
