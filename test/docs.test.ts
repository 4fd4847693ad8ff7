/** The docs users read must match the code: the rule reference and the README's rule table. */
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../src/rules";
import { renderRuleDocs, withReadmeRules } from "../src/rules/docs";
import { HELP } from "../src/cli/main";
import { DEFAULT_DOCS_URL, defaultConfig, docsUrlFor, PROJECT_URL } from "../src/review/config";

const root = path.join(__dirname, "..");

test("docs/rules.md is generated from the rules (run `npm run docs`)", () => {
  expect(fs.readFileSync(path.join(root, "docs", "rules.md"), "utf8")).toBe(renderRuleDocs());
});

test("the README and --help list every rule with its default severity", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  expect(readme).toBe(withReadmeRules(readme)); // the table is generated: run `npm run docs`
  for (const r of RULES) {
    expect(readme).toContain(`| [\`${r.meta.id}\`](docs/rules.md#${r.meta.docsAnchor}) | \`${r.meta.defaultSeverity}\` |`);
    expect(HELP).toContain(r.meta.id);
  }
});

test("the default docs link is this package's own rule reference, on the project page named in package.json", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { homepage: string; repository: { url: string }; files: string[] };
  expect(pkg.homepage).toBe(`${PROJECT_URL}#readme`);
  expect(pkg.repository.url).toBe(`git+${PROJECT_URL}.git`);
  expect(DEFAULT_DOCS_URL).toBe(`${PROJECT_URL}/blob/main/docs/rules.md`);
  expect(pkg.files).toContain("docs");
  // Every rule's link lands on a heading of docs/rules.md.
  const rulesMd = fs.readFileSync(path.join(root, "docs", "rules.md"), "utf8");
  for (const r of RULES) {
    expect(docsUrlFor(defaultConfig(), r.meta.id, r.meta.docsAnchor)).toBe(`${DEFAULT_DOCS_URL}#${r.meta.id}`);
    expect(rulesMd).toContain(`\n## ${r.meta.docsAnchor}\n`);
  }
});
