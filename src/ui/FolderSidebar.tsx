/**
 * The folder sidebar: INBOX and the special folders first, subfolders
 * indented under their parent (folded ones marked ▸), unread counts on the
 * right, the open folder highlighted. With several accounts, each account
 * is a line of its own with its folders under it (folded ones show their
 * INBOX's unread count on that line, or that they are offline). Folder and
 * account names come from the server or the dotfile and are sanitised.
 */
import { Box, Text } from 'ink';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { EngineApi } from '../commands/index.js';
import type { AccountsSnapshot } from '../core/engine-registry.js';
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
  /** Every account, when there are several: each gets a line and its folders under it. */
  accounts?: AccountsSnapshot;
  /** The engine of an opened account (to tell it which of its folders are on screen). */
  engineOf?: (name: string) => Pick<EngineApi, 'dispatch'> | null;
  /** Accounts whose folders are shown (the others are one line). */
  unfoldedAccounts?: ReadonlySet<string>;
}

/** Scrolling through folders tells the engine once the sidebar settles. */
const SHOWN_DEBOUNCE_MS = 50;

type Line =
  | { kind: 'folder'; key: string; row: FolderRow; indent: number; current: boolean }
  | {
      kind: 'account';
      key: string;
      name: string;
      folded: boolean;
      shown: boolean;
      /** Right-hand text: the INBOX's unread count, or the connection. */
      note: string;
      unread: boolean;
      opened: boolean;
    }
  | { kind: 'note'; key: string; text: string };

function countText(unread: number | undefined): string {
  const n = unread ?? 0;
  return n > 0 ? (n > 99_999 ? '99k+' : String(n)) : '';
}

function folderText(
  row: FolderRow,
  indent: number,
  width: number,
): { name: string; count: string } {
  const marker = row.hasChildren ? (row.folded ? '▸' : '▾') : ' ';
  const count = countText(row.folder.unread);
  const pad = ' '.repeat(Math.min(row.depth + indent, 6));
  const nameWidth = Math.max(1, width - cellWidth(count) - 1);
  const name = padToWidth(`${pad}${marker}${sanitizeLine(row.folder.name)}`, nameWidth);
  return { name, count };
}

/** The lines of one account's part of the sidebar, and the paths of its folders that show. */
function accountLines(
  summary: AccountsSnapshot['accounts'][number],
  shown: boolean,
  unfolded: boolean,
  folded: ReadonlySet<string>,
): Line[] {
  const { account, state } = summary;
  const name = account.name;
  const inbox = state?.folders.find((f) => f.path.toUpperCase() === 'INBOX');
  const offline = state?.connection.status === 'offline';
  const note = !state ? '' : offline ? 'offline' : !unfolded ? countText(inbox?.unread) : '';
  const lines: Line[] = [
    {
      kind: 'account',
      key: `\u0001${name}`,
      name,
      folded: !unfolded,
      shown,
      note,
      unread: !unfolded && (inbox?.unread ?? 0) > 0,
      opened: state !== null,
    },
  ];
  if (!unfolded) return lines;
  if (!state || (!state.folders.length && !state.foldersLoaded)) {
    lines.push({
      kind: 'note',
      key: `\u0002${name}`,
      text: offline ? ' (offline)' : ' Loading folders…',
    });
    return lines;
  }
  if (!state.folders.length)
    lines.push({ kind: 'note', key: `\u0002${name}`, text: ' (no folders)' });
  const current = shown ? (state.view?.path ?? state.opening) : null;
  for (const row of folderTree(state.folders, folded, name)) {
    lines.push({
      kind: 'folder',
      key: `${name}\u0000${row.folder.path}`,
      row,
      indent: 1,
      current: row.folder.path === current,
    });
  }
  return lines;
}

