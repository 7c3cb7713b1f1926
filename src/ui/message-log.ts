/**
 * The message log (vim's and aerc's `:messages`): every notice of this run,
 * oldest first, kept whole however long, and the lines its screen shows. Also
 * which notice the message line shows and how many rows it needs: a long
 * sentence wraps onto up to {@link MAX_NOTICE_ROWS} rows instead of being cut
 * at the screen's edge.
 */
import type { Notice } from '../core/store/state.js';
import { sanitizeLine, truncateToWidth, wrapText } from '../core/text/index.js';

/** Notices kept; the oldest go first (a run that says more than this is spamming). */
export const LOG_LIMIT = 500;

/** Rows a notice may take at the bottom of the screen before the rest waits in :messages. */
export const MAX_NOTICE_ROWS = 3;

/** The log with one more notice (the same notice twice in a row is kept once). */
export function appendNotice(log: readonly Notice[], notice: Notice): readonly Notice[] {
  if (log.at(-1) === notice) return log;
  const next = [...log, notice];
  return next.length > LOG_LIMIT ? next.slice(next.length - LOG_LIMIT) : next;
}

/** The newest notice not yet dismissed by a key press, or null. */
export function shownNotice(
  uiNotice: Notice | null,
  engineNotice: Notice | null,
  dismissedAt: number,
): Notice | null {
  const candidates = [uiNotice, engineNotice].filter(
    (n): n is Notice => n !== null && n.at > dismissedAt,
  );
  return candidates.sort((a, b) => b.at - a.at)[0] ?? null;
}

/**
 * A notice's text as rows of at most `width` cells: wrapped, at most MAX_NOTICE_ROWS, the
 * last one ending in a pointer to :messages when the text goes on.
 */
export function noticeRows(text: string, width: number): string[] {
  const rows = wrapText(sanitizeLine(text), Math.max(1, width));
  if (rows.length <= MAX_NOTICE_ROWS) return rows;
  const more = '… (:messages)';
  const kept = rows.slice(0, MAX_NOTICE_ROWS);
  kept[MAX_NOTICE_ROWS - 1] =
    `${truncateToWidth(kept[MAX_NOTICE_ROWS - 1]!, Math.max(0, width - more.length))}${more}`;
  return kept;
}

/** One line of the log's screen. */
export interface LogLine {
  kind: 'error' | 'info' | 'blank';
  text: string;
}

function clock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** The log as screen lines of at most `width` cells: each notice with its time, wrapped. */
export function logLines(log: readonly Notice[], width: number): LogLine[] {
  if (!log.length) return [{ kind: 'info', text: 'Nothing has been said yet in this run.' }];
  const lines: LogLine[] = [];
  for (const notice of log) {
    const stamp = `${clock(notice.at)}  `;
    const rows = wrapText(sanitizeLine(notice.text), Math.max(10, width - stamp.length));
    rows.forEach((row, i) =>
      lines.push({
        kind: notice.kind === 'error' ? 'error' : 'info',
        text: `${i === 0 ? stamp : ' '.repeat(stamp.length)}${row}`,
      }),
    );
  }
  return lines;
}
