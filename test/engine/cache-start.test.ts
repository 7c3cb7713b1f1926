/**
 * Starting from the local cache, against the real Dovecot: a second start
 * shows the folder list and the first rows from the cache while the server
 * has not even greeted (a proxy holds the greeting back), says they are not
 * yet current, and then brings them up to date in place once it answers; with
 * the server unreachable, the cached list and a message read before are still
 * there, and a message never read is one sentence. What the server holds is
 * read with an independent connection.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAccountCache } from '../../src/core/cache/index.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { LocalMail } from '../../src/core/engine/local-mail.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { isTmailError } from '../../src/core/errors.js';
import { testAccount, testConfigEnv, testCredentials } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { cachedTestEngine, checker, serverFlags } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { seedMaildir } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const ROWS = 30;
let proxy: FaultProxy;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
});
afterEach(async () => {
  proxy.thaw();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await proxy?.close();
});

/** An engine for `user` through a proxy (the shared one by default), with its cache in `dir`. */
function engineWithCache(user: TestUser, dir: string, via: FaultProxy = proxy): MailEngine {
  const engine = cachedTestEngine(stack.info(), user, dir, {
    imap: { host: '127.0.0.1', port: via.port },
  });
  cleanups.push(() => engine.close());
  return engine;
}

/** A first session: the list's first rows seen and one message read; the cache holds them. */
async function firstSession(
  user: TestUser,
  dir: string,
  via: FaultProxy = proxy,
): Promise<{ read: number; text: string }> {
  const engine = engineWithCache(user, dir, via);
  await engine.start({ retry: true });
  await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
  await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
  await engine.request({ type: 'viewport', first: 0, last: ROWS - 1, margin: 0 });
  await engine.idle();
  const read = engine.state.view!.uids[2]!;
  const view = await engine.request({ type: 'read', uid: read, peek: true });
  await engine.close();
  return { read, text: view.text };
}

async function withChecker<T>(user: TestUser, work: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = await checker(stack.info(), user);
  try {
    return await work(client);
  } finally {
    await client.logout();
  }
}

