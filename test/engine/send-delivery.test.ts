/**
 * Sending for real: messages built by tmail go through Postfix (submission,
 * AUTH) into Dovecot, and arrive with the right headers, bodies and
 * attachment bytes; replies thread and mark the original \Answered; forwards
 * carry attachments and mark $Forwarded; a copy lands in Sent; refusals keep
 * the message in the outbox with the server's words. The `tmail send` and
 * `tmail outbox` commands are run in-process against the same servers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runOutboxCli } from '../../src/cli/outbox.js';
import { run as runSendCli } from '../../src/cli/send.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  forwardDraft,
  newDraft,
  replyDraft,
  type Draft,
  type FileAttachment,
} from '../../src/core/compose/index.js';
import { accountToFile } from '../../src/core/config/schema.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { connectImap } from '../../src/core/imap/connect.js';
import { Outbox } from '../../src/core/outbox/index.js';
import { sendDraft, type SendDeps } from '../../src/core/smtp/index.js';
import type { MessageView } from '../../src/core/types.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import { testEngine } from '../support/engine.js';
import { REFUSED_RECIPIENT } from '../support/mail-stack.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const work = mkdtempSync(join(tmpdir(), 'tmail-send-engine-'));
let alice: TestUser, bob: TestUser, carol: TestUser, dave: TestUser;
let aliceAccount: AccountConfig;
let bobAccount: AccountConfig;
const clients = new Map<string, ImapFlow>();
let engine: MailEngine;
let outbox: Outbox;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function imap(user: TestUser): Promise<ImapFlow> {
  let client = clients.get(user.name);
  if (!client) {
    client = await connectImap({
      account: testAccount(stack, user),
      credentials: testCredentials(user),
    });
    clients.set(user.name, client);
  }
  return client;
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Send dependencies for a user, with the IMAP follow-ups done by imapflow directly. */
async function depsFor(user: TestUser, box = outbox): Promise<SendDeps> {
  const client = await imap(user);
  return {
    outbox: box,
    draftsDir: join(work, `drafts-${user.name}`),
    credentials: async () => testCredentials(user),
    appendToFolder: async (role, raw, flags) => {
      const use = role === 'sent' ? '\\Sent' : '\\Drafts';
      const folder = (await client.list()).find((f) => f.specialUse === use);
      if (!folder) throw new Error(`no ${role} folder`);
      await client.append(folder.path, raw, flags);
    },
    setFlag: async (ref, flag) => {
      const lock = await client.getMailboxLock(ref.folder);
      try {
        await client.messageFlagsAdd(String(ref.uid), [flag], { uid: true });
      } finally {
        lock.release();
      }
    },
    fetchAttachment: async (attachment) => {
      const lock = await client.getMailboxLock(attachment.source.folder);
      try {
        const uid = String(attachment.source.uid);
        if (attachment.kind === 'message') {
          const message = await client.fetchOne(uid, { source: true }, { uid: true });
          if (!message || !message.source) throw new Error('no source');
          return message.source;
        }
        const { content } = await client.download(uid, attachment.partId, { uid: true });
        if (!content) throw new Error('no such part');
        return streamToBuffer(content);
      } finally {
        lock.release();
      }
    },
  };
}

interface Found {
  uid: number;
  source: Buffer;
  flags: Set<string>;
}

/** The messages of a folder with that Message-ID. */
async function withMessageId(user: TestUser, folder: string, messageId: string): Promise<Found[]> {
  const client = await imap(user);
  const lock = await client.getMailboxLock(folder);
  try {
    const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
    if (!uids || uids.length === 0) return [];
    const found: Found[] = [];
    for await (const m of client.fetch(
      uids.join(','),
      { source: true, flags: true },
      { uid: true },
    )) {
      found.push({ uid: m.uid, source: m.source!, flags: m.flags ?? new Set() });
    }
    return found;
  } finally {
    lock.release();
  }
}

