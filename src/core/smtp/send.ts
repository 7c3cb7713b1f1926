/**
 * Sending a draft so that nothing is lost and nothing goes twice:
 *
 *   build -> enqueue (on disk before any network) -> claim -> submit
 *         -> mark sent -> follow-ups (Sent copy, \Answered / $Forwarded,
 *            removal of the postponed copy) -> remove from the outbox
 *
 * A failure before "mark sent" leaves the message in the outbox with the
 * server's reason, to be retried or edited. A failure in a follow-up is
 * reported but never causes a second send: the entry stays in the outbox as
 * `sent` with the follow-up pending, and the next retry does only that.
 *
 * IMAP is reached only through the functions in {@link SendDeps}, which the
 * engine wires to its connection; this module never imports it.
 */
import type { AddressBook } from '../addressbook/index.js';
import { draftRecipients, type Draft, type MessageRef } from '../compose/draft.js';
import { identityFor } from '../compose/identities.js';
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError, toTmailError, type ErrorCode } from '../errors.js';
import { createLogger } from '../log.js';
import { deleteLocalDraft } from '../outbox/drafts.js';
import {
  sentCopyOf,
  type FollowUp,
  type Outbox,
  type OutboxClaim,
  type OutboxEntry,
} from '../outbox/outbox.js';
import type { Address, Flag } from '../types.js';
import { buildMessage, type AttachmentFetcher } from './build.js';
import {
  DEFAULT_RETRY_POLICY,
  isTemporaryFailure,
  retryDelay,
  type RetryPolicy,
} from './retry-policy.js';
import type { BuiltMessage } from './raw.js';
import { submit, SubmitFailure, type SubmitOptions, type SubmitResult } from './submit.js';

const log = createLogger('send');

/** What sending needs from the rest of tmail; the engine wires the IMAP parts. */
export interface SendDeps {
  /** The account's SMTP credentials (asked only when a send is really attempted). */
  credentials(): Promise<Credentials>;
  /** APPENDs a message to the folder of that role (the account's Sent or Drafts), or to `folder` when given. */
  appendToFolder(
    role: 'sent' | 'drafts',
    raw: Buffer,
    flags: Flag[],
    folder?: string,
  ): Promise<void>;
  /** Sets a flag on a message (`\Answered`, `$Forwarded`). */
  setFlag(ref: MessageRef, flag: Flag): Promise<void>;
  outbox: Outbox;
  /** Fetches attachments that live on the server (forwards, resumed drafts). */
  fetchAttachment?: AttachmentFetcher;
  /** Removes a message (the postponed copy in Drafts once the draft is sent or postponed again). */
  removeMessage?(ref: MessageRef): Promise<string | void>;
  /** Delays and limit of automatic retries; {@link DEFAULT_RETRY_POLICY} when absent. */
  retryPolicy?: RetryPolicy;
  /** Remembers the recipients for address completion. */
  addressBook?: Pick<AddressBook, 'remember'>;
  /** Directory of the local drafts store, when not the default. */
  draftsDir?: string;
  /** Replaces the SMTP submission (tests). */
  submit?: (
    account: AccountConfig,
    credentials: Credentials,
    built: Pick<BuiltMessage, 'raw' | 'envelope'>,
    options: SubmitOptions,
  ) => Promise<SubmitResult>;
}

/**
 * What happened to one outbox message.
 * - `sent`: the server accepted it now;
 * - `completed`: it had been sent before; this time only its pending follow-ups ran;
 * - `failed`: the server or the network refused it; it is in the outbox with `error`;
 * - `held`: it may have been delivered by an interrupted attempt; not sent again without `force`;
 * - `busy`: another tmail is sending it right now;
 * - `skipped`: not tried, because the gateway just failed for an earlier message.
 */
export type SendStatus = 'sent' | 'completed' | 'failed' | 'held' | 'busy' | 'skipped';

export interface SendResult {
  /** Outbox id. */
  id: string;
  messageId: string;
  subject: string;
  recipients: string[];
  status: SendStatus;
  /** Why it was not sent (failed, held, skipped), with the server's words. */
  error?: TmailError;
  /** The server's final answer when it was accepted. */
  response?: string;
  /** Recipients the server refused while accepting the message for the others. */
  rejected: string[];
  /** One sentence each: follow-ups that failed, recipients refused. */
  warnings: string[];
  /** For a failure: true when tmail tries again by itself, false when it waits for the user. */
  autoRetry?: boolean;
}

