/**
 * Which parts of a message to show as text and which to list as attachments,
 * decided from the BodyPart tree alone, so that the engine can fetch only what
 * is shown (BODYSTRUCTURE first, then BODY.PEEK[<part>] of the chosen parts)
 * and a whole-message parse picks exactly the same parts.
 *
 * Rules: in multipart/alternative the text/plain branch is preferred, else
 * HTML, else other text; multipart/related shows its root part; mixed and
 * other multiparts show every inline text part in order; multipart/signed
 * shows the signed content; text/calendar is summarised and also listed;
 * message/rfc822 is listed (and can be opened as a message); everything
 * else is an attachment. Every part with a body stays reachable in the
 * attachment list: the images and files of an alternative not shown, and
 * shown text that is not the body itself (named parts, text/enriched,
 * delivery reports); only the unnamed text of an unshown alternative is not
 * listed, being the shown text in another form.
 */
import type { Attachment, BodyPart } from '../types.js';
import { estimateDecodedSize } from './transfer.js';

/** Options of {@link planParts}. */
export interface SelectOptions {
  /**
   * A text part larger than this (encoded bytes) is listed as an attachment
   * instead of being shown. Default 4 MiB.
   */
  maxTextPartSize?: number;
}

/** What to show and what to list, in document order. */
export interface PartPlan {
  /** Parts whose decoded text is shown (text/*, delivery reports), and text/calendar parts to summarise. */
  text: BodyPart[];
  /** Parts listed as attachments. */
  attachments: BodyPart[];
  /** Parts listed as inline attachments (embedded images and the like). */
  inline: Set<BodyPart>;
  /** Things the user should know, e.g. an encrypted body or a text part too large to show. */
  notes: string[];
}

const DEFAULT_MAX_TEXT = 4 * 1024 * 1024;
/** Most text parts shown, as the whole-message scan reads at most 1,000 parts. */
const MAX_TEXT_PARTS = 1000;

type Kind = 'plain' | 'html' | 'text' | 'calendar' | 'none';
const RANK: Record<Kind, number> = { plain: 4, html: 3, text: 2, calendar: 1, none: 0 };

/** Non-text/* types that are readable text. */
const TEXTUAL = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/disposition-notification',
  'message/global-disposition-notification',
  'message/feedback-report',
]);

function isCalendar(part: BodyPart): boolean {
  return part.type === 'text/calendar' || part.type === 'application/ics';
}

/** A Content-Type parameter by lower-case name; servers differ in the case of keys. */
export function partParam(part: BodyPart, name: string): string | undefined {
  if (name in part.parameters) return part.parameters[name];
  const key = Object.keys(part.parameters).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : part.parameters[key];
}

function leafKind(part: BodyPart): Kind {
  if (part.disposition === 'attachment') return 'none';
  if (isCalendar(part)) return 'calendar';
  if (part.type === 'text/plain') return part.size > 0 ? 'plain' : 'text';
  if (part.type === 'text/html') return 'html';
  if (part.type.startsWith('text/') || TEXTUAL.has(part.type)) return 'text';
  return 'none';
}

/** The kind of text a subtree would show. */
function kindOf(part: BodyPart): Kind {
  if (!part.type.startsWith('multipart/')) return leafKind(part);
  const children = part.childNodes;
  if (part.type === 'multipart/alternative') {
    return children
      .map(kindOf)
      .reduce<Kind>((best, k) => (RANK[k] > RANK[best] ? k : best), 'none');
  }
  if (part.type === 'multipart/related') {
    const root = relatedRoot(part);
    return root ? kindOf(root) : 'none';
  }
  for (const child of children) {
    const k = kindOf(child);
    if (k !== 'none' && k !== 'calendar') return k;
  }
  return children.some((c) => kindOf(c) === 'calendar') ? 'calendar' : 'none';
}

function relatedRoot(part: BodyPart): BodyPart | undefined {
  const start = partParam(part, 'start')?.trim();
  if (start) {
    const byId = part.childNodes.find((c) => c.contentId?.trim() === start);
    if (byId) return byId;
  }
  return part.childNodes[0];
}

