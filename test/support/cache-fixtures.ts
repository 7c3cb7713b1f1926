/** Envelopes for tests and benchmarks of the local store (src/core/cache). */
import type { CachedEnvelope } from '../../src/core/cache/index.js';

const DAY = 24 * 60 * 60 * 1000;
/** 2026-01-01T00:00:00Z: message N is N hours later unless told otherwise. */
export const BASE_TIME = Date.UTC(2026, 0, 1);

/** An envelope for UID `uid`, dated `uid` hours after BASE_TIME, with `overrides` on top. */
export function testEnvelope(uid: number, overrides: Partial<CachedEnvelope> = {}): CachedEnvelope {
  const time = BASE_TIME + uid * 60 * 60 * 1000;
  return {
    uid,
    subject: `Message ${uid}`,
    from: [{ name: `Sender ${uid % 50}`, address: `sender${uid % 50}@example.org` }],
    to: [{ name: 'Ada Lovelace', address: 'ada@example.com' }],
    cc: [],
    replyTo: [],
    date: time,
    arrival: time,
    messageId: `<m${uid}@example.org>`,
    inReplyTo: '',
    flags: [],
    size: 1000 + uid,
    hasAttachments: false,
    ...overrides,
  };
}

export { DAY };
