/**
 * Moving through a folder against the real servers: the unread messages of
 * the whole folder come from one UID SEARCH, without fetching what is not on
 * screen; tag-by-search asks the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { testEngine } from '../support/engine.js';
import { seedMaildir, type SeedMessage } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

forEachServer((stack) => {
  describe('unread and tag searches over the whole folder', () => {
    let user: TestUser;
    let engine: MailEngine;
    let seeded: SeedMessage[];

    beforeAll(async () => {
      user = await newTestUser(stack, 'moving');
      seeded = (await seedMaildir(stack.info(), user.name, 400))!;
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
      await engine.request({ type: 'open-folder', path: 'INBOX', rows: 20 });
    });
    afterAll(() => engine?.close());

    it('finds every unread message of the folder in one search, fetching no envelope', async () => {
      const before = engine.stats.envelopesFetched;
      const unread = await engine.request({
        type: 'search-uids',
        query: { unflagged: ['\\Seen'] },
      });
      const expected = seeded.flatMap((m, i) => (m.flags.includes('\\Seen') ? [] : [i + 1]));
      expect(expected.length).toBeGreaterThan(10);
      // Some unread messages lie far below the 20 rows loaded.
      expect(expected.some((uid) => uid < 300)).toBe(true);
      expect(unread).toEqual(expected);
      expect(engine.stats.envelopesFetched).toBe(before);
    });

    it('answers a search in the language of / (is:flagged) by UID', async () => {
      const flagged = await engine.request({
        type: 'search-uids',
        query: { flagged: ['\\Flagged'] },
      });
      expect(flagged).toEqual(
        seeded.flatMap((m, i) => (m.flags.includes('\\Flagged') ? [i + 1] : [])),
      );
    });
  });
});