/** Polls until the message is in the folder (Postfix delivers asynchronously). */
async function arrived(user: TestUser, folder: string, messageId: string): Promise<Found> {
  return waitFor(async () => (await withMessageId(user, folder, messageId))[0], {
    what: `${messageId} in ${user.name}'s ${folder}`,
  });
}

async function flagsOf(user: TestUser, folder: string, uid: number): Promise<Set<string>> {
  const client = await imap(user);
  const lock = await client.getMailboxLock(folder);
  try {
    const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    return message ? (message.flags ?? new Set()) : new Set();
  } finally {
    lock.release();
  }
}

/** What alice's reader shows for a message of her INBOX (through the engine and the MIME decoder). */
async function aliceReads(uid: number): Promise<MessageView> {
  await engine.request({ type: 'open-folder', path: 'INBOX', rows: 0, list: false });
  return engine.request({ type: 'read', uid, peek: true });
}

function file(name: string, content: Buffer): FileAttachment {
  const path = join(work, name);
  writeFileSync(path, content);
  return { kind: 'file', path, filename: name, contentType: '', size: content.length };
}

function header(mail: ParsedMail, key: string): string | undefined {
  const value = mail.headers.get(key);
  return value === undefined ? undefined : String(value);
}

beforeAll(async () => {
  [alice, bob, carol, dave] = await Promise.all([
    newTestUser(stack, 'alice'),
    newTestUser(stack, 'bob'),
    newTestUser(stack, 'carol'),
    newTestUser(stack, 'dave'),
  ]);
  aliceAccount = testAccount(stack, alice, { signature: 'Alice\nexample.test' });
  bobAccount = testAccount(stack, bob);
  outbox = new Outbox(join(work, 'outbox'));
  engine = testEngine(stack, alice).engine;
  await engine.start({ retry: false });
});

afterAll(async () => {
  await engine?.close().catch(() => {});
  for (const client of clients.values()) await client.logout().catch(() => {});
});

