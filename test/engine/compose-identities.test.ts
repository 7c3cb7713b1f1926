/**
 * Identities and bounce against the real Postfix and Dovecot: a message sent
 * from an identity arrives with that From (its name and signature) and is
 * filed in the identity's own Sent folder; a From that is not the account's
 * is refused before anything is queued; a bounced message arrives with the
 * Resent-* block on top of the original, its Message-ID unchanged, and with
 * no Sent copy unless asked. `tmail send` and `tmail bounce` run in-process.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runBounceCli } from '../../src/cli/bounce.js';
import { run as runSendCli } from '../../src/cli/send.js';
import { accountToFile } from '../../src/core/config/schema.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import { testAccount } from '../support/accounts.js';
import { checker } from '../support/engine.js';
import { TEST_DOMAIN } from '../support/mail-stack.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const work = mkdtempSync(join(tmpdir(), 'tmail-identities-'));
let alice: TestUser, bob: TestUser, carol: TestUser;
let account: AccountConfig;
const clients: ImapFlow[] = [];
const alias = `alice.alias-${Date.now().toString(36)}@${TEST_DOMAIN}`;

function cliIo(input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    io: { stdout, stderr, stdin: Readable.from([Buffer.from(input)]), env: process.env },
    stdout: () => out,
    stderr: () => err,
  };
}

async function client(user: TestUser): Promise<ImapFlow> {
  const c = await checker(stack.info(), user);
  clients.push(c);
  return c;
}

/** Sources of the messages of a folder whose Message-ID or Subject matches. */
async function find(c: ImapFlow, folder: string, query: Record<string, string>): Promise<string[]> {
  const lock = await c.getMailboxLock(folder);
  try {
    const uids = await c.search({ header: query }, { uid: true });
    if (!uids || uids.length === 0) return [];
    const out: string[] = [];
    for await (const m of c.fetch(uids.join(','), { source: true }, { uid: true }))
      out.push(m.source!.toString('utf8'));
    return out;
  } finally {
    lock.release();
  }
}

let aliceImap: ImapFlow, bobImap: ImapFlow, carolImap: ImapFlow;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([
    newTestUser(stack, 'alice'),
    newTestUser(stack, 'bob'),
    newTestUser(stack, 'carol'),
  ]);
  account = testAccount(stack.info(), alice, {
    signature: 'Alice at work',
    identities: [
      {
        email: alias,
        name: 'Alice the Alias',
        signature: 'Alias signature\nsecond line',
        sentFolder: 'Sent-alias',
      },
    ],
  });
  const configDir = join(work, 'config');
  process.env.TMAIL_CONFIG_DIR = configDir;
  process.env.TMAIL_STATE_DIR = join(work, 'state');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({
      defaultAccount: 'me',
      accounts: { me: accountToFile({ ...account, name: 'me' }) },
    }),
  );
  [aliceImap, bobImap, carolImap] = await Promise.all([client(alice), client(bob), client(carol)]);
  await aliceImap.mailboxCreate('Sent-alias');
});

afterAll(async () => {
  for (const c of clients) await c.logout().catch(() => {});
});

