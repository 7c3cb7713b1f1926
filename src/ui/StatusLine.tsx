/**
 * The status bar: account, folder (and search), counts, sort, connection
 * state, changes waiting to be sent, and a spinner for work that takes a
 * while. Folder names and server text are sanitised.
 */
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import { formatSearch } from '../commands/index.js';
import { padToWidth, sanitizeLine, truncateToWidth, cellWidth } from '../core/text/index.js';
import type { ConnectionState } from '../core/types.js';
import { formatCount } from './batched-store.js';
import { MONTHS, pad2 } from './list-row.js';
import { Spinner } from './Spinner.js';
import { useStyles } from './theme.js';
import { useDelayed, useNow } from './use-delayed.js';
import { useMail } from './use-mail-state.js';
import { isSignInExpired } from './sign-in-offer.js';

export interface StatusLineProps {
  width: number;
  tagged: number;
  layout: string;
  /** Something the UI itself waits for (loading a message). */
  busy: string | null;
  /** What runs stops on Esc: said after it. */
  stoppable?: boolean;
  /** The results of a search across folders, when they are what the list pane shows. */
  results?: { query: string; count: number; more: boolean } | null;
}

/**
 * "as of 10:42" today, "as of Dec 4 10:42" before: when the cache shown was
 * last in step. Built by hand, not with toLocaleTimeString: its first call
 * loads ICU's date data, tens of milliseconds of the first cached frame.
 */
export function cacheAge(syncedAt: number | null, now: number): string {
  if (syncedAt === null) return 'cached';
  const then = new Date(syncedAt);
  const today = new Date(now);
  const time = `${pad2(then.getHours())}:${pad2(then.getMinutes())}`;
  const sameDay =
    then.getFullYear() === today.getFullYear() &&
    then.getMonth() === today.getMonth() &&
    then.getDate() === today.getDate();
  const day = `${MONTHS[then.getMonth()]} ${then.getDate()}`;
  return `cached, as of ${sameDay ? time : `${day} ${time}`}`;
}

function connectionText(
  connection: ConnectionState,
  now: number,
  account: string,
  fromCache: { syncedAt: number | null } | null,
): string {
  // Rows from the cache are not yet current: said first, so that it is never what is cut.
  if (fromCache) {
    const age = cacheAge(fromCache.syncedAt, Date.now());
    if (connection.status === 'connecting') return `${age}; connecting…`;
    if (connection.status === 'online') return `${age}; updating…`;
    if (connection.status === 'offline' && !isSignInExpired(connection.reason, account)) {
      if (connection.retryAt === undefined) return `offline, ${age}`;
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      return `offline, ${age}, retrying in ${seconds} s`;
    }
  }
  switch (connection.status) {
    case 'online':
      return 'online';
    case 'connecting':
      return 'connecting…';
    case 'closed':
      return 'closed';
    case 'offline': {
      // The status line has half the width: the offer of :login must not be what is cut.
      if (isSignInExpired(connection.reason, account))
        return 'offline: sign-in expired; type :login';
      const reason = sanitizeLine(connection.reason).replace(/\.$/, '');
      if (connection.retryAt === undefined) return `offline: ${reason}`;
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      // The countdown first: when the line is short, the reason is what gets cut.
      return `offline, retrying in ${seconds} s: ${reason}`;
    }
  }
}

function count(n: number): string {
  return formatCount(n);
}

