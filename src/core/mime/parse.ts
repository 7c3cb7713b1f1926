/**
 * Raw mail to MessageView, two ways that give the same result:
 *
 * - `parseMessage(source)`: the whole message is at hand.
 * - `messageFromParts({ header, structure, parts })`: the engine fetched
 *   BODYSTRUCTURE, then `BODY.PEEK[HEADER]` and `BODY.PEEK[<part>]` of the
 *   parts `chooseTextParts(structure)` named, so a message with a 20 MB
 *   attachment shows its text after fetching a few kilobytes.
 *
 * Both pick parts with select.ts and decode them with text-part.ts; only where
 * the bytes come from differs. Neither throws: whatever cannot be decoded is
 * shown as well as it can be, with a note.
 */
import { TmailError } from '../errors.js';
import type { Attachment, BodyBlock, BodyPart, MessageView } from '../types.js';
import { classifyBlocks } from './blocks.js';
import { summarizeCalendar } from './calendar.js';
import { decodeMessageHeader } from './headers.js';
import { htmlToReadableText } from './html.js';
import { planParts, toAttachment, typeFromFileName, type PartPlan } from './select.js';
import {
  attachedMessageSubject,
  findPart,
  scanMessage,
  type ScannedMessage,
  type ScannedPart,
} from './structure.js';
import { decodeTextPart } from './text-part.js';
import { base64DecodedSize, decodeTransferEncoding, transferEncodingOf } from './transfer.js';
import { decodeUuencodedBlocks } from './uuencode.js';

/** Options of {@link parseMessage} and {@link messageFromParts}. */
export interface ParseOptions {
  /** UID to put into the view; default 0. */
  uid?: number;
  /** IANA zone for times in calendar summaries; default the system's. */
  timeZone?: string;
  /** Text parts larger than this (encoded bytes) are listed, not shown. Default 4 MiB. */
  maxTextPartSize?: number;
}

/** What {@link messageFromParts} needs from the engine. */
export interface MessageParts {
  uid: number;
  /** The raw header block: `BODY.PEEK[HEADER]`. */
  header: Buffer;
  /** The message's BODYSTRUCTURE as a BodyPart tree. */
  structure: BodyPart;
  /**
   * Raw bodies of the parts `chooseTextParts(structure)` returned, keyed by
   * `part.part`: exactly what `BODY.PEEK[<part>]` returns (no MIME header,
   * still transfer-encoded). A missing part is noted, not an error.
   */
  parts: Map<string, Buffer>;
  /**
   * Parts in `parts` whose transfer encoding the server already removed
   * (fetched with `BINARY.PEEK[<part>]`; imapflow reports them in
   * `binaryParts`). They are not decoded again.
   */
  decoded?: ReadonlySet<string>;
}

const UU_ID = /^(.*)#uu(\d+)$/;

/** The IMAP part to fetch for an attachment id (`2`, or `1` for the uuencoded file `1#uu2`). */
export function attachmentPartId(id: string): string {
  return UU_ID.exec(id)?.[1] ?? id;
}

/** Parses a whole raw message (RFC 5322 bytes, CRLF or LF). Never throws. */
export async function parseMessage(
  source: Buffer,
  options: ParseOptions = {},
): Promise<MessageView> {
  let scan: ScannedMessage;
  try {
    scan = scanMessage(source);
  } catch {
    return rawView(source, options);
  }
  const byId = new Map<string, ScannedPart>();
  const index = (part: ScannedPart): void => {
    byId.set(part.part, part);
    part.childNodes.forEach(index);
  };
  index(scan.root);
  const plan = planParts(scan.root, options);
  const slice = (part: ScannedPart): Buffer => source.subarray(part.bodyStart, part.bodyEnd);
  const attachments = plan.attachments.map((part) => {
    const scanned = part as ScannedPart;
    const attachment = toAttachment(
      part,
      plan.inline.has(part),
      exactSize(scanned, slice(scanned)),
    );
    if (!part.filename && (part.type === 'message/rfc822' || part.type === 'message/global')) {
      const subject = attachedMessageSubject(source, scanned).trim();
      if (subject) attachment.filename = `${subject}.eml`;
    }
    return attachment;
  });
  const getPart = (id: string): Buffer | undefined => {
    if (id === 'TEXT') return source.subarray(scan.root.bodyStart);
    const part = byId.get(id);
    return part ? slice(part) : undefined;
  };
  try {
    return await buildView(scan.header, plan, attachments, getPart, scan.notes, options);
  } catch {
    return rawView(source, options);
  }
}