export interface RetryOptions {
  /** Also send messages an interrupted attempt may have delivered (asked for by the user). */
  force?: boolean;
  /**
   * The program's own retry, not the user's: only entries whose retry is due
   * are tried, and those waiting for the user are left alone.
   */
  automatic?: boolean;
  /** Delays and limit of automatic retries (tests shorten them). */
  policy?: RetryPolicy;
}

/**
 * After a failed attempt: whether the entry is tried again by itself, and when.
 * An attempt the user asked for starts the automatic retries afresh.
 */
function nextRetry(
  entry: OutboxEntry,
  temporary: boolean,
  options: RetryOptions,
  fallback: RetryPolicy = DEFAULT_RETRY_POLICY,
  now = Date.now(),
): { needsUser: boolean; autoRetries: number; nextRetryAt?: number } {
  const policy = options.policy ?? fallback;
  const autoRetries = options.automatic ? (entry.autoRetries ?? 0) + 1 : 0;
  if (!temporary || autoRetries >= policy.limit) return { needsUser: true, autoRetries };
  return { needsUser: false, autoRetries, nextRetryAt: now + retryDelay(autoRetries, policy) };
}

/** True when the program's own retry should try this entry now. */
export function dueForAutomaticRetry(entry: OutboxEntry, now = Date.now()): boolean {
  if (entry.state === 'sending' || entry.uncertain || entry.needsUser) return false;
  if (entry.state === 'queued') return true;
  return (entry.nextRetryAt ?? 0) <= now;
}

/** Errors that say the gateway itself is unreachable or refuses us: no point trying the next message. */
const GATEWAY_DOWN: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_FAILED',
  'HOST_UNKNOWN',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'TLS_UNTRUSTED',
  'TLS_FAILED',
  'CONNECTION_LOST',
  'SECRET_UNAVAILABLE',
  'KEYCHAIN_UNAVAILABLE',
  'OFFLINE',
]);

/** The follow-ups a draft needs once it is sent. */
export function followUpsFor(account: AccountConfig, draft: Draft): FollowUp[] {
  const followUps: FollowUp[] = [];
  // Sent from an identity with a Sent folder of its own: filed there.
  const sentFolder = identityFor(account, draft.from.address)?.sentFolder;
  if (!account.serverSavesSent)
    followUps.push({
      kind: 'append',
      role: 'sent',
      flags: ['\\Seen'],
      ...(sentFolder ? { folder: sentFolder } : {}),
    });
  if (draft.origin?.source) {
    followUps.push({ kind: 'flag', ref: draft.origin.source, flag: draft.origin.flag });
  }
  if (draft.postponed) followUps.push({ kind: 'remove', ref: draft.postponed });
  return followUps;
}

function describeFollowUp(action: FollowUp): string {
  switch (action.kind) {
    case 'append':
      return 'the copy for the Sent folder could not be saved';
    case 'flag':
      return `the original message could not be marked ${action.flag === '\\Answered' ? 'as answered' : 'as forwarded'}`;
    case 'remove':
      return 'the postponed copy could not be removed from Drafts';
  }
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= fn());
}

function resultOf(
  entry: OutboxEntry,
  status: SendStatus,
  extra: Partial<SendResult> = {},
): SendResult {
  return {
    id: entry.id,
    messageId: entry.messageId,
    subject: entry.subject,
    recipients: entry.recipients,
    status,
    rejected: entry.rejected ?? [],
    warnings: [],
    ...extra,
  };
}

