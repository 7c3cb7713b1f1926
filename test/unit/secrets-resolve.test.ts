/**
 * resolveCredentials for command, prompt and OAuth2 sources: who is asked,
 * how often, as which user, and that every secret read is redacted from the
 * log at once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountConfig } from '../../src/core/config/index.js';
import { createLogger } from '../../src/core/log.js';
import {
  forgetCredentials,
  loginUser,
  promptSecret,
  rememberPassword,
  resolveCredentials,
} from '../../src/core/secrets/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-secrets-'));
  process.env.TMAIL_LOG_FILE = join(dir, 'tmail.log');
  process.env.TMAIL_LOG_LEVEL = 'debug';
});
afterAll(() => {
  delete process.env.TMAIL_LOG_FILE;
  delete process.env.TMAIL_LOG_LEVEL;
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => forgetCredentials());

function account(password: AccountConfig['password'], extra: Partial<AccountConfig> = {}) {
  return {
    name: 'work',
    email: 'ann@example.com',
    imap: { host: 'imap.example.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
    password,
    ...extra,
  } satisfies AccountConfig as AccountConfig;
}

describe('login names', () => {
  it('use the server user, then the account user, then the address', () => {
    const a = account({ type: 'prompt' });
    expect(loginUser(a, 'imap')).toBe('ann@example.com');
    expect(loginUser({ ...a, user: 'ann' }, 'smtp')).toBe('ann');
    expect(loginUser({ ...a, user: 'ann', imap: { ...a.imap, user: 'ann.imap' } }, 'imap')).toBe(
      'ann.imap',
    );
  });
});

describe('command sources', () => {
  it('run the command and register the password for redaction before anything logs', async () => {
    const credentials = await resolveCredentials(
      account({ type: 'command', command: "printf 'cmd-Pa55-word-77\\n'" }),
      'imap',
    );
    expect(credentials).toEqual({ user: 'ann@example.com', password: 'cmd-Pa55-word-77' });
    createLogger('test').info('login with cmd-Pa55-word-77 failed');
    const log = readFileSync(process.env.TMAIL_LOG_FILE!, 'utf8');
    expect(log).toContain('login with *** failed');
    expect(log).not.toContain('cmd-Pa55-word-77');
  });

  it('say which account failed, with the exit status only', async () => {
    await expect(
      resolveCredentials(account({ type: 'command', command: 'echo hunter2-out; exit 7' }), 'imap'),
    ).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message: 'The password command of account work exited with status 7.',
    });
  });
});

describe('prompt sources', () => {
  it('ask once per run, even when IMAP and SMTP ask at the same moment', async () => {
    const prompt = vi.fn(async () => 'prompt-Pa55-1');
    const a = account({ type: 'prompt' });
    const [imap, smtp] = await Promise.all([
      resolveCredentials(a, 'imap', { prompt }),
      resolveCredentials(a, 'smtp', { prompt }),
    ]);
    expect(imap.password).toBe('prompt-Pa55-1');
    expect(smtp.password).toBe('prompt-Pa55-1');
    await resolveCredentials(a, 'imap', { prompt });
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(prompt).toHaveBeenCalledWith('Password for ann@example.com (account work): ');
  });

  it('are asked again when the server refuses the typed one, which is never kept', async () => {
    const prompt = vi
      .fn()
      .mockResolvedValueOnce('wrong-pw-1')
      .mockResolvedValueOnce('right-pw-2')
      .mockResolvedValueOnce('later-pw-3');
    const a = account({ type: 'prompt' });
    const first = await resolveCredentials(a, 'imap', { prompt });
    expect(first.password).toBe('wrong-pw-1');
    const second = await first.retype!(2, 3);
    expect(second.password).toBe('right-pw-2');
    expect(prompt).toHaveBeenLastCalledWith(
      'Password refused, try 2 of 3: password for ann@example.com (account work): ',
    );
    // The right one is kept for SMTP and reconnects; once refused, it is asked for again.
    expect((await resolveCredentials(a, 'smtp', { prompt })).password).toBe('right-pw-2');
    second.refused!();
    expect((await resolveCredentials(a, 'imap', { prompt })).password).toBe('later-pw-3');
    // A piped answer is one line: nothing to ask again from.
    forgetCredentials();
    const piped = await resolveCredentials(a, 'imap', { prompt: async () => 'x', askAgain: false });
    expect(piped.retype).toBeUndefined();
    expect(piped.refused).toBeDefined();
  });

  it('ask again after forgetCredentials (the server refused the password)', async () => {
    const prompt = vi.fn().mockResolvedValueOnce('wrong-pw-1').mockResolvedValueOnce('right-pw-2');
    const a = account({ type: 'prompt' });
    expect((await resolveCredentials(a, 'imap', { prompt })).password).toBe('wrong-pw-1');
    forgetCredentials('work');
    expect((await resolveCredentials(a, 'imap', { prompt })).password).toBe('right-pw-2');
  });

  it('do not keep a failed or cancelled answer', async () => {
    const prompt = vi
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('cancelled'), { name: 'AbortError' }))
      .mockResolvedValueOnce('second-try-pw');
    const a = account({ type: 'prompt' });
    await expect(resolveCredentials(a, 'imap', { prompt })).rejects.toThrow();
    expect((await resolveCredentials(a, 'imap', { prompt })).password).toBe('second-try-pw');
  });

  it('fail with one sentence when nobody can be asked', async () => {
    await expect(resolveCredentials(account({ type: 'prompt' }), 'imap')).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message:
        'Account work asks for its password at each run, but there is no terminal to ask on; use tmail account edit work --password-command CMD or --keychain.',
    });
  });

  it('use a password remembered by the setup instead of asking', async () => {
    const a = account({ type: 'prompt' });
    rememberPassword(a, 'just-tested-pw');
    const prompt = vi.fn();
    expect((await resolveCredentials(a, 'smtp', { prompt })).password).toBe('just-tested-pw');
    expect(prompt).not.toHaveBeenCalled();
  });
});

describe('OAuth2 sources', () => {
  it('give an access token from the command, run again each time', async () => {
    const file = join(dir, 'count');
    const a = account({
      type: 'oauth2',
      command: `echo x >> ${file}; echo "token-$(wc -l < ${file} | tr -d ' ')"`,
    });
    expect(await resolveCredentials(a, 'imap')).toEqual({
      user: 'ann@example.com',
      accessToken: 'token-1',
    });
    expect((await resolveCredentials(a, 'smtp')).accessToken).toBe('token-2');
  });
});

describe('promptSecret', () => {
  /** A fake terminal: raw mode switches are recorded, keys are pushed in. */
  function fakeTerminal() {
    const input = Object.assign(new PassThrough(), {
      isTTY: true,
      modes: [] as boolean[],
      setRawMode(mode: boolean) {
        this.modes.push(mode);
      },
    });
    const output = new PassThrough();
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    return { input, output, written: () => written };
  }

  it('reads keys without echoing them, with backspace, and restores the terminal', async () => {
    const t = fakeTerminal();
    const answer = promptSecret('Password: ', t);
    t.input.write('hunx');
    t.input.write('\u007fter2');
    t.input.write('\r');
    await expect(answer).resolves.toBe('hunter2');
    expect(t.input.modes).toEqual([true, false]);
    expect(t.written()).toBe('Password: \n');
  });

  it('is cancelled by Ctrl-C', async () => {
    const t = fakeTerminal();
    const answer = promptSecret('Password: ', t);
    t.input.write('abc\u0003');
    await expect(answer).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(t.input.modes).toEqual([true, false]);
  });

  it('takes the first line of a piped input, and asks nothing', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answer = promptSecret('Password: ', { input, output });
    input.end('piped-pw\nrest\n');
    await expect(answer).resolves.toBe('piped-pw');
    expect(output.read()).toBeNull();
  });

  it('fails when a piped input ends empty', async () => {
    const input = new PassThrough();
    const answer = promptSecret('Password: ', { input, output: new PassThrough() });
    input.end();
    await expect(answer).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE' });
  });
});