export const StatusLine = memo(function StatusLine(props: StatusLineProps) {
  const styles = useStyles();
  const account = useMail((s) => s.account);
  const connection = useMail((s) => s.connection);
  const view = useMail((s) => s.view);
  // Replies folded away are still messages of the folder; counted once per fold, not per frame.
  const folded = view?.folded;
  const hidden = useMemo(() => {
    let sum = 0;
    for (const replies of folded?.values() ?? []) sum += replies.length;
    return sum;
  }, [folded]);
  const opening = useMail((s) => s.opening);
  const folders = useMail((s) => s.folders);
  const queued = useMail((s) => s.queuedChanges);
  const outbox = useMail((s) => s.outbox);
  const progress = useMail((s) => s.progress);
  const fromCache = useMail((s) => s.fromCache);
  const now = useNow(connection.status === 'offline' && connection.retryAt !== undefined);
  const slowProgress = useDelayed(progress, 200);
  const slowBusy = useDelayed(props.busy, 0);

  // Each part with a rank: when the line is too narrow, the lowest ranks go first.
  const parts: Array<{ text: string; rank: number }> = [{ text: sanitizeLine(account), rank: 1 }];
  const path = view?.path ?? opening;
  const results = props.results;
  if (results) {
    parts.push({ text: `all folders [search: ${sanitizeLine(results.query)}]`, rank: 5 });
    parts.push({ text: `${count(results.count)}${results.more ? '+' : ''} found`, rank: 3 });
  } else if (path) {
    const folder = folders.find((f) => f.path === path);
    let where = sanitizeLine(path);
    if (view?.search) where += ` [search: ${sanitizeLine(formatSearch(view.search))}]`;
    parts.push({ text: where, rank: 5 });
    if (view) {
      const unread = folder?.unread;
      // The open folder's own list is fresher than the folder list's counts.
      const total = view.total + hidden;
      parts.push({
        text: view.search
          ? `${count(view.total)} found`
          : `${unread ? `${count(unread)} new, ` : ''}${count(total)} message${total === 1 ? '' : 's'}`,
        rank: 3,
      });
      const sort = view.threaded ? 'threads' : `${view.sort.key}${view.sort.reverse ? ' ↓' : ' ↑'}`;
      parts.push({ text: sort, rank: 0 });
    }
  }
  if (props.tagged) parts.push({ text: `${props.tagged} tagged`, rank: 4 });
  if (queued) parts.push({ text: `${count(queued)} queued`, rank: 4 });
  // Unsent mail that only the user can move on (refused, login refused): said before anything else.
  if (outbox.needsYou)
    parts.push({ text: `${count(outbox.needsYou)} unsent: tmail outbox`, rank: 6 });
  if (outbox.waiting) parts.push({ text: `${count(outbox.waiting)} to send`, rank: 3 });
  const state = ` ${connectionText(connection, now, account, fromCache)} `;
  const activity = slowProgress
    ? `${sanitizeLine(slowProgress.label)}${
        slowProgress.total
          ? ` ${Math.floor(((slowProgress.done ?? 0) * 100) / slowProgress.total)}%`
          : ''
      } `
    : slowBusy
      ? `${slowBusy} `
      : '';
  const stopHint = activity && props.stoppable ? '(Esc stops) ' : '';
  const spinning = Boolean(activity) || connection.status === 'connecting';
  // The right side (spinner, activity, connection) takes at most half the line.
  const rightRoom = Math.max(12, Math.floor(props.width / 2));
  const stateText = truncateToWidth(state, rightRoom);
  const activityText = truncateToWidth(
    activity + stopHint,
    Math.max(0, rightRoom - cellWidth(stateText) - (spinning ? 2 : 0)),
  );
  const rightWidth = (spinning ? 2 : 0) + cellWidth(activityText) + cellWidth(stateText);
  const leftWidth = Math.max(0, props.width - rightWidth);
  const shown = [...parts];
  const joined = () => ` ${shown.map((p) => p.text).join(' │ ')} `;
  while (shown.length > 1 && cellWidth(joined()) > leftWidth) {
    const lowest = shown.reduce((a, b) => (b.rank < a.rank ? b : a));
    shown.splice(shown.indexOf(lowest), 1);
  }
  const left = joined();
  const barStyle = connection.status === 'offline' ? styles.statusOffline : styles.status;
  return (
    <Box width={props.width} height={1}>
      <Text wrap="truncate" {...styles.status}>
        {padToWidth(left, leftWidth)}
      </Text>
      {spinning && props.width - leftWidth >= 2 ? (
        <Text {...styles.status}>
          <Spinner style={styles.status} />{' '}
        </Text>
      ) : null}
      {activityText ? <Text {...styles.statusDim}>{activityText}</Text> : null}
      <Text wrap="truncate" {...barStyle}>
        {stateText}
      </Text>
    </Box>
  );
});
