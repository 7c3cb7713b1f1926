/**
 * The sources of tagged messages for :pipe and :save, against the real
 * Dovecot through a proxy that records every command: they come in the order
 * asked, each the message the server holds under that UID, in one UID FETCH
 * per chunk of messages rather than one per message; a message gone from the
 * folder is one sentence.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { SOURCES_CHUNK } from '../../src/core/engine/reading.js';
import { isTmailError } from '../../src/core/errors.js';
import { checker, testEngine } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { seedMaildir } from '../support/seed.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

const stack = sharedMailStack();
const COUNT = 120;
let proxy: FaultProxy;
let engine: MailEngine;
let check: ImapFlow;
/** Message-IDs by UID, as the server holds them. */
const ids = new Map<number, string>();

beforeAll(async () => {
  const user = await newTestUser(stack, 'sources');
  await seedMaildir(stack.info(), user.name, COUNT);
  check = await checker(stack.info(), user);
  await check.mailboxOpen('INBOX');
  for await (const message of check.fetch('1:*', { uid: true, envelope: true }))
    ids.set(message.uid, message.envelope?.messageId ?? '');
  proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
  ({ engine } = testEngine(stack.info(), user, {
    imap: { host: proxy.host, port: proxy.port, security: 'plain' },
  }));
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});
afterAll(async () => {
  await engine?.close();
  await check?.logout();
  await proxy?.close();
});

/** The Message-ID header of a raw message. */
function messageIdOf(raw: Buffer): string {
  return /^Message-ID:\s*(\S+)/im.exec(raw.toString('latin1'))?.[1] ?? '';
}

/** UID FETCH commands of whole sources the engine sent so far. */
const sourceFetches = () => proxy.sent.filter((line) => /UID FETCH .*BODY\.PEEK\[\]/i.test(line));

describe('sources of tagged messages', () => {
  it('come oldest first, each the server’s, in one UID FETCH per chunk', async () => {
    const uids = [...ids.keys()].sort((a, b) => a - b);
    expect(uids).toHaveLength(COUNT);
    const before = sourceFetches().length;
    const sources = await engine.request({ type: 'sources', uids });
    expect(sources.map(messageIdOf)).toEqual(uids.map((uid) => ids.get(uid)));
    const commands = sourceFetches().length - before;
    expect(commands).toBeGreaterThan(0);
    expect(commands).toBeLessThanOrEqual(Math.ceil(COUNT / SOURCES_CHUNK));
    expect(engine.stats.sourceCommands).toBeLessThanOrEqual(Math.ceil(COUNT / SOURCES_CHUNK));
  });

  it('keep the order asked, and a message gone is one sentence', async () => {
    const uids = [...ids.keys()].sort((a, b) => a - b);
    const picked = [uids[7]!, uids[2]!, uids[90]!];
    const sources = await engine.request({ type: 'sources', uids: picked });
    expect(sources.map(messageIdOf)).toEqual(picked.map((uid) => ids.get(uid)));

    const gone = await engine.dispatch({ type: 'sources', uids: [uids[0]!, 99_999] });
    expect(gone.ok).toBe(false);
    if (!gone.ok && !gone.cancelled) {
      expect(isTmailError(gone.error)).toBe(true);
      expect(gone.error.userMessage).toBe('There is no message with UID 99999 in this folder.');
    }
  });
});
