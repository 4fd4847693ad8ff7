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
export { compareFindings, location, orderFindings, uniqueErrors } from "./order";
export {
  DEFAULT_TITLE,
  renderChain,
  renderInlineMessage,
  renderMermaidChain,
  renderSummaryMarkdown,
  SEVERITY_EMOJI,
  type SummaryOptions,
} from "./markdown";
export { renderText, type TextOptions } from "./text";
export { renderJson } from "./json";
