/**
 * A tolerant MIME structure scanner: raw message bytes in, the same BodyPart
 * tree the engine builds from IMAP BODYSTRUCTURE out (IMAP part numbers,
 * parameters, encodings, encoded sizes), plus where each part's header and
 * body lie in the source.
 *
 * Why our own and not mailparser's tree: mailparser does not expose its tree,
 * and tmail must show the same thing whether it holds the whole message or
 * only the parts it fetched after BODYSTRUCTURE. With one BodyPart tree for
 * both, one function picks the parts to show (select.ts) and one decodes
 * them (mailparser, per part). Scanning also lets us repair what mailparser
 * shows as an empty message: a wrong or missing multipart boundary, or a
 * missing closing delimiter.
 *
 * Limits mirror mailparser's: at most 1,000 parts and 1 MiB of header per
 * part; nesting is followed to 100 levels. Past a limit the rest is left out
 * with a note; nothing throws.
 */
import type { BodyPart } from '../types.js';
import {
  decodeWords,
  headerValue,
  parseHeaderBlock,
  parseStructuredValue,
  type HeaderField,
} from './header-values.js';

/** A BodyPart with the byte ranges of its header and body in the scanned source. */
export interface ScannedPart extends BodyPart {
  childNodes: ScannedPart[];
  /** Header fields of this part (for the root: the message header). */
  headers: HeaderField[];
  headerStart: number;
  /** Start of the body (after the blank line that ends the header). */
  bodyStart: number;
  /** End of the body (exclusive): before the line break that precedes the next delimiter. */
  bodyEnd: number;
}

/** The result of {@link scanMessage}. */
export interface ScannedMessage {
  source: Buffer;
  root: ScannedPart;
  /** The raw header block of the message, blank line included. */
  header: Buffer;
  /** What could not be scanned as declared, in words for the user. */
  notes: string[];
}

/** Limits of the scan; the defaults mirror mailparser's. */
export interface ScanLimits {
  /** Most MIME parts; default 1,000 (mailparser's maxChildNodes). */
  maxParts?: number;
  /** Deepest multipart nesting followed; default 100. */
  maxDepth?: number;
  /** Largest header block per part in bytes; default 1 MiB (mailparser's maxHeadSize). */
  maxHeadSize?: number;
}

const LF = 0x0a;
const CR = 0x0d;

interface Context {
  source: Buffer;
  parts: number;
  maxParts: number;
  maxDepth: number;
  maxHeadSize: number;
  notes: Set<string>;
}

/**
 * Scans a raw message (RFC 5322, CRLF or bare LF line ends). An mbox `From `
 * line at the start is skipped. Never throws.
 */
export function scanMessage(source: Buffer, limits: ScanLimits = {}): ScannedMessage {
  const context: Context = {
    source,
    parts: 0,
    maxParts: limits.maxParts ?? 1000,
    maxDepth: limits.maxDepth ?? 100,
    maxHeadSize: limits.maxHeadSize ?? 1024 * 1024,
    notes: new Set(),
  };
  let start = 0;
  if (source.subarray(0, 5).toString('latin1') === 'From ') {
    const eol = source.indexOf(LF);
    start = eol === -1 ? source.length : eol + 1;
  }
  const root = scanPart(context, start, source.length, '', 0, 'text/plain');
  return {
    source,
    root,
    header: source.subarray(root.headerStart, root.bodyStart),
    notes: [...context.notes],
  };
}

/** The BodyPart tree of a raw message, as BODYSTRUCTURE would describe it. */
export function structureFromSource(source: Buffer): BodyPart {
  return toBodyPart(scanMessage(source).root);
}

/** Strips the scan positions off a scanned tree. */
export function toBodyPart(part: ScannedPart): BodyPart {
  return {
    part: part.part,
    type: part.type,
    parameters: { ...part.parameters },
    encoding: part.encoding,
    size: part.size,
    disposition: part.disposition,
    filename: part.filename,
    contentId: part.contentId,
    childNodes: part.childNodes.map(toBodyPart),
  };
}

