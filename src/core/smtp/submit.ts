/**
 * Submitting a built message to the account's gateway (587 STARTTLS or 465
 * TLS, AUTH with the account's password or OAuth2 token).
 *
 * This drives nodemailer's SMTP connection step by step rather than through
 * `sendMail`, for one reason: the outbox must know whether the message data
 * had started to go to the server when something failed. Before that point
 * (connect, TLS, AUTH, MAIL FROM, RCPT TO) a failure means it was certainly
 * not delivered; after it, a lost connection leaves that unknown. The message
 * is handed over as a stream that is only read once the server has said 354,
 * and `onHandOver` runs (and is awaited) right before its first byte.
 */
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection/index.js';
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';
import { registerSecret } from '../log.js';
import type { BuiltMessage } from './raw.js';
import { smtpLoginAuth, smtpOptions, translateSmtpError } from './transport.js';

/** What the server said to a message it accepted. */
export interface SubmitResult {
  /** Recipients the server accepted. */
  accepted: string[];
  /** Recipients the server refused while accepting the message for the others. */
  rejected: string[];
  /** The server's reason for each refused recipient, same order. */
  rejectedReasons: string[];
  /** The server's final answer, e.g. `250 2.0.0 Ok: queued as 4XyZ`. */
  response: string;
}

export interface SubmitOptions {
  /** Runs (and is awaited) just before the message data goes to the server. */
  onHandOver?: () => Promise<void> | void;
  /** Connect and greeting timeout in ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A submit failure: a TmailError (so it prints and maps to an exit code like
 * any other) that also says whether the server may have the whole message.
 */
export class SubmitFailure extends TmailError {
  /** The data had gone to the server and no answer came back: the message may have been delivered. */
  readonly uncertain: boolean;

  constructor(error: TmailError, uncertain: boolean) {
    super(error.code, error.message, { serverText: error.serverText, cause: error.cause });
    this.uncertain = uncertain;
  }
}

/** A stream of the message that calls `before` the first time it is read, and waits for it. */
function handOverStream(raw: Buffer, before: () => Promise<void>): Readable {
  let started = false;
  return new Readable({
    read() {
      if (started) return;
      started = true;
      before().then(
        () => {
          this.push(raw);
          this.push(null);
        },
        (error: unknown) => this.destroy(error as Error),
      );
    },
  });
}

/**
 * Sends `built.raw` to `built.envelope` through the account's SMTP server.
 * Resolves when the server accepted it for at least one recipient; rejects
 * with a {@link SubmitFailure}, a TmailError with the server's words
 * (AUTH_FAILED, RECIPIENT_REJECTED, CONNECTION_REFUSED, TIMEOUT, ...).
 */
export async function submit(
  account: AccountConfig,
  credentials: Credentials,
  built: Pick<BuiltMessage, 'raw' | 'envelope'>,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  try {
    return await submitOnce(account, credentials, built, options);
  } catch (error) {
    // An OAuth2 token the server refused (revoked, or expired early): renew it once.
    if (!(error instanceof SubmitFailure) || error.code !== 'AUTH_FAILED' || !credentials.renew)
      throw error;
    const renewed = await credentials.renew();
    try {
      return await submitOnce(account, { ...renewed, renew: undefined }, built, options);
    } catch (again) {
      if (!(again instanceof SubmitFailure) || again.code !== 'AUTH_FAILED') throw again;
      throw new SubmitFailure(
        new TmailError(
          'AUTH_FAILED',
          `The SMTP server ${account.smtp.host}:${account.smtp.port} refused the OAuth2 sign-in of account ${account.name}; run tmail account login ${account.name}.`,
          { serverText: again.serverText, cause: again },
        ),
        false,
      );
    }
  }
}

async function submitOnce(
  account: AccountConfig,
  credentials: Credentials,
  built: Pick<BuiltMessage, 'raw' | 'envelope'>,
  options: SubmitOptions,
): Promise<SubmitResult> {
  if (credentials.password) registerSecret(credentials.password);
  if (credentials.accessToken) registerSecret(credentials.accessToken);
  const connection = new SMTPConnection(
    smtpOptions(account, credentials, options.timeoutMs) as SMTPConnectionOptions,
  );
  let handedOver = false;
  let settled = false;
  let onAbort: (() => void) | undefined;

  const result = new Promise<SubmitResult>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      connection.close();
      const translated = translateSmtpError(error, account);
      // After the data went, only an answer from the server (it has words) settles the question.
      reject(new SubmitFailure(translated, handedOver && translated.serverText === undefined));
    };
    connection.on('error', fail);
    if (options.signal) {
      onAbort = () => fail(new TmailError('CANCELLED'));
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });
    }

    const send = () => {
      const message = handOverStream(built.raw, async () => {
        await options.onHandOver?.();
        // Only now: if recording the hand-over failed, the stream errors before any byte goes.
        handedOver = true;
      });
      connection.send(
        {
          from: built.envelope.from,
          to: built.envelope.to,
          size: built.raw.length,
          // Forwarded messages can carry 8-bit bytes; ask for 8BITMIME when the server offers it.
          use8BitMime: built.raw.some((byte) => byte > 0x7f),
        },
        message,
        (error, info) => {
          if (error) return fail(error);
          if (settled) return;
          settled = true;
          connection.quit();
          resolve({
            accepted: info.accepted ?? [],
            rejected: info.rejected ?? [],
            rejectedReasons: (info.rejectedErrors ?? []).map((e) =>
              String(e.response ?? e.message),
            ),
            response: info.response ?? '',
          });
        },
      );
    };

    connection.connect((error) => {
      if (error) return fail(error);
      if (!connection.allowsAuth) return send();
      const auth = smtpLoginAuth(connection, credentials) as Parameters<typeof connection.login>[0];
      connection.login(auth, (loginError) => (loginError ? fail(loginError) : send()));
    });
  });

  try {
    return await result;
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