/** Runs the pending follow-ups of a sent entry; removes the entry when none is left. */
async function runFollowUps(
  deps: SendDeps,
  claim: OutboxClaim,
  entry: OutboxEntry,
  options: RetryOptions = {},
): Promise<string[]> {
  const warnings: string[] = [];
  const failed: Array<{ index: number; action: FollowUp; reason: TmailError }> = [];
  let current = entry;
  for (let i = 0; i < entry.followUps.length; i++) {
    const followUp = entry.followUps[i]!;
    if (followUp.done) continue;
    const action = followUp.action;
    try {
      if (action.kind === 'append') {
        const raw = sentCopyOf(await deps.outbox.readRaw(entry.id), entry.bccHeader);
        await deps.appendToFolder(action.role, raw, action.flags, action.folder);
      } else if (action.kind === 'flag') {
        await deps.setFlag(action.ref, action.flag);
      } else if (deps.removeMessage) {
        // A sentence when the copy could only be marked \Deleted (a server without UIDPLUS).
        const warning = await deps.removeMessage(action.ref);
        if (warning) warnings.push(warning);
      } else {
        warnings.push('The message was sent; its postponed copy was left in Drafts.');
      }
      current = await deps.outbox.markFollowUp(claim, i, { done: true });
    } catch (error) {
      const reason = toTmailError(error);
      log.warn('follow-up failed', { id: entry.id, kind: action.kind, code: reason.code });
      failed.push({ index: i, action, reason });
    }
  }
  if (!failed.length) {
    if (current.followUps.every((f) => f.done)) await deps.outbox.complete(claim);
    return warnings;
  }
  // Only the follow-ups are tried again (never the send), by themselves, with growing delays.
  const retry = nextRetry(current, true, options, deps.retryPolicy);
  await deps.outbox.markRetry(claim, retry);
  const then = retry.needsUser
    ? `run tmail outbox retry ${entry.id} to try again`
    : 'tmail will try again';
  for (const { index, action, reason } of failed) {
    const sentence = `The message was sent, but ${describeFollowUp(action)} (${reason.userMessage.replace(/\.$/, '')}); ${then}.`;
    warnings.push(sentence);
    await deps.outbox.markFollowUp(claim, index, { done: false, error: sentence });
  }
  return warnings;
}

/**
 * Sends one outbox entry, exactly once, under its lock. Used by
 * {@link sendDraft} and {@link retryOutbox}.
 */
async function deliver(
  deps: SendDeps,
  account: AccountConfig,
  id: string,
  credentials: () => Promise<Credentials>,
  options: RetryOptions = {},
): Promise<SendResult> {
  const outbox = deps.outbox;
  const claim = await outbox.claim(id);
  if (!claim) {
    const entry = await outbox.get(id);
    if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `The outbox message ${id} is gone.`);
    return resultOf(entry, 'busy');
  }
  try {
    // Read under the lock: another process may have sent it since it was listed.
    let entry = await outbox.settleInterrupted(claim);
    if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `The outbox message ${id} is gone.`);
    if (entry.account !== account.name) {
      throw new TmailError(
        'ACCOUNT_UNKNOWN',
        `The outbox message ${id} belongs to the account ${entry.account}.`,
      );
    }
    if (entry.state === 'sent') {
      const warnings = await runFollowUps(deps, claim, entry, options);
      return resultOf(entry, 'completed', { response: entry.response, warnings });
    }
    if (entry.uncertain && !options.force) {
      return resultOf(entry, 'held', {
        error: new TmailError(
          'SEND_FAILED',
          `The outbox message ${id} may already have been delivered by an interrupted attempt; retry it by its id with --force to send it anyway.`,
        ),
      });
    }
    const raw = await outbox.readRaw(id);
    let secret: Credentials;
    try {
      secret = await credentials();
    } catch (error) {
      const reason = toTmailError(error, 'SECRET_UNAVAILABLE');
      const retry = nextRetry(entry, isTemporaryFailure(reason), options, deps.retryPolicy);
      entry = await outbox.markFailed(claim, {
        error: reason.userMessage,
        code: reason.code,
        uncertain: entry.uncertain,
      });
      entry = await outbox.markRetry(claim, retry);
      return resultOf(entry, 'failed', { error: reason, autoRetry: !retry.needsUser });
    }

    await outbox.markSending(claim);
    let submitted: SubmitResult;
    let handedOver = false;
    try {
      submitted = await (deps.submit ?? submit)(
        account,
        secret,
        { raw, envelope: { from: entry.from, to: entry.recipients } },
        {
          onHandOver: async () => {
            await outbox.markHandedOver(claim);
            handedOver = true;
          },
        },
      );
    } catch (error) {
      // Our submit knows whether the server answered; for any other failure after the hand-over, assume the worst.
      const uncertain = error instanceof SubmitFailure ? error.uncertain : handedOver;
      const reason = toTmailError(error, 'SEND_FAILED');
      const sentence = uncertain
        ? `${reason.userMessage.replace(/\.$/, '')}, after the message had gone to the server, so it may have been delivered.`
        : reason.userMessage;
      const before = entry;
      entry = await outbox.markFailed(claim, { error: sentence, code: reason.code, uncertain });
      // A 5xx, a refused login: the same answer would come every time. Wait for the user.
      const retry = nextRetry(
        before,
        !uncertain && isTemporaryFailure(reason),
        options,
        deps.retryPolicy,
      );
      entry = await outbox.markRetry(claim, retry);
      log.warn('send failed', {
        id,
        code: reason.code,
        uncertain,
        needsUser: retry.needsUser,
        nextRetryAt: retry.nextRetryAt,
      });
      return resultOf(entry, uncertain ? 'held' : 'failed', {
        error: uncertain ? new TmailError(reason.code, sentence) : reason,
        autoRetry: !retry.needsUser,
      });
    }

    entry = await outbox.markSent(claim, {
      response: submitted.response,
      rejected: submitted.rejected,
    });
    log.info('sent', { id, messageId: entry.messageId, accepted: submitted.accepted.length });
    const warnings: string[] = [];
    if (submitted.rejected.length > 0) {
      const why = submitted.rejectedReasons[0]
        ? `: ${submitted.rejectedReasons[0].replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()}`
        : '';
      warnings.push(
        `The server refused ${submitted.rejected.join(', ')}${why}; the others got the message.`,
      );
    }
    if (deps.addressBook) {
      const draft = await outbox.readDraft(id);
      const accepted = new Set(submitted.accepted.map((a) => a.toLowerCase()));
      const people: Address[] = draft
        ? draftRecipients(draft)
        : entry.recipients.map((address) => ({ name: '', address }));
      await deps.addressBook
        .remember(
          people.filter((p) => accepted.has(p.address.toLowerCase())),
          'sent',
        )
        .catch((error: unknown) => log.warn('address book not updated', { error }));
    }
    warnings.push(...(await runFollowUps(deps, claim, entry, options)));
    return resultOf(entry, 'sent', { response: submitted.response, warnings });
  } finally {
    await outbox.release(claim);
  }
}