/** The alternative to show: the highest-ranked kind, the last of equals (RFC 2046 order). */
function bestAlternative(part: BodyPart): BodyPart | undefined {
  let best: BodyPart | undefined;
  let bestRank = 0;
  for (const child of part.childNodes) {
    const rank = RANK[kindOf(child)];
    if (rank > 0 && rank >= bestRank) {
      best = child;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * True for a multipart in which the server found no parts: no children, or
 * (Dovecot's way of saying so) one empty text/plain child without a name.
 */
function hasNoParts(part: BodyPart): boolean {
  const children = part.childNodes;
  if (!children.length) return true;
  const only = children[0]!;
  return (
    children.length === 1 &&
    only.type === 'text/plain' &&
    only.size === 0 &&
    !only.filename &&
    !only.childNodes.length
  );
}

/** What to say of a message/external-body part: where its content is, which tmail does not fetch. */
function externalBodyNote(part: BodyPart): string {
  const access = (partParam(part, 'access-type') ?? '').trim().toLowerCase();
  const url = partParam(part, 'url')?.replace(/\s+/g, '');
  const site = partParam(part, 'site');
  const name = partParam(part, 'name');
  let where = `content stored elsewhere${access ? ` (access type ${access})` : ''}`;
  if (access === 'url' && url) where = url;
  else if ((access === 'anon-ftp' || access === 'ftp' || access === 'tftp') && site) {
    const directory = partParam(part, 'directory')?.replace(/^\/+|\/+$/g, '');
    where = `${access === 'tftp' ? 'tftp' : 'ftp'}://${site}/${directory ? `${directory}/` : ''}${name ?? ''}`;
  }
  return `Part ${part.part || '1'} is not in the message: it points to ${where}, which tmail does not fetch.`;
}

/** Decides which parts to show and which to list. Pure; never throws. */
export function planParts(structure: BodyPart, options: SelectOptions = {}): PartPlan {
  const maxText = options.maxTextPartSize ?? DEFAULT_MAX_TEXT;
  const plan: PartPlan = { text: [], attachments: [], inline: new Set(), notes: [] };

  let textPartsLeftOut = 0;
  const attach = (part: BodyPart, inline: boolean): void => {
    plan.attachments.push(part);
    if (inline) plan.inline.add(part);
  };

  // `hidden`: inside an alternative that is not shown, only explicit
  // attachments and calendar data still count.
  const walk = (part: BodyPart, hidden: boolean, inRelated: boolean): void => {
    if (part.type.startsWith('multipart/')) {
      const children = part.childNodes;
      if (part.type === 'multipart/alternative') {
        const best = bestAlternative(part);
        // No alternative is text (e.g. all message/external-body): list them
        // all with what can be said of them, rather than show nothing.
        for (const child of children)
          walk(child, hidden || (best !== undefined && child !== best), false);
      } else if (part.type === 'multipart/related') {
        const root = relatedRoot(part);
        for (const child of children) {
          if (child === root) walk(child, hidden, false);
          else walk(child, hidden, true);
        }
      } else if (part.type === 'multipart/encrypted') {
        if (!hidden) {
          plan.notes.push('This message is encrypted; tmail cannot decrypt it.');
        }
        for (const child of children) if (!hidden) attach(child, false);
      } else if (part.type === 'multipart/signed') {
        children.forEach((child, index) => {
          if (index === 0) walk(child, hidden, false);
          else if (!hidden) attach(child, false);
        });
      } else {
        for (const child of children) walk(child, hidden, false);
      }
      return;
    }
    if (isCalendar(part)) {
      if (part.size <= maxText) plan.text.push(part);
      attach(part, false);
      return;
    }
    const kind = leafKind(part);
    if (part.type === 'message/external-body' && !hidden) {
      plan.notes.push(externalBodyNote(part));
    }
    if (hidden) {
      // An alternative not shown: its images and files stay reachable (the
      // HTML's inline pictures when the plain text is shown); its unnamed
      // text body is the same message in another form and is not listed.
      if (kind === 'none' || part.filename) {
        attach(part, part.disposition !== 'attachment');
      }
      return;
    }
    if (kind !== 'none' && !inRelated) {
      if (part.size > maxText) {
        plan.notes.push(
          `Part ${part.part} (${part.type}) is too large to show; save it to read it.`,
        );
        attach(part, false);
      } else if (plan.text.length >= MAX_TEXT_PARTS) {
        textPartsLeftOut++;
        attach(part, false);
      } else {
        plan.text.push(part);
        // Shown, and also saveable: named text parts, and text that is not
        // the body itself (text/enriched, text/richtext, text/csv, reports).
        if (part.filename || (part.type !== 'text/plain' && part.type !== 'text/html')) {
          attach(part, true);
        }
      }
      return;
    }
    attach(part, inRelated || (part.disposition === 'inline' && part.contentId !== null));
  };

  walk(structure, false, false);
  if (textPartsLeftOut) {
    plan.notes.push(
      `The message has ${MAX_TEXT_PARTS + textPartsLeftOut} text parts; only the first ${MAX_TEXT_PARTS} are shown, the rest are listed.`,
    );
  }

  // A multipart with no parts (a broken message as the server saw it; Dovecot
  // describes it as one empty text part): show the raw body, which IMAP
  // serves as BODY[TEXT], and say why it looks raw.
  if (structure.type.startsWith('multipart/') && hasNoParts(structure)) {
    plan.notes.push(
      'The message says it has several parts, but they could not be found; it is shown as plain text.',
    );
    plan.text = [];
    plan.attachments = [];
    plan.text.push({
      ...structure,
      part: 'TEXT',
      type: 'text/plain',
      parameters: { charset: partParam(structure, 'charset') ?? 'utf-8' },
      encoding: '7bit',
      childNodes: [],
    });
  }
  return plan;
}

/**
 * The parts to download to show a message's text, in display order: for each,
 * fetch `BODY.PEEK[<part.part>]` (the raw, still transfer-encoded body, no
 * MIME header) and pass it to `messageFromParts` keyed by `part.part`. Never
 * includes attachments, except text/calendar parts, which are small and are
 * summarised. May return the pseudo part `TEXT` (fetch `BODY.PEEK[TEXT]`) for
 * a multipart message whose parts the server could not find.
 */
export function chooseTextParts(structure: BodyPart, options: SelectOptions = {}): BodyPart[] {
  return planParts(structure, options).text;
}

/**
 * The attachments of a message as listed to the user, from its BodyPart tree:
 * `id` is the IMAP part number (fetch `BODY.PEEK[<id>]` and decode it with
 * `createTransferDecoder(part.encoding)` to save it). `size` is the decoded
 * size, estimated from the encoded size for base64.
 */
export function attachmentsFromStructure(
  structure: BodyPart,
  options: SelectOptions = {},
): Attachment[] {
  const plan = planParts(structure, options);
  return plan.attachments.map((part) => toAttachment(part, plan.inline.has(part)));
}

const EXTENSION_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  txt: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  ics: 'text/calendar',
  eml: 'message/rfc822',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  json: 'application/json',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  patch: 'text/x-diff',
  diff: 'text/x-diff',
};

/** A content type guessed from a file name's extension, or null. */
export function typeFromFileName(name: string): string | null {
  const ext = /\.([a-z0-9]{1,8})$/i.exec(name)?.[1]?.toLowerCase();
  return ext ? (EXTENSION_TYPES[ext] ?? null) : null;
}

/** A name for a part that has none, from its type. */
function fallbackName(part: BodyPart): string {
  const id = part.part || '1';
  if (part.type === 'message/rfc822' || part.type === 'message/global') return `message-${id}.eml`;
  if (isCalendar(part)) return `invite-${id}.ics`;
  const ext = Object.entries(EXTENSION_TYPES).find(([, type]) => type === part.type)?.[0];
  return `part-${id}${ext ? `.${ext}` : ''}`;
}

/** One BodyPart as an Attachment; `size` overrides the estimate when the decoded size is known. */
export function toAttachment(part: BodyPart, inline: boolean, size?: number): Attachment {
  const filename = part.filename?.trim() || fallbackName(part);
  const contentType =
    part.type === 'application/octet-stream' && part.filename
      ? (typeFromFileName(part.filename) ?? part.type)
      : part.type;
  return {
    id: part.part || '1',
    filename,
    contentType,
    size: size ?? estimateDecodedSize(part.size, part.encoding),
    sizeExact: size !== undefined,
    inline,
    contentId: part.contentId,
  };
}

/**
 * The attachments to list for a message the engine read: those of the
 * server's body structure (`listed`, whose ids are the server's part
 * numbers, so saving fetches exactly that part), with the exact sizes the
 * decoder counted where it read the same part (`decoded`, from a whole
 * message), and the files the decoder found uuencoded inside text parts.
 */
export function mergeAttachmentSizes(listed: Attachment[], decoded: Attachment[]): Attachment[] {
  const byId = new Map(decoded.map((a) => [a.id, a]));
  const merged = listed.map((attachment) => {
    const exact = byId.get(attachment.id);
    return exact?.sizeExact && exact.contentType === attachment.contentType
      ? { ...attachment, size: exact.size, sizeExact: true }
      : attachment;
  });
  return [...merged, ...decoded.filter((a) => !/^\d+(\.\d+)*$/.test(a.id))];
}
