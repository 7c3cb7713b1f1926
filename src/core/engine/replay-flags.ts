/**
 * Sending the flag changes of one folder that were made while offline, and
 * telling apart what was applied, what must wait, and what the server refused.
 *
 * - A lost connection (during SELECT, FETCH or STORE) refuses nothing: every
 *   change of the folder is kept for the next connection.
 * - Refused for good, each with its reason: the folder was rebuilt (another
 *   UIDVALIDITY), the folder cannot be opened (NO), the message is gone, the
 *   server answered NO to the STORE, or the message was changed elsewhere
 *   after the change was made.
 *
 * "Changed elsewhere" needs CONDSTORE: a change records each message's MODSEQ
 * as tmail knew it; when the server's MODSEQ is higher now, the message was
 * changed after the user decided, and the older change is not replayed over
 * it (unless the server already has the flags the change wanted: then it was
 * this change that reached the server before the connection dropped). The
 * STORE then carries UNCHANGEDSINCE with the highest MODSEQ just read, so a
 * change made elsewhere between that check and the STORE is not overwritten
 * either. Without CONDSTORE a server cannot tell tmail what changed when: the
 * change is applied (the last change wins); that it is sent once only is
 * still guaranteed by the shared queue file.
 */
import { toTmailError, type TmailError } from '../errors.js';
import type { Flag } from '../types.js';
import type { FolderStatus, MailBackend } from './backend.js';
import { netFlagChanges, type PendingFlagChange } from './pending-flags.js';

/** Why an offline change was not applied. */
export type RefusalReason =
  'rebuilt' | 'folder-unavailable' | 'message-gone' | 'changed-elsewhere' | 'server-refused';

export interface Refusal {
  reason: RefusalReason;
  folder: string;
  /** The messages concerned. */
  uids: number[];
  /** The server's sentence, for `folder-unavailable` and `server-refused`. */
  detail?: string;
}

export interface FolderReplay {
  /** Changes finished with (applied, refused, or both for different messages). */
  done: string[];
  /** Changes to keep for the next connection. */
  kept: string[];
  /** Messages whose flags are now as the changes wanted. */
  applied: number;
  refused: Refusal[];
  /** STORE commands sent. */
  stores: number;
  /** Set when the connection was lost: stop replaying other folders. */
  lost?: TmailError;
}

/**
 * True when the server itself said no (NO, BAD, unknown folder). Anything else
 * (a lost or timed-out connection, a failed login, a bug) says nothing about
 * the changes, which are then kept.
 */
function refusedByServer(error: TmailError): boolean {
  return (
    error.code === 'SERVER_NO' || error.code === 'SERVER_BAD' || error.code === 'FOLDER_UNKNOWN'
  );
}

function keptAll(changes: readonly PendingFlagChange[], lost: TmailError): FolderReplay {
  return { done: [], kept: changes.map((c) => c.id), applied: 0, refused: [], stores: 0, lost };
}

/** The flags each UID should end with (true: set, false: cleared), from the changes in order. */
function targets(changes: readonly PendingFlagChange[]): Map<number, Map<Flag, boolean>> {
  const out = new Map<number, Map<Flag, boolean>>();
  for (const net of netFlagChanges(changes)) {
    for (const uid of net.uids) {
      let flags = out.get(uid);
      if (!flags) out.set(uid, (flags = new Map()));
      flags.set(net.flag, net.add);
    }
  }
  return out;
}

/** The lowest MODSEQ any change recorded for each UID: the state the user first acted on. */
function recordedModseqs(changes: readonly PendingFlagChange[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const change of changes) {
    for (const [uid, text] of Object.entries(change.modseqs ?? {})) {
      let value: bigint;
      try {
        value = BigInt(text);
      } catch {
        continue;
      }
      const key = Number(uid);
      const before = out.get(key);
      if (before === undefined || value < before) out.set(key, value);
    }
  }
  return out;
}

/**
 * Replays the changes of one folder (all with `folder` equal to it) on `b`.
 * Never throws: every outcome is in the result.
 */
