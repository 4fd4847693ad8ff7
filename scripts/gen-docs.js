// Regenerates docs/rules.md and the README's rule table from the compiled rule registry (run `npm run build` first).
const fs = require("node:fs");
const path = require("node:path");
const { renderRuleDocs, withReadmeRules } = require("../dist/rules/docs");
const root = path.join(__dirname, "..");
fs.writeFileSync(path.join(root, "docs", "rules.md"), renderRuleDocs());
const readme = path.join(root, "README.md");
fs.writeFileSync(readme, withReadmeRules(fs.readFileSync(readme, "utf8")));
console.log("docs/rules.md and README.md's rule table written");