/** Finds a part by IMAP part number (`''` or `'1'` for a single-part root). */
export function findPart<T extends BodyPart>(root: T, id: string): T | undefined {
  if (root.part === id) return root;
  for (const child of root.childNodes as T[]) {
    const found = findPart(child, id);
    if (found) return found;
  }
  return undefined;
}

/** End of the line that starts at `position`: the index after its LF, or the end. */
function lineEnd(source: Buffer, position: number, end: number): number {
  const lf = source.indexOf(LF, position);
  return lf === -1 || lf >= end ? end : lf + 1;
}

const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Finds where the header of a part ends. The header is the run of field and
 * continuation lines at the start; the blank line after it is skipped. A part
 * that starts with a non-field line has no header.
 */
function findHeaderEnd(context: Context, start: number, end: number): number {
  const { source } = context;
  let position = start;
  let sawField = false;
  while (position < end) {
    const next = lineEnd(source, position, end);
    const first = source[position];
    if (first === LF || (first === CR && source[position + 1] === LF)) return next;
    if (first === 0x20 || first === 0x09) {
      if (!sawField) return position;
    } else {
      // Only the start of the line matters; a huge line is not read whole.
      const head = source.subarray(position, Math.min(next, position + 1000)).toString('latin1');
      if (!HEADER_LINE.test(head)) return position;
      sawField = true;
    }
    position = next;
  }
  return end;
}

function scanPart(
  context: Context,
  start: number,
  end: number,
  id: string,
  depth: number,
  defaultType: string,
): ScannedPart {
  context.parts++;
  const { source } = context;
  const bodyStart = findHeaderEnd(context, start, end);
  let headerEnd = bodyStart;
  if (headerEnd - start > context.maxHeadSize) {
    headerEnd = start + context.maxHeadSize;
    context.notes.add('A header was larger than 1 MiB; only its first 1 MiB was read.');
  }
  const headers = parseHeaderBlock(source.subarray(start, headerEnd));
  const contentType = parseStructuredValue(headerValue(headers, 'content-type') ?? '');
  let type = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(contentType.value)
    ? contentType.value
    : defaultType;
  const disposition = parseStructuredValue(headerValue(headers, 'content-disposition') ?? '');
  const encoding = (headerValue(headers, 'content-transfer-encoding') ?? '7bit')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
  const contentId = headerValue(headers, 'content-id')?.trim() || null;
  const rawName = disposition.params.filename ?? contentType.params.name ?? null;
  const part: ScannedPart = {
    part: id,
    type,
    parameters: contentType.params,
    encoding: encoding || '7bit',
    size: Math.max(0, end - bodyStart),
    disposition:
      disposition.value === 'inline' ? 'inline' : disposition.value === '' ? null : 'attachment',
    filename: rawName,
    contentId,
    childNodes: [],
    headers,
    headerStart: start,
    bodyStart,
    bodyEnd: end,
  };
  // A single-part message is part 1 in IMAP; a multipart root has no number.
  if (id === '' && !type.startsWith('multipart/')) part.part = '1';

  if (!type.startsWith('multipart/')) return part;
  if (depth >= context.maxDepth) {
    context.notes.add(
      `The message nests deeper than ${context.maxDepth} levels; deeper parts are not shown.`,
    );
    return part;
  }

  let boundary = contentType.params.boundary ?? '';
  let delimiters = boundary ? findDelimiters(source, boundary, bodyStart, end) : [];
  if (!delimiters.length) {
    const guessed = guessBoundary(source, bodyStart, end);
    if (guessed) {
      boundary = guessed;
      delimiters = findDelimiters(source, boundary, bodyStart, end);
      context.notes.add(
        contentType.params.boundary
          ? 'The message names the wrong separator between its parts; tmail found the right one.'
          : 'The message does not name the separator between its parts; tmail found it.',
      );
    }
  }
  if (!delimiters.length) {
    // No parts to be found: show the body as text instead of showing nothing.
    context.notes.add(
      'The message says it has several parts, but they could not be found; it is shown as plain text.',
    );
    type = 'text/plain';
    part.type = type;
    part.parameters = { charset: contentType.params.charset ?? 'utf-8' };
    if (id === '') part.part = '1';
    return part;
  }
  if (!delimiters[delimiters.length - 1]!.close) {
    // Missing closing delimiter: the last part runs to the end, as most readers do.
    delimiters.push({ start: end, next: end, close: true });
  }
  const childDefault = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  for (let i = 0; i + 1 < delimiters.length; i++) {
    if (delimiters[i]!.close) break;
    if (context.parts >= context.maxParts) {
      context.notes.add(
        `The message has more than ${context.maxParts} parts; only the first ${context.maxParts} are shown.`,
      );
      break;
    }
    const childStart = delimiters[i]!.next;
    const childEnd = Math.max(childStart, delimiters[i + 1]!.start);
    const childId = id === '' ? String(i + 1) : `${id}.${i + 1}`;
    part.childNodes.push(scanPart(context, childStart, childEnd, childId, depth + 1, childDefault));
  }
  return part;
}

