/**
 * Reading MIME header fields of body parts: unfolding, RFC 2047 encoded
 * words, and parameters with RFC 2231 continuations and charsets. The
 * message's own header goes through mailparser (see headers.ts); part headers
 * are read here because the structure scanner needs them synchronously, and
 * the engine needs the same decoding for names from BODYSTRUCTURE.
 *
 * Values are decoded, not sanitised.
 */
import { decodeBytes, decodeUtf8OrLatin } from './charset.js';

/** One header field: the name as written, and the unfolded raw value. */
export interface HeaderField {
  /** Field name as written, e.g. `Content-Type`. */
  name: string;
  /** Lower-case field name. */
  key: string;
  /** Unfolded value, leading and trailing white space removed; encoded words NOT decoded. */
  value: string;
}

/** A structured value such as `text/plain; charset=utf-8`. */
export interface StructuredValue {
  /** The main value, lower case (e.g. `text/plain`, `attachment`). */
  value: string;
  /** Parameters by lower-case name, decoded (RFC 2231 and RFC 2047). */
  params: Record<string, string>;
}

const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Splits a raw header block into fields. Each field's bytes are decoded as
 * UTF-8 when valid (RFC 6532) and as windows-1252 otherwise. Lines that are
 * neither a field nor a continuation are skipped.
 */
export function parseHeaderBlock(raw: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: Buffer[] = [];
  const flush = (): void => {
    if (!current.length) return;
    const text = decodeUtf8OrLatin(Buffer.concat(current));
    current = [];
    const match = FIELD_NAME.exec(text);
    if (!match) return;
    const name = match[1]!;
    const value = text
      .slice(match[0].length)
      .replace(/\r?\n(?=[ \t])/g, '')
      .replace(/\r?\n$/, '')
      .trim();
    fields.push({ name, key: name.toLowerCase(), value });
  };
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    end = end === -1 ? raw.length : end + 1;
    const line = raw.subarray(start, end);
    start = end;
    const first = line[0];
    if (first === 0x20 || first === 0x09) {
      if (current.length) current.push(line);
      continue;
    }
    flush();
    if (line.length && first !== 0x0d && first !== 0x0a) current.push(line);
  }
  flush();
  return fields;
}

