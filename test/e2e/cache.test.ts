/**
 * The local cache, with the built tmail in tmux against Dovecot: a second
 * start shows the cached list while the server's greeting is still held back
 * by a proxy (test/support/fault-proxy.ts, frozen), and brings it up to date
 * once the server answers; with the server out of reach the reader opens on
 * the cached list and a message read before, and `tmail list` and `tmail
 * read` answer from the cache; a flag, a read mark and a move made offline
 * reach the server exactly once when it is back (the proxy closed, then
 * started again on its port), with a `tmail list` logging in at the same time
 * and a restart after; a store file that is cut off or garbage is rebuilt.
 * What the server holds is changed and checked through a second connection.
 */
import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { runTmail } from '../support/cli.js';
import { checker, serverFlags, serverMessageIds } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { seedOverImap, type SeedMessage } from '../support/seed.js';
import { sharedMailStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import type { TmuxSession } from '../support/tmux.js';
import { e2eAccount, launch, logText, requireBuild, type E2eAccount } from './setup.js';

const stack = sharedMailStack();
const terms: TmuxSession[] = [];
const clients: ImapFlow[] = [];
const proxies: FaultProxy[] = [];

beforeAll(() => requireBuild());
afterEach(async () => {
  for (const term of terms.splice(0)) term.kill();
  for (const client of clients.splice(0)) await client.logout().catch(() => {});
});
afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
});

interface Fixture {
  setup: E2eAccount;
  proxy: FaultProxy;
  client: ImapFlow;
  seeded: SeedMessage[];
}

/** A user with `count` messages whose account reaches Dovecot through a proxy of its own. */
async function fixture(prefix: string, count: number): Promise<Fixture> {
  const proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
  proxies.push(proxy);
  const setup = await e2eAccount(
    stack,
    prefix,
    {},
    { imap: { host: proxy.host, port: proxy.port, security: 'plain' } },
  );
  const client = await checker(stack.info(), setup.user);
  clients.push(client);
  const seeded = await seedOverImap(client, 'INBOX', count, {
    to: setup.user.email,
    attachmentShare: 0,
  });
  return { setup, proxy, client, seeded };
}

async function start(f: Fixture, env: Record<string, string> = {}): Promise<TmuxSession> {
  const term = await launch(f.setup, { env: { ...cliEnv(f), ...env } });
  terms.push(term);
  onTestFailed(() => {
    process.stdout.write(
      `\nLast screen:\n${term.screen}\nLog:\n${logText(f.setup).slice(-3000)}\n`,
    );
  });
  return term;
}

const short = (m: SeedMessage) => m.subject.slice(0, 18);

/** The store file the reader keeps for the account (the test's own cache directory). */
function storeFile(f: Fixture): string {
  return join(f.setup.stateDir, 'cache/mail', `${f.setup.account.name}.sqlite3`);
}

/** A first session: the list seen and the newest message read; then quit. */
async function firstSession(f: Fixture): Promise<void> {
  const newest = f.seeded.at(-1)!;
  const term = await start(f);
  await term.waitFor((s) => s.includes(short(newest)) && s.includes('online'));
  await term.press('<Enter>');
  await term.waitFor((s) => s.includes(newest.text.slice(0, 20)));
  await term.press('q');
  await term.press('q');
  expect(await term.exited()).toBe(0);
  expect(existsSync(storeFile(f))).toBe(true);
}

/** Environment for `tmail` commands on the fixture's account. */
function cliEnv(f: Fixture): Record<string, string> {
  return {
    TMAIL_CONFIG_DIR: f.setup.configDir,
    TMAIL_STATE_DIR: f.setup.stateDir,
    TMAIL_LOG_FILE: f.setup.logFile,
    TMAIL_CACHE_DIR: join(f.setup.stateDir, 'cache'),
    HOME: f.setup.stateDir,
  };
}

