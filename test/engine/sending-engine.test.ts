/**
 * Sending wired to a running engine (what the TUI uses): the IMAP follow-ups
 * travel over the engine's own connection, also for messages in folders other
 * than the open one, and the open folder stays right afterwards.
 */
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftFromMessage, forwardDraft, replyDraft } from '../../src/core/compose/index.js';
import { AddressBook } from '../../src/core/addressbook/index.js';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { Sending } from '../../src/core/sending.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checker,
  serverFlags,
  serverSubjects,
  testEngine,
  type EngineHarness,
} from '../support/engine.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
let alice: TestUser;
let bob: TestUser;
let harness: EngineHarness;
let engine: MailEngine;
let sending: Sending;
let aliceCheck: ImapFlow;
let bobCheck: ImapFlow;
const attachment = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  alice = await newTestUser(stack, 'sender');
  bob = await newTestUser(stack, 'receiver');
  aliceCheck = await checker(stack.info(), alice);
  bobCheck = await checker(stack.info(), bob);
  const boundary = 'b1';
  await aliceCheck.append(
    'INBOX',
    [
      `From: Bob <${bob.email}>`,
      `To: ${alice.email}`,
      'Subject: Plans with a file',
      'Message-ID: <plans-1@example.test>',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Here are the plans.',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="plans.bin"',
      'Content-Disposition: attachment; filename="plans.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment.toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
  await aliceCheck.append(
    'Archive',
    `From: Bob <${bob.email}>\r\nTo: ${alice.email}\r\nSubject: Old question\r\nMessage-ID: <old-1@example.test>\r\n\r\nStill there?\r\n`,
  );
  harness = testEngine(stack.info(), alice);
  engine = harness.engine;
  await engine.start({ retry: false });
  const state = mkdtempSync(join(tmpdir(), 'tmail-sending-'));
  sending = new Sending(engine, harness.account, {
    outbox: new Outbox(join(state, 'outbox')),
    addressBook: new AddressBook(join(state, 'addresses.json')),
  });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(async () => {
  sending?.stop();
  await engine?.close();
  await aliceCheck?.logout();
  await bobCheck?.logout();
});

async function bobsMessage(subject: string) {
  return waitFor(
    async () => {
      const subjects = await serverSubjects(bobCheck, 'INBOX');
      const uid = [...subjects].find(([, s]) => s === subject)?.[0];
      if (!uid) return undefined;
      const lock = await bobCheck.getMailboxLock('INBOX');
      try {
        const message = await bobCheck.fetchOne(String(uid), { source: true }, { uid: true });
        return message ? simpleParser(message.source!) : undefined;
      } finally {
        lock.release();
      }
    },
    { what: `"${subject}" in bob's INBOX` },
  );
}

describe('sending through the engine', () => {
  it('forwards inline with the attachment fetched over the engine, files Sent, marks $Forwarded', async () => {
    const original = await engine.request({ type: 'read', uid: 1, peek: true });
    const draft = forwardDraft(harness.account, original, { mode: 'inline', folder: 'INBOX' });
    draft.to = [{ name: 'Bob', address: bob.email }];
    const result = await sending.send(draft);
    expect(result.warnings).toEqual([]);
    expect(result.status).toBe('sent');

    const received = await bobsMessage('Fwd: Plans with a file');
    expect(received.attachments.map((a) => sha(a.content))).toEqual([sha(attachment)]);
    expect((await serverSubjects(aliceCheck, 'Sent')).size).toBe(1);
    expect((await serverFlags(aliceCheck, 'INBOX')).get(1)).toContain('$Forwarded');
  });

  it('replies to a message in another folder and comes back to the open one', async () => {
    await engine.request({ type: 'open-folder', path: 'Archive' });
    const original = await engine.request({ type: 'read', uid: 1, peek: true });
    await engine.request({ type: 'open-folder', path: 'INBOX' });
    const draft = replyDraft(harness.account, original, { folder: 'Archive' });
    draft.body = `Yes, still here.\n\n${draft.body}`;
    const result = await sending.send(draft);
    expect(result.warnings).toEqual([]);
    expect(result.status).toBe('sent');

    const received = await bobsMessage('Re: Old question');
    expect(received.inReplyTo).toBe('<old-1@example.test>');
    expect((await serverFlags(aliceCheck, 'Archive')).get(1)).toContain('\\Answered');
    // The open folder is INBOX again and still usable.
    expect(engine.state.view?.path).toBe('INBOX');
    const read = await engine.request({ type: 'read', uid: 1, peek: true });
    expect(read.subject).toBe('Plans with a file');
  });

  it('postpones into Drafts, resumes from there, and removes the Drafts copy once sent', async () => {
    const original = await engine.request({ type: 'read', uid: 1, peek: true });
    const draft = replyDraft(harness.account, original, { folder: 'INBOX' });
    await sending.postpone(draft);
    const drafts = await serverSubjects(aliceCheck, 'Drafts');
    expect([...drafts.values()]).toEqual(['Re: Plans with a file']);
    const draftUid = [...drafts.keys()][0]!;
    expect((await serverFlags(aliceCheck, 'Drafts')).get(draftUid)).toContain('\\Draft');

    // Resumed from Drafts (another folder than the open one), then sent.
    await engine.request({ type: 'open-folder', path: 'Drafts' });
    const stored = await engine.request({ type: 'read', uid: draftUid, peek: true });
    await engine.request({ type: 'open-folder', path: 'INBOX' });
    const resumed = draftFromMessage(stored, { account: harness.account.name, folder: 'Drafts' });
    resumed.body = `Resumed and sent.\n${resumed.body}`;
    const result = await sending.send(resumed);
    expect(result.warnings).toEqual([]);
    expect(result.status).toBe('sent');
    const received = await bobsMessage('Re: Plans with a file');
    expect(received.text).toContain('Resumed and sent.');
    expect((await serverSubjects(aliceCheck, 'Drafts')).size).toBe(0);
  });
});
