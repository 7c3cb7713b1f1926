/**
 * Send orchestration through the outbox, with the SMTP submission and the
 * IMAP follow-ups replaced by recorders: the order of the steps (on disk
 * before the network, "sent" before the follow-ups), failures that keep the
 * message, and exactly-once delivery across retries, crashes and racing
 * processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AddressBook } from '../../src/core/addressbook/index.js';
import { newDraft, replyDraft, type Draft, type MessageRef } from '../../src/core/compose/index.js';
import type { AccountConfig, Credentials } from '../../src/core/config/types.js';
import { TmailError } from '../../src/core/errors.js';
import { Outbox, saveLocalDraft } from '../../src/core/outbox/index.js';
import {
  postponeDraft,
  retryOutbox,
  sendDraft,
  SubmitFailure,
  type SendDeps,
  type SubmitOptions,
  type SubmitResult,
} from '../../src/core/smtp/index.js';
import type { Flag, MessageView } from '../../src/core/types.js';

const account: AccountConfig = {
  name: 'work',
  displayName: 'Me',
  email: 'me@example.org',
  imap: { host: 'imap.example.org', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
  password: { type: 'prompt' },
};

interface Recorder {
  deps: SendDeps;
  events: string[];
  submitted: Buffer[];
  appended: Array<{ role: string; raw: Buffer; flags: Flag[] }>;
  flagged: Array<{ ref: MessageRef; flag: Flag }>;
  /** What the next submissions do, in order; the default accepts. */
  plan: Array<(options: SubmitOptions) => Promise<SubmitResult>>;
  failAppend: boolean;
}

let dir: string;
let outbox: Outbox;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-send-test-'));
  outbox = new Outbox(join(dir, 'outbox'));
});

const accept = async (): Promise<SubmitResult> => ({
  accepted: ['bob@example.com'],
  rejected: [],
  rejectedReasons: [],
  response: '250 2.0.0 Ok: queued as ABC',
});

function recorder(): Recorder {
  const r: Recorder = {
    events: [],
    submitted: [],
    appended: [],
    flagged: [],
    plan: [],
    failAppend: false,
    deps: undefined as unknown as SendDeps,
  };
  r.deps = {
    outbox,
    draftsDir: join(dir, 'drafts'),
    credentials: async (): Promise<Credentials> => {
      r.events.push('credentials');
      return { user: 'me', password: 'secret-pw' };
    },
    submit: async (_account, _credentials, built, options) => {
      const [entry] = await outbox.list();
      r.events.push(`submit:${entry?.state}`);
      r.submitted.push(built.raw);
      const step = r.plan.shift() ?? accept;
      return step(options);
    },
    appendToFolder: async (role, raw, flags) => {
      const [entry] = await outbox.list();
      r.events.push(`append:${role}:${entry?.state}`);
      if (r.failAppend)
        throw new TmailError('CONNECTION_LOST', 'The connection to the IMAP server was lost.');
      r.appended.push({ role, raw, flags });
    },
    setFlag: async (ref, flag) => {
      r.events.push(`flag:${flag}`);
      r.flagged.push({ ref, flag });
    },
  };
  return r;
}

function draft(overrides: Partial<Draft> = {}): Draft {
  return {
    ...newDraft(account, { id: 'local1' }),
    to: [{ name: 'Bob', address: 'bob@example.com' }],
    bcc: [{ name: '', address: 'hidden@example.com' }],
    subject: 'Hello',
    body: 'Hi Bob\n',
    ...overrides,
  };
}

const original: MessageView = {
  uid: 7,
  subject: 'Question',
  from: [{ name: 'Bob', address: 'bob@example.com' }],
  to: [{ name: 'Me', address: 'me@example.org' }],
  cc: [],
  bcc: [],
  replyTo: [],
  date: 0,
  messageId: '<q@example.com>',
  inReplyTo: '',
  references: [],
  text: 'Well?',
  blocks: [],
  links: [],
  attachments: [],
  notes: [],
  headers: [],
};

