/**
 * The outbox: messages on their way out, kept on disk under
 * `stateDir()/outbox` so that nothing is lost when a send fails or tmail dies.
 *
 * Each entry is a directory `<id>/` holding
 * - `message.eml`: the exact bytes that go to the SMTP server;
 * - `meta.json`: {@link OutboxEntry} (state, attempts, the server's last answer,
 *   the follow-ups still to do);
 * - `draft.json`: the draft it was built from, when there is one (to edit it);
 * - `lock`: present while a process works on the entry.
 * An entry appears atomically (built in a `.tmp-` directory, then renamed) and
 * every change of `meta.json` is an atomic replace.
 *
 * ## Exactly once
 * A process claims an entry with an exclusive lock file before sending
 * (`open(..., 'wx')`), re-reads its state under the lock, and records `sent`
 * before any follow-up (Sent copy, flags), so a follow-up that fails is
 * retried later without sending again.
 *
 * The send itself is split where it matters: the state is `sending` from the
 * moment the connection is attempted, and `handedOver` is written (and
 * flushed) just before the message data goes to the server. A process that
 * died while `sending`:
 * - before `handedOver`: the server never had the data, so the entry goes back
 *   to `queued` and is sent again normally;
 * - after `handedOver`: the server may have accepted it. Re-sending risks a
 *   duplicate, dropping it risks a loss, and only a person can check. So the
 *   entry becomes `failed` with `uncertain: true` and a sentence saying it may
 *   have been sent; automatic retries skip it, and a retry of that one entry
 *   must be asked for with `force`.
 * The same rule applies to a connection lost after the data went out
 * (the server's answer never came).
 *
 * A lock is stale when its process is gone (same host, pid not alive); it is
 * broken by renaming it aside and checking that the one moved is the stale
 * one, so two processes breaking it at once cannot both win.
 */
import { link, mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import type { Draft, MessageRef } from '../compose/draft.js';
import { TmailError, type ErrorCode } from '../errors.js';
import { createLogger } from '../log.js';
import { statePath } from '../paths.js';
import type { Flag } from '../types.js';
import { fsyncDir, writeFileAtomic, writeFileDurable } from '../fs-atomic.js';
import { randomHex } from '../random-id.js';

const log = createLogger('outbox');

/** Where an entry is in its life. */
export type OutboxState = 'queued' | 'sending' | 'failed' | 'sent';

/** Work to do on the IMAP server once the message is sent. */
export type FollowUp =
  /** APPEND the message (with its Bcc header) to the folder of that role, or to `folder` (an identity's Sent folder). */
  | { kind: 'append'; role: 'sent'; flags: Flag[]; folder?: string }
  /** Set a flag on a message: \Answered on the original of a reply, $Forwarded on a forward's. */
  | { kind: 'flag'; ref: MessageRef; flag: Flag }
  /** Remove a message: the postponed copy in Drafts of what was just sent. */
  | { kind: 'remove'; ref: MessageRef };

export interface FollowUpState {
  action: FollowUp;
  done: boolean;
  /** Why the last try failed, one sentence. */
  error?: string;
}

/** The metadata of an outbox entry (`meta.json`). */
export interface OutboxEntry {
  id: string;
  /** Name of the account it is sent from. */
  account: string;
  messageId: string;
  subject: string;
  /** Envelope sender. */
  from: string;
  /** Envelope recipients (To, Cc and Bcc). */
  recipients: string[];
  /** ms since the epoch. */
  created: number;
  updated: number;
  /** Send attempts so far (each one that reached for the network). */
  attempts: number;
  state: OutboxState;
  /** Written just before the data goes to the server: past this point it may have been delivered. */
  handedOver: boolean;
  /** The last attempt may have delivered it: not retried without `force`. */
  uncertain: boolean;
  /** The last failure, one sentence with the server's words. */
  lastError?: string;
  /**
   * The last failure will not go away by itself (a 5xx answer, a refused login)
   * or automatic retries are used up: nothing is tried until the user asks
   * (`tmail outbox retry`, `tmail outbox edit`).
   */
  needsUser?: boolean;
  /** Automatic retries since the user last asked for a send. */
  autoRetries?: number;
  /** When the next automatic retry is due, ms since the epoch (absent: at once). */
  nextRetryAt?: number;
  lastErrorCode?: ErrorCode;
  /** When the server accepted it. */
  sentAt?: number;
  /** The server's final answer. */
  response?: string;
  /** Recipients the server refused while accepting the message for the others. */
  rejected?: string[];
  /** The message's Bcc header field (CRLF-terminated), kept out of `message.eml` and added to the Sent copy. */
  bccHeader: string;
  followUps: FollowUpState[];
  /** Size of `message.eml` in bytes. */
  size: number;
}

export interface EnqueueInput {
  account: string;
  raw: Buffer;
  messageId: string;
  envelope: { from: string; to: string[] };
  subject: string;
  bccHeader?: string;
  followUps?: FollowUp[];
  draft?: Draft;
  now?: number;
}

/** Replacement content for an entry that has not been sent (after the user edited it). */
export interface EntryUpdate {
  raw: Buffer;
  messageId: string;
  envelope: { from: string; to: string[] };
  subject: string;
  bccHeader?: string;
  draft?: Draft;
  now?: number;
}

/** Proof that this process holds an entry's lock. */
export interface OutboxClaim {
  readonly id: string;
  readonly token: string;
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  time: number;
}

const ID = /^[a-z0-9]{6,40}$/;
const TMP_PREFIX = '.tmp-';
/** Half-built entries older than this are the remains of a crash during enqueue. */
const TMP_MAX_AGE_MS = 10 * 60_000;

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: string } | null)?.code === code;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return isCode(error, 'EPERM');
  }
}