describe('sending a new message', () => {
  it('arrives for To, Cc and Bcc with encoded headers, its attachments byte for byte, and a Sent copy', async () => {
    const binary = file('photo.jpg', randomBytes(64 * 1024));
    const text = file('notes-été.txt', Buffer.from('Zürich, 3 Uhr\nÇa va?\n'));
    const draft: Draft = {
      ...newDraft(aliceAccount),
      to: [{ name: 'Bob Example', address: bob.email }],
      cc: [{ name: 'Carol, the reviewer', address: carol.email }],
      bcc: [{ name: '', address: dave.email }],
      subject: 'Grüße aus Köln 🎉',
      body: "Hallo Bob,\nwie geht's?\n\n-- \nAlice\nexample.test\n",
      attachments: [binary, text],
    };
    const result = await sendDraft(await depsFor(alice), aliceAccount, draft);
    expect(result.status).toBe('sent');
    expect(result.response).toMatch(/^250 /);

    const atBob = await arrived(bob, 'INBOX', result.messageId);
    const mail = await simpleParser(atBob.source);
    expect(mail.subject).toBe('Grüße aus Köln 🎉');
    expect(mail.messageId).toBe(result.messageId);
    expect(result.messageId).toMatch(/@example\.test>$/);
    expect(header(mail, 'x-mailer')).toMatch(/^tmail \S+$/);
    expect(mail.date).toBeInstanceOf(Date);
    expect(mail.from?.value).toEqual([{ name: aliceAccount.displayName, address: alice.email }]);
    expect(mail.cc && !Array.isArray(mail.cc) && mail.cc.value).toEqual([
      { name: 'Carol, the reviewer', address: carol.email },
    ]);
    expect(mail.text).toBe("Hallo Bob,\nwie geht's?\n\n-- \nAlice\nexample.test\n");
    expect(atBob.source.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(mail.attachments.map((a) => [a.filename, sha256(a.content)])).toEqual([
      ['photo.jpg', sha256(readFileSync(binary.path))],
      ['notes-été.txt', sha256(Buffer.from('Zürich, 3 Uhr\nÇa va?\n'))],
    ]);

    await arrived(carol, 'INBOX', result.messageId);
    const atDave = await arrived(dave, 'INBOX', result.messageId);
    expect(atDave.source.toString('latin1')).not.toMatch(/^Bcc:/im);

    const sent = await arrived(alice, 'Sent', result.messageId);
    expect(sent.flags.has('\\Seen')).toBe(true);
    expect(sent.source.toString('latin1')).toMatch(new RegExp(`^Bcc: ${dave.email}\\r$`, 'm'));
    // The Sent copy is the delivered message plus its Bcc line.
    expect(sent.source.subarray(sent.source.indexOf('\r\n') + 2).toString()).toContain(
      `Message-ID: ${result.messageId}`,
    );
    expect(await outbox.list()).toEqual([]);
  });
});

describe('replying', () => {
  let original: { uid: number; messageId: string };

  beforeAll(async () => {
    const question: Draft = {
      ...newDraft(bobAccount),
      to: [{ name: 'Alice', address: alice.email }],
      cc: [{ name: 'Carol', address: carol.email }],
      subject: 'Planning',
      body: 'Can we meet on Tuesday?\n> what Dave said before\n',
    };
    const sent = await sendDraft(
      await depsFor(bob, new Outbox(join(work, 'outbox-bob'))),
      bobAccount,
      question,
    );
    expect(sent.status).toBe('sent');
    const found = await arrived(alice, 'INBOX', sent.messageId);
    original = { uid: found.uid, messageId: sent.messageId };
  });

  it('threads the reply, quotes the original, and marks it \\Answered', async () => {
    const view = await aliceReads(original.uid);
    const reply = replyDraft(aliceAccount, view, { folder: 'INBOX' });
    const result = await sendDraft(await depsFor(alice), aliceAccount, {
      ...reply,
      body: `Tuesday works.\n\n${reply.body}`,
    });
    expect(result.status).toBe('sent');
    expect(result.recipients).toEqual([bob.email]);

    const mail = await simpleParser((await arrived(bob, 'INBOX', result.messageId)).source);
    expect(mail.subject).toBe('Re: Planning');
    expect(mail.inReplyTo).toBe(original.messageId);
    expect([mail.references].flat()).toEqual([original.messageId]);
    expect(mail.text).toMatch(
      new RegExp(
        `^Tuesday works\\.\\n\\nOn \\w{3}, \\d{1,2} \\w{3} \\d{4} at \\d\\d:\\d\\d, ${bobAccount.displayName} wrote:\\n` +
          '> Can we meet on Tuesday\\?\\n>> what Dave said before\\n\\n\\n-- \\nAlice\\nexample\\.test\\n$',
      ),
    );
    expect(header(mail, 'x-mailer')).toMatch(/^tmail /);

    expect((await flagsOf(alice, 'INBOX', original.uid)).has('\\Answered')).toBe(true);
    await arrived(alice, 'Sent', result.messageId);
  });

  it('reply-all goes to the sender and the other recipients, not to the user', async () => {
    const view = await aliceReads(original.uid);
    const result = await sendDraft(
      await depsFor(alice),
      aliceAccount,
      replyDraft(aliceAccount, view, { all: true, folder: 'INBOX' }),
    );
    expect(result.status).toBe('sent');
    expect(result.recipients.sort()).toEqual([bob.email, carol.email].sort());
    const mail = await simpleParser((await arrived(carol, 'INBOX', result.messageId)).source);
    expect(mail.subject).toBe('Re: Planning');
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value.map((a) => a.address)).toEqual([
      bob.email,
    ]);
    expect(mail.cc && !Array.isArray(mail.cc) && mail.cc.value.map((a) => a.address)).toEqual([
      carol.email,
    ]);
    expect(mail.inReplyTo).toBe(original.messageId);
    await arrived(bob, 'INBOX', result.messageId);
    expect(await withMessageId(alice, 'INBOX', result.messageId)).toEqual([]);
  });
});