/**
 * Sends a draft: builds it, puts it in the outbox (durably, before any
 * network), submits it, then does the follow-ups. Throws (TmailError, one
 * sentence) only when nothing was queued: the draft is invalid, an attachment
 * cannot be read, the outbox cannot be written. Every later failure is in the
 * result, with the message kept in the outbox.
 */
export async function sendDraft(
  deps: SendDeps,
  account: AccountConfig,
  draft: Draft,
): Promise<SendResult> {
  const built = await buildMessage(draft, account, { fetchAttachment: deps.fetchAttachment });
  return sendBuilt(deps, account, built, { draft, followUps: followUpsFor(account, draft) });
}

/**
 * Puts a new version of a waiting message in its outbox entry (the user edited
 * its draft): built again, with a new Message-ID, queued to be sent. An entry
 * already sent, or being sent, is refused by the outbox.
 */
export async function replaceQueued(
  deps: Pick<SendDeps, 'outbox' | 'fetchAttachment'>,
  account: AccountConfig,
  id: string,
  draft: Draft,
): Promise<OutboxEntry> {
  const built = await buildMessage(draft, account, { fetchAttachment: deps.fetchAttachment });
  return deps.outbox.update(id, {
    raw: built.raw,
    messageId: built.messageId,
    envelope: built.envelope,
    subject: built.subject,
    bccHeader: built.bccHeader,
    draft,
  });
}

/**
 * Sends an already built message (e.g. `tmail send --file`) through the
 * outbox, like {@link sendDraft}. `followUps` defaults to the Sent copy
 * (unless the server files it itself).
 */
export async function sendBuilt(
  deps: SendDeps,
  account: AccountConfig,
  built: BuiltMessage,
  options: { draft?: Draft; followUps?: FollowUp[] } = {},
): Promise<SendResult> {
  const followUps =
    options.followUps ??
    (account.serverSavesSent
      ? []
      : [{ kind: 'append', role: 'sent', flags: ['\\Seen'] } as FollowUp]);
  const entry = await deps.outbox.enqueue({
    account: account.name,
    raw: built.raw,
    messageId: built.messageId,
    envelope: built.envelope,
    subject: built.subject,
    bccHeader: built.bccHeader,
    followUps,
    draft: options.draft,
  });
  if (options.draft) {
    // The outbox holds it now; the autosave would only resurrect a sent draft.
    await deleteLocalDraft(options.draft.id, deps.draftsDir).catch((error: unknown) =>
      log.warn('local draft not removed', { error }),
    );
  }
  return deliver(deps, account, entry.id, once(deps.credentials));
}

/**
 * Sends the account's waiting messages (or the one named by `id`, or a unique
 * prefix of it): queued and failed ones are sent, sent ones with pending
 * follow-ups get them done. Messages an interrupted attempt may have delivered
 * are held unless `force` is set and `id` names them. When the gateway is
 * down, the remaining messages are skipped rather than each waiting for it.
 */
