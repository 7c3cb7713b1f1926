/**
 * A 100,000-message INBOX: `tmail list --limit 50` returns the newest 50 with
 * the right subjects, and what it asks of the server is the window, not the
 * folder. Measured twice: the engine's own count of envelopes fetched, and
 * Dovecot's count of bytes it sent in that session.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { sessionTraffic } from '../support/dovecot-log.js';
import { generateMessage, seedMaildir } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const SIZE = 100_000;
const stack = sharedMailStack();
let user: TestUser;
let env: Record<string, string>;

beforeAll(async () => {
  user = await newTestUser(stack, 'huge');
  await seedMaildir(stack.info(), user.name, SIZE);
  env = testConfigEnv([testAccount(stack.info(), user)]);
}, 600_000);

describe(`a ${SIZE.toLocaleString('en')}-message folder`, () => {
  it('lists the newest 50 fetching 50 envelopes, not the folder', async () => {
    const statsFile = join(mkdtempSync(join(tmpdir(), 'tmail-stats-')), 'stats.json');
    const result = await runTmail(['list', 'INBOX', '--limit', '50', '--json'], {
      ...env,
      TMAIL_STATS_FILE: statsFile,
    });
    expect(result.stderr).toBe('');
    const page = JSON.parse(result.stdout) as {
      total: number;
      messages: Array<{ uid: number; subject: string }>;
    };
    expect(page.total).toBe(SIZE);
    const expected = Array.from(
      { length: 50 },
      (_, i) => generateMessage(SIZE - 1 - i, SIZE, { to: user.email }).subject,
    );
    expect(page.messages.map((m) => m.subject)).toEqual(expected);
    expect(page.messages[0]!.uid).toBe(SIZE);

    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { envelopesFetched: number };
    expect(stats.envelopesFetched).toBe(50);

    // Dovecot's own account of the session: a few tens of kilobytes, where
    // every envelope of the folder would be tens of megabytes.
    const sessions = await waitFor(
      () => {
        const list = sessionTraffic(stack.info(), user.name);
        return list.length ? list : undefined;
      },
      { what: 'the logout line' },
    );
    const last = sessions.at(-1)!;
    expect(last.out).toBeLessThan(200_000);
    expect(last.bodyCount).toBe(0);
    console.info(
      `tmail list --limit 50 on ${SIZE} messages: ${stats.envelopesFetched} envelopes, server sent ${last.out} bytes`,
    );
  });
});