/** The first field named `key` (lower case), or undefined. */
export function headerValue(fields: readonly HeaderField[], key: string): string | undefined {
  return fields.find((field) => field.key === key)?.value;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * The pieces of one encoded word's text: bytes to decode in the word's
 * charset, and raw non-ASCII characters, which some mailers put into a word
 * unencoded. Those were already decoded with the field (UTF-8, else
 * windows-1252), so they are kept as the text they are: a raw `ö` inside a
 * Latin-1 word stays `ö`, where mailparser shows `Frï¿½sche`.
 */
function wordPieces(encoding: string, text: string): Array<Buffer | string> {
  if (encoding === 'b' || encoding === 'B') {
    return [Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64')];
  }
  return escapedPieces(text, '=', true);
}

/**
 * Decodes RFC 2047 encoded words (`=?charset?B|Q?...?=`). White space between
 * adjacent encoded words is dropped, and adjacent words in the same charset
 * are joined as bytes before decoding, so a multi-byte character split across
 * two words survives. UTF-7 words are decoded (mailparser leaves them as
 * `+APY-`); raw 8-bit characters inside a word are kept as they are; unknown
 * charsets decode as UTF-8. This is the one decoder of every header value
 * tmail shows: the list, the reader and `read --headers`. Never throws.
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; pieces: Array<Buffer | string> } | null = null;
  const flushPending = (): void => {
    if (pending) out += decodePieces(pending.pieces, pending.charset);
    pending = null;
  };
  ENCODED_WORD.lastIndex = 0;
  for (let match = ENCODED_WORD.exec(value); match; match = ENCODED_WORD.exec(value)) {
    const between = value.slice(last, match.index);
    const adjacent = pending !== null && /^[ \t\r\n]*$/.test(between);
    if (!adjacent) {
      flushPending();
      out += between;
    }
    const charset = match[1]!.replace(/\*.*$/, '').toLowerCase();
    const pieces = wordPieces(match[2]!, match[3]!);
    const open = pending as { charset: string; pieces: Array<Buffer | string> } | null;
    if (open && open.charset === charset) open.pieces.push(...pieces);
    else {
      flushPending();
      pending = { charset, pieces };
    }
    last = match.index + match[0].length;
  }
  flushPending();
  return out + value.slice(last);
}

/**
 * Parses an address list (`From`, `To`, `Cc`, `Reply-To` values, raw) into
 * addresses with display names decoded by {@link decodeWords}: groups are
 * flattened, quoted names unquoted (encoded words inside quotes are decoded,
 * as mailers expect), and a comment names an address that has no phrase
 * (`a@b (Alice)`). Tolerant: never throws; entries without an address are
 * left out.
 */
export function parseAddressList(value: string): Array<{ name: string; address: string }> {
  const out: Array<{ name: string; address: string }> = [];
  let phrase = '';
  let angle: string | null = null;
  let comment = '';
  const finish = (): void => {
    const text = phrase.replace(/\s+/g, ' ').trim();
    if (angle !== null) {
      const address = angle.replace(/\s+/g, '').replace(/^@[^:]*:/, '');
      if (address) out.push({ name: decodeWords(text || comment.trim()).trim(), address });
    } else if (text.includes('@') && !/\s/.test(text)) {
      out.push({ name: decodeWords(comment.replace(/\s+/g, ' ').trim()).trim(), address: text });
    }
    phrase = '';
    angle = null;
    comment = '';
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') {
      let quoted = '';
      for (i++; i < value.length && value[i] !== '"'; i++) {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        quoted += value[i];
      }
      phrase += quoted;
    } else if (c === '(') {
      let depth = 1;
      let text = '';
      for (i++; i < value.length; i++) {
        const d = value[i]!;
        if (d === '\\' && i + 1 < value.length) {
          text += value[++i];
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
        text += d;
      }
      comment += (comment ? ' ' : '') + text;
      phrase += ' ';
    } else if (c === '<') {
      const close = value.indexOf('>', i + 1);
      const end = close === -1 ? value.length : close;
      angle = value.slice(i + 1, end);
      i = end;
    } else if (c === ':' && angle === null && !phrase.includes('@')) {
      // A group's name: its members follow.
      phrase = '';
      comment = '';
    } else if (c === ',' || c === ';') finish();
    else phrase += c;
  }
  finish();
  return out;
}

/**
 * `addresses` (as another parser read them) with display names taken from
 * {@link parseAddressList} of the raw field value, matched by address, so
 * that every name a user sees is decoded the same way.
 */
export function withDecodedNames<T extends { name: string; address: string }>(
  addresses: T[],
  raw: string | undefined,
): T[] {
  if (!raw || !addresses.length) return addresses;
  const ours = parseAddressList(raw);
  const used = new Set<number>();
  return addresses.map((entry) => {
    const key = entry.address.toLowerCase();
    const index = ours.findIndex((o, n) => !used.has(n) && o.address.toLowerCase() === key);
    if (index === -1) return entry;
    used.add(index);
    const name = ours[index]!.name;
    return name ? { ...entry, name } : entry;
  });
}

/** Splits `value; a=b; c="d;e"` at semicolons outside quotes, dropping comments. */
function splitParameters(input: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quoted = false;
  let comment = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < input.length) {
        current += input[++i];
        continue;
      }
      if (c === '"') quoted = false;
      else current += c;
      continue;
    }
    if (comment) {
      if (c === '\\') i++;
      else if (c === '(') comment++;
      else if (c === ')') comment--;
      continue;
    }
    if (c === '"') {
      quoted = true;
      // Mark quoted content so an RFC 2231 `*` value is never read from it.
      current += '\u0000';
    } else if (c === '(') comment++;
    else if (c === ';') {
      pieces.push(current);
      current = '';
    } else current += c;
  }
  pieces.push(current);
  return pieces;
}

/**
 * The pieces of an RFC 2231 extended value: `%XX` escapes and ASCII as bytes
 * to decode in the value's charset, raw non-ASCII characters (sent unescaped,
 * already decoded with the field) as the text they are.
 */
