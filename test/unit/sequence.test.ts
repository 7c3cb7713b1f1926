import { describe, expect, it } from 'vitest';
import { compressUids, expandSequenceSet } from '../../src/core/imap/sequence.js';

describe('UID sets', () => {
  it('compresses runs into ranges whatever the input order', () => {
    expect(compressUids([5, 1, 2, 3, 9, 10, 12, 3])).toEqual(['1:3,5,9:10,12']);
  });

  it('keeps every set under the length limit', () => {
    const uids = Array.from({ length: 5000 }, (_, i) => i * 2 + 1);
    const sets = compressUids(uids, 1000);
    expect(sets.length).toBeGreaterThan(1);
    for (const set of sets) expect(set.length).toBeLessThanOrEqual(1000);
    expect(sets.flatMap(expandSequenceSet)).toEqual(uids);
  });

  it('makes one set of a contiguous 100,000', () => {
    expect(compressUids(Array.from({ length: 100_000 }, (_, i) => i + 1))).toEqual(['1:100000']);
  });

  it('expands sets in their order, descending ranges included', () => {
    expect(expandSequenceSet('5,3,4:1,9')).toEqual([5, 3, 4, 3, 2, 1, 9]);
    expect(expandSequenceSet('')).toEqual([]);
  });
});
