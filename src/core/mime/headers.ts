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
import { decodeWords, headerValue, parseHeaderBlock } from './header-values.js';

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

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

const ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

/**
 * A numeric zone as senders really write it: `+0200`, and also without a
 * leading zero (`-600`), with a colon (`+02:00`), hours only (`+2`), or after
 * a zone name (`GMT+0200`, `UTC+2`). Null when `zone` is none of these.
 */
function numericZone(zone: string): number | null {
  const numeric = /^(?:(?:GMT|UTC?) ?)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (!numeric) return null;
  const hours = Number(numeric[2]);
  const minutes = Number(numeric[3] ?? 0);
  if (hours > 14 || minutes > 59) return null;
  const offset = hours * 60 + minutes;
  return numeric[1] === '-' ? -offset : offset;
}

function zoneMinutes(zone: string | undefined): number {
  if (!zone) return 0;
  const numeric = numericZone(zone);
  if (numeric !== null) return numeric;
  // RFC 5322 4.3: unknown and military zones mean "no zone information", i.e. -0000.
  return ZONES[zone.toUpperCase()] ?? 0;
}

function fullYear(year: string): number {
  const n = Number(year);
  if (year.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  if (year.length === 3) return 1900 + n;
  return n;
}

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: number,
): number | null {
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1000) return null;
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - zone * 60_000;
  const check = new Date(Date.UTC(year, month, day));
  // 31 Feb is not a date, whatever Date.UTC makes of it.
  if (check.getUTCDate() !== day) return null;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Parses a Date header (RFC 5322, with the obsolete forms: two-digit years,
 * named zones, comments), ISO 8601, or ctime format. Null when it is none of
 * these; mailparser would put the time of parsing there instead.
 */
export function parseMailDate(value: string | undefined): number | null {
  if (!value) return null;
  const text = value
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const rfc =
    /^(?:[A-Za-z]{2,9},? ?)?(\d{1,2})[ -]([A-Za-z]{3})[a-z]*\.?[ -](\d{2,4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?((?:(?:GMT|UTC?) ?)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}))?(?![\d:])/.exec(
      text,
    );
  if (rfc) {
    const month = MONTHS[rfc[2]!.toLowerCase()];
    if (month === undefined) return null;
    return build(
      fullYear(rfc[3]!),
      month,
      Number(rfc[1]),
      Number(rfc[4]),
      Number(rfc[5]),
      Number(rfc[6] ?? 0),
      zoneMinutes(rfc[7]),
    );
  }
  if (
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
  ) {
    const ms = Date.parse(text.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : null;
  }
  const ctime =
    /^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (?:((?:(?:GMT|UTC?) ?)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}) )?(\d{4})$/.exec(
      text,
    );
  if (ctime) {
    const month = MONTHS[ctime[1]!.toLowerCase()];
    if (month === undefined) return null;
    return build(
      Number(ctime[7]),
      month,
      Number(ctime[2]),
      Number(ctime[3]),
      Number(ctime[4]),
      Number(ctime[5]),
      zoneMinutes(ctime[6]),
    );
  }
  // Other forms (e.g. `2024/01/02 10:00`) only when they carry a year and a
  // time: V8's parser also makes a date of `garbage 2024`.
  if (/\d{4}/.test(text) && /\d{1,2}:\d{2}/.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
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
  try {
    const mail = await simpleParser(headerOnly(header), {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      keepCidLinks: true,
      checksumAlgo: false,
    });
    return {
      ...base,
      subject: mail.subject ?? '',
      from: addresses(mail.from),
      to: addresses(mail.to),
      cc: addresses(mail.cc),
      bcc: addresses(mail.bcc),
      replyTo: addresses(mail.replyTo),
      messageId: mail.messageId ?? '',
      inReplyTo: mail.inReplyTo ?? '',
      notes,
    };
  } catch {
    // mailparser refuses headers over 1 MiB (EMAXLEN); read what we can ourselves.
    notes.push('The message header could not be fully decoded; some fields may be missing.');
    const all = (key: string): string | undefined => {
      const values = fields.filter((f) => f.key === key).map((f) => f.value);
      return values.length ? values.join(', ') : undefined;
    };
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
