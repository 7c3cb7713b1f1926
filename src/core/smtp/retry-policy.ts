/**
 * When a message that could not be sent is tried again by itself.
 *
 * Only temporary failures are retried automatically: an SMTP 4xx answer, or a
 * connection that failed (refused, lost, timed out, no network). A 5xx answer
 * (the server refused the message, the sender or a recipient), a refused
 * login, an untrusted certificate or an unreadable password will fail the
 * same way every time: retrying them submits a message refused as spam again
 * and again, or logs in with a wrong password every minute, which is how
 * fail2ban bans and provider lockouts start. Those wait for the user
 * (`tmail outbox retry`, `tmail outbox edit`).
 *
 * Temporary failures are retried with growing delays, and only so many times:
 * after {@link DEFAULT_RETRY_POLICY}'s limit the message waits for the user too.
 */
import type { TmailError } from '../errors.js';

export interface RetryPolicy {
  /** Delay before each automatic retry, in ms; the last one repeats. */
  delaysMs: number[];
  /** Automatic retries after which a message waits for the user. */
  limit: number;
}

/** 1, 2, 5, 10, 30, 60, 60, 60 minutes: about four and a half hours of trying. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  delaysMs: [1, 2, 5, 10, 30, 60].map((minutes) => minutes * 60_000),
  limit: 8,
};

/** The SMTP reply code carried by an error or its causes (nodemailer's `responseCode`). */
export function smtpReplyCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { responseCode?: unknown }).responseCode;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Codes that say the attempt could not reach a verdict: the network, not the server's judgement. */
const TEMPORARY_CODES = new Set([
  'CONNECTION_REFUSED',
  'CONNECTION_LOST',
  'TIMEOUT',
  'HOST_UNKNOWN',
  'OFFLINE',
]);

/**
 * True when trying again later may work by itself: an SMTP 4xx, or a failed
 * connection. False for a 5xx, a refused login, TLS trouble, a password that
 * cannot be read: those need the user.
 */
export function isTemporaryFailure(error: TmailError): boolean {
  const reply = smtpReplyCode(error);
  if (reply !== undefined) return reply >= 400 && reply < 500;
  if (TEMPORARY_CODES.has(error.code)) return true;
  // A failure without a reply code and without a known cause: retry, within the limit.
  return error.code === 'SEND_FAILED';
}

/** The delay before automatic retry number `retry` (0 for the first). */
export function retryDelay(retry: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  return policy.delaysMs[Math.min(retry, policy.delaysMs.length - 1)]!;
}
