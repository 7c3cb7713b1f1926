/**
 * `tmail list --sort` on a server without SORT (a Dovecot with SORT and ESORT
 * cut from its capabilities): the page is taken by arrival and sorted here,
 * and a notice on stderr says so; with SORT the server sorts and nothing is said.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

interface Page {
  total: number;
  messages: Array<{ uid: number; from: { name: string; address: string } | null; size: number }>;
}

const senderKey = (m: Page['messages'][number]) =>
  (m.from?.name || m.from?.address || '').toLowerCase();

let noSort: MailStack;
let env: Record<string, string>;
let withSortEnv: Record<string, string>;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  noSort = await startMailStack({ withoutCapabilities: ['SORT', 'ESORT', 'SORT=DISPLAY'] });
  const user = await newTestUser(noSort, 'nosort');
  const check = await checker(noSort.info(), user);
  clients.push(check);
  expect(check.capabilities.has('SORT')).toBe(false);
  await seedOverImap(check, 'INBOX', 12, { to: user.email, seed: 11 });
  env = testConfigEnv([testAccount(noSort.info(), user)]);

  const shared = sharedMailStack();
  const sortUser = await newTestUser(shared, 'withsort');
  const sortCheck = await checker(shared.info(), sortUser);
  clients.push(sortCheck);
  await seedOverImap(sortCheck, 'INBOX', 12, { to: sortUser.email, seed: 11 });
  withSortEnv = testConfigEnv([testAccount(shared.info(), sortUser)]);
});

afterAll(async () => {
  for (const client of clients) await client.logout().catch(() => {});
  await noSort?.stop();
});

describe('list --sort on a server without SORT', () => {
  it('sorts the newest page here and says so on stderr', async () => {
    const result = await runTmail(['list', '--sort', 'from', '--limit', '4', '--json'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'tmail: This server cannot sort, so the 4 newest messages are sorted here by sender.\n',
    );
    const page = JSON.parse(result.stdout) as Page;
    expect(page.messages.map((m) => m.uid).sort((a, b) => a - b)).toEqual([9, 10, 11, 12]);
    const keys = page.messages.map(senderKey);
    expect(keys).toEqual([...keys].sort());
  });

  it('sorts a later page by the key too, largest first for size', async () => {
    const result = await runTmail(
      ['list', '--sort', 'size', '--limit', '4', '--page', '2', '--json'],
      env,
    );
    expect(result.stderr).toBe(
      'tmail: This server cannot sort, so messages 5 to 8 by arrival (newest first) are sorted here by size.\n',
    );
    const page = JSON.parse(result.stdout) as Page;
    expect(page.messages.map((m) => m.uid).sort((a, b) => a - b)).toEqual([5, 6, 7, 8]);
    const sizes = page.messages.map((m) => m.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('says nothing when the page holds the whole folder, which is then sorted exactly', async () => {
    const result = await runTmail(['list', '--sort', 'from', '--reverse', '--json'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const page = JSON.parse(result.stdout) as Page;
    expect(page.messages).toHaveLength(12);
    const keys = page.messages.map(senderKey);
    expect(keys).toEqual([...keys].sort().reverse());
  });
});

describe('list --sort on a server with SORT', () => {
  it('lets the server sort, without a notice', async () => {
    const result = await runTmail(
      ['list', '--sort', 'size', '--limit', '4', '--json'],
      withSortEnv,
    );
    expect(result.stderr).toBe('');
    const page = JSON.parse(result.stdout) as Page;
    const sizes = page.messages.map((m) => m.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });
});
