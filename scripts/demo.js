#!/usr/bin/env node
// `npm run demo`: build a throwaway git repository from the fixture monorepo (branch `main`)
// and the `demo` PR scenario (branch `pr`), then run the real `danger local --base main`
// with this repository's dangerfile, and print what Danger would post.
//
// The scenario builder is the one the tests use (test/helpers/scenarios.ts), transpiled on
// the fly with the TypeScript compiler `npm ci` installs, so the demo and the tests cannot drift.
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const Module = require("node:module");
const ts = require("typescript");

const root = path.join(__dirname, "..");
const scenario = process.argv[2] ?? "demo";

function loadTs(file) {
  const source = fs.readFileSync(file, "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(js, file);
  return m.exports;
}

async function main() {
  const { buildScenarioRepo, listScenarios } = loadTs(path.join(root, "test", "helpers", "scenarios.ts"));
  if (!listScenarios().includes(scenario)) {
    console.error(`unknown scenario '${scenario}'; scenarios: ${listScenarios().join(", ")}`);
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "django-startup-demo-"));
  await buildScenarioRepo(scenario, dir);
  console.log(`Demo repository: ${dir} (branch main = fixture monorepo, branch pr = scenario '${scenario}')\n`);
  const danger = path.join(root, "node_modules", "danger", "distribution", "commands", "danger.js");
  const r = spawnSync(process.execPath, [danger, "local", "--base", "main", "--dangerfile", path.join(root, "dangerfile.ts")], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
  });
  if (r.error) throw r.error;
  fs.rmSync(dir, { recursive: true, force: true });
  // danger local exits 1 when the review has failures: that is the demo working, not failing.
  process.exit(r.status === 0 || r.status === 1 ? 0 : r.status ?? 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
