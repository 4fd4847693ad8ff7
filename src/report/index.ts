export {
  codeBlock,
  escapeHtml,
  escapeMarkdown,
  htmlCode,
  inlineCode,
  markdownLink,
  mermaidLabel,
  prose,
  safeUrl,
  terminalSafe,
  toSingleLine,
} from "./escape";
export { compareFindings, location, orderFindings, uniqueErrors, unreadErrors } from "./order";
export {
  DEFAULT_TITLE,
  GITHUB_COMMENT_LIMIT,
  INLINE_CAP,
  renderChain,
  renderInlineMessage,
  renderMermaidChain,
  renderSummaryMarkdown,
  SEVERITY_EMOJI,
  SUMMARY_BUDGET,
  type SummaryOptions,
} from "./markdown";
export { renderText, type TextOptions } from "./text";
export { renderJson } from "./json";