function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('sendDraft', () => {
  it('queues on disk, submits, records sent, then appends to Sent and flags the original', async () => {
    const r = recorder();
    await saveLocalDraft(draft(), r.deps.draftsDir);
    const result = await sendDraft(
      r.deps,
      account,
      replyDraft(account, original, { folder: 'INBOX', id: 'local1' }),
    );
    expect(result).toMatchObject({
      status: 'sent',
      response: '250 2.0.0 Ok: queued as ABC',
      warnings: [],
    });
    expect(r.events).toEqual([
      'credentials',
      'submit:sending',
      'append:sent:sent',
      'flag:\\Answered',
    ]);
    expect(r.flagged).toEqual([{ ref: { folder: 'INBOX', uid: 7 }, flag: '\\Answered' }]);
    // The Sent copy is the bytes that were sent.
    expect(r.appended[0]!.raw.equals(r.submitted[0]!)).toBe(true);
    expect(r.appended[0]!.flags).toEqual(['\\Seen']);
    expect(await outbox.list()).toEqual([]);
    expect(existsSync(join(dir, 'drafts', 'local1.json'))).toBe(false);
  });

  it('keeps Bcc out of what is sent but puts it in the Sent copy', async () => {
    const r = recorder();
    await sendDraft(r.deps, account, draft());
    expect(r.submitted[0]!.toString()).not.toMatch(/^Bcc:/im);
    expect(r.appended[0]!.raw.toString()).toMatch(/^Bcc: hidden@example\.com\r\n/);
  });

  it('skips the Sent copy when the server files it itself', async () => {
    const r = recorder();
    await sendDraft(r.deps, { ...account, serverSavesSent: true }, draft());
    expect(r.appended).toEqual([]);
    expect(await outbox.list()).toEqual([]);
  });

  it('records the hand-over on disk before the data goes', async () => {
    const r = recorder();
    r.plan.push(async (options) => {
      await options.onHandOver?.();
      const [entry] = await outbox.list();
      expect(entry).toMatchObject({ state: 'sending', handedOver: true });
      return accept();
    });
    expect((await sendDraft(r.deps, account, draft())).status).toBe('sent');
  });

  it('leaves a refused message in the outbox with the server words, and sends nothing else', async () => {
    const r = recorder();
    const refusal = new TmailError(
      'RECIPIENT_REJECTED',
      'The SMTP server smtp.example.org:587 rejected the recipient bob@example.com.',
      {
        serverText: '550 5.1.1 <bob@example.com>: Recipient address rejected: No such user',
      },
    );
    r.plan.push(async () => {
      throw new SubmitFailure(refusal, false);
    });
    const result = await sendDraft(r.deps, account, draft());
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toBe(
      'The SMTP server smtp.example.org:587 rejected the recipient bob@example.com: 550 5.1.1 <bob@example.com>: Recipient address rejected: No such user.',
    );
    expect(r.appended).toEqual([]);
    const [entry] = await outbox.list();
    expect(entry).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastErrorCode: 'RECIPIENT_REJECTED',
      lastError: result.error!.userMessage,
    });
    // The draft is kept with the entry, to be edited.
    expect((await outbox.readDraft(entry!.id))?.subject).toBe('Hello');
  });

  it('throws, queueing nothing, when the draft cannot be built', async () => {
    const r = recorder();
    await expect(sendDraft(r.deps, account, draft({ subject: 'a\nb' }))).rejects.toThrow(
      'The subject contains',
    );
    expect(await outbox.list()).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it('a failed follow-up is reported, kept for later, and never re-sends', async () => {
    const r = recorder();
    r.failAppend = true;
    const result = await sendDraft(r.deps, account, draft());
    expect(result.status).toBe('sent');
    expect(result.warnings).toEqual([
      'The message was sent, but the copy for the Sent folder could not be saved (The connection to the IMAP server was lost); tmail will try again.',
    ]);
    const [entry] = await outbox.list();
    expect(entry).toMatchObject({ state: 'sent', followUps: [{ done: false }] });

    r.failAppend = false;
    const [retried] = await retryOutbox(r.deps, account);
    expect(retried!.status).toBe('completed');
    expect(r.submitted).toHaveLength(1);
    expect(r.appended).toHaveLength(1);
    expect(await outbox.list()).toEqual([]);
  });

  it('reports recipients refused while the others got it', async () => {
    const r = recorder();
    r.plan.push(async () => ({
      accepted: ['bob@example.com'],
      rejected: ['hidden@example.com'],
      rejectedReasons: ['550 5.1.1 No such user\r\n'],
      response: '250 ok',
    }));
    const result = await sendDraft(r.deps, account, draft());
    expect(result.status).toBe('sent');
    expect(result.rejected).toEqual(['hidden@example.com']);
    expect(result.warnings).toEqual([
      'The server refused hidden@example.com: 550 5.1.1 No such user; the others got the message.',
    ]);
  });

  it('remembers the accepted recipients in the address book', async () => {
    const r = recorder();
    const book = new AddressBook(join(dir, 'book.json'));
    await sendDraft({ ...r.deps, addressBook: book }, account, draft());
    expect(await book.complete('bo')).toEqual([{ name: 'Bob', address: 'bob@example.com' }]);
  });

  it('fails without a network attempt when the secret cannot be read', async () => {
    const r = recorder();
    r.deps.credentials = async () => {
      throw new TmailError('SECRET_UNAVAILABLE', 'No password was given for account work.');
    };
    const result = await sendDraft(r.deps, account, draft());
    expect(result.status).toBe('failed');
    expect(r.submitted).toEqual([]);
    expect((await outbox.list())[0]).toMatchObject({ state: 'failed', attempts: 0 });
  });
});

