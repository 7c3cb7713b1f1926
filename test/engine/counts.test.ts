/**
 * Unread counts follow what happens on the server: another client expunging
 * unread mail (also mail this engine never fetched), and a delete of an unread
 * message undone, which must also put the message back in its place.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const SEEN = '\\Seen';

describe('unread counts', () => {
  let user: TestUser;
  let engine: MailEngine;
  let check: ImapFlow;

  beforeAll(async () => {
    user = await newTestUser(stack, 'counts');
    check = await checker(stack.info(), user);
    await seedOverImap(check, 'INBOX', 30, { to: user.email, seed: 5 });
    // Known flags: the even UIDs unread, the odd ones read.
    await check.mailboxOpen('INBOX');
    await check.messageFlagsAdd('1:*', [SEEN], { uid: true });
    await check.messageFlagsRemove(evens().join(','), [SEEN], { uid: true });
    ({ engine } = testEngine(stack.info(), user));
    await engine.start({ retry: false });
    await engine.idle();
  });
  afterAll(async () => {
    await engine?.close();
    await check?.logout();
  });

  function evens(): number[] {
    return Array.from({ length: 15 }, (_, i) => 2 * (i + 1));
  }

  const inboxUnread = () => engine.state.folders.find((f) => f.path === 'INBOX')?.unread;

  async function serverUnread(): Promise<number> {
    const status = await check.status('INBOX', { unseen: true });
    return status ? (status.unseen ?? -1) : -1;
  }

  it('follows another client expunging unread mail, fetched or not', async () => {
    // Only the newest five rows are fetched; UIDs 2 and 4 are far below them.
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 5 });
    await engine.idle();
    expect(inboxUnread()).toBe(15);
    expect(engine.state.view!.envelopes.has(2)).toBe(false);
    await check.mailboxOpen('INBOX');
    await check.messageDelete('2,4,30', { uid: true });
    expect(await serverUnread()).toBe(12);
    await engine.request({ type: 'poll' });
    await waitFor(() => inboxUnread() === 12, { what: 'the unread count to follow' });
    expect(engine.state.view!.uids).not.toContain(2);
  });

  it('after deleting an unread message and undoing it: the count, and the message in its place', async () => {
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 30 });
    await engine.idle();
    const before = inboxUnread();
    const order = [...engine.state.view!.uids];
    const row = order.indexOf(16);
    expect(row).toBeGreaterThan(0);
    expect(engine.state.view!.envelopes.get(16)!.flags).not.toContain(SEEN);

    await engine.request({ type: 'delete', uids: [16] });
    await engine.idle();
    expect(inboxUnread()).toBe(before! - 1);

    await engine.request({ type: 'undo' });
    await engine.idle();
    expect(inboxUnread()).toBe(before);
    expect(await serverUnread()).toBe(before);
    const view = engine.state.view!;
    const back = view.uids[row]!;
    // A new UID, in the old place.
    expect(back).not.toBe(16);
    expect(view.uids.filter((uid) => uid !== back)).toEqual(order.filter((uid) => uid !== 16));
    await engine.request({ type: 'viewport', first: 0, last: 29 });
    await waitFor(() => engine.state.view!.envelopes.has(back), { what: 'the restored row' });
    expect(engine.state.view!.envelopes.get(back)!.flags).not.toContain(SEEN);
  });
});
