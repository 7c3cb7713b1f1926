/**
 * The IMAP and SMTP "log in and report" probes against the test Dovecot and
 * Postfix: a right password, a wrong one, a closed port, a server that never
 * answers, an unknown host, and the self-signed certificate refused by default
 * and accepted with the account's explicit opt-out.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig, ProbeResult } from '../../src/core/config/index.js';
import { probeAccount, formatProbeResult } from '../../src/core/config/account-setup.js';
import { probeImap } from '../../src/core/imap/probe.js';
import { probeSmtp } from '../../src/core/smtp/probe.js';
import { testAccount } from '../support/accounts.js';
import { freePort } from '../support/mail-stack.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let account: AccountConfig;

let dir: string;

beforeAll(async () => {
  user = await newTestUser(stack, 'probe');
  account = testAccount(stack, user);
  dir = mkdtempSync(join(tmpdir(), 'tmail-probe-'));
  process.env.TMAIL_LOG_FILE = join(dir, 'tmail.log');
  process.env.TMAIL_LOG_LEVEL = 'debug';
});

afterAll(() => {
  // imapflow and nodemailer log every command at debug level; never the password.
  const log = readFileSync(join(dir, 'tmail.log'), 'utf8');
  expect(log).toContain('LOGIN');
  expect(log).not.toContain(user.password);
  rmSync(dir, { recursive: true, force: true });
});

function failed(result: ProbeResult) {
  if (result.ok) throw new Error(`expected a failure, got ${formatProbeResult(result)}`);
  return result.error;
}

describe('with the right password', () => {
  it('logs in to IMAP, reports the SPECIAL-USE folders, and authenticates to SMTP', async () => {
    const [imap, smtp] = await probeAccount(account, { password: user.password });
    expect(imap).toMatchObject({
      ok: true,
      protocol: 'IMAP',
      detail: `logged in as ${user.name}`,
      specialUse: {
        drafts: 'Drafts',
        sent: 'Sent',
        trash: 'Trash',
        junk: 'Junk',
        archive: 'Archive',
      },
    });
    expect(smtp).toMatchObject({ ok: true, protocol: 'SMTP' });
    expect(formatProbeResult(imap!)).toBe(
      `IMAP ${stack.host}:${stack.ports.imap} ok (logged in as ${user.name})`,
    );
    expect(formatProbeResult(smtp!)).toBe(
      `SMTP ${stack.host}:${stack.ports.submission} ok (authenticated as ${user.name})`,
    );
  });

  it('works over STARTTLS and implicit TLS once the certificate is allowed', async () => {
    const tlsAccount: AccountConfig = {
      ...account,
      allowInvalidCert: true,
      imap: { host: stack.host, port: stack.ports.imaps, security: 'tls' },
      smtp: { host: stack.host, port: stack.ports.smtps, security: 'tls' },
    };
    const starttlsAccount: AccountConfig = {
      ...account,
      allowInvalidCert: true,
      imap: { host: stack.host, port: stack.ports.imap, security: 'starttls' },
      smtp: { host: stack.host, port: stack.ports.submission, security: 'starttls' },
    };
    for (const a of [tlsAccount, starttlsAccount]) {
      const results = await probeAccount(a, { password: user.password });
      expect(results.map((r) => r.ok)).toEqual([true, true]);
    }
  });
});

describe('failures, each in one sentence naming host and port', () => {
  it('a wrong password: the server refused the login, in its own words', async () => {
    const [imap, smtp] = await probeAccount(account, { password: 'not-the-password' });
    const imapError = failed(imap!);
    expect(imapError.code).toBe('AUTH_FAILED');
    expect(imapError.userMessage).toMatch(
      new RegExp(
        `^The IMAP server ${stack.host}:${stack.ports.imap} refused the login for ${account.name}; check the user name and password: .*Authentication failed`,
      ),
    );
    const smtpError = failed(smtp!);
    expect(smtpError.code).toBe('AUTH_FAILED');
    expect(smtpError.userMessage).toMatch(
      new RegExp(
        `^The SMTP server ${stack.host}:${stack.ports.submission} refused the login .*: 535 5\\.7\\.8`,
      ),
    );
  });

  it('a closed port: connection refused', async () => {
    const port = await freePort();
    const closed: AccountConfig = {
      ...account,
      imap: { ...account.imap, port },
      smtp: { ...account.smtp, port },
    };
    const [imap, smtp] = await probeAccount(closed, { password: user.password });
    expect(failed(imap!)).toMatchObject({
      code: 'CONNECTION_REFUSED',
      message: `The IMAP server ${stack.host}:${port} refused the connection; check the port and that the server is running.`,
    });
    expect(failed(smtp!)).toMatchObject({
      code: 'CONNECTION_REFUSED',
      message: `The SMTP server ${stack.host}:${port} refused the connection; check the port and that the server is running.`,
    });
  });

  describe('a server that accepts but never answers', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer(() => {});
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('times out with the limit it was given', async () => {
      const silent: AccountConfig = {
        ...account,
        imap: { host: '127.0.0.1', port, security: 'plain' },
        smtp: { host: '127.0.0.1', port, security: 'plain' },
      };
      const credentials = { user: 'x', password: 'y' };
      const [imap, smtp] = await Promise.all([
        probeImap(silent, credentials, { timeoutMs: 300 }),
        probeSmtp(silent, credentials, { timeoutMs: 300 }),
      ]);
      expect(failed(imap)).toMatchObject({
        code: 'TIMEOUT',
        message: `The IMAP server 127.0.0.1:${port} did not answer in time; check the host, the port and your network.`,
      });
      expect(failed(smtp)).toMatchObject({ code: 'TIMEOUT' });
    });

    it('is cancelled by its signal', async () => {
      const controller = new AbortController();
      const silent: AccountConfig = {
        ...account,
        imap: { host: '127.0.0.1', port, security: 'plain' },
      };
      const pending = probeImap(
        silent,
        { user: 'x', password: 'y' },
        { signal: controller.signal },
      );
      controller.abort();
      expect(failed(await pending).code).toBe('CANCELLED');
    });
  });

  it('an unknown host', async () => {
    const nowhere: AccountConfig = {
      ...account,
      imap: { host: 'imap.nowhere.invalid', port: 993, security: 'tls' },
      smtp: { host: 'smtp.nowhere.invalid', port: 465, security: 'tls' },
    };
    const [imap, smtp] = await probeAccount(nowhere, { password: 'x' });
    expect(failed(imap!)).toMatchObject({
      code: 'HOST_UNKNOWN',
      message:
        'The IMAP server name imap.nowhere.invalid could not be found; check the host name and your network.',
    });
    expect(failed(smtp!).code).toBe('HOST_UNKNOWN');
  });

  it('the self-signed certificate, refused by default with the way to trust it', async () => {
    const tlsAccount: AccountConfig = {
      ...account,
      imap: { host: stack.host, port: stack.ports.imaps, security: 'tls' },
      smtp: { host: stack.host, port: stack.ports.smtps, security: 'tls' },
    };
    const [imap, smtp] = await probeAccount(tlsAccount, { password: user.password });
    for (const [result, port, protocol] of [
      [imap!, stack.ports.imaps, 'IMAP'],
      [smtp!, stack.ports.smtps, 'SMTP'],
    ] as const) {
      expect(failed(result)).toMatchObject({
        code: 'TLS_UNTRUSTED',
        message: `The certificate of the ${protocol} server ${stack.host}:${port} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT). If you trust this server, run: tmail account edit ${account.name} --allow-invalid-cert`,
      });
    }
    const [starttls] = await probeAccount(
      { ...account, imap: { ...account.imap, security: 'starttls' } },
      { password: user.password },
      { services: ['imap'] },
    );
    expect(failed(starttls!).code).toBe('TLS_UNTRUSTED');
  });

  it('the wrong security for the port: one sentence about the setting', async () => {
    const [imap] = await probeAccount(
      { ...account, imap: { ...account.imap, security: 'tls' } },
      { password: user.password },
      { services: ['imap'], timeoutMs: 5000 },
    );
    expect(failed(imap!).code).toBe('TLS_FAILED');
    expect(failed(imap!).message).toContain(`${stack.host}:${stack.ports.imap}`);
  });

  describe('servers that answer NO or BAD', () => {
    /** A line-based fake server: `reply` answers each line the client sends. */
    async function fakeServer(greeting: string, reply: (line: string) => string | undefined) {
      const server = createServer((socket) => {
        socket.write(greeting);
        let buffer = '';
        socket.on('data', (chunk) => {
          buffer += chunk.toString();
          let end: number;
          while ((end = buffer.indexOf('\r\n')) >= 0) {
            const answer = reply(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (answer !== undefined) socket.write(answer);
          }
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, port: (server.address() as { port: number }).port };
    }

    it('an IMAP server that refuses the login for another reason: its words, with host and port', async () => {
      const { server, port } = await fakeServer('* OK fake ready\r\n', (line) => {
        const [tag, command] = line.split(' ');
        if (/^capability$/i.test(command ?? ''))
          return `* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`;
        if (/^(login|authenticate)$/i.test(command ?? ''))
          return `${tag} NO [UNAVAILABLE] Down for maintenance\r\n`;
        return `${tag} BAD what\r\n`;
      });
      try {
        const result = await probeImap(
          { ...account, imap: { host: '127.0.0.1', port, security: 'plain' } },
          { user: 'x', password: 'y' },
        );
        expect(failed(result)).toMatchObject({
          code: 'SERVER_NO',
          userMessage: `The IMAP server 127.0.0.1:${port} cannot log anyone in at the moment; try again later: Down for maintenance.`,
        });
      } finally {
        server.close();
      }
    });

    it('an IMAP server without STARTTLS, asked for starttls: says so, as for SMTP', async () => {
      const { server, port } = await fakeServer(
        '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n',
        (line) => {
          const [tag, command] = line.split(' ');
          if (/^capability$/i.test(command ?? ''))
            return `* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`;
          return `${tag} BAD what\r\n`;
        },
      );
      try {
        const result = await probeImap(
          { ...account, imap: { host: '127.0.0.1', port, security: 'starttls' } },
          { user: 'x', password: 'y' },
        );
        expect(failed(result)).toMatchObject({
          code: 'TLS_FAILED',
          userMessage: `The IMAP server 127.0.0.1:${port} offers no STARTTLS; check the security setting (tls or plain) and the port.`,
        });
      } finally {
        server.close();
      }
    });

    it('an SMTP server that refuses at the greeting: its words, with host and port', async () => {
      const { server, port } = await fakeServer(
        '554 5.3.2 fake.example.test is not taking mail now\r\n',
        (line) => (/^quit/i.test(line) ? '221 bye\r\n' : '503 5.5.1 no\r\n'),
      );
      try {
        const result = await probeSmtp(
          { ...account, smtp: { host: '127.0.0.1', port, security: 'plain' } },
          { user: 'x', password: 'y' },
        );
        expect(failed(result)).toMatchObject({
          code: 'SERVER_NO',
          userMessage: `The SMTP server 127.0.0.1:${port} refused the connection before the login: 554 5.3.2 fake.example.test is not taking mail now.`,
        });
      } finally {
        server.close();
      }
    });

    it('an SMTP server that offers no login is not reported as working', async () => {
      const { server, port } = await fakeServer('220 fake ESMTP\r\n', (line) => {
        if (/^ehlo/i.test(line)) return '250-fake\r\n250 8BITMIME\r\n';
        if (/^quit/i.test(line)) return '221 bye\r\n';
        return '502 5.5.2 no\r\n';
      });
      try {
        const result = await probeSmtp(
          { ...account, smtp: { host: '127.0.0.1', port, security: 'plain' } },
          { user: 'x', password: 'y' },
        );
        expect(failed(result)).toMatchObject({
          code: 'SERVER_NO',
          message: `The SMTP server 127.0.0.1:${port} offers no login (AUTH) on this connection; check the security setting (tls or starttls) and the port.`,
        });
      } finally {
        server.close();
      }
    });
  });
});
