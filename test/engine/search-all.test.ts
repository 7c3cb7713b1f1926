/**
 * `tmail search QUERY --all-folders` as the built binary, against every real
 * server: results from every folder, newest first, each naming its folder,
 * exactly the messages the server's own SEARCH finds in each folder; with a
 * warm cache the server is asked only about messages newer than it; a folder
 * rebuilt on the server (new UIDVALIDITY) is searched again whole; and with
 * the server gone the cache answers, exit 0, with one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openAccountCache } from '../../src/core/cache/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { testAccount, testConfigEnv, testCredentials } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker } from '../support/engine.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

interface Row {
  folder: string;
  uid: number;
  subject: string;
  date: string;
}

function message(subject: string, body: string, n: number): Buffer {
  return Buffer.from(
    [
      'From: Ada Lovelace <ada@analytical.example>',
      'To: someone@example.test',
      `Subject: ${subject}`,
      `Date: ${new Date(Date.UTC(2026, 2, n, 9)).toUTCString()}`,
      `Message-ID: <search-all-${n}@example.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/**
 * A plain byte pipe in front of the server, so that closing it makes the same
 * host and port unreachable (the cache stays the same account's).
 */
async function startPipe(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

forEachServer((stack) => {
  let user: TestUser;
  let check: ImapFlow;
  let proxy: Awaited<ReturnType<typeof startPipe>>;
  let account: AccountConfig;
  let env: Record<string, string>;
  let projects: string;
  let n = 0;

  const append = async (folder: string, subject: string, body: string) => {
    n += 1;
    await check.append(folder, message(subject, body, n), [], new Date(Date.UTC(2026, 2, n, 9)));
  };

  /** A server's folder as tmail names it: `/` between folders, no namespace prefix (docs/cli.md). */
  const shown = (path: string): string => {
    const prefix = check.namespace?.prefix ?? '';
    const delimiter = check.namespace?.delimiter || '/';
    const rest = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
    return rest.split(delimiter).join('/');
  };

  /** What the server's own SEARCH finds in every folder, newest (Date) first. */
  const serverAnswer = async (criteria: Record<string, unknown>): Promise<Row[]> => {
    const rows: Row[] = [];
    for (const folder of await check.list()) {
      if (folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) continue;
      const lock = await check.getMailboxLock(folder.path);
      try {
        const uids = (await check.search(criteria, { uid: true })) || [];
        if (!uids.length) continue;
        for await (const m of check.fetch(uids, { uid: true, envelope: true }, { uid: true })) {
          rows.push({
            folder: shown(folder.path),
            uid: m.uid,
            subject: m.envelope?.subject ?? '',
            date: new Date(m.envelope?.date ?? 0).toISOString(),
          });
        }
      } finally {
        lock.release();
      }
    }
    return rows.sort((a, b) => b.date.localeCompare(a.date));
  };

  const search = async (query: string, extra: string[] = []) => {
    const statsFile = join(env.TMAIL_STATE_DIR!, 'stats.json');
    const result = await runTmail(['search', query, '--all-folders', '--json', ...extra], {
      ...env,
      TMAIL_STATS_FILE: statsFile,
    });
    let stats: Record<string, number> = {};
    try {
      stats = JSON.parse(readFileSync(statsFile, 'utf8')) as Record<string, number>;
    } catch {
      // No stats: the command failed before it wrote them.
    }
    const rows =
      result.code === 0 && result.stdout
        ? (JSON.parse(result.stdout) as { messages: Row[]; source: string }).messages.map((m) => ({
            folder: m.folder,
            uid: m.uid,
            subject: m.subject,
            date: m.date,
          }))
        : [];
    return { ...result, rows, stats };
  };

  beforeAll(async () => {
    user = await newTestUser(stack, 'searchall');
    check = await checker(stack.info(), user);
    const info = stack.info();
    proxy = await startPipe({ host: info.host, port: info.ports.imap });
    account = testAccount(info, user, {
      imap: { host: proxy.host, port: proxy.port, security: 'plain' },
    });
    env = testConfigEnv([account]);
    const delimiter = (await check.list()).find((f) => f.path !== 'INBOX')?.delimiter ?? '/';
    // Courier keeps every folder under INBOX.
    const inboxChild = (await check.list()).some((f) => f.path.startsWith(`INBOX${delimiter}`));
    projects = inboxChild ? `INBOX${delimiter}Projects` : 'Projects';
    await check.mailboxCreate(projects);
    await append('INBOX', 'Budget review', 'Numbers for the year.');
    await append('INBOX', 'Lunch plans', 'Pizza on Friday, budget permitting.');
    await append(projects, 'Budget for the new office', 'Desks and chairs.');
    await append(projects, 'Kickoff', 'The budget is agreed.');
    await append('INBOX', 'Budget final', 'Signed.');
  });
  afterAll(async () => {
    await check?.logout();
    await proxy?.close().catch(() => {});
  });

  it('finds what every folder holds, newest first, each result naming its folder', async () => {
    const result = await search('subject:budget');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = await serverAnswer({ subject: 'budget' });
    expect(expected.map((r) => r.folder)).toEqual(['INBOX', 'Projects', 'INBOX']);
    expect(result.rows).toEqual(expected);
    // Words of the body too, by the server's SEARCH where bodies are not cached.
    const body = await search('budget');
    expect(body.rows).toEqual(await serverAnswer({ text: 'budget' }));
    expect(body.rows.map((r) => r.subject)).toContain('Kickoff');
  });

  it('asks the server only about messages newer than a warm cache', async () => {
    // Fill the cache as the folder sync does: folder state and every envelope.
    const cache = openAccountCache(account, {
      file: join(env.TMAIL_CACHE_DIR!, 'mail', `${account.name}.sqlite3`),
    });
    const backend = new ImapBackend({ account, credentials: testCredentials(user) });
    await backend.connect();
    for (const folder of await backend.listFolders({ counts: false })) {
      if (!folder.selectable) continue;
      const status = await backend.select(folder.path);
      const envelopes = status.exists
        ? await backend.fetchEnvelopes({ seqFrom: 1, seqTo: status.exists })
        : [];
      cache.applyFolderState({
        path: folder.path,
        uidValidity: status.uidValidity,
        uidNext: status.uidNext,
        total: status.exists,
      });
      cache.applyEnvelopes({ path: folder.path, uidValidity: status.uidValidity }, envelopes);
    }
    await backend.logout();
    cache.close();

    await append(projects, 'Budget addendum', 'One more desk.');
    const result = await search('subject:budget');
    expect(result.code).toBe(0);
    expect(result.rows).toEqual(await serverAnswer({ subject: 'budget' }));
    expect(result.rows[0]!.subject).toBe('Budget addendum');
    // Every folder came from the cache; the server gave only the one new message.
    expect(result.stats.wholeFolders).toBe(0);
    expect(result.stats.newerFolders).toBeGreaterThanOrEqual(2);
    expect(result.stats.envelopesFetched).toBe(1);
  });

  it('searches a folder rebuilt on the server again whole', async () => {
    // The cache believes INBOX has another UIDVALIDITY: its rows name other messages.
    const file = join(env.TMAIL_CACHE_DIR!, 'mail', `${account.name}.sqlite3`);
    const cache = openAccountCache(account, { file });
    const inbox = cache.folderState('INBOX')!;
    cache.applyFolderState({ ...inbox, uidValidity: '1' });
    cache.applyEnvelopes({ path: 'INBOX', uidValidity: '1' }, [
      {
        uid: 1,
        subject: 'Budget of another life',
        from: [],
        to: [],
        cc: [],
        replyTo: [],
        date: Date.UTC(2026, 2, 28),
        arrival: Date.UTC(2026, 2, 28),
        messageId: '',
        inReplyTo: '',
        flags: [],
        size: 1,
        hasAttachments: false,
      },
    ]);
    cache.applyFolderState({ path: 'INBOX', uidValidity: '1', uidNext: 2, total: 1 });
    cache.close();
    const result = await search('subject:budget');
    expect(result.rows).toEqual(await serverAnswer({ subject: 'budget' }));
    expect(result.rows.map((r) => r.subject)).not.toContain('Budget of another life');
    expect(result.stats.wholeFolders).toBe(1);
  });

  it('answers from the cache alone when the server cannot be reached', async () => {
    const online = await serverAnswer({ subject: 'budget' });
    await proxy.close();
    const result = await search('subject:budget');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^tmail: .*; these answers are from the local cache as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}\.\n$/,
    );
    expect(result.rows).toEqual(online);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'cache' });
  });
});
