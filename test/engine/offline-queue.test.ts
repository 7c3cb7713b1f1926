/**
 * The offline flag queue under faults: two tmail processes on one account
 * sharing the queue file, a change made elsewhere after an offline change, a
 * connection lost during the replay. Offline means Dovecot stopped (a private
 * stack: stopping the shared one would break other files); what the server
 * holds is checked with an independent imapflow connection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailEngine } from '../../src/core/engine/engine.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { FLAGGED, SEEN } from '../../src/core/types.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import {
  checker,
  serverFlags,
  spawnEngine,
  testEngine,
  type EngineProcess,
} from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import type { TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: MailStack;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  stack = await startMailStack();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await stack?.stop();
});

async function seededUser(name: string): Promise<TestUser> {
  const user = await stack.addUser(`${name}-${Math.random().toString(36).slice(2, 8)}`);
  const client = await checker(stack.info(), user);
  await seedOverImap(client, 'INBOX', 6, { to: user.email });
  // No flags to start with, so that each test's changes are all there is.
  await client.mailboxOpen('INBOX');
  await client.messageFlagsSet('1:*', [], { uid: true });
  await client.logout();
  return user;
}

/** Pids of the Dovecot processes serving connections on `port` (this private stack's only). */
function imapSessions(port: number): number[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`]);
  return [...new Set([...out.toString().matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

function pendingFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'tmail-shared-pending-')), 'account.json');
}

async function flagsOnServer(user: TestUser): Promise<Map<number, string[]>> {
  const client = await checker(stack.info(), user);
  try {
    return await serverFlags(client, 'INBOX');
  } finally {
    await client.logout();
  }
}

async function onlineWithInbox(engine: MailEngine): Promise<void> {
  await engine.start({ retry: true });
  await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
  await waitFor(() => engine.state.view?.envelopes.size === 6, { what: 'the envelopes' });
}

function secondProcess(user: TestUser, file: string): EngineProcess {
  const child = spawnEngine(stack.info(), user, file);
  cleanups.push(() => child.kill());
  return child;
}

describe('two tmail processes on one account', () => {
  it('send the offline changes of both, although each queued its own', async () => {
    const user = await seededUser('two');
    const file = pendingFile();
    const reader1 = testEngine(stack.info(), user, {}, file).engine;
    cleanups.push(() => reader1.close());
    await onlineWithInbox(reader1);
    const reader2 = secondProcess(user, file);
    await reader2.send({ cmd: 'start' });
    await reader2.send({ cmd: 'wait', for: 'online' });
    await reader2.send({ cmd: 'open', path: 'INBOX' });

    await stack.stopImap();
    await waitFor(() => reader1.state.connection.status === 'offline', { what: 'offline' });
    await reader2.send({ cmd: 'wait', for: 'offline' });
    // Reader 1 flags A and C, reader 2 flags B in between and quits ("kept for the next run").
    expect(await reader1.request({ type: 'set-flags', uids: [1], add: [FLAGGED] })).toMatchObject({
      queued: true,
    });
    expect(await reader2.send({ cmd: 'set-flags', uids: [2], add: [FLAGGED] })).toMatchObject({
      queued: true,
    });
    await reader1.request({ type: 'set-flags', uids: [3], add: [FLAGGED] });
    expect(reader1.state.queuedChanges).toBe(3);
    await reader2.send({ cmd: 'close' });

    await stack.startImap();
    await waitFor(
      () => reader1.state.connection.status === 'online' && reader1.state.queuedChanges === 0,
      { what: 'the replay', timeoutMs: 30_000 },
    );
    const flags = await flagsOnServer(user);
    expect([1, 2, 3, 4].map((uid) => flags.get(uid)!.includes(FLAGGED))).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('never replay a change the other already sent, over a newer change made elsewhere', async () => {
    const user = await seededUser('twice');
    const file = pendingFile();
    // Reader 1 reconnects only when told, so that reader 2 comes back first.
    const reader1 = testEngine(stack.info(), user, {}, file, {
      reconnectDelaysMs: [600_000],
    }).engine;
    cleanups.push(() => reader1.close());
    await onlineWithInbox(reader1);
    await stack.stopImap();
    await waitFor(() => reader1.state.connection.status === 'offline', { what: 'offline' });
    await reader1.request({ type: 'set-flags', uids: [1], add: [SEEN] });

    // Reader 2 starts while the server is away, finds the change, and sends it once back online.
    const reader2 = secondProcess(user, file);
    await reader2.send({ cmd: 'start' });
    await stack.startImap();
    await reader2.send({ cmd: 'wait', for: 'replayed' });
    await reader2.send({ cmd: 'close' });
    expect((await flagsOnServer(user)).get(1)).toContain(SEEN);

    // The user marks it unread again elsewhere.
    const phone = await checker(stack.info(), user);
    await phone.mailboxOpen('INBOX');
    await phone.messageFlagsRemove('1', [SEEN], { uid: true });
    await phone.logout();

    reader1.reconnect();
    await waitFor(
      () => reader1.state.connection.status === 'online' && reader1.state.queuedChanges === 0,
      { what: 'reader 1 back', timeoutMs: 30_000 },
    );
    await reader1.idle();
    await waitFor(() => reader1.state.view?.envelopes.get(1)?.flags.includes(SEEN) === false, {
      what: 'the newer state in the list',
    });
    expect((await flagsOnServer(user)).get(1)).not.toContain(SEEN);
  });
});

describe('replaying offline changes', () => {
  it('does not overwrite a message changed elsewhere after the change was made (CONDSTORE), and says so', async () => {
    const user = await seededUser('modseq');
    const reader = testEngine(stack.info(), user, {}, pendingFile(), {
      reconnectDelaysMs: [600_000],
    }).engine;
    cleanups.push(() => reader.close());
    await onlineWithInbox(reader);
    await stack.stopImap();
    await waitFor(() => reader.state.connection.status === 'offline', { what: 'offline' });
    await reader.request({ type: 'set-flags', uids: [2], add: [SEEN] });
    await reader.request({ type: 'set-flags', uids: [3], add: [SEEN] });
    await stack.startImap();

    // Elsewhere, after the offline change: message 2 is flagged (its MODSEQ goes up).
    const phone = await checker(stack.info(), user);
    await phone.mailboxOpen('INBOX');
    await phone.messageFlagsAdd('2', [FLAGGED], { uid: true });
    await phone.logout();

    reader.reconnect();
    await waitFor(
      () => reader.state.connection.status === 'online' && reader.state.queuedChanges === 0,
      { what: 'the replay', timeoutMs: 30_000 },
    );
    await reader.idle();
    expect(reader.state.notice?.text).toBe(
      'Offline changes to 1 message were not applied: 1 message in INBOX was changed elsewhere after the change was made, and the newer state was kept.',
    );
    const flags = await flagsOnServer(user);
    expect(flags.get(2)).toEqual([FLAGGED]);
    expect(flags.get(3)).toContain(SEEN);
  });

  it('keeps the changes when the connection drops during the SELECT, and sends them later', async () => {
    const user = await seededUser('cut');
    const account = testAccount(stack.info(), user);
    let cutNextSelect = false;
    let cut: Promise<void> | undefined;
    const reader = new MailEngine({
      account,
      pendingFile: pendingFile(),
      reconnectDelaysMs: [300],
      backendFactory: async () => {
        const backend = new ImapBackend({
          account,
          credentials: testCredentials(user),
          timeoutMs: 5000,
        });
        const select = backend.select.bind(backend);
        backend.select = async (path) => {
          if (!cutNextSelect) return select(path);
          cutNextSelect = false;
          // The connection drops while the replay's SELECT waits for its answer: the
          // server's session is frozen, the SELECT goes out, then the session is killed.
          const sessions = imapSessions(stack.info().ports.imap);
          for (const pid of sessions) process.kill(pid, 'SIGSTOP');
          const answer = select(path);
          await new Promise((r) => setTimeout(r, 300));
          cut = stack.stopImap();
          return answer;
        };
        return backend;
      },
    });
    cleanups.push(() => reader.close());
    await onlineWithInbox(reader);
    const notices: string[] = [];
    const unsubscribe = reader.store.subscribe(() => {
      const text = reader.state.notice?.text;
      if (text && notices.at(-1) !== text) notices.push(text);
    });
    cleanups.push(unsubscribe);

    await stack.stopImap();
    await waitFor(() => reader.state.connection.status === 'offline', { what: 'offline' });
    await reader.request({ type: 'set-flags', uids: [4, 5], add: [FLAGGED] });
    cutNextSelect = true;
    await stack.startImap();
    // It reconnects, the SELECT of the replay is cut, and it goes offline again.
    await waitFor(() => !cutNextSelect && reader.state.connection.status === 'offline', {
      what: 'the cut replay',
      timeoutMs: 30_000,
    });
    expect(reader.state.queuedChanges).toBe(1);
    expect(notices.join('\n')).not.toMatch(/could not be applied|not applied/);

    await cut;
    await stack.startImap();
    await waitFor(
      () => reader.state.connection.status === 'online' && reader.state.queuedChanges === 0,
      { what: 'the replay', timeoutMs: 30_000 },
    );
    const flags = await flagsOnServer(user);
    expect(flags.get(4)).toContain(FLAGGED);
    expect(flags.get(5)).toContain(FLAGGED);
  });
});

// A real full disk: a small tmpfs holds the queue file (needs root; skipped elsewhere).
function mountTmpfs(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}
const fullDisk = mountTmpfs();
afterAll(() => {
  if (!fullDisk) return;
  execFileSync('umount', [fullDisk]);
  rmSync(fullDisk, { recursive: true, force: true });
});

describe.skipIf(!fullDisk)('on a full disk', () => {
  it('names the cause, leaves no temp file, keeps the change in memory and sends it', async () => {
    const user = await seededUser('full');
    const file = join(fullDisk!, 'pending', 'account.json');
    const reader = testEngine(stack.info(), user, {}, file).engine;
    cleanups.push(() => reader.close());
    await onlineWithInbox(reader);
    const filler = join(fullDisk!, 'filler');
    writeFileSync(filler, '');
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
    } catch {
      // ENOSPC: the disk is full now.
    }

    await stack.stopImap();
    await waitFor(() => reader.state.connection.status === 'offline', { what: 'offline' });
    for (const uid of [1, 2])
      await reader.request({ type: 'set-flags', uids: [uid], add: [FLAGGED] });
    expect(reader.state.notice).toMatchObject({
      kind: 'error',
      text: `The offline change could not be saved for later (${file}): the disk is full; tmail keeps it in memory, tries to save it again, and sends it when the connection is back.`,
    });
    expect(reader.state.unsavedChanges).toBe(2);
    expect(readdirSync(join(fullDisk!, 'pending')).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    await stack.startImap();
    await waitFor(
      () => reader.state.connection.status === 'online' && reader.state.queuedChanges === 0,
      { what: 'the replay from memory', timeoutMs: 30_000 },
    );
    expect(reader.state.unsavedChanges).toBe(0);
    const flags = await flagsOnServer(user);
    expect(flags.get(1)).toContain(FLAGGED);
    expect(flags.get(2)).toContain(FLAGGED);
    rmSync(filler);
  });
});