describe('forwarding', () => {
  const pdf = randomBytes(20_000);
  const csv = Buffer.from('name;amount\nÄrger;12\n');
  let original: { uid: number; messageId: string; source: Buffer };

  beforeAll(async () => {
    const withFiles: Draft = {
      ...newDraft(bobAccount),
      to: [{ name: '', address: alice.email }],
      subject: 'Invoices',
      body: 'Both invoices attached.\n',
      attachments: [file('invoice.pdf', pdf), file('summary.csv', csv)],
    };
    const sent = await sendDraft(
      await depsFor(bob, new Outbox(join(work, 'outbox-bob'))),
      bobAccount,
      withFiles,
    );
    const found = await arrived(alice, 'INBOX', sent.messageId);
    original = { uid: found.uid, messageId: sent.messageId, source: found.source };
  });

  it('inline: the text and the original attachments, byte for byte, and $Forwarded', async () => {
    const view = await aliceReads(original.uid);
    expect(view.attachments.map((a) => a.filename)).toEqual(['invoice.pdf', 'summary.csv']);
    const fwd = forwardDraft(aliceAccount, view, { mode: 'inline', folder: 'INBOX' });
    const result = await sendDraft(await depsFor(alice), aliceAccount, {
      ...fwd,
      to: [{ name: 'Carol', address: carol.email }],
    });
    expect(result.status).toBe('sent');
    const mail = await simpleParser((await arrived(carol, 'INBOX', result.messageId)).source);
    expect(mail.subject).toBe('Fwd: Invoices');
    expect(mail.text).toContain('---------- Forwarded message ----------');
    expect(mail.text).toContain(`From: ${bobAccount.displayName} <${bob.email}>`);
    expect(mail.text).toContain('Both invoices attached.');
    expect(mail.attachments.map((a) => [a.filename, sha256(a.content)])).toEqual([
      ['invoice.pdf', sha256(pdf)],
      ['summary.csv', sha256(csv)],
    ]);
    expect((await flagsOf(alice, 'INBOX', original.uid)).has('$Forwarded')).toBe(true);
  });

  it('as attachment: the whole original as message/rfc822, byte for byte', async () => {
    const view = await aliceReads(original.uid);
    const fwd = forwardDraft(aliceAccount, view, { mode: 'attachment', folder: 'INBOX' });
    const result = await sendDraft(await depsFor(alice), aliceAccount, {
      ...fwd,
      to: [{ name: '', address: dave.email }],
    });
    expect(result.status).toBe('sent');
    const mail = await simpleParser((await arrived(dave, 'INBOX', result.messageId)).source);
    expect(mail.subject).toBe('Fwd: Invoices');
    const [attached] = mail.attachments;
    expect(attached!.contentType).toBe('message/rfc822');
    expect(attached!.filename).toBe('Invoices.eml');
    expect(sha256(attached!.content)).toBe(sha256(original.source));
  });
});