describe('starting from the cache', () => {
  it('shows the cached list before the server greets, then updates it in place', async () => {
    const user = await newTestUser(stack, 'cachestart');
    await seedMaildir(stack.info(), user.name, 200);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    await firstSession(user, dir);

    // Meanwhile another client: a flag on a row on screen, one row removed, new mail.
    const before = await withChecker(user, (c) => serverFlags(c, 'INBOX'));
    const uids = [...before.keys()].sort((a, b) => b - a);
    const flagged = uids[4]!;
    const removed = uids[7]!;
    await withChecker(user, async (c) => {
      const lock = await c.getMailboxLock('INBOX');
      try {
        await c.messageFlagsAdd([flagged], ['\\Flagged'], { uid: true });
        await c.messageDelete([removed], { uid: true });
      } finally {
        lock.release();
      }
      await c.append('INBOX', 'From: a@example.test\r\nSubject: Arrived later\r\n\r\nHi.\r\n');
    });

    proxy.freeze(); // the server's greeting is held back
    const engine = engineWithCache(user, dir);
    await engine.start({ retry: true });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    let state = engine.state;
    expect(state.connection.status).toBe('connecting');
    expect(state.fromCache).not.toBeNull();
    expect(state.folders.map((f) => f.path)).toContain('INBOX');
    expect(state.view?.path).toBe('INBOX');
    const cachedRows = state.view!.uids.slice(0, ROWS);
    expect(cachedRows).toEqual(uids.slice(0, ROWS));
    expect(cachedRows.every((uid) => state.view!.envelopes.has(uid))).toBe(true);
    // As the cache knew it: the flag is not there yet, the removed row is.
    expect(state.view!.envelopes.get(flagged)!.flags).not.toContain('\\Flagged');

    proxy.thaw();
    await waitFor(() => engine.state.fromCache === null && engine.state.view?.complete, {
      what: 'the server to confirm the list',
    });
    await engine.idle();
    state = engine.state;
    const server = await withChecker(user, (c) => serverFlags(c, 'INBOX'));
    const newest = [...server.keys()].sort((a, b) => b - a);
    expect(state.view!.uids).toEqual(newest);
    expect(state.view!.uids).not.toContain(removed);
    expect(state.view!.envelopes.get(flagged)!.flags).toContain('\\Flagged');
    for (const uid of newest.slice(0, ROWS)) {
      const shown = state.view!.envelopes.get(uid);
      if (!shown) continue;
      expect([...shown.flags].sort(), `UID ${uid}`).toEqual(
        server
          .get(uid)!
          .filter((f) => f !== '\\Recent')
          .sort(),
      );
    }
  });

  it("a message the cache lacks, read while connecting, is the server's once the connection is up", async () => {
    const user = await newTestUser(stack, 'cacheconn');
    await seedMaildir(stack.info(), user.name, 60);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    const { read } = await firstSession(user, dir);

    proxy.freeze(); // the server's greeting is held back: still connecting
    const engine = engineWithCache(user, dir);
    await engine.start({ retry: true });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    expect(engine.state.connection.status).toBe('connecting');
    const never = engine.state.view!.uids[10]!;
    expect(never).not.toBe(read);
    // Asked before the server greets; answered once it has.
    const reading = engine.dispatch({ type: 'read', uid: never, peek: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.state.connection.status).toBe('connecting');
    proxy.thaw();
    const outcome = await reading;
    expect(outcome.ok ? null : outcome).toBeNull();
    const expected = await withChecker(user, async (c) => {
      const lock = await c.getMailboxLock('INBOX');
      try {
        const message = await c.fetchOne(String(never), { envelope: true }, { uid: true });
        return message ? message.envelope?.subject : undefined;
      } finally {
        lock.release();
      }
    });
    if (outcome.ok) expect(outcome.value.subject).toBe(expected);
    expect(engine.state.connection.status).toBe('online');
  });

  it('offline, lists every message of the folder, the uncached ones as rows without envelopes', async () => {
    const user = await newTestUser(stack, 'cachelen');
    await seedMaildir(stack.info(), user.name, 120);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    const own = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
    await firstSession(user, dir, own);
    const server = await withChecker(user, (c) => serverFlags(c, 'INBOX'));
    const newest = [...server.keys()].sort((a, b) => b - a);

    await own.close();
    const engine = engineWithCache(user, dir, own);
    await engine.start({ retry: true });
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    let view = engine.state.view!;
    // The folder's true length, not the rows the first session happened to fetch.
    expect(view.total).toBe(120);
    expect(view.uids).toEqual(newest);
    expect(view.complete).toBe(true);
    // Scrolled to the oldest rows: they are listed, their envelopes were never fetched.
    await engine.request({ type: 'viewport', first: 100, last: 119, margin: 0 });
    view = engine.state.view!;
    expect(newest.slice(0, ROWS).every((uid) => view.envelopes.has(uid))).toBe(true);
    expect(newest.slice(100).some((uid) => view.envelopes.has(uid))).toBe(false);
  });

  it('offline, tmail list pages through every message and says which it cannot print', async () => {
    const user = await newTestUser(stack, 'cachecli');
    await seedMaildir(stack.info(), user.name, 30);
    const own = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
    const env = testConfigEnv([
      testAccount(stack.info(), user, {
        imap: { host: '127.0.0.1', port: own.port, security: 'plain' },
      }),
    ]);
    const list = (...args: string[]) => runTmail(['list', '--json', ...args], env);
    // Online: rows 11 to 20 listed (the whole list read for page 2, and kept).
    const online = await list('--limit', '10', '--page', '2');
    expect(online.code, online.stderr).toBe(0);
    const server = await withChecker(user, (c) => serverFlags(c, 'INBOX'));
    const newest = [...server.keys()].sort((a, b) => b - a);

    await own.close();
    const partly = await list('--limit', '15', '--page', '2');
    expect(partly.code, partly.stderr).toBe(0);
    const page = JSON.parse(partly.stdout) as {
      total: number;
      notCached?: number;
      messages: Array<{ uid: number }>;
    };
    expect(page.total).toBe(30);
    expect(page.messages.map((m) => m.uid)).toEqual(newest.slice(15, 20));
    expect(page.notCached).toBe(10);
    expect(partly.stderr.trim().split('\n')).toHaveLength(1);

    const none = await list('--limit', '10', '--page', '3');
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/Messages 21 to 30 of INBOX are not in the local cache/);
  });

  it('offline, opens the cached list and a message read before', async () => {
    const user = await newTestUser(stack, 'cacheoff');
    await seedMaildir(stack.info(), user.name, 60);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    const own = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
    const { read, text } = await firstSession(user, dir, own);

    // Nothing listens there any more: the server cannot be reached.
    await own.close();
    const engine = engineWithCache(user, dir, own);
    await engine.start({ retry: true });
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    const view = engine.state.view!;
    expect(engine.state.fromCache).not.toBeNull();
    expect(view.uids.length).toBeGreaterThanOrEqual(ROWS);
    expect(view.envelopes.size).toBeGreaterThanOrEqual(ROWS);
    const message = await engine.request({ type: 'read', uid: read, peek: true });
    expect(message.text).toBe(text);
    const never = view.uids[10]!;
    const refused = await engine.dispatch({ type: 'read', uid: never, peek: true });
    expect(refused.ok).toBe(false);
    if (!refused.ok && !refused.cancelled) {
      expect(isTmailError(refused.error)).toBe(true);
      expect(refused.error.userMessage).toMatch(/not in the local cache/);
    }
  });
  it('with the start option `after`, shows the cached list and connects only once it settles', async () => {
    const user = await newTestUser(stack, 'cacheafter');
    await seedMaildir(stack.info(), user.name, 50);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    const own = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
    cleanups.push(() => own.close());
    await firstSession(user, dir, own);
    const before = own.connections;

    let drawn: () => void = () => {};
    const frame = new Promise<void>((resolve) => {
      drawn = resolve;
    });
    const engine = engineWithCache(user, dir, own);
    void engine.start({ retry: true, after: frame });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    expect(engine.state.view?.envelopes.size).toBeGreaterThan(0);
    // A while for a connection that should not be made (a wait, not a time limit).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(own.connections).toBe(before);
    expect(engine.state.connection.status).toBe('connecting');
    // Work asked meanwhile (a reply's quote, typed as soon as the list shows) waits for it.
    const uncached = engine.state.view!.uids.at(-1)!;
    const reading = engine.request({ type: 'read', uid: uncached, peek: true });
    let settled = false;
    void reading.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBe(false);

    drawn();
    const message = await reading;
    expect(message.uid).toBe(uncached);
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
    expect(own.connections).toBe(before + 1);
  });

  it('with `holdCacheUntil` on a first start, makes and fills the store only once it settles', async () => {
    const user = await newTestUser(stack, 'cachehold');
    await seedMaildir(stack.info(), user.name, 50);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
    const file = join(dir, 'store.sqlite3');
    const account = testAccount(stack.info(), user, {
      imap: { host: '127.0.0.1', port: proxy.port, security: 'plain' },
    });
    const engine = new MailEngine({
      account,
      pendingFile: join(dir, 'pending.json'),
      // As session.ts opens a store that does not exist yet: on the first write.
      cache: (onNotice) =>
        new LocalMail(
          () => openAccountCache(account, { file, onNotice }),
          join(dir, 'folders.json'),
        ),
      backendFactory: async () =>
        new ImapBackend({ account, credentials: testCredentials(user), timeoutMs: 5000 }),
    });
    cleanups.push(() => engine.close());
    let drawn: () => void = () => {};
    const frame = new Promise<void>((resolve) => {
      drawn = resolve;
    });
    await engine.start({ retry: true, holdCacheUntil: frame });
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    await engine.request({ type: 'viewport', first: 0, last: ROWS - 1, margin: 0 });
    await engine.idle();
    expect(engine.state.view?.envelopes.size).toBeGreaterThanOrEqual(ROWS);
    expect(existsSync(file)).toBe(false);

    drawn();
    await waitFor(() => existsSync(file), { what: 'the store to be made' });
    const store = openAccountCache(account, { file });
    try {
      const shown = engine.state.view!.uids.slice(0, ROWS);
      expect(
        store
          .envelopes('INBOX', shown)
          .map((e) => e.uid)
          .sort(),
      ).toEqual([...shown].sort());
      expect(store.folderState('INBOX')?.total).toBe(50);
    } finally {
      store.close();
    }
  });
});
