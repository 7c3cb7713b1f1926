/**
 * Bringing a folder known from an earlier session up to date (the local
 * cache's re-sync), on each path a server allows: QRESYNC (one SELECT that
 * carries the changed flags and VANISHED), CONDSTORE only (CHANGEDSINCE, and a
 * UID search only when counting says something went), and neither (the UID
 * list compared, flags of the rows on screen). Dovecot stands for the three
 * servers with QRESYNC and CONDSTORE cut from its capabilities; the same
 * tests then run on every server of the stack, each on the path its
 * capabilities allow. Another client changes the server between the
 * sessions; the result is checked against what the server holds, and the
 * commands sent are read on the wire through a proxy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openAccountCache } from '../../src/core/cache/index.js';
import type {
  BackendEvent,
  FolderResync,
  KnownFolderState,
  ResyncMethod,
} from '../../src/core/engine/backend.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { foldersFileOf, LocalMail } from '../../src/core/engine/local-mail.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import { checker, serverFlags } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedMaildir } from '../support/seed.js';
import { forEachServer, newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const PATHS: Array<{ method: ResyncMethod; without: string[] }> = [
  { method: 'qresync', without: [] },
  { method: 'condstore', without: ['QRESYNC'] },
  { method: 'uids', without: ['QRESYNC', 'CONDSTORE'] },
];

/** Rows "on screen" in these tests: the newest 40. */
const SCREEN = 40;

/** Flags to compare: \Recent belongs to the session that saw the message first, not to the message. */
const sorted = (flags: Iterable<string>) => [...flags].filter((f) => f !== '\\Recent').sort();

/** The path a server's capabilities allow (what resync must choose). */
function methodFor(capabilities: ReadonlySet<string>): ResyncMethod {
  if (capabilities.has('QRESYNC')) return 'qresync';
  return capabilities.has('CONDSTORE') ? 'condstore' : 'uids';
}

describe.each(PATHS)('re-sync on Dovecot by $method', ({ method, without }) => {
  let stack: MailStack | undefined;
  resyncTests(
    async () => {
      stack = without.length
        ? await startMailStack({ withoutCapabilities: without })
        : sharedMailStack();
      return stack;
    },
    async () => {
      if (without.length) await stack?.stop();
    },
    method,
  );
});

// The other servers, where the stack runs them (TMAIL_TEST_SERVERS may leave only Dovecot).
const OTHERS = ['cyrus', 'courier', 'courier-no-uidplus', 'courier-no-idle'] as const;
if (
  inject('mailStack').servers.some((server) => (OTHERS as readonly string[]).includes(server.id))
) {
  describe('re-sync on the other servers', () => {
    forEachServer(
      (stack) =>
        resyncTests(
          async () => stack,
          async () => {},
        ),
      { only: [...OTHERS] },
    );
  });
}

/**
 * The re-sync tests on the stack `start` gives; `method` is the path expected,
 * else the one the server's capabilities allow.
 */