describe('the local cache in a terminal', () => {
  it('a second start shows the cached list before the server greets, then updates it', async () => {
    const f = await fixture('cachee2e', 12);
    await firstSession(f);
    // Meanwhile: the newest message goes, a new one arrives.
    const gone = f.seeded.at(-1)!;
    await f.client.mailboxOpen('INBOX');
    const uids = (await f.client.search({ all: true }, { uid: true })) as number[];
    await f.client.messageDelete([Math.max(...uids)], { uid: true });
    await f.client.append(
      'INBOX',
      `From: Late <late@example.test>\r\nTo: ${f.setup.user.email}\r\nSubject: Arrived meanwhile\r\n\r\nHi.\r\n`,
    );

    f.proxy.freeze(); // Dovecot's greeting is held back: tmail cannot log in
    const marks = join(f.setup.stateDir, 'marks.jsonl');
    const term = await start(f, { TMAIL_BENCH_MARKS: marks });
    const cached = await term.waitFor(
      (s) => s.includes(short(f.seeded[0]!)) && s.includes(short(gone)) && /cached/.test(s),
    );
    expect(cached).toContain('connecting');
    expect(cached).not.toContain('Arrived meanwhile');
    expect(cached).toContain('Trash'); // the sidebar, from the cache too
    // The rows were on screen before the UI's first frame: drawn before React and Ink loaded.
    // (Each mark is written a turn after its frame: wait for the UI's.)
    const written = await waitFor(() => {
      const all = readFileSync(marks, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { mark: string; ms: number; early?: boolean });
      return all.some((m) => m.mark === 'first-frame') ? all : undefined;
    });
    const list = written.find((m) => m.mark === 'first-list-frame');
    const frame = written.find((m) => m.mark === 'first-frame');
    expect(list?.early).toBe(true);
    expect(list!.ms).toBeLessThan(frame!.ms);

    f.proxy.thaw();
    const current = await term.waitFor(
      (s) => s.includes('Arrived meanwhile') && !s.includes(short(gone)) && s.includes('online'),
    );
    expect(current).not.toMatch(/cached/);
  });

  it('offline, opens the cached list and a message read before; list and read answer from the cache', async () => {
    const f = await fixture('cacheoffe2e', 6);
    await firstSession(f);
    await f.proxy.close(); // nothing listens there now
    const newest = f.seeded.at(-1)!;

    const term = await start(f);
    await term.waitFor((s) => s.includes(short(newest)) && /offline/.test(s));
    await term.press('<Enter>');
    await term.waitFor((s) => s.includes(newest.text.slice(0, 20)));
    await term.press('q');
    await term.press('q');
    expect(await term.exited()).toBe(0);

    const list = await runTmail(['list', '--json'], cliEnv(f));
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { messages: Array<{ uid: number; subject: string }> };
    expect(listed.messages.map((m) => m.subject)).toContain(newest.subject);
    expect(list.stderr.trim().split('\n')).toHaveLength(1);
    expect(list.stderr).toMatch(/from the local cache as of \d{4}-\d\d-\d\d \d\d:\d\d/);

    const uid = listed.messages.find((m) => m.subject === newest.subject)!.uid;
    const read = await runTmail(['read', String(uid)], cliEnv(f));
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(newest.text.slice(0, 20));
    expect(read.stderr).toMatch(/from the local cache/);

    const other = listed.messages.find((m) => m.uid !== uid)!.uid;
    const missing = await runTmail(['read', String(other)], cliEnv(f));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/not in the local cache/);
  });

  it('a flag, a read mark and a move made offline reach the server exactly once, with two processes and a restart', async () => {
    const f = await fixture('replaye2e', 6);
    await f.client.mailboxOpen('INBOX');
    await f.client.messageFlagsSet('1:*', [], { uid: true });
    // The list shows the newest first: the rows acted on, top to bottom.
    const [flagged, read, moved] = [...f.seeded].reverse();
    const uidOf = async (m: SeedMessage) =>
      [...(await serverMessageIds(f.client, 'INBOX')).entries()].find(
        ([, id]) => id === m.messageId,
      )![0];
    const uids = {
      flagged: await uidOf(flagged!),
      read: await uidOf(read!),
      moved: await uidOf(moved!),
    };
    const copies = async (folder: string, m: SeedMessage) =>
      [...(await serverMessageIds(f.client, folder)).values()].filter((id) => id === m.messageId)
        .length;

    const term = await start(f);
    await term.waitFor(
      (s) => s.includes('6 messages') && s.includes('Archive') && /\sonline$/m.test(s),
    );
    // The server goes away: tmail notices and says it is offline.
    await f.proxy.close();
    await term.waitFor((s) => /\soffline\b/.test(s));

    await term.command('list', 'mail.toggle-flagged');
    await term.command('list', 'list.next');
    await term.command('list', 'mail.toggle-read');
    await term.command('list', 'list.next');
    await term.command('list', 'mail.move');
    await term.see('to:');
    await term.type('Archive');
    await term.press('<Enter>');
    await term.waitFor((s) => s.includes('3 queued') && s.includes('5 messages'));
    // Nothing reached the server yet.
    expect((await serverFlags(f.client, 'INBOX')).get(uids.flagged)).not.toContain('\\Flagged');

    // The server is back on the same port; while the reader reconnects, a script starts too.
    const back = await startFaultProxy(
      { host: stack.host, port: stack.ports.imap },
      { port: f.proxy.port },
    );
    proxies.push(back);
    // Both log in at once: the greeting is held back until both have connected.
    back.freeze();
    await term.command('global', 'global.refresh');
    const listing = runTmail(['list', '--json'], cliEnv(f));
    await waitFor(() => back.connections >= 2, { what: 'both processes to connect' });
    back.thaw();
    await term.waitFor((s) => /\sonline$/m.test(s) && !s.includes('queued'));
    const list = await listing;
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).not.toMatch(/local cache/);

    // What the server holds: exactly the result, once.
    const flags = await serverFlags(f.client, 'INBOX');
    expect(flags.get(uids.flagged)).toContain('\\Flagged');
    expect(flags.get(uids.read)).toContain('\\Seen');
    expect(flags.has(uids.moved)).toBe(false);
    expect([...flags.values()].filter((x) => x.includes('\\Flagged'))).toHaveLength(1);
    expect(await copies('Archive', moved!)).toBe(1);
    expect(await copies('INBOX', moved!)).toBe(0);
    // And sent once, by one of the two processes: every command both sent went through the proxies.
    // A replay that finds its move's message gone looks for it in the target by
    // Message-ID: done once, that never happens; a second replay of the same move would.
    const changes = () =>
      [...f.proxy.sent, ...back.sent].filter((line) =>
        /^\S+ UID (STORE|MOVE|COPY|EXPUNGE)\b|HEADER MESSAGE-ID/i.test(line),
      );
    const sentOnce = changes();
    expect(sentOnce.filter((l) => /STORE .*\\Flagged/i.test(l))).toHaveLength(1);
    expect(sentOnce.filter((l) => /STORE .*\\Seen/i.test(l))).toHaveLength(1);
    expect(sentOnce.filter((l) => /^\S+ UID (MOVE|COPY) /i.test(l))).toHaveLength(1);
    expect(sentOnce.filter((l) => /HEADER MESSAGE-ID/i.test(l))).toEqual([]);

    // Quit and start again: nothing is replayed a second time.
    await term.press('q');
    expect(await term.exited()).toBe(0);
    const again = await start(f);
    await again.waitFor((s) => s.includes(short(flagged!)) && /\sonline$/m.test(s));
    await again.press('q');
    expect(await again.exited()).toBe(0);
    expect(changes()).toEqual(sentOnce);
    expect(await copies('Archive', moved!)).toBe(1);
    expect((await serverFlags(f.client, 'INBOX')).has(uids.moved)).toBe(false);
  });

  it.each(['truncated', 'garbage'])('a %s store file is rebuilt', async (damage) => {
    const f = await fixture(`cachebad${damage.slice(0, 3)}`, 5);
    await firstSession(f);
    const file = storeFile(f);
    if (damage === 'truncated') truncateSync(file, 1000);
    else writeFileSync(file, Buffer.alloc(64 * 1024, 0x5a));
    for (const extra of readdirSync(join(file, '..')))
      if (extra.endsWith('-wal') || extra.endsWith('-shm'))
        truncateSync(join(file, '..', extra), 0);

    const newest = f.seeded.at(-1)!;
    const term = await start(f);
    await term.waitFor((s) => s.includes(short(newest)) && s.includes('online'));
    await term.press('q');
    expect(await term.exited()).toBe(0);
    expect(readFileSync(file).subarray(0, 15).toString()).toBe('SQLite format 3');
    // Rebuilt from the server: it answers offline again.
    await f.proxy.close();
    const list = await runTmail(['list', '--json'], cliEnv(f));
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(newest.subject);
  });
});
