/**
 * The house's one rule of direction: a folder of src/ imports only folders below it
 * (docs/architecture.md draws them), so data flows one way: source -> facts -> graph -> rules
 * -> report, with the pipeline (review) and the adapters (cli, danger) on top.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const SRC = path.join(__dirname, "..", "src");

/** Bottom to top; folders on one floor may not import each other. `.` is src/index.ts. */
export const FLOORS: readonly (readonly string[])[] = [["core"], ["python"], ["config"], ["source"], ["facts"], ["graph"], ["rules"], ["report"], ["review"], ["cli", "danger"], ["."]];

interface Edge {
  from: string;
  to: string;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Folder of a file under src/ (`.` for src/index.ts). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? "." : rel[0];
}

/** Every relative import of src/ (static, type-only, re-exports, dynamic `import()`), file to file. */
function importsOfSrc(): Edge[] {
  const edges: Edge[] = [];
  for (const file of filesUnder(SRC)) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      edges.push({ from: file, to: path.resolve(path.dirname(file), ref.fileName) });
    }
  }
  return edges;
}

function floorOf(folder: string): number {
  return FLOORS.findIndex((f) => f.includes(folder));
}

/** The imports that break the direction, as `from -> to (why)`. */
export function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to.endsWith(".ts") ? to : fs.existsSync(to) && fs.statSync(to).isDirectory() ? path.join(to, "index.ts") : `${to}.ts`);
    if (a === b) continue;
    const fa = floorOf(a);
    const fb = floorOf(b);
    const name = `${path.relative(SRC, from)} -> ${path.relative(SRC, to)}`;
    if (fa < 0 || fb < 0) out.push(`${name} (folder ${fa < 0 ? a : b} is on no floor)`);
    else if (fb > fa) out.push(`${name} (${a} imports ${b}, which is above it)`);
    else if (fb === fa) out.push(`${name} (${a} and ${b} are on one floor)`);
  }
  return out;
}

test("every folder of src/ is on a floor", () => {
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  expect(folders.filter((f) => floorOf(f) < 0)).toEqual([]);
});

test("no folder imports a folder above it (or beside it)", () => {
  const edges = importsOfSrc();
  expect(edges.length).toBeGreaterThan(200);
  expect(violations(edges)).toEqual([]);
});

test("the check sees an import that runs back up, and one beside it", () => {
  const at = (p: string) => path.join(SRC, p);
  expect(violations([{ from: at("core/types.ts"), to: at("graph/index") }])).toEqual(["core/types.ts -> graph/index (core imports graph, which is above it)"]);
  expect(violations([{ from: at("cli/main.ts"), to: at("danger/index") }])).toEqual(["cli/main.ts -> danger/index (cli and danger are on one floor)"]);
  expect(violations([{ from: at("rules/model.ts"), to: at("graph") }])).toEqual([]);
});

test("docs/architecture.md lists the floors in this order", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "architecture.md"), "utf8");
  const line = /^Floors, bottom to top: (.*)$/m.exec(doc);
  expect(line).not.toBeNull();
  const listed = (line?.[1] ?? "").split(" < ").map((floor) => [...floor.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, "").replace(/^index\.ts$/, ".")));
  expect(listed).toEqual(FLOORS);
});
