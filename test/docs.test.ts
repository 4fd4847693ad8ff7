/** The docs users read must match the code: the rule reference and the README's rule table. */
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../src/rules";
import { renderRuleDocs } from "../src/rules/docs";
import { HELP } from "../src/cli/main";

const root = path.join(__dirname, "..");

test("docs/rules.md is generated from the rules (run `npm run docs`)", () => {
  expect(fs.readFileSync(path.join(root, "docs", "rules.md"), "utf8")).toBe(renderRuleDocs());
});

test("the README and --help list every rule with its default severity", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  for (const r of RULES) {
    expect(readme).toContain(`| [\`${r.meta.id}\`](docs/rules.md#${r.meta.docsAnchor}) | \`${r.meta.defaultSeverity}\` |`);
    expect(HELP).toContain(r.meta.id);
  }
});
