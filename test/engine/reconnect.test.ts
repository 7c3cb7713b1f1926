/**
 * A dropped connection: Dovecot stopped and started again mid-test. The engine
 * goes offline, keeps flag changes made meanwhile on disk, reconnects by
 * itself, re-opens the folder and sends the changes exactly once. A rebuilt
 * folder (new UIDVALIDITY) is read afresh instead of trusting old UIDs.
 */
import type { ImapFlow } from 'imapflow';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETED, FLAGGED, SEEN } from '../../src/core/types.js';
import { checker, serverFlags, testEngine, type EngineHarness } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import type { TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: MailStack;
let user: TestUser;
let harness: EngineHarness;

beforeAll(async () => {
  // A private stack: stopping the shared one would break other test files.
  stack = await startMailStack();
  user = await stack.addUser('outage');
  const seedClient = await checker(stack.info(), user);
  await seedOverImap(seedClient, 'INBOX', 8, { to: user.email });
  await seedClient.logout();
  harness = testEngine(stack.info(), user);
  await harness.engine.start({ retry: true });
  await waitFor(() => harness.engine.state.connection.status === 'online', { what: 'online' });
  await harness.engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(async () => {
  await harness?.engine.close();
  await stack?.stop();
});

describe('when the server goes away', () => {
  it('goes offline, queues flag changes on disk, and sends them exactly once after reconnecting', async () => {
    const { engine, pendingFile, backends } = harness;
    // Record every state: the first offline one says why; later ones may be retries.
    const reasons: string[] = [];
    const stopWatching = engine.store.subscribe(() => {
      const c = engine.state.connection;
      if (c.status === 'offline' && reasons.at(-1) !== c.reason) reasons.push(c.reason);
    });
    await stack.stopImap();
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline state' });
    stopWatching();
    expect(reasons[0]).toMatch(/connection to the IMAP server 127\.0\.0\.1:\d+ was lost/);

    // Changes while offline: applied to the list at once, kept on disk.
    const queued = await engine.request({ type: 'set-flags', uids: [1, 2, 3], add: [FLAGGED] });
    expect(queued.queued).toBe(true);
    await engine.request({ type: 'set-flags', uids: [2], remove: [FLAGGED] });
    await engine.request({ type: 'set-flags', uids: [4], add: [SEEN, DELETED] });
    expect(engine.state.queuedChanges).toBe(3);
    expect(engine.state.view!.envelopes.get(1)!.flags).toContain(FLAGGED);
    expect(existsSync(pendingFile)).toBe(true);
    expect(
      (JSON.parse(readFileSync(pendingFile, 'utf8')) as { changes: unknown[] }).changes,
    ).toHaveLength(3);

    // Reading needs the server: a clear refusal, not a hang.
    const read = await engine.dispatch({ type: 'read', uid: 1 });
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error.code).toBe('OFFLINE');

    const attemptsBefore = backends.length;
    await stack.startImap();
    await waitFor(
      () => engine.state.connection.status === 'online' && engine.state.queuedChanges === 0,
      {
        what: 'reconnect and replay',
        timeoutMs: 30_000,
      },
    );
    expect(backends.length).toBeGreaterThan(attemptsBefore);

    const check: ImapFlow = await checker(stack.info(), user);
    try {
      const flags = await serverFlags(check, 'INBOX');
      expect(flags.get(1)).toContain(FLAGGED);
      expect(flags.get(2)).not.toContain(FLAGGED);
      expect(flags.get(3)).toContain(FLAGGED);
      expect(flags.get(4)).toEqual(expect.arrayContaining([SEEN, DELETED]));
      expect(flags.get(5)).not.toContain(FLAGGED);
    } finally {
      await check.logout();
    }
    // Nothing left to replay: a second reconnect sends nothing again.
    expect(
      (JSON.parse(readFileSync(pendingFile, 'utf8')) as { changes: unknown[] }).changes,
    ).toHaveLength(0);
    // The folder was re-opened by itself and still lists every message.
    await waitFor(() => engine.state.view?.complete && engine.state.view.total === 8, {
      what: 'the folder again',
    });
  });

  it('keeps offline changes across a restart of tmail itself', async () => {
    const { engine, pendingFile } = harness;
    await stack.stopImap();
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline state' });
    await engine.request({ type: 'set-flags', uids: [6], add: [FLAGGED] });
    await engine.close();

    // A new engine (a new tmail process) finds the change on disk.
    harness = testEngine(stack.info(), user, {}, pendingFile);
    expect(harness.engine.state.queuedChanges).toBe(1);
    await stack.startImap();
    await harness.engine.start({ retry: true });
    await waitFor(
      () =>
        harness.engine.state.queuedChanges === 0 &&
        harness.engine.state.connection.status === 'online',
      {
        what: 'replay after restart',
      },
    );
    const check = await checker(stack.info(), user);
    try {
      expect((await serverFlags(check, 'INBOX')).get(6)).toContain(FLAGGED);
    } finally {
      await check.logout();
    }
  });

  it('reads a folder afresh when its UIDVALIDITY changed while away', async () => {
    const { engine } = harness;
    await engine.request({ type: 'open-folder', path: 'INBOX' });
    const before = engine.state.view!.uidValidity;
    await stack.stopImap();
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline state' });
    await stack.startImap();
    await stack.doveadm(
      'mailbox',
      'update',
      '-u',
      user.name,
      '--uid-validity',
      String(Number(before) + 1000),
      'INBOX',
    );
    await waitFor(() => engine.state.view?.uidValidity === String(Number(before) + 1000), {
      what: 'the rebuilt folder',
      timeoutMs: 30_000,
    });
    await waitFor(() => engine.state.view?.complete && engine.state.view.total === 8, {
      what: 'the list again',
    });
    expect(engine.state.notice?.text).toMatch(/rebuilt on the server/);
  });
});
