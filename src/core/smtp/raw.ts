/**
 * Byte-level work on RFC 5322 messages that must not be re-encoded: finding
 * header fields, taking the Bcc field out, and preparing a message file given
 * to `tmail send --file` so it goes out as it is.
 *
 * Header text is handled as latin1 so that every byte maps to one character
 * and back: whatever 8-bit bytes a header holds survive untouched.
 */
import { dedupeAddresses, isValidAddress, parseAddressList } from '../compose/addresses.js';
import { cleanHeaderText } from '../compose/draft.js';
import { fromProblem } from '../compose/identities.js';
import { visible } from '../compose/validate.js';
import type { AccountConfig } from '../config/types.js';
import { TmailError } from '../errors.js';
import { randomUUID } from '../random-id.js';
import type { Address } from '../types.js';

/** One header field: its name, its unfolded value, and where it sits in the header text. */
export interface HeaderField {
  name: string;
  value: string;
  start: number;
  end: number;
}

/** Converts every line end (CRLF, bare LF, bare CR) to CRLF, as SMTP and IMAP want. */
export function toCrlf(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const fixed = text.replace(/\r\n|\r|\n/g, '\r\n');
  return fixed === text ? raw : Buffer.from(fixed, 'latin1');
}

/** Length of the header block including the empty line that ends it (all of it when there is no body). */
export function headerLength(raw: Buffer): number {
  const end = raw.indexOf('\r\n\r\n');
  return end < 0 ? raw.length : end + 4;
}

/**
 * The fields of a CRLF header block. Throws INVALID_MESSAGE naming the line
 * when a line is neither a field nor a continuation of one.
 */
export function parseHeaderFields(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let offset = 0;
  const lines = head.split('\r\n');
  lines.forEach((line, index) => {
    const start = offset;
    offset += line.length + 2;
    if (line === '') return;
    if (/^[ \t]/.test(line)) {
      const last = fields[fields.length - 1];
      if (!last) {
        throw new TmailError(
          'INVALID_MESSAGE',
          'The message starts with a folded line instead of a header.',
        );
      }
      last.value += ` ${line.trim()}`;
      last.end = start + line.length + 2;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon))) {
      throw new TmailError(
        'INVALID_MESSAGE',
        `Line ${index + 1} of the message header is not a header field.`,
      );
    }
    fields.push({
      name: line.slice(0, colon),
      value: line.slice(colon + 1).trim(),
      start,
      end: start + line.length + 2,
    });
  });
  return fields;
}

/** The header fields of a CRLF message. */
export function messageHeaderFields(raw: Buffer): HeaderField[] {
  return parseHeaderFields(raw.subarray(0, headerLength(raw)).toString('latin1'));
}

/**
 * Takes every field called `name` (any case) out of the message's header, and
 * returns the message without them and the fields as they were (CRLF-ended).
 */
export function removeHeaderFields(raw: Buffer, name: string): { raw: Buffer; removed: Buffer } {
  const length = headerLength(raw);
  const head = raw.subarray(0, length).toString('latin1');
  const fields = parseHeaderFields(head).filter((f) => f.name.toLowerCase() === name.toLowerCase());
  if (fields.length === 0) return { raw, removed: Buffer.alloc(0) };
  const kept: Buffer[] = [];
  const removed: Buffer[] = [];
  let cursor = 0;
  for (const field of fields) {
    kept.push(raw.subarray(cursor, field.start));
    removed.push(raw.subarray(field.start, field.end));
    cursor = field.end;
  }
  kept.push(raw.subarray(cursor));
  return { raw: Buffer.concat(kept), removed: Buffer.concat(removed) };
}

/** An RFC 5322 date in UTC, e.g. `Tue, 04 Mar 2025 09:15:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** A new Message-ID at the domain of `address`. */
export function newMessageId(address: string): string {
  const domain =
    address.slice(address.lastIndexOf('@') + 1).replace(/[^A-Za-z0-9.-]/g, '') || 'tmail.invalid';
  return `<${randomUUID()}@${domain}>`;
}

