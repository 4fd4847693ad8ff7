/** The command line as a user meets it: help, usage errors, exit codes, output formats. */
import * as fs from "node:fs";
import * as path from "node:path";
import { HELP } from "../src/cli/main";
import { cleanupRepos, gitIn, tempDir, committedRepo } from "./helpers/git-repo";
import { DJANGO_BASE } from "./helpers/rule-tester";
import { runInProcess } from "./helpers/run-cli";

afterAll(cleanupRepos);

const run = runInProcess;

function prRepo() {
  const repo = committedRepo(DJANGO_BASE);
  repo.git("checkout", "-q", "-b", "pr");
  repo.write("shop/models.py", `import numpy\n${DJANGO_BASE["shop/models.py"]}`);
  repo.commit("pr");
  return repo;
}

test("--help lists every command and exits 0; no command is a usage error", async () => {
  const r = await run(["--help"]);
  expect(r.code).toBe(0);
  for (const cmd of ["review", "startup", "why", "scan"]) expect(r.out).toContain(`django-startup-guard ${cmd}`);
  expect(r.out).toBe(HELP);
  expect((await run([])).code).toBe(2);
});

test("--version is package.json's version (read from it, in src/ as in the built dist/), and so is the head of --help", async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string };
  expect(await run(["--version"])).toEqual({ code: 0, out: `${version}\n`, err: "" });
  expect(HELP.startsWith(`django-startup-guard ${version}: `)).toBe(true);
});

test.each([
  [["review", "--bse", "main"], /unknown option '--bse' \(did you mean --base\?\)/],
  [["review"], /review needs --base REV \(or --diff FILE\)/],
  [["review", "--base", "main", "--format", "xml"], /--format' must be one of text, json, markdown \(got 'xml'\)/],
  [["frobnicate"], /unknown command 'frobnicate'/],
  [["scan"], /scan needs at least one file or directory/],
])("usage error %j", async (argv, message) => {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.out).toBe("");
});

test("review: text without colour off a TTY, exit 0 for warnings, 1 with --fail-on warn", async () => {
  const repo = prRepo();
  const plain = await run(["review", "--repo", repo.dir, "--base", "main"]);
  expect(plain.code).toBe(0);
  expect(plain.out).toContain("shop/models.py:1");
  expect(plain.out).not.toContain("\u001b[");
  const tty = await run(["review", "--repo", repo.dir, "--base", "main"], true);
  expect(tty.out).toContain("\u001b[");
  expect((await run(["review", "--repo", repo.dir, "--base", "main", "--fail-on", "warn"])).code).toBe(1);
});

test("review --format markdown is the summary comment", async () => {
  const repo = prRepo();
  const r = await run(["review", "--repo", repo.dir, "--base", "main", "--format", "markdown"]);
  expect(r.out).toMatch(/^## Django startup guard/);
  expect(r.out).toContain("| ⚠️ |");
});

test("review --diff: a unified diff against the checkout gives the same findings as git", async () => {
  const repo = prRepo();
  const diff = gitIn(repo.dir, ["diff", "main...pr"]).toString("utf8");
  const file = path.join(tempDir(), "pr.diff");
  fs.writeFileSync(file, diff);
  const viaDiff = JSON.parse((await run(["review", "--repo", repo.dir, "--diff", file, "--base", "main", "--format", "json"])).out);
  const viaGit = JSON.parse((await run(["review", "--repo", repo.dir, "--base", "main", "--format", "json"])).out);
  expect(viaDiff.findings.map((f: { rule: string; file: string; line: number }) => `${f.rule} ${f.file}:${f.line}`)).toEqual(
    viaGit.findings.map((f: { rule: string; file: string; line: number }) => `${f.rule} ${f.file}:${f.line}`),
  );
  expect(viaGit.findings).toHaveLength(1);
});

test("review: a missing base says how to fetch it, exit 2, no stack trace", async () => {
  const repo = prRepo();
  const r = await run(["review", "--repo", repo.dir, "--base", "origin/nope"]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/origin\/nope/);
  expect(r.err).toMatch(/fetch/);
  expect(r.err).not.toMatch(/at .*\.ts:\d+/);
});

test("review --config: options from a JSON file, validated strictly", async () => {
  const repo = prRepo();
  const file = path.join(tempDir(), "guard.json");
  fs.writeFileSync(file, JSON.stringify({ rules: { "heavy-import-at-startup": "fail" } }));
  expect((await run(["review", "--repo", repo.dir, "--base", "main", "--config", file])).code).toBe(1);
  fs.writeFileSync(file, JSON.stringify({ rules: { "heavy-import-at-startup": "error" } }));
  const bad = await run(["review", "--repo", repo.dir, "--base", "main", "--config", file, "--format", "json"]);
  expect(JSON.parse(bad.out).errors[0].message).toMatch(/off, message, warn, fail/);
});

test("scan --format json: the import inventory", async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "m.py"), "import os\ndef f():\n    import chdb\n");
  const r = await run(["scan", dir, "--format", "json"]);
  expect(r.code).toBe(0);
  const files = JSON.parse(r.out).files;
  expect(files[0].facts.imports.map((i: { module: string; context: { kind: string } }) => `${i.module} ${i.context.kind}`)).toEqual(["os top", "chdb function"]);
});

test("output piped into a reader that stops early ends quietly (EPIPE), as `| head` expects", async () => {
  const cli = path.join(__dirname, "..", "dist", "cli", "main.js");
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  const dir = tempDir();
  for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(dir, `m${i}.py`), Array.from({ length: 50 }, (_, k) => `import mod_${k}\n`).join(""));
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [cli, "scan", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  child.stdout.once("data", () => child.stdout.destroy()); // the reader goes away after the first chunk
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(err).toBe("");
  expect(code).toBe(0);
});
