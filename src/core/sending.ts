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
import type { RetryPolicy } from './smtp/retry-policy.js';
import type { SendDeps, SendResult } from './smtp/send.js';
import type { Address } from './types.js';

const log = createLogger('sending');

/** How often the outbox is looked at for retries that are due (each entry has its own delay). */
const AUTO_RETRY_TICK_MS = 15_000;

export interface AutoRetryOptions {
  /** How often to look for due retries. */
  tickMs?: number;
}

export interface SendingOptions {
  prompt?: ResolveOptions['prompt'];
  /** Delays and limit of automatic retries (tests shorten them). */
  retryPolicy?: RetryPolicy;
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
    retryPolicy: options.retryPolicy,
    addressBook: options.addressBook ?? new AddressBook(),
  };
}

/** Sending for one account while the TUI runs, with retries of what failed. */
export class Sending {
  readonly deps: SendDeps;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
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
    try {
      return await sendDraft(this.deps, this.account, draft);
    } finally {
      void this.report();
    }
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
  retry(
    id?: string,
    options: { force?: boolean; automatic?: boolean } = {},
  ): Promise<SendResult[]> {
    this.retrying ??= (async () => {
      const { retryOutbox } = await import('./smtp/send.js');
      try {
        return await retryOutbox(this.deps, this.account, id, options);
      } finally {
        await this.report();
      }
    })().finally(() => {
      this.retrying = null;
    });
    return this.retrying;
  }

  /** Unsent outbox entries of this account, for the question before quitting. */
  async pending(): Promise<OutboxEntry[]> {
    const entries = (await this.deps.outbox.list(this.account.name)).filter(
      (e) => e.state !== 'sent',
    );
    const needsYou = entries.filter((e) => e.needsUser || e.uncertain).length;
    this.engine.reportOutbox({ waiting: entries.length - needsYou, needsYou });
    return entries;
  }

  /** Resolves once no retry is running (tests; a quit that waits for it). */
  async idle(): Promise<void> {
    await this.retrying?.catch(() => undefined);
  }

  /** Counts the outbox again for the status line. */
  async report(): Promise<void> {
    await this.pending().catch(() => undefined);
  }

  /**
   * While the program runs, tries again what is due: messages that failed for
   * a temporary reason (with growing delays and a limit, see
   * smtp/retry-policy.ts), and the follow-ups (Sent copy, \Answered) of
   * messages already sent, by themselves, without sending them again.
   * Messages refused for good wait for the user. The first look is at once,
   * so that what an earlier run left is taken up at start.
   */
  startAutoRetry(options: AutoRetryOptions = {}): void {
    if (this.timer) return;
    const tick = () => {
      if (this.engine.state.connection.status !== 'online' || this.retrying) return;
      void (async () => {
        const { dueForAutomaticRetry } = await import('./smtp/send.js');
        const now = Date.now();
        const due = (await this.deps.outbox.list(this.account.name)).some((e) =>
          dueForAutomaticRetry(e, now),
        );
        if (due) await this.retry(undefined, { automatic: true });
      })().catch((error) =>
        log.warn('automatic retry failed', { message: (error as Error).message }),
      );
    };
    this.timer = setInterval(tick, options.tickMs ?? AUTO_RETRY_TICK_MS);
    this.timer.unref?.();
    // Also as soon as the connection is back: the follow-ups need it.
    let wasOnline = this.engine.state.connection.status === 'online';
    this.unsubscribe = this.engine.store.subscribe(() => {
      const online = this.engine.state.connection.status === 'online';
      if (online && !wasOnline) tick();
      wasOnline = online;
    });
    tick();
    void this.report();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
