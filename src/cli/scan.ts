/** `django-startup-guard scan PATH...`: the import inventory of files, for debugging and curiosity. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeContext } from "../python/context";
import { importStatementText } from "../python/format";
import { scanPython } from "../python/scanner";
import type { ExecutionContext, PyFileFacts } from "../python/types";
import { maxOf } from "../core/arrays";
import { listPythonFiles } from "../source/files";

export interface ScanOutput {
  files: { path: string; facts: PyFileFacts }[];
  errors: { path: string; message: string }[];
}

export function scanPaths(targets: string[]): ScanOutput {
  const out: ScanOutput = { files: [], errors: [] };
  for (const target of targets) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(target);
    } catch (e) {
      out.errors.push({ path: target, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const files = stat.isDirectory() ? listPythonFiles(target).map((f) => path.join(target, f)) : [target];
    for (const file of files) {
      try {
        out.files.push({ path: file, facts: scanPython(fs.readFileSync(file)) });
      } catch (e) {
        out.errors.push({ path: file, message: `cannot read: ${(e as Error).message}` });
      }
    }
  }
  return out;
}

export function renderScanText(o: ScanOutput): string {
  const lines: string[] = [];
  for (const f of o.files) {
    lines.push(f.path);
    const rows: [number, string, ExecutionContext][] = f.facts.imports.map((i) => [i.line, importStatementText(i), i.context]);
    for (const c of f.facts.importCalls) rows.push([c.line, `${c.func}(${JSON.stringify(c.module)})`, c.context]);
    rows.sort((a, b) => a[0] - b[0]);
    const width = Math.min(60, maxOf(rows.map((r) => r[1].length), 0));
    for (const [line, text, ctx] of rows) {
      lines.push(`  ${String(line).padStart(5)}  ${text.padEnd(width)}  ${ctx.atImport ? "runs at import" : "not at import"}: ${describeContext(ctx)}`);
    }
    for (const d of f.facts.diagnostics) lines.push(`  ${String(d.line).padStart(5)}  ! ${d.message}`);
  }
  for (const e of o.errors) lines.push(`error: ${e.path}: ${e.message}`);
  const imports = o.files.reduce((n, f) => n + f.facts.imports.length, 0);
  lines.push(`${o.files.length} files, ${imports} import statements${o.errors.length ? `, ${o.errors.length} errors` : ""}`);
  return lines.join("\n");
}