/**
 * Builds the MessageView from the parts the engine fetched; the same result
 * as `parseMessage` on the whole message, except that attachment sizes are
 * estimated from encoded sizes and attached messages without a file name are
 * named by part number. Never throws.
 */
export async function messageFromParts(
  input: MessageParts,
  options: ParseOptions = {},
): Promise<MessageView> {
  const settings = { ...options, uid: input.uid };
  const plan = planParts(input.structure, settings);
  const decoded = input.decoded;
  if (decoded?.size) {
    plan.text = plan.text.map((part) =>
      decoded.has(part.part) ? { ...part, encoding: 'binary' } : part,
    );
  }
  const attachments = plan.attachments.map((part) => toAttachment(part, plan.inline.has(part)));
  try {
    return await buildView(
      input.header,
      plan,
      attachments,
      (id) => input.parts.get(id),
      [],
      settings,
    );
  } catch {
    const header = await decodeMessageHeader(input.header);
    return {
      ...emptyView(settings.uid ?? 0),
      ...header,
      attachments,
      notes: [...header.notes, 'The message could not be decoded.'],
    };
  }
}

/**
 * Parses the message attached as part `id` (a message/rfc822 attachment) of
 * a whole raw message, e.g. a forwarded message. Throws a TmailError when
 * the message has no such part.
 */
export async function parseAttachedMessage(
  source: Buffer,
  id: string,
  options: ParseOptions = {},
): Promise<MessageView> {
  const scan = scanMessage(source);
  const part = findPart(scan.root, id);
  if (!part || !id) {
    throw new TmailError('MESSAGE_UNKNOWN', `The message has no part ${id || '(empty)'}.`);
  }
  return parseMessagePart(source.subarray(part.bodyStart, part.bodyEnd), part.encoding, options);
}

/**
 * Parses an attached message from its raw part body as `BODY.PEEK[<part>]`
 * returns it (transfer-encoded as `encoding` says, usually 7bit). Never throws.
 */
export function parseMessagePart(
  raw: Buffer,
  encoding: string,
  options: ParseOptions = {},
): Promise<MessageView> {
  return parseMessage(decodeTransferEncoding(raw, encoding), options);
}

/**
 * The decoded bytes of attachment `id` of a whole raw message: a part number,
 * or `<part>#uu<n>` for the n-th uuencoded file in a text part. Throws a
 * TmailError when there is no such attachment. For large attachments from
 * the server, stream `BODY[<part>]` through `createTransferDecoder` instead.
 */
export function attachmentFromSource(source: Buffer, id: string): Buffer {
  const scan = scanMessage(source);
  const partId = attachmentPartId(id);
  const part = findPart(scan.root, partId);
  if (!part || !partId) {
    throw new TmailError('MESSAGE_UNKNOWN', `The message has no attachment ${id || '(empty)'}.`);
  }
  return attachmentFromPart(source.subarray(part.bodyStart, part.bodyEnd), part, id);
}

/**
 * The decoded bytes of attachment `id` from the raw body of its part (what
 * `BODY.PEEK[attachmentPartId(id)]` returns). Throws a TmailError when `id`
 * names a uuencoded file the part does not hold.
 */
export function attachmentFromPart(raw: Buffer, part: BodyPart, id: string = part.part): Buffer {
  const decoded = decodeTransferEncoding(raw, part.encoding);
  const uu = UU_ID.exec(id);
  if (!uu) return decoded;
  const block = decodeUuencodedBlocks(decoded.toString('latin1'))[Number(uu[2]) - 1];
  if (!block) throw new TmailError('MESSAGE_UNKNOWN', `The message has no attachment ${id}.`);
  return block.content;
}

function exactSize(part: ScannedPart, raw: Buffer): number {
  const encoding = transferEncodingOf(part.encoding);
  if (encoding === 'base64') return base64DecodedSize(raw);
  if (encoding === 'identity') return raw.length;
  return decodeTransferEncoding(raw, part.encoding).length;
}

function emptyView(uid: number): MessageView {
  return {
    uid,
    subject: '',
    from: [],
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    date: null,
    messageId: '',
    inReplyTo: '',
    references: [],
    text: '',
    blocks: [],
    links: [],
    attachments: [],
    notes: [],
    headers: [],
  };
}

