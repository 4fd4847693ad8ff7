// Regenerates docs/rules.md from the compiled rule metadata (run `npm run build` first).
const fs = require("node:fs");
const path = require("node:path");
const { renderRuleDocs } = require("../dist/rules/docs");
fs.writeFileSync(path.join(__dirname, "..", "docs", "rules.md"), renderRuleDocs());
console.log("docs/rules.md written");
