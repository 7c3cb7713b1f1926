/**
 * A folder's whole UID list worked out instead of read: after a re-sync, the
 * list the cache kept less what the server says vanished plus what arrived
 * since (UIDs from the old UIDNEXT up, which QRESYNC's and CONDSTORE's answers
 * name anyway). At 100,000 messages reading the list is the slow part of
 * opening a folder; this is a merge of two short lists into a long one.
 */
import { lowerBound, missingFrom } from '../imap/sequence.js';
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
    list = mergeAscending(missingFrom(known.uids, resync.vanished), resync.added);
  else return null;
  return list.length === resync.status.exists ? list : null;
}

/**
 * Two ascending lists as one, ascending, each UID once. When `a` holds every
 * UID of `b` already (the usual case: a folder's list and its cached rows),
 * the answer is `a` itself (not a copy), found with a search per element of `b`.
 */
export function mergeAscending(a: number[], b: readonly number[]): number[] {
  if (!b.length) return a;
  if (!a.length) return b.slice();
  if (b.length <= 1000 && b.every((uid) => a[lowerBound(a, uid)] === uid)) return a;
  // Integers only (no Infinity sentinel): the loop stays on V8's fast paths.
  const out: number[] = [];
  let i = 0;
  let j = 0;
  let last = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    let next: number;
    if (x < y) {
      next = x;
      i++;
    } else if (y < x) {
      next = y;
      j++;
    } else {
      next = x;
      i++;
      j++;
    }
    if (next > last) out.push((last = next));
  }
  for (; i < a.length; i++) if (a[i]! > last) out.push((last = a[i]!));
  for (; j < b.length; j++) if (b[j]! > last) out.push((last = b[j]!));
  return out;
}
