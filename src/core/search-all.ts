/**
 * Search across every folder (`tmail search --all-folders`): the local
 * cache's full-text index answers for what it holds, the server's SEARCH for
 * the rest, and the two are merged, newest first, each result naming its
 * folder. This file decides, per folder, what the server must still be asked
 * and merges the answers; it does no I/O.
 *
 * A folder's cache answers alone for messages it holds when the folder was
 * cached whole at its last sync (as many messages cached as it had) and the
 * query looks only at headers, dates and flags: the server is then asked only
 * about messages newer than the cache (UIDs from its UIDNEXT). A query with
 * words of the body asks the server about the whole folder, since the cache
 * holds the text only of messages read. Where the server searched a whole
 * folder, its answer replaces the cache's for that folder.
 */
import type { CachedFolder, SearchHit } from './cache/index.js';
import { searchesBodies } from './cache/query.js';
import type { SearchQuery } from './types.js';

/** What the server is asked about one folder. */
export type FolderPlan =
  | { path: string; server: 'all' }
  /** Only messages from UID `uidsFrom` up; the cache answers for the older ones. */
  | { path: string; server: 'newer'; uidsFrom: number; uidValidity: string };

/** Decides what the server must be asked about a folder, from what the cache knows of it. */
export function planFolder(
  path: string,
  cached: CachedFolder | null,
  query: SearchQuery,
): FolderPlan {
  if (
    !cached ||
    searchesBodies(query) ||
    cached.total === undefined ||
    cached.cached < cached.total
  )
    return { path, server: 'all' };
  // Without UIDNEXT (Courier's SELECT gives none), past the highest UID cached.
  const uidsFrom = cached.uidNext ?? (cached.lastUid ?? 0) + 1;
  return { path, server: 'newer', uidsFrom, uidValidity: cached.uidValidity };
}

/**
 * Local and server hits as one list, newest (Date header) first: a message
 * found by both is listed once (the server's row), and local hits of folders
 * the server searched whole are left out (the server's answer is current).
 */
export function mergeHits(
  local: readonly SearchHit[],
  server: readonly SearchHit[],
  searchedWhole: ReadonlySet<string>,
): SearchHit[] {
  const key = (hit: SearchHit) => `${hit.path}\u0000${hit.envelope.uid}`;
  const seen = new Set(server.map(key));
  const merged = [
    ...server,
    ...local.filter((hit) => !searchedWhole.has(hit.path) && !seen.has(key(hit))),
  ];
  return merged.sort(
    (a, b) =>
      b.envelope.date - a.envelope.date ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      b.envelope.uid - a.envelope.uid,
  );
}
