/**
 * The folder sidebar: INBOX and the special folders first, subfolders
 * indented under their parent (folded ones marked ▸), unread counts on the
 * right, the open folder highlighted. Folder names come from the server and
 * are sanitised.
 */
import { Box, Text } from 'ink';
import { memo, useEffect, useMemo } from 'react';
import type { EngineApi } from '../commands/index.js';
import { cellWidth, padToWidth, sanitizeLine, truncateToWidth } from '../core/text/index.js';
import { folderTree, type FolderRow } from './folder-tree.js';
import { useStyles } from './theme.js';
import { useMail } from './use-mail-state.js';

export interface FolderSidebarProps {
  /** Told which folders are on screen, whose counts it keeps current. */
  engine?: Pick<EngineApi, 'dispatch'>;
  /** Width including the separator column on the right. */
  width: number;
  height: number;
  folded: ReadonlySet<string>;
}

/** Scrolling through folders tells the engine once the sidebar settles. */
const SHOWN_DEBOUNCE_MS = 50;

function rowText(row: FolderRow, width: number): { name: string; count: string } {
  const marker = row.hasChildren ? (row.folded ? '▸' : '▾') : ' ';
  const unread = row.folder.unread ?? 0;
  const count = unread > 0 ? (unread > 99_999 ? '99k+' : String(unread)) : '';
  const indent = ' '.repeat(Math.min(row.depth, 6));
  const nameWidth = Math.max(1, width - cellWidth(count) - 1);
  const name = padToWidth(`${indent}${marker}${sanitizeLine(row.folder.name)}`, nameWidth);
  return { name, count };
}

export const FolderSidebar = memo(function FolderSidebar(props: FolderSidebarProps) {
  const styles = useStyles();
  const folders = useMail((s) => s.folders);
  const loaded = useMail((s) => s.foldersLoaded);
  const current = useMail((s) => s.view?.path ?? s.opening);
  const rows = useMemo(() => folderTree(folders, props.folded), [folders, props.folded]);
  const inner = props.width - 1;
  const height = Math.max(1, props.height);
  // Keep the open folder in view when the list is longer than the screen.
  const index = rows.findIndex((r) => r.folder.path === current);
  const top = index >= height ? index - height + 1 : 0;
  const shown = rows.slice(top, top + height);
  const shownPaths = shown.map((row) => row.folder.path).join('\n');
  const { engine } = props;
  useEffect(() => {
    if (!engine || !shownPaths) return;
    const timer = setTimeout(() => {
      void engine.dispatch({ type: 'shown-folders', paths: shownPaths.split('\n') });
    }, SHOWN_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [engine, shownPaths]);
  const lines = shown.map((row) => {
    const { name, count } = rowText(row, inner);
    const isCurrent = row.folder.path === current;
    const unread = (row.folder.unread ?? 0) > 0;
    const style = isCurrent
      ? styles.sidebarCurrent
      : unread
        ? styles.sidebarUnread
        : row.folder.selectable
          ? {}
          : styles.dim;
    return (
      <Text key={row.folder.path} wrap="truncate" {...style}>
        {name} {count}
      </Text>
    );
  });
  if (!rows.length) {
    lines.push(
      <Text key="none" {...styles.dim}>
        {truncateToWidth(loaded ? '(no folders)' : 'Loading folders…', inner)}
      </Text>,
    );
  }
  return (
    <Box flexDirection="row" width={props.width} height={height}>
      <Box flexDirection="column" width={inner} height={height}>
        {lines}
      </Box>
      <Box flexDirection="column" width={1} height={height}>
        <Text {...styles.separator}>{Array.from({ length: height }, () => '│').join('\n')}</Text>
      </Box>
    </Box>
  );
});
