/** The rule reference (docs/rules.md), generated from the rules' own metadata so it cannot drift. */
import { RULES } from ".";
import type { Rule } from "./rule";

function section(rule: Rule): string {
  const { id, defaultSeverity, docs } = rule.meta;
  return [
    `## ${id}`,
    "",
    `Default severity: \`${defaultSeverity}\`. Anchor: \`#${rule.meta.docsAnchor}\`.`,
    "",
    `**What it does.** ${docs.what}`,
    "",
    `**Why is this bad?** ${docs.why}`,
    "",
    `**How to fix.** ${docs.fix}`,
    "",
    "**Example** (reported):",
    "",
    "```python",
    docs.example.bad,
    "```",
    "",
    "**Use instead:**",
    "",
    "```python",
    docs.example.good,
    "```",
    "",
    `Configure: \`[tool.django-startup-guard.rules] ${id} = "off" | "message" | "warn" | "fail"\`, per path with \`[[tool.django-startup-guard.overrides]]\`, or per line with \`# startup-guard: allow ${id} -- <reason>\`.`,
  ].join("\n");
}

export function renderRuleDocs(): string {
  return [
    "# Rules",
    "",
    "<!-- Generated from src/rules/*.ts by `npm run docs`; test/docs.test.ts fails when it is stale. -->",
    "",
    ...RULES.map((r) => `- [\`${r.meta.id}\`](#${r.meta.docsAnchor}): ${r.meta.docs.what}`),
    "",
    ...RULES.map(section).join("\n\n").split("\n"),
    "",
  ].join("\n");
}