describe('retryOutbox: exactly once', () => {
  it('sends what failed once the gateway answers, and a second retry does nothing', async () => {
    const r = recorder();
    const down = new TmailError(
      'CONNECTION_REFUSED',
      'The SMTP server smtp.example.org:587 refused the connection.',
    );
    r.plan.push(async () => {
      throw new SubmitFailure(down, false);
    });
    await sendDraft(r.deps, account, draft({ subject: 'one' }));
    r.plan.push(async () => {
      throw new SubmitFailure(down, false);
    });
    await sendDraft(r.deps, account, draft({ subject: 'two', id: 'local2' }));
    expect((await outbox.list()).map((e) => e.state)).toEqual(['failed', 'failed']);

    // Still down: the first fails, the second is not even tried.
    r.plan.push(async () => {
      throw new SubmitFailure(down, false);
    });
    const stillDown = await retryOutbox(r.deps, account);
    expect(stillDown.map((x) => x.status)).toEqual(['failed', 'skipped']);
    expect(r.submitted).toHaveLength(3);

    const back = await retryOutbox(r.deps, account);
    expect(back.map((x) => [x.subject, x.status])).toEqual([
      ['one', 'sent'],
      ['two', 'sent'],
    ]);
    expect(await retryOutbox(r.deps, account)).toEqual([]);
    expect(r.submitted).toHaveLength(5);
  });

  it('two retries racing send each message once', async () => {
    const r = recorder();
    r.plan.push(async () => {
      throw new SubmitFailure(new TmailError('TIMEOUT'), false);
    });
    await sendDraft(r.deps, account, draft());
    let count = 0;
    const slow = recorder();
    slow.deps.submit = async () => {
      count++;
      await new Promise((resolve) => setImmediate(resolve));
      return accept();
    };
    const other = { ...slow.deps, outbox: new Outbox(outbox.dir) };
    const [a, b] = await Promise.all([
      retryOutbox(slow.deps, account),
      retryOutbox(other, account),
    ]);
    expect(count).toBe(1);
    expect([...a, ...b].map((x) => x.status).sort()).toEqual(['busy', 'sent']);
  });

  it('a crash after the hand-over holds the message until the user forces it', async () => {
    const r = recorder();
    let died!: () => void;
    const dead = new Promise<void>((resolve) => (died = resolve));
    r.plan.push(async (options) => {
      await options.onHandOver?.();
      // The process dies here: its lock stays behind, naming a pid that is gone, and nothing more runs.
      const [entry] = await outbox.list();
      const lockPath = join(outbox.dir, entry!.id, 'lock');
      const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as object;
      writeFileSync(lockPath, JSON.stringify({ ...lock, pid: deadPid(), host: hostname() }));
      died();
      return new Promise<SubmitResult>(() => {});
    });
    void sendDraft(r.deps, account, draft());
    await dead;
    // What the next tmail finds.
    const [entry] = await new Outbox(outbox.dir).list();
    expect(entry).toMatchObject({ state: 'failed', uncertain: true });

    const held = await retryOutbox(r.deps, account);
    expect(held.map((x) => x.status)).toEqual(['held']);
    expect(held[0]!.error?.message).toContain('may already have been delivered');
    expect(r.submitted).toHaveLength(1);

    const forced = await retryOutbox(r.deps, account, entry!.id, { force: true });
    expect(forced.map((x) => x.status)).toEqual(['sent']);
    expect(r.submitted).toHaveLength(2);
  });

  it('a crash before the hand-over sends it again normally', async () => {
    const r = recorder();
    const { id } = await outbox.enqueue({
      account: 'work',
      raw: Buffer.from('From: me@example.org\r\nTo: bob@example.com\r\n\r\nx\r\n'),
      messageId: '<x@example.org>',
      envelope: { from: 'me@example.org', to: ['bob@example.com'] },
      subject: 'x',
    });
    const claim = (await outbox.claim(id))!;
    await outbox.markSending(claim);
    const lockPath = join(outbox.dir, id, 'lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as object;
    writeFileSync(lockPath, JSON.stringify({ ...lock, pid: deadPid() }));
    const results = await retryOutbox(r.deps, account);
    expect(results.map((x) => x.status)).toEqual(['sent']);
    expect(r.submitted).toHaveLength(1);
  });

  it('a connection lost after the hand-over is held, not failed', async () => {
    const r = recorder();
    r.plan.push(async (options) => {
      await options.onHandOver?.();
      throw new SubmitFailure(
        new TmailError('CONNECTION_LOST', 'The connection to the SMTP server was lost.'),
        true,
      );
    });
    const result = await sendDraft(r.deps, account, draft());
    expect(result.status).toBe('held');
    expect(result.error?.message).toBe(
      'The connection to the SMTP server was lost, after the message had gone to the server, so it may have been delivered.',
    );
    expect((await outbox.list())[0]).toMatchObject({ state: 'failed', uncertain: true });
  });

  it('refuses a message of another account', async () => {
    const r = recorder();
    r.plan.push(async () => {
      throw new SubmitFailure(new TmailError('TIMEOUT'), false);
    });
    const result = await sendDraft(r.deps, account, draft());
    await expect(retryOutbox(r.deps, { ...account, name: 'home' }, result.id)).rejects.toThrow(
      'belongs to the account work',
    );
  });
});

describe('postponeDraft', () => {
  it('appends to Drafts with \\Draft, Bcc kept, removes the older copy and the autosave', async () => {
    const r = recorder();
    const removed: MessageRef[] = [];
    const d = draft({ postponed: { folder: 'Drafts', uid: 3 } });
    await saveLocalDraft(d, r.deps.draftsDir);
    const result = await postponeDraft(
      { ...r.deps, removeMessage: async (ref) => void removed.push(ref) },
      account,
      d,
    );
    expect(result.warnings).toEqual([]);
    expect(r.appended).toHaveLength(1);
    expect(r.appended[0]!.role).toBe('drafts');
    expect(r.appended[0]!.flags).toEqual(['\\Draft', '\\Seen']);
    expect(r.appended[0]!.raw.toString()).toMatch(/^Bcc: hidden@example\.com\r$/m);
    expect(r.appended[0]!.raw.toString()).toMatch(/^X-Tmail-Draft: /m);
    expect(removed).toEqual([{ folder: 'Drafts', uid: 3 }]);
    expect(existsSync(join(dir, 'drafts', 'local1.json'))).toBe(false);
  });

  it('keeps the autosave when the server refuses', async () => {
    const r = recorder();
    r.failAppend = true;
    await saveLocalDraft(draft(), r.deps.draftsDir);
    await expect(postponeDraft(r.deps, account, draft())).rejects.toThrow('lost');
    expect(existsSync(join(dir, 'drafts', 'local1.json'))).toBe(true);
  });
});
