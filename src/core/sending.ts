/**
 * Sending wired to a running engine: what the TUI uses to send, postpone and
 * retry. SMTP goes to the account's gateway (core/smtp); the IMAP follow-ups
 * (the Sent copy, \Answered, $Forwarded, attachments of forwarded mail, the
 * old Drafts copy) go through the engine's connection, in order with
 * everything else it does.
 *
 * nodemailer is loaded only when something is really sent or postponed.
 */
import { AddressBook } from './addressbook/index.js';
import type { Draft } from './compose/draft.js';
import type { AccountConfig } from './config/types.js';
import type { MailEngine } from './engine/engine.js';
import { createLogger } from './log.js';
import { Outbox, type OutboxEntry } from './outbox/index.js';
import { resolveCredentials, type ResolveOptions } from './secrets/index.js';
import type { SendDeps, SendResult } from './smtp/send.js';
import type { Address } from './types.js';

const log = createLogger('sending');

/** How often failed sends are tried again while the program runs. */
const AUTO_RETRY_MS = 60_000;

export interface SendingOptions {
  prompt?: ResolveOptions['prompt'];
  outbox?: Outbox;
  addressBook?: AddressBook;
}

/** The send dependencies for an account, over an engine's connection. */
export function engineSendDeps(
  engine: MailEngine,
  account: AccountConfig,
  options: SendingOptions = {},
): SendDeps {
  return {
    credentials: () => resolveCredentials(account, 'smtp', { prompt: options.prompt }),
    appendToFolder: async (role, raw, flags, folder) => {
      await engine.request({ type: 'append', folder: folder ?? { role }, raw, flags });
    },
    setFlag: async (ref, flag) => {
      await engine.request({
        type: 'flag-in-folder',
        folder: ref.folder,
        uid: ref.uid,
        add: [flag],
      });
    },
    fetchAttachment: (attachment) =>
      engine.request({
        type: 'fetch-remote',
        folder: attachment.source.folder,
        uid: attachment.source.uid,
        part: attachment.kind === 'part' ? attachment.partId : undefined,
      }),
    removeMessage: async (ref) =>
      (await engine.request({ type: 'remove-message', folder: ref.folder, uid: ref.uid })).warning,
    outbox: options.outbox ?? new Outbox(),
    addressBook: options.addressBook ?? new AddressBook(),
  };
}

/** Sending for one account while the TUI runs, with retries of what failed. */
export class Sending {
  readonly deps: SendDeps;
  private timer: NodeJS.Timeout | null = null;
  private retrying: Promise<SendResult[]> | null = null;

  constructor(
    private readonly engine: MailEngine,
    private readonly account: AccountConfig,
    options: SendingOptions = {},
  ) {
    this.deps = engineSendDeps(engine, account, options);
  }

  /** Sends (through the outbox: on disk before any network). Never throws once queued. */
  async send(draft: Draft): Promise<SendResult> {
    const { sendDraft } = await import('./smtp/send.js');
    return sendDraft(this.deps, this.account, draft);
  }

  /**
   * Bounces (redirects) a message of a folder to new recipients: its source
   * fetched over the engine's connection, Resent-* fields on top, sent
   * through the outbox; a Sent copy only with `saveSent`.
   */
  async bounce(
    source: { folder: string; uid: number },
    to: readonly Address[],
    options: { saveSent?: boolean } = {},
  ): Promise<SendResult> {
    const [{ bounceMessage, bounceProblem }, { TmailError }] = await Promise.all([
      import('./smtp/bounce.js'),
      import('./errors.js'),
    ]);
    const problem = bounceProblem(to);
    if (problem) throw new TmailError('INVALID_MESSAGE', problem);
    const raw = await this.engine.request({
      type: 'fetch-remote',
      folder: source.folder,
      uid: source.uid,
    });
    return bounceMessage(this.deps, this.account, raw, to, options);
  }

  /** Stores the draft in the IMAP Drafts folder with \Draft. */
  async postpone(draft: Draft): Promise<{ messageId: string; warnings: string[] }> {
    const { postponeDraft } = await import('./smtp/send.js');
    return postponeDraft(this.deps, this.account, draft);
  }

  /** Tries queued and failed messages again (`force` also sends held ones). */
  retry(id?: string, options: { force?: boolean } = {}): Promise<SendResult[]> {
    this.retrying ??= (async () => {
      const { retryOutbox } = await import('./smtp/send.js');
      return retryOutbox(this.deps, this.account, id, options);
    })().finally(() => {
      this.retrying = null;
    });
    return this.retrying;
  }

  /** Outbox entries of this account, for the status line and the outbox view. */
  async pending(): Promise<OutboxEntry[]> {
    return (await this.deps.outbox.list(this.account.name)).filter((e) => e.state !== 'sent');
  }

  /**
   * Retries failed sends every minute while there are any, so that a message
   * goes out once the gateway answers again.
   */
  startAutoRetry(intervalMs = AUTO_RETRY_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.engine.state.connection.status !== 'online') return;
      void (async () => {
        const waiting = (await this.pending()).some(
          (e) => e.state === 'queued' || e.state === 'failed',
        );
        if (waiting) await this.retry();
      })().catch((error) =>
        log.warn('automatic retry failed', { message: (error as Error).message }),
      );
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
