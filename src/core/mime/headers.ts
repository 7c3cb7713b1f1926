/**
 * The message header: subject, addresses, date, ids and the full field list,
 * decoded with mailparser (RFC 2047 words in any charset it knows, address
 * lists with groups). When mailparser rejects the header (more than 1 MiB)
 * the fields are read by our own parser instead, with a note.
 */
import {
  parseAddressHeader,
  simpleParser,
  type AddressObject,
  type EmailAddress,
} from 'mailparser';
import type { Address } from '../types.js';
import { parseMailDate } from './date.js';
import { decodeWords, headerValue, parseHeaderBlock, withDecodedNames } from './header-values.js';

export { parseMailDate };

/** The decoded message header. Values are decoded, not sanitised. */
export interface DecodedHeader {
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  /** ms since the epoch; null when the Date header is missing or unparsable. */
  date: number | null;
  messageId: string;
  inReplyTo: string;
  references: string[];
  /** Every field in order, unfolded, encoded words decoded; `key` is the name as written. */
  headers: Array<{ key: string; value: string }>;
  notes: string[];
}

function flatten(list: EmailAddress[], out: Address[] = []): Address[] {
  for (const entry of list) {
    if (entry.group) flatten(entry.group, out);
    else if (entry.address || entry.name) {
      out.push({ name: entry.name ?? '', address: entry.address ?? '' });
    }
  }
  return out;
}

function addresses(value: AddressObject | AddressObject[] | undefined): Address[] {
  if (!value) return [];
  const objects = Array.isArray(value) ? value : [value];
  return objects.flatMap((object) => flatten(object.value ?? []));
}

/** `<id>` values of a References or In-Reply-To field. */
function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const ids = value.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => `<${id.replace(/^<|>$/g, '')}>`);
}

function safeAddressHeader(value: string | undefined): Address[] {
  if (!value) return [];
  try {
    return flatten(parseAddressHeader(value).value ?? []);
  } catch {
    return [];
  }
}

/** Ends a header block with exactly one blank line and nothing after it. */
function headerOnly(header: Buffer): Buffer {
  let end = header.length;
  while (end > 0 && (header[end - 1] === 0x0a || header[end - 1] === 0x0d)) end--;
  return Buffer.concat([header.subarray(0, end), Buffer.from('\r\n\r\n')]);
}

/**
 * Decodes a raw message header block (as `BODY.PEEK[HEADER]` returns it, or
 * the start of a raw message up to the blank line). Never throws.
 */
export async function decodeMessageHeader(header: Buffer): Promise<DecodedHeader> {
  const fields = parseHeaderBlock(header);
  const notes: string[] = [];
  const base = {
    headers: fields.map((field) => ({ key: field.name, value: decodeWords(field.value) })),
    date: parseMailDate(headerValue(fields, 'date')),
    references: messageIds(headerValue(fields, 'references')),
  };
  const all = (key: string): string | undefined => {
    const values = fields.filter((f) => f.key === key).map((f) => f.value);
    return values.length ? values.join(', ') : undefined;
  };
  try {
    const mail = await simpleParser(headerOnly(header), {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      keepCidLinks: true,
      checksumAlgo: false,
    });
    // mailparser finds the addresses; the subject and the names a user reads
    // come from our own decoder, as in the list and `read --headers`
    // (mailparser garbles raw 8-bit bytes inside encoded words and leaves UTF-7).
    const subject = headerValue(fields, 'subject');
    const names = (list: Address[], key: string): Address[] => withDecodedNames(list, all(key));
    return {
      ...base,
      subject: subject === undefined ? (mail.subject ?? '') : decodeWords(subject),
      from: names(addresses(mail.from), 'from'),
      to: names(addresses(mail.to), 'to'),
      cc: names(addresses(mail.cc), 'cc'),
      bcc: names(addresses(mail.bcc), 'bcc'),
      replyTo: names(addresses(mail.replyTo), 'reply-to'),
      messageId: mail.messageId ?? '',
      inReplyTo: mail.inReplyTo ?? '',
      notes,
    };
  } catch {
    // mailparser refuses headers over 1 MiB (EMAXLEN); read what we can ourselves.
    notes.push('The message header could not be fully decoded; some fields may be missing.');
    return {
      ...base,
      subject: decodeWords(headerValue(fields, 'subject') ?? ''),
      from: safeAddressHeader(headerValue(fields, 'from')),
      to: safeAddressHeader(all('to')),
      cc: safeAddressHeader(all('cc')),
      bcc: safeAddressHeader(all('bcc')),
      replyTo: safeAddressHeader(headerValue(fields, 'reply-to')),
      messageId: messageIds(headerValue(fields, 'message-id'))[0] ?? '',
      inReplyTo: messageIds(headerValue(fields, 'in-reply-to'))[0] ?? '',
      notes,
    };
  }
}
