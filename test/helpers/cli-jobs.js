"use strict";
// Runs many CLI commands in one Node process, in process, as the binary runs each one
// (`runCli` from the build: a command still pending when the event loop empties is reported
// as stalled, exit 3, and the next one runs). Tests get a stall as a failed result naming
// the command, not as a hung test.
//
//   node test/helpers/cli-jobs.js JOBS.json     JOBS: [{ "argv": [...] }, ...]
//   stdout: [{ "code": N, "out": "...", "err": "..." }, ...], one per job, in order
const fs = require("node:fs");
const path = require("node:path");
const { runCli } = require(path.join(__dirname, "..", "..", "dist", "cli", "main.js"));

async function runAll(jobs) {
  const results = [];
  for (const job of jobs) {
    let out = "";
    let err = "";
    const code = await runCli(job.argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
    results.push({ code, out, err });
  }
  return results;
}

runAll(JSON.parse(fs.readFileSync(process.argv[2], "utf8"))).then(
  (results) => process.stdout.write(JSON.stringify(results)),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
