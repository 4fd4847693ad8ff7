import type { ChainLink, Finding, ReviewError } from "../src/core/types";
import {
  prose,
  codeBlock,
  escapeHtml,
  escapeMarkdown,
  inlineCode,
  markdownLink,
  mermaidLabel,
  orderFindings,
  renderChain,
  renderInlineMessage,
  renderJson,
  renderMermaidChain,
  renderSummaryMarkdown,
  renderText,
  safeUrl,
} from "../src/report";

const DOCS = "https://github.com/PostHog/posthog/blob/master/docs/internal/django-startup-time.md";

function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "heavy-import-at-startup",
    severity: "warn",
    file: "a/models/table.py",
    line: 3,
    message: "chdb is imported at startup",
    why: "Every process pays for it.",
    fix: "Import it inside the functions that use it.",
    docs: `${DOCS}#heavy-import-at-startup`,
    inDiff: true,
    ...over,
  };
}

const CHAIN: ChainLink[] = [
  { module: "a.models", file: "a/models/__init__.py", line: null },
  { module: "a.models.table", file: "a/models/table.py", line: 12 },
  { module: "chdb", file: null, line: 3 },
];

/** Pipes that split a table row: not preceded by a backslash. */
function cellSeparators(row: string): number {
  return [...row.matchAll(/(?<!\\)\|/g)].length;
}

