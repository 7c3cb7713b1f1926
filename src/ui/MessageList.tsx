/**
 * The message list. It draws exactly the rows on screen: the cost of a frame
 * is the screen's height, whatever the folder's size. Rows whose envelope has
 * not arrived yet show a placeholder and fill in when it does; offline, a row
 * the local cache does not hold says so, dimmed (the list from the cache knows
 * every message of the folder, not every envelope).
 */
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import type { EngineApi } from '../commands/index.js';
import { roleOfFolder } from '../core/folder-role.js';
import type { FolderView } from '../core/store/state.js';
import { padToWidth, sanitizeLine, truncateToWidth } from '../core/text/index.js';
import { DELETED, FLAGGED, SEEN, type Envelope } from '../core/types.js';
import type { ListCursor } from './list-nav.js';
import {
  formatRow,
  placeholderRow,
  rowColumns,
  type DateStyle,
  type RowColumns,
} from './list-row.js';
import { useStyles } from './theme.js';
import { useMail } from './use-mail-state.js';
import { useViewport } from './use-viewport.js';
import { offerSignIn } from './sign-in-offer.js';

export interface MessageListProps {
  engine: Pick<EngineApi, 'dispatch' | 'account'>;
  cursor: ListCursor;
  width: number;
  height: number;
  tagged: ReadonlySet<number>;
  dateStyle: DateStyle;
  /** False when the reader has the keys: the cursor row is drawn dimmer. */
  focused: boolean;
  /** Called while rendering when rows with envelopes are on screen (for the start-up benchmark). */
  onRows?: () => void;
}

interface RowProps {
  envelope: Envelope | undefined;
  /** Offline: a row without an envelope will not get one until the server is back. */
  offline: boolean;
  selected: boolean;
  focused: boolean;
  tagged: boolean;
  /** Tree guide of a reply in a threaded list. */
  guide: string;
  /** A folded thread's row: its size and unread count (numbers, so the memo compares them). */
  foldedCount: number;
  foldedUnread: number;
  columns: RowColumns;
  dateStyle: DateStyle;
  showRecipient: boolean;
  width: number;
  /** Start of today, so relative dates change once a day and not per frame. */
  today: number;
}

const ListRow = memo(function ListRow(props: RowProps) {
  const styles = useStyles();
  const { envelope, columns } = props;
  const row = envelope
    ? formatRow(envelope, {
        columns,
        tagged: props.tagged,
        guide: props.guide,
        ...(props.foldedCount
          ? { folded: { count: props.foldedCount, unread: props.foldedUnread } }
          : {}),
        dateStyle: props.dateStyle,
        showRecipient: props.showRecipient,
        now: props.today,
      })
    : placeholderRow(columns, props.tagged, props.offline);
  if (props.selected) {
    const text = `${row.flags}${row.from} ${row.subject}${row.date ? ` ${row.date}` : ''}`;
    return (
      <Text wrap="truncate" {...(props.focused ? styles.selected : styles.readerTitle)}>
        {padToWidth(text, props.width)}
      </Text>
    );
  }
  if (!envelope) {
    return (
      <Text wrap="truncate" {...styles.placeholder}>
        {row.flags}
        {row.from}
        {props.offline ? ` ${row.subject}` : ''}
      </Text>
    );
  }
  const flags = envelope.flags;
  const base = flags.includes(DELETED)
    ? styles.deleted
    : flags.includes(FLAGGED)
      ? styles.flagged
      : !flags.includes(SEEN) || props.foldedUnread > 0
        ? styles.unread
        : {};
  return (
    <Text wrap="truncate" {...base}>
      <Text {...(props.tagged ? styles.tagged : styles.flags)}>{row.flags}</Text>
      {row.from} {row.subject}
      {row.date ? <Text {...styles.date}> {row.date}</Text> : null}
    </Text>
  );
});

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function emptyText(
  view: FolderView | null,
  opening: string | null,
  busy: boolean,
  offline: string | null,
): string {
  if (opening) return `Opening ${sanitizeLine(opening)}…`;
  if (busy && view?.search) return 'Searching…';
  if (busy) return 'Loading…';
  if (!view) return offline ? `Offline: ${sanitizeLine(offline)}` : 'Connecting…';
  if (view.search) return 'No message matches the search; Esc returns to the folder.';
  return view.complete ? 'This folder is empty.' : 'Loading…';
}

export const MessageList = memo(function MessageList(props: MessageListProps) {
  const styles = useStyles();
  const view = useMail((s) => s.view);
  const opening = useMail((s) => s.opening);
  const busy = useMail((s) => s.progress !== null);
  const offline = useMail((s) =>
    s.connection.status === 'offline' ? offerSignIn(s.connection.reason, s.account) : null,
  );
  const isOffline = useMail((s) => s.connection.status === 'offline');
  const configuredRoles = props.engine.account.folders;
  const role = useMail((s) => {
    const path = s.view?.path;
    return path ? roleOfFolder(path, s.folders, configuredRoles) : null;
  });
  const { cursor, width, height } = props;
  useViewport(props.engine, view, cursor.top, height);
  // One object per width: rows are memoised, and a new object each frame would redraw them all.
  const columns = useMemo(() => rowColumns(width, props.dateStyle), [width, props.dateStyle]);
  const showRecipient = role === 'sent' || role === 'drafts';
  const today = useMemo(startOfToday, [Math.floor(Date.now() / 3_600_000)]);
  const rows = [];
  let loaded = false;
  if (view && view.total > 0) {
    const last = Math.min(view.total, cursor.top + height);
    for (let row = cursor.top; row < last; row++) {
      const uid = view.uids[row];
      const envelope = uid === undefined ? undefined : view.envelopes.get(uid);
      if (envelope) loaded = true;
      // A folded thread counts its unread messages among those fetched (the engine fetches
      // the hidden replies of folded rows on screen).
      const hidden = uid === undefined ? undefined : view.folded?.get(uid);
      let foldedUnread = 0;
      if (hidden)
        for (const member of [uid!, ...hidden]) {
          const flags = view.envelopes.get(member)?.flags;
          if (flags && !flags.includes(SEEN)) foldedUnread++;
        }
      rows.push(
        <ListRow
          key={row}
          envelope={envelope}
          offline={isOffline}
          selected={row === cursor.row}
          focused={props.focused}
          tagged={uid !== undefined && props.tagged.has(uid)}
          guide={(uid !== undefined && view.guides?.get(uid)) || ''}
          foldedCount={hidden ? hidden.length + 1 : 0}
          foldedUnread={foldedUnread}
          columns={columns}
          dateStyle={props.dateStyle}
          showRecipient={showRecipient}
          width={width}
          today={today}
        />,
      );
    }
  } else {
    rows.push(
      <Text key="empty" {...styles.dim}>
        {truncateToWidth(`  ${emptyText(view, opening, busy, offline)}`, width)}
      </Text>,
    );
  }
  if (loaded) props.onRows?.();
  return (
    <Box flexDirection="column" width={width} height={height}>
      {rows}
    </Box>
  );
});
