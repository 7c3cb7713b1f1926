/**
 * A folder's whole UID list worked out instead of read: after a re-sync, the
 * list the cache kept less what the server says vanished plus what arrived
 * since (UIDs from the old UIDNEXT up, which QRESYNC's and CONDSTORE's answers
 * name anyway). At 100,000 messages reading the list is the slow part of
 * opening a folder; this is a merge of two short lists into a long one.
 */
import type { FolderResync, KnownFolderState } from './backend.js';

/**
 * The folder's UID list, ascending, after `resync` of a folder known as
 * `known`: the list the re-sync read (`uids` method), else `known.uids`
 * less `vanished` plus `added` when `known.uids` was the whole list. Null
 * when it cannot be told (only the cached rows were known, UIDVALIDITY
 * changed) or when it disagrees with the server's EXISTS: then the list is
 * read once, correctness first.
 */
export function uidListAfterResync(known: KnownFolderState, resync: FolderResync): number[] | null {
  if (resync.uidValidityChanged) return null;
  let list: number[];
  if (resync.uids) list = resync.uids;
  else if (known.complete)
    list = mergeAscending(without(known.uids, resync.vanished), resync.added);
  else return null;
  return list.length === resync.status.exists ? list : null;
}

/** The ascending `list` without the ascending `gone` (one pass over both). */
export function without(list: readonly number[], gone: readonly number[]): number[] {
  if (!gone.length) return [...list];
  const out: number[] = [];
  let j = 0;
  for (const uid of list) {
    while (j < gone.length && gone[j]! < uid) j++;
    if (gone[j] !== uid) out.push(uid);
  }
  return out;
}

/** Two ascending lists as one, ascending, each UID once. */
export function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  if (!b.length) return [...a];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    const next = Math.min(x, y);
    if (x === next) i++;
    if (y === next) j++;
    if (out.length === 0 || out[out.length - 1]! < next) out.push(next);
  }
  return out;
}
