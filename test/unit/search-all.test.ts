/**
 * Search across folders (core/search-all.ts): which folders the server must
 * still be asked about, and how its answers merge with the cache's.
 */
import { describe, expect, it } from 'vitest';
import type { CachedFolder, SearchHit } from '../../src/core/cache/index.js';
import { parseSearch } from '../../src/core/search-syntax.js';
import { mergeHits, planFolder } from '../../src/core/search-all.js';
import { testEnvelope } from '../support/cache-fixtures.js';

const whole: CachedFolder = {
  path: 'INBOX',
  uidValidity: '9',
  uidNext: 501,
  total: 500,
  cached: 500,
};

describe('planFolder', () => {
  it('asks the server only for messages newer than a folder cached whole', () => {
    expect(planFolder('INBOX', whole, parseSearch('from:ada is:unread'))).toEqual({
      path: 'INBOX',
      server: 'newer',
      uidsFrom: 501,
      uidValidity: '9',
    });
  });

  it('takes the highest cached UID when the server gave no UIDNEXT', () => {
    const plan = planFolder(
      'INBOX',
      { ...whole, uidNext: undefined, lastUid: 480 },
      parseSearch('from:ada'),
    );
    expect(plan).toEqual({ path: 'INBOX', server: 'newer', uidsFrom: 481, uidValidity: '9' });
  });

  it('asks about the whole folder when it is not cached, cached in part, or the words may be in bodies', () => {
    const query = parseSearch('subject:report');
    expect(planFolder('INBOX', null, query).server).toBe('all');
    expect(planFolder('INBOX', { ...whole, cached: 499 }, query).server).toBe('all');
    expect(planFolder('INBOX', whole, parseSearch('report')).server).toBe('all');
    expect(planFolder('INBOX', whole, parseSearch('body:report')).server).toBe('all');
  });
});

describe('mergeHits', () => {
  const hit = (path: string, uid: number, date = uid): SearchHit => ({
    path,
    envelope: testEnvelope(uid, { date }),
  });

  it('lists both newest first, once each, and drops the cache of folders the server searched whole', () => {
    const local = [hit('INBOX', 7), hit('INBOX', 3), hit('Archive', 5), hit('Old', 9)];
    const server = [hit('INBOX', 8), hit('INBOX', 7), hit('Archive', 6)];
    const merged = mergeHits(local, server, new Set(['Archive']));
    expect(merged.map((h) => `${h.path}:${h.envelope.uid}`)).toEqual([
      'Old:9',
      'INBOX:8',
      'INBOX:7',
      'Archive:6',
      'INBOX:3',
    ]);
  });
});
