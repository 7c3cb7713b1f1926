/**
 * Decoding one text part: transfer encoding, charset and format=flowed
 * (RFC 3676, DelSp), all by mailparser, which is handed the part as a
 * one-part message whose header we write from the BodyPart. Writing the
 * header ourselves means the same bytes decode the same way whether they
 * came from a whole message or from `BODY.PEEK[<part>]`, and that a hostile
 * parameter value cannot inject header lines.
 */
import { simpleParser } from 'mailparser';
import type { BodyPart } from '../types.js';
import { decodeUtf7, isKnownCharset, isUtf7, normalizeCharset } from './charset.js';
import { partParam } from './select.js';
import { decodeTransferEncoding, hasBrokenBase64, transferEncodingOf } from './transfer.js';

/** A decoded text part. */
export interface DecodedTextPart {
  /** `html` for text/html (to be converted), `plain` for everything else. */
  kind: 'plain' | 'html';
  /** Decoded text with `\n` line ends (HTML source for `html`). */
  text: string;
  notes: string[];
}

const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  keepCidLinks: true,
  checksumAlgo: false,
} as const;

/** A token safe to put into a header we write: no quotes, no line breaks, no `;`. */
function token(value: string | undefined, fallback: string): string {
  const clean = (value ?? '').trim().replace(/[^A-Za-z0-9._:+-]/g, '');
  return clean || fallback;
}

/**
 * Decodes the raw body of a text part. `raw` is exactly what `BODY[<part>]`
 * returns: the body without its MIME header, still transfer-encoded. Never
 * throws; what cannot be decoded is described in `notes`.
 */
export async function decodeTextPart(raw: Buffer, part: BodyPart): Promise<DecodedTextPart> {
  const kind = part.type === 'text/html' ? 'html' : 'plain';
  const notes: string[] = [];
  const label = part.part && part.part !== 'TEXT' ? `Part ${part.part}` : 'The text';
  let charset = normalizeCharset(partParam(part, 'charset'));
  let encoding = transferEncodingOf(part.encoding);
  let body = raw;

  if (encoding === 'base64' && hasBrokenBase64(raw)) {
    notes.push(`${label} has damaged base64 encoding; some of its text may be missing.`);
  }
  if (isUtf7(charset)) {
    // mailparser refuses UTF-7 on purpose (it can smuggle markup past HTML
    // filters); we never render HTML, so decode it and hand on UTF-8.
    body = Buffer.from(decodeUtf7(decodeTransferEncoding(raw, part.encoding).toString('latin1')));
    charset = 'utf-8';
    encoding = 'identity';
  } else if (encoding === 'x-uuencode') {
    body = decodeTransferEncoding(raw, part.encoding);
    encoding = 'identity';
  }

  const flowed = kind === 'plain' && normalizeCharset(partParam(part, 'format')) === 'flowed';
  const delsp = flowed && normalizeCharset(partParam(part, 'delsp')) === 'yes';
  const header =
    `Content-Type: ${kind === 'html' ? 'text/html' : 'text/plain'}; charset="${token(charset, 'utf-8')}"` +
    (flowed ? '; format=flowed' : '') +
    (delsp ? '; delsp=yes' : '') +
    `\r\nContent-Transfer-Encoding: ${encoding === 'identity' ? '8bit' : encoding}\r\n\r\n`;

  let text = '';
  try {
    const mail = await simpleParser(
      Buffer.concat([Buffer.from(header, 'latin1'), body]),
      PARSER_OPTIONS,
    );
    text = kind === 'html' ? (typeof mail.html === 'string' ? mail.html : '') : (mail.text ?? '');
  } catch {
    notes.push(`${label} could not be decoded; it is shown as it was sent.`);
    text = body.toString('utf8');
  }
  if (charset && !isKnownCharset(charset) && text.includes('\ufffd')) {
    notes.push(
      `${label} uses the unknown character set "${charset}"; some characters may be shown wrongly.`,
    );
  }
  return { kind, text: text.replace(/\r\n?/g, '\n'), notes };
}
