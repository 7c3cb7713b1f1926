/**
 * A folder's UID list as the store keeps it: ascending ranges in IMAP's
 * sequence-set notation (`1:5000,5002:100000`), so that a folder of 100,000
 * messages with a few gaps takes a few bytes, not 100,000 numbers. The store
 * reads back only what it wrote; anything else (an edited or damaged value)
 * reads as "no list", and the engine then asks the server.
 */

/** The most UIDs a stored list may expand to (as many as tmail handles in one folder). */
const MAX_UIDS = 5_000_000;

/**
 * Encodes an ascending list of distinct UIDs as ascending ranges. A list out
 * of order or with repeats is sorted first (never expected, but cheap to survive).
 */
export function encodeUidSet(uids: readonly number[]): string {
  let list = uids;
  for (let i = 1; i < list.length; i++) {
    if (list[i]! <= list[i - 1]!) {
      list = [...new Set(uids)].sort((a, b) => a - b);
      break;
    }
  }
  const pieces: string[] = [];
  for (let i = 0; i < list.length;) {
    const start = list[i]!;
    let end = start;
    while (i + 1 < list.length && list[i + 1] === end + 1) end = list[++i]!;
    i++;
    pieces.push(start === end ? String(start) : `${start}:${end}`);
  }
  return pieces.join(',');
}

/**
 * Decodes what `encodeUidSet` wrote into the ascending UID list; null when the
 * text is not such a set (ranges out of order, overlapping, not positive
 * integers, or more than the store ever holds).
 */
export function decodeUidSet(text: string): number[] | null {
  if (text === '') return [];
  // Ranges checked and counted first, then written into an array of that size:
  // pushing 100,000 numbers one by one costs about twice as much.
  const pieces = text.split(',');
  const bounds: number[] = [];
  let size = 0;
  let last = 0;
  for (const piece of pieces) {
    const colon = piece.indexOf(':');
    const start = Number(colon === -1 ? piece : piece.slice(0, colon));
    const end = colon === -1 ? start : Number(piece.slice(colon + 1));
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return null;
    if (start <= last || end < start) return null;
    size += end - start + 1;
    if (size > MAX_UIDS) return null;
    bounds.push(start, end);
    last = end;
  }
  const out = new Array<number>(size);
  let at = 0;
  for (let k = 0; k < bounds.length; k += 2) {
    const end = bounds[k + 1]!;
    for (let uid = bounds[k]!; uid <= end; uid++) out[at++] = uid;
  }
  return out;
}
