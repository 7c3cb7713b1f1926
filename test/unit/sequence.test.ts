import { describe, expect, it } from 'vitest';
import {
  compressUids,
  expandSequenceSet,
  intersectSorted,
  lowerBound,
  MAX_EXPANDED,
  missingFrom,
  sequenceSetSize,
} from '../../src/core/imap/sequence.js';

describe('UID sets', () => {
  it('compresses runs into ranges whatever the input order', () => {
    expect(compressUids([5, 1, 2, 3, 9, 10, 12, 3])).toEqual(['1:3,5,9:10,12']);
  });

  it('keeps every set under the length limit', () => {
    const uids = Array.from({ length: 5000 }, (_, i) => i * 2 + 1);
    const sets = compressUids(uids, 1000);
    expect(sets.length).toBeGreaterThan(1);
    for (const set of sets) expect(set.length).toBeLessThanOrEqual(1000);
    expect(sets.flatMap((set) => expandSequenceSet(set))).toEqual(uids);
  });

  it('makes one set of a contiguous 100,000', () => {
    expect(compressUids(Array.from({ length: 100_000 }, (_, i) => i + 1))).toEqual(['1:100000']);
  });

  it('expands sets in their order, descending ranges included', () => {
    expect(expandSequenceSet('5,3,4:1,9')).toEqual([5, 3, 4, 3, 2, 1, 9]);
    expect(expandSequenceSet('')).toEqual([]);
  });

  it('counts a set without expanding it', () => {
    expect(sequenceSetSize('1:4294967295')).toBe(4294967295);
    expect(sequenceSetSize('5,3,4:1,9')).toBe(7);
    expect(sequenceSetSize('')).toBe(0);
  });

  it('refuses a set from the server larger than the folder, before expanding it', () => {
    expect(() =>
      expandSequenceSet('1:4294967295', { max: 3, server: 'IMAP server h:143' }),
    ).toThrow(
      'The IMAP server h:143 answered with 4,294,967,295 messages where the folder holds 3 at most; tmail did not read the answer.',
    );
    expect(() => expandSequenceSet('1:4294967295')).toThrow(/at most/);
    expect(() => expandSequenceSet(`1:${MAX_EXPANDED + 1}`, { max: 10 ** 10 })).toThrow(/at most/);
    expect(expandSequenceSet('1:3', { max: 3 })).toEqual([1, 2, 3]);
  });
});

describe('comparing ascending UID lists', () => {
  it('finds the known UIDs a list lacks in one pass', () => {
    expect(missingFrom([1, 2, 5, 7, 9], [2, 3, 7, 8])).toEqual([1, 5, 9]);
    expect(missingFrom([1, 2], [])).toEqual([1, 2]);
    expect(missingFrom([], [1, 2])).toEqual([]);
  });

  it('keeps the reported UIDs that are known', () => {
    expect(intersectSorted([2, 4, 6, 8], [1, 4, 5, 8, 9])).toEqual([4, 8]);
    expect(intersectSorted([], [1])).toEqual([]);
  });

  it('finds where a value would go', () => {
    expect(lowerBound([10, 20, 30], 20)).toBe(1);
    expect(lowerBound([10, 20, 30], 21)).toBe(2);
    expect(lowerBound([10, 20, 30], 31)).toBe(3);
    expect(lowerBound([], 1)).toBe(0);
  });
});
