/**
 * Opening an imapflow connection for an account, and turning imapflow's errors
 * into TmailErrors. The only place that knows imapflow's option names.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { DEFAULT_SERVER_TIMEOUT_S, type AccountConfig, type Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';
import { libraryLogger } from '../log.js';
import { translateNetworkError, type Endpoint } from '../net-errors.js';
import { VERSION } from '../version.js';
import { lossFromError, RESPONSE_LIMITS, timeoutError } from './connection-loss.js';

export interface ImapClientOptions {
  account: AccountConfig;
  credentials: Credentials;
  /** Connect, greeting and login timeout in ms; default the account's `timeout` setting. */
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
  const timeout = serverTimeoutMs(account, options.timeoutMs);
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
    // A quiet socket with no command waiting (IDLE) is fine; a command that waits
    // too long is cut by the backend's own deadline.
    socketTimeout: 5 * 60_000,
    // imapflow's own caps are 1 GiB: an endless line grew tmail past a gigabyte first.
    ...RESPONSE_LIMITS,
    disableAutoIdle: options.autoIdleDelayMs === undefined,
    qresync: Boolean(options.qresync),
    ...(options.autoIdleDelayMs === undefined
      ? {}
      : { autoIdleDelay: options.autoIdleDelayMs, maxIdleTime: 5 * 60_000 }),
  } as ImapFlowOptions;
}

/** The limit on every wait for the server, in ms: the explicit one, else the account's setting. */
export function serverTimeoutMs(account: AccountConfig, explicitMs?: number): number {
  return explicitMs ?? (account.timeout ?? DEFAULT_SERVER_TIMEOUT_S) * 1000;
}

/** Host and port of the account's IMAP server, for error sentences. */
export function imapEndpoint(account: AccountConfig): Endpoint {
  return {
    protocol: 'IMAP',
    host: account.imap.host,
    port: account.imap.port,
    account: account.name,
  };
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Tries of a typed password (password source `prompt`) before the login gives up. */
export const PASSWORD_TRIES = 3;

/**
 * Connects and logs in; every failure becomes a TmailError naming host and
 * port. An OAuth2 token the server refuses is renewed once (`credentials.renew`)
 * before the refusal reaches the user. A typed password the server refuses is
 * forgotten and asked for again, {@link PASSWORD_TRIES} tries in all
 * (`credentials.retype`), as mutt does.
 */
export async function connectImap(options: ImapClientOptions): Promise<ImapFlow> {
  const { account } = options;
  let credentials = options.credentials;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce({ ...options, credentials });
    } catch (error) {
      if (!(error instanceof TmailError) || error.code !== 'AUTH_FAILED' || !credentials.refused)
        return await renewOnce({ ...options, credentials }, error);
      credentials.refused();
      if (credentials.retype && attempt < PASSWORD_TRIES) {
        credentials = await credentials.retype(attempt + 1, PASSWORD_TRIES);
        continue;
      }
      if (attempt === 1) throw error;
      throw new TmailError(
        'AUTH_FAILED',
        `The IMAP server ${account.imap.host}:${account.imap.port} refused the password of account ${account.name} ${attempt} times; check the user name and password, then try again.`,
        { serverText: error.serverText, cause: error },
      );
    }
  }
}

/** After a first failed login: an OAuth2 token the server refused is renewed and tried once. */
async function renewOnce(options: ImapClientOptions, error: unknown): Promise<ImapFlow> {
  const { credentials, account } = options;
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

async function connectOnce(options: ImapClientOptions): Promise<ImapFlow> {
  const client = new ImapFlow(imapOptions(options));
  const timeoutMs = serverTimeoutMs(options.account, options.timeoutMs);
  const endpoint = imapEndpoint(options.account);
  // imapflow emits 'error' on socket failures after connect; an unhandled one would crash.
  // The first one says why the connection ended (a refused response, a reset).
  let failure: TmailError | undefined;
  client.on('error', (error: unknown) => {
    failure ??= lossFromError(error, endpoint, timeoutMs / 1000);
  });
  // imapflow's greeting timer stops at the greeting: a server that greets and then
  // says nothing would hold CAPABILITY or LOGIN for its 5-minute socket timeout.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      failure ??= timeoutError(endpoint, timeoutMs / 1000);
      reject(failure);
    }, timeoutMs);
  });
  const connecting = client.connect();
  connecting.catch(() => {});
  try {
    await Promise.race([connecting, deadline]);
  } catch (error) {
    client.close();
    throw failure ?? translateImapError(error, options.account);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** Maps an imapflow error to a TmailError with the server's words where it sent any. */
export function translateImapError(error: unknown, account: AccountConfig): TmailError {
  if (error instanceof TmailError) return error;
  const endpoint = imapEndpoint(account);
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
