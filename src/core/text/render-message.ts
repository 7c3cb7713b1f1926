/**
 * The one rendering of a message as terminal lines, shared by the reader and
 * `tmail read` so that both faces show the same thing. It lives in core/text
 * (not core/mime) because the UI may import core/text but not core/mime; it
 * needs only the MessageView, never a MIME library.
 *
 * Every string from the view is sanitised here, after all decoding, and every
 * line fits `width` cells.
 */
import type { Address, BodyBlock, MessageView } from '../types.js';
import { formatAddressList, formatDateTime, formatSize } from './format.js';
import { isMisleading, messageLinks, numberTextUrls, type MessageLink } from './links.js';
import { sanitizeLine, sanitizeText } from './sanitize.js';
import { cellWidth, truncateToWidth, wrapText } from './width.js';

/** What a rendered line shows, so the UI can colour it. */
export type RenderedLineKind =
  | 'header'
  | 'blank'
  | 'text'
  | 'quote'
  | 'signature'
  | 'notice'
  | 'section'
  | 'link'
  | 'attachment'
  | 'note';

/** One line of a rendered message: sanitised and at most `width` cells wide. */
export interface RenderedLine {
  kind: RenderedLineKind;
  text: string;
  /** Quote depth for `quote` lines, else 0. */
  depth: number;
}

/** Options of {@link renderMessage}. */
export interface RenderMessageOptions {
  /** Terminal width in cells; lines are wrapped to it. */
  width: number;
  /** IANA time zone for the Date header; default the system's zone. */
  timeZone?: string;
  /** At most this many addresses per header, then `(and N more)`. Default 25. */
  maxAddresses?: number;
  /** Leave out the header lines (the reader may draw its own). Default false. */
  hideHeaders?: boolean;
  /** Tab stops in cells for the body. Default 8. */
  tabWidth?: number;
}

const MIN_WIDTH = 10;

/** Renders a message as lines for the terminal; see {@link renderMessageText} for plain strings. */
export function renderMessage(view: MessageView, options: RenderMessageOptions): RenderedLine[] {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width));
  const lines: RenderedLine[] = [];
  const push = (kind: RenderedLineKind, text: string, depth = 0): void => {
    lines.push({ kind, text, depth });
  };
  const blank = (): void => {
    if (lines.length && lines[lines.length - 1]!.kind !== 'blank') push('blank', '');
  };

  if (!options.hideHeaders) {
    for (const [label, value] of headerFields(view, options)) {
      for (const line of labelled(label, value, width)) push('header', line);
    }
    blank();
  }

  const links = messageLinks(view);
  let previous: BodyBlock['kind'] | null = null;
  for (const block of view.blocks) {
    // Notices (calendar summaries, uuencoded files) stand apart from the text around them.
    if (previous !== null && (block.kind === 'notice') !== (previous === 'notice')) blank();
    renderBlock(block, width, options.tabWidth, push, links);
    previous = block.kind;
  }

  if (links.length) {
    blank();
    push('section', 'Links:');
    links.forEach((link, index) => {
      for (const line of labelled(`[${index + 1}]`, linkLine(link), width, ' ')) {
        push('link', line);
      }
    });
  }

  if (view.attachments.length) {
    blank();
    push('section', 'Attachments:');
    view.attachments.forEach((attachment, index) => {
      push(
        'attachment',
        attachmentLine(
          `  ${index + 1}. `,
          sanitizeLine(attachment.filename) || '(unnamed)',
          sanitizeLine(attachment.contentType),
          [formatSize(attachment.size), ...(attachment.inline ? ['inline'] : [])],
          width,
        ),
      );
    });
  }

  if (view.notes.length) {
    blank();
    for (const note of view.notes) {
      for (const line of labelled('!', sanitizeLine(note), width, ' ')) push('note', line);
    }
  }

  while (lines.length && lines[lines.length - 1]!.kind === 'blank') lines.pop();
  return lines;
}

/**
 * The message as plain, sanitised lines of at most `width` cells: headers
 * (From, To, Cc, Reply-To, Date in the given time zone, Subject), the body,
 * links, attachments (name, type, size) and notes. What `tmail read` prints.
 */