async function buildView(
  header: Buffer,
  plan: PartPlan,
  attachments: Attachment[],
  getPart: (id: string) => Buffer | undefined,
  scanNotes: string[],
  options: ParseOptions,
): Promise<MessageView> {
  const decoded = await decodeMessageHeader(header);
  const notes = [...scanNotes, ...decoded.notes, ...plan.notes];
  const notices: BodyBlock[] = [];
  const body: BodyBlock[] = [];
  const links: string[] = [];
  const linkLabels: string[] = [];
  const extra: Attachment[] = [];
  let shownParts = 0;

  for (const part of plan.text) {
    const raw = getPart(part.part);
    if (!raw) {
      notes.push(`Part ${part.part} (${part.type}) was not fetched, so it is not shown.`);
      continue;
    }
    const decodedPart = await decodeTextPart(raw, part);
    notes.push(...decodedPart.notes);
    if (part.type === 'text/calendar' || part.type === 'application/ics') {
      const summary = summarizeCalendar(decodedPart.text, { timeZone: options.timeZone });
      if (summary) notices.push({ kind: 'notice', depth: 0, text: summary });
      continue;
    }
    let text = decodedPart.text;
    if (decodedPart.kind === 'html') {
      const html = htmlToReadableText(text, links.length + 1);
      links.push(...html.links);
      linkLabels.push(...html.labels);
      notes.push(...html.notes);
      text = html.text;
    }
    text = text.replace(/\s+$/, '');
    if (shownParts > 0) {
      body.push({ kind: 'text', depth: 0, text: '' });
      if (part.filename) {
        body.push({ kind: 'notice', depth: 0, text: `Attachment shown inline: ${part.filename}` });
      }
    }
    shownParts++;
    body.push(...textBlocks(text, part, extra));
  }

  const blocks = [...notices, ...body];
  return {
    uid: options.uid ?? 0,
    subject: decoded.subject,
    from: decoded.from,
    to: decoded.to,
    cc: decoded.cc,
    bcc: decoded.bcc,
    replyTo: decoded.replyTo,
    date: decoded.date,
    messageId: decoded.messageId,
    inReplyTo: decoded.inReplyTo,
    references: decoded.references,
    text: blocks
      .filter((block) => block.kind !== 'notice')
      .map((block) => block.text)
      .join('\n'),
    blocks,
    links,
    linkLabels,
    attachments: [...attachments, ...extra],
    notes: [...new Set(notes)],
    headers: decoded.headers,
  };
}

/** Blocks of one shown text, with uuencoded files cut out and listed. */
function textBlocks(text: string, part: BodyPart, extra: Attachment[]): BodyBlock[] {
  const files = decodeUuencodedBlocks(text);
  if (!files.length) return text ? classifyBlocks(text) : [];
  const blocks: BodyBlock[] = [];
  let position = 0;
  files.forEach((file, index) => {
    const before = text.slice(position, file.start).replace(/\n$/, '');
    if (before) blocks.push(...classifyBlocks(before));
    const attachment: Attachment = {
      id: `${part.part}#uu${index + 1}`,
      filename: file.filename,
      contentType: typeFromFileName(file.filename) ?? 'application/octet-stream',
      size: file.content.length,
      sizeExact: true,
      inline: false,
      contentId: null,
    };
    extra.push(attachment);
    blocks.push({
      kind: 'notice',
      depth: 0,
      text: `uuencoded file: ${file.filename} (listed under attachments)`,
    });
    position = file.end;
  });
  const after = text.slice(position).replace(/^\n/, '');
  if (after) blocks.push(...classifyBlocks(after));
  return blocks;
}

/**
 * The last resort when even the scan failed: the header as far as it goes and
 * the rest as raw text, with a note.
 */
async function rawView(source: Buffer, options: ParseOptions): Promise<MessageView> {
  const split = source.indexOf('\r\n\r\n');
  const splitLf = source.indexOf('\n\n');
  const end =
    split === -1 && splitLf === -1
      ? source.length
      : split === -1
        ? splitLf + 2
        : splitLf === -1
          ? split + 4
          : Math.min(split + 4, splitLf + 2);
  const header = await decodeMessageHeader(source.subarray(0, Math.min(end, 4 * 1024 * 1024)));
  const text = source
    .subarray(end, end + 1024 * 1024)
    .toString('utf8')
    .replace(/\r\n?/g, '\n');
  return {
    ...emptyView(options.uid ?? 0),
    ...header,
    text,
    blocks: text ? [{ kind: 'text', depth: 0, text }] : [],
    notes: [...header.notes, 'The message could not be decoded; it is shown as it was sent.'],
  };
}
