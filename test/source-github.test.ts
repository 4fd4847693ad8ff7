/**
 * githubChangeSet against a real Octokit talking HTTP to a local fake GitHub.
 *
 * Which Octokit: the one danger ships. `@octokit/rest` 21 (our dependency) is ESM-only and
 * jest's CommonJS module system cannot load it, but danger 14 bundles `@octokit/rest` 20.1,
 * which is CommonJS, and is exactly what `danger.github.api` is at run time. We resolve it
 * from danger's own directory so the test survives a change in npm's hoisting. Octokit 21 is
 * covered twice: at compile time (its type must satisfy GitHubApi) and at run time by a smoke
 * test in a child `node` process (Node >= 20.19 can `require()` ES modules).
 */

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ts from "typescript";
import type { Octokit as Octokit21 } from "@octokit/rest";
import type { GitHubDSL } from "danger";
import type { ChangeSet } from "../src/core/types";
import {
  GitHubSourceError,
  addedLinesFromPatch,
  githubChangeSet,
  type GitHubApi,
} from "../src/source/github";
import { startFakeGitHub, gitBlobSha, type FakeGitHub, type FakeGitHubConfig, type FakePullFile } from "./helpers/fake-github";

// --- Octokit ---------------------------------------------------------------------------

type DangerOctokit = GitHubDSL["api"];
type OctokitCtor = new (opts: { baseUrl: string; auth?: string }) => DangerOctokit;

const octokitPath = require.resolve("@octokit/rest", { paths: [require.resolve("danger")] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Octokit } = require(octokitPath) as { Octokit: OctokitCtor };

// Compile-time proofs: both Octokit generations fit the structural interface.
const acceptsDanger = (api: DangerOctokit): GitHubApi => api;
const acceptsOctokit21 = (api: InstanceType<typeof Octokit21>): GitHubApi => api;
void acceptsDanger;
void acceptsOctokit21;

// --- Fixtures --------------------------------------------------------------------------

const OWNER = "acme";
const REPO = "shop";
const BASE = "a1".repeat(20);
const HEAD = "b2".repeat(20);

const APPS_BASE = [
  "from django.apps import AppConfig",
  "",
  "",
  "class ShopConfig(AppConfig):",
  '    name = "shop"',
  '    default_auto_field = "django.db.models.BigAutoField"',
  "",
  "    def ready(self):",
  "        from . import signals  # noqa: F401",
  "",
  "",
  "def helper():",
  "    return 1",
  "",
  "",
  "def other():",
  "    return 2",
  "",
  "",
  "VALUE = 3",
  "",
].join("\n");

const APPS_HEAD = [
  "from django.apps import AppConfig",
  "import pandas  # heavy!",
  "",
  "",
  "class ShopConfig(AppConfig):",
  '    name = "shop"',
  '    default_auto_field = "django.db.models.BigAutoField"',
  "",
  "    def ready(self):",
  "        from . import signals  # noqa: F401",
  "",
  "",
  "def helper():",
  "    return 1",
  "",
  "",
  "def other():",
  "    return 20",
  "    # changed",
  "",
  "",
  "VALUE = 3",
  "",
].join("\n");

/** What GitHub sends for APPS_BASE -> APPS_HEAD: two hunks, three added lines (2, 18, 19). */
const APPS_PATCH = [
  "@@ -1,4 +1,5 @@",
  " from django.apps import AppConfig",
  "+import pandas  # heavy!",
  " ",
  " ",
  " class ShopConfig(AppConfig):",
  "@@ -15,6 +16,7 @@ def helper():",
  " ",
  " def other():",
  "-    return 2",
  "+    return 20",
  "+    # changed",
  " ",
  " ",
  " VALUE = 3",
].join("\n");

const HUGE_BASE = "# generated\n" + "X = 1\n".repeat(300_000); // ~1.8 MB: over the 1 MB contents limit
const HUGE_HEAD = HUGE_BASE + "Y = 2\n";
const PNG_BASE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1]);
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 2]);

const BULK = Array.from({ length: 250 }, (_, i) => `bulk/mod_${String(i).padStart(3, "0")}.py`);