export function renderMessageText(view: MessageView, options: RenderMessageOptions): string[] {
  return renderMessage(view, options).map((line) => line.text);
}

function headerFields(view: MessageView, options: RenderMessageOptions): Array<[string, string]> {
  const max = options.maxAddresses ?? 25;
  const fields: Array<[string, string]> = [];
  const addresses = (label: string, list: Address[], always = false): void => {
    if (list.length || always) fields.push([label, formatAddressList(list, max)]);
  };
  addresses('From:', view.from, true);
  addresses('To:', view.to);
  addresses('Cc:', view.cc);
  addresses('Bcc:', view.bcc);
  addresses('Reply-To:', view.replyTo);
  fields.push([
    'Date:',
    view.date === null ? '(unknown)' : formatDateTime(view.date, { timeZone: options.timeZone }),
  ]);
  fields.push(['Subject:', sanitizeLine(view.subject).trim() || '(no subject)']);
  return fields;
}

/**
 * `  1. name (type, size)` in `width` cells. The name is what a user needs to
 * tell parts apart and to save one, so a long type gives way first (shortened,
 * then left out); only then is the name shortened.
 */
function attachmentLine(
  prefix: string,
  name: string,
  type: string,
  details: string[],
  width: number,
): string {
  const line = (t: string, n: string) => `${prefix}${n} (${[t, ...details].join(', ')})`;
  if (cellWidth(line(type, name)) <= width) return line(type, name);
  const withoutType = `${prefix}${name} (${details.join(', ')})`;
  // Room left for the type once the rest is shown whole (", " joins it to the size).
  const typeRoom = width - cellWidth(withoutType) - 2;
  if (typeRoom >= 6) return line(truncateToWidth(type, typeRoom), name);
  if (cellWidth(withoutType) <= width) return withoutType;
  const suffix = ` (${details.join(', ')})`;
  const room = Math.max(8, width - cellWidth(prefix) - cellWidth(suffix));
  return truncateToWidth(prefix + truncateToWidth(name, room) + suffix, width);
}

/**
 * A link as the list shows it: its target, and for a link whose text names
 * another address, that text too, so the difference is in plain sight.
 */
export function linkLine(link: MessageLink): string {
  const target = sanitizeLine(link.url);
  return isMisleading(link) ? `${target} (its text reads "${sanitizeLine(link.label)}")` : target;
}

/** `label value` wrapped with a hanging indent under the value. */
function labelled(label: string, value: string, width: number, gap = ' '): string[] {
  const head = label + gap;
  const indent = cellWidth(head);
  if (indent >= width - 4) return wrapText(head + value, width);
  const wrapped = wrapText(value, width - indent);
  return wrapped.map((line, index) => (index === 0 ? head : ' '.repeat(indent)) + line);
}

function renderBlock(
  block: BodyBlock,
  width: number,
  tabWidth: number | undefined,
  push: (kind: RenderedLineKind, text: string, depth?: number) => void,
  links: readonly MessageLink[],
): void {
  const numbered = block.kind === 'notice' ? block.text : numberTextUrls(block.text, links);
  const text = sanitizeText(numbered, { tabWidth });
  if (block.kind === 'quote') {
    for (const line of text.split('\n')) {
      // Continuation lines of a long quoted line keep its `> ` prefix.
      const prefix = /^[> ]*>\s?/.exec(line)?.[0] ?? '';
      const room = width - cellWidth(prefix);
      if (!prefix || room < MIN_WIDTH) {
        for (const part of wrapText(line, width)) push('quote', part, block.depth);
        continue;
      }
      const body = line.slice(prefix.length);
      for (const part of wrapText(body, room)) push('quote', prefix + part, block.depth);
    }
    return;
  }
  const kind =
    block.kind === 'notice' ? 'notice' : block.kind === 'signature' ? 'signature' : 'text';
  for (const line of wrapText(text, width)) push(line === '' ? 'blank' : kind, line);
}