export async function replayFolder(
  b: MailBackend,
  folder: string,
  changes: readonly PendingFlagChange[],
): Promise<FolderReplay> {
  const result: FolderReplay = { done: [], kept: [], applied: 0, refused: [], stores: 0 };
  let status: FolderStatus;
  try {
    status = await b.select(folder);
  } catch (error) {
    const e = toTmailError(error);
    if (!refusedByServer(e)) return keptAll(changes, e);
    result.done = changes.map((c) => c.id);
    result.refused.push({
      reason: 'folder-unavailable',
      folder,
      uids: [...new Set(changes.flatMap((c) => c.uids))],
      detail: e.userMessage,
    });
    return result;
  }

  const valid = changes.filter((c) => c.uidValidity === status.uidValidity);
  const rebuilt = changes.filter((c) => c.uidValidity !== status.uidValidity);
  if (rebuilt.length) {
    result.refused.push({
      reason: 'rebuilt',
      folder,
      uids: [...new Set(rebuilt.flatMap((c) => c.uids))],
    });
  }
  if (!valid.length) {
    result.done = changes.map((c) => c.id);
    return result;
  }

  const wanted = targets(valid);
  const uids = [...wanted.keys()].sort((x, y) => x - y);
  // What the server holds now: which messages still exist, their flags and MODSEQ.
  let now: Map<number, { flags: Flag[]; modseq?: string }>;
  try {
    if (b.fetchFlagState) now = await b.fetchFlagState(uids);
    else now = new Map([...(await b.fetchFlags(uids))].map(([uid, flags]) => [uid, { flags }]));
  } catch (error) {
    const e = toTmailError(error);
    if (!refusedByServer(e)) return keptAll(changes, e);
    result.done = changes.map((c) => c.id);
    result.refused.push({ reason: 'server-refused', folder, uids, detail: e.userMessage });
    return result;
  }

  const recorded = recordedModseqs(valid);
  const gone: number[] = [];
  const changedElsewhere: number[] = [];
  const toStore = new Set<number>();
  let guard: bigint | undefined;
  for (const uid of uids) {
    const server = now.get(uid);
    if (!server) {
      gone.push(uid);
      continue;
    }
    const flags = wanted.get(uid)!;
    const satisfied = [...flags].every(([flag, set]) => server.flags.includes(flag) === set);
    const before = recorded.get(uid);
    const current = server.modseq === undefined ? undefined : BigInt(server.modseq);
    if (satisfied) {
      result.applied += 1;
      continue;
    }
    if (before !== undefined && current !== undefined && current > before) {
      changedElsewhere.push(uid);
      continue;
    }
    toStore.add(uid);
    if (current !== undefined && (guard === undefined || current > guard)) guard = current;
  }
  if (gone.length) result.refused.push({ reason: 'message-gone', folder, uids: gone });
  if (changedElsewhere.length)
    result.refused.push({ reason: 'changed-elsewhere', folder, uids: changedElsewhere });

  // One STORE per set of messages that want the same flags: each message is stored once,
  // so its own first STORE does not make the UNCHANGEDSINCE of a second one fail.
  const groups = new Map<string, { add: Flag[]; remove: Flag[]; uids: number[] }>();
  for (const uid of toStore) {
    const add: Flag[] = [];
    const remove: Flag[] = [];
    for (const [flag, set] of wanted.get(uid)!) (set ? add : remove).push(flag);
    const key = JSON.stringify([add.sort(), remove.sort()]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { add, remove, uids: [] }));
    group.uids.push(uid);
  }
  const storeRefused = new Set<number>();
  for (const { add, remove, uids: set } of groups.values()) {
    try {
      await b.storeFlags(set, add, remove, {
        unchangedSince: guard === undefined ? undefined : String(guard),
      });
      result.stores += 1;
    } catch (error) {
      const e = toTmailError(error);
      // Stores are idempotent: after a lost connection, the whole folder is sent again later.
      if (!refusedByServer(e)) return keptAll(changes, e);
      for (const uid of set) storeRefused.add(uid);
      result.refused.push({ reason: 'server-refused', folder, uids: set, detail: e.userMessage });
    }
  }
  result.applied += [...toStore].filter((uid) => !storeRefused.has(uid)).length;
  result.done = changes.map((c) => c.id);
  return result;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * One sentence naming what was refused and why, e.g. "Offline changes to 2
 * messages were not applied: 1 message in INBOX was changed elsewhere after
 * the change was made, and the newer state was kept; 1 message is no longer
 * in INBOX."
 */
export function describeRefusals(refused: readonly Refusal[]): string | undefined {
  if (!refused.length) return undefined;
  const total = refused.reduce((n, r) => n + r.uids.length, 0);
  const parts = refused.map((r) => {
    const n = r.uids.length;
    const messages = plural(n, 'message');
    const detail = (r.detail ?? '').replace(/\.$/, '');
    switch (r.reason) {
      case 'rebuilt':
        return `${r.folder} was rebuilt on the server, so its message numbers changed (${messages})`;
      case 'folder-unavailable':
        return `${r.folder} could not be opened (${messages}${detail ? `: ${detail}` : ''})`;
      case 'message-gone':
        return `${messages} ${n === 1 ? 'is' : 'are'} no longer in ${r.folder}`;
      case 'changed-elsewhere':
        return `${messages} in ${r.folder} ${n === 1 ? 'was' : 'were'} changed elsewhere after the change was made, and the newer state was kept`;
      case 'server-refused':
        return `the server refused the change for ${messages} in ${r.folder}${detail ? ` (${detail})` : ''}`;
    }
  });
  return `Offline changes to ${plural(total, 'message')} were not applied: ${parts.join('; ')}.`;
}
