/**
 * The reader's automatic retry of the outbox against small hostile SMTP
 * servers (test/support/hostile-smtp.ts) and the test Dovecot: a message
 * refused for good (554 after its data, 535 to AUTH) is not submitted again
 * and waits for the user, shown in the status line's state; a temporary
 * refusal (451) is retried with growing delays up to a limit; a Sent copy
 * that could not be saved is saved later by itself, also by a new run,
 * without submitting the message again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newDraft, type Draft } from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { Sending } from '../../src/core/sending.js';
import { checker, serverSubjects, testEngine } from '../support/engine.js';
import { startHostileSmtp, type HostileSmtp } from '../support/hostile-smtp.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import type { TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: MailStack;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  // A private stack: one test stops its IMAP server.
  stack = await startMailStack();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await stack?.stop();
});

/** Short delays for the test: 150, 450, 900 ms, at most three automatic retries. */
const policy = { delaysMs: [150, 450, 900], limit: 3 };

interface Setup {
  smtp: HostileSmtp;
  engine: MailEngine;
  account: AccountConfig;
  sending: Sending;
  outbox: Outbox;
}

async function setup(
  mode: HostileSmtp['mode'],
  name: string,
  outboxDir = mkdtempSync(join(tmpdir(), 'tmail-outbox-')),
  existing?: { smtp: HostileSmtp; user: TestUser },
): Promise<Setup & { user: TestUser; outboxDir: string }> {
  const smtp = existing?.smtp ?? (await startHostileSmtp(mode));
  if (!existing) cleanups.push(() => smtp.close());
  const user =
    existing?.user ?? (await stack.addUser(`${name}-${Math.random().toString(36).slice(2, 8)}`));
  const { engine, account } = testEngine(stack.info(), user, {
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'plain' },
  });
  cleanups.push(() => engine.close());
  await engine.start({ retry: true });
  await waitFor(() => engine.state.connection.status === 'online', { what: 'online' });
  const outbox = new Outbox(outboxDir);
  const sending = new Sending(engine, account, { outbox, retryPolicy: policy });
  cleanups.push(() => sending.stop());
  return { smtp, engine, account, sending, outbox, user, outboxDir };
}

function draftTo(account: AccountConfig, subject: string): Draft {
  return {
    ...newDraft(account),
    to: [{ name: 'Bob', address: 'bob@example.test' }],
    subject,
    body: 'Hello.\n',
  };
}

/** Lets the automatic retry run for a while: long past every delay of the policy. */
async function letRetriesRun(sending: Sending): Promise<void> {
  await new Promise((r) => setTimeout(r, 2500));
  await sending.idle();
}

describe('automatic retry of the outbox', () => {
  it('never submits a message refused with 554 again by itself, and says it waits for you', async () => {
    const { smtp, engine, account, sending, outbox } = await setup('data554', 'spam');
    const result = await sending.send(draftTo(account, 'Cheap watches'));
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toContain('554 5.7.1 rejected as spam');
    sending.startAutoRetry({ tickMs: 50 });
    await letRetriesRun(sending);
    expect(smtp.submissions).toBe(1);
    expect(result.autoRetry).toBe(false);
    const [entry] = await outbox.list(account.name);
    expect(entry).toMatchObject({ state: 'failed', needsUser: true });
    expect(engine.state.outbox).toEqual({ waiting: 0, needsYou: 1 });

    // The user asks: it is submitted again, once.
    await sending.retry();
    expect(smtp.submissions).toBe(2);
  });

  it('does not log in again with refused credentials (535), for any message', async () => {
    const { smtp, engine, account, sending } = await setup('auth535', 'lockout');
    smtp.mode = 'data451';
    // Two messages waiting (the gateway answered 4xx), then the password is refused.
    await sending.send(draftTo(account, 'First'));
    await sending.send(draftTo(account, 'Second'));
    smtp.mode = 'auth535';
    const loginsBefore = smtp.logins;
    sending.startAutoRetry({ tickMs: 50 });
    await letRetriesRun(sending);
    expect(smtp.logins - loginsBefore).toBe(1);
    expect(engine.state.outbox).toEqual({ waiting: 0, needsYou: 2 });
  });

  it('retries a 451 with growing delays, then stops at the limit and waits for you', async () => {
    const { smtp, engine, account, sending, outbox } = await setup('data451', 'grey');
    const result = await sending.send(draftTo(account, 'Greylisted'));
    expect(result).toMatchObject({ status: 'failed', autoRetry: true });
    await waitFor(() => engine.state.outbox.waiting === 1, { what: 'the status line' });
    sending.startAutoRetry({ tickMs: 50 });
    await waitFor(() => smtp.submissions === 4, { what: 'three retries', timeoutMs: 20_000 });
    await letRetriesRun(sending);
    // The first try and three automatic retries; then nothing more.
    expect(smtp.submissions).toBe(4);
    const gaps = smtp.submittedAt.slice(1).map((t, i) => t - smtp.submittedAt[i]!);
    expect(gaps[1]).toBeGreaterThanOrEqual(policy.delaysMs[1]!);
    expect(gaps[2]).toBeGreaterThanOrEqual(policy.delaysMs[2]!);
    const [entry] = await outbox.list(account.name);
    expect(entry).toMatchObject({ state: 'failed', needsUser: true, autoRetries: 3 });
    expect(engine.state.outbox).toEqual({ waiting: 0, needsYou: 1 });

    // Once the gateway takes it, the user's retry sends it.
    smtp.mode = 'accept';
    const [sent] = await sending.retry();
    expect(sent!.status).toBe('sent');
    expect(smtp.submissions).toBe(5);
  });
});

describe('follow-ups of a sent message', () => {
  it('saves the Sent copy later by itself, and in a new run, without sending again', async () => {
    const first = await setup('accept', 'sentcopy');
    const { smtp, engine, account, sending, outbox, user } = first;
    await stack.stopImap();
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
    const result = await sending.send(draftTo(account, 'Minutes of the meeting'));
    expect(result.status).toBe('sent');
    expect(result.warnings[0]).toMatch(
      /^The message was sent, but the copy for the Sent folder could not be saved .*; tmail will try again\.$/,
    );
    expect(smtp.submissions).toBe(1);

    // This run ends before the server is back; the next run finds the follow-up and does it.
    sending.stop();
    await engine.close();
    await stack.startImap();
    const second = await setup('accept', 'sentcopy', first.outboxDir, { smtp, user });
    second.sending.startAutoRetry({ tickMs: 50 });
    await waitFor(async () => (await outbox.list(account.name)).length === 0, {
      what: 'the follow-up done',
      timeoutMs: 20_000,
    });
    expect(smtp.submissions).toBe(1);
    const check = await checker(stack.info(), user);
    try {
      const sent = [...(await serverSubjects(check, 'Sent')).values()];
      expect(sent).toEqual(['Minutes of the meeting']);
    } finally {
      await check.logout();
    }
  });
});
