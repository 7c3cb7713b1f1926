/**
 * Removing many messages on a server without QRESYNC: every removed message
 * comes back as `* n EXPUNGE` (a sequence number, no UID). Mapping those must
 * not reread the folder's UID list once per message: removing 100 costs at
 * most about twice removing one. Counted with the engine's stats, against a
 * Dovecot with QRESYNC cut from its capabilities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, serverSubjects, testEngine } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedMaildir } from '../support/seed.js';
import { newTestUser, type TestUser } from '../support/stack.js';

describe('a big folder on a server without QRESYNC', () => {
  let stack: MailStack;
  let user: TestUser;
  let engine: MailEngine;

  beforeAll(async () => {
    stack = await startMailStack({ withoutCapabilities: ['QRESYNC'] });
    user = await newTestUser(stack, 'bigmove');
    await seedMaildir(stack.info(), user.name, 2000);
    ({ engine } = testEngine(stack.info(), user));
    await engine.start({ retry: false, folders: false });
    expect(engine['backend']?.capabilities.has('QRESYNC')).toBe(false);
  });
  afterAll(async () => {
    await engine?.close();
    await stack?.stop();
  });

  /** UID list readings for a move of `uids`, from the folder opened as the CLI opens it. */
  async function readsToMove(uids: number[]): Promise<number> {
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 0, list: false });
    await engine.idle();
    const before = engine.stats.uidListReads;
    const result = await engine.request({ type: 'move', uids, to: 'Archive' });
    expect(result.done).toHaveLength(uids.length);
    await engine.idle();
    return engine.stats.uidListReads - before;
  }

  it('moving 100 rereads the UID list at most twice as often as moving 1', async () => {
    const one = await readsToMove([1]);
    const hundred = await readsToMove(Array.from({ length: 100 }, (_, i) => 101 + i));
    expect(hundred).toBeLessThanOrEqual(2 * Math.max(one, 1));
    const check = await checker(stack.info(), user);
    try {
      expect((await serverSubjects(check, 'Archive')).size).toBe(101);
    } finally {
      await check.logout();
    }
  });

  it('with the list open, maps each EXPUNGE without rereading and keeps the view right', async () => {
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 50 });
    await engine.idle();
    const total = engine.state.view!.total;
    const before = engine.stats.uidListReads;
    const uids = Array.from({ length: 50 }, (_, i) => 301 + 2 * i);
    await engine.request({ type: 'move', uids, to: 'Archive' });
    await engine.idle();
    expect(engine.stats.uidListReads - before).toBe(0);
    const view = engine.state.view!;
    expect(view.total).toBe(total - 50);
    for (const uid of uids) expect(view.uids).not.toContain(uid);
    // Neighbours of the removed rows are still listed: no sequence number was mapped wrong.
    for (const uid of [300, 302, 400, 402]) expect(view.uids).toContain(uid);
  });
});