interface Delimiter {
  /** Where the body before this delimiter ends (its preceding line break excluded). */
  start: number;
  /** Where the next part starts (after the delimiter line). */
  next: number;
  close: boolean;
}

function isLineSpace(byte: number | undefined): boolean {
  return byte === undefined || byte === 0x20 || byte === 0x09 || byte === CR || byte === LF;
}

function findDelimiters(source: Buffer, boundary: string, start: number, end: number): Delimiter[] {
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  const found: Delimiter[] = [];
  let position = start;
  while (position < end) {
    const at = source.indexOf(marker, position);
    if (at === -1 || at + marker.length > end) break;
    position = at + marker.length;
    if (at !== start && source[at - 1] !== LF) continue;
    let after = at + marker.length;
    const close = source[after] === 0x2d && source[after + 1] === 0x2d;
    if (close) after += 2;
    if (after < end && !isLineSpace(source[after])) continue;
    let bodyEnd = at;
    if (bodyEnd > start && source[bodyEnd - 1] === LF) bodyEnd--;
    if (bodyEnd > start && source[bodyEnd - 1] === CR) bodyEnd--;
    const next = lineEnd(source, after, end);
    found.push({ start: Math.max(bodyEnd, start), next, close });
    position = next;
    if (close) break;
  }
  // Part i runs from found[i].next to found[i + 1].start; the first
  // delimiter ends the preamble, a closing one starts the epilogue.
  return found;
}

/**
 * Looks for the separator a broken message really uses: a line `--token`
 * that occurs at least twice, or once with its closing form `--token--`.
 */
function guessBoundary(source: Buffer, start: number, end: number): string | null {
  const counts = new Map<string, number>();
  let position = start;
  let lines = 0;
  while (position < end && lines < 20000) {
    const next = lineEnd(source, position, end);
    lines++;
    if (source[position] === 0x2d && source[position + 1] === 0x2d) {
      const line = source
        .subarray(position + 2, Math.min(next, position + 202))
        .toString('latin1')
        .trimEnd();
      if (/^[\x21-\x7e]{1,200}$/.test(line)) {
        const token = line.endsWith('--') ? line.slice(0, -2) : line;
        if (token) {
          const count = (counts.get(token) ?? 0) + (line.endsWith('--') ? 2 : 1);
          if (count >= 2) return token;
          counts.set(token, count);
        }
      }
    }
    position = next;
  }
  return null;
}

/**
 * The subject of an attached message (message/rfc822 part), decoded, for
 * naming it in the attachment list.
 */
export function attachedMessageSubject(source: Buffer, part: ScannedPart): string {
  const body = source.subarray(part.bodyStart, Math.min(part.bodyEnd, part.bodyStart + 64 * 1024));
  const end = findHeaderEndSimple(body);
  const subject = headerValue(parseHeaderBlock(body.subarray(0, end)), 'subject');
  return subject ? decodeWords(subject) : '';
}

function findHeaderEndSimple(body: Buffer): number {
  const crlf = body.indexOf('\r\n\r\n');
  const lf = body.indexOf('\n\n');
  const candidates = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((n) => n > 0);
  return candidates.length ? Math.min(...candidates) : body.length;
}
