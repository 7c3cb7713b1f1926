/**
 * Writing mail, aerc style: a reply, forward or new message goes to the
 * user's editor first; then the review screen shows it, where `y` sends, `e`
 * edits again, `a` attaches, `D` removes an attachment, `p` postpones and `q`
 * abandons (after asking). The draft is saved locally after every change, so
 * nothing typed is lost to a crash.
 *
 * The I/O (the editor, SMTP, the outbox, the drafts store) comes in as
 * services from main.tsx, so this file holds only the flow.
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  expandHome,
  pathCompleter,
  type ComposeKind,
  type ComposerApi,
  type EngineApi,
} from '../commands/index.js';
import {
  addAttachment,
  draftFromMessage,
  draftProblems,
  draftRecipients,
  forwardDraft,
  newDraft,
  removeAttachment,
  replyDraft,
  type Draft,
  type EditResult,
} from '../core/compose/index.js';
import type { MessageView } from '../core/types.js';
import type { Controller } from './controller.js';
import type { UiStore } from './ui-store.js';

/** What sending returned, as much as the review screen needs. */
export interface SendOutcome {
  status: 'sent' | 'completed' | 'failed' | 'held' | 'busy' | 'skipped';
  error?: { userMessage: string };
  recipients: string[];
  warnings: string[];
}

/** The I/O the composer needs; main.tsx wires them to the editor, SMTP and the disk. */
export interface ComposeServices {
  /** Runs the editor on the draft, with the terminal handed over to it. */
  edit(draft: Draft): Promise<EditResult>;
  /** Sends through the outbox (on disk before any network). */
  send(draft: Draft): Promise<SendOutcome>;
  /** Stores the draft in the server's Drafts folder. */
  postpone(draft: Draft): Promise<{ warnings: string[] }>;
  /** Messages waiting in the outbox. */
  pending(): Promise<number>;
  /** Saves the draft locally (after every change). */
  save(draft: Draft): Promise<void>;
  /** Removes the local copy of an abandoned draft. */
  discard(id: string): Promise<void>;
  /**
   * Messages of this account left in the local drafts store, newest first: ones
   * being written when tmail stopped (a crash, a closed terminal).
   */
  kept?(): Promise<Draft[]>;
}

export interface ComposerOptions {
  engine: EngineApi;
  store: UiStore;
  controller: Controller;
  services: ComposeServices;
  home?: string;
}

function list(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}

export class Composer implements ComposerApi {
  /** Messages in the outbox, for the question before quitting. */
  pendingSends = 0;
  private kind: ComposeKind = 'new';

  constructor(private readonly options: ComposerOptions) {
    // Later, not now: reading the outbox loads sending, which start-up does not need.
    setTimeout(() => {
      void this.refreshPending();
      void this.tellKept();
    }, 1500).unref?.();
  }

  private async keptDrafts(): Promise<Draft[]> {
    try {
      return (await this.options.services.kept?.()) ?? [];
    } catch {
      return [];
    }
  }

  /** Says at start-up that a message being written when tmail stopped was kept. */
  private async tellKept(): Promise<void> {
    const kept = await this.keptDrafts();
    if (kept.length && !this.draft())
      this.ui.notify(
        'info',
        `${kept.length === 1 ? 'A message you were writing was' : `${kept.length} messages you were writing were`} kept; m takes it up again.`,
      );
  }

  /** As mutt asks "Recall postponed message?": offers a kept draft before starting a new one. */
  private async offerKept(): Promise<Draft | null> {
    const latest = (await this.keptDrafts())[0];
    if (!latest) return null;
    const subject = latest.subject.trim() ? `"${latest.subject.trim()}"` : 'without a subject';
    const yes = await this.ui.confirm(`Take up the message you were writing (${subject})? (y/n)`);
    return yes ? latest : null;
  }

  private get ui(): Controller {
    return this.options.controller;
  }

  private draft(): Draft | null {
    return this.options.store.getSnapshot().compose?.draft ?? null;
  }

  private async refreshPending(): Promise<void> {
    try {
      this.pendingSends = await this.options.services.pending();
    } catch {
      // The count only shapes a question; a failure to read it is not worth a message.
    }
  }

  /** Shows (or updates) the review screen with a draft, saving it first. */
  private async review(draft: Draft): Promise<void> {
    await this.options.services.save(draft).catch((error: { userMessage?: string }) => {
      this.ui.notify('error', error.userMessage ?? 'The draft could not be saved.');
    });
    this.options.store.set({
      compose: { draft, problems: draftProblems(draft), kind: this.kind },
    });
    this.options.store.dispatch({ type: 'show-compose' });
  }

  private close(): void {
    this.options.store.set({ compose: null });
    this.options.store.dispatch({ type: 'close-compose' });
  }

  /** The message a reply or forward starts from: the one in the reader, else the selected one. */
  private async original(): Promise<MessageView | null> {
    const open = this.ui.openMessageView();
    const uid = this.ui.openUid() ?? this.ui.cursorUid();
    if (open && open.uid === uid) return open;
    if (uid === null) {
      this.ui.notify('error', 'No message is selected.');
      return null;
    }
    const result = await this.options.engine.dispatch({ type: 'read', uid });
    if (!result.ok) {
      if (!result.cancelled) this.ui.notify('error', result.error.userMessage);
      return null;
    }
    return result.value;
  }

