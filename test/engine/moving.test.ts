/**
 * Moving through a folder against the real servers: the unread messages of
 * the whole folder come from one UID SEARCH, without fetching what is not on
 * screen; tag-by-search asks the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
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

  describe(':sort from', () => {
    // Names and addresses in opposite orders: sorting by address would read Zed, Mia, Anna.
    const senders = [
      'Zed Quill <a@sort.example>',
      'Mia Stone <m@sort.example>',
      'anna Berg <z@sort.example>',
    ];
    let engine: MailEngine;

    beforeAll(async () => {
      const user = await newTestUser(stack, 'sortfrom');
      const client = await checker(stack.info(), user);
      for (const [i, from] of senders.entries()) {
        const raw = `From: ${from}\r\nTo: ${user.email}\r\nSubject: Sender ${i}\r\nMessage-ID: <sort-${i}@sort.example>\r\n\r\nHello.\r\n`;
        await client.append('INBOX', raw, ['\\Seen']);
      }
      await client.logout();
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
    });
    afterAll(() => engine?.close());

    it('orders by the name shown, not the address (DISPLAYFROM, or here over what is loaded)', async () => {
      await engine.request({ type: 'open-folder', path: 'INBOX', rows: 10 });
      await engine.request({ type: 'viewport', first: 0, last: 2 });
      await engine.idle();
      const display = engine.capabilities.has('SORT=DISPLAY');
      const notices: string[] = [];
      const stop = engine.store.subscribe(() => {
        const notice = engine.state.notice;
        if (notice && !notices.includes(notice.text)) notices.push(notice.text);
      });
      await engine.request({
        type: 'open-folder',
        path: 'INBOX',
        sort: { key: 'from', reverse: false },
        rows: 10,
      });
      stop();
      const view = engine.state.view!;
      // UIDs 3, 2, 1 are anna Berg, Mia Stone and Zed Quill.
      expect(view.uids).toEqual([3, 2, 1]);
      const said = notices.some((t) => t.includes('cannot sort by from'));
      expect(said).toBe(!display);
    });
  });

  describe('threads', () => {
    let engine: MailEngine;
    let replies: number[];

    beforeAll(async () => {
      const user = await newTestUser(stack, 'threads');
      const seeded = (await seedMaildir(stack.info(), user.name, 40))!;
      // The seed makes some messages replies (In-Reply-To and References) to the first of each four.
      replies = seeded.flatMap((m, i) => (m.raw.includes('In-Reply-To:') ? [i + 1] : []));
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
      // Every envelope loaded, so that a server without THREAD threads here the same way.
      await engine.request({ type: 'open-folder', path: 'INBOX', rows: 40 });
      await engine.request({ type: 'open-folder', path: 'INBOX', threaded: true, rows: 40 });
    });
    afterAll(() => engine?.close());

    it('shows the tree with guides (THREAD=REFERENCES, or made here), every reply under its thread', () => {
      const view = engine.state.view!;
      expect(replies.length).toBeGreaterThan(5);
      expect(view.uids).toHaveLength(40);
      for (const uid of replies) expect(view.guides?.get(uid)).toMatch(/[└├]─>$/);
      // The first of each four is no reply: no guide.
      expect(view.guides?.get(1)).toBeUndefined();
    });

    it('folds every thread into its row, the hidden replies listed under it, and unfolds them again', async () => {
      await engine.request({ type: 'fold', mode: 'fold' });
      const view = engine.state.view!;
      for (const uid of replies) expect(view.uids).not.toContain(uid);
      const hidden = [...view.folded!.values()].flat();
      expect(hidden.sort((a, b) => a - b)).toEqual(expect.arrayContaining(replies));
      await engine.request({ type: 'viewport', first: 0, last: 2 });
      await engine.idle();
      const after = engine.state.view!;
      for (const row of after.uids.slice(0, 3))
        for (const uid of after.folded!.get(row) ?? []) expect(after.envelopes.has(uid)).toBe(true);
      await engine.request({ type: 'fold', mode: 'unfold' });
      expect(engine.state.view!.uids).toHaveLength(40);
    });
  });
});
