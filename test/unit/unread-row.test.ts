/** Where next/previous unread lands in the list's UID order, and when it wraps. */
import { describe, expect, it } from 'vitest';
import { findRow } from '../../src/commands/moving.js';

describe('findRow', () => {
  const uids = [50, 40, 30, 20, 10];
  it('looks down from the row, then wraps to the top once', () => {
    expect(findRow(uids, new Set([20]), 0, 1)).toEqual({ row: 3, wrapped: false });
    expect(findRow(uids, new Set([40]), 2, 1)).toEqual({ row: 1, wrapped: true });
  });
  it('looks up, then wraps to the bottom', () => {
    expect(findRow(uids, new Set([40]), 3, -1)).toEqual({ row: 1, wrapped: false });
    expect(findRow(uids, new Set([10]), 1, -1)).toEqual({ row: 4, wrapped: true });
  });
  it('never answers the row it starts from; null when nothing else is wanted', () => {
    expect(findRow(uids, new Set([30]), 2, 1)).toBeNull();
    expect(findRow(uids, new Set(), 2, 1)).toBeNull();
    expect(findRow(uids, new Set([99]), 2, -1)).toBeNull();
  });
  it('starts at the first (or last) row when the cursor is on no listed row', () => {
    expect(findRow(uids, new Set([50]), -1, 1)).toEqual({ row: 0, wrapped: false });
    expect(findRow(uids, new Set([10]), -1, -1)).toEqual({ row: 4, wrapped: false });
  });
});
