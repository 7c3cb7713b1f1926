/**
 * The background prefetch's choices: which messages (the newest N without
 * their text) and how their texts are fetched (the same parts of many
 * messages in one command, in small fetches, never one command per message).
 */
import { describe, expect, it } from 'vitest';
import {
  newestWithoutText,
  planTextFetches,
  type TextFetchLimits,
} from '../../src/core/engine/prefetch.js';

const limits: TextFetchLimits = { maxMessages: 3, maxBytes: 1000, messageMaxBytes: 2000 };

describe('newestWithoutText', () => {
  it('takes the newest N by UID, newest first, leaving out those kept', () => {
    const asked: number[][] = [];
    const uids = newestWithoutText([1, 2, 5, 7, 9, 12], 4, (newest) => {
      asked.push(newest);
      return new Set([7]);
    });
    expect(asked).toEqual([[12, 9, 7, 5]]);
    expect(uids).toEqual([12, 9, 5]);
  });

  it('takes the whole folder when N is larger, and nothing when N is 0', () => {
    expect(newestWithoutText([3, 4], 10, () => new Set())).toEqual([4, 3]);
    expect(newestWithoutText([3, 4], 0, () => new Set())).toEqual([]);
    expect(newestWithoutText([], 5, () => new Set())).toEqual([]);
  });
});

describe('planTextFetches', () => {
  it('fetches the same parts of many messages in one command', () => {
    const plan = planTextFetches(
      [
        { uid: 9, parts: ['1'], bytes: 100 },
        { uid: 8, parts: ['1.1'], bytes: 100 },
        { uid: 7, parts: ['1'], bytes: 100 },
        { uid: 6, parts: ['1.1'], bytes: 100 },
      ],
      limits,
    );
    expect(plan.fetches).toEqual([
      { uids: [9, 7], parts: ['1'] },
      { uids: [8, 6], parts: ['1.1'] },
    ]);
    expect(plan.none).toEqual([]);
    expect(plan.skipped).toEqual([]);
  });

  it('keeps each fetch small: a few messages, about maxBytes of text', () => {
    const many = [1, 2, 3, 4, 5, 6, 7].map((uid) => ({ uid, parts: ['1'], bytes: 10 }));
    expect(planTextFetches(many, limits).fetches.map((f) => f.uids)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7],
    ]);
    const big = [
      { uid: 1, parts: ['1'], bytes: 600 },
      { uid: 2, parts: ['1'], bytes: 600 },
      { uid: 3, parts: ['1'], bytes: 1500 },
      { uid: 4, parts: ['1'], bytes: 300 },
    ];
    // One message over maxBytes is a fetch by itself; the next starts a new one.
    expect(planTextFetches(big, limits).fetches.map((f) => f.uids)).toEqual([[1], [2], [3], [4]]);
  });

  it('leaves messages with too much text for reading, and needs no fetch for those without text', () => {
    const plan = planTextFetches(
      [
        { uid: 1, parts: ['1', '2'], bytes: 2500 },
        { uid: 2, parts: [], bytes: 0 },
        { uid: 3, parts: ['1', '2'], bytes: 200 },
      ],
      limits,
    );
    expect(plan.skipped).toEqual([1]);
    expect(plan.none).toEqual([2]);
    expect(plan.fetches).toEqual([{ uids: [3], parts: ['1', '2'] }]);
  });
});
