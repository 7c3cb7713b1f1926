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
  accountIdentities,
  addAttachment,
  draftFromMessage,
  draftProblems,
  draftRecipients,
  formatAddress,
  formatAddressList,
  forwardDraft,
  fromProblem,
  identityAddress,
  identityFor,
  isSafeName,
  isValidAddress,
  listReplyProblem,
  newDraft,
  parseAddressList,
  removeAttachment,
  replaceSignature,
  replyDraft,
  replyIdentity,
  type Draft,
  type EditResult,
  type MailtoFields,
  type MessageRef,
} from '../core/compose/index.js';
import type { AccountConfig, ComposePrompt, Identity } from '../core/config/types.js';
import type { Address, MessageView } from '../core/types.js';
import type { Controller } from './controller.js';
import type { UiStore } from './ui-store.js';

/** What sending returned, as much as the review screen needs. */
export interface SendOutcome {
  status: 'sent' | 'completed' | 'failed' | 'held' | 'busy' | 'skipped';
  error?: { userMessage: string };
  recipients: string[];
  warnings: string[];
  /** For a failure: true when it is tried again by itself, false when it waits for the user. */
  autoRetry?: boolean;
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
  /** Addresses matching `text`, best first (the address book and the addressBookCommand). */
  addresses?(text: string): Promise<{ matches: Address[]; notice?: string }>;
  /** Reads an identity's signature (text, file or command); `problem` when its source failed. */
  signature?(identity: Identity): Promise<{ text: string; problem?: string }>;
  /** Bounces a message of a folder to new recipients (Resent-*), through the outbox. */
  bounce?(source: MessageRef, to: Address[]): Promise<SendOutcome>;
}

/** How writing goes, from the dotfile's `compose` block. */
export interface ComposeSettings {
  /** Headers asked in a prompt before the editor opens for a new message; default To and Subject. */
  prompts?: readonly ComposePrompt[];
  signaturePosition?: 'below' | 'above';
}

export interface ComposerOptions {
  /** The engine of the account shown: replies and forwards start from its messages. */
  engine: EngineApi;
  /**
   * An account by name. A message belongs to the account it was started in
   * (its `account`), which need not be the one shown when it is sent.
   */
  accountOf?: (name: string) => AccountConfig | undefined;
  store: UiStore;
  controller: Controller;
  services: ComposeServices;
  settings?: ComposeSettings;
  home?: string;
}

/** Mutt asks To and Subject before the editor; Cc and Bcc only when asked to (askcc, askbcc). */
const DEFAULT_PROMPTS: readonly ComposePrompt[] = ['to', 'subject'];

const FIELD_LABELS: Record<ComposePrompt, string> = {
  to: 'To: ',
  cc: 'Cc: ',
  bcc: 'Bcc: ',
  subject: 'Subject: ',
};

