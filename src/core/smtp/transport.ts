/**
 * The nodemailer transport for an account's submission server, and the mapping
 * of its errors to TmailErrors. The only place that knows nodemailer's options.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';
import { libraryLogger } from '../log.js';
import { translateNetworkError } from '../net-errors.js';

export type SmtpTransport = Transporter<SMTPTransport.SentMessageInfo>;

/** nodemailer options for an account (exported for tests of the mapping). */
export function smtpOptions(
  account: AccountConfig,
  credentials: Credentials,
  timeoutMs = 20_000,
): SMTPTransport.Options {
  const security = account.smtp.security;
  const auth: SMTPTransport.Options['auth'] = credentials.accessToken
    ? { type: 'OAuth2', user: credentials.user, accessToken: credentials.accessToken }
    : { user: credentials.user, pass: credentials.password ?? '' };
  return {
    ...(credentials.accessToken ? { customAuth: OAUTH_MECHANISMS } : {}),
    host: account.smtp.host,
    port: account.smtp.port,
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'plain',
    auth,
    tls: {
      rejectUnauthorized: !account.allowInvalidCert,
      minVersion: 'TLSv1.2',
    },
    name: account.email.split('@')[1] || undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: 60_000,
    logger: libraryLogger(`smtp:${account.name}`) as unknown as SMTPTransport.Options['logger'],
    debug: false,
  };
}

/**
 * The SASL mechanisms for OAuth2 (RFC 7628 OAUTHBEARER and Google's XOAUTH2),
 * as nodemailer custom handlers: nodemailer knows only XOAUTH2, and reads
 * OAUTHBEARER out of the server's AUTH line not at all. A refused token gets
 * the server's JSON error challenge, which is answered (with %x01 for
 * OAUTHBEARER, empty for XOAUTH2) so that the server ends with its 535.
 */
// Named apart from the real mechanisms: nodemailer replaces a method called XOAUTH2
// with PLAIN unless it is given its own token generator.
const OAUTH_MECHANISMS: Record<string, SaslHandler> = {
  TMAIL_OAUTHBEARER: (ctx) =>
    saslOnce(ctx, 'OAUTHBEARER', (user, token) =>
      [
        `n,a=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},`,
        `auth=Bearer ${token}`,
        '',
        '',
      ].join('\x01'),
    ),
  TMAIL_XOAUTH2: (ctx) =>
    saslOnce(ctx, 'XOAUTH2', (user, token) =>
      [`user=${user}`, `auth=Bearer ${token}`, '', ''].join('\x01'),
    ),
};

interface SaslContext {
  auth: { user?: string; options?: { accessToken?: string } };
  sendCommand(command: string): Promise<{ status: number; response: string }>;
}
type SaslHandler = (ctx: SaslContext) => Promise<void>;

async function saslOnce(
  ctx: SaslContext,
  mechanism: string,
  payload: (user: string, token: string) => string,
): Promise<void> {
  const user = ctx.auth.user ?? '';
  const token = ctx.auth.options?.accessToken ?? '';
  // A control character would end the SASL field early and smuggle in fields of its own.
  if (/[\x00-\x1f\x7f]/.test(user + token)) throw new Error('Invalid characters in the login');
  const encoded = Buffer.from(payload(user, token), 'utf8').toString('base64');
  let answer = await ctx.sendCommand(`AUTH ${mechanism} ${encoded}`);
  if (answer.status === 334) {
    // The error challenge: answer it so that the server sends its final refusal.
    answer = await ctx.sendCommand(mechanism === 'OAUTHBEARER' ? 'AQ==' : '');
  }
  if (answer.status !== 235) {
    const error = new Error('Invalid login') as Error & { response: string };
    error.response = answer.response;
    throw error;
  }
}