/** What a message needs to be queued and submitted (what `buildMessage` returns). */
export interface BuiltMessage {
  /** The exact bytes for the SMTP server: CRLF line ends, no Bcc field. */
  raw: Buffer;
  /** With angle brackets. */
  messageId: string;
  envelope: { from: string; to: string[] };
  /** The Bcc field (CRLF-ended) taken out of `raw`, for the Sent copy; empty when none. */
  bccHeader: string;
  /** The subject as shown in the outbox list. */
  subject: string;
}

function fieldAddresses(fields: HeaderField[], name: string): Address[] {
  return fields
    .filter((f) => f.name.toLowerCase() === name)
    .flatMap((f) => parseAddressList(f.value));
}

/**
 * Prepares an existing RFC 5322 message (`tmail send --file`) to go as it is:
 * line ends made CRLF, recipients read from To, Cc and Bcc, the Bcc field
 * taken out, and Date and Message-ID added only when it has none. Refuses
 * (INVALID_MESSAGE, one sentence) a message without From or recipients, or
 * with an address that does not parse.
 */
export function prepareRawMessage(
  input: Buffer,
  account: AccountConfig,
  now = new Date(),
): BuiltMessage {
  let raw = toCrlf(input);
  if (raw.length === 0 || raw.subarray(0, 2).toString() === '\r\n') {
    throw new TmailError('INVALID_MESSAGE', 'The message file has no header.');
  }
  if (raw.indexOf('\r\n\r\n') < 0) {
    // Headers only: end the header block so that the message has an (empty) body.
    raw = Buffer.concat([
      raw,
      Buffer.from(raw.subarray(-2).toString() === '\r\n' ? '\r\n' : '\r\n\r\n'),
    ]);
  }
  const fields = messageHeaderFields(raw);

  const from = fieldAddresses(fields, 'from')[0];
  if (!from) throw new TmailError('INVALID_MESSAGE', 'The message has no From header.');
  if (!isValidAddress(from.address)) {
    throw new TmailError(
      'INVALID_MESSAGE',
      `The From address "${visible(from.address)}" is not valid.`,
    );
  }
  const foreign = fromProblem(account, from);
  if (foreign) throw new TmailError('INVALID_MESSAGE', foreign);
  const recipients = dedupeAddresses([
    ...fieldAddresses(fields, 'to'),
    ...fieldAddresses(fields, 'cc'),
    ...fieldAddresses(fields, 'bcc'),
  ]);
  for (const r of recipients) {
    if (!isValidAddress(r.address)) {
      throw new TmailError(
        'INVALID_MESSAGE',
        `"${visible(r.address)}" is not a valid email address.`,
      );
    }
  }
  if (recipients.length === 0) {
    throw new TmailError('INVALID_MESSAGE', 'The message has no recipient in To, Cc or Bcc.');
  }

  const { raw: withoutBcc, removed } = removeHeaderFields(raw, 'bcc');
  const added: string[] = [];
  if (!fields.some((f) => f.name.toLowerCase() === 'date'))
    added.push(`Date: ${rfc5322Date(now)}\r\n`);
  let messageId = fields.find((f) => f.name.toLowerCase() === 'message-id')?.value.trim() ?? '';
  if (!/^<[^<>\s]+>$/.test(messageId)) {
    if (messageId)
      throw new TmailError('INVALID_MESSAGE', 'The Message-ID header of the message is not valid.');
    messageId = newMessageId(from.address || account.email);
    added.push(`Message-ID: ${messageId}\r\n`);
  }
  const subject = fields.find((f) => f.name.toLowerCase() === 'subject')?.value ?? '';
  return {
    raw:
      added.length > 0
        ? Buffer.concat([Buffer.from(added.join(''), 'latin1'), withoutBcc])
        : withoutBcc,
    messageId,
    envelope: { from: from.address, to: recipients.map((r) => r.address) },
    bccHeader: removed.toString('utf8'),
    subject: cleanHeaderText(subject),
  };
}
