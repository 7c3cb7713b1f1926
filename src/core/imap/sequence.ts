/**
 * IMAP sequence sets (RFC 3501 §9 `sequence-set`): compressing UID lists into
 * ranges so that one UID STORE can cover thousands of messages, and expanding
 * the compact sets that ESEARCH returns.
 */

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
 * Expands a sequence set into numbers, keeping the set's order (ESORT returns
 * sets in sort order, e.g. `5,3,4:1`). `*` cannot be expanded and is refused.
 */
export function expandSequenceSet(set: string): number[] {
  const out: number[] = [];
  if (!set) return out;
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
