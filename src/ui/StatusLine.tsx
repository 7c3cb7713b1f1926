/**
 * The status bar: account, folder (and search), counts, sort, connection
 * state, changes waiting to be sent, and a spinner for work that takes a
 * while. Folder names and server text are sanitised.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { formatSearch } from '../commands/index.js';
import type { MailStore } from '../core/store/store.js';
import { padToWidth, sanitizeLine, truncateToWidth, cellWidth } from '../core/text/index.js';
import type { ConnectionState } from '../core/types.js';
import { Spinner } from './Spinner.js';
import { useStyles } from './theme.js';
import { useDelayed, useNow } from './use-delayed.js';
import { useMailState } from './use-mail-state.js';

export interface StatusLineProps {
  store: MailStore;
  width: number;
  tagged: number;
  layout: string;
  /** Something the UI itself waits for (loading a message). */
  busy: string | null;
}

function connectionText(connection: ConnectionState, now: number): string {
  switch (connection.status) {
    case 'online':
      return 'online';
    case 'connecting':
      return 'connecting…';
    case 'closed':
      return 'closed';
    case 'offline': {
      const reason = sanitizeLine(connection.reason).replace(/\.$/, '');
      if (connection.retryAt === undefined) return `offline: ${reason}`;
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      return `offline: ${reason}; retrying in ${seconds} s`;
    }
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export const StatusLine = memo(function StatusLine(props: StatusLineProps) {
  const styles = useStyles();
  const account = useMailState(props.store, (s) => s.account);
  const connection = useMailState(props.store, (s) => s.connection);
  const view = useMailState(props.store, (s) => s.view);
  const opening = useMailState(props.store, (s) => s.opening);
  const folders = useMailState(props.store, (s) => s.folders);
  const queued = useMailState(props.store, (s) => s.queuedChanges);
  const progress = useMailState(props.store, (s) => s.progress);
  const now = useNow(connection.status === 'offline' && connection.retryAt !== undefined);
  const slowProgress = useDelayed(progress, 200);
  const slowBusy = useDelayed(props.busy, 0);

  const parts: string[] = [sanitizeLine(account)];
  const path = view?.path ?? opening;
  if (path) {
    const folder = folders.find((f) => f.path === path);
    let where = sanitizeLine(path);
    if (view?.search) where += ` [search: ${sanitizeLine(formatSearch(view.search))}]`;
    parts.push(where);
    if (view) {
      const unread = folder?.unread;
      // The open folder's own list is fresher than the folder list's counts.
      const total = view.total;
      parts.push(
        view.search
          ? `${count(view.total)} found`
          : `${unread ? `${count(unread)} new, ` : ''}${count(total)} message${total === 1 ? '' : 's'}`,
      );
      const sort = view.threaded ? 'threads' : `${view.sort.key}${view.sort.reverse ? ' ↓' : ' ↑'}`;
      parts.push(sort);
    }
  }
  if (props.tagged) parts.push(`${props.tagged} tagged`);
  if (queued) parts.push(`${count(queued)} queued`);
  const left = ` ${parts.join(' │ ')} `;
  const state = ` ${connectionText(connection, now)} `;
  const activity = slowProgress
    ? `${sanitizeLine(slowProgress.label)}${
        slowProgress.total
          ? ` ${Math.floor(((slowProgress.done ?? 0) * 100) / slowProgress.total)}%`
          : ''
      } `
    : slowBusy
      ? `${slowBusy} `
      : '';
  const spinning = Boolean(activity) || connection.status === 'connecting';
  // The right side (spinner, activity, connection) wins over the left when space is short.
  const stateText = truncateToWidth(state, props.width);
  const activityText = truncateToWidth(
    activity,
    Math.max(0, props.width - cellWidth(stateText) - (spinning ? 2 : 0)),
  );
  const rightWidth = (spinning ? 2 : 0) + cellWidth(activityText) + cellWidth(stateText);
  const leftWidth = Math.max(0, props.width - rightWidth);
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