function percentPieces(text: string): Array<Buffer | string> {
  return escapedPieces(text, '%', false);
}

/**
 * Splits text with `=XX` or `%XX` escapes into runs of escaped bytes (to decode
 * in the value's charset) and raw non-ASCII characters, kept as the text they
 * are. `underscoreIsSpace` is the Q encoding's rule (RFC 2047 4.2).
 */
function escapedPieces(
  text: string,
  escape: '=' | '%',
  underscoreIsSpace: boolean,
): Array<Buffer | string> {
  const pieces: Array<Buffer | string> = [];
  let bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (underscoreIsSpace && c === '_') bytes.push(0x20);
    else if (c === escape && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code < 0x80) bytes.push(code);
    else {
      if (bytes.length) pieces.push(Buffer.from(bytes));
      bytes = [];
      pieces.push(c);
    }
  }
  if (bytes.length) pieces.push(Buffer.from(bytes));
  return pieces;
}

/** Decodes byte runs in `charset` and keeps text pieces as they are. */
function decodePieces(pieces: Array<Buffer | string>, charset: string): string {
  let out = '';
  let run: Buffer[] = [];
  const flush = (): void => {
    if (run.length) out += decodeBytes(Buffer.concat(run), charset);
    run = [];
  };
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      flush();
      out += piece;
    } else run.push(piece);
  }
  flush();
  return out;
}

/**
 * Parses a structured field value (`Content-Type`, `Content-Disposition`):
 * the main value in lower case, and parameters with RFC 2231 continuations
 * (`name*0*=`, `name*1=`) and charsets (`name*=utf-8''%E2%82%AC`) decoded;
 * plain parameter values have RFC 2047 words decoded, which is not standard
 * but what many mailers send. A value decoded from RFC 2231 is never decoded
 * again as RFC 2047.
 */
export function parseStructuredValue(input: string): StructuredValue {
  const [head = '', ...rest] = splitParameters(input);
  const plain: Record<string, string> = {};
  const extended = new Map<string, Array<{ index: number; encoded: boolean; text: string }>>();
  for (const piece of rest) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const rawName = piece.slice(0, eq).trim().toLowerCase();
    const wasQuoted = piece
      .slice(eq + 1)
      .trimStart()
      .startsWith('\u0000');
    const text = piece
      .slice(eq + 1)
      .replace(/\u0000/g, '')
      .trim();
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(rawName);
    if (!m) continue;
    const [, name, index, star] = m;
    if (index === undefined && !star) {
      if (!(name! in plain)) plain[name!] = text;
      continue;
    }
    const list = extended.get(name!) ?? [];
    list.push({ index: Number(index ?? 0), encoded: Boolean(star) && !wasQuoted, text });
    extended.set(name!, list);
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(plain)) {
    params[name] = decodeWords(value);
  }
  for (const [name, segments] of extended) {
    segments.sort((a, b) => a.index - b.index);
    let charset = '';
    const pieces: Array<Buffer | string> = [];
    segments.forEach((segment, position) => {
      let text = segment.text;
      if (position === 0 && segment.encoded) {
        const m = /^([^']*)'[^']*'(.*)$/s.exec(text);
        if (m) {
          charset = m[1]!;
          text = m[2]!;
        }
      }
      pieces.push(...(segment.encoded ? percentPieces(text) : [text]));
    });
    params[name] = decodePieces(pieces, charset || 'utf-8');
  }
  return {
    value: head
      .replace(/\u0000/g, '')
      .trim()
      .toLowerCase(),
    params,
  };
}

/**
 * The file name a part's MIME header gives (Content-Disposition `filename`,
 * else Content-Type `name`), decoded by our parser; null when it has none.
 * `raw` is the header block, as `BODY.PEEK[<part>.MIME]` returns it.
 */
export function fileNameFromHeader(raw: Buffer): string | null {
  const fields = parseHeaderBlock(raw);
  const disposition = parseStructuredValue(headerValue(fields, 'content-disposition') ?? '');
  const type = parseStructuredValue(headerValue(fields, 'content-type') ?? '');
  return disposition.params.filename ?? type.params.name ?? null;
}