/** Splits an address field being typed into what is done and the address being typed. */
function lastItem(input: string): { head: string; tail: string } {
  let quoted = false;
  let angle = 0;
  let cut = -1;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>' && angle > 0) angle--;
    else if (!quoted && angle === 0 && (ch === ',' || ch === ';')) cut = i;
  }
  const head = cut < 0 ? '' : `${input.slice(0, cut + 1).trimEnd()} `;
  return { head, tail: input.slice(cut + 1).trim() };
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

  /** The account the message is written in. */
  private accountOf(draft: Draft): AccountConfig {
    return this.options.accountOf?.(draft.account) ?? this.options.engine.account;
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
    const foreign = fromProblem(this.accountOf(draft), draft.from);
    this.options.store.set({
      compose: {
        draft,
        problems: [...draftProblems(draft), ...(foreign ? [foreign] : [])],
        kind: this.kind,
      },
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

  /** True (and says so, showing it) when a message is already being written. */
  private busyWriting(): boolean {
    if (!this.draft()) return false;
    this.ui.notify(
      'error',
      'A message is already being written: send, postpone or abandon it first.',
    );
    this.options.store.dispatch({ type: 'show-compose' });
    return true;
  }

  /**
   * A new message with what a mailto: link gives, shown on the review screen
   * first: the link wrote it, so the user sees all of it before anything goes
   * (`e` edits it, `y` sends).
   */
  async startWith(fields: MailtoFields): Promise<void> {
    if (this.busyWriting()) return;
    const account = this.options.engine.account;
    const identity = accountIdentities(account)[0]!;
    this.kind = 'new';
    await this.review(
      newDraft(account, { identity, signature: await this.signatureOf(identity) }, fields),
    );
  }

  async start(kind: ComposeKind): Promise<void> {
    if (this.busyWriting()) return;
    const account = this.options.engine.account;
    let draft: Draft;
    if (kind === 'new') {
      const kept = await this.offerKept();
      if (kept) {
        this.kind = 'new';
        await this.review(kept);
        return;
      }
      const fields = await this.askHeaders();
      if (!fields) return;
      const identity = accountIdentities(account)[0]!;
      draft = {
        ...newDraft(account, { identity, signature: await this.signatureOf(identity) }),
        ...fields,
      };
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
      if (kind === 'reply-list') {
        const problem = listReplyProblem(original);
        if (problem) {
          this.ui.notify('error', problem);
          return;
        }
      }
      // As mutt's reverse_name: from the identity the original was sent to, with its signature.
      const identity = replyIdentity(account, original);
      const context = {
        identity,
        signature: await this.signatureOf(identity),
        signaturePosition: this.options.settings?.signaturePosition,
      };
      draft =
        kind === 'forward' || kind === 'forward-attached'
          ? forwardDraft(account, original, {
              ...context,
              mode: kind === 'forward' ? 'inline' : 'attachment',
              folder,
            })
          : replyDraft(account, original, {
              ...context,
              all: kind === 'reply-all',
              list: kind === 'reply-list',
              folder,
            });
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
      // The editor did not run (a full or read-only state folder, no such editor): the
      // sentence says why, and nothing was written, so there is nothing to review.
      this.ui.notify(
        'error',
        (error as { userMessage?: string }).userMessage ?? 'The editor could not be started.',
      );
      if (first) await this.options.services.discard(draft.id).catch(() => {});
      return;
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
    const foreign = fromProblem(this.accountOf(draft), draft.from);
    const problems = [...draftProblems(draft), ...(foreign ? [foreign] : [])];
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
      outcome.autoRetry === false
        ? `Not sent (${reason}); it waits in the outbox for you: tmail outbox edit changes it, tmail outbox retry sends it again.`
        : `Not sent yet (${reason}); it waits in the outbox and is tried again by itself.`,
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

  /** An identity's signature text from the services (file or command), saying when it failed. */
  private async signatureOf(identity: Identity, quiet = false): Promise<string | undefined> {
    const read = this.options.services.signature;
    if (!read) return undefined;
    try {
      const { text, problem } = await read(identity);
      if (problem && !quiet) this.ui.notify('error', problem);
      return text;
    } catch {
      return undefined;
    }
  }

  /**
   * Tab completion for an address field: the address being typed (after the
   * last comma) is looked up in the address book and the addressBookCommand;
   * each choice is the whole line with it completed.
   */
  private addressCompleter():
    ((input: string) => Promise<{ choices: string[]; note?: string }>) | undefined {
    const query = this.options.services.addresses;
    if (!query) return undefined;
    return async (input) => {
      const { head, tail } = lastItem(input);
      if (!tail) return { choices: [] };
      const { matches, notice } = await query(tail);
      const choices = matches.map((m) => `${head}${formatAddress(m)}`);
      // Shown in the prompt itself (a notice would wait behind it until it closes).
      return notice ? { choices, note: notice } : { choices };
    };
  }

  /** Asks an address field in a prompt; null when it was cancelled. */
  private async askAddresses(
    field: 'to' | 'cc' | 'bcc',
    current: Address[],
  ): Promise<Address[] | null> {
    const answer = await this.ui.prompt({
      label: FIELD_LABELS[field],
      initial: current.length ? `${formatAddressList(current)}, ` : '',
      complete: this.addressCompleter(),
      history: 'addresses',
    });
    if (answer === null) return null;
    // Pasted line breaks are only separators here; validation names anything else.
    return parseAddressList(answer.replace(/[\r\n]+/g, ', '));
  }

  private async askSubject(current: string): Promise<string | null> {
    const answer = await this.ui.prompt({ label: FIELD_LABELS.subject, initial: current });
    return answer === null ? null : answer.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  }

  /**
   * The headers asked before the editor for a new message, as mutt does (To,
   * Subject, and Cc/Bcc by setting). Null when the user cancelled, or gave no
   * recipient in the To prompt.
   */
  private async askHeaders(): Promise<Partial<
    Pick<Draft, 'to' | 'cc' | 'bcc' | 'subject'>
  > | null> {
    const prompts = this.options.settings?.prompts ?? DEFAULT_PROMPTS;
    const fields: Partial<Pick<Draft, 'to' | 'cc' | 'bcc' | 'subject'>> = {};
    for (const field of (['to', 'cc', 'bcc', 'subject'] as const).filter((f) =>
      prompts.includes(f),
    )) {
      if (field === 'subject') {
        const subject = await this.askSubject('');
        if (subject === null) return null;
        fields.subject = subject;
        continue;
      }
      const list = await this.askAddresses(field, []);
      if (list === null) return null;
      if (field === 'to' && list.length === 0) {
        this.ui.notify('info', 'No recipient was given; the message was not started.');
        return null;
      }
      fields[field] = list;
    }
    return fields;
  }

  async editField(field: 'to' | 'cc' | 'bcc' | 'subject'): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    if (field === 'subject') {
      const subject = await this.askSubject(draft.subject);
      if (subject !== null)
        await this.review({ ...(this.draft() ?? draft), subject, updated: Date.now() });
      return;
    }
    const list = await this.askAddresses(field, draft[field]);
    if (list !== null)
      await this.review({ ...(this.draft() ?? draft), [field]: list, updated: Date.now() });
  }

  async setFrom(address?: string): Promise<void> {
    const draft = this.draft();
    if (!draft) {
      this.ui.notify('error', 'No message is being written; :from changes the From of one.');
      return;
    }
    const account = this.accountOf(draft);
    let answer = address;
    if (answer === undefined) {
      const choices = accountIdentities(account).map((i) =>
        formatAddress(identityAddress(account, i)),
      );
      const picked = await this.ui.prompt({
        label: 'From: ',
        initial: formatAddress(draft.from),
        complete: (input) => {
          const typed = input.trim().toLowerCase();
          // Every identity stays reachable with Tab: the ones matching what was typed first.
          const hits = choices.filter((c) => c.toLowerCase().includes(typed));
          return [...hits, ...choices.filter((c) => !hits.includes(c))];
        },
      });
      if (picked === null) return;
      answer = picked;
    }
    const parsed = parseAddressList(answer)[0];
    if (!parsed || !isValidAddress(parsed.address)) {
      this.ui.notify('error', `"${answer.trim()}" is not an email address.`);
      return;
    }
    const identity = identityFor(account, parsed.address);
    if (!identity) {
      this.ui.notify('error', fromProblem(account, parsed)!);
      return;
    }
    const before = identityFor(account, draft.from.address);
    const same = before?.email.toLowerCase() === identity.email.toLowerCase();
    const from = {
      name:
        isSafeName(parsed.name) && parsed.name
          ? parsed.name
          : identityAddress(account, identity).name,
      address: identity.email,
    };
    // The new identity's signature replaces the old one where it stands; never a second one.
    const body = same
      ? draft.body
      : replaceSignature(
          draft.body,
          before ? await this.signatureOf(before, true) : undefined,
          await this.signatureOf(identity),
        );
    await this.review({ ...(this.draft() ?? draft), from, body, updated: Date.now() });
  }

  async bounce(to?: string): Promise<void> {
    const send = this.options.services.bounce;
    if (!send) {
      this.ui.notify('error', 'Bouncing mail is not available here.');
      return;
    }
    const uid = this.ui.openUid() ?? this.ui.cursorUid();
    const folder = this.options.engine.state.view?.path;
    if (uid === null || !folder) {
      this.ui.notify('error', 'No message is selected.');
      return;
    }
    let answer = to;
    if (answer === undefined) {
      const typed = await this.ui.prompt({
        label: 'Bounce to: ',
        complete: this.addressCompleter(),
        history: 'addresses',
      });
      if (typed === null || !typed.trim()) return;
      answer = typed;
    }
    const recipients = parseAddressList(answer.replace(/[\r\n]+/g, ', '));
    const bad = recipients.find((a) => !isValidAddress(a.address) || !isSafeName(a.name));
    if (!recipients.length || bad) {
      this.ui.notify(
        'error',
        bad ? `"${bad.address}" is not a valid email address.` : 'Give an address to bounce to.',
      );
      return;
    }
    const names = list(recipients.map((a) => a.address));
    if (!(await this.ui.confirm(`Bounce the message to ${names}? (y/n)`))) return;
    const done = this.ui.busy('Bouncing');
    try {
      const outcome = await send({ folder, uid }, recipients);
      if (outcome.status === 'sent' || outcome.status === 'completed')
        this.ui.notify('info', `Bounced to ${names}.`);
      else
        this.ui.notify(
          'error',
          `Not bounced yet (${outcome.error?.userMessage.replace(/\.$/, '') ?? 'the server did not take it'}); it waits in the outbox.`,
        );
    } catch (error) {
      this.ui.notify(
        'error',
        (error as { userMessage?: string }).userMessage ?? 'The message could not be bounced.',
      );
    } finally {
      done();
      await this.refreshPending();
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
