/**
 * Counts of the folders on screen stay current, and counting never costs what
 * the account holds: folders not shown are not counted up front, a count round
 * does not hold up a quit, and without IDLE the open folder is polled on the
 * account's interval. Runs on the shared stack (LIST-STATUS, IDLE) and on a
 * Dovecot with LIST-STATUS and IDLE cut from its capabilities.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

function countScenarios(name: string, without: string[]): void {
  describe(name, () => {
    let stack: MailStack;
    let own = false;
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;

    beforeAll(async () => {
      own = without.length > 0;
      stack = own ? await startMailStack({ withoutCapabilities: without }) : sharedMailStack();
      user = await newTestUser(stack, 'counts');
      check = await checker(stack.info(), user);
      await seedOverImap(check, 'INBOX', 3, { to: user.email });
      ({ engine } = testEngine(stack.info(), user, { countsSeconds: 5, pollSeconds: 5 }));
      await engine.start({ retry: false, watch: true });
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      await engine.request({ type: 'shown-folders', paths: ['INBOX', 'Archive', 'Trash'] });
      await waitFor(() => engine.state.folders.find((f) => f.path === 'Archive')?.total === 0, {
        what: 'the counts of the shown folders',
      });
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
      if (own) await stack?.stop();
    });

    const folder = (path: string) => engine.state.folders.find((f) => f.path === path);

    it("shows another client's new unread message in a shown folder on the timer", async () => {
      await check.append('Archive', 'Subject: one\r\n\r\nfrom elsewhere\r\n', []);
      await waitFor(() => folder('Archive')?.unread === 1, {
        what: 'the Archive count to follow',
        timeoutMs: 20_000,
      });
      expect(folder('Archive')?.total).toBe(1);
    });

    it('reads the counts again at once on Ctrl-l (poll)', async () => {
      await check.append('Trash', 'Subject: two\r\n\r\nfrom elsewhere\r\n', []);
      await engine.request({ type: 'poll' });
      await engine.idle();
      await waitFor(() => folder('Trash')?.unread === 1, { what: 'the Trash count' });
    });

    if (without.includes('IDLE')) {
      it('polls the open folder without IDLE on the account interval', async () => {
        // Counts only hourly: no other command may bring the news in its place.
        const { engine: polling } = testEngine(stack.info(), user, {
          countsSeconds: 3600,
          pollSeconds: 5,
        });
        await polling.start({ retry: false, watch: true });
        for (const cap of without) expect(polling['backend']?.capabilities.has(cap)).toBe(false);
        try {
          await polling.request({ type: 'open-folder', path: 'INBOX' });
          await polling.idle();
          const total = polling.state.view!.total;
          // imapflow's own poll runs once as soon as the connection is idle, then every two
          // minutes: let that first one pass, so that only tmail's poll can bring the news.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await check.append('INBOX', 'Subject: three\r\n\r\nnew mail\r\n', []);
          await waitFor(() => polling.state.view!.total === total + 1, {
            what: 'the new message in the open folder',
            timeoutMs: 20_000,
          });
        } finally {
          await polling.close();
        }
      });
    }
  });
}

countScenarios('folder counts with LIST-STATUS and IDLE', []);
countScenarios('folder counts without LIST-STATUS and IDLE', ['LIST-STATUS', 'IDLE']);

describe('an account with 2,000 folders on a server without LIST-STATUS', () => {
  let stack: MailStack;
  let user: TestUser;
  const FOLDERS = 2000;

  beforeAll(async () => {
    stack = await startMailStack({ withoutCapabilities: ['LIST-STATUS'] });
    user = await newTestUser(stack, 'many');
    const maildir = stack.maildir(user.name);
    for (let i = 0; i < FOLDERS; i++) {
      for (const sub of ['cur', 'new', 'tmp'])
        mkdirSync(join(maildir, `.F${String(i).padStart(4, '0')}`, sub), { recursive: true });
    }
    await run('chown', ['-R', 'mail:mail', join(stack.dir, 'mail', user.name)]);
  });
  afterAll(() => stack?.stop());

  it('counts only the folders on screen, and a quit does not wait for a round', async () => {
    const { engine } = testEngine(stack.info(), user);
    await engine.start({ retry: false, watch: true });
    try {
      expect(engine.state.folders.length).toBeGreaterThan(FOLDERS);
      // Nothing counted up front (one STATUS each would be 2,000 commands before any other).
      expect(engine.state.folders.filter((f) => f.total !== undefined)).toHaveLength(0);
      const shown = engine.state.folders.slice(0, 30).map((f) => f.path);
      await engine.request({ type: 'shown-folders', paths: shown });
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      await engine.idle();
      expect(engine.stats.statusCommands).toBeLessThanOrEqual(30);
      expect(engine.state.folders.filter((f) => f.total !== undefined).length).toBeLessThanOrEqual(
        31,
      );
      // A round over every folder, then quit at once: the quit ends the round.
      await engine.request({
        type: 'shown-folders',
        paths: engine.state.folders.map((f) => f.path),
      });
    } finally {
      await engine.close();
    }
    expect(engine.stats.statusCommands).toBeLessThan(FOLDERS / 2);
  });
});
