/**
 * Nothing lost, nothing twice, with the gateway down: on a private mail stack
 * whose Postfix is stopped, a send fails with one sentence and stays in the
 * outbox; once Postfix is back, a retry delivers it, and further retries send
 * nothing (the recipient's INBOX holds exactly one copy).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDraft } from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import { connectImap } from '../../src/core/imap/connect.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { retryOutbox, sendDraft, submit, type SendDeps } from '../../src/core/smtp/index.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import type { TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: MailStack;
let alice: TestUser;
let bob: TestUser;
let account: AccountConfig;
let aliceImap: ImapFlow;
let bobImap: ImapFlow;
let outbox: Outbox;
let submissions = 0;
let deps: SendDeps;

/** UIDs of the messages with that Message-ID in a folder. */
async function copies(client: ImapFlow, folder: string, messageId: string): Promise<number[]> {
  const lock = await client.getMailboxLock(folder);
  try {
    return (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
  } finally {
    lock.release();
  }
}

beforeAll(async () => {
  stack = await startMailStack();
  alice = stack.users.alice!;
  bob = stack.users.bob!;
  account = testAccount(stack, alice);
  aliceImap = await connectImap({ account, credentials: testCredentials(alice) });
  bobImap = await connectImap({
    account: testAccount(stack, bob),
    credentials: testCredentials(bob),
  });
  outbox = new Outbox(join(mkdtempSync(join(tmpdir(), 'tmail-outage-')), 'outbox'));
  deps = {
    outbox,
    credentials: async () => testCredentials(alice),
    submit: (...args) => {
      submissions++;
      return submit(...args);
    },
    appendToFolder: async (_role, raw, flags) => {
      await aliceImap.append('Sent', raw, flags);
    },
    setFlag: async () => {},
  };
});

afterAll(async () => {
  await aliceImap?.logout().catch(() => {});
  await bobImap?.logout().catch(() => {});
  await stack?.stop();
});

describe('with the gateway down', () => {
  it('fails with one sentence, keeps the message, and delivers it exactly once when the gateway is back', async () => {
    await stack.stopSmtp();
    const result = await sendDraft(deps, account, {
      ...newDraft(account),
      to: [{ name: 'Bob', address: bob.email }],
      subject: 'Sent while the gateway was down',
      body: 'Still here?\n',
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CONNECTION_REFUSED');
    expect(result.error!.userMessage).toBe(
      `The SMTP server ${stack.host}:${stack.ports.submission} refused the connection; check the port and that the server is running.`,
    );
    const [entry] = await outbox.list();
    expect(entry).toMatchObject({
      id: result.id,
      state: 'failed',
      attempts: 1,
      uncertain: false,
      lastError: result.error!.userMessage,
    });

    // A retry while it is still down changes nothing but the count of attempts.
    const stillDown = await retryOutbox(deps, account);
    expect(stillDown.map((r) => r.status)).toEqual(['failed']);
    expect((await outbox.list())[0]).toMatchObject({ state: 'failed', attempts: 2 });

    await stack.startSmtp();
    const retried = await retryOutbox(deps, account);
    expect(retried.map((r) => [r.id, r.status])).toEqual([[result.id, 'sent']]);
    expect(await outbox.list()).toEqual([]);
    const submitted = submissions;

    // A second retry has nothing to do and sends nothing.
    expect(await retryOutbox(deps, account)).toEqual([]);
    expect(submissions).toBe(submitted);

    // Delivery is asynchronous: a sentinel sent after everything else tells when the
    // server has delivered what it was given, without sleeping a fixed time.
    const sentinel = await sendDraft(deps, account, {
      ...newDraft(account),
      to: [{ name: '', address: bob.email }],
      subject: 'sentinel',
      body: 'last\n',
    });
    expect(sentinel.status).toBe('sent');
    await waitFor(async () => (await copies(bobImap, 'INBOX', sentinel.messageId)).length > 0, {
      what: 'the sentinel in the INBOX',
    });
    await waitFor(async () => (await copies(bobImap, 'INBOX', result.messageId)).length > 0, {
      what: 'the message in the INBOX',
    });
    expect(await copies(bobImap, 'INBOX', result.messageId)).toHaveLength(1);
    expect(await copies(aliceImap, 'Sent', result.messageId)).toHaveLength(1);
  });
});
