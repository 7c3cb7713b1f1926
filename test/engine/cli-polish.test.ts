/**
 * The command line's manners, run as the built binary against the real
 * Dovecot: global options on either side of the command, clean refusals,
 * and output that is honest about what it did.
 */
import type { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverFlags } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let other: TestUser;
let env: Record<string, string>;
let check: ImapFlow;

beforeAll(async () => {
  user = await newTestUser(stack, 'polish');
  other = await newTestUser(stack, 'polish-other');
  check = await checker(stack.info(), user);
  await seedOverImap(check, 'INBOX', 5, { to: user.email, seed: 5 });
  // The other account is the default: a command only reaches `user` when told to.
  env = testConfigEnv([testAccount(stack.info(), other), testAccount(stack.info(), user)]);
});
afterAll(() => check?.logout());

describe('global options', () => {
  it('go before the command as well as after it, as in git', async () => {
    for (const args of [
      ['--account', user.name, 'list', '--json'],
      [`--account=${user.name}`, 'list', '--json'],
      ['-a', user.name, 'list', '--json'],
      ['list', '--json', '--account', user.name],
      ['--folder', 'INBOX', '--account', user.name, 'list', '--json'],
    ]) {
      const result = await runTmail(args, env);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { total: number }).total).toBe(5);
    }
    const folders = await runTmail(['--account', user.name, 'folders'], env);
    expect(folders.code).toBe(0);
    expect(folders.stdout).toMatch(/^INBOX\s+\d+ unread\s+5 total$/m);
  });
});

describe('flag names', () => {
  it('refuse a word that is not a flag, and set a keyword only in its explicit form', async () => {
    const refused = await runTmail(['flag', '1', '--set', 'bogusflag', '-a', user.name], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'tmail: --set: "bogusflag" is not a known flag (seen, answered, flagged, deleted, draft); give a keyword as keyword:bogusflag or $bogusflag\n',
    );
    expect((await serverFlags(check, 'INBOX')).get(1)).not.toContain('bogusflag');
    const set = await runTmail(['flag', '1', '--set', 'keyword:Project', '-a', user.name], env);
    expect(set.code).toBe(0);
    expect((await serverFlags(check, 'INBOX')).get(1)).toContain('Project');
  });
});

describe('server words', () => {
  it("reach the user without Dovecot's timing tail, which stays in the log", async () => {
    const result = await runTmail(['list', 'Nope', '-a', user.name], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "tmail: The IMAP server refused to open the folder Nope: Mailbox doesn't exist: Nope.\n",
    );
    expect(readFileSync(env.TMAIL_LOG_FILE!, 'utf8')).toMatch(/Nope \(\d\.\d+ \+ \d\.\d+ secs\)/);
  });
});