describe("escapeMarkdown", () => {
  const cases: [string, string, string][] = [
    ["emphasis", "a_b*c~d", "a\\_b\\*c\\~d"],
    ["html tag", "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"],
    ["javascript link", "[link](javascript:alert(1))", "\\[link\\]\\(javascript:alert\\(1\\)\\)"],
    ["team mention", "@org/team", "@&#8203;org/team"],
    ["email", "a@b.io", "a@&#8203;b\\.io"],
    ["issue reference", "fixes #123", "fixes \\#&#8203;123"],
    ["cross-repo reference", "org/repo#12", "org/repo\\#&#8203;12"],
    ["GH- reference", "GH-12", "GH&#8203;\\-12"],
    ["lone hash", "a # b", "a \\# b"],
    ["newlines", "a\nb\r\nc\rd", "a b c d"],
    ["backticks", "`code`", "\\`code\\`"],
    ["pipes", "x|y", "x\\|y"],
    ["quotes and ampersand", `"q" & 'a'`, "&quot;q&quot; &amp; 'a'"],
    ["entity text stays text", "&lt;", "&amp;lt;"],
    ["url", "see https://evil.test", "see https:&#8203;//evil\\.test"],
    ["www", "www.evil.test", "www&#8203;\\.evil\\.test"],
    ["math", "$x$", "\\$x\\$"],
    ["backslash", "a\\b", "a\\\\b"],
    ["heading and list markers", "# + - 1. !", "\\# \\+ \\- 1\\. \\!"],
    ["terminal escape", "a\u001b[31mb", "a\uFFFD\\[31mb"],
    ["bidi override", "a\u202Eb", "a\uFFFDb"],
    ["plain", "posthog/models/user.py", "posthog/models/user\\.py"],
  ];
  it.each(cases)("%s", (_name, input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it.each([
    "<script>alert(1)</script>",
    "[x](javascript:alert(1)) ![i](https://x/y.png)",
    "line1\n\n| a | b |\n|---|---|",
    "@everyone @org/team",
    "``` code ```",
  ])("leaves nothing active in %j", (input) => {
    const out = escapeMarkdown(input);
    expect(out).not.toMatch(/[<>\n\r]/);
    expect(out).not.toMatch(/(?<!\\)[[\]()|`!]/);
    expect(out).not.toMatch(/@[A-Za-z0-9]/);
  });
});

describe("escapeHtml", () => {
  it("uses entities only (backslashes would show in raw HTML) and breaks mentions", () => {
    expect(escapeHtml(`<b>"x"</b> & 'y' @team #1 a_b`)).toBe(
      "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &#39;y&#39; @&#8203;team #&#8203;1 a_b",
    );
  });
});

describe("inlineCode", () => {
  const cases: [string, string, boolean, string][] = [
    ["plain", "a/b.py:3", false, "`a/b.py:3`"],
    ["inner backtick", "a`b", false, "``a`b``"],
    ["double backticks", "a``b`c", false, "```a``b`c```"],
    ["leading backtick", "`a", false, "`` `a ``"],
    ["trailing backtick", "a`", false, "`` a` ``"],
    ["spaces on both sides", " a ", false, "`  a  `"],
    ["space on one side", " a", false, "` a`"],
    ["pipe outside a table", "a|b", false, "`a|b`"],
    ["pipe in a table", "a|b", true, "`a\\|b`"],
    ["backslash-pipe in a table", "a\\|b", true, "`a\\\\|b`"],
    ["newline", "a\nb", false, "`a b`"],
    ["html stays literal", "<img src=x>", false, "`<img src=x>`"],
    ["empty", "", false, ""],
  ];
  it.each(cases)("%s", (_name, input, table, expected) => {
    expect(inlineCode(input, { table })).toBe(expected);
  });
});

describe("codeBlock", () => {
  it("uses a fence longer than any backtick run", () => {
    expect(codeBlock("x = 1", "python")).toBe("```python\nx = 1\n```");
    expect(codeBlock('s = """```"""\n', "python")).toBe('````python\ns = """```"""\n````');
    expect(codeBlock("a ````` b", "python")).toBe("``````python\na ````` b\n``````");
  });

  it("drops an info string that is not a plain language name", () => {
    expect(codeBlock("x", "python onerror=x")).toBe("```\nx\n```");
  });
});

describe("mermaidLabel", () => {
  it.each([
    ['say "hi"', "say #quot;hi#quot;"],
    ["a[0](b){c}", "a#91;0#93;#40;b#41;#123;c#125;"],
    ["<b>x</b>", "#lt;b#gt;x#lt;/b#gt;"],
    ["a|b;c#d`e&f%g", "a#124;b#59;c#35;d#96;e#amp;f#37;g"],
    ["line\nbreak", "line break"],
    ["posthog.models.user", "posthog.models.user"],
  ])("%j", (input, expected) => {
    expect(mermaidLabel(input)).toBe(expected);
  });
});

describe("links", () => {
  it.each([
    ["https://x.dev/a_(b).md#r", "https://x.dev/a_%28b%29.md#r"],
    ["https://x.dev/a b|c", "https://x.dev/a%20b%7Cc"],
    ["javascript:alert(1)", null],
    ["data:text/html,<b>", null],
    ["not a url", null],
  ])("safeUrl(%j)", (input, expected) => {
    expect(safeUrl(input)).toBe(expected);
  });

  it("does not link an unsafe URL", () => {
    expect(markdownLink("rule", "javascript:alert(1)")).toBe("rule");
    expect(markdownLink("a_rule", "https://x.dev/")).toBe("[a\\_rule](https://x.dev/)");
  });
});

describe("chains", () => {
  it("renders file:line of each import, link by link", () => {
    expect(renderChain(CHAIN)).toBe("`a/models/__init__.py:12` → `a/models/table.py:3` → `chdb`");
  });

  it("renders a Mermaid flowchart", () => {
    expect(renderMermaidChain(CHAIN)).toBe(
      [
        "```mermaid",
        "flowchart LR",
        '  n0["a.models #40;a/models/__init__.py#41;"]',
        '  n1["a.models.table #40;a/models/table.py#41;"]',
        '  n2["chdb"]',
        "  n0 -->|line 12| n1",
        "  n1 -->|line 3| n2",
        "```",
      ].join("\n"),
    );
  });

  it("escapes hostile module names in Mermaid", () => {
    const out = renderMermaidChain([
      { module: 'x"]; click n0 "javascript:alert(1)', file: null, line: null },
      { module: "y", file: null, line: null },
    ]);
    expect(out).toContain('n0["x#quot;#93;#59; click n0 #quot;javascript:alert#40;1#41;"]');
    expect(out).toContain("  n0 --> n1");
  });
});

describe("orderFindings", () => {
  it("sorts by severity, file, line, rule and drops duplicates", () => {
    const input = [
      finding({ severity: "message", file: "a.py", line: 1 }),
      finding({ severity: "warn", file: "b.py", line: 10 }),
      finding({ severity: "warn", file: "b.py", line: 2 }),
      finding({ severity: "fail", file: "z.py", line: 5 }),
      finding({ severity: "warn", file: "b.py", line: 2, rule: "a-rule" }),
      finding({ severity: "warn", file: "b.py", line: null }),
      finding({ severity: "warn", file: "b.py", line: 2 }), // duplicate
      finding({ severity: "fail", file: "b.py", line: 10 }), // same as the warn one, more severe
    ];
    expect(orderFindings(input).map((f) => `${f.severity} ${f.file}:${f.line} ${f.rule}`)).toEqual([
      "fail b.py:10 heavy-import-at-startup",
      "fail z.py:5 heavy-import-at-startup",
      "warn b.py:null heavy-import-at-startup",
      "warn b.py:2 a-rule",
      "warn b.py:2 heavy-import-at-startup",
      "message a.py:1 heavy-import-at-startup",
    ]);
  });
});

describe("renderSummaryMarkdown", () => {
  it("renders one finding completely", () => {
    const f = finding({
      chain: CHAIN,
      fixCode: { path: "a/models/table.py", language: "python", code: "def query():\n    import chdb\n" },
      details: ["Used by 2 functions"],
    });
    expect(renderSummaryMarkdown([f], [], [])).toBe(
      [
        "## Django startup guard",
        "",
        "1 finding: ⚠️ 1 warn",
        "",
        "| | Rule | Where | What |",
        "| --- | --- | --- | --- |",
        `| ⚠️ | [heavy\\-import\\-at\\-startup](${DOCS}#heavy-import-at-startup) | \`a/models/table.py:3\` | chdb is imported at startup |`,
        "",
        "<details>",
        "<summary>⚠️ <code>heavy-import-at-startup</code> at <code>a/models/table.py:3</code></summary>",
        "",
        "**What:** chdb is imported at startup",
        "",
        "**Why:** Every process pays for it\\.",
        "",
        "**Fix:** Import it inside the functions that use it\\.",
        "",
        "**Import chain:** `a/models/__init__.py:12` → `a/models/table.py:3` → `chdb`",
        "",
        "```mermaid",
        "flowchart LR",
        '  n0["a.models #40;a/models/__init__.py#41;"]',
        '  n1["a.models.table #40;a/models/table.py#41;"]',
        '  n2["chdb"]',
        "  n0 -->|line 12| n1",
        "  n1 -->|line 3| n2",
        "```",
        "",
        "Suggested code for `a/models/table.py`:",
        "",
        "```python",
        "def query():",
        "    import chdb",
        "```",
        "",
        "- Used by 2 functions",
        "",
        `[Documentation: heavy\\-import\\-at\\-startup](${DOCS}#heavy-import-at-startup)`,
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to report", () => {
    expect(renderSummaryMarkdown([], [], [], { title: "Startup *check*" })).toBe(
      "## Startup \\*check\\*\n\n✅ No startup-time regressions found.\n",
    );
  });

  it("makes hostile repository text inert", () => {
    const nasty = finding({
      file: "evil`|<img src=x onerror=alert(1)>.py",
      message: "[click](javascript:alert(1)) @org/team fixes #123 <script>x</script>",
      why: "a\n\n## injected heading",
      fix: "| forged | row |",
      fixCode: { path: "x`y.py", language: "python", code: "```\n</details>\n```" },
      details: ["@everyone"],
    });
    const out = renderSummaryMarkdown([nasty], [], []);
    const row = out.split("\n").find((l) => l.startsWith("| ⚠️"));
    expect(row).toBe(
      `| ⚠️ | [heavy\\-import\\-at\\-startup](${DOCS}#heavy-import-at-startup) | \`\`evil\`\\|<img src=x onerror=alert(1)>.py:3\`\` | \\[click\\]\\(javascript:alert\\(1\\)\\) @&#8203;org/team fixes \\#&#8203;123 &lt;script&gt;x&lt;/script&gt; |`,
    );
    expect(cellSeparators(row ?? "")).toBe(5);
    expect(out).toContain(
      "<summary>⚠️ <code>heavy-import-at-startup</code> at <code>evil`|&lt;img src=x onerror=alert(1)&gt;.py:3</code></summary>",
    );
    expect(out).toContain("**Why:** a  \\#\\# injected heading");
    expect(out).toContain("**Fix:** \\| forged \\| row \\|");
    expect(out).toContain("Suggested code for ``x`y.py``:");
    expect(out).toContain("````python\n```\n</details>\n```\n````");
    expect(out).toContain("- @&#8203;everyone");
    expect(out).not.toMatch(/@(org|everyone)/);
    // Only our own details block opens and closes outside code.
    const outsideCode = out.replace(/````python[\s\S]*?\n````/g, "");
    expect(outsideCode.match(/<\/details>/g)).toHaveLength(1);
    // Raw tags appear only inside the code span of the row asserted above.
    expect(outsideCode.split("\n").filter((l) => /<(img|script)/.test(l))).toEqual([row]);
  });

  it("does not link a docs URL that is not http(s)", () => {
    const out = renderSummaryMarkdown([finding({ docs: "javascript:alert(1)" })], [], []);
    expect(out).toContain("| ⚠️ | heavy\\-import\\-at\\-startup | ");
    expect(out).not.toContain("javascript:alert(1)");
  });

  it("orders rows, removes duplicates and counts by severity", () => {
    const out = renderSummaryMarkdown(
      [
        finding({ file: "b.py", line: 1 }),
        finding({ severity: "fail", file: "c.py", line: 9, rule: "module-moved-without-shim", message: "moved" }),
        finding({ severity: "message", file: "a.py", line: 1, rule: "side-effect-import-removed", message: "removed" }),
        finding({ file: "b.py", line: 1 }),
        finding({ file: "a.py", line: 7 }),
      ],
      [],
      [],
    );
    const rows = out.split("\n").filter((l) => /^\| (⛔|⚠️|💬) /.test(l));
    expect(rows.map((r) => r.split(" | ")[2])).toEqual(["`c.py:9`", "`a.py:7`", "`b.py:1`", "`a.py:1`"]);
    expect(out).toContain("4 findings: ⛔ 1 fail, ⚠️ 2 warn, 💬 1 message");
    expect(out.match(/<details>/g)).toHaveLength(4);
  });

  it("lists problems and notes after the findings, once each", () => {
    const errors: ReviewError[] = [
      { kind: "config", where: "pyproject.toml:3", message: 'unknown key "x_y"' },
      { kind: "config", where: "pyproject.toml:3", message: 'unknown key "x_y"' },
      { kind: "syntax", where: "a|b.py", message: "@dev broke it" },
    ];
    const out = renderSummaryMarkdown([finding()], errors, ["The PR edits [tool.x]", "The PR edits [tool.x]"]);
    expect(out.endsWith(
      [
        "### Problems met during the review",
        "",
        '- **config** `pyproject.toml:3`: unknown key &quot;x\\_y&quot;',
        "- **syntax** `a|b.py`: @&#8203;dev broke it",
        "",
        "### Notes",
        "",
        "- The PR edits \\[tool\\.x\\]",
        "",
      ].join("\n"),
    )).toBe(true);
    expect(out.indexOf("### Problems")).toBeGreaterThan(out.indexOf("</details>"));
  });

  it("renders a file-level finding without a line", () => {
    const out = renderSummaryMarkdown([finding({ line: null })], [], []);
    expect(out).toContain("| `a/models/table.py` |");
  });
});

describe("renderInlineMessage", () => {
  it("gives what, fix and the docs link", () => {
    expect(renderInlineMessage(finding())).toBe(
      [
        "`heavy-import-at-startup`: chdb is imported at startup",
        "",
        "**Fix:** Import it inside the functions that use it\\.",
        "",
        `[Why this matters and how to fix it](${DOCS}#heavy-import-at-startup)`,
      ].join("\n"),
    );
  });

  it("includes suggested code in a safe fence", () => {
    const out = renderInlineMessage(finding({ fixCode: { language: "python", code: "x = '```'" } }));
    expect(out).toContain("\n````python\nx = '```'\n````\n");
  });
});

describe("renderText", () => {
  const f = finding({ chain: CHAIN, fixCode: { path: "a.py", language: "python", code: "import x\n" }, details: ["d1"] });

  it("prints plain text without colour", () => {
    expect(renderText([f], [{ kind: "config", where: "pyproject.toml:2", message: "bad" }], { color: false })).toBe(
      [
        "a/models/table.py:3: warn: chdb is imported at startup [heavy-import-at-startup]",
        "    chain: a/models/__init__.py:12 -> a/models/table.py:3 -> chdb",
        "    why: Every process pays for it.",
        "    fix: Import it inside the functions that use it.",
        "    suggested code for a.py:",
        "        import x",
        "    - d1",
        `    docs: ${DOCS}#heavy-import-at-startup`,
        "error: [config] pyproject.toml:2: bad",
        "1 finding (1 warn), 1 problem reading the input.",
      ].join("\n"),
    );
  });

  it("colours only when asked", () => {
    expect(renderText([f], [], { color: false })).not.toContain("\u001b");
    const coloured = renderText([f], [], { color: true });
    expect(coloured).toContain("\u001b[33mwarn\u001b[0m");
    expect(coloured).toContain("\u001b[1ma/models/table.py:3\u001b[0m");
  });

  it("strips terminal escapes from repository text", () => {
    const out = renderText([finding({ message: "x\u001b]0;pwned\u0007y\nz", file: "a\u001b[2J.py" })], [], { color: false });
    expect([...out].filter((c) => c !== "\n" && (c < " " || c === "\u007f"))).toEqual([]);
    expect(out.split("\n")[0]).toBe("a\uFFFD[2J.py:3: warn: x\uFFFD]0;pwned\uFFFDy z [heavy-import-at-startup]");
  });

  it("summarises an empty run", () => {
    expect(renderText([], [], { color: false })).toBe("No findings.");
  });
});

describe("renderJson", () => {
  it("has a stable shape and key order", () => {
    const f = finding({
      chain: [{ line: 4, file: null, module: "chdb" }],
      fixCode: { code: "x", language: "python", path: "p.py" },
      details: ["d"],
      inDiff: false,
    });
    const json = renderJson([f, f], [{ message: "m", where: "w", kind: "git" }]);
    expect(json).toBe(
      JSON.stringify(
        {
          findings: [
            {
              rule: "heavy-import-at-startup",
              severity: "warn",
              file: "a/models/table.py",
              line: 3,
              message: "chdb is imported at startup",
              docs: `${DOCS}#heavy-import-at-startup`,
              why: "Every process pays for it.",
              fix: "Import it inside the functions that use it.",
              fixCode: { path: "p.py", language: "python", code: "x" },
              chain: [{ module: "chdb", file: null, line: 4 }],
              details: ["d"],
              inDiff: false,
            },
          ],
          errors: [{ kind: "git", where: "w", message: "m" }],
        },
        null,
        2,
      ),
    );
    const parsed = JSON.parse(json) as { findings: Record<string, unknown>[] };
    expect(Object.keys(parsed.findings[0]).slice(0, 6)).toEqual(["rule", "severity", "file", "line", "message", "docs"]);
  });

  it("keeps null lines, omits absent optional keys and orders findings", () => {
    const parsed = JSON.parse(
      renderJson([finding({ severity: "message" }), finding({ severity: "fail", line: null })], []),
    ) as { findings: Record<string, unknown>[]; errors: unknown[] };
    expect(parsed.findings.map((f) => [f.severity, f.line])).toEqual([
      ["fail", null],
      ["message", 3],
    ]);
    expect(Object.keys(parsed.findings[0])).toEqual(["rule", "severity", "file", "line", "message", "docs", "why", "fix", "inDiff"]);
    expect(parsed.errors).toEqual([]);
  });

  it("renders an empty report", () => {
    expect(renderJson([], [])).toBe('{\n  "findings": [],\n  "errors": []\n}');
  });
});

describe("prose(): rule text with code spans around untrusted names", () => {
  test.each([
    ["plain `import chdb` here", "plain `import chdb` here"],
    ["`<img src=x onerror=alert(1)>` and <b>", "`<img src=x onerror=alert(1)>` and &lt;b&gt;"],
    ["stray ` backtick @org/team", "stray \\` backtick @&#8203;org/team"],
  ])("%s", (input, expected) => {
    expect(prose(input)).toBe(expected);
  });

  test("a pipe inside a code span in a table cell cannot end the cell", () => {
    expect(prose("`a|b` c|d", { table: true })).toBe("`a\\|b` c\\|d");
  });
});