describe('refusals keep the message in the outbox', () => {
  it('a recipient the server rejects: one sentence with its words', async () => {
    const box = new Outbox(join(work, 'outbox-refused'));
    const result = await sendDraft(await depsFor(alice, box), aliceAccount, {
      ...newDraft(aliceAccount),
      to: [{ name: '', address: REFUSED_RECIPIENT }],
      subject: 'to nobody',
      body: 'x\n',
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('RECIPIENT_REJECTED');
    const sentence = result.error!.userMessage;
    expect(sentence).toMatch(
      new RegExp(`rejected the recipient ${REFUSED_RECIPIENT}: 5\\d\\d .*No such user here\\.$`),
    );
    expect(sentence).not.toMatch(/[\r\n]/);
    const [entry] = await box.list();
    expect(entry).toMatchObject({
      state: 'failed',
      lastError: sentence,
      lastErrorCode: 'RECIPIENT_REJECTED',
    });
  });

  it('a recipient rejected among accepted ones: sent to the others, with a warning', async () => {
    const box = new Outbox(join(work, 'outbox-partial'));
    const result = await sendDraft(await depsFor(alice, box), aliceAccount, {
      ...newDraft(aliceAccount),
      to: [
        { name: '', address: bob.email },
        { name: '', address: REFUSED_RECIPIENT },
      ],
      subject: 'partly',
      body: 'x\n',
    });
    expect(result.status).toBe('sent');
    expect(result.rejected).toEqual([REFUSED_RECIPIENT]);
    expect(result.warnings[0]).toMatch(
      new RegExp(`The server refused ${REFUSED_RECIPIENT}: .*No such user here`),
    );
    await arrived(bob, 'INBOX', result.messageId);
  });

  it('a login the server refuses: one sentence with its words', async () => {
    const box = new Outbox(join(work, 'outbox-auth'));
    const deps = {
      ...(await depsFor(alice, box)),
      credentials: async () => ({ user: alice.name, password: 'wrong' }),
    };
    const result = await sendDraft(deps, aliceAccount, {
      ...newDraft(aliceAccount),
      to: [{ name: '', address: bob.email }],
      subject: 'auth',
      body: 'x\n',
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('AUTH_FAILED');
    expect(result.error!.userMessage).toMatch(
      /refused the login for .*: 535 .*authentication failed/i,
    );
    expect((await box.list())[0]).toMatchObject({ state: 'failed', lastErrorCode: 'AUTH_FAILED' });
  });
});

describe('the tmail send and tmail outbox commands', () => {
  interface Captured {
    io: CliIo;
    stdout: () => string;
    stderr: () => string;
  }

  function cliIo(input = ''): Captured {
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

  beforeAll(() => {
    const configDir = join(work, 'config');
    const stateDir = join(work, 'state');
    process.env.TMAIL_CONFIG_DIR = configDir;
    process.env.TMAIL_STATE_DIR = stateDir;
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({
        defaultAccount: 'cli',
        accounts: { cli: accountToFile({ ...aliceAccount, name: 'cli' }) },
      }),
    );
  });

  it('send: body on stdin, an attachment, a Sent copy through the engine', async () => {
    const attachment = file('cli-data.bin', randomBytes(3000));
    const c = cliIo('Sent from the command line.\n');
    const code = await runSendCli(
      ['--to', bob.email, '--subject', 'From the CLI', '--attach', attachment.path],
      c.io,
    );
    expect(c.stderr()).toBe('');
    expect(code).toBe(0);
    const [, id, messageId, , to] = c.stdout().trim().split(' ');
    expect(id).toMatch(/^[a-z0-9]+$/);
    expect(to).toBe(bob.email);
    const mail = await simpleParser((await arrived(bob, 'INBOX', messageId!)).source);
    expect(mail.text).toBe('Sent from the command line.\n\n-- \nAlice\nexample.test\n');
    expect(sha256(mail.attachments[0]!.content)).toBe(sha256(readFileSync(attachment.path)));
    await arrived(alice, 'Sent', messageId!);
  });

  it('send --file: the message as it is, Bcc taken out', async () => {
    const messageId = `<cli-file-${randomBytes(4).toString('hex')}@example.test>`;
    const path = join(work, 'message.eml');
    writeFileSync(
      path,
      `From: Alice <${alice.email}>\nTo: ${bob.email}\nBcc: ${carol.email}\nSubject: As a file\nMessage-ID: ${messageId}\n\nFile body.\n`,
    );
    const c = cliIo();
    expect(await runSendCli(['--file', path, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.stdout())).toMatchObject({
      status: 'sent',
      messageId,
      recipients: [bob.email, carol.email],
    });
    const atBob = await arrived(bob, 'INBOX', messageId);
    // Delivery adds trace headers on top, and tmail a Date; the rest is the file, untouched but for the Bcc line.
    expect(atBob.source.toString()).toContain(
      `From: Alice <${alice.email}>\r\nTo: ${bob.email}\r\nSubject: As a file\r\nMessage-ID: ${messageId}\r\n\r\nFile body.\r\n`,
    );
    expect(atBob.source.toString()).not.toMatch(/^Bcc:/im);
    await arrived(carol, 'INBOX', messageId);
  });

  it('a refused send exits 1 with the server words; outbox list and drop', async () => {
    const c = cliIo('nobody will read this\n');
    expect(await runSendCli(['--to', REFUSED_RECIPIENT, '-s', 'refused'], c.io)).toBe(1);
    const line = c.stderr();
    expect(line.split('\n').filter(Boolean)).toHaveLength(1);
    expect(line).toMatch(
      /^tmail: The SMTP server .* rejected the recipient .*No such user here; the message is kept in the outbox as [a-z0-9]+\.\n$/,
    );
    const id = /as ([a-z0-9]+)\.\n$/.exec(line)![1]!;

    const listed = cliIo();
    expect(await runOutboxCli(['list', '--json'], listed.io)).toBe(0);
    expect(JSON.parse(listed.stdout())).toEqual([
      expect.objectContaining({
        id,
        state: 'failed',
        subject: 'refused',
        recipients: [REFUSED_RECIPIENT],
      }),
    ]);

    const retried = cliIo();
    expect(await runOutboxCli(['retry', id], retried.io)).toBe(1);
    expect(retried.stderr()).toContain('No such user here');

    const dropped = cliIo();
    expect(await runOutboxCli(['drop', id.slice(0, 8)], dropped.io)).toBe(0);
    expect(dropped.stdout()).toBe(`dropped ${id} (refused)\n`);
    const empty = cliIo();
    expect(await runOutboxCli([], empty.io)).toBe(0);
    expect(empty.stdout()).toBe('');
  });

  it('outbox edit: the waiting message changed in $EDITOR, then sent as changed', async () => {
    const c = cliIo('Sent to the wrong address first.\n');
    expect(await runSendCli(['--to', REFUSED_RECIPIENT, '-s', 'wrong address'], c.io)).toBe(1);
    const id = /as ([a-z0-9]+)\.\n$/.exec(c.stderr())![1]!;
    // The editor a person would use, here a script: the right address and a new subject.
    const editor = join(work, 'fix-address.sh');
    writeFileSync(
      editor,
      `#!/bin/sh\nsed -i -e 's/${REFUSED_RECIPIENT}/${bob.email}/' -e 's/^Subject: .*/Subject: right address/' "$1"\n`,
      { mode: 0o755 },
    );
    const edited = cliIo();
    edited.io.env = { ...process.env, VISUAL: editor, EDITOR: editor };
    expect(await runOutboxCli(['edit', id], edited.io)).toBe(0);
    expect(edited.stdout()).toBe(
      `changed ${id} (right address); tmail outbox retry ${id} sends it now\n`,
    );
    const listed = cliIo();
    await runOutboxCli(['list', '--json'], listed.io);
    const entry = (JSON.parse(listed.stdout()) as Array<Record<string, unknown>>).find(
      (e) => e.id === id,
    )!;
    expect(entry).toMatchObject({
      state: 'queued',
      subject: 'right address',
      recipients: [bob.email],
    });

    const retried = cliIo();
    expect(await runOutboxCli(['retry', id], retried.io)).toBe(0);
    const mail = await simpleParser(
      (await arrived(bob, 'INBOX', entry.messageId as string)).source,
    );
    expect(mail.subject).toBe('right address');
    expect(mail.text).toContain('Sent to the wrong address first.');
  });
});
