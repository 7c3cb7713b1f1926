/**
 * How the mail commands print: aligned plain text for people (every string
 * from the server or a message sanitised, columns by terminal cell width), and
 * stable JSON for scripts (documented in docs/cli.md).
 */
import { formatAddress } from '../core/text/format.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { cellWidth, padToWidth, truncateToWidth } from '../core/text/width.js';
import type { Envelope, Mailbox } from '../core/types.js';
import { ANSWERED, DELETED, FLAGGED, SEEN } from '../core/types.js';
import { out, type CliIo } from './io.js';

/** The list's flag column, as mutt shows it: N new, ! flagged, r answered, D deleted, @ attachment. */
export function flagColumn(envelope: Pick<Envelope, 'flags' | 'hasAttachments'>): string {
  const f = envelope.flags;
  return [
    f.includes(DELETED) ? 'D' : f.includes(SEEN) ? ' ' : 'N',
    f.includes(FLAGGED) ? '!' : ' ',
    f.includes(ANSWERED) ? 'r' : ' ',
    envelope.hasAttachments ? '@' : ' ',
  ].join('');
}

/** `2026-03-01 14:05` in local time, fixed width. */
export function shortDate(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '                ';
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function fromColumn(envelope: Envelope): string {
  const first = envelope.from[0];
  if (!first) return '';
  return sanitizeLine(first.name || first.address);
}

/** Plain-text rows of a message list: UID, flags, date, sender, subject. */
export function printEnvelopes(io: CliIo, envelopes: Envelope[], width = 120): void {
  const uidWidth = Math.max(3, ...envelopes.map((e) => String(e.uid).length));
  const fromWidth = 22;
  const fixed = uidWidth + 2 + 4 + 2 + 16 + 2 + fromWidth + 2;
  const subjectWidth = Math.max(20, width - fixed);
  for (const e of envelopes) {
    const subject = truncateToWidth(sanitizeLine(e.subject) || '(no subject)', subjectWidth);
    out(
      io,
      `${String(e.uid).padStart(uidWidth)}  ${flagColumn(e)}  ${shortDate(e.date)}  ${padToWidth(truncateToWidth(fromColumn(e), fromWidth), fromWidth)}  ${subject}`.trimEnd(),
    );
  }
}

/** Search results across folders: the folder, then the columns of printEnvelopes. */
export function printHits(
  io: CliIo,
  hits: Array<{ path: string; envelope: Envelope }>,
  width = 120,
): void {
  const folders = hits.map((h) => sanitizeLine(h.path));
  const folderWidth = Math.min(24, Math.max(6, ...folders.map((f) => cellWidth(f))));
  const uidWidth = Math.max(3, ...hits.map((h) => String(h.envelope.uid).length));
  const fromWidth = 22;
  const fixed = folderWidth + 2 + uidWidth + 2 + 4 + 2 + 16 + 2 + fromWidth + 2;
  const subjectWidth = Math.max(20, width - fixed);
  hits.forEach(({ envelope: e }, i) => {
    const folder = padToWidth(truncateToWidth(folders[i]!, folderWidth), folderWidth);
    const subject = truncateToWidth(sanitizeLine(e.subject) || '(no subject)', subjectWidth);
    out(
      io,
      `${folder}  ${String(e.uid).padStart(uidWidth)}  ${flagColumn(e)}  ${shortDate(e.date)}  ${padToWidth(truncateToWidth(fromColumn(e), fromWidth), fromWidth)}  ${subject}`.trimEnd(),
    );
  });
}

/** The JSON form of a listed message (stable fields, see docs/cli.md). */
export function envelopeJson(e: Envelope): Record<string, unknown> {
  const address = (a: { name: string; address: string }) => ({ name: a.name, address: a.address });
  return {
    uid: e.uid,
    subject: e.subject,
    from: e.from[0] ? address(e.from[0]) : null,
    to: e.to.map(address),
    cc: e.cc.map(address),
    date: new Date(e.date).toISOString(),
    arrival: e.arrival ? new Date(e.arrival).toISOString() : null,
    flags: e.flags,
    size: e.size,
    hasAttachments: e.hasAttachments,
    messageId: e.messageId,
  };
}

export function folderJson(f: Mailbox): Record<string, unknown> {
  return {
    path: f.path,
    serverPath: f.serverPath ?? f.path,
    name: f.name,
    role: f.role,
    total: f.total ?? null,
    unread: f.unread ?? null,
    subscribed: f.subscribed,
    selectable: f.selectable,
    delimiter: f.delimiter,
  };
}

/** Folders as an indented tree with counts. */
export function printFolders(io: CliIo, folders: readonly Mailbox[]): void {
  const rows = folders.map((f) => {
    const depth =
      f.delimiter && f.path.toUpperCase() !== 'INBOX' ? f.path.split(f.delimiter).length - 1 : 0;
    return { name: `${'  '.repeat(depth)}${sanitizeLine(f.name)}`, f };
  });
  const nameWidth = Math.max(6, ...rows.map((r) => cellWidth(r.name)));
  for (const { name, f } of rows) {
    const counts =
      f.total === undefined
        ? ''
        : `${String(f.unread ?? 0).padStart(6)} unread ${String(f.total).padStart(7)} total`;
    const role = f.role && f.role !== 'inbox' ? `  (${f.role})` : '';
    out(io, `${padToWidth(name, nameWidth)}  ${counts}${role}`.trimEnd());
  }
}

/**
 * Characters JSON.stringify leaves raw that a terminal obeys or that reorder
 * or hide text: DEL, C1 controls, bidi controls and marks, line and paragraph
 * separators, invisible format characters. (C0 controls and lone surrogates it
 * escapes itself.) They only ever occur inside strings, so escaping them there
 * keeps the JSON the same for a program and harmless for a terminal.
 */
const JSON_UNSAFE =
  /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}]/gu;

/** JSON text for scripts, indented, with no control or bidi character raw. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (char) => {
    let escaped = '';
    for (let i = 0; i < char.length; i++)
      escaped += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return escaped;
  });
}

export function json(io: CliIo, value: unknown): void {
  io.stdout.write(jsonText(value) + '\n');
}

export { formatAddress };
