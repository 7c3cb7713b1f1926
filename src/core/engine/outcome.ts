/**
 * What a change to messages really did, and the sentences that say so. IMAP
 * ignores UIDs that do not exist (RFC 3501 §6.4.8), so the engine checks which
 * of the asked-for UIDs the folder holds and reports only what it changed; the
 * TUI's notices and the CLI's output are built from the same words here.
 */
import { compressUids } from '../imap/sequence.js';

/** The outcome of a flag change, copy, move or delete. */
export interface ChangeOutcome {
  /** UIDs changed: flagged, copied, or moved out of the folder. */
  done: number[];
  /** UIDs asked for that the folder does not hold. */
  notFound: number[];
}

/** The outcome of a move (or a delete to Trash, or an archive). */
export interface MoveOutcome extends ChangeOutcome {
  to: string;
  /**
   * UIDs copied to `to` but left in the folder marked \Deleted: the server has no
   * UIDPLUS and other messages there are marked \Deleted (see removal.ts).
   */
  leftMarked: number[];
}

export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** `UID 7 is` / `UIDs 7, 9 are` / `UIDs 1:99999 are` (ranges kept short). */
function uidPhrase(uids: number[]): string {
  const set = compressUids(uids, Number.MAX_SAFE_INTEGER)[0] ?? '';
  const cut = set.lastIndexOf(',', 60);
  const shown = set.length > 60 && cut > 0 ? `${set.slice(0, cut)},…` : set;
  return uids.length === 1 ? `UID ${shown} is` : `UIDs ${shown.replace(/,/g, ', ')} are`;
}

/** One sentence naming the UIDs a folder does not hold; empty when none. */
export function notFoundSentence(notFound: number[], folder: string): string {
  return notFound.length ? `${uidPhrase(notFound)} not in ${folder}.` : '';
}

/** One sentence for messages copied but left marked \Deleted; empty when none. */
export function leftMarkedSentence(leftMarked: number[], from: string, to: string): string {
  if (!leftMarked.length) return '';
  const one = leftMarked.length === 1;
  return (
    `${plural(leftMarked.length, 'message')} ${one ? 'was' : 'were'} copied to ${to} but ${one ? 'stays' : 'stay'} in ${from} marked deleted until the next expunge: ` +
    `this server cannot remove ${one ? 'it' : 'them'} alone while other messages there are marked deleted.`
  );
}
