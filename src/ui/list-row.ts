/**
 * One row of the message list as fixed-width pieces: the flag column, the
 * sender, the subject (indented in threads) and the date. Every string from
 * the message is sanitised here and every piece is cut to its width in
 * terminal cells, so CJK and emoji keep the columns straight.
 */
import type { FolderView } from '../core/store/state.js';
import { cellWidth, padToWidth, sanitizeLine } from '../core/text/index.js';
import { ANSWERED, DELETED, FLAGGED, FORWARDED, SEEN, type Envelope } from '../core/types.js';
import type { StyleRole } from './theme.js';

export type DateStyle = 'relative' | 'iso';

export interface RowColumns {
  /** Width of the flag column, including the space after it. */
  flags: number;
  from: number;
  subject: number;
  date: number;
}

/** Column widths for a list `width` cells wide. */
export function rowColumns(width: number, dateStyle: DateStyle = 'relative'): RowColumns {
  const flags = 6;
  const date = width < 50 ? 0 : dateStyle === 'iso' ? 16 : 10;
  const from = Math.max(6, Math.min(24, Math.floor(width * 0.22)));
  const gaps = 1 + (date ? 1 : 0);
  const subject = Math.max(0, width - flags - from - date - gaps);
  return { flags, from, subject, date };
}

export interface RowText {
  flags: string;
  from: string;
  subject: string;
  date: string;
}

/**
 * The flag column, mutt style: tag `*`, then `D` deleted or `N` new, `!`
 * flagged, `r` answered (`f` forwarded), `@` has attachments.
 */
export function flagColumn(envelope: Envelope, tagged: boolean): string {
  const flags = envelope.flags;
  const status = flags.includes(DELETED) ? 'D' : flags.includes(SEEN) ? ' ' : 'N';
  const flagged = flags.includes(FLAGGED) ? '!' : ' ';
  const replied = flags.includes(ANSWERED) ? 'r' : flags.includes(FORWARDED) ? 'f' : ' ';
  const attachment = envelope.hasAttachments ? '@' : ' ';
  return `${tagged ? '*' : ' '}${status}${flagged}${replied}${attachment} `;
}

// Three letters each, as strftime's %b writes them for mutt's index, so every date in
// the column has the same width. A table, not Intl.DateTimeFormat: building that
// formatter loads ICU's date data, about 6 ms of every start, for the first list frame.
export const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** Two digits, as clocks and dates show them. */
export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * The date column: today's mail shows the time, this year's the day and
 * month, older mail the full date. `iso` always shows `YYYY-MM-DD HH:MM`.
 * Local time (TZ), like the rest of the terminal.
 */
export function formatListDate(ms: number, style: DateStyle, now = Date.now()): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms);
  const ymd = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (style === 'iso') return `${ymd} ${hm}`;
  const today = new Date(now);
  if (
    d.getFullYear() === today.getFullYear() &&
    d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate()
  )
    return hm;
  if (d.getFullYear() === today.getFullYear() && ms <= now + 86_400_000)
    return `${pad2(d.getDate())} ${MONTHS[d.getMonth()]}`;
  return ymd;
}

/** Who to show for a message: the sender, or the first recipient in Sent and Drafts. */
export function senderText(envelope: Envelope, showRecipient: boolean): string {
  const list = showRecipient ? envelope.to : envelope.from;
  const first = list[0];
  if (!first) return showRecipient ? 'To: (nobody)' : '(unknown sender)';
  const name = sanitizeLine(first.name).trim() || sanitizeLine(first.address).trim();
  return showRecipient ? `To: ${name}` : name;
}

/**
 * What goes before the subject in a threaded list: the reply's tree guide
 * (`├─>`, `│ └─>`, as mutt draws them) and, on a folded thread's row, how many
 * messages it holds and how many of them are unread: `[4, 2 unread] `.
 */
export function threadPrefix(guide: string, folded?: { count: number; unread: number }): string {
  if (!folded) return guide;
  return `${guide}[${folded.count}${folded.unread ? `, ${folded.unread} unread` : ''}] `;
}

export interface RowOptions {
  columns: RowColumns;
  tagged: boolean;
  /** The tree guide of a reply in a threaded list ('' for none). */
  guide: string;
  /** A folded thread's row: its size and unread count. */
  folded?: { count: number; unread: number };
  dateStyle: DateStyle;
  showRecipient: boolean;
  now: number;
}

/** The row of an envelope, each piece exactly its column's width. */
export function formatRow(envelope: Envelope, options: RowOptions): RowText {
  const { columns } = options;
  const subject = sanitizeLine(envelope.subject).trim() || '(no subject)';
  return {
    flags: flagColumn(envelope, options.tagged),
    from: padToWidth(senderText(envelope, options.showRecipient), columns.from),
    subject: padToWidth(threadPrefix(options.guide, options.folded) + subject, columns.subject),
    date: columns.date
      ? padToWidth(formatListDate(envelope.date, options.dateStyle, options.now), columns.date, {
          align: 'right',
        })
      : '',
  };
}

/** What a row without an envelope says while offline: nothing can fetch it now. */
export const NOT_CACHED_TEXT = 'not in the local cache';

/**
 * A row whose envelope has not arrived yet; `uncached`: offline, the local
 * cache does not hold it (the list knows the message is there, nothing more),
 * so the row says so instead of waiting.
 */
