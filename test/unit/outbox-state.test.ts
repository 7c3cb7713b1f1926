/**
 * The on-disk outbox: atomic entries, exclusive claims, the state machine, and
 * what happens to an entry when the process sending it dies (simulated by
 * handing its lock to a process that has exited).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TmailError } from '../../src/core/errors.js';
import {
  deleteLocalDraft,
  listLocalDrafts,
  loadLocalDraft,
  Outbox,
  saveLocalDraft,
  sentCopyOf,
  type EnqueueInput,
} from '../../src/core/outbox/index.js';
import { newDraft } from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';

let dir: string;
let outbox: Outbox;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-outbox-test-'));
  outbox = new Outbox(join(dir, 'outbox'));
});

function input(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return {
    account: 'work',
    raw: Buffer.from('From: me@example.org\r\nTo: you@example.com\r\nSubject: hi\r\n\r\nhello\r\n'),
    messageId: '<m1@example.org>',
    envelope: { from: 'me@example.org', to: ['you@example.com', 'hidden@example.com'] },
    subject: 'hi',
    bccHeader: 'Bcc: hidden@example.com\r\n',
    followUps: [{ kind: 'append', role: 'sent', flags: ['\\Seen'] }],
    ...overrides,
  };
}

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid!;
}

/** Makes it look as if the process holding the entry's lock died: the lock now names a dead pid. */
function crash(id: string): void {
  const path = join(outbox.dir, id, 'lock');
  const lock = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...lock, pid: deadPid(), host: hostname() }));
}

describe('enqueue and read back', () => {
  it('stores the exact bytes and the metadata, with nothing half-written left', async () => {
    const entry = await outbox.enqueue(input({ now: 1000 }));
    expect(entry).toMatchObject({
      account: 'work',
      state: 'queued',
      attempts: 0,
      recipients: ['you@example.com', 'hidden@example.com'],
      followUps: [{ action: { kind: 'append', role: 'sent', flags: ['\\Seen'] }, done: false }],
      created: 1000,
      uncertain: false,
      handedOver: false,
    });
    expect(readdirSync(outbox.dir)).toEqual([entry.id]);
    expect(readdirSync(join(outbox.dir, entry.id)).sort()).toEqual(['message.eml', 'meta.json']);
    expect((await outbox.readRaw(entry.id)).equals(input().raw)).toBe(true);
    expect((await outbox.readSentCopy(entry.id)).toString()).toBe(
      `Bcc: hidden@example.com\r\n${input().raw.toString()}`,
    );
    expect(await outbox.list()).toEqual([entry]);
    expect(await outbox.list('other')).toEqual([]);
  });

  it('finds an entry by a unique prefix of its id, and says so when it cannot', async () => {
    const entry = await outbox.enqueue(input());
    expect(await outbox.resolveId(entry.id.slice(0, 6))).toBe(entry.id);
    expect((await outbox.get(entry.id.slice(0, 6)))?.id).toBe(entry.id);
    await expect(outbox.resolveId('zzzzzzzz')).rejects.toThrow(
      'No outbox message has the id zzzzzzzz; see tmail outbox list.',
    );
    expect(await outbox.get('zzzzzz')).toBeUndefined();
  });

  it('sentCopyOf puts the Bcc field back in front', () => {
    expect(sentCopyOf(Buffer.from('X: y\r\n\r\n'), '').toString()).toBe('X: y\r\n\r\n');
    expect(sentCopyOf(Buffer.from('X: y\r\n\r\n'), 'Bcc: a@b\r\n').toString()).toBe(
      'Bcc: a@b\r\nX: y\r\n\r\n',
    );
  });
});

describe('claims', () => {
  it('are exclusive, within a process and across processes, until released', async () => {
    const { id } = await outbox.enqueue(input());
    const first = await outbox.claim(id);
    expect(first).not.toBeNull();
    expect(await outbox.claim(id)).toBeNull();
    // Another outbox object on the same directory (as another process would be).
    expect(await new Outbox(outbox.dir).claim(id)).toBeNull();
    await outbox.release(first!);
    const again = await outbox.claim(id);
    expect(again).not.toBeNull();
    await outbox.release(again!);
  });

  it('break the lock of a process that died', async () => {
    const { id } = await outbox.enqueue(input());
    await outbox.claim(id);
    crash(id);
    const claim = await outbox.claim(id);
    expect(claim).not.toBeNull();
    expect(JSON.parse(readFileSync(join(outbox.dir, id, 'lock'), 'utf8')).pid).toBe(process.pid);
  });

  it('are needed to change an entry', async () => {
    const { id } = await outbox.enqueue(input());
    await expect(outbox.markSending({ id, token: 'forged' })).rejects.toBeInstanceOf(TmailError);
  });
});