export async function retryOutbox(
  deps: SendDeps,
  account: AccountConfig,
  id?: string,
  options: RetryOptions = {},
): Promise<SendResult[]> {
  const credentials = once(deps.credentials);
  if (id !== undefined) {
    const full = await deps.outbox.resolveId(id);
    return [await deliver(deps, account, full, credentials, options)];
  }
  // Held (uncertain) entries are listed too, so the user hears about them; deliver() does not send them.
  const now = Date.now();
  const all = await deps.outbox.list(account.name);
  const entries = all.filter((e) =>
    options.automatic ? dueForAutomaticRetry(e, now) : e.state !== 'sending',
  );
  const results: SendResult[] = [];
  let down: TmailError | undefined;
  for (const entry of entries) {
    if (down && entry.state !== 'sent' && !entry.uncertain) {
      results.push(resultOf(entry, 'skipped', { error: down }));
      continue;
    }
    let result: SendResult;
    try {
      result = await deliver(deps, account, entry.id, credentials, {
        automatic: options.automatic,
        policy: options.policy,
      });
    } catch (error) {
      // Finished and removed by another tmail since it was listed: nothing left to do.
      if (error instanceof TmailError && error.code === 'MESSAGE_UNKNOWN') continue;
      throw error;
    }
    if (result.status === 'failed' && result.error && GATEWAY_DOWN.has(result.error.code))
      down = result.error;
    results.push(result);
  }
  if (options.automatic && down && !isTemporaryFailure(down)) {
    // A refused login (or an untrusted certificate) answers the same for every message:
    // the program's own retry must not log in again for each one, so all that wait to be
    // sent wait for the user now, those not yet due included.
    const tried = new Set(results.filter((r) => r.status !== 'skipped').map((r) => r.id));
    for (const entry of all) {
      if (tried.has(entry.id) || entry.needsUser || entry.uncertain) continue;
      if (entry.state !== 'queued' && entry.state !== 'failed') continue;
      await holdForUser(deps, entry.id, down);
    }
    for (const result of results) if (result.status === 'skipped') result.autoRetry = false;
  }
  return results;
}

/** Marks an entry as waiting for the user, with the gateway's reason, without trying it. */
async function holdForUser(deps: SendDeps, id: string, reason: TmailError): Promise<void> {
  const claim = await deps.outbox.claim(id);
  if (!claim) return;
  try {
    const entry = await deps.outbox.markFailed(claim, {
      error: reason.userMessage,
      code: reason.code,
    });
    await deps.outbox.markRetry(claim, {
      needsUser: true,
      autoRetries: entry.autoRetries ?? 0,
    });
  } catch (error) {
    log.warn('outbox entry not marked', { id, error });
  } finally {
    await deps.outbox.release(claim);
  }
}

/** What postponing produced. */
export interface PostponeResult {
  messageId: string;
  warnings: string[];
}

/**
 * Postpones a draft into the account's Drafts folder (flagged \Draft, Bcc
 * kept, marked as a tmail draft so it resumes as it was), removes the copy it
 * was resumed from, and drops the local autosave. If the APPEND fails, this
 * throws and the local autosave is kept.
 */
export async function postponeDraft(
  deps: Pick<SendDeps, 'appendToFolder' | 'fetchAttachment' | 'removeMessage' | 'draftsDir'>,
  account: AccountConfig,
  draft: Draft,
): Promise<PostponeResult> {
  const built = await buildMessage(draft, account, {
    purpose: 'draft',
    fetchAttachment: deps.fetchAttachment,
  });
  await deps.appendToFolder('drafts', built.raw, ['\\Draft', '\\Seen']);
  const warnings: string[] = [];
  if (draft.postponed) {
    try {
      if (!deps.removeMessage)
        throw new TmailError('INTERNAL', 'tmail cannot remove messages here.');
      const warning = await deps.removeMessage(draft.postponed);
      if (warning) warnings.push(warning);
    } catch (error) {
      warnings.push(
        `The draft was postponed, but its older copy could not be removed from Drafts (${toTmailError(error).userMessage.replace(/\.$/, '')}).`,
      );
    }
  }
  await deleteLocalDraft(draft.id, deps.draftsDir).catch((error: unknown) =>
    log.warn('local draft not removed', { error }),
  );
  return { messageId: built.messageId, warnings };
}
