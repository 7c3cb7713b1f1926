import { describe, expect, it } from 'vitest';
import { TmailError } from '../../src/core/errors.js';
import type { OutboxEntry } from '../../src/core/outbox/index.js';
import { isTemporaryFailure, retryDelay } from '../../src/core/smtp/retry-policy.js';
import { dueForAutomaticRetry } from '../../src/core/smtp/send.js';

const smtp = (code: 'SEND_FAILED' | 'AUTH_FAILED' | 'RECIPIENT_REJECTED', responseCode: number) =>
  new TmailError(code, 'The SMTP server refused.', { cause: { responseCode } });

describe('which send failures are tried again by themselves', () => {
  it('retries 4xx answers and failed connections', () => {
    expect(isTemporaryFailure(smtp('SEND_FAILED', 451))).toBe(true);
    expect(isTemporaryFailure(smtp('AUTH_FAILED', 454))).toBe(true);
    expect(isTemporaryFailure(new TmailError('CONNECTION_REFUSED'))).toBe(true);
    expect(isTemporaryFailure(new TmailError('TIMEOUT'))).toBe(true);
    expect(isTemporaryFailure(new TmailError('CONNECTION_LOST'))).toBe(true);
  });

  it('leaves 5xx answers, refused logins and TLS or password trouble to the user', () => {
    expect(isTemporaryFailure(smtp('SEND_FAILED', 554))).toBe(false);
    expect(isTemporaryFailure(smtp('AUTH_FAILED', 535))).toBe(false);
    expect(isTemporaryFailure(smtp('RECIPIENT_REJECTED', 550))).toBe(false);
    expect(isTemporaryFailure(new TmailError('AUTH_FAILED'))).toBe(false);
    expect(isTemporaryFailure(new TmailError('TLS_UNTRUSTED'))).toBe(false);
    expect(isTemporaryFailure(new TmailError('SECRET_UNAVAILABLE'))).toBe(false);
  });

  it('waits longer each time, the last delay repeating', () => {
    const policy = { delaysMs: [10, 20, 50], limit: 5 };
    expect([0, 1, 2, 3, 4].map((n) => retryDelay(n, policy))).toEqual([10, 20, 50, 50, 50]);
  });

  it('tries only what is due and not waiting for the user', () => {
    const base = { state: 'failed', uncertain: false } as OutboxEntry;
    expect(dueForAutomaticRetry({ ...base, nextRetryAt: 100 }, 100)).toBe(true);
    expect(dueForAutomaticRetry({ ...base, nextRetryAt: 101 }, 100)).toBe(false);
    expect(dueForAutomaticRetry({ ...base, needsUser: true }, 100)).toBe(false);
    expect(dueForAutomaticRetry({ ...base, uncertain: true }, 100)).toBe(false);
    expect(dueForAutomaticRetry({ ...base, state: 'queued', nextRetryAt: 500 }, 100)).toBe(true);
    // Sent, with a follow-up (the Sent copy) to do again.
    expect(dueForAutomaticRetry({ ...base, state: 'sent', nextRetryAt: 50 }, 100)).toBe(true);
  });
});