/** The message the Sent folder gets: the Bcc field (if any) and the bytes that were sent. */
export function sentCopyOf(raw: Buffer, bccHeader: string): Buffer {
  return bccHeader ? Buffer.concat([Buffer.from(bccHeader, 'utf8'), raw]) : raw;
}

/** The on-disk outbox. One instance per directory; any number of processes may share it. */
export class Outbox {
  /** @param dir the outbox directory; `stateDir()/outbox` by default. */
  constructor(readonly dir: string = statePath('outbox')) {}

  private entryDir(id: string): string {
    if (!ID.test(id)) throw new TmailError('MESSAGE_UNKNOWN', `"${id}" is not an outbox id.`);
    return join(this.dir, id);
  }

  private async readMeta(id: string): Promise<OutboxEntry | undefined> {
    try {
      const text = await readFile(join(this.entryDir(id), 'meta.json'), 'utf8');
      return JSON.parse(text) as OutboxEntry;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      log.warn('unreadable outbox entry', { id, error });
      return undefined;
    }
  }

  private async writeMeta(entry: OutboxEntry): Promise<void> {
    await writeFileAtomic(
      join(this.entryDir(entry.id), 'meta.json'),
      JSON.stringify(entry, null, 2),
    );
  }

  /**
   * Puts a message in the outbox, durably, before any network is touched.
   * The entry is `queued`; its follow-ups are to be done once it is sent.
   */
  async enqueue(input: EnqueueInput): Promise<OutboxEntry> {
    const now = input.now ?? Date.now();
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = `${now.toString(36)}${randomHex(3)}`;
    const entry: OutboxEntry = {
      id,
      account: input.account,
      messageId: input.messageId,
      subject: input.subject,
      from: input.envelope.from,
      recipients: [...input.envelope.to],
      created: now,
      updated: now,
      attempts: 0,
      state: 'queued',
      handedOver: false,
      uncertain: false,
      bccHeader: input.bccHeader ?? '',
      followUps: (input.followUps ?? []).map((action) => ({ action, done: false })),
      size: input.raw.length,
    };
    const temp = join(this.dir, `${TMP_PREFIX}${id}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      await writeFileDurable(join(temp, 'message.eml'), input.raw);
      if (input.draft)
        await writeFileDurable(join(temp, 'draft.json'), JSON.stringify(input.draft));
      await writeFileDurable(join(temp, 'meta.json'), JSON.stringify(entry, null, 2));
      await fsyncDir(temp);
      await rename(temp, join(this.dir, id));
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw new TmailError('FILE_ERROR', 'The message could not be saved in the outbox.', {
        cause: error,
      });
    }
    await fsyncDir(this.dir);
    log.info('queued', { id, account: entry.account, messageId: entry.messageId });
    return entry;
  }

  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw new TmailError('FILE_ERROR', 'The outbox could not be read.', { cause: error });
    }
    for (const name of names.filter((n) => n.startsWith(TMP_PREFIX))) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > TMP_MAX_AGE_MS) {
        await rm(path, { recursive: true, force: true });
      }
    }
    return names.filter((n) => ID.test(n)).sort();
  }

  /** How many entries there are, from their names alone (nothing is read or settled). */
  async count(): Promise<number> {
    return (await this.ids()).length;
  }

  /**
   * Every entry, oldest first (of one account when given). Entries left in
   * `sending` by a process that died are settled first (see the rule above).
   */
  async list(account?: string): Promise<OutboxEntry[]> {
    await this.recover();
    const entries: OutboxEntry[] = [];
    for (const id of await this.ids()) {
      const entry = await this.readMeta(id);
      if (entry && (account === undefined || entry.account === account)) entries.push(entry);
    }
    return entries.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  }

  /** The id an id or unique prefix names; throws MESSAGE_UNKNOWN with one sentence otherwise. */
  async resolveId(idOrPrefix: string): Promise<string> {
    const wanted = idOrPrefix.trim().toLowerCase();
    const ids = await this.ids();
    if (ids.includes(wanted)) return wanted;
    const matches = wanted.length >= 3 ? ids.filter((id) => id.startsWith(wanted)) : [];
    if (matches.length === 1) return matches[0]!;
    throw new TmailError(
      'MESSAGE_UNKNOWN',
      matches.length > 1
        ? `More than one outbox message starts with ${wanted}; give more of the id.`
        : `No outbox message has the id ${wanted}; see tmail outbox list.`,
    );
  }

  /** One entry by id (or unique prefix), or undefined. */
  async get(idOrPrefix: string): Promise<OutboxEntry | undefined> {
    try {
      return await this.readMeta(await this.resolveId(idOrPrefix));
    } catch (error) {
      if (error instanceof TmailError && error.code === 'MESSAGE_UNKNOWN') return undefined;
      throw error;
    }
  }

  /** The bytes that go (or went) to the SMTP server. */
  async readRaw(id: string): Promise<Buffer> {
    try {
      return await readFile(join(this.entryDir(id), 'message.eml'));
    } catch (error) {
      throw new TmailError('FILE_ERROR', `The outbox message ${id} could not be read.`, {
        cause: error,
      });
    }
  }

  /** The draft an entry was built from, when it was saved with one. */
  async readDraft(id: string): Promise<Draft | undefined> {
    try {
      return JSON.parse(await readFile(join(this.entryDir(id), 'draft.json'), 'utf8')) as Draft;
    } catch {
      return undefined;
    }
  }

  /** The message for the Sent folder: the sent bytes with the Bcc field put back. */
  async readSentCopy(id: string): Promise<Buffer> {
    const entry = await this.readMeta(id);
    return sentCopyOf(await this.readRaw(id), entry?.bccHeader ?? '');
  }

  private async readLock(path: string): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      // A lock being written right now reads as empty or partial: treat it as held.
      return { pid: process.pid, host: hostname(), token: '', time: Date.now() };
    }
  }

  private isStale(lock: LockInfo): boolean {
    if (lock.host !== hostname()) return false;
    // A lock older than the machine's uptime was left before a reboot, whatever its pid is now.
    if (lock.time < Date.now() - uptime() * 1000) return true;
    if (lock.pid === process.pid) return lock.time < Date.now() - process.uptime() * 1000;
    return !pidAlive(lock.pid);
  }

  /**
   * Takes an entry's exclusive lock. Resolves null when another live process
   * (or another task of this one) holds it, or when the entry is gone.
   */
  async claim(id: string): Promise<OutboxClaim | null> {
    const dir = this.entryDir(id);
    const path = join(dir, 'lock');
    const token = randomHex(8);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const info: LockInfo = { pid: process.pid, host: hostname(), token, time: Date.now() };
        await writeFileDurable(path, JSON.stringify(info));
        return { id, token };
      } catch (error) {
        if (isCode(error, 'ENOENT')) return null;
        if (!isCode(error, 'EEXIST')) {
          throw new TmailError('FILE_ERROR', `The outbox message ${id} could not be locked.`, {
            cause: error,
          });
        }
      }
      const held = await this.readLock(path);
      if (!held) continue;
      if (!this.isStale(held)) return null;
      // Move the stale lock aside; if what moved is not the lock judged stale
      // (someone broke it and locked again in between), put it back.
      const aside = `${path}.stale-${token}`;
      try {
        await rename(path, aside);
      } catch (error) {
        if (isCode(error, 'ENOENT')) continue;
        throw error;
      }
      const moved = await this.readLock(aside);
      if (moved && moved.token !== held.token) {
        await link(aside, path).catch(() => {});
        await unlink(aside).catch(() => {});
        return null;
      }
      await unlink(aside).catch(() => {});
      log.info('broke a stale lock', { id, pid: held.pid });
    }
    return null;
  }

  /** Gives the lock back; harmless when the entry is gone. */
  async release(claim: OutboxClaim): Promise<void> {
    const path = join(this.entryDir(claim.id), 'lock');
    const held = await this.readLock(path);
    if (held && held.token === claim.token) await unlink(path).catch(() => {});
  }

  private async mutate(
    claim: OutboxClaim,
    change: (entry: OutboxEntry) => OutboxEntry,
  ): Promise<OutboxEntry> {
    const held = await this.readLock(join(this.entryDir(claim.id), 'lock'));
    if (!held || held.token !== claim.token) {
      throw new TmailError(
        'INTERNAL',
        `The outbox message ${claim.id} is not locked by this task.`,
      );
    }
    const entry = await this.readMeta(claim.id);
    if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `The outbox message ${claim.id} is gone.`);
    const next = change(entry);
    await this.writeMeta(next);
    return next;
  }

  /** Records the start of an attempt: `sending`, one more attempt, not yet handed over. */
  markSending(claim: OutboxClaim, now = Date.now()): Promise<OutboxEntry> {
    return this.mutate(claim, (e) => ({
      ...e,
      state: 'sending',
      attempts: e.attempts + 1,
      handedOver: false,
      updated: now,
    }));
  }

  /** Records, durably, that the message data is about to go to the server. */
  markHandedOver(claim: OutboxClaim, now = Date.now()): Promise<OutboxEntry> {
    return this.mutate(claim, (e) => ({ ...e, handedOver: true, updated: now }));
  }

  /** Records that the server accepted the message. Done before any follow-up. */
  markSent(
    claim: OutboxClaim,
    result: { response: string; rejected?: string[]; now?: number },
  ): Promise<OutboxEntry> {
    const now = result.now ?? Date.now();
    return this.mutate(claim, (e) => ({
      ...e,
      state: 'sent',
      uncertain: false,
      sentAt: now,
      response: result.response,
      rejected: result.rejected && result.rejected.length > 0 ? result.rejected : undefined,
      lastError: undefined,
      lastErrorCode: undefined,
      needsUser: undefined,
      autoRetries: undefined,
      nextRetryAt: undefined,
      updated: now,
    }));
  }

  /** Records when (and whether) the entry is tried again by itself. */
  markRetry(
    claim: OutboxClaim,
    retry: { needsUser: boolean; autoRetries: number; nextRetryAt?: number },
  ): Promise<OutboxEntry> {
    return this.mutate(claim, (e) => ({
      ...e,
      needsUser: retry.needsUser || undefined,
      autoRetries: retry.autoRetries,
      nextRetryAt: retry.nextRetryAt,
    }));
  }

  /** Records a failed attempt with the sentence for the user; `uncertain` when it may have been delivered. */
  markFailed(
    claim: OutboxClaim,
    failure: { error: string; code?: ErrorCode; uncertain?: boolean; now?: number },
  ): Promise<OutboxEntry> {
    const now = failure.now ?? Date.now();
    return this.mutate(claim, (e) => ({
      ...e,
      state: 'failed',
      uncertain: failure.uncertain ?? false,
      lastError: failure.error,
      lastErrorCode: failure.code,
      updated: now,
    }));
  }

  /** Records the outcome of one follow-up. */
  markFollowUp(
    claim: OutboxClaim,
    index: number,
    outcome: { done: boolean; error?: string; now?: number },
  ): Promise<OutboxEntry> {
    return this.mutate(claim, (e) => ({
      ...e,
      followUps: e.followUps.map((f, i) =>
        i === index ? { action: f.action, done: outcome.done, error: outcome.error } : f,
      ),
      updated: outcome.now ?? Date.now(),
    }));
  }

  /** Removes a claimed entry (sent, with every follow-up done). */
  async complete(claim: OutboxClaim): Promise<void> {
    await this.mutate(claim, (e) => e);
    await this.remove(claim.id);
  }

  private async remove(id: string): Promise<void> {
    // Rename first so that a reader never sees a half-deleted entry.
    const gone = join(this.dir, `${TMP_PREFIX}gone-${id}-${randomHex(3)}`);
    await rename(this.entryDir(id), gone);
    await fsyncDir(this.dir);
    await rm(gone, { recursive: true, force: true });
  }

  /**
   * Gives the entries of account `from` to account `to` (the account was renamed), with the
   * draft kept for editing. An entry a live process is sending right now keeps its name
   * (counted as busy): its sender finishes it under the name it started with.
   */
  async renameAccount(from: string, to: string): Promise<{ renamed: number; busy: number }> {
    let renamed = 0;
    let busy = 0;
    for (const entry of await this.list(from)) {
      const claim = await this.claim(entry.id);
      if (!claim) {
        busy++;
        continue;
      }
      try {
        const draft = await this.readDraft(entry.id);
        if (draft?.account === from)
          await writeFileAtomic(
            join(this.entryDir(entry.id), 'draft.json'),
            JSON.stringify({ ...draft, account: to }),
          );
        await this.mutate(claim, (e) => ({ ...e, account: to }));
        renamed++;
      } finally {
        await this.release(claim);
      }
    }
    return { renamed, busy };
  }

  /**
   * Throws an entry away, whatever its state, unless a live process is
   * sending it right now. Returns the entry that was dropped.
   */
  async drop(idOrPrefix: string): Promise<OutboxEntry> {
    const id = await this.resolveId(idOrPrefix);
    const claim = await this.claim(id);
    if (!claim) {
      throw new TmailError(
        'FILE_ERROR',
        `The outbox message ${id} is being sent right now; try again in a moment.`,
      );
    }
    const entry = await this.readMeta(id);
    try {
      await this.remove(id);
    } catch (error) {
      await this.release(claim);
      throw new TmailError('FILE_ERROR', `The outbox message ${id} could not be removed.`, {
        cause: error,
      });
    }
    log.info('dropped', { id });
    return entry!;
  }

  /**
   * Replaces the message of an entry that has not been sent (the user edited
   * it). The entry goes back to `queued`; editing is the user's decision, so
   * an `uncertain` mark is cleared.
   */
  async update(idOrPrefix: string, content: EntryUpdate): Promise<OutboxEntry> {
    const id = await this.resolveId(idOrPrefix);
    const claim = await this.claim(id);
    if (!claim) {
      throw new TmailError(
        'FILE_ERROR',
        `The outbox message ${id} is being sent right now; try again in a moment.`,
      );
    }
    try {
      const entry = await this.readMeta(id);
      if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `The outbox message ${id} is gone.`);
      if (entry.state === 'sent' || entry.state === 'sending') {
        throw new TmailError(
          'INVALID_MESSAGE',
          `The outbox message ${id} has already been sent and cannot be changed.`,
        );
      }
      const dir = this.entryDir(id);
      await writeFileAtomic(join(dir, 'message.eml'), content.raw);
      if (content.draft)
        await writeFileAtomic(join(dir, 'draft.json'), JSON.stringify(content.draft));
      const now = content.now ?? Date.now();
      return await this.mutate(claim, (e) => ({
        ...e,
        messageId: content.messageId,
        subject: content.subject,
        from: content.envelope.from,
        recipients: [...content.envelope.to],
        bccHeader: content.bccHeader ?? '',
        size: content.raw.length,
        state: 'queued',
        uncertain: false,
        handedOver: false,
        // Edited by the user: tried again as a new message, with fresh automatic retries.
        needsUser: undefined,
        autoRetries: undefined,
        nextRetryAt: undefined,
        updated: now,
      }));
    } finally {
      await this.release(claim);
    }
  }

  /**
   * Settles an entry found in `sending` under a lock this task just took (so
   * the process that was sending it is gone): back to `queued` if the data
   * never left, else `failed` and `uncertain`. Other states are left alone.
   */
  async settleInterrupted(claim: OutboxClaim, now = Date.now()): Promise<OutboxEntry | undefined> {
    const current = await this.readMeta(claim.id);
    if (current?.state !== 'sending') return current;
    log.warn('recovered an interrupted send', { id: claim.id, handedOver: current.handedOver });
    if (current.handedOver) {
      return this.markFailed(claim, {
        error:
          'Sending was interrupted after the message was handed to the server, so it may have been delivered; check with a recipient before sending it again.',
        code: 'SEND_FAILED',
        uncertain: true,
        now,
      });
    }
    return this.mutate(claim, (e) => ({
      ...e,
      state: 'queued',
      lastError: 'Sending was interrupted before the message reached the server.',
      lastErrorCode: 'SEND_FAILED',
      updated: now,
    }));
  }

  /** Settles every entry left in `sending` by a process that died (see {@link settleInterrupted}). */
  async recover(now = Date.now()): Promise<void> {
    for (const id of await this.ids()) {
      const entry = await this.readMeta(id);
      if (entry?.state !== 'sending') continue;
      const claim = await this.claim(id);
      if (!claim) continue; // a live process is on it
      try {
        await this.settleInterrupted(claim, now);
      } finally {
        await this.release(claim);
      }
    }
  }
}