const baseFiles: Record<string, string | Buffer> = {
  "manage.py": "#!/usr/bin/env python\n",
  "shop/__init__.py": "",
  "shop/settings.py": "DEBUG = False\n",
  "shop/apps.py": APPS_BASE,
  "shop/old_name.py": "def f():\n    return 1\n\n\nX = 1\n",
  "shop/utils.py": "def u():\n    pass\n",
  "shop/gone.py": "import os\nX = 1\n",
  "shop/models.py": "from django.db import models\n",
  "shop/huge.py": HUGE_BASE,
  "static/logo.png": PNG_BASE,
};

const headFiles: Record<string, string | Buffer> = {
  "manage.py": "#!/usr/bin/env python\n",
  "shop/__init__.py": "",
  "shop/settings.py": "DEBUG = False\nINSTALLED_APPS = ['shop']\n",
  "shop/apps.py": APPS_HEAD,
  "shop/new_name.py": "def f():\n    return 2\n\n\nX = 1\n",
  "shop/helpers.py": "def u():\n    pass\n",
  "shop/models.py": "from django.db import models\n" + "class M(models.Model):\n    pass\n".repeat(10),
  "shop/huge.py": HUGE_HEAD,
  "static/logo.png": PNG_HEAD,
  ...Object.fromEntries(BULK.map((p, i) => [p, `N = ${i}\n`])),
};

const PR_FILES: FakePullFile[] = [
  { filename: "manage.py", status: "changed", additions: 0, deletions: 0, changes: 0 },
  {
    filename: "shop/settings.py",
    status: "modified",
    patch: "@@ -1 +1,2 @@\n DEBUG = False\n+INSTALLED_APPS = ['shop']",
    additions: 1,
    changes: 1,
  },
  { filename: "shop/apps.py", status: "modified", patch: APPS_PATCH, additions: 3, deletions: 1, changes: 4 },
  {
    filename: "shop/new_name.py",
    previous_filename: "shop/old_name.py",
    status: "renamed",
    patch: "@@ -1,3 +1,3 @@\n def f():\n-    return 1\n+    return 2\n ",
    additions: 1,
    deletions: 1,
    changes: 2,
  },
  { filename: "shop/helpers.py", previous_filename: "shop/utils.py", status: "renamed", changes: 0 },
  { filename: "shop/gone.py", status: "removed", patch: "@@ -1,2 +0,0 @@\n-import os\n-X = 1", deletions: 2, changes: 2 },
  // GitHub omitted the diff (too large to show):
  { filename: "shop/models.py", status: "modified", additions: 20, changes: 20 },
  { filename: "shop/huge.py", status: "modified", patch: "@@ -300000,2 +300000,3 @@\n X = 1\n X = 1\n+Y = 2", additions: 1, changes: 1 },
  { filename: "static/logo.png", status: "modified", changes: 0 },
  ...BULK.map((p, i): FakePullFile => ({ filename: p, status: "added", patch: `@@ -0,0 +1 @@\n+N = ${i}`, additions: 1, changes: 1 })),
];

function config(over: Partial<FakeGitHubConfig> = {}): FakeGitHubConfig {
  return {
    owner: OWNER,
    repo: REPO,
    pulls: { 7: { base: BASE, head: HEAD, files: PR_FILES } },
    revisions: { [BASE]: baseFiles, [HEAD]: headFiles },
    ...over,
  };
}

// --- Harness ---------------------------------------------------------------------------

let fake: FakeGitHub;
let api: DangerOctokit;

beforeAll(async () => {
  fake = await startFakeGitHub(config());
  api = new Octokit({ baseUrl: fake.baseUrl });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.configure(config()));

function changeSet(over: Partial<Parameters<typeof githubChangeSet>[0]> = {}): Promise<ChangeSet> {
  return githubChangeSet({ api, owner: OWNER, repo: REPO, pull: 7, ...over });
}

async function failure(p: Promise<unknown>): Promise<GitHubSourceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GitHubSourceError);
    return e as GitHubSourceError;
  }
  throw new Error("expected a GitHubSourceError, got success");
}

