/**
 * The engine's search across folders (the reader's `:search -a`), against the
 * real Dovecot with a local cache: hits from two folders, newest first, each
 * naming its folder, exactly what the server's own SEARCH finds, including a
 * message that arrived after the cache was filled (found by the server); and
 * the folder open before the search is still the one the engine works in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { FLAGGED } from '../../src/core/types.js';
import { cachedTestEngine, checker, serverFlags } from '../support/engine.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
let user: TestUser;
let check: ImapFlow;
let engine: MailEngine;
let n = 0;

async function append(folder: string, subject: string): Promise<void> {
  n += 1;
  const date = new Date(Date.UTC(2026, 4, n, 9));
  const raw = [
    'From: Grace Hopper <grace@navy.example>',
    'To: someone@example.test',
    `Subject: ${subject}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <engine-search-${n}@example.test>`,
    '',
    'Body.',
    '',
  ].join('\r\n');
  await check.append(folder, Buffer.from(raw), [], date);
}

/** What the server's own SEARCH finds in every folder, newest (Date) first. */
async function serverAnswer(subject: string): Promise<Array<[string, string]>> {
  const rows: Array<[string, string, number]> = [];
  for (const folder of await check.list()) {
    const lock = await check.getMailboxLock(folder.path);
    try {
      const uids = (await check.search({ subject }, { uid: true })) || [];
      if (!uids.length) continue;
      for await (const m of check.fetch(uids, { uid: true, envelope: true }, { uid: true }))
        rows.push([folder.path, m.envelope?.subject ?? '', new Date(m.envelope!.date!).getTime()]);
    } finally {
      lock.release();
    }
  }
  return rows.sort((a, b) => b[2] - a[2]).map(([path, s]) => [path, s]);
}

beforeAll(async () => {
  user = await newTestUser(stack, 'enginesearch');
  check = await checker(stack.info(), user);
  await check.mailboxCreate('Work');
  await append('INBOX', 'Budget draft');
  await append('Work', 'Budget for the office');
  await append('INBOX', 'Lunch on Friday');
  await append('Work', 'Budget agreed');
  const dir = mkdtempSync(join(tmpdir(), 'tmail-search-'));
  engine = cachedTestEngine(stack.info(), user, dir);
  await engine.start({ retry: true });
  await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
  // Both folders seen whole once: the cache holds every envelope of them.
  for (const path of ['Work', 'INBOX']) {
    await engine.request({ type: 'open-folder', path, rows: 50 });
    await engine.request({ type: 'viewport', first: 0, last: 49, margin: 0 });
    await engine.idle();
  }
});
afterAll(async () => {
  await engine?.close();
  await check?.logout();
});

it('returns hits from both folders, newest first, a message new since the cache among them', async () => {
  // Arrived after the cache was filled: only the server knows it.
  await append('Work', 'Budget addendum');
  const result = await engine.request({
    type: 'search-all',
    query: { subject: 'budget' },
    limit: 50,
  });
  const expected = await serverAnswer('budget');
  expect(expected).toEqual([
    ['Work', 'Budget addendum'],
    ['Work', 'Budget agreed'],
    ['Work', 'Budget for the office'],
    ['INBOX', 'Budget draft'],
  ]);
  expect(result.hits.map((h) => [h.path, h.envelope.subject])).toEqual(expected);
  expect(result).toMatchObject({ more: false, fromCache: null, unsearched: [] });
  // Both folders answered by the cache, the server asked only about newer messages
  // (the account's other folders, never opened, were searched whole on the server).
  expect(result.searched.newerFolders).toBe(2);

  // INBOX is still the folder the engine works in: a flag set now lands there.
  expect(engine.state.view?.path).toBe('INBOX');
  const lunch = [...engine.state.view!.envelopes.values()].find(
    (e) => e.subject === 'Lunch on Friday',
  )!;
  await engine.request({ type: 'set-flags', uids: [lunch.uid], add: [FLAGGED] });
  expect((await serverFlags(check, 'INBOX')).get(lunch.uid)).toContain(FLAGGED);
});

it('says when more match than the limit, keeping the newest', async () => {
  const result = await engine.request({
    type: 'search-all',
    query: { subject: 'budget' },
    limit: 2,
  });
  expect(result.hits.map((h) => h.envelope.subject)).toEqual(['Budget addendum', 'Budget agreed']);
  expect(result.more).toBe(true);
});
