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
