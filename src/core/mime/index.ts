/**
 * Reading mail: MIME decoding (the only user of mailparser and html-to-text),
 * part selection for partial fetches, and saving or opening attachments.
 *
 * Values in a MessageView are decoded but not sanitised; display goes
 * through core/text (`renderMessageText`, `sanitizeLine`), re-exported here
 * for the CLI's convenience.
 */
export {
  attachmentFromPart,
  attachmentFromSource,
  attachmentPartId,
  messageFromParts,
  parseAttachedMessage,
  parseMessage,
  parseMessagePart,
  type MessageParts,
  type ParseOptions,
} from './parse.js';
export {
  attachmentsFromStructure,
  chooseTextParts,
  mergeAttachmentSizes,
  planParts,
  typeFromFileName,
  type PartPlan,
  type SelectOptions,
} from './select.js';
export { findPart, scanMessage, structureFromSource, type ScanLimits } from './structure.js';
export {
  createTransferDecoder,
  decodeTransferEncoding,
  estimateDecodedSize,
  transferEncodingOf,
} from './transfer.js';
export { decodeWords, parseStructuredValue, type StructuredValue } from './header-values.js';
export { parseMailDate } from './headers.js';
export {
  isInside,
  safeFileName,
  saveAttachmentStream,
  shellSafeFileName,
  writePrivateTempFile,
  type AttachmentContent,
  type PrivateTempFile,
  type SaveOptions,
} from './save.js';
export {
  chooseOpener,
  parseMailcap,
  runOpener,
  shellQuote,
  type MailcapEntry,
  type OpenerChoice,
  type OpenerOptions,
} from './opener.js';
export { looksLikeText, pagerText, PAGER_MAX_BYTES } from './pager-text.js';
export {
  renderMessage,
  renderMessageText,
  type RenderMessageOptions,
} from '../text/render-message.js';
