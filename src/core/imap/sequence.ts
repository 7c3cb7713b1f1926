/**
 * IMAP sequence sets (RFC 3501 §9 `sequence-set`): compressing UID lists into
 * ranges so that one UID STORE can cover thousands of messages, and expanding
 * the compact sets that ESEARCH returns; and comparing ascending UID lists.
 */
import { TmailError } from '../errors.js';

/**
 * Compresses UIDs into sequence-set strings such as `1:5,9,12:20`, each at most
 * `maxLength` characters, so a command line stays below server limits
 * (Dovecot refuses lines over 64 KiB). Input order and duplicates do not matter.
 */
export function compressUids(uids: Iterable<number>, maxLength = 8000): string[] {
  const sorted = [...new Set(uids)]
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const sets: string[] = [];
  let current = '';
  for (let i = 0; i < sorted.length;) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end = sorted[i]!;
    }
    i++;
    const piece = start === end ? String(start) : `${start}:${end}`;
    if (current && current.length + 1 + piece.length > maxLength) {
      sets.push(current);
      current = piece;
    } else {
      current = current ? `${current},${piece}` : piece;
    }
  }
  if (current) sets.push(current);
  return sets;
}

/**
 * The most numbers tmail expands from one set: a folder of more messages than
 * this is beyond what it handles, and a server claiming more is not believed.
 */
export const MAX_EXPANDED = 5_000_000;

/** What a set must not exceed, and what to call the server in the refusal. */
export interface ExpandOptions {
  /** Most numbers the set may hold (e.g. the folder's size); default {@link MAX_EXPANDED}. */
  max?: number;
  /** `IMAP server host:port`, for the error sentence. */
  server?: string;
}

/** How many numbers a set holds, counted without expanding it. */
export function sequenceSetSize(set: string): number {
  let size = 0;
  if (!set) return 0;
  for (const piece of set.split(',')) {
    const colon = piece.indexOf(':');
    if (colon === -1) {
      const n = Number(piece);
      if (Number.isInteger(n) && n > 0) size++;
      continue;
    }
    const a = Number(piece.slice(0, colon));
    const b = Number(piece.slice(colon + 1));
    if (Number.isInteger(a) && Number.isInteger(b)) size += Math.abs(b - a) + 1;
  }
  return size;
}

/**
 * Expands a sequence set into numbers, keeping the set's order (ESORT returns
 * sets in sort order, e.g. `5,3,4:1`). `*` cannot be expanded and is refused.
 * A set from a server is counted first and refused (a TmailError, PROTOCOL)
 * when it holds more than `max` numbers: `1:4294967295` would otherwise
 * become an array of four billion numbers.
 */
export function expandSequenceSet(set: string, options: ExpandOptions = {}): number[] {
  const out: number[] = [];
  if (!set) return out;
  const max = Math.min(options.max ?? MAX_EXPANDED, MAX_EXPANDED);
  const size = sequenceSetSize(set);
  if (size > max) {
    throw new TmailError(
      'PROTOCOL',
      `The ${options.server ?? 'IMAP server'} answered with ${size.toLocaleString('en-US')} messages where the folder holds ${max.toLocaleString('en-US')} at most; tmail did not read the answer.`,
    );
  }
  for (const piece of set.split(',')) {
    const colon = piece.indexOf(':');
    if (colon === -1) {
      const n = Number(piece);
      if (Number.isInteger(n) && n > 0) out.push(n);
      continue;
    }
    const a = Number(piece.slice(0, colon));
    const b = Number(piece.slice(colon + 1));
    if (!Number.isInteger(a) || !Number.isInteger(b)) continue;
    if (a <= b) for (let n = a; n <= b; n++) out.push(n);
    else for (let n = a; n >= b; n--) out.push(n);
  }
  return out;
}

/** Index of the first element of the ascending `list` that is at least `value`. */
export function lowerBound(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The elements of the ascending `known` that the ascending `present` lacks (one pass over both). */
export function missingFrom(known: readonly number[], present: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const uid of known) {
    while (j < present.length && present[j]! < uid) j++;
    if (present[j] !== uid) out.push(uid);
  }
  return out;
}

/** The elements of the ascending `few` that the ascending `many` holds too (a search per element). */
export function intersectSorted(many: readonly number[], few: readonly number[]): number[] {
  return few.filter((uid) => many[lowerBound(many, uid)] === uid);
}
