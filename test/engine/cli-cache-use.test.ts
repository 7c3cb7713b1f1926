/**
 * Which mail commands open the local cache: list, read and search answer from
 * it and fill it, so they make the store; the others never read it, so they
 * make none (nor load its native module) for an account without one, and
 * open an existing one only to keep it in step with what they change (a flag
 * set, a message moved away). Run as the built binary
 * against the test Dovecot; the store is read back with the cache's own code.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccountCache } from '../../src/core/cache/index.js';
import { FLAGGED } from '../../src/core/types.js';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverFlags } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let env: Record<string, string>;
let check: ImapFlow;

beforeAll(async () => {
  user = await newTestUser(stack, 'cacheuse');
  check = await checker(stack.info(), user);
  await seedOverImap(check, 'INBOX', 5, { to: user.email, seed: 4 });
  await check.mailboxOpen('INBOX');
  await check.messageFlagsSet('1:*', [], { uid: true });
  env = testConfigEnv([testAccount(stack.info(), user)]);
});
afterAll(() => check?.logout());

const storeDir = () => join(env.TMAIL_CACHE_DIR!, 'mail');
const store = () => join(storeDir(), `${user.name}.sqlite3`);
const storeFiles = () => (existsSync(storeDir()) ? readdirSync(storeDir()) : []);

/** The UIDs of INBOX the store holds. */
function cachedUids(): number[] {
  const cache = openAccountCache(user.name, { file: store() });
  try {
    return cache.uids('INBOX');
  } finally {
    cache.close();
  }
}

/** The cached flags of a message of INBOX (undefined when the cache lacks it). */
function cachedFlags(uid: number): readonly string[] | undefined {
  const cache = openAccountCache(user.name, { file: store() });
  try {
    return cache.envelopes('INBOX', [uid])[0]?.flags;
  } finally {
    cache.close();
  }
}

describe('the local cache and the mail commands', () => {
  it('folders, flag and move make no store for an account without one', async () => {
    const ok = async (args: string[]) => {
      const result = await runTmail(args, env);
      expect(result.code, result.stderr).toBe(0);
    };
    await ok(['folders']);
    await ok(['flag', '1', '--set', 'flagged']);
    await ok(['move', '2', '--to', 'Archive']);
    expect(storeFiles()).toEqual([]);
    expect((await serverFlags(check, 'INBOX')).get(1)).toContain(FLAGGED);
  });

  it('list makes the store, and flag and move keep an existing one in step', async () => {
    const list = await runTmail(['list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(existsSync(store())).toBe(true);
    expect(cachedUids()).toContain(3);
    expect(cachedFlags(4)).toEqual([]);

    const flag = await runTmail(['flag', '4', '--set', 'flagged'], env);
    expect(flag.code, flag.stderr).toBe(0);
    expect(cachedFlags(4)).toEqual([FLAGGED]);

    const move = await runTmail(['move', '3', '--to', 'Archive'], env);
    expect(move.code, move.stderr).toBe(0);
    expect(cachedUids()).not.toContain(3);
  });
});
