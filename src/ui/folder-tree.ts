/**
 * The sidebar's folder tree: INBOX and the special folders first (the order
 * the engine gives top-level folders), each folder's children under it, and
 * folded subtrees left out.
 */
import type { Mailbox } from '../core/types.js';

export interface FolderRow {
  folder: Mailbox;
  depth: number;
  hasChildren: boolean;
  folded: boolean;
}

/**
 * The key a folder's fold is kept under: its path, or with several accounts
 * the account and the path (every account has its own INBOX).
 */
export function foldKey(account: string | null, path: string): string {
  return account === null ? path : `${account}\u0000${path}`;
}

/** The visible rows of the tree (`account` as for foldKey). */
export function folderTree(
  folders: readonly Mailbox[],
  folded: ReadonlySet<string>,
  account: string | null = null,
): FolderRow[] {
  const paths = new Set(folders.map((f) => f.path));
  const children = new Map<string, Mailbox[]>();
  const roots: Mailbox[] = [];
  for (const folder of folders) {
    if (folder.parentPath !== null && paths.has(folder.parentPath)) {
      const list = children.get(folder.parentPath) ?? [];
      list.push(folder);
      children.set(folder.parentPath, list);
    } else {
      roots.push(folder);
    }
  }
  const rows: FolderRow[] = [];
  const visit = (folder: Mailbox, depth: number) => {
    const kids = children.get(folder.path) ?? [];
    const isFolded = folded.has(foldKey(account, folder.path));
    rows.push({ folder, depth, hasChildren: kids.length > 0, folded: isFolded });
    if (isFolded) return;
    for (const kid of kids) visit(kid, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

/** The selectable folder `step` places from `current` in the visible tree, or null. */
export function adjacentFolderPath(
  rows: readonly FolderRow[],
  current: string | null,
  step: 1 | -1,
): string | null {
  const selectable = rows.filter((r) => r.folder.selectable).map((r) => r.folder.path);
  if (!selectable.length) return null;
  const index = current === null ? -1 : selectable.indexOf(current);
  if (index < 0) return step > 0 ? selectable[0]! : selectable[selectable.length - 1]!;
  return selectable[index + step] ?? null;
}