function resyncTests(
  start: () => Promise<MailStack>,
  stop: () => Promise<void>,
  expected?: ResyncMethod,
): void {
  let stack: MailStack;
  /** On Dovecot only: Cyrus turns on COMPRESS, which the line-reading proxy cannot pass. */
  let proxy: FaultProxy | undefined;
  let method: ResyncMethod;
  const backends: ImapBackend[] = [];
  const checkers: ImapFlow[] = [];

  beforeAll(async () => {
    stack = await start();
    if (expected) proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
    const probe = await connect(await newTestUser(stack, 'resyncprobe'));
    method = methodFor(probe.capabilities);
    if (expected) expect(method).toBe(expected);
    await probe.logout();
  });
  afterAll(async () => {
    for (const backend of backends) await backend.logout();
    for (const check of checkers) await check.logout().catch(() => {});
    await proxy?.close();
    await stop();
  });

  /** A backend for `user`, through the proxy where there is one. */
  async function connect(user: TestUser): Promise<ImapBackend> {
    const backend = new ImapBackend({
      account: testAccount(stack.info(), user, {
        imap: {
          host: proxy?.host ?? stack.host,
          port: proxy?.port ?? stack.ports.imap,
          security: 'plain',
        },
      }),
      credentials: testCredentials(user),
      timeoutMs: 10_000,
    });
    backends.push(backend);
    await backend.connect();
    return backend;
  }

  /** An engine for `user` (through the proxy where there is one) with its local cache in `dir`. */
  function engineFor(user: TestUser, dir: string): MailEngine {
    const account = testAccount(stack.info(), user, {
      imap: {
        host: proxy?.host ?? stack.host,
        port: proxy?.port ?? stack.ports.imap,
        security: 'plain',
      },
    });
    const file = join(dir, 'store.sqlite3');
    return new MailEngine({
      account,
      pendingFile: join(dir, 'pending.json'),
      reconnectDelaysMs: [200, 400, 800],
      cache: (onNotice) =>
        new LocalMail(openAccountCache(account, { file, onNotice }), foldersFileOf(file)),
      backendFactory: async () =>
        new ImapBackend({ account, credentials: testCredentials(user), timeoutMs: 10_000 }),
    });
  }

  /** A first session with the folder open: the cache holds its first rows and its UID list. */
  async function warmCache(
    user: TestUser,
    path: string,
    dir = mkdtempSync(join(tmpdir(), 'tmail-resync-')),
  ): Promise<string> {
    const engine = engineFor(user, dir);
    try {
      await engine.start({ retry: false });
      await engine.request({ type: 'open-folder', path, rows: SCREEN });
      await engine.request({ type: 'viewport', first: 0, last: SCREEN - 1, margin: 0 });
      await engine.idle();
    } finally {
      await engine.close();
    }
    return dir;
  }

  /** The UID list the store keeps for a folder (null: none), read as the next start would. */
  function storedList(dir: string, path: string): number[] | null {
    const cache = openAccountCache('resync', { file: join(dir, 'store.sqlite3') });
    try {
      return cache.uidList(path);
    } finally {
      cache.close();
    }
  }

  /** Another client flags and removes messages on screen and off it, and delivers two. */
  async function changeElsewhere(user: TestUser, uids: number[]): Promise<void> {
    const check = await checkerFor(user);
    const newest = [...uids].sort((a, b) => b - a);
    const lock = await check.getMailboxLock('INBOX');
    try {
      await check.messageFlagsAdd([newest[2]!, newest[150]!], ['\\Flagged'], { uid: true });
      await check.messageFlagsAdd([newest[7]!, newest[200]!, newest[201]!], ['\\Deleted'], {
        uid: true,
      });
      await check.messageDelete([newest[7]!, newest[200]!, newest[201]!], { uid: true });
    } finally {
      lock.release();
    }
    for (const n of [1, 2]) {
      await check.append(
        'INBOX',
        `From: b@example.test\r\nSubject: Later ${n}\r\nMessage-ID: <later-${n}-${Date.now()}@example.test>\r\n\r\nHi.\r\n`,
      );
    }
  }

  /** The engine's list of INBOX equals the server's, and the rows fetched show the server's flags. */
  async function expectServerList(user: TestUser, engine: MailEngine): Promise<number[]> {
    const check = await checkerFor(user);
    const server = await serverFlags(check, 'INBOX');
    const newest = [...server.keys()].sort((a, b) => b - a);
    const view = engine.state.view!;
    expect(view.uids).toEqual(newest);
    expect(view.total).toBe(newest.length);
    for (const uid of newest.slice(0, SCREEN)) {
      const shown = view.envelopes.get(uid);
      expect(shown, `UID ${uid} on screen`).toBeDefined();
      expect(sorted(shown!.flags), `UID ${uid}`).toEqual(sorted(server.get(uid)!));
    }
    return newest;
  }

  /** Closes an engine once, however often asked (a test's body and its finally). */
  function closer(engine: MailEngine): () => Promise<void> {
    let closing: Promise<void> | null = null;
    return () => (closing ??= engine.close());
  }

  /** Commands sent through the proxy since `mark`, without their tags. */
  function sentSince(mark: number): string[] {
    return (proxy?.sent ?? []).slice(mark).map((line) => line.replace(/^\S+ /, ''));
  }

  for (const when of ['online', 'before the server answers'] as const) {
    it(`reopening from a warm cache (${when}) reads no UID list where the cache kept it`, async () => {
      // Before the server answers needs the proxy to hold its greeting back.
      if (when !== 'online' && !proxy) return;
      const user = await newTestUser(stack, 'resynclist');
      await seedMaildir(stack.info(), user.name, 300);
      const dir = await warmCache(user, 'INBOX');
      const before = storedList(dir, 'INBOX');
      expect(before).toHaveLength(300);
      await changeElsewhere(user, before!);

      const engine = engineFor(user, dir);
      const close = closer(engine);
      try {
        const mark = proxy?.sent.length ?? 0;
        if (when === 'online') {
          await engine.start({ retry: false });
        } else {
          proxy!.freeze();
          await engine.start({ retry: true });
        }
        await engine.request({ type: 'open-folder', path: 'INBOX', rows: SCREEN });
        if (when !== 'online') {
          // The cached list, every row of it, before the server has said a word.
          expect(engine.state.connection.status).toBe('connecting');
          expect(engine.state.view!.uids).toEqual([...before!].reverse());
          proxy!.thaw();
          await waitFor(() => engine.state.fromCache === null && engine.state.view?.complete, {
            what: 'the server to confirm the list',
          });
        }
        await engine.request({ type: 'viewport', first: 0, last: SCREEN - 1, margin: 0 });
        await engine.idle();
        const newest = await expectServerList(user, engine);
        expect(engine.stats.uidListReads).toBe(0);
        // The list the store keeps is the server's again, for the next start.
        await close();
        expect(storedList(dir, 'INBOX')).toEqual([...newest].reverse());

        if (!proxy) return;
        const commands = sentSince(mark);
        const selects = commands.filter((c) => /^(SELECT|EXAMINE)\b/i.test(c));
        expect(selects).toHaveLength(1);
        const searches = commands.filter((c) => /^UID SEARCH\b/i.test(c));
        if (method === 'qresync') {
          expect(selects[0]).toMatch(/\(QRESYNC \(/);
          expect(searches).toEqual([]);
        } else if (method === 'condstore') {
          // Counting says messages went: one search of the UIDs known before, no second list.
          expect(searches).toHaveLength(1);
          expect(searches[0]).toMatch(new RegExp(`UID 1:${before!.at(-1)!}\\b`));
        } else {
          // Without MODSEQ the re-sync reads the list; the view takes it from there.
          expect(searches).toHaveLength(1);
        }
      } finally {
        proxy?.thaw();
        await close();
      }
    });
  }

  it("keeps each folder's stored list its own across a search of every folder", async () => {
    // The engine's side of it is the same on every server; once is enough.
    if (expected !== 'qresync') return;
    const user = await newTestUser(stack, 'resyncsearch');
    await seedMaildir(stack.info(), user.name, 50);
    const check = await checkerFor(user);
    await check.mailboxCreate('Work');
    for (const n of [1, 2, 3]) {
      await check.append(
        'Work',
        `From: c@example.test\r\nSubject: Budget ${n}\r\nMessage-ID: <work-${n}-${Date.now()}@example.test>\r\n\r\nHi.\r\n`,
      );
    }
    const dir = await warmCache(user, 'Work');
    const engine = engineFor(user, dir);
    const close = closer(engine);
    try {
      await engine.start({ retry: false });
      await engine.request({ type: 'open-folder', path: 'INBOX', rows: SCREEN });
      // Selects Work (a re-sync: the cache knows it) and comes back to INBOX.
      await engine.request({
        type: 'search-all',
        query: { subject: 'budget' },
        limit: 10,
      });
      // New mail in the open folder changes its list, which the cache is given.
      await check.append('INBOX', 'From: d@example.test\r\nSubject: Late\r\n\r\nHi.\r\n');
      await waitFor(() => engine.state.view!.total === 51, { what: 'the new message' });
      await engine.idle();
    } finally {
      await close();
    }
    const uidsOf = async (path: string) =>
      [...(await serverFlags(check, path)).keys()].sort((a, b) => a - b);
    expect(storedList(dir, 'INBOX')).toEqual(await uidsOf('INBOX'));
    expect(storedList(dir, 'Work')).toEqual(await uidsOf('Work'));
  });

  it('reads the list once when the stored one is missing, damaged or wrong', async () => {
    const user = await newTestUser(stack, 'resyncbad');
    await seedMaildir(stack.info(), user.name, 300);
    const dir = await warmCache(user, 'INBOX');
    await changeElsewhere(user, storedList(dir, 'INBOX')!);
    const breakings: Array<[string, (stored: number[]) => string | null]> = [
      ['missing', () => null],
      ['damaged', () => '7:3,x'],
      // One message short: the count after the re-sync disagrees with EXISTS.
      ['wrong', (stored) => stored.slice(1).join(',')],
    ];
    for (const [what, broken] of breakings) {
      const db = new Database(join(dir, 'store.sqlite3'));
      const stored = storedList(dir, 'INBOX') ?? [];
      db.prepare("UPDATE folders SET uid_set = ? WHERE path = 'INBOX'").run(broken(stored));
      db.close();
      const engine = engineFor(user, dir);
      const close = closer(engine);
      try {
        await engine.start({ retry: false });
        await engine.request({ type: 'open-folder', path: 'INBOX', rows: SCREEN });
        await engine.request({ type: 'viewport', first: 0, last: SCREEN - 1, margin: 0 });
        await engine.idle();
        // Without MODSEQ the re-sync reads the list itself, whatever the cache held.
        expect(engine.stats.uidListReads, what).toBe(method === 'uids' ? 0 : 1);
        const newest = await expectServerList(user, engine);
        await close();
        expect(storedList(dir, 'INBOX'), what).toEqual([...newest].reverse());
      } finally {
        await close();
      }
    }
  });

  async function checkerFor(user: TestUser): Promise<ImapFlow> {
    const check = await checker(stack.info(), user);
    checkers.push(check);
    return check;
  }

  /** What a cache would hold after a session that had `path` open: its state and every flag. */
  async function remember(
    user: TestUser,
    path: string,
  ): Promise<{ known: KnownFolderState; flags: Map<number, string[]> }> {
    const backend = await connect(user);
    const status = await backend.select(path);
    const uids = await backend.searchUids();
    const flags = await backend.fetchFlags(uids);
    await backend.logout();
    return {
      known: {
        uidValidity: status.uidValidity,
        highestModseq: status.highestModseq,
        // Courier's SELECT tells no UIDNEXT: one past the highest UID seen stands for it.
        uidNext: status.uidNext || (uids.at(-1) ?? 0) + 1,
        exists: status.exists,
        uids,
        visible: uids.slice(-SCREEN),
      },
      flags: new Map([...flags].map(([uid, f]) => [uid, [...f]])),
    };
  }

  /** Re-syncs on a new connection; also what it sent and any push that leaked to listeners. */
  async function resync(
    user: TestUser,
    path: string,
    known: KnownFolderState,
  ): Promise<{ result: FolderResync; commands: string[]; heard: BackendEvent[] }> {
    const backend = await connect(user);
    const heard: BackendEvent[] = [];
    backend.onEvent((event) => heard.push(event));
    const mark = proxy?.sent.length ?? 0;
    const result = await backend.resync(path, known);
    // Only this session is talking; drop LOGIN and the like, keep the commands after it.
    const commands = (proxy?.sent ?? [])
      .slice(mark)
      .map((line) => line.replace(/^\S+ /, ''))
      .filter((line) => /^(UID |)(SELECT|EXAMINE|SEARCH|FETCH|SORT|THREAD|STATUS)\b/i.test(line));
    return { result, commands, heard };
  }

  it('brings flags, removals (on screen and off) and new mail in step with the server', async () => {
    const user = await newTestUser(stack, 'resync');
    await seedMaildir(stack.info(), user.name, 300);
    const { known, flags } = await remember(user, 'INBOX');
    expect(known.uids).toHaveLength(300);
    if (method !== 'uids') expect(known.highestModseq).toBeDefined();
    const screen = known.visible;
    const offScreen = known.uids[10]!;

    // Another client: flags on and off screen, three removals (two on screen), two new messages.
    const check = await checkerFor(user);
    const lock = await check.getMailboxLock('INBOX');
    const flipped = [offScreen, known.uids[100]!, screen[5]!, screen[30]!];
    const removed = [known.uids[50]!, screen[0]!, screen[20]!];
    try {
      await check.messageFlagsAdd(flipped, ['\\Flagged', '$Work'], { uid: true });
      await check.messageFlagsRemove([screen[5]!, screen[6]!], ['\\Seen'], { uid: true });
      await check.messageFlagsAdd(removed, ['\\Deleted'], { uid: true });
      await check.messageDelete(removed, { uid: true });
    } finally {
      lock.release();
    }
    for (const n of [1, 2]) {
      await check.append(
        'INBOX',
        `From: a@example.test\r\nSubject: New ${n}\r\nMessage-ID: <new-${n}@example.test>\r\n\r\nHello.\r\n`,
        n === 1 ? ['\\Seen'] : [],
      );
    }
    const server = await serverFlags(check, 'INBOX');

    const { result, commands, heard } = await resync(user, 'INBOX', known);
    if (result.uidValidityChanged) throw new Error('UIDVALIDITY did not change');
    expect(result.method).toBe(method);
    expect(result.vanished).toEqual([...removed].sort((a, b) => a - b));
    expect(result.vanished).toEqual(known.uids.filter((uid) => !server.has(uid)));
    const newUids = [...server.keys()].filter((uid) => uid >= known.uidNext);
    expect(newUids).toHaveLength(2);
    expect(result.added).toEqual(newUids);
    expect(result.status.exists).toBe(server.size);
    // Every flag reported is the server's.
    for (const [uid, state] of result.changed) {
      expect(server.has(uid)).toBe(true);
      expect(sorted(state.flags)).toEqual(sorted(server.get(uid)!));
    }
    // The cache with the answer applied agrees with the server: everywhere
    // where MODSEQ tells what changed, on screen where only the UID list does.
    const local = new Map(flags);
    for (const uid of result.vanished) local.delete(uid);
    for (const [uid, state] of result.changed) local.set(uid, state.flags);
    const shown = new Set(screen);
    for (const [uid, serverFlagsOf] of server) {
      if (method === 'uids' && !shown.has(uid)) continue;
      expect(sorted(local.get(uid) ?? ['(absent)']), `UID ${uid}`).toEqual(sorted(serverFlagsOf));
    }
    if (method === 'uids') {
      expect(result.uids).toEqual([...server.keys()].sort((a, b) => a - b));
    } else {
      // Only what changed came back (the flipped, the two unseen, the two new), not the folder.
      expect(result.changed.size).toBeLessThanOrEqual(flipped.length + 2 + 2);
      expect(result.changed.has(offScreen)).toBe(true);
    }
    // The answer went to the caller, not to the listeners as pushes.
    expect(heard.filter((e) => e.type === 'expunge' || e.type === 'flags')).toEqual([]);

    // The wire is read on Dovecot only.
    if (!expected) return;
    const selects = commands.filter((c) => /^(SELECT|EXAMINE)\b/i.test(c));
    expect(selects).toHaveLength(1);
    const reads = commands.filter((c) => !/^(SELECT|EXAMINE)\b/i.test(c));
    if (method === 'qresync') {
      expect(selects[0]).toMatch(
        new RegExp(`\\(QRESYNC \\(${known.uidValidity} ${known.highestModseq}\\)\\)`),
      );
      expect(reads).toEqual([]);
    } else if (method === 'condstore') {
      expect(reads).toHaveLength(2);
      expect(reads[0]).toMatch(/^UID FETCH 1:\* .*\(CHANGEDSINCE \d+\)/i);
      expect(reads[1]).toMatch(/^UID SEARCH/i);
    } else {
      expect(reads).toHaveLength(2);
      expect(reads[0]).toMatch(/^UID SEARCH/i);
      expect(reads[1]).toMatch(/^UID FETCH/i);
    }
  });

  it('with only flags changed, reads no UID list where MODSEQ is offered', async () => {
    const user = await newTestUser(stack, 'resyncflags');
    await seedMaildir(stack.info(), user.name, 120);
    const { known } = await remember(user, 'INBOX');
    const check = await checkerFor(user);
    const target = known.visible[3]!;
    const lock = await check.getMailboxLock('INBOX');
    try {
      await check.messageFlagsAdd([target], ['\\Answered'], { uid: true });
    } finally {
      lock.release();
    }
    const server = await serverFlags(check, 'INBOX');

    const { result, commands } = await resync(user, 'INBOX', known);
    if (result.uidValidityChanged) throw new Error('UIDVALIDITY did not change');
    expect(result.vanished).toEqual([]);
    expect(result.added).toEqual([]);
    expect(sorted(result.changed.get(target)!.flags)).toEqual(sorted(server.get(target)!));
    if (!expected) return;
    const reads = commands.filter((c) => !/^(SELECT|EXAMINE)\b/i.test(c));
    if (method === 'qresync') expect(reads).toEqual([]);
    if (method === 'condstore') {
      expect(reads).toHaveLength(1);
      expect(reads[0]).toMatch(/CHANGEDSINCE/i);
    }
  });

  it('says when the folder was deleted and made again (UIDVALIDITY changed)', async () => {
    const user = await newTestUser(stack, 'resyncuv');
    const check = await checkerFor(user);
    const message = (n: number) =>
      `From: a@example.test\r\nSubject: Lists ${n}\r\nMessage-ID: <lists-${n}-${Date.now()}@example.test>\r\n\r\nHi.\r\n`;
    await check.mailboxCreate('Lists');
    for (const n of [1, 2, 3]) await check.append('Lists', message(n));
    const { known } = await remember(user, 'Lists');
    await check.mailboxDelete('Lists');
    await check.mailboxCreate('Lists');
    for (const n of [4, 5]) await check.append('Lists', message(n));
    const now = await check.status('Lists', { uidValidity: true, messages: true });
    if (!now) throw new Error('STATUS of Lists failed');
    expect(String(now.uidValidity)).not.toBe(known.uidValidity);

    const { result } = await resync(user, 'Lists', known);
    expect(result.uidValidityChanged).toBe(true);
    expect(result.status.uidValidity).toBe(String(now.uidValidity));
    expect(result.status.exists).toBe(2);
  });
}
