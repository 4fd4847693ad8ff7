/**
 * Making untrusted text (paths, module names, messages built from repository content) inert
 * in GitHub-flavoured markdown, in HTML blocks, in Mermaid labels and in a terminal.
 *
 * GitHub renders markdown with cmark-gfm, then runs filters over the resulting text nodes
 * (outside code and links): @mentions, #123 issue references, GH-123, emoji. Backslash
 * escapes are gone by then, so those are broken with a zero-width space (`&#8203;`) instead.
 */

const ZWSP = "&#8203;";

/** Line and paragraph separators: a newline would end a table row or a list item. */
const NEWLINES = /\r\n|[\r\n\u2028\u2029\u0085]/g;
/** C0/C1 controls (tab aside), DEL, and bidirectional overrides that can disguise a path. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of plain text: newlines and tabs become spaces, controls become U+FFFD. */
export function toSingleLine(text: string): string {
  return text.replace(NEWLINES, " ").replace(/\t/g, " ").replace(INVISIBLE, "\uFFFD");
}

/** Characters that markdown gives meaning to, escaped with a backslash. */
const MARKDOWN_PUNCTUATION = new Set("\\`*_{}[]()#+-.!|~$".split(""));

/** Where GitHub's post-render filters would link something, a ZWSP after `at` breaks it. */
function needsBreakAfter(text: string, at: number): boolean {
  const c = text[at];
  const next = text[at + 1] ?? "";
  if (c === "@") return true; // @user, @org/team, user@example.com
  if (c === "#") return /[\p{L}\p{N}_]/u.test(next); // #123, org/repo#123
  if ((c === "H" || c === "h") && next === "-" && at >= 1) return /^gh-\d/i.test(text.slice(at - 1, at + 3)); // GH-123
  if (c === ":") return text.startsWith("//", at + 1); // http://...
  if ((c === "w" || c === "W") && at >= 2) return /^www\./i.test(text.slice(at - 2, at + 2)); // www.x
  return false;
}

/**
 * Text made inert in GitHub markdown and HTML: markdown punctuation backslash-escaped,
 * `& < > "` as entities, mentions/issue references/autolinks broken, one line.
 */
export function escapeMarkdown(text: string): string {
  return escapeEach(text, (c) => (c === '"' ? "&quot;" : MARKDOWN_PUNCTUATION.has(c) ? `\\${c}` : c));
}

/** Entities for `& < >`, `other` for every other character, and mentions/autolinks broken. */
function escapeEach(text: string, other: (c: string) => string): string {
  const s = toSingleLine(text);
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "&") out += "&amp;";
    else if (c === "<") out += "&lt;";
    else if (c === ">") out += "&gt;";
    else out += other(c);
    if (needsBreakAfter(s, i)) out += ZWSP;
  }
  return out;
}

/** Text inside raw HTML (a `<summary>`): entities only (backslashes would show), mentions broken. */
export function escapeHtml(text: string): string {
  return escapeEach(text, (c) => (c === '"' ? "&quot;" : c === "'" ? "&#39;" : c));
}

/** Length of the longest run of `ch` in `text`. */
export function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/**
 * A markdown code span showing `text` exactly: the fence is one backtick longer than any run
 * inside, and spaces pad content that starts or ends with a backtick (or with spaces on both
 * sides, which CommonMark would strip). In a table cell (`table: true`) pipes become `\|`,
 * which GFM turns back into `|` before it parses the span.
 */
export function inlineCode(text: string, opts: { table?: boolean } = {}): string {
  let s = toSingleLine(text);
  if (s === "") return "";
  if (opts.table === true) s = s.replace(/\|/g, "\\|");
  const fence = "`".repeat(longestRun(s, "`") + 1);
  const pad =
    s.startsWith("`") || s.endsWith("`") || (s.startsWith(" ") && s.endsWith(" ") && s.trim() !== "");
  return pad ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** Code inside raw HTML: `<code>` with entities. */
export function htmlCode(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

/**
 * A fenced code block: the fence is longer than any backtick run in the code, so no line of
 * the code can close it; the info string is reduced to a plain language name.
 */
export function codeBlock(code: string, language = ""): string {
  const fence = "`".repeat(Math.max(3, longestRun(code, "`") + 1));
  const lang = /^[A-Za-z0-9_+.-]{1,30}$/.test(language) ? language : "";
  const body = code.replace(/\r\n?/g, "\n").replace(INVISIBLE, "\uFFFD");
  return `${fence}${lang}\n${body}${body.endsWith("\n") ? "" : "\n"}${fence}`;
}

/** Characters with a meaning in Mermaid flowchart syntax, as Mermaid entity codes. */
const MERMAID_ENTITIES: Record<string, string> = {
  '"': "#quot;",
  "#": "#35;",
  "&": "#amp;",
  "<": "#lt;",
  ">": "#gt;",
  "[": "#91;",
  "]": "#93;",
  "(": "#40;",
  ")": "#41;",
  "{": "#123;",
  "}": "#125;",
  "|": "#124;",
  "`": "#96;",
  ";": "#59;",
  "%": "#37;",
  "\\": "#92;",
};

/** Text for a quoted Mermaid node label (`n0["..."]`): one line, syntax characters as entity codes. */
export function mermaidLabel(text: string): string {
  let out = "";
  for (const c of toSingleLine(text)) out += MERMAID_ENTITIES[c] ?? c;
  return out;
}

/**
 * A link destination safe in markdown: http(s) only, parentheses, pipes, brackets, quotes and
 * spaces percent-encoded. Null when the URL is not http(s).
 */
export function safeUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  return parsed.href.replace(/[()|[\]"'<>`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** `[text](url)`, or just the escaped text when the URL is not safe to link. */
export function markdownLink(text: string, url: string): string {
  const href = safeUrl(url);
  return href === null ? escapeMarkdown(text) : `[${escapeMarkdown(text)}](${href})`;
}

/** Text safe to print in a terminal: escape sequences and other controls become U+FFFD. */
export function terminalSafe(text: string): string {
  return text.replace(/\t/g, " ").replace(NEWLINES, " ").replace(INVISIBLE, "\uFFFD");
}

/**
 * Plain-text prose from a rule (which may quote code between backticks, and quotes paths and
 * module names from the repository): each backtick span becomes a real code span, everything
 * else is escaped. A stray backtick from the repository only changes where spans fall; every
 * part is still escaped.
 */
export function prose(text: string, opts: { table?: boolean } = {}): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    const at = m.index ?? 0;
    out += escapeMarkdown(text.slice(last, at)) + inlineCode(m[1], opts);
    last = at + m[0].length;
  }
  return out + escapeMarkdown(text.slice(last));
}
