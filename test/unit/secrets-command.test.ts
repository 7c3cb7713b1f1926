/**
 * Password and token commands: the first line of stdout is the secret, and a
 * failing command is reported by its exit status only, never by its output.
 */
import { describe, expect, it } from 'vitest';
import { runSecretCommand } from '../../src/core/secrets/index.js';

const label = 'the password command of account work';

async function failure(command: string, options: { timeoutMs?: number } = {}): Promise<Error> {
  try {
    await runSecretCommand(command, { label, ...options });
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${command} to fail`);
}

describe('runSecretCommand', () => {
  it('takes the first line of stdout, without its line end', async () => {
    await expect(
      runSecretCommand(`printf 'first-line-pw\\r\\nsecond line\\n'`, { label }),
    ).resolves.toBe('first-line-pw');
    await expect(runSecretCommand(`printf 'no newline'`, { label })).resolves.toBe('no newline');
  });

  it('stops a command that prints too much, with a sentence of its own', async () => {
    const sentence =
      'The password command of account work printed too much (more than 16 KB on its first line); it should print only the secret, on its first line.';
    // A megabyte without a line break, and a command that would go on for ever.
    for (const command of [
      `head -c 1048576 /dev/zero | tr '\\0' a`,
      `yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | tr -d '\\n'`,
      `head -c 40000 /dev/zero | tr '\\0' a; echo; echo more`,
    ]) {
      const error = await failure(command);
      expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE', message: sentence });
    }
    // A long token (several KB) followed by much more output is still taken.
    const token = 'x'.repeat(8000);
    await expect(
      runSecretCommand(`printf '%s\\n' '${token}'; head -c 1048576 /dev/zero`, { label }),
    ).resolves.toBe(token);
  });

  it('keeps spaces inside the secret', async () => {
    await expect(runSecretCommand(`echo '  two words  '`, { label })).resolves.toBe(
      '  two words  ',
    );
  });

  it('reports a failing command by its exit status and never by what it printed', async () => {
    const error = await failure(`echo leaked-secret-123; echo oops-stderr >&2; exit 3`);
    expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE' });
    expect(error.message).toBe('The password command of account work exited with status 3.');
    expect(error.message).not.toContain('leaked');
  });

  it('reports a command that prints nothing', async () => {
    const error = await failure('true');
    expect(error.message).toBe(
      'The password command of account work printed nothing on its first line.',
    );
  });

  it('closes stdin, so a command that reads it does not wait for the user', async () => {
    const error = await failure('cat');
    expect(error.message).toMatch(/printed nothing/);
  });

  it('stops a command that runs too long, with whatever it started', async () => {
    const error = await failure('sleep 30 & sleep 30; echo late', { timeoutMs: 200 });
    expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE' });
    expect(error.message).toBe('The password command of account work did not finish within 0.2 s.');
  });

  it('is cancelled by its signal', async () => {
    const controller = new AbortController();
    const pending = runSecretCommand('sleep 30', { label, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('passes the environment on (pass and gpg need it)', async () => {
    process.env.TMAIL_TEST_SECRET_VAR = 'from-env';
    try {
      await expect(runSecretCommand('echo "$TMAIL_TEST_SECRET_VAR"', { label })).resolves.toBe(
        'from-env',
      );
    } finally {
      delete process.env.TMAIL_TEST_SECRET_VAR;
    }
  });
});
