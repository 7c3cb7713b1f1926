/**
 * A mistyped password (password source `prompt`) is asked for again, in the
 * reader and in the CLI, against the test Dovecot: the second, right one
 * opens INBOX; three wrong ones end in one sentence, and in the reader Ctrl-l
 * asks again instead of sending the same wrong password. Neither password
 * reaches the log.
 */
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { e2eAccount, launch, logText, requireBuild, type E2eAccount } from './setup.js';

const stack = sharedMailStack();
const WRONG = 'Wr0ng-typed-pw';
const open: TmuxSession[] = [];

beforeAll(() => requireBuild());
afterEach(() => {
  for (const term of open.splice(0)) term.kill();
});

/** A user with three messages in INBOX whose account asks for its password at each run. */
async function promptAccount(prefix: string): Promise<E2eAccount> {
  const setup = await e2eAccount(stack, prefix, {}, { password: { type: 'prompt' } });
  const client = await checker(stack.info(), setup.user);
  await seedOverImap(client, 'INBOX', 3, { to: setup.user.email, attachmentShare: 0 });
  await client.logout();
  return setup;
}

async function start(setup: E2eAccount, args: string[] = []): Promise<TmuxSession> {
  const term = await launch(setup, { args });
  open.push(term);
  onTestFailed(() => {
    process.stdout.write(`\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`);
  });
  return term;
}

function expectNoPasswordLogged(setup: E2eAccount): void {
  const log = logText(setup);
  expect(log).not.toContain(WRONG);
  expect(log).not.toContain(setup.user.password);
}

describe('a mistyped prompt password', () => {
  it('is asked for again in the reader, and the right one opens INBOX', async () => {
    const setup = await promptAccount('pwretry');
    const term = await start(setup);
    await term.see(`Password for ${setup.user.email}`);
    await term.type(WRONG);
    await term.press('<Enter>');
    await term.see('Password refused, try 2 of 3: password for');
    await term.type(setup.user.password);
    await term.press('<Enter>');
    const screen = await term.waitFor((s) => s.includes('3 messages') && s.includes('online'));
    expect(screen).not.toContain(WRONG);
    expect(screen).not.toContain(setup.user.password);
    expectNoPasswordLogged(setup);
  });

  it('after three refusals says so, and Ctrl-l asks again instead of resending it', async () => {
    const setup = await promptAccount('pwthree');
    const term = await start(setup);
    for (const question of ['Password for', 'try 2 of 3', 'try 3 of 3']) {
      await term.see(question);
      await term.type(WRONG);
      await term.press('<Enter>');
      await term.gone(question);
    }
    await term.see('offline');
    await term.command('global', 'global.refresh');
    await term.see(`Password for ${setup.user.email}`);
    await term.type(setup.user.password);
    await term.press('<Enter>');
    await term.waitFor((s) => s.includes('3 messages') && s.includes('online'));
    expectNoPasswordLogged(setup);
  });

  it('is asked for again by the CLI on a terminal; three refusals exit 1 with one sentence', async () => {
    const setup = await promptAccount('pwcli');
    const term = await start(setup, ['list']);
    await term.see(`Password for ${setup.user.email}`);
    await term.type(WRONG);
    await term.press('<Enter>');
    await term.see('try 2 of 3');
    await term.type(setup.user.password);
    await term.press('<Enter>');
    expect(await term.exited()).toBe(0);
    expect(await term.capture()).toMatch(/^ +3 .*\n +2 .*\n +1 /m);

    const again = await start(setup, ['list']);
    for (const question of ['Password for', 'try 2 of 3', 'try 3 of 3']) {
      await again.see(question);
      await again.type(WRONG);
      await again.press('<Enter>');
    }
    expect(await again.exited()).toBe(1);
    // The sentence as printed, without the terminal's line wrapping.
    const screen = (await again.capture()).replace(/\n/g, '');
    expect(screen).toContain(
      `refused the password of account ${setup.account.name} 3 times; check the user name and password, then try again`,
    );
    expectNoPasswordLogged(setup);
  });
});