describe('the state machine', () => {
  it('queued -> sending -> sent, follow-ups, then gone', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    expect((await outbox.markSending(claim, 2000)).state).toBe('sending');
    expect((await outbox.markHandedOver(claim)).handedOver).toBe(true);
    const sent = await outbox.markSent(claim, { response: '250 2.0.0 Ok: queued as X', now: 3000 });
    expect(sent).toMatchObject({
      state: 'sent',
      attempts: 1,
      sentAt: 3000,
      response: '250 2.0.0 Ok: queued as X',
    });
    const followed = await outbox.markFollowUp(claim, 0, { done: true });
    expect(followed.followUps[0]!.done).toBe(true);
    await outbox.complete(claim);
    expect(await outbox.list()).toEqual([]);
    expect(readdirSync(outbox.dir)).toEqual([]);
  });

  it('failed keeps the sentence and the code; update puts an edited message back in the queue', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    await outbox.markSending(claim);
    const failed = await outbox.markFailed(claim, {
      error: 'The SMTP server rejected the recipient you@example.com: 550 No such user.',
      code: 'RECIPIENT_REJECTED',
    });
    expect(failed).toMatchObject({
      state: 'failed',
      lastErrorCode: 'RECIPIENT_REJECTED',
      uncertain: false,
    });
    await outbox.release(claim);

    const raw = Buffer.from('From: me@example.org\r\nTo: fixed@example.com\r\n\r\nx\r\n');
    const updated = await outbox.update(id, {
      raw,
      messageId: '<m1@example.org>',
      envelope: { from: 'me@example.org', to: ['fixed@example.com'] },
      subject: 'hi',
    });
    expect(updated).toMatchObject({
      state: 'queued',
      recipients: ['fixed@example.com'],
      size: raw.length,
      attempts: 1,
    });
    expect((await outbox.readRaw(id)).equals(raw)).toBe(true);
    expect(existsSync(join(outbox.dir, id, 'lock'))).toBe(false);
  });

  it('refuses to change a message that has been sent', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    await outbox.markSent(claim, { response: '250 ok' });
    await outbox.release(claim);
    await expect(
      outbox.update(id, {
        raw: Buffer.from('x'),
        messageId: '<a@b>',
        envelope: { from: 'a@b', to: [] },
        subject: '',
      }),
    ).rejects.toThrow('has already been sent');
  });

  it('drop removes an entry, but not while a live process sends it', async () => {
    const a = await outbox.enqueue(input());
    const b = await outbox.enqueue(input());
    const claim = (await outbox.claim(b.id))!;
    await expect(outbox.drop(b.id)).rejects.toThrow('is being sent right now');
    expect((await outbox.drop(a.id)).id).toBe(a.id);
    await outbox.release(claim);
    await outbox.drop(b.id);
    expect(await outbox.list()).toEqual([]);
  });
});

describe('a crash while sending', () => {
  it('before the data went to the server: the entry is queued again, to be sent normally', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    await outbox.markSending(claim);
    crash(id);
    const [entry] = await outbox.list();
    expect(entry).toMatchObject({
      state: 'queued',
      uncertain: false,
      attempts: 1,
      lastError: 'Sending was interrupted before the message reached the server.',
    });
    expect(existsSync(join(outbox.dir, id, 'lock'))).toBe(false);
  });

  it('after the data went to the server: failed and uncertain, never re-sent silently', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    await outbox.markSending(claim);
    await outbox.markHandedOver(claim);
    crash(id);
    const [entry] = await outbox.list();
    expect(entry).toMatchObject({ state: 'failed', uncertain: true });
    expect(entry!.lastError).toContain('may have been delivered');
  });

  it('while a live process is sending: left alone', async () => {
    const { id } = await outbox.enqueue(input());
    const claim = (await outbox.claim(id))!;
    await outbox.markSending(claim);
    const [entry] = await outbox.list();
    expect(entry!.state).toBe('sending');
    await outbox.release(claim);
  });

  it('during enqueue: the half-built entry is invisible', async () => {
    const { mkdirSync, utimesSync } = await import('node:fs');
    const half = join(outbox.dir, '.tmp-abcdef123456');
    mkdirSync(half, { recursive: true });
    writeFileSync(join(half, 'message.eml'), 'partial');
    expect(await outbox.list()).toEqual([]);
    // Old remains are cleaned up.
    utimesSync(half, new Date(0), new Date(0));
    await outbox.list();
    expect(existsSync(half)).toBe(false);
  });
});

describe('local drafts', () => {
  const account: AccountConfig = {
    name: 'work',
    email: 'me@example.org',
    imap: { host: 'h', port: 993, security: 'tls' },
    smtp: { host: 'h', port: 587, security: 'starttls' },
    password: { type: 'prompt' },
  };

  it('are saved atomically, listed newest first, and deleted', async () => {
    const drafts = join(dir, 'drafts');
    const a = { ...newDraft(account, { id: 'a1', now: 1 }), subject: 'first' };
    const b = {
      ...newDraft({ ...account, name: 'home' }, { id: 'b2', now: 2 }),
      subject: 'second',
    };
    await saveLocalDraft(a, drafts);
    await saveLocalDraft(b, drafts);
    await saveLocalDraft({ ...a, subject: 'first, edited', updated: 3 }, drafts);
    expect(readdirSync(drafts).sort()).toEqual(['a1.json', 'b2.json']);
    expect((await listLocalDrafts(undefined, drafts)).map((d) => d.subject)).toEqual([
      'first, edited',
      'second',
    ]);
    expect((await listLocalDrafts('home', drafts)).map((d) => d.id)).toEqual(['b2']);
    expect((await loadLocalDraft('a1', drafts))?.subject).toBe('first, edited');
    await deleteLocalDraft('a1', drafts);
    await deleteLocalDraft('a1', drafts);
    expect((await listLocalDrafts(undefined, drafts)).map((d) => d.id)).toEqual(['b2']);
    await expect(saveLocalDraft({ ...a, id: '../escape' }, drafts)).rejects.toThrow(
      'is not a draft id',
    );
  });
});
