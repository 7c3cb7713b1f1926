import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../../src/commands/nearest.js';

describe('editDistance', () => {
  it('counts inserts, deletes, replacements and a swap of neighbours as one edit each', () => {
    expect(editDistance('folder', 'folder')).toBe(0);
    expect(editDistance('fodler', 'folder')).toBe(1);
    expect(editDistance('mov', 'move')).toBe(1);
    expect(editDistance('sort', 'sorted')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('nearestName', () => {
  const names = ['quit', 'q', 'folder', 'cd', 'sort', 'search'];
  it('finds the slip and leaves what is not one', () => {
    expect(nearestName('qiut', names)).toBe('quit');
    expect(nearestName('SERACH', names)).toBe('search');
    expect(nearestName('xyzzy', names)).toBeUndefined();
    // One letter off a two-letter name is another word, not a slip.
    expect(nearestName('x', names)).toBeUndefined();
    expect(nearestName('cx', names)).toBeUndefined();
  });
});
