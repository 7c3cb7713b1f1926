/**
 * Why an IMAP connection ended, kept from the moment it happens so that the
 * commands it breaks and the "offline" line all say the same, right thing.
 *
 * imapflow rejects every command of a dead connection with the same
 * `NoConnection` ("Connection not available"), whatever killed it; the cause
 * (a reset, the server closing, a timeout, a response tmail refused) arrives
 * earlier, on the client's 'error' event, or not at all when the server just
 * closed. Each cause gets its own sentence.
 */
import { TmailError } from '../errors.js';
import { errorCode, translateNetworkError, type Endpoint } from '../net-errors.js';

/** What tmail accepts from a server in one piece (imapflow's own limits default to 1 GiB). */
export const RESPONSE_LIMITS = {
  /** One response line without literals: a plain SEARCH answer of 3 million UIDs fits. */
  maxLineLength: 32 * 1024 * 1024,
  /** One literal: a whole message read with `read --raw`; attachments come in 64 KiB pieces. */
  maxLiteralSize: 256 * 1024 * 1024,
  /** All lines and literals of one response together. */
  maxResponseSize: 320 * 1024 * 1024,
} as const;

/** imapflow's codes for a response it refused to read, with what was too large. */
const REFUSED_RESPONSES: Record<string, string> = {
  LineTooLarge: `a response line longer than ${mib(RESPONSE_LIMITS.maxLineLength)}`,
  LiteralTooLarge: `a literal larger than ${mib(RESPONSE_LIMITS.maxLiteralSize)}`,
  ResponseTooLarge: `a response larger than ${mib(RESPONSE_LIMITS.maxResponseSize)}`,
  TooManyTokens: 'a response of more than a million items',
  MAX_IMAP_NESTING_REACHED: 'a response nested too deeply',
};

function mib(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}

function where(endpoint: Endpoint): string {
  return `${endpoint.protocol} server ${endpoint.host}:${endpoint.port}`;
}

/** The error for a wait on the server that ran past `seconds`. */
export function timeoutError(endpoint: Endpoint, seconds: number, cause?: unknown): TmailError {
  return new TmailError(
    'TIMEOUT',
    `The ${where(endpoint)} did not answer within ${seconds} s; tmail closed the connection (the limit is the account's timeout setting).`,
    { cause },
  );
}

/**
 * The sentence for a connection-level failure imapflow reported, or undefined
 * when the error says nothing about the connection (a NO, a parse of one
 * message). Exported for the unit test of the sentences.
 */
export function lossFromError(
  error: unknown,
  endpoint: Endpoint,
  timeoutSeconds: number,
): TmailError | undefined {
  const code = errorCode(error);
  if (code && code in REFUSED_RESPONSES) {
    return new TmailError(
      'PROTOCOL',
      `The ${where(endpoint)} sent ${REFUSED_RESPONSES[code]}; tmail refused it and closed the connection.`,
      { cause: error },
    );
  }
  if (code === 'ETIMEOUT') return timeoutError(endpoint, timeoutSeconds, error);
  if (code === 'ECONNRESET') {
    return new TmailError(
      'CONNECTION_LOST',
      `The connection to the ${where(endpoint)} was lost: it was reset (by the server or the network).`,
      { cause: error },
    );
  }
  if (code === 'EPIPE' || code === 'ECONNABORTED') {
    return new TmailError(
      'CONNECTION_LOST',
      `The connection to the ${where(endpoint)} was lost: it broke off while tmail was sending.`,
      { cause: error },
    );
  }
  if (code === 'NoConnection') return undefined;
  return translateNetworkError(error, endpoint);
}

/** The sentence when the server closed the connection without any error. */
export function closedError(endpoint: Endpoint, bye?: string): TmailError {
  // imapflow fills in its own words when the server said nothing.
  const said = bye && !/^server closed connection$/i.test(bye) ? bye : undefined;
  return new TmailError(
    'CONNECTION_LOST',
    `The connection to the ${where(endpoint)} was lost: the server closed it.`,
    { serverText: said },
  );
}

/** True for imapflow's rejection of a command on a connection that is gone. */
export function isNoConnection(error: unknown): boolean {
  return errorCode(error) === 'NoConnection';
}

/**
 * Remembers the first cause of a connection's end. Errors after the first
 * are consequences (every pending command fails once the socket is gone).
 */
export class ConnectionLoss {
  private cause: TmailError | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly timeoutSeconds: number,
  ) {}

  /** Notes an error imapflow emitted on the connection. */
  noteError(error: unknown): void {
    this.cause ??= lossFromError(error, this.endpoint, this.timeoutSeconds) ?? null;
  }

  /** Notes that tmail gave up waiting (it closes the connection next). */
  noteTimeout(): TmailError {
    this.cause ??= timeoutError(this.endpoint, this.timeoutSeconds);
    return this.cause;
  }

  /** Why the connection is gone: the noted cause, else the server closed it. */
  lost(bye?: string): TmailError {
    return this.cause ?? closedError(this.endpoint, bye);
  }

  /** True once a cause was noted. */
  get known(): boolean {
    return this.cause !== null;
  }
}
