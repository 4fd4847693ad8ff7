/**
 * `startup` and `why` run the review's pipeline (src/review): it returns what it could not read
 * or use as errors, printing nothing; the CLI prints each as a warning.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startupGraph, whyImported } from "../src/review/startup";
import { cleanupRepos, committedRepo } from "./helpers/git-repo";
import { DJANGO_BASE } from "./helpers/rule-tester";
import { runInProcess } from "./helpers/run-cli";

afterAll(cleanupRepos);

test("startupGraph: the checkout's own pyproject.toml is in force; its errors are returned, and the CLI prints them as warnings", async () => {
  const repo = committedRepo({
    ...DJANGO_BASE,
    "pyproject.toml": '[tool.django-startup-guard]\nsettings_modul = "proj.settings"\nextend_startup_roots = ["shop.util"]\n',
  });
  const writes: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (writes.push(String(s)), true));
  const head = await startupGraph({ repo: repo.dir, cache: false });
  spy.mockRestore();
  expect(writes).toEqual([]);
  expect(head.graph.settingsModule).toBe("proj.settings");
  expect(head.graph.roots.map((r) => r.module)).toContain("shop.util");
  expect(head.errors).toEqual([{ kind: "config", where: "pyproject.toml:2", message: expect.stringContaining(`unknown key "settings_modul"`) }]);
  expect(whyImported("shop.signals", head).chain?.map((l) => l.module)).toEqual(["shop.apps", "shop.signals"]);

  const cli = await runInProcess(["startup", "--repo", repo.dir, "--no-cache"]);
  expect(cli.code).toBe(0);
  expect(cli.err).toBe(head.errors.map((e) => `django-startup-guard: warning: ${e.where}: ${e.message}\n`).join(""));
});

test("startupGraph: a pyproject.toml that is a symbolic link is not followed, and said so", async () => {
  const repo = committedRepo(DJANGO_BASE);
  fs.writeFileSync(path.join(repo.dir, "elsewhere.toml"), '[tool.django-startup-guard]\nsettings_module = "nowhere"\n');
  fs.symlinkSync("elsewhere.toml", path.join(repo.dir, "pyproject.toml"));
  const head = await startupGraph({ repo: repo.dir, cache: false });
  expect(head.graph.settingsModule).toBe("proj.settings");
  expect(head.errors).toEqual([{ kind: "read", where: "pyproject.toml", message: expect.stringMatching(/symbolic link.*; not read$/) }]);
});
