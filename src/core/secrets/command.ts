/**
 * Secrets from a shell command (`pass show mail/work`, `gpg -dq ~/.pw.gpg`,
 * an OAuth2 helper): run with `sh -c`, stdin closed, a timeout, and the first
 * line of stdout taken as the secret.
 *
 * Nothing the command prints is ever shown or logged: a command that fails
 * may still have printed the secret (or part of it) before failing.
 */
import { spawn } from 'node:child_process';
import { TmailError } from '../errors.js';

export interface SecretCommandOptions {
  /** What the secret is for, in the error sentences: `the password command of account work`. */
  label: string;
  /** Limit in ms; default 60 s (a gpg pinentry may be waiting for the user). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Longest first line taken: a password or an OAuth2 access token (a few KB at
 * most) is never this long. A command that prints more before its first line
 * break is stopped and said to have printed too much, rather than have a
 * megabyte sent as the password (which a server answers by closing the
 * connection, reported as a lost connection).
 */
const MAX_LINE = 16 * 1024;

/**
 * Runs `command` with `sh -c` and resolves to the first line of its output.
 * Throws SECRET_UNAVAILABLE with one sentence (exit status, signal, timeout or
 * empty output), or CANCELLED when `signal` aborts.
 */
export function runSecretCommand(command: string, options: SecretCommandOptions): Promise<string> {
  const { label, signal } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TmailError('CANCELLED'));
      return;
    }
    const child = spawn('sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'ignore'],
      // Its own process group, so a timeout also stops what the shell started.
      detached: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: TmailError | undefined, value?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value!);
    };
    // Stops the whole process group and gives up at once: a grandchild that
    // keeps stdout open would otherwise delay 'close' for as long as it runs.
    const stop = (error: TmailError) => {
      settle(error);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
    };
    const timer = setTimeout(
      () =>
        stop(
          new TmailError(
            'SECRET_UNAVAILABLE',
            `${capitalize(label)} did not finish within ${Math.round(timeoutMs / 100) / 10} s.`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => stop(new TmailError('CANCELLED'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let lineEnded = false;
    child.stdout.on('data', (chunk: Buffer) => {
      // Only the first line is wanted; what follows it is drained unread.
      if (lineEnded) return;
      chunks.push(chunk);
      size += chunk.length;
      lineEnded = chunk.includes(0x0a);
      if (!lineEnded && size > MAX_LINE) {
        stop(
          new TmailError(
            'SECRET_UNAVAILABLE',
            `${capitalize(label)} printed too much (more than ${MAX_LINE / 1024} KB on its first line); it should print only the secret, on its first line.`,
          ),
        );
      }
    });
    child.on('error', (error) => {
      settle(
        new TmailError('SECRET_UNAVAILABLE', `${capitalize(label)} could not be started.`, {
          cause: error,
        }),
      );
    });
    child.on('close', (code, killedBy) => {
      if (code !== 0) {
        const how =
          code === null ? `was stopped by ${killedBy ?? 'a signal'}` : `exited with status ${code}`;
        return settle(new TmailError('SECRET_UNAVAILABLE', `${capitalize(label)} ${how}.`));
      }
      const first = Buffer.concat(chunks).toString('utf8').split('\n')[0]!.replace(/\r$/, '');
      if (Buffer.byteLength(first) > MAX_LINE) {
        return settle(
          new TmailError(
            'SECRET_UNAVAILABLE',
            `${capitalize(label)} printed too much (more than ${MAX_LINE / 1024} KB on its first line); it should print only the secret, on its first line.`,
          ),
        );
      }
      if (first === '') {
        return settle(
          new TmailError(
            'SECRET_UNAVAILABLE',
            `${capitalize(label)} printed nothing on its first line.`,
          ),
        );
      }
      settle(undefined, first);
    });
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
