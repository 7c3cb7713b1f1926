/**
 * Moves whose outcome is unknown: the connection was lost (or timed out)
 * while the server had the command, so it may have moved all, some or none
 * of the messages. That is not a refusal (a NO answer is), and it must not
 * be reported as one; once reconnected, the server's state tells what
 * happened: the UIDs still in the source did not move, the others did, and
 * they are found among the newest messages of the destination (same arrival
 * time, size and Message-ID), so that the move can be undone.
 */
import type { TmailError } from '../errors.js';
import type { Envelope } from '../types.js';
import type { MailBackend, UidMap } from './backend.js';

/** A move sent to the server whose answer never came. */
export interface UnsettledMove {
  /** `move`, `delete` or `archive`: what the user did, for the notice and undo. */
  label: string;
  from: string;
  to: string;
  uids: number[];
  /** How each message is recognised in the destination (see {@link envelopeKey}). */
  keys: Map<number, string>;
}

/** What the server's state says about an unsettled move. */
export interface SettledMove {
  moved: number[];
  stayed: number[];
  /** Source UID to destination UID, for those found there (to undo). */
  uidMap: UidMap;
}

/** True when an error means "the connection went away", not "the server said no". */
export function outcomeUnknown(error: TmailError): boolean {
  return error.code === 'CONNECTION_LOST' || error.code === 'TIMEOUT' || error.code === 'PROTOCOL';
}

/** What a message keeps across a move: arrival time, size and Message-ID. */
export function envelopeKey(envelope: Envelope): string {
  return `${envelope.arrival}|${envelope.size}|${envelope.messageId}`;
}

/** Messages that may have arrived in the destination besides the moved ones, looked at too. */
const DESTINATION_MARGIN = 50;

/**
 * Looks at the server: which UIDs are still in the source, and where the
 * others are in the destination. Leaves the destination selected; the caller
 * selects its own folder again.
 */
export async function settleMove(b: MailBackend, move: UnsettledMove): Promise<SettledMove> {
  await b.select(move.from);
  const present = await b.fetchFlags(move.uids);
  const moved = move.uids.filter((uid) => !present.has(uid));
  const stayed = move.uids.filter((uid) => present.has(uid));
  const uidMap: UidMap = new Map();
  if (moved.length) {
    const destination = await b.select(move.to);
    const newest = destination.exists;
    if (newest > 0) {
      const envelopes = await b.fetchEnvelopes({
        seqFrom: Math.max(1, newest - moved.length - DESTINATION_MARGIN + 1),
        seqTo: newest,
      });
      const byKey = new Map<string, number[]>();
      for (const envelope of envelopes.sort((x, y) => x.uid - y.uid)) {
        const key = envelopeKey(envelope);
        byKey.set(key, [...(byKey.get(key) ?? []), envelope.uid]);
      }
      for (const uid of moved) {
        const key = move.keys.get(uid);
        const candidates = key ? byKey.get(key) : undefined;
        const target = candidates?.shift();
        if (target !== undefined) uidMap.set(uid, target);
      }
    }
  }
  return { moved, stayed, uidMap };
}

/** The notice for a settled move, in one sentence. */
export function settledNotice(move: UnsettledMove, settled: SettledMove): string {
  const total = move.uids.length;
  const what = total === 1 ? 'the message' : `the ${total} messages`;
  if (!settled.moved.length)
    return `The connection was lost before the server moved ${what}; ${total === 1 ? 'it is' : 'they are'} still in ${move.from}.`;
  const count = settled.moved.length === total ? what : `${settled.moved.length} of ${what}`;
  const undo = settled.uidMap.size ? '; u undoes' : '';
  return `The connection was lost, but the server had moved ${count} to ${move.to}${undo}.`;
}
