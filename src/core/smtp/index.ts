/**
 * Sending mail: building the MIME message from a draft, submitting it to the
 * account's gateway, and the send orchestration through the outbox. The only
 * importer of nodemailer.
 */
export * from './bounce.js';
export * from './build.js';
export * from './raw.js';
export * from './send.js';
export * from './submit.js';
export { createSmtpTransport, smtpOptions, translateSmtpError } from './transport.js';
