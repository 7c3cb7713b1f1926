/**
 * Taking messages out of a folder without taking any other along.
 *
 * IMAP removes messages by EXPUNGE, which removes every message marked
 * \Deleted, also ones the user (or another client) marked on purpose and never
 * asked to remove. UID EXPUNGE (UIDPLUS, RFC 4315) names the messages instead.
 * So: with UIDPLUS, UID EXPUNGE of exactly the chosen UIDs; without it, a plain
 * EXPUNGE only when a search right before shows no other \Deleted message;
 * otherwise the chosen messages stay marked \Deleted until the user's next
 * expunge. A server without MOVE gets COPY, \Deleted on the chosen messages,
 * and the same removal.
 */
import { DELETED } from '../types.js';
import type { MailBackend, UidMap } from './backend.js';

/** What a removal did. */
export interface Removal {
  /** UIDs expunged. */
  removed: number[];
  /**
   * UIDs left marked \Deleted: the server cannot expunge them alone (no UIDPLUS)
   * while other messages of the folder are marked \Deleted too.
   */
  leftMarked: number[];
}

/** What a move did. */
export interface MoveOutcome extends Removal {
  /** Source UID to destination UID, when the server says (COPYUID). */
  uidMap: UidMap;
}

/**
 * Expunges exactly `uids` of the selected folder, which the caller has marked
 * \Deleted; never another message.
 */
export async function expungeExactly(b: MailBackend, uids: number[]): Promise<Removal> {
  if (!uids.length) return { removed: [], leftMarked: [] };
  if (b.capabilities.has('UIDPLUS')) {
    await b.expunge(uids);
    return { removed: uids, leftMarked: [] };
  }
  const chosen = new Set(uids);
  const deleted = await b.searchUids({ flagged: [DELETED] });
  if (deleted.every((uid) => chosen.has(uid))) {
    if (deleted.length) await b.expungeAll();
    return { removed: deleted, leftMarked: [] };
  }
  return { removed: [], leftMarked: deleted.filter((uid) => chosen.has(uid)) };
}

/**
 * Moves `uids` of the selected folder to `destination`, expunging nothing else.
 * `copied`: those of them known to be in `destination` already (a replayed
 * move whose COPY went out before), which are only removed here.
 */
export async function moveExactly(
  b: MailBackend,
  uids: number[],
  destination: string,
  copied: ReadonlySet<number> = new Set(),
): Promise<MoveOutcome> {
  if (!uids.length) return { removed: [], leftMarked: [], uidMap: new Map() };
  if (b.capabilities.has('MOVE') && !copied.size) {
    const uidMap = await b.move(uids, destination);
    return { removed: uids, leftMarked: [], uidMap };
  }
  // If the copy fails this throws before the source is touched.
  const toCopy = uids.filter((uid) => !copied.has(uid));
  const uidMap = toCopy.length ? await b.copy(toCopy, destination) : new Map<number, number>();
  await b.storeFlags(uids, [DELETED], []);
  return { ...(await expungeExactly(b, uids)), uidMap };
}
