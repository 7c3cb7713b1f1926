/**
 * The engine against every real server the harness runs: windowed lists, flags, move, delete,
 * expunge, search, sort and threads, each checked on the server through a
 * second, independent connection.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, serverFlags, serverSubjects, testEngine } from '../support/engine.js';
import { seedMaildir, seedOverImap, type SeedMessage } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

forEachServer((stack) => {
  describe('a folder opened as a window', () => {
    let user: TestUser;
    let engine: MailEngine;
    let seeded: SeedMessage[];

    beforeAll(async () => {
      user = await newTestUser(stack, 'window');
      seeded = (await seedMaildir(stack.info(), user.name, 600))!;
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
    });
    afterAll(() => engine?.close());

    it('shows the newest rows first without fetching the folder', async () => {
      await engine.request({ type: 'open-folder', path: 'INBOX', rows: 40 });
      const view = engine.state.view!;
      expect(view.total).toBe(600);
      expect(view.complete).toBe(true);
      expect(view.uids).toHaveLength(600);
      expect(view.uids[0]).toBe(600);
      expect(view.envelopes.get(600)?.subject).toBe(seeded[599]!.subject);
      expect(view.envelopes.get(561)?.subject).toBe(seeded[560]!.subject);
      // Only the first window: 40 envelopes, not 600.
      expect(engine.stats.envelopesFetched).toBe(40);
    });

    it('fetches envelopes for the rows around the viewport only', async () => {
      const before = engine.stats.envelopesFetched;
      await engine.request({ type: 'viewport', first: 300, last: 329 });
      await waitFor(() => engine.state.view!.envelopes.has(engine.state.view!.uids[329]!), {
        what: 'row 329',
      });
      await engine.idle();
      const view = engine.state.view!;
      for (let row = 300; row <= 329; row++) expect(view.envelopes.has(view.uids[row]!)).toBe(true);
      const fetched = engine.stats.envelopesFetched - before;
      // 30 rows on screen and 30 either side.
      expect(fetched).toBe(90);
      expect(view.envelopes.has(view.uids[200]!)).toBe(false);
    });

    it('asks for nothing again when the viewport does not move', async () => {
      const before = engine.stats.envelopeCommands;
      await engine.request({ type: 'viewport', first: 300, last: 329 });
      await engine.idle();
      expect(engine.stats.envelopeCommands).toBe(before);
    });

    it('sorts by subject with the server and threads by references', async () => {
      await engine.request({
        type: 'open-folder',
        path: 'INBOX',
        sort: { key: 'subject', reverse: false },
        rows: 20,
      });
      let view = engine.state.view!;
      expect(view.complete).toBe(true);
      await engine.request({ type: 'viewport', first: 0, last: 19 });
      await waitFor(
        () =>
          engine.state
            .view!.uids.slice(0, 20)
            .every((uid) => engine.state.view!.envelopes.has(uid)),
        {
          what: 'sorted rows',
        },
      );
      view = engine.state.view!;
      const subjects = view.uids
        .slice(0, 20)
        .map((uid) => view.envelopes.get(uid)!.subject.replace(/^Re: /, ''));
      expect(subjects).toEqual(
        [...subjects].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
      );

      await engine.request({ type: 'open-folder', path: 'INBOX', threaded: true, rows: 20 });
      view = engine.state.view!;
      expect(view.threaded).toBe(true);
      expect(view.uids).toHaveLength(600);
      // Replies sit under their thread root, one level in.
      const reply = seeded.findIndex((m, i) => i % 4 !== 0 && m.subject.startsWith('Re: '));
      expect(view.depth!.get(reply + 1)).toBe(1);
    });
  });

  describe('changes go to the server', () => {
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;

    beforeAll(async () => {
      user = await newTestUser(stack, 'mutate');
      check = await checker(stack.info(), user);
      await seedOverImap(check, 'INBOX', 12, { to: user.email });
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
      await engine.request({ type: 'open-folder', path: 'INBOX' });
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
    });

    it('sets and clears flags on many messages with one store each', async () => {
      const before = engine.stats.storeCommands;
      await engine.request({
        type: 'set-flags',
        uids: [1, 2, 3, 4, 5],
        add: ['\\Flagged', '\\Seen'],
      });
      expect(engine.stats.storeCommands - before).toBe(1);
      let flags = await serverFlags(check, 'INBOX');
      for (const uid of [1, 2, 3, 4, 5])
        expect(flags.get(uid)).toEqual(expect.arrayContaining(['\\Flagged', '\\Seen']));
      expect(flags.get(6)).not.toContain('\\Flagged');
      // The snapshot changed at once too.
      expect(engine.state.view!.envelopes.get(3)!.flags).toContain('\\Flagged');

      await engine.request({ type: 'set-flags', uids: [2, 4], remove: ['\\Flagged'] });
      flags = await serverFlags(check, 'INBOX');
      expect(flags.get(2)).not.toContain('\\Flagged');
      expect(flags.get(3)).toContain('\\Flagged');
    });

    it('undoes the last flag change', async () => {
      await engine.request({ type: 'set-flags', uids: [7], add: ['\\Flagged'] });
      expect((await serverFlags(check, 'INBOX')).get(7)).toContain('\\Flagged');
      await engine.request({ type: 'undo' });
      expect((await serverFlags(check, 'INBOX')).get(7)).not.toContain('\\Flagged');
    });

    it('moves to another folder and undoes the move', async () => {
      await engine.request({ type: 'move', uids: [8], to: 'Archive' });
      expect([...(await serverSubjects(check, 'INBOX')).keys()]).not.toContain(8);
      expect((await serverSubjects(check, 'Archive')).size).toBe(1);
      expect(engine.state.view!.uids).not.toContain(8);

      await engine.request({ type: 'undo' });
      expect((await serverSubjects(check, 'Archive')).size).toBe(0);
      expect((await serverSubjects(check, 'INBOX')).size).toBe(12);
    });

    it('deletes to Trash, and in Trash only marks, then expunges exactly those', async () => {
      const subject = (await serverSubjects(check, 'INBOX')).get(9);
      await engine.request({ type: 'delete', uids: [9] });
      expect([...(await serverSubjects(check, 'INBOX')).keys()]).not.toContain(9);
      const trash = await serverSubjects(check, 'Trash');
      expect([...trash.values()]).toContain(subject);

      await engine.request({ type: 'open-folder', path: 'Trash' });
      const trashUid = engine.state.view!.uids[0]!;
      const result = await engine.request({ type: 'delete', uids: [trashUid] });
      expect(result.moved).toBe(false);
      expect((await serverFlags(check, 'Trash')).get(trashUid)).toContain('\\Deleted');

      expect(await engine.request({ type: 'count-deleted' })).toBe(1);
      const { count } = await engine.request({ type: 'expunge' });
      expect(count).toBe(1);
      expect((await serverSubjects(check, 'Trash')).size).toBe(0);
      expect(engine.state.view!.total).toBe(0);
    });

    it('copies without touching the source', async () => {
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      await engine.request({ type: 'copy', uids: [10], to: 'Archive' });
      expect([...(await serverSubjects(check, 'INBOX')).keys()]).toContain(10);
      expect((await serverSubjects(check, 'Archive')).size).toBe(1);
    });

    it('searches on the server and shows the results as a list', async () => {
      const subjects = await serverSubjects(check, 'INBOX');
      const target = [...subjects.values()][0]!.replace(/^Re: /, '').split(' (')[0]!;
      const expected = [...subjects].filter(([, s]) => s.includes(target)).map(([uid]) => uid);
      await engine.request({ type: 'open-folder', path: 'INBOX', search: { subject: target } });
      const view = engine.state.view!;
      expect(view.search).toEqual({ subject: target });
      expect([...view.uids].sort((a, b) => a - b)).toEqual(expected);
    });

    it('reports a server refusal with its words', async () => {
      const result = await engine.dispatch({ type: 'move', uids: [1], to: 'No Such Folder' });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('SERVER_NO');
        // Without MOVE a move starts with COPY, and the sentence names the step refused.
        const verb = check.capabilities.has('MOVE') ? 'move' : '(move|copy)';
        expect(result.error.userMessage).toMatch(
          new RegExp(`refused to ${verb} to No Such Folder: .*(not exist|Mailbox|folder)`, 'i'),
        );
      }
    });

    it('creates, renames and deletes folders', async () => {
      // Where a new top-level folder lands is the server's choice (Courier puts
      // personal folders under "INBOX."): find it by its name.
      const named = (name: string) => engine.state.folders.find((f) => f.name === name);
      await engine.request({ type: 'create-folder', path: 'Projects' });
      const created = named('Projects');
      expect(created).toBeDefined();
      await engine.request({ type: 'rename-folder', path: created!.path, to: 'Work' });
      expect(named('Projects')).toBeUndefined();
      const renamed = named('Work');
      expect(renamed).toBeDefined();
      await engine.request({ type: 'delete-folder', path: renamed!.path });
      const list = (await check.list()).map((f) => f.name);
      expect(list).not.toContain('Work');
      expect(list).not.toContain('Projects');
    });
  });

  describe('live updates while a folder is open', () => {
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;

    beforeAll(async () => {
      user = await newTestUser(stack, 'live');
      check = await checker(stack.info(), user);
      await seedOverImap(check, 'INBOX', 5, { to: user.email });
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
      await engine.request({ type: 'open-folder', path: 'INBOX' });
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
    });

    /**
     * With IDLE the server tells tmail at once. Without it (a server that does
     * not offer it), tmail learns of changes when it asks: here through the
     * poll that Ctrl-l sends, since imapflow's own NOOP comes only every two
     * minutes. A timer of tmail's own belongs to the poll-interval setting of
     * issue 12; until it exists, this is what shows news on such a server.
     */
    async function news(): Promise<void> {
      if (!check.capabilities.has('IDLE')) await engine.request({ type: 'poll' });
    }

    it('shows a flag another client set', async () => {
      const lock = await check.getMailboxLock('INBOX');
      try {
        await check.messageFlagsAdd('2', ['\\Flagged'], { uid: true });
      } finally {
        lock.release();
      }
      await news();
      await waitFor(() => engine.state.view!.envelopes.get(2)?.flags.includes('\\Flagged'), {
        what: 'the flag to show',
      });
    });

    it('shows a message another client appended, at the top', async () => {
      await check.append('INBOX', 'From: x@example.test\r\nSubject: arrived live\r\n\r\nhi\r\n');
      await news();
      await waitFor(() => engine.state.view!.total === 6, { what: 'the new message' });
      const view = engine.state.view!;
      expect(view.envelopes.get(view.uids[0]!)?.subject).toBe('arrived live');
    });

    it('drops a message another client expunged', async () => {
      const lock = await check.getMailboxLock('INBOX');
      try {
        await check.messageDelete('3', { uid: true });
      } finally {
        lock.release();
      }
      await news();
      await waitFor(() => !engine.state.view!.uids.includes(3), { what: 'the expunge' });
      expect(engine.state.view!.total).toBe(5);
    });
  });
});
