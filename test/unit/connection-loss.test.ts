/**
 * Each way a connection can end has its own sentence: a reset, the server
 * closing, a timeout, a response tmail refused, a refused connection, TLS.
 * Before, a dropped connection read "did not answer in time".
 */
import { describe, expect, it } from 'vitest';
import {
  closedError,
  ConnectionLoss,
  lossFromError,
  timeoutError,
} from '../../src/core/imap/connection-loss.js';
import { validateConfig } from '../../src/core/config/index.js';
import { imapOptions, serverTimeoutMs, translateImapError } from '../../src/core/imap/connect.js';
import type { AccountConfig } from '../../src/core/config/types.js';

const endpoint = { protocol: 'IMAP', host: 'imap.example.com', port: 993, account: 'work' };
const account: AccountConfig = {
  name: 'work',
  email: 'a@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
  password: { type: 'keychain' },
};

function coded(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('why a connection ended, in one sentence each', () => {
  it('names a reset, a closed connection, a timeout and a refused response apart', () => {
    const sentences = [
      lossFromError(coded('ECONNRESET'), endpoint, 60)!.userMessage,
      closedError(endpoint).userMessage,
      timeoutError(endpoint, 60).userMessage,
      lossFromError(coded('LineTooLarge'), endpoint, 60)!.userMessage,
      lossFromError(coded('LiteralTooLarge'), endpoint, 60)!.userMessage,
      lossFromError(coded('ECONNREFUSED'), endpoint, 60)!.userMessage,
      lossFromError(coded('DEPTH_ZERO_SELF_SIGNED_CERT'), endpoint, 60)!.userMessage,
    ];
    expect(sentences).toEqual([
      'The connection to the IMAP server imap.example.com:993 was lost: it was reset (by the server or the network).',
      'The connection to the IMAP server imap.example.com:993 was lost: the server closed it.',
      "The IMAP server imap.example.com:993 did not answer within 60 s; tmail closed the connection (the limit is the account's timeout setting).",
      'The IMAP server imap.example.com:993 sent a response line longer than 32 MiB; tmail refused it and closed the connection.',
      'The IMAP server imap.example.com:993 sent a literal larger than 256 MiB; tmail refused it and closed the connection.',
      'The IMAP server imap.example.com:993 refused the connection; check the port and that the server is running.',
      'The certificate of the IMAP server imap.example.com:993 is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT). If you trust this server, run: tmail account edit work --allow-invalid-cert',
    ]);
    expect(new Set(sentences).size).toBe(sentences.length);
  });

  it('a command failing on a closed connection is a lost connection, not a timeout', () => {
    const error = translateImapError(coded('NoConnection', 'Connection not available'), account);
    expect(error.code).toBe('CONNECTION_LOST');
    expect(error.userMessage).not.toMatch(/in time/);
  });

  it("keeps the server's goodbye, and the first cause over later ones", () => {
    expect(closedError(endpoint, 'Server shutting down').userMessage).toBe(
      'The connection to the IMAP server imap.example.com:993 was lost: the server closed it: Server shutting down.',
    );
    const loss = new ConnectionLoss(endpoint, 30);
    loss.noteError(coded('LineTooLarge'));
    loss.noteError(coded('ECONNRESET'));
    expect(loss.lost().code).toBe('PROTOCOL');
    expect(new ConnectionLoss(endpoint, 30).lost('Server closed connection').serverText).toBe(
      undefined,
    );
  });
});

describe('the timeout setting', () => {
  const base = {
    email: 'a@example.com',
    imap: { host: 'imap.example.com' },
    smtp: { host: 'smtp.example.com' },
    password: { type: 'keychain' },
  };

  it('is an account setting in seconds, checked when the file loads', () => {
    const good = validateConfig({ accounts: { work: { ...base, timeout: 20 } } });
    expect(good.ok && good.config.accounts.work!.timeout).toBe(20);
    const bad = validateConfig({ accounts: { work: { ...base, timeout: 0 } } });
    expect(bad.ok ? [] : bad.issues).toEqual([
      { path: 'accounts.work.timeout', message: 'must be a number of seconds from 1 to 3600' },
    ]);
  });

  it('is what every wait on the server uses, 60 s when not set', () => {
    expect(serverTimeoutMs(account)).toBe(60_000);
    expect(serverTimeoutMs({ ...account, timeout: 5 })).toBe(5000);
    expect(
      imapOptions({ account: { ...account, timeout: 5 }, credentials: { user: 'a' } }),
    ).toMatchObject({
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      maxLineLength: 32 * 1024 * 1024,
      maxLiteralSize: 256 * 1024 * 1024,
    });
  });
});
