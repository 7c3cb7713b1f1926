/**
 * Which messages a viewport needs: the rows on screen plus a margin either
 * side, minus what is already fetched or being fetched. Pure, so the rule
 * "work grows with what is on screen" is tested without a server.
 */
import type { FolderView } from './state.js';

export interface RowRange {
  /** First visible row (0-based). */
  first: number;
  /** Last visible row, inclusive. */
  last: number;
}

/** The rows to have envelopes for: the visible ones and `margin` rows either side, clamped. */
export function wantedRows(
  view: Pick<FolderView, 'total'>,
  range: RowRange,
  margin: number,
): RowRange | null {
  if (view.total === 0) return null;
  const first = Math.max(0, Math.min(range.first, range.last) - margin);
  const last = Math.min(view.total - 1, Math.max(range.first, range.last) + margin);
  return first <= last ? { first, last } : null;
}

/**
 * Replies of a folded thread fetched for its row's unread count: a thread
 * longer than this counts what is fetched (the screen's cost stays bounded).
 */
export const FOLDED_COUNT_LIMIT = 500;

/**
 * UIDs in `rows` whose envelopes are neither known nor pending. Rows whose UID
 * is not known yet (the full list has not arrived) are skipped: the engine
 * fills them once it has the list. A folded thread's row also wants its hidden
 * replies (up to FOLDED_COUNT_LIMIT), for the unread count it shows.
 */
export function missingUids(
  view: Pick<FolderView, 'uids' | 'envelopes'> & Partial<Pick<FolderView, 'folded'>>,
  rows: RowRange,
  pending: ReadonlySet<number>,
): number[] {
  const missing: number[] = [];
  const want = (uid: number) => {
    if (!view.envelopes.has(uid) && !pending.has(uid)) missing.push(uid);
  };
  const end = Math.min(rows.last, view.uids.length - 1);
  for (let row = rows.first; row <= end; row++) {
    const uid = view.uids[row]!;
    want(uid);
    const hidden = view.folded?.get(uid);
    if (hidden) for (const reply of hidden.slice(0, FOLDED_COUNT_LIMIT)) want(reply);
  }
  return missing;
}

/**
 * Envelopes kept for rows far from the viewport can be dropped to bound memory
 * on a long scroll through a huge folder: returns the UIDs outside `keep` rows
 * around the range, when more than `limit` envelopes are held.
 */
export function evictableUids(
  view: Pick<FolderView, 'uids' | 'envelopes'> & Partial<Pick<FolderView, 'folded'>>,
  range: RowRange,
  keep: number,
  limit: number,
): number[] {
  if (view.envelopes.size <= limit) return [];
  const near = new Set<number>();
  const first = Math.max(0, range.first - keep);
  const last = Math.min(view.uids.length - 1, range.last + keep);
  for (let row = first; row <= last; row++) {
    const uid = view.uids[row]!;
    near.add(uid);
    for (const reply of view.folded?.get(uid)?.slice(0, FOLDED_COUNT_LIMIT) ?? []) near.add(reply);
  }
  return [...view.envelopes.keys()].filter((uid) => !near.has(uid));
}
