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
import { sanitizeLine, truncateToWidth } from '../core/text/index.js';
import type { ListCursor } from './list-nav.js';
import {
  rowColumns,
  rowLook,
  rowSlots,
  startOfToday,
  type DateStyle,
  type RowLookOptions,
  type RowSlot,
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

interface RowProps extends Omit<RowSlot, 'row' | 'uid'>, RowLookOptions {}

const ListRow = memo(function ListRow(props: RowProps) {
  const styles = useStyles();
  const look = rowLook(props, props);
  return (
    <Text wrap="truncate" {...(look.role ? styles[look.role] : {})}>
      {look.spans.map((span, i) =>
        span.role ? (
          <Text key={i} {...styles[span.role]}>
            {span.text}
          </Text>
        ) : (
          span.text
        ),
      )}
    </Text>
  );
});

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
  const today = useMemo(() => startOfToday(), [Math.floor(Date.now() / 3_600_000)]);
  const rows = [];
  let loaded = false;
  if (view && view.total > 0) {
    for (const slot of rowSlots(view, cursor, height, props.tagged)) {
      if (slot.envelope) loaded = true;
      rows.push(
        <ListRow
          key={slot.row}
          envelope={slot.envelope}
          offline={isOffline}
          selected={slot.selected}
          focused={props.focused}
          tagged={slot.tagged}
          guide={slot.guide}
          foldedCount={slot.foldedCount}
          foldedUnread={slot.foldedUnread}
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
