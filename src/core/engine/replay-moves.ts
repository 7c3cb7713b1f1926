/**
 * Replaying a move made while offline, exactly once.
 *
 * A UID is never reused while the folder keeps its UIDVALIDITY, so a queued
 * move names its messages safely, and a move that already reached the server
 * (sent by this process before it was killed, or by another tmail on the
 * account) finds its UIDs gone from the source: there is nothing left to move
 * twice. Whether a gone message was moved or vanished (expunged elsewhere) is
 * told by its Message-ID in the destination (one UID SEARCH HEADER each);
 * a vanished one is reported, never retried.
 *
 * With MOVE (RFC 6851) a message is moved or not, atomically. Without it the
 * move is COPY, \Deleted, expunge; a COPY that went out before tmail was
 * killed would be copied again, so each message still in the source is first
 * looked for in the destination by Message-ID and only the missing ones are
 * copied. Removal keeps removal.ts's rule: only the moved messages are
 * expunged; where the server cannot expunge them alone, they stay marked.
 *
 * If the source was rebuilt (another UIDVALIDITY) the UIDs name other
 * messages: the move is refused, nothing is touched.
 */
import { toTmailError, type TmailError } from '../errors.js';
import type { FolderStatus, MailBackend } from './backend.js';
import type { PendingMove } from './pending-flags.js';
import { moveExactly } from './removal.js';
import type { Refusal } from './replay-flags.js';

/** What replaying one queued move did. */
export interface MoveReplay {
  /** True when the move is finished with (moved, refused, or both); false: keep it. */
  done: boolean;
  /** Messages in the destination now: moved by this replay or found moved already. */
  moved: number;
  /** Moved by this replay but left in the source marked \Deleted (no UIDPLUS). */
  leftMarked: number[];
  refused: Refusal[];
  /** Set when the connection was lost: stop replaying, keep this move. */
  lost?: TmailError;
}

/** True when the server itself said no; anything else says nothing about the move. */
function refusedByServer(error: TmailError): boolean {
  return (
    error.code === 'SERVER_NO' || error.code === 'SERVER_BAD' || error.code === 'FOLDER_UNKNOWN'
  );
}

/** The source UIDs (of those given) whose Message-ID the destination holds. Selects `to`. */
async function foundIn(b: MailBackend, move: PendingMove, uids: number[]): Promise<Set<number>> {
  const found = new Set<number>();
  const wanted = uids.filter((uid) => move.messageIds[uid]);
  if (!wanted.length) return found;
  await b.select(move.to);
  for (const uid of wanted) {
    if ((await b.searchUids({ messageId: move.messageIds[uid] })).length) found.add(uid);
  }
  return found;
}

/**
 * Replays one queued move on `b`. Never throws: every outcome is in the
 * result. Leaves some folder selected; the caller selects its own again.
 */
export async function replayMove(b: MailBackend, move: PendingMove): Promise<MoveReplay> {
  const result: MoveReplay = { done: true, moved: 0, leftMarked: [], refused: [] };
  const refuse = (reason: Refusal['reason'], uids: number[], error?: TmailError) =>
    result.refused.push({
      reason,
      folder: move.from,
      uids,
      ...(error ? { detail: error.userMessage } : {}),
    });
  try {
    let status: FolderStatus;
    try {
      status = await b.select(move.from);
    } catch (error) {
      const e = toTmailError(error);
      if (!refusedByServer(e)) throw e;
      refuse('folder-unavailable', move.uids, e);
      return result;
    }
    if (status.uidValidity !== move.uidValidity) {
      refuse('rebuilt', move.uids);
      return result;
    }
    const present = await b.searchUids({ uids: move.uids });
    const here = new Set(present);
    const gone = move.uids.filter((uid) => !here.has(uid));

    let copied = new Set<number>();
    if (present.length && !b.capabilities.has('MOVE')) {
      // A COPY may have gone out before tmail was killed: copy only what `to` lacks.
      copied = await foundIn(b, move, present);
      const again = await b.select(move.from);
      if (again.uidValidity !== move.uidValidity) {
        refuse('rebuilt', move.uids);
        return result;
      }
    }
    if (present.length) {
      const outcome = await moveExactly(b, present, move.to, copied);
      result.leftMarked.push(...outcome.leftMarked);
      result.moved += present.length;
    }
    if (gone.length) {
      const moved = await foundIn(b, move, gone);
      result.moved += moved.size;
      const vanished = gone.filter((uid) => !moved.has(uid));
      if (vanished.length) refuse('message-gone', vanished);
    }
    return result;
  } catch (error) {
    const e = toTmailError(error);
    if (refusedByServer(e)) {
      refuse('server-refused', move.uids, e);
      return result;
    }
    // Lost: the move stays queued; what already happened is found again next time.
    return { done: false, moved: 0, leftMarked: [], refused: [], lost: e };
  }
}
