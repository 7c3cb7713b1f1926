/**
 * The list's header fields, decoded by the reader's own decoders. imapflow
 * decodes ENVELOPE with libmime, after turning the server's bytes into UTF-8,
 * so a raw 8-bit byte inside an encoded word arrives as `Frï¿½sche` and a
 * UTF-7 word as `Fr+APY-sche`, and its dates come from V8's parser. The
 * engine fetches the raw fields next to ENVELOPE and reads subject, names and
 * date here, so the list shows exactly what the reader shows.
 *
 * No mailparser here: the list must not pay for loading it.
 */
import { parseMailDate } from './date.js';
import { decodeWords, parseHeaderBlock, withDecodedNames } from './header-values.js';

/** The header fields to fetch (`BODY.PEEK[HEADER.FIELDS (...)]`) for {@link decodeEnvelopeFields}. */
export const ENVELOPE_HEADER_FIELDS = [
  'date',
  'subject',
  'from',
  'to',
  'cc',
  'reply-to',
  // For threads made here when the server has no THREAD.
  'references',
];

/** What {@link decodeEnvelopeFields} read. */
export interface EnvelopeFields {
  /** The decoded subject; undefined when the message has no Subject field. */
  subject: string | undefined;
  /** The Date field in ms since the epoch; null when missing or unreadable. */
  date: number | null;
  /** Message-IDs of References (`<...>`), oldest first; empty when none. */
  references: string[];
  /** `addresses` of field `key` (`from`, `to` …) with names decoded by our decoder. */
  names<T extends { name: string; address: string }>(key: string, addresses: T[]): T[];
}

/** Reads the raw header fields the server sent for the list. Never throws. */
export function decodeEnvelopeFields(raw: Buffer | undefined): EnvelopeFields {
  const fields = raw?.length ? parseHeaderBlock(raw) : [];
  const value = (key: string): string | undefined => {
    const values = fields.filter((field) => field.key === key).map((field) => field.value);
    return values.length ? values.join(', ') : undefined;
  };
  const subject = fields.find((field) => field.key === 'subject')?.value;
  return {
    subject: subject === undefined ? undefined : decodeWords(subject),
    date: parseMailDate(fields.find((field) => field.key === 'date')?.value),
    references: (value('references') ?? '').match(/<[^<>\s]{1,998}>/g)?.slice(-100) ?? [],
    names: (key, addresses) => withDecodedNames(addresses, value(key)),
  };
}