  async start(kind: ComposeKind): Promise<void> {
    if (this.draft()) {
      this.ui.notify(
        'error',
        'A message is already being written: send, postpone or abandon it first.',
      );
      this.options.store.dispatch({ type: 'show-compose' });
      return;
    }
    const account = this.options.engine.account;
    let draft: Draft;
    if (kind === 'new') {
      const kept = await this.offerKept();
      if (kept) {
        this.kind = 'new';
        await this.review(kept);
        return;
      }
      draft = newDraft(account);
    } else {
      const original = await this.original();
      if (!original) return;
      const folder = this.options.engine.state.view?.path ?? 'INBOX';
      if (kind === 'recall') {
        // Straight to the review screen, as mutt's recall-message does: `e` edits it.
        this.kind = kind;
        await this.review(draftFromMessage(original, { account: account.name, folder }));
        return;
      }
      draft =
        kind === 'forward' || kind === 'forward-attached'
          ? forwardDraft(account, original, {
              mode: kind === 'forward' ? 'inline' : 'attachment',
              folder,
            })
          : replyDraft(account, original, { all: kind === 'reply-all', folder });
    }
    this.kind = kind;
    await this.options.services.save(draft).catch(() => {});
    await this.editThenReview(draft, true);
  }

  private async editThenReview(draft: Draft, first: boolean): Promise<void> {
    let result: EditResult;
    try {
      result = await this.options.services.edit(draft);
    } catch (error) {
      this.ui.notify(
        'error',
        (error as { userMessage?: string }).userMessage ?? 'The editor failed.',
      );
      if (!first) return;
      result = { draft, exitCode: 1, changed: false };
    }
    if (result.exitCode > 128) {
      // Most likely the terminal is closing: keep everything, drop nothing.
      this.ui.notify(
        'error',
        'The editor was stopped by a signal; the message is kept, and m takes it up again.',
      );
      return;
    }
    if (first && !result.changed) {
      // As mutt does: a message left as it started is not worth keeping.
      await this.options.services.discard(draft.id).catch(() => {});
      this.ui.notify(
        'info',
        result.exitCode === 0
          ? 'Nothing was written; the message was abandoned.'
          : `The editor exited with status ${result.exitCode}; the message was abandoned.`,
      );
      return;
    }
    if (result.exitCode !== 0)
      this.ui.notify(
        'error',
        `The editor exited with status ${result.exitCode}; the text was kept as it was.`,
      );
    await this.review(result.draft);
  }

  async edit(): Promise<void> {
    const draft = this.draft();
    if (draft) await this.editThenReview(draft, false);
  }

  async send(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    const problems = draftProblems(draft);
    if (problems.length) {
      this.ui.notify('error', problems[0]!);
      return;
    }
    const done = this.ui.busy('Sending');
    let outcome: SendOutcome;
    try {
      outcome = await this.options.services.send(draft);
    } catch (error) {
      done();
      this.ui.notify(
        'error',
        (error as { userMessage?: string }).userMessage ?? 'The message could not be sent.',
      );
      return;
    }
    done();
    this.close();
    await this.refreshPending();
    const to = list(draftRecipients(draft).map((a) => a.address));
    if (outcome.status === 'sent' || outcome.status === 'completed') {
      const warning = outcome.warnings[0] ? ` ${outcome.warnings[0]}` : '';
      this.ui.notify(outcome.warnings.length ? 'error' : 'info', `Sent to ${to}.${warning}`);
      return;
    }
    const reason = outcome.error?.userMessage.replace(/\.$/, '') ?? 'the server did not take it';
    this.ui.notify(
      'error',
      `Not sent yet (${reason}); it waits in the outbox and is tried again every minute.`,
    );
  }

  async attach(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    const answer = await this.ui.prompt({
      label: 'Attach file: ',
      complete: pathCompleter(this.options.home),
      history: 'attach',
    });
    if (!answer?.trim()) return;
    const path = resolve(expandHome(answer.trim(), this.options.home));
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      this.ui.notify('error', `There is no file ${answer.trim()}.`);
      return;
    }
    const current = this.draft() ?? draft;
    await this.review(
      addAttachment(current, {
        kind: 'file',
        path,
        filename: basename(path),
        contentType: '',
        size,
      }),
    );
  }

  async detach(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    const count = draft.attachments.length;
    if (!count) {
      this.ui.notify('info', 'The message has no attachments.');
      return;
    }
    let index = 0;
    if (count > 1) {
      const answer = await this.ui.prompt({ label: `Remove attachment (1-${count}): ` });
      const n = Number(answer?.trim());
      if (!answer?.trim()) return;
      if (!Number.isInteger(n) || n < 1 || n > count) {
        this.ui.notify('error', `Give a number from 1 to ${count}.`);
        return;
      }
      index = n - 1;
    }
    await this.review(removeAttachment(this.draft() ?? draft, index));
  }

  async postpone(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    const done = this.ui.busy('Saving to Drafts');
    try {
      const { warnings } = await this.options.services.postpone(draft);
      this.close();
      this.ui.notify(
        warnings.length ? 'error' : 'info',
        warnings[0] ?? 'Postponed: the message is in Drafts.',
      );
    } catch (error) {
      this.ui.notify(
        'error',
        (error as { userMessage?: string }).userMessage ??
          'The message could not be saved to Drafts.',
      );
    } finally {
      done();
    }
  }

  async abandon(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    if (!(await this.ui.confirm('Abandon this message? (y/n)'))) return;
    await this.options.services.discard(draft.id).catch(() => {});
    this.close();
    this.ui.notify('info', 'The message was abandoned.');
  }
}
