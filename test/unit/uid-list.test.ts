/**
 * A folder's UID list kept and worked out instead of read: the store's
 * compact form (ranges) and its reading back, and the list after a re-sync
 * (the kept list less VANISHED plus the new UIDs) with its check against EXISTS.
 */
import { describe, expect, it } from 'vitest';
import { decodeUidSet, encodeUidSet } from '../../src/core/cache/uid-set.js';
import type { FolderResync, KnownFolderState } from '../../src/core/engine/backend.js';
import { mergeAscending, uidListAfterResync } from '../../src/core/engine/uid-list.js';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the stored UID list', () => {
  it('keeps ranges compactly and reads them back', () => {
    const uids = [...range(1, 5000), ...range(5002, 100_000), 100_007];
    const set = encodeUidSet(uids);
    expect(set).toBe('1:5000,5002:100000,100007');
    expect(decodeUidSet(set)).toEqual(uids);
    expect(encodeUidSet([])).toBe('');
    expect(decodeUidSet('')).toEqual([]);
    // Out of order or repeated on the way in: still one ascending set.
    expect(encodeUidSet([9, 3, 4, 4, 5])).toBe('3:5,9');
  });

  it('reads anything it did not write as no list', () => {
    for (const text of ['7:3', '5,3', '1:5,4:9', 'x', '1,,2', '0:4', '-3', '1:2.5', '1:99999999'])
      expect(decodeUidSet(text), text).toBeNull();
  });
});

describe('the UID list after a re-sync', () => {
  const known = (uids: number[], complete = true): KnownFolderState => ({
    uidValidity: '7',
    highestModseq: '100',
    uidNext: (uids.at(-1) ?? 0) + 1,
    exists: uids.length,
    uids,
    complete,
    visible: [],
  });
  const resync = (
    exists: number,
    vanished: number[],
    added: number[],
    uids?: number[],
  ): FolderResync => ({
    uidValidityChanged: false,
    status: { path: 'INBOX', uidValidity: '7', uidNext: 1000, exists, permanentFlags: [] },
    method: uids ? 'uids' : 'qresync',
    changed: new Map(),
    vanished,
    added,
    ...(uids ? { uids } : {}),
  });

  it('is the kept list less what vanished plus what arrived', () => {
    const before = range(1, 100);
    expect(uidListAfterResync(known(before), resync(99, [3, 50, 99], [101, 102]))).toEqual([
      ...range(1, 2),
      ...range(4, 49),
      ...range(51, 98),
      100,
      101,
      102,
    ]);
    // A new UID the kept list had already (it took in new mail after that SELECT) counts once.
    expect(uidListAfterResync(known([1, 2, 3]), resync(4, [], [3, 4]))).toEqual([1, 2, 3, 4]);
  });

  it('is not told when the count disagrees with EXISTS, or only cached rows were known', () => {
    expect(uidListAfterResync(known(range(1, 10)), resync(10, [4], []))).toBeNull();
    expect(uidListAfterResync(known(range(1, 10), false), resync(10, [], []))).toBeNull();
    const changed: FolderResync = {
      uidValidityChanged: true,
      status: { path: 'INBOX', uidValidity: '8', uidNext: 5, exists: 4, permanentFlags: [] },
    };
    expect(uidListAfterResync(known(range(1, 4)), changed)).toBeNull();
  });

  it('takes the list a re-sync read, when it matches EXISTS', () => {
    expect(uidListAfterResync(known([1], false), resync(2, [], [], [1, 5]))).toEqual([1, 5]);
    expect(uidListAfterResync(known([1], false), resync(3, [], [], [1, 5]))).toBeNull();
  });

  it('merges ascending lists', () => {
    expect(mergeAscending([1, 4, 6], [2, 4, 9])).toEqual([1, 2, 4, 6, 9]);
    expect(mergeAscending([], [2])).toEqual([2]);
    // The cached rows are in the folder's list already: the list itself, not a copy.
    const list = range(1, 50_000);
    expect(mergeAscending(list, [7, 49_000])).toBe(list);
    expect(mergeAscending([1, 3], [2])).toEqual([1, 2, 3]);
  });
});
