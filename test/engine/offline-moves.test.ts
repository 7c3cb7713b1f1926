/**
 * Moves and deletes made offline (issue 16): queued on disk, shown done at
 * once, and applied exactly once when the server is back, also with two
 * engines on one account, after a kill between the MOVE and its record, and
 * never to the wrong message after the folder was rebuilt. Runs on every
 * server of the stack: Dovecot and Cyrus (MOVE), Courier (COPY, \Deleted and
 * UID EXPUNGE, where a replayed COPY would duplicate the message) and Courier
 * without UIDPLUS (a plain EXPUNGE). Offline means the proxy in front of the
 * server (test/support/fault-proxy.ts) closed; back means a new one on its
 * port. What the server holds is checked with an independent imapflow
 * connection straight to the server.
 */
import { hostname } from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { ImapFlow } from 'imapflow';
import { afterEach, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { FLAGGED } from '../../src/core/types.js';
import { checker, serverFlags, serverMessageIds, testEngine } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { seedOverImap, type SeedMessage } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** How many messages of `path` carry `id`. */
async function copiesOf(client: ImapFlow, path: string, id: string): Promise<number> {
  return [...(await serverMessageIds(client, path)).values()].filter((m) => m === id).length;
}

forEachServer((stack) => {
  let check: ImapFlow;
  const cleanups: Array<() => Promise<void> | void> = [];
  /** The proxy the test's engines reach the server through; closed while offline. */
  let proxy: FaultProxy | null = null;
  let proxyPort = 0;

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await proxy?.close();
    proxy = null;
    await check?.logout().catch(() => {});
  });

  const target = () => ({ host: stack.host, port: stack.ports.imap });

  async function seededUser(name: string): Promise<{ user: TestUser; seeded: SeedMessage[] }> {
    const user = await newTestUser(stack, `offline${name}`);
    proxy = await startFaultProxy(target());
    proxyPort = proxy.port;
    check = await checker(stack.info(), user);
    const seeded = await seedOverImap(check, 'INBOX', 6, { to: user.email });
    await check.mailboxOpen('INBOX');
    await check.messageFlagsSet('1:*', [], { uid: true });
    return { user, seeded };
  }

  function pendingFile(): string {
    return join(mkdtempSync(join(tmpdir(), 'tmail-offline-moves-')), 'account.json');
  }

  function engineFor(user: TestUser, file: string, reconnectDelaysMs?: number[]): MailEngine {
    const { engine } = testEngine(
      stack.info(),
      user,
      { imap: { host: '127.0.0.1', port: proxyPort, security: 'plain' } },
      file,
      { reconnectDelaysMs },
    );
    cleanups.push(() => engine.close());
    return engine;
  }

  /** Every notice the engine shows from now on, in order (a later one replaces an earlier). */
  function noticesOf(engine: MailEngine): Array<{ kind: string; text: string }> {
    const seen: Array<{ kind: string; text: string }> = [];
    cleanups.push(
      engine.store.subscribe(() => {
        const notice = engine.state.notice;
        if (notice && seen.at(-1)?.text !== notice.text)
          seen.push({ kind: notice.kind, text: notice.text });
      }),
    );
    return seen;
  }

  /** Waits until the shared queue file holds nothing. */
  async function queueEmpty(file: string): Promise<void> {
    await waitFor(
      () => (JSON.parse(readFileSync(file, 'utf8')) as { changes: unknown[] }).changes.length === 0,
      { what: 'an empty queue', timeoutMs: 30_000 },
    );
  }

  async function onlineWithInbox(engine: MailEngine): Promise<void> {
    await engine.start({ retry: true });
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
    await engine.request({ type: 'open-folder', path: 'INBOX' });
    await waitFor(() => engine.state.view?.envelopes.size === 6, { what: 'the envelopes' });
  }

  /** The server out of reach: nothing listens on the proxy's port any more. */
  async function goOffline(...engines: MailEngine[]): Promise<void> {
    await proxy?.close();
    proxy = null;
    for (const engine of engines)
      await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
  }

  /** The server back, on the port the engines know. */
  async function back(): Promise<void> {
    proxy = await startFaultProxy(target(), { port: proxyPort });
  }

  async function replayed(engine: MailEngine): Promise<void> {
    await waitFor(
      () => engine.state.connection.status === 'online' && engine.state.queuedChanges === 0,
      { what: 'the replay', timeoutMs: 30_000 },
    );
    await engine.idle();
  }

  it('a flag change and a move made offline reach the server exactly once when it is back', async () => {
    const { user, seeded } = await seededUser('once');
    const engine = engineFor(user, pendingFile());
    await onlineWithInbox(engine);
    await goOffline(engine);

    await engine.request({ type: 'set-flags', uids: [1], add: [FLAGGED] });
    const moved = await engine.request({ type: 'move', uids: [2], to: 'Archive' });
    const deleted = await engine.request({ type: 'delete', uids: [3] });
    // Shown done at once: the rows are gone from the list, and the status line says so.
    expect(moved.done).toEqual([2]);
    expect(deleted).toMatchObject({ moved: true, done: [3] });
    expect(engine.state.view?.uids).not.toContain(2);
    expect(engine.state.view?.uids).not.toContain(3);
    expect(engine.state.queuedChanges).toBe(3);
    expect(engine.state.notice?.text).toBe(
      'Deleted 1 message offline; the server gets it when the connection is back (u undoes).',
    );

    const notices = noticesOf(engine);
    await back();
    await replayed(engine);
    expect(notices).toContainEqual({
      kind: 'info',
      text: 'Changes made while offline were sent to the server.',
    });
    expect(notices.filter((n) => n.kind === 'error')).toEqual([]);
    const inbox = await serverMessageIds(check, 'INBOX');
    expect([...inbox.keys()]).toEqual([1, 4, 5, 6]);
    expect((await serverFlags(check, 'INBOX')).get(1)).toContain(FLAGGED);
    expect(await copiesOf(check, 'Archive', seeded[1]!.messageId)).toBe(1);
    expect(await copiesOf(check, 'Trash', seeded[2]!.messageId)).toBe(1);
    // The list shows the server's state: the moved messages do not come back.
    await waitFor(() => engine.state.view?.complete === true, { what: 'the list' });
    expect(engine.state.view?.uids).toEqual([6, 5, 4, 1]);
  });

  it('two engines on one account replaying the same queue apply it once', async () => {
    const { user, seeded } = await seededUser('two');
    const file = pendingFile();
    const reader = engineFor(user, file);
    const script = engineFor(user, file);
    await onlineWithInbox(reader);
    await goOffline(reader);
    await reader.request({ type: 'move', uids: [4, 5], to: 'Archive' });
    await reader.request({ type: 'archive', uids: [6] });
    expect(reader.state.queuedChanges).toBe(2);

    // Both come back at once and both read the shared queue.
    await back();
    await script.start({ retry: true });
    await queueEmpty(file);
    await waitFor(() => script.state.connection.status === 'online', { what: 'online' });
    await waitFor(() => reader.state.connection.status === 'online', { what: 'online' });
    await reader.idle();
    await script.idle();
    // Whichever sent them, neither says anything is still waiting.
    await waitFor(() => reader.state.queuedChanges === 0 && script.state.queuedChanges === 0, {
      what: 'both counts at 0',
    });
    for (const message of seeded.slice(3))
      expect(await copiesOf(check, 'Archive', message.messageId)).toBe(1);
    expect([...(await serverMessageIds(check, 'INBOX')).keys()]).toEqual([1, 2, 3]);
  });

  it('a move sent before tmail was killed, but not recorded, is not applied twice', async () => {
    const { user, seeded } = await seededUser('killed');
    const file = pendingFile();
    const status = await check.mailboxOpen('INBOX');
    // A process that died while replaying: its claim is on the move in the file.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    writeFileSync(
      file,
      JSON.stringify({
        changes: [
          {
            kind: 'move',
            id: 'killed-move',
            label: 'move',
            from: 'INBOX',
            uidValidity: String(status.uidValidity),
            to: 'Archive',
            uids: [1, 2],
            messageIds: { 1: seeded[0]!.messageId, 2: seeded[1]!.messageId },
            at: Date.now(),
            claim: { pid: deadPid, host: hostname(), token: 'dead', at: Date.now() },
          },
        ],
      }),
    );
    // What reached the server before the kill: with MOVE, the MOVE of 1; without, the COPY of both.
    if (!check.capabilities.has('MOVE')) await check.messageCopy('1:2', 'Archive', { uid: true });
    else await check.messageMove('1', 'Archive', { uid: true });

    const engine = engineFor(user, file);
    const notices = noticesOf(engine);
    await engine.start({ retry: true });
    await replayed(engine);
    await queueEmpty(file);
    expect(notices.filter((n) => n.kind === 'error')).toEqual([]);
    expect(await copiesOf(check, 'Archive', seeded[0]!.messageId)).toBe(1);
    expect(await copiesOf(check, 'Archive', seeded[1]!.messageId)).toBe(1);
    expect([...(await serverMessageIds(check, 'INBOX')).keys()]).toEqual([3, 4, 5, 6]);
  });

  it('a queued move whose message vanished meanwhile is told in one sentence, not retried', async () => {
    const { user } = await seededUser('vanished');
    const engine = engineFor(user, pendingFile(), [600_000]);
    await onlineWithInbox(engine);
    await goOffline(engine);
    await engine.request({ type: 'move', uids: [5], to: 'Archive' });
    await back();
    // Another client deletes it for good before tmail is back.
    const phone = await checker(stack.info(), user);
    await phone.mailboxOpen('INBOX');
    await phone.messageDelete('5', { uid: true });
    await phone.logout();
    const archived = (await serverMessageIds(check, 'Archive')).size;

    const notices = noticesOf(engine);
    engine.reconnect();
    await replayed(engine);
    expect(notices.filter((n) => n.kind === 'error')).toEqual([
      {
        kind: 'error',
        text: 'Offline changes to 1 message were not applied: 1 message is no longer in INBOX.',
      },
    ]);
    expect((await serverMessageIds(check, 'Archive')).size).toBe(archived);
    // Not retried: nothing is left in the queue for the next connection.
    await goOffline(engine);
    await back();
    engine.reconnect();
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
    await engine.idle();
    expect(engine.state.queuedChanges).toBe(0);
    expect(notices.filter((n) => n.kind === 'error')).toHaveLength(1);
  });

  it('a queued move is not applied to another message after its folder was rebuilt', async () => {
    const { user } = await seededUser('rebuilt');
    await check.mailboxCreate('Work');
    const before = await seedOverImap(check, 'Work', 2, { to: user.email, seed: 3 });
    const engine = engineFor(user, pendingFile(), [600_000]);
    await onlineWithInbox(engine);
    await engine.request({ type: 'open-folder', path: 'Work' });
    await goOffline(engine);
    await engine.request({ type: 'move', uids: [1], to: 'Archive' });
    await back();
    // Rebuilt elsewhere: a new UIDVALIDITY, and UID 1 is another message now. Servers
    // often take UIDVALIDITY from the clock: a folder made again within the same
    // second may get the old one back, which is not what this test is about.
    const validity = async () => {
      const status = await check.status('Work', { uidValidity: true });
      return status ? status.uidValidity : undefined;
    };
    const old = await validity();
    for (;;) {
      await check.mailboxDelete('Work');
      await check.mailboxCreate('Work');
      if ((await validity()) !== old) break;
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const after = await seedOverImap(check, 'Work', 2, { to: user.email, seed: 9 });
    const archived = (await serverMessageIds(check, 'Archive')).size;

    const notices = noticesOf(engine);
    engine.reconnect();
    await replayed(engine);
    expect(notices.filter((n) => n.kind === 'error')).toEqual([
      {
        kind: 'error',
        text: 'Offline changes to 1 message were not applied: Work was rebuilt on the server, so its message numbers changed (1 message).',
      },
    ]);
    expect((await serverMessageIds(check, 'Archive')).size).toBe(archived);
    expect([...(await serverMessageIds(check, 'Work')).values()]).toEqual(
      after.map((m) => m.messageId),
    );
    expect(before[0]!.messageId).not.toBe(after[0]!.messageId);
  });

  it('undo takes a move made offline back out of the queue and shows the row again', async () => {
    const { user } = await seededUser('undo');
    const engine = engineFor(user, pendingFile(), [600_000]);
    await onlineWithInbox(engine);
    await goOffline(engine);
    await engine.request({ type: 'move', uids: [4], to: 'Archive' });
    expect(engine.state.view?.uids).toEqual([6, 5, 3, 2, 1]);
    expect(await engine.request({ type: 'undo' })).toEqual({ label: 'move' });
    expect(engine.state.view?.uids).toEqual([6, 5, 4, 3, 2, 1]);
    expect(engine.state.queuedChanges).toBe(0);
    await back();
    engine.reconnect();
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
    await engine.idle();
    expect([...(await serverMessageIds(check, 'INBOX')).keys()]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