export const FolderSidebar = memo(function FolderSidebar(props: FolderSidebarProps) {
  const styles = useStyles();
  const folders = useMail((s) => s.folders);
  const loaded = useMail((s) => s.foldersLoaded);
  const current = useMail((s) => s.view?.path ?? s.opening);
  const { accounts, unfoldedAccounts } = props;
  const lines = useMemo((): Line[] => {
    if (accounts) {
      return accounts.accounts.flatMap((summary) =>
        accountLines(
          summary,
          summary.account.name === accounts.shown,
          unfoldedAccounts?.has(summary.account.name) ?? false,
          props.folded,
        ),
      );
    }
    const rows = folderTree(folders, props.folded).map((row): Line => ({
      kind: 'folder',
      key: row.folder.path,
      row,
      indent: 0,
      current: row.folder.path === current,
    }));
    if (!rows.length)
      rows.push({ kind: 'note', key: 'none', text: loaded ? '(no folders)' : 'Loading folders…' });
    return rows;
  }, [accounts, unfoldedAccounts, folders, loaded, current, props.folded]);
  const inner = props.width - 1;
  const height = Math.max(1, props.height);
  // Keep the open folder in view when the list is longer than the screen.
  const index = lines.findIndex((l) => l.kind === 'folder' && l.current);
  const top = index >= height ? index - height + 1 : 0;
  const shown = lines.slice(top, top + height);

  // Which folders are on screen, per account: their counts are the ones kept current.
  // A folded account shows its INBOX's count on its line, so INBOX is what it counts.
  let shownPaths: string;
  if (!accounts) {
    shownPaths = shown.flatMap((l) => (l.kind === 'folder' ? [l.row.folder.path] : [])).join('\n');
  } else {
    const per: string[] = [];
    for (const line of shown) {
      if (line.kind === 'account' && line.folded && line.opened) per.push(`${line.name}\tINBOX`);
      if (line.kind === 'folder') per.push(line.key.replace('\u0000', '\t'));
    }
    shownPaths = per.join('\n');
  }
  const { engine, engineOf } = props;
  const sent = useRef(new Map<string, string>());
  useEffect(() => {
    if (!shownPaths) return;
    const timer = setTimeout(() => {
      if (!accounts) {
        void engine?.dispatch({ type: 'shown-folders', paths: shownPaths.split('\n') });
        return;
      }
      const byAccount = new Map<string, string[]>();
      for (const entry of shownPaths.split('\n')) {
        const [name, path] = entry.split('\t') as [string, string];
        byAccount.set(name, [...(byAccount.get(name) ?? []), path]);
      }
      for (const [name, paths] of byAccount) {
        const key = paths.join('\n');
        const target = engineOf?.(name);
        if (!target || sent.current.get(name) === key) continue;
        sent.current.set(name, key);
        void target.dispatch({ type: 'shown-folders', paths });
      }
    }, SHOWN_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [engine, engineOf, accounts, shownPaths]);

  const drawn = shown.map((line) => {
    if (line.kind === 'note')
      return (
        <Text key={line.key} {...styles.dim}>
          {truncateToWidth(line.text, inner)}
        </Text>
      );
    if (line.kind === 'account') {
      const marker = line.folded ? '▸' : '▾';
      const name = padToWidth(
        `${marker}${sanitizeLine(line.name)}`,
        Math.max(1, inner - cellWidth(line.note) - 1),
      );
      const style = line.shown
        ? styles.sidebarTitle
        : line.unread
          ? styles.sidebarUnread
          : line.opened
            ? {}
            : styles.dim;
      return (
        <Text key={line.key} wrap="truncate" {...style}>
          {name} {line.note}
        </Text>
      );
    }
    const { row } = line;
    const { name, count } = folderText(row, line.indent, inner);
    const unread = (row.folder.unread ?? 0) > 0;
    const style = line.current
      ? styles.sidebarCurrent
      : unread
        ? styles.sidebarUnread
        : row.folder.selectable
          ? {}
          : styles.dim;
    return (
      <Text key={line.key} wrap="truncate" {...style}>
        {name} {count}
      </Text>
    );
  });
  return (
    <Box flexDirection="row" width={props.width} height={height}>
      <Box flexDirection="column" width={inner} height={height}>
        {drawn}
      </Box>
      <Box flexDirection="column" width={1} height={height}>
        <Text {...styles.separator}>{Array.from({ length: height }, () => '│').join('\n')}</Text>
      </Box>
    </Box>
  );
});