describe('identities', () => {
  it('sends from an identity: its name in the delivered From, its signature, its own Sent folder', async () => {
    const c = cliIo('Written from the alias.\n');
    const code = await runSendCli(
      ['--to', bob.email, '--from', alias, '-s', 'From the alias'],
      c.io,
    );
    expect(c.stderr()).toBe('');
    expect(code).toBe(0);
    const messageId = c.stdout().trim().split(' ')[2]!;
    const delivered = await waitFor(
      async () => (await find(bobImap, 'INBOX', { 'message-id': messageId }))[0],
      {
        what: 'the message from the alias in bob’s INBOX',
      },
    );
    const mail = await simpleParser(delivered);
    expect(mail.from?.value).toEqual([{ name: 'Alice the Alias', address: alias }]);
    expect(mail.text).toBe('Written from the alias.\n\n-- \nAlias signature\nsecond line\n');
    // Filed in the identity's Sent folder, not the account's.
    await waitFor(
      async () => (await find(aliceImap, 'Sent-alias', { 'message-id': messageId }))[0],
      {
        what: 'the copy in Sent-alias',
      },
    );
    expect(await find(aliceImap, 'Sent', { 'message-id': messageId })).toEqual([]);
  });

  it('refuses a From that is not one of the account’s addresses, in one sentence, queuing nothing', async () => {
    const c = cliIo('Pretending.\n');
    await expect(
      runSendCli(['--to', bob.email, '--from', `mallory@${TEST_DOMAIN}`, '-s', 'spoof'], c.io),
    ).rejects.toMatchObject({
      code: 'USAGE',
      message: `mallory@${TEST_DOMAIN} is not one of the addresses of account me (${alice.email}, ${alias}); choose one with :from, or add it to the account's identities`,
    });
    let queued: string[] = [];
    try {
      queued = readdirSync(join(work, 'state', 'outbox'));
    } catch {
      // No outbox directory at all: nothing was queued.
    }
    for (const id of queued) expect(id).not.toContain('spoof');
  });
});

describe('bounce', () => {
  let uid: number;
  const originalId = `<bounce-me-${Date.now()}@${TEST_DOMAIN}>`;

  beforeAll(async () => {
    const appended = await aliceImap.append(
      'INBOX',
      [
        `From: Bob <${bob.email}>`,
        `To: ${alice.email}`,
        'Subject: Please pass this on',
        `Date: ${new Date().toUTCString()}`,
        `Message-ID: ${originalId}`,
        '',
        'The original body, untouched.',
        '',
      ].join('\r\n'),
    );
    uid = (appended as { uid: number }).uid;
  });

  it('arrives with Resent-From/To/Date/Message-ID on top and the original Message-ID; no Sent copy', async () => {
    const c = cliIo();
    const code = await runBounceCli(
      [String(uid), '--to', `Carol <${carol.email}>`, '--json'],
      c.io,
    );
    expect(c.stderr()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(c.stdout()) as {
      status: string;
      messageId: string;
      recipients: string[];
    };
    expect(result).toMatchObject({ status: 'sent', recipients: [carol.email] });
    const arrived = await waitFor(
      async () => (await find(carolImap, 'INBOX', { 'message-id': originalId }))[0],
      { what: 'the bounced message in carol’s INBOX' },
    );
    const head = arrived.slice(0, arrived.indexOf('\r\n\r\n') + 2);
    expect(head).toContain(`Resent-From: ${account.displayName} <${alice.email}>\r\n`);
    expect(head).toContain(`Resent-To: Carol <${carol.email}>\r\n`);
    expect(head).toMatch(/\r\nResent-Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n/);
    expect(head).toContain(`Resent-Message-ID: ${result.messageId}\r\n`);
    expect(head).toContain(`Message-ID: ${originalId}\r\n`);
    expect(head).toContain(`From: Bob <${bob.email}>\r\n`);
    expect(arrived).toContain('\r\n\r\nThe original body, untouched.\r\n');
    // The Resent block comes before the original's own header fields.
    expect(head.indexOf('Resent-From:')).toBeLessThan(head.indexOf(`From: Bob`));
    expect(await find(aliceImap, 'Sent', { 'message-id': originalId })).toEqual([]);
  });

  it('files a Sent copy with --save-sent', async () => {
    const c = cliIo();
    expect(await runBounceCli([String(uid), '--to', carol.email, '--save-sent'], c.io)).toBe(0);
    await waitFor(async () => (await find(aliceImap, 'Sent', { 'message-id': originalId }))[0], {
      what: 'the bounce in alice’s Sent',
    });
  });

  it('refuses an address with a CR/LF in it before anything is fetched or sent', async () => {
    const c = cliIo();
    await expect(
      runBounceCli([String(uid), '--to', `${carol.email}\r\nBcc: ${bob.email}`], c.io),
    ).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/is not a valid email address$/),
    });
  });
});
