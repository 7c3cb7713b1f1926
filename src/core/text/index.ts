/**
 * Display text for the terminal: sanitising (terminal safety), cell widths,
 * and the shared rendering of a message. UI-free and library-light, so every
 * layer, the UI included, may import it.
 */
export {
  isTerminalSafe,
  sanitizeLine,
  sanitizeText,
  type SanitizeTextOptions,
} from './sanitize.js';
export {
  cellWidth,
  graphemeWidth,
  graphemes,
  padToWidth,
  truncateToWidth,
  wrapText,
} from './width.js';
export {
  formatAddress,
  formatAddressList,
  formatDateTime,
  formatSize,
  type DateFormatOptions,
} from './format.js';
export {
  renderMessage,
  renderMessageText,
  type RenderMessageOptions,
  type RenderedLine,
  type RenderedLineKind,
} from './render-message.js';
export { isMisleading, messageLinks, unopenableReason, type MessageLink } from './links.js';
export { linkLine } from './render-message.js';
