/**
 * Opening an imapflow connection for an account, and turning imapflow's errors
 * into TmailErrors. The only place that knows imapflow's option names.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';
import { libraryLogger } from '../log.js';
import { translateNetworkError } from '../net-errors.js';
import { VERSION } from '../version.js';

export interface ImapClientOptions {
  account: AccountConfig;
  credentials: Credentials;
  /** Socket, greeting and connect timeout in ms. */
  timeoutMs?: number;
  /** ms of quiet before imapflow starts IDLE on its own; undefined disables auto-IDLE. */
  autoIdleDelayMs?: number;
  /** Enable QRESYNC so expunges arrive as VANISHED with UIDs. */
  qresync?: boolean;
  /** A pino-shaped logger; defaults to the log file. */
  logger?: unknown;
}

/** imapflow options for an account (exported for tests of the mapping). */
export function imapOptions(options: ImapClientOptions): ImapFlowOptions {
  const { account, credentials } = options;
  const timeout = options.timeoutMs ?? 20_000;
  const auth: ImapFlowOptions['auth'] = credentials.accessToken
    ? { user: credentials.user, accessToken: credentials.accessToken }
    : { user: credentials.user, pass: credentials.password ?? '' };
  const security = account.imap.security;
  return {
    host: account.imap.host,
    port: account.imap.port,
    secure: security === 'tls',
    // undefined would let imapflow upgrade opportunistically; be explicit either way.
    doSTARTTLS: security === 'starttls' ? true : security === 'plain' ? false : undefined,
    auth,
    tls: {
      rejectUnauthorized: !account.allowInvalidCert,
      servername: isIpAddress(account.imap.host) ? undefined : account.imap.host,
      minVersion: 'TLSv1.2',
    },
    clientInfo: { name: 'tmail', version: VERSION },
    logger: (options.logger ?? libraryLogger(`imap:${account.name}`)) as ImapFlowOptions['logger'],
    emitLogs: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 5 * 60_000,
    disableAutoIdle: options.autoIdleDelayMs === undefined,
    qresync: Boolean(options.qresync),
    ...(options.autoIdleDelayMs === undefined
      ? {}
      : { autoIdleDelay: options.autoIdleDelayMs, maxIdleTime: 5 * 60_000 }),
  } as ImapFlowOptions;
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * Connects and logs in; every failure becomes a TmailError naming host and
 * port. An OAuth2 token the server refuses is renewed once (`credentials.renew`)
 * before the refusal reaches the user.
 */
export async function connectImap(options: ImapClientOptions): Promise<ImapFlow> {
  const { credentials, account } = options;
  try {
    return await connectOnce(options);
  } catch (error) {
    if (!(error instanceof TmailError) || error.code !== 'AUTH_FAILED' || !credentials.renew)
      throw error;
    const renewed = await credentials.renew();
    try {
      return await connectOnce({ ...options, credentials: { ...renewed, renew: undefined } });
    } catch (again) {
      if (!(again instanceof TmailError) || again.code !== 'AUTH_FAILED') throw again;
      throw new TmailError(
        'AUTH_FAILED',
        `The IMAP server ${account.imap.host}:${account.imap.port} refused the OAuth2 sign-in of account ${account.name}; run tmail account login ${account.name}.`,
        { serverText: again.serverText, cause: again },
      );
    }
  }
}

async function connectOnce(options: ImapClientOptions): Promise<ImapFlow> {
  const client = new ImapFlow(imapOptions(options));
  // imapflow emits 'error' on socket failures after connect; an unhandled one would crash.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw translateImapError(error, options.account);
  }
  return client;
}

/** Maps an imapflow error to a TmailError with the server's words where it sent any. */
export function translateImapError(error: unknown, account: AccountConfig): TmailError {
  if (error instanceof TmailError) return error;
  const endpoint = {
    protocol: 'IMAP',
    host: account.imap.host,
    port: account.imap.port,
    account: account.name,
  };
  const e = (error ?? {}) as {
    authenticationFailed?: boolean;
    responseStatus?: string;
    responseText?: string;
    serverResponseCode?: string;
    code?: string;
    message?: string;
  };
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new TmailError(
      'AUTH_FAILED',
      `The IMAP server ${endpoint.host}:${endpoint.port} refused the login for ${account.name}; check the user name and password.`,
      { serverText: e.responseText, cause: error },
    );
  }
  if (/does not support STARTTLS|STARTTLS is not possible/.test(e.message ?? '')) {
    // The SMTP side's words: what the server lacks and which setting to change.
    return new TmailError(
      'TLS_FAILED',
      `The IMAP server ${endpoint.host}:${endpoint.port} offers no STARTTLS; check the security setting (tls or plain) and the port.`,
      { cause: error },
    );
  }
  const network = translateNetworkError(error, endpoint);
  if (network) return network;
  if (e.responseStatus === 'NO') {
    return new TmailError('SERVER_NO', 'The IMAP server refused the request.', {
      serverText: e.responseText,
      cause: error,
    });
  }
  if (e.responseStatus === 'BAD') {
    return new TmailError('SERVER_BAD', 'The IMAP server did not understand the request.', {
      serverText: e.responseText,
      cause: error,
    });
  }
  if (
    e.code === 'NoConnection' ||
    /connection not available|Connection closed/i.test(e.message ?? '')
  ) {
    return new TmailError(
      'CONNECTION_LOST',
      `The connection to the IMAP server ${endpoint.host}:${endpoint.port} was lost.`,
      {
        cause: error,
      },
    );
  }
  return new TmailError(
    'INTERNAL',
    `An IMAP request to ${endpoint.host}:${endpoint.port} failed unexpectedly.`,
    {
      cause: error,
    },
  );
}