export function placeholderRow(columns: RowColumns, tagged: boolean, uncached = false): RowText {
  return {
    flags: `${tagged ? '*' : ' '}     `,
    from: padToWidth(uncached ? '' : '…', columns.from),
    subject: padToWidth(uncached ? NOT_CACHED_TEXT : '', columns.subject),
    date: ' '.repeat(columns.date),
  };
}

/** Width of a row's text, for tests: the pieces and the gaps between them. */
export function rowWidth(row: RowText): number {
  return (
    cellWidth(row.flags) +
    cellWidth(row.from) +
    1 +
    cellWidth(row.subject) +
    (row.date ? 1 + cellWidth(row.date) : 0)
  );
}

/** Start of the day of `now`: relative dates change once a day, not per frame. */
export function startOfToday(now = Date.now()): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** One row of the list on screen, before it is drawn. */
export interface RowSlot {
  /** Row number in the folder (0 is the top). */
  row: number;
  uid: number | undefined;
  envelope: Envelope | undefined;
  selected: boolean;
  tagged: boolean;
  /** Tree guide of a reply in a threaded list. */
  guide: string;
  /** A folded thread's row: its size and unread count; 0 otherwise. */
  foldedCount: number;
  foldedUnread: number;
}

/** The rows from `top` that fit in `height`, with what each row's look depends on. */
export function rowSlots(
  view: FolderView,
  cursor: { top: number; row: number },
  height: number,
  tagged: ReadonlySet<number>,
): RowSlot[] {
  const slots: RowSlot[] = [];
  const last = Math.min(view.total, cursor.top + height);
  for (let row = cursor.top; row < last; row++) {
    const uid = view.uids[row];
    // A folded thread counts its unread messages among those fetched (the engine fetches
    // the hidden replies of folded rows on screen).
    const hidden = uid === undefined ? undefined : view.folded?.get(uid);
    let foldedUnread = 0;
    if (hidden)
      for (const member of [uid!, ...hidden]) {
        const flags = view.envelopes.get(member)?.flags;
        if (flags && !flags.includes(SEEN)) foldedUnread++;
      }
    slots.push({
      row,
      uid,
      envelope: uid === undefined ? undefined : view.envelopes.get(uid),
      selected: row === cursor.row,
      tagged: uid !== undefined && tagged.has(uid),
      guide: (uid !== undefined && view.guides?.get(uid)) || '',
      foldedCount: hidden ? hidden.length + 1 : 0,
      foldedUnread,
    });
  }
  return slots;
}

/** What a row's look depends on besides its slot. */
export interface RowLookOptions {
  columns: RowColumns;
  dateStyle: DateStyle;
  showRecipient: boolean;
  width: number;
  /** Start of today (startOfToday). */
  today: number;
  /** False when the reader has the keys: the cursor row is drawn dimmer. */
  focused: boolean;
  /** Offline: a row without an envelope will not get one until the server is back. */
  offline: boolean;
}

/** A piece of a row's text and the style role it is drawn in (inside the row's own). */
export interface RowSpan {
  text: string;
  role?: StyleRole;
}

/** How a row is drawn: its text in spans, the whole in the row's style role. */
export interface RowLook {
  role?: StyleRole;
  spans: RowSpan[];
}

/**
 * The look of a row as text and style roles, for the list component and for
 * the frame drawn before the UI has loaded, so that the two cannot differ.
 */
export function rowLook(
  slot: Pick<
    RowSlot,
    'envelope' | 'selected' | 'tagged' | 'guide' | 'foldedCount' | 'foldedUnread'
  >,
  options: RowLookOptions,
): RowLook {
  const { envelope } = slot;
  const { columns } = options;
  const row = envelope
    ? formatRow(envelope, {
        columns,
        tagged: slot.tagged,
        guide: slot.guide,
        ...(slot.foldedCount
          ? { folded: { count: slot.foldedCount, unread: slot.foldedUnread } }
          : {}),
        dateStyle: options.dateStyle,
        showRecipient: options.showRecipient,
        now: options.today,
      })
    : placeholderRow(columns, slot.tagged, options.offline);
  if (slot.selected) {
    const text = `${row.flags}${row.from} ${row.subject}${row.date ? ` ${row.date}` : ''}`;
    return {
      role: options.focused ? 'selected' : 'readerTitle',
      spans: [{ text: padToWidth(text, options.width) }],
    };
  }
  if (!envelope) {
    return {
      role: 'placeholder',
      spans: [{ text: `${row.flags}${row.from}${options.offline ? ` ${row.subject}` : ''}` }],
    };
  }
  const flags = envelope.flags;
  const role: StyleRole | undefined = flags.includes(DELETED)
    ? 'deleted'
    : flags.includes(FLAGGED)
      ? 'flagged'
      : !flags.includes(SEEN) || slot.foldedUnread > 0
        ? 'unread'
        : undefined;
  const spans: RowSpan[] = [
    { text: row.flags, role: slot.tagged ? 'tagged' : 'flags' },
    { text: `${row.from} ${row.subject}` },
  ];
  if (row.date) spans.push({ text: ` ${row.date}`, role: 'date' });
  return role ? { role, spans } : { spans };
}
