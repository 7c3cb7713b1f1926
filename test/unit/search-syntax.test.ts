import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearch } from '../../src/core/search-syntax.js';

describe('the search language', () => {
  it('reads fields, quoted values and plain words', () => {
    expect(parseSearch('from:ada subject:"release notes" budget 2026')).toEqual({
      from: 'ada',
      subject: 'release notes',
      text: 'budget 2026',
    });
  });

  it('reads flags and dates', () => {
    const q = parseSearch('is:unread is:flagged not:answered since:2026-03-01 before:2026-04-01');
    expect(q.unflagged).toEqual(['\\Seen', '\\Answered']);
    expect(q.flagged).toEqual(['\\Flagged']);
    expect(new Date(q.since!).getDate()).toBe(1);
    expect(new Date(q.before!).getMonth()).toBe(3);
  });

  it('names what is wrong', () => {
    expect(() => parseSearch('since:yesterday')).toThrow(/since: wants a date/);
    expect(() => parseSearch('is:purple')).toThrow(/is: knows/);
    expect(() => parseSearch('   ')).toThrow(/empty/);
  });

  it('round-trips through formatSearch', () => {
    const text = 'from:ada subject:"release notes" is:unread budget';
    expect(parseSearch(formatSearch(parseSearch(text)))).toEqual(parseSearch(text));
  });
});
