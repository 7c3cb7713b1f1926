import { describe, expect, it } from 'vitest';
import { FOLDED_COUNT_LIMIT, missingUids, wantedRows } from '../../src/core/store/window.js';

describe('the rows a viewport needs', () => {
  const uids = Array.from({ length: 100_000 }, (_, i) => 100_000 - i);

  it('are the visible rows and a margin either side, clamped to the list', () => {
    expect(wantedRows({ total: 100_000 }, { first: 500, last: 537 }, 38)).toEqual({
      first: 462,
      last: 575,
    });
    expect(wantedRows({ total: 100_000 }, { first: 0, last: 37 }, 38)).toEqual({
      first: 0,
      last: 75,
    });
    expect(wantedRows({ total: 10 }, { first: 0, last: 37 }, 38)).toEqual({ first: 0, last: 9 });
    expect(wantedRows({ total: 0 }, { first: 0, last: 37 }, 38)).toBeNull();
  });

  it('grow with the screen, not with the folder', () => {
    const rows = wantedRows({ total: uids.length }, { first: 50_000, last: 50_037 }, 38)!;
    const missing = missingUids({ uids, envelopes: new Map() }, rows, new Set());
    expect(missing).toHaveLength(114);
  });

  it('skip what is known or already being fetched', () => {
    const envelopes = new Map([[100_000, {} as never]]);
    const missing = missingUids({ uids, envelopes }, { first: 0, last: 4 }, new Set([99_999]));
    expect(missing).toEqual([99_998, 99_997, 99_996]);
  });

  it('skip rows whose UID is not listed yet', () => {
    expect(
      missingUids({ uids: [10, 9], envelopes: new Map() }, { first: 0, last: 50 }, new Set()),
    ).toEqual([10, 9]);
  });

  it('take in the hidden replies of folded threads on screen, at most FOLDED_COUNT_LIMIT each', () => {
    const long = Array.from({ length: FOLDED_COUNT_LIMIT + 50 }, (_, i) => 1000 + i);
    const folded = new Map<number, readonly number[]>([
      [10, [11, 12]],
      [20, long],
      [30, [31]],
    ]);
    const missing = missingUids(
      { uids: [10, 20, 30], envelopes: new Map(), folded },
      { first: 0, last: 1 },
      new Set(),
    );
    expect(missing.slice(0, 4)).toEqual([10, 11, 12, 20]);
    expect(missing).toHaveLength(4 + FOLDED_COUNT_LIMIT);
    expect(missing).not.toContain(31);
  });
});
