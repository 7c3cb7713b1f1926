/**
 * Writing mail, without I/O (except the editor): the Draft type, the builders
 * for new messages, replies and forwards, the editor file, address lists, and
 * the checks a draft must pass before it is sent. Building the MIME message
 * and submitting it live in core/smtp; keeping drafts and the outbox on disk
 * in core/outbox.
 */
export * from './addresses.js';
export * from './draft.js';
export * from './mailto.js';
export * from './draft-message.js';
export * from './editor-text.js';
export * from './editor.js';
export * from './validate.js';
export * from './identities.js';
export * from './signature.js';