const fileOf = (cs: ChangeSet, path: string) => {
  const f = cs.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in change set`);
  return f;
};

const text = (b: Buffer | null) => (b === null ? null : b.toString("utf8"));

// --- Tests -----------------------------------------------------------------------------

describe("githubChangeSet (Octokit 20 from danger, fake GitHub over HTTP)", () => {
  test("pages through 259 files, 100 per page, following Link headers; SHAs come from pulls.get", async () => {
    const cs = await changeSet();
    expect(cs.files.map((f) => f.path)).toEqual(PR_FILES.map((f) => f.filename));
    expect(cs.baseRev).toBe(BASE);
    expect(cs.headRev).toBe(HEAD);
    expect(cs.base.rev).toBe(BASE);
    expect(cs.head.rev).toBe(HEAD);
    const pages = fake.requests.filter((r) => r.includes("/pulls/7/files"));
    expect(pages).toEqual([
      "GET /repos/acme/shop/pulls/7/files?per_page=100&page=1",
      "GET /repos/acme/shop/pulls/7/files?per_page=100&page=2",
      "GET /repos/acme/shop/pulls/7/files?per_page=100&page=3",
    ]);
    expect(cs.errors.filter((e) => e.kind === "github-truncated")).toEqual([]);
  });

  test("base contents come from the merge base, not the base branch's newer tip", async () => {
    const TIP = "c3".repeat(20);
    const cfg = config();
    fake.configure({
      ...cfg,
      pulls: { 7: { ...cfg.pulls[7], base: TIP } },
      revisions: { ...cfg.revisions, [TIP]: { ...cfg.revisions[BASE], "shop/settings.py": "DEBUG = 'changed on main after the fork'\n" } },
      mergeBases: { [`${TIP}...${HEAD}`]: BASE },
    });
    const cs = await changeSet();
    expect(cs.baseRev).toBe(BASE);
    expect(fake.requests).toContain(`GET /repos/acme/shop/compare/${TIP}...${HEAD}?per_page=1`);
    expect(text(await cs.base.read("shop/settings.py"))).toBe(text(Buffer.from(String(cfg.revisions[BASE]["shop/settings.py"]))));
  });

  test("without a merge base the tip is used, and the review says so", async () => {
    const broken = { ...api, repos: { ...api.repos, compareCommitsWithBasehead: () => Promise.reject(new Error("boom")) } };
    const cs = await githubChangeSet({ api: broken as unknown as typeof api, owner: OWNER, repo: REPO, pull: 7 });
    expect(cs.baseRev).toBe(BASE);
    expect(cs.errors.map((e) => e.kind)).toContain("github-merge-base");
  });

  test("explicit SHAs override the pull request's", async () => {
    const cs = await changeSet({ baseSha: HEAD, headSha: BASE });
    expect(cs.baseRev).toBe(HEAD);
    expect(cs.headRev).toBe(BASE);
    expect(text(await cs.head.read("shop/settings.py"))).toBe("DEBUG = False\n");
  });

  test("maps statuses: renamed keeps previous_filename, removed -> deleted, changed -> modified", async () => {
    const cs = await changeSet();
    expect(fileOf(cs, "shop/new_name.py")).toEqual({
      path: "shop/new_name.py",
      oldPath: "shop/old_name.py",
      status: "renamed",
      addedLines: [2],
      patchMissing: false,
      binary: false,
    });
    // Renamed content really changed: old path at base, new path at head, neither on the other side.
    expect(text(await cs.base.read("shop/old_name.py"))).toContain("return 1");
    expect(text(await cs.head.read("shop/new_name.py"))).toContain("return 2");
    expect(await cs.head.read("shop/old_name.py")).toBeNull();
    expect(await cs.base.read("shop/new_name.py")).toBeNull();

    expect(fileOf(cs, "shop/gone.py")).toMatchObject({ status: "deleted", oldPath: null, addedLines: [], patchMissing: false });
    expect(text(await cs.base.read("shop/gone.py"))).toBe("import os\nX = 1\n");
    expect(await cs.head.read("shop/gone.py")).toBeNull();

    expect(fileOf(cs, "manage.py")).toMatchObject({ status: "modified", oldPath: null, patchMissing: false });
    expect(fileOf(cs, "bulk/mod_249.py")).toMatchObject({ status: "added", addedLines: [1] });
  });

  test("a pure rename (no patch, no changes) is not reported as a missing patch", async () => {
    const cs = await changeSet();
    expect(fileOf(cs, "shop/helpers.py")).toEqual({
      path: "shop/helpers.py",
      oldPath: "shop/utils.py",
      status: "renamed",
      addedLines: [],
      patchMissing: false,
      binary: false,
    });
    expect(cs.errors.some((e) => e.where === "shop/helpers.py")).toBe(false);
  });

  test("an entry without patch -> patchMissing and exactly one github-no-patch error naming it", async () => {
    const cs = await changeSet();
    expect(fileOf(cs, "shop/models.py")).toMatchObject({ addedLines: [], patchMissing: true, binary: false });
    const errs = cs.errors.filter((e) => e.kind === "github-no-patch");
    expect(errs).toHaveLength(1);
    expect(errs[0].where).toBe("shop/models.py");
    expect(errs[0].message).toContain("shop/models.py");
  });

  test("binary: no patch and NUL bytes in the contents", async () => {
    const cs = await changeSet();
    expect(fileOf(cs, "static/logo.png")).toMatchObject({ binary: true, patchMissing: false, addedLines: [] });
    expect(cs.errors.some((e) => e.where === "static/logo.png")).toBe(false);
    expect(await cs.head.read("static/logo.png")).toEqual(PNG_HEAD);
    expect(fileOf(cs, "shop/apps.py").binary).toBe(false);
  });

  test("added line numbers are exact for a multi-hunk patch", async () => {
    const cs = await changeSet();
    const apps = fileOf(cs, "shop/apps.py");
    expect(apps.addedLines).toEqual([2, 18, 19]);
    // Cross-check against the head contents.
    const lines = text(await cs.head.read("shop/apps.py"))!.split("\n");
    expect(apps.addedLines.map((n) => lines[n - 1])).toEqual(["import pandas  # heavy!", "    return 20", "    # changed"]);
    expect(fileOf(cs, "shop/settings.py").addedLines).toEqual([2]);
    expect(fileOf(cs, "shop/huge.py").addedLines).toEqual([300_002]);
  });

  test("reads contents at base vs head; 404 and directories -> null", async () => {
    const cs = await changeSet();
    expect(text(await cs.base.read("shop/settings.py"))).toBe("DEBUG = False\n");
    expect(text(await cs.head.read("shop/settings.py"))).toBe("DEBUG = False\nINSTALLED_APPS = ['shop']\n");
    expect(text(await cs.head.read("shop/__init__.py"))).toBe("");
    expect(await cs.head.read("shop/nope.py")).toBeNull();
    expect(await cs.base.read("bulk/mod_000.py")).toBeNull();
    expect(await cs.head.read("shop")).toBeNull();
  });

  test("files over 1 MB come from git.getBlob (contents gives no content for them)", async () => {
    const cs = await changeSet();
    fake.requests.length = 0;
    const head = await cs.head.read("shop/huge.py");
    const base = await cs.base.read("shop/huge.py");
    expect(head?.length).toBe(Buffer.byteLength(HUGE_HEAD));
    expect(text(head)).toBe(HUGE_HEAD);
    expect(text(base)).toBe(HUGE_BASE);
    expect(fake.requests).toEqual([
      `GET /repos/acme/shop/contents/shop%2Fhuge.py?ref=${HEAD}`,
      `GET /repos/acme/shop/git/blobs/${gitBlobSha(Buffer.from(HUGE_HEAD))}`,
      `GET /repos/acme/shop/contents/shop%2Fhuge.py?ref=${BASE}`,
      `GET /repos/acme/shop/git/blobs/${gitBlobSha(Buffer.from(HUGE_BASE))}`,
    ]);
  });

  test("maxFileBytes: a larger file is not downloaded; read -> null and a file-too-large error", async () => {
    const cs = await changeSet({ maxFileBytes: 1000 });
    fake.requests.length = 0;
    expect(await cs.head.read("shop/huge.py")).toBeNull();
    expect(fake.requests.some((r) => r.includes("/git/blobs/"))).toBe(false);
    expect(cs.errors).toContainEqual(expect.objectContaining({ kind: "file-too-large", where: "shop/huge.py" }));
  });

  test("caches per (rev, path) and keeps at most 8 requests in flight", async () => {
    const cs = await changeSet();
    fake.configure({ ...config(), delayMs: 25 });
    const reads = await Promise.all([...BULK.slice(0, 30), ...BULK.slice(0, 30)].map((p) => cs.head.read(p)));
    expect(reads.map(text)).toEqual([...BULK.slice(0, 30), ...BULK.slice(0, 30)].map((_, i) => `N = ${i % 30}\n`));
    expect(fake.requests).toHaveLength(30);
    expect(fake.maxInFlight).toBeLessThanOrEqual(8);
    expect(fake.maxInFlight).toBeGreaterThan(1);
  });

  test("listFiles lists the blobs of the recursive tree", async () => {
    const cs = await changeSet();
    const head = await cs.head.listFiles();
    expect(head.sort()).toEqual(Object.keys(headFiles).sort());
    expect(head).not.toContain("shop"); // directories are not files
    expect(cs.errors.some((e) => e.kind === "github-truncated")).toBe(false);
    expect(fake.requests).toContain(`GET /repos/acme/shop/git/trees/${HEAD}?recursive=1`);
  });

  test("a truncated tree is reported as a github-truncated error", async () => {
    fake.configure(config({ truncatedTrees: [BASE] }));
    const cs = await changeSet();
    expect((await cs.base.listFiles()).sort()).toEqual(Object.keys(baseFiles).sort());
    await cs.base.listFiles(); // cached: reported once
    const errs = cs.errors.filter((e) => e.kind === "github-truncated");
    expect(errs).toHaveLength(1);
    expect(errs[0].where).toBe(`GET /repos/acme/shop/git/trees/${BASE}?recursive=1`);
    expect(errs[0].message).toMatch(/truncated/);
  });

  test("files list capped below changed_files -> github-truncated naming how many were not seen", async () => {
    fake.configure(config({ listCap: 200 }));
    const cs = await changeSet();
    expect(cs.files).toHaveLength(200);
    const errs = cs.errors.filter((e) => e.kind === "github-truncated");
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toContain("200 of the 259 files");
    expect(errs[0].message).toContain("59 changed files were not reviewed");
  });

  test("403 primary rate limit -> GitHubSourceError naming the endpoint and the reset time, no retry", async () => {
    const reset = Math.floor(Date.now() / 1000) + 1800;
    fake.configure(config({ rateLimit: { match: /\/pulls\/7\/files/, reset } }));
    const err = await failure(changeSet());
    expect(err.kind).toBe("github-rate-limit");
    expect(err.status).toBe(403);
    expect(err.where).toBe("GET /repos/acme/shop/pulls/7/files?per_page=100&page=1");
    expect(err.resetAt?.getTime()).toBe(reset * 1000);
    expect(err.message).toContain(new Date(reset * 1000).toISOString());
    expect(err.message).toContain("GET /repos/acme/shop/pulls/7/files");
    expect(err.message).toContain("0 of 60 requests left");
    expect(err.message).toMatch(/in 30 min/);
    expect(fake.requests.filter((r) => r.includes("/files"))).toHaveLength(1);
  });

  test("secondary rate limit (429 + retry-after) while reading a file", async () => {
    const cs = await changeSet();
    fake.configure(config({ rateLimit: { match: /\/contents\//, reset: 0, secondary: true, retryAfter: 120, status: 429 } }));
    const err = await failure(cs.head.read("shop/settings.py"));
    expect(err.kind).toBe("github-rate-limit");
    expect(err.message).toMatch(/secondary rate limit/);
    expect(err.message).toMatch(/in 2 min/);
    // The failure is not cached: once the limit lifts, the read works.
    fake.configure(config());
    expect(text(await cs.head.read("shop/settings.py"))).toContain("INSTALLED_APPS");
  });

  test("500 twice then OK -> retried and succeeds", async () => {
    fake.configure(config({ failures: [{ match: /\/pulls\/7\/files\?.*page=2/, times: 2 }] }));
    const cs = await changeSet();
    expect(cs.files).toHaveLength(PR_FILES.length);
    expect(fake.requests.filter((r) => r.endsWith("&page=2"))).toHaveLength(3);
    expect(fake.requests.filter((r) => r.endsWith("&page=1"))).toHaveLength(1); // no restart from page 1
  });

  test("500 three times -> github-server error after 3 attempts", async () => {
    fake.configure(config({ failures: [{ match: /\/pulls\/7$/, times: 5, status: 502 }] }));
    const err = await failure(changeSet());
    expect(err.kind).toBe("github-server");
    expect(err.status).toBe(502);
    expect(err.message).toContain("GET /repos/acme/shop/pulls/7");
    expect(err.message).toContain("3 times");
    expect(fake.requests.filter((r) => r.endsWith("/pulls/7"))).toHaveLength(3);
  });

  test("GitHub unreachable -> github-network after 3 attempts", async () => {
    const closed = await startFakeGitHub(config());
    const url = closed.baseUrl;
    await closed.close();
    const err = await failure(githubChangeSet({ api: new Octokit({ baseUrl: url }), owner: OWNER, repo: REPO, pull: 7 }));
    expect(err.kind).toBe("github-network");
    expect(err.message).toMatch(/Could not reach GitHub for GET \/repos\/acme\/shop\/pulls\/7 after 3 attempts/);
  });

  test("a non-HTTP failure is not retried and keeps its cause", async () => {
    let calls = 0;
    const broken = {
      ...api,
      pulls: {
        ...api.pulls,
        get: () => {
          calls++;
          throw new TypeError("boom");
        },
      },
    } as unknown as GitHubApi;
    const err = await failure(githubChangeSet({ api: broken, owner: OWNER, repo: REPO, pull: 7 }));
    expect(err.kind).toBe("github-request");
    expect(err.cause).toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  test("404 on the pull request -> github-not-found naming it", async () => {
    const err = await failure(changeSet({ pull: 99 }));
    expect(err.kind).toBe("github-not-found");
    expect(err.where).toBe("GET /repos/acme/shop/pulls/99");
    expect(err.message).toContain("acme/shop#99");
  });

  test("401 bad credentials -> github-auth", async () => {
    fake.configure(config({ token: "right" }));
    const wrong = new Octokit({ baseUrl: fake.baseUrl, auth: "wrong" });
    const err = await failure(githubChangeSet({ api: wrong, owner: OWNER, repo: REPO, pull: 7 }));
    expect(err.kind).toBe("github-auth");
    expect(err.message).toMatch(/401: Bad credentials/);
    const right = new Octokit({ baseUrl: fake.baseUrl, auth: "right" });
    await expect(githubChangeSet({ api: right, owner: OWNER, repo: REPO, pull: 7 })).resolves.toBeDefined();
  });
});

describe("broken answers, hangs and limits are named errors (issue 11, items 5, 6, 9, 16)", () => {
  test("a /contents/ request that never answers times out, is retried, and names the request", async () => {
    const cs = await changeSet({ requestTimeoutMs: 150 });
    fake.configure(config({ broken: [{ match: /\/contents\/shop%2Fsettings\.py/, answer: "hang" }] }));
    const err = await failure(cs.head.read("shop/settings.py"));
    expect(err.kind).toBe("github-timeout");
    expect(err.where).toBe(`GET /repos/acme/shop/contents/shop/settings.py?ref=${HEAD}`);
    expect(err.message).toContain("did not answer GET /repos/acme/shop/contents/shop/settings.py");
    expect(err.message).toContain("within 150 ms, 3 times");
    expect(fake.requests.filter((r) => r.includes("settings.py"))).toHaveLength(3);
  });

  test("a /compare/ request that never answers: the merge base error says it timed out, the review goes on", async () => {
    fake.configure(config({ broken: [{ match: /\/compare\//, answer: "hang" }] }));
    const cs = await changeSet({ requestTimeoutMs: 150 });
    expect(cs.baseRev).toBe(BASE);
    const mb = cs.errors.find((e) => e.kind === "github-merge-base");
    expect(mb?.message).toMatch(/did not answer GET \/repos\/acme\/shop\/compare\/.* within 150 ms/);
  });

  test.each([
    ["truncated-json", /an empty or unreadable body \(truncated JSON\?\)/],
    ["html", /an HTML page/],
    ["null", /: it is null/],
  ] as const)("/contents/ answering %s is a github-bad-response error naming the request", async (answer, said) => {
    const cs = await changeSet();
    fake.configure(config({ broken: [{ match: /\/contents\//, answer }] }));
    const err = await failure(cs.head.read("shop/settings.py"));
    expect(err.kind).toBe("github-bad-response");
    expect(err.message).toContain(`GET /repos/acme/shop/contents/shop/settings.py?ref=${HEAD}`);
    expect(err.message).toMatch(said);
  });

  test("a null files page says so (not 'the files API stops at 3,000')", async () => {
    fake.configure(config({ broken: [{ match: /\/pulls\/7\/files\?.*page=2/, answer: "null" }] }));
    const err = await failure(changeSet());
    expect(err.kind).toBe("github-bad-response");
    expect(err.message).toBe("GitHub's answer to GET /repos/acme/shop/pulls/7/files?per_page=100&page=2 is not a list of files: it is null.");
  });

  test("a truncated files page is a named error", async () => {
    fake.configure(config({ broken: [{ match: /\/pulls\/7\/files\?.*page=1/, answer: "truncated-json" }] }));
    const err = await failure(changeSet());
    expect(err.message).toMatch(/files\?per_page=100&page=1 is not a list of files: it is an empty or unreadable body/);
    expect(err.message).not.toContain("3,000");
  });

  test("a files list that ends early (not at GitHub's cap) says what happened", async () => {
    fake.configure(config({ listCap: 150 }));
    const cs = await changeSet();
    const err = cs.errors.find((e) => e.kind === "github-truncated");
    expect(err?.message).toContain("the files API ended after 150 entries, before GitHub's 3,000-file cap");
  });

  test("malformed API data names the field instead of a raw TypeError", async () => {
    const noHead = { ...api, pulls: { ...api.pulls, get: async () => ({ data: { base: { sha: BASE }, changed_files: 1 } }) } };
    const e1 = await failure(githubChangeSet({ api: noHead as unknown as GitHubApi, owner: OWNER, repo: REPO, pull: 7 }));
    expect(e1.kind).toBe("github-bad-response");
    expect(e1.message).toBe("GitHub's answer to GET /repos/acme/shop/pulls/7 is malformed: `head` should be an object, it is nothing.");
    const badFile = {
      ...api,
      pulls: { ...api.pulls, listFiles: async () => ({ data: [{ filename: "a.py", status: "added" }, { status: "added" }], headers: {} }) },
    };
    const e2 = await failure(githubChangeSet({ api: badFile as unknown as GitHubApi, owner: OWNER, repo: REPO, pull: 7 }));
    expect(e2.message).toContain("`filename` of entry 1 should be a string, it is nothing");
    expect(e2.message).not.toMatch(/TypeError|Cannot read/);
  });

  test("rate limited once with retry-after: 0 -> waits as told, retries and succeeds", async () => {
    fake.configure(config({ rateLimit: { match: /\/pulls\/7$/, reset: 0, secondary: true, retryAfter: 0, status: 429, times: 1 } }));
    const cs = await changeSet();
    expect(cs.files).toHaveLength(PR_FILES.length);
    expect(fake.requests.filter((r) => r.endsWith("/pulls/7"))).toHaveLength(2);
  });

  test("a rate limit that resets later than maxRetryWaitMs fails at once, saying when it resets", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake.configure(config({ rateLimit: { match: /\/pulls\/7$/, reset } }));
    const err = await failure(changeSet({ maxRetryWaitMs: 1000 }));
    expect(err.kind).toBe("github-rate-limit");
    expect(err.message).toContain(new Date(reset * 1000).toISOString());
    expect(fake.requests.filter((r) => r.endsWith("/pulls/7"))).toHaveLength(1);
  });

  test("a renamed file without previous_filename, and an unknown status, are named errors", async () => {
    const files = [
      { filename: "shop/new_name.py", status: "renamed", patch: "@@ -1,3 +1,3 @@\n def f():\n-    return 1\n+    return 2\n ", changes: 2 },
      { filename: "shop/helpers.py", status: "moved", changes: 0 },
    ] as unknown as FakePullFile[];
    fake.configure(config({ pulls: { 7: { base: BASE, head: HEAD, files } } }));
    const cs = await changeSet();
    expect(cs.errors.find((e) => e.kind === "github-rename")).toMatchObject({
      where: "shop/new_name.py",
      message: expect.stringContaining("without `previous_filename`"),
    });
    expect(fileOf(cs, "shop/new_name.py")).toMatchObject({ status: "added", oldPath: null });
    expect(cs.errors.find((e) => e.kind === "github-status")).toMatchObject({ where: "shop/helpers.py", message: expect.stringContaining('status "moved"') });
  });
});

describe("addedLinesFromPatch", () => {
  test("hunk counts, not line prefixes, end a hunk", () => {
    const patch = [
      "@@ -1,3 +1,3 @@",
      "-- removed line that looks like a header",
      "+++ added line that looks like a header",
      " ctx",
      "-old",
      "\\ No newline at end of file",
      "+new",
      "\\ No newline at end of file",
      "@@ -10 +10,2 @@",
      " ten",
      "+eleven",
    ].join("\n");
    expect(addedLinesFromPatch(patch)).toEqual([1, 3, 11]);
  });

  test("a hunk header without counts means one line; CRLF content is fine", () => {
    expect(addedLinesFromPatch("@@ -0,0 +1 @@\n+x\r")).toEqual([1]);
    expect(addedLinesFromPatch("@@ -5 +5 @@\n-a\r\n+b\r")).toEqual([5]);
  });
});

describe("Octokit 21 (ESM-only) in a child node process", () => {
  let dir: string;
  beforeAll(() => {
    // Transpile the module under test and its one run-time import, in the same layout as src/.
    dir = mkdtempSync(join(tmpdir(), "github-source-"));
    for (const mod of ["source/github", "source/hunks", "source/files"]) {
      const src = readFileSync(join(__dirname, `../src/${mod}.ts`), "utf8");
      const out = ts.transpileModule(src, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      mkdirSync(join(dir, mod.split("/")[0]), { recursive: true });
      writeFileSync(join(dir, `${mod}.js`), out.outputText);
    }
    writeFileSync(
      join(dir, "run.js"),
      `
const { Octokit } = require(process.env.OCTOKIT21);
const { githubChangeSet } = require("./source/github.js");
(async () => {
  const api = new Octokit({ baseUrl: process.env.BASE_URL });
  const cs = await githubChangeSet({ api, owner: "acme", repo: "shop", pull: 7 });
  const huge = await cs.head.read("shop/huge.py");
  const missing = await cs.head.read("nope.py");
  let rate = null;
  try { await cs.base.read("shop/settings.py"); } catch (e) { rate = { name: e.name, kind: e.kind }; }
  process.stdout.write(JSON.stringify({
    files: cs.files.length,
    renamed: cs.files.find((f) => f.status === "renamed" && f.addedLines.length),
    apps: cs.files.find((f) => f.path === "shop/apps.py").addedLines,
    huge: huge.length,
    missing,
    errors: cs.errors.map((e) => e.kind),
    rate,
  }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the same code works with @octokit/rest 21 at run time", async () => {
    fake.configure(config({ rateLimit: { match: new RegExp(`contents/shop%2Fsettings\\.py\\?ref=${BASE}`), reset: 2_000_000_000 } }));
    const octokit21 = require.resolve("@octokit/rest"); // top-level: v21
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [join(dir, "run.js")],
        { cwd: dir, timeout: 20_000, env: { ...process.env, OCTOKIT21: octokit21, BASE_URL: fake.baseUrl } },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    const r = JSON.parse(stdout);
    expect(r.files).toBe(PR_FILES.length);
    expect(r.renamed).toMatchObject({ path: "shop/new_name.py", oldPath: "shop/old_name.py" });
    expect(r.apps).toEqual([2, 18, 19]);
    expect(r.huge).toBe(Buffer.byteLength(HUGE_HEAD));
    expect(r.missing).toBeNull();
    expect(r.errors).toEqual(["github-no-patch"]);
    expect(r.rate).toEqual({ name: "GitHubSourceError", kind: "github-rate-limit" });
  }, 30_000);
});
