/**
 * One table of error codes. Every failure that reaches a user is a TmailError:
 * a code a program can branch on and one sentence a person can act on
 * (what failed, what to do). Server text is kept apart in `serverText`, already
 * stripped of control characters, so it can be shown without trusting it.
 */

export const ERROR_CODES = {
  USAGE: 'The command line was not understood.',
  CONFIG_INVALID: 'The configuration file is not valid.',
  CONFIG_MISSING: 'No account is configured.',
  ACCOUNT_UNKNOWN: 'No account has that name.',
  SECRET_UNAVAILABLE: 'The password could not be read.',
  KEYCHAIN_UNAVAILABLE: 'The system keychain is not available.',
  AUTH_FAILED: 'The server refused the user name or password.',
  HOST_UNKNOWN: 'The server name could not be found.',
  CONNECTION_REFUSED: 'The server refused the connection.',
  TIMEOUT: 'The server did not answer in time.',
  TLS_UNTRUSTED: "The server's certificate is not trusted.",
  TLS_FAILED: 'The secure connection could not be set up.',
  CONNECTION_LOST: 'The connection to the server was lost.',
  PROTOCOL: 'The server sent something tmail does not accept.',
  OFFLINE: 'tmail is offline.',
  SERVER_NO: 'The server refused the request.',
  SERVER_BAD: 'The server did not understand the request.',
  FOLDER_UNKNOWN: 'No folder has that name.',
  MESSAGE_UNKNOWN: 'No message has that UID.',
  UIDVALIDITY_CHANGED: 'The folder was rebuilt on the server.',
  PARSE_FAILED: 'The message could not be decoded.',
  SEND_FAILED: 'The message could not be sent.',
  RECIPIENT_REJECTED: 'The server rejected a recipient.',
  INVALID_MESSAGE: 'The message is not valid.',
  FILE_ERROR: 'A file could not be read or written.',
  CANCELLED: 'The operation was cancelled.',
  INTERNAL: 'Something went wrong inside tmail.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface TmailErrorOptions {
  /** The server's own words, if any (sanitised before storing). */
  serverText?: string;
  cause?: unknown;
}

/** Dovecot ends its replies with the time they took, `(0.001 + 0.000 secs)`. */
const TIMING_TAIL = /\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?$/;

/** A failure with a code and one sentence for the user. */
export class TmailError extends Error {
  readonly code: ErrorCode;
  readonly serverText: string | undefined;

  constructor(code: ErrorCode, message?: string, options: TmailErrorOptions = {}) {
    super(message ?? ERROR_CODES[code], { cause: options.cause });
    this.name = 'TmailError';
    this.code = code;
    this.serverText =
      options.serverText === undefined ? undefined : stripControls(options.serverText).trim();
  }

  /**
   * The sentence for the user, with the server's words when there are any
   * (less what only a log needs; `serverText` keeps them whole for the log).
   */
  get userMessage(): string {
    const words = this.serverText?.replace(TIMING_TAIL, '');
    if (!words) return this.message;
    const base = this.message.replace(/\.$/, '');
    return `${base}: ${words.replace(/\.$/, '')}.`;
  }
}

export function isTmailError(value: unknown): value is TmailError {
  return value instanceof TmailError;
}

/**
 * Turns anything thrown into a TmailError. Unknown errors become INTERNAL with
 * a generic sentence: their text may hold a stack, a path or worse.
 */
export function toTmailError(error: unknown, fallback: ErrorCode = 'INTERNAL'): TmailError {
  if (error instanceof TmailError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new TmailError('CANCELLED');
  return new TmailError(fallback, undefined, { cause: error });
}

/** Removes C0/C1 controls so that server text cannot drive the terminal. */
function stripControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ');
}

/** Exit codes used by the CLI: 0 ok, 1 runtime failure, 2 usage or configuration. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

export function exitCodeFor(error: TmailError): number {
  return error.code === 'USAGE' || error.code === 'CONFIG_INVALID' ? EXIT.USAGE : EXIT.FAILURE;
}