/** The OAuth2 mechanism for a server's EHLO lines: OAUTHBEARER when offered, else XOAUTH2. */
export function oauthMechanism(
  ehloLines: readonly string[] | undefined,
): 'OAUTHBEARER' | 'XOAUTH2' {
  const offered = new Set<string>();
  for (const line of ehloLines ?? []) {
    const match = /^AUTH[\s=](.*)/i.exec(line);
    if (match) for (const m of match[1]!.split(/[\s=]+/)) offered.add(m.toUpperCase());
  }
  // The standard one first, as imapflow does for IMAP; XOAUTH2 when it is all there is
  // (or when the server lists neither: Gmail's and Microsoft's both know it).
  return offered.has('OAUTHBEARER') ? 'OAUTHBEARER' : 'XOAUTH2';
}

/**
 * The argument of `SMTPConnection.login` for these credentials, once the
 * connection has read the server's EHLO: user and password, or the OAuth2
 * mechanism the server offers with the access token.
 */
export function smtpLoginAuth(connection: unknown, credentials: Credentials): object {
  if (!credentials.accessToken)
    return { credentials: { user: credentials.user, pass: credentials.password ?? '' } };
  const ehlo = (connection as { _ehloLines?: string[] })._ehloLines;
  return {
    user: credentials.user,
    method: `TMAIL_${oauthMechanism(ehlo)}`,
    options: { accessToken: credentials.accessToken },
  };
}

export function createSmtpTransport(
  account: AccountConfig,
  credentials: Credentials,
  timeoutMs?: number,
): SmtpTransport {
  return nodemailer.createTransport(smtpOptions(account, credentials, timeoutMs));
}

/** Maps a nodemailer error to a TmailError with the server's words where it sent any. */
export function translateSmtpError(error: unknown, account: AccountConfig): TmailError {
  if (error instanceof TmailError) return error;
  const endpoint = {
    protocol: 'SMTP',
    host: account.smtp.host,
    port: account.smtp.port,
    account: account.name,
  };
  const e = (error ?? {}) as {
    code?: string;
    responseCode?: number;
    response?: string;
    command?: string;
  };
  if (e.code === 'EAUTH') {
    return new TmailError(
      'AUTH_FAILED',
      `The SMTP server ${endpoint.host}:${endpoint.port} refused the login for ${account.name}; check the user name and password.`,
      { serverText: e.response, cause: error },
    );
  }
  if (e.code === 'EENVELOPE' && e.command === 'MAIL FROM' && e.responseCode) {
    return new TmailError(
      'SEND_FAILED',
      `The SMTP server ${endpoint.host}:${endpoint.port} refused the sender address.`,
      { serverText: e.response, cause: error },
    );
  }
  if (e.code === 'EENVELOPE' && e.responseCode && e.responseCode >= 500) {
    const rejected = (error as { rejected?: unknown }).rejected;
    const who =
      Array.isArray(rejected) && rejected.length > 0
        ? `${rejected.length === 1 ? 'the recipient' : 'the recipients'} ${rejected.join(', ')}`
        : 'a recipient';
    return new TmailError(
      'RECIPIENT_REJECTED',
      `The SMTP server ${endpoint.host}:${endpoint.port} rejected ${who}.`,
      {
        serverText: e.response,
        cause: error,
      },
    );
  }
  const network = translateNetworkError(error, endpoint);
  if (network) return network;
  if (e.code === 'ECONNECTION' && !e.responseCode) {
    return new TmailError(
      'CONNECTION_LOST',
      `The connection to the SMTP server ${endpoint.host}:${endpoint.port} was lost.`,
      { cause: error },
    );
  }
  if (e.responseCode) {
    return new TmailError(
      'SEND_FAILED',
      `The SMTP server ${endpoint.host}:${endpoint.port} refused the message.`,
      {
        serverText: e.response,
        cause: error,
      },
    );
  }
  return new TmailError(
    'SEND_FAILED',
    `Sending through ${endpoint.host}:${endpoint.port} failed.`,
    { cause: error },
  );
}
