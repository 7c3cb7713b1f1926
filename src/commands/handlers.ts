/**
 * One handler per command id. Handlers speak to the engine through dispatch
 * (which never throws) and to the UI through the controller; whatever fails
 * becomes one sentence in the status line.
 */
import type { ActionResults, ActionType } from '../core/engine/actions.js';
import { threadModeFor } from '../core/engine/thread-view.js';
import { toTmailError } from '../core/errors.js';
import { roleOfFolder } from '../core/folder-role.js';
import {
  DELETED,
  FLAGGED,
  SEEN,
  type Flag,
  type SearchQuery,
  type SortOrder,
} from '../core/types.js';
import { adjacentAccount, foldAccount, showAccount } from './accounts.js';
import { commandLineCompleter, runCommandLine } from './command-line.js';
import { directoryCompleter, expandHome, folderCompleter } from './completion.js';
import type { CommandContext, ComposeKind, ComposerApi, Motion } from './context.js';
import { MESSAGE_FILE_HANDLERS } from './message-file.js';
import { reported } from './report.js';
import { foldThreads, goUnread, tagAll, tagPattern, untagAll } from './moving.js';
import { openResult, searchAllAsking } from './search-all.js';
import { formatSearch, parseSearchInput } from './search-query.js';

export type CommandHandler = (ctx: CommandContext) => Promise<void> | void;

export { reported };

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** Opens a folder (or a search in it) as the list, keeping the current sort and threading. */
export async function openFolder(
  ctx: CommandContext,
  path: string,
  options: { sort?: SortOrder; threaded?: boolean; search?: SearchQuery | null } = {},
): Promise<boolean> {
  const view = ctx.engine.state.view;
  if (ctx.ui.screen() !== 'list') ctx.ui.closeMessage();
  ctx.ui.clearTags();
  // Another folder opens as the account's `threads` setting says for it; a folder it
  // does not name keeps what the last one showed.
  let threaded = options.threaded;
  let folded: boolean | undefined;
  if (threaded === undefined) {
    const mode = view?.path === path ? undefined : threadModeFor(ctx.engine.account.threads, path);
    threaded = mode ? mode !== 'off' : (view?.threaded ?? false);
    if (mode) folded = mode === 'folded';
  }
  const result = await ctx.engine.dispatch({
    type: 'open-folder',
    path,
    sort: options.sort ?? view?.sort,
    threaded,
    ...(folded === undefined ? {} : { folded }),
    search: options.search ?? null,
    rows: ctx.ui.listHeight(),
  });
  return reported(ctx, result);
}

/** Asks before quitting when something would otherwise wait for the next run. */
export async function quitAsking(ctx: CommandContext): Promise<void> {
  // Every opened account's changes count, not only the shown one's.
  const states = ctx.accounts?.openedStates() ?? [ctx.engine.state];
  const unsaved = states.reduce((n, s) => n + (s.unsavedChanges ?? 0), 0);
  const queued = states.reduce((n, s) => n + s.queuedChanges, 0) - unsaved;
  const sends = ctx.pendingSends?.() ?? 0;
  const waiting: string[] = [];
  if (queued > 0) waiting.push(`${plural(queued, 'change')} waiting for the connection`);
  if (sends) waiting.push(`${plural(sends, 'message')} in the outbox`);
  let question = waiting.length ? `${waiting.join(' and ')} (kept for the next run). ` : '';
  // Changes the disk refused live only in this process: say plainly that quitting loses them.
  if (unsaved)
    question += `${plural(unsaved, 'offline change')} could not be saved to disk and will be lost. `;
  if (question) {
    const ok = await ctx.ui.confirm(`${question}Quit? (y/n)`);
    if (!ok) return;
  }
  ctx.ui.quit();
}

function envelopeFlags(ctx: CommandContext, uid: number): readonly Flag[] | null {
  return ctx.engine.state.view?.envelopes.get(uid)?.flags ?? null;
}

/**
 * Sets or clears one flag on the targets: cleared when the message the user
 * is looking at has it, set otherwise (so a mixed selection becomes uniform).
 */
async function toggleFlag(ctx: CommandContext, flag: Flag): Promise<void> {
  const uids = ctx.ui.targets();
  if (!uids.length) return;
  const lead = ctx.ui.openUid() ?? ctx.ui.cursorUid() ?? uids[0]!;
  let has = (envelopeFlags(ctx, lead) ?? []).includes(flag);
  // A folded thread's row shows as unread while any message in it is: N then marks it all read.
  const hidden =
    flag === SEEN && ctx.ui.screen() === 'list' && !ctx.ui.taggedCount()
      ? ctx.engine.state.view?.folded?.get(lead)
      : undefined;
  if (hidden)
    has = [lead, ...hidden].every((uid) => envelopeFlags(ctx, uid)?.includes(SEEN) ?? true);
  const result = await ctx.engine.dispatch({
    type: 'set-flags',
    uids,
    ...(has ? { remove: [flag] } : { add: [flag] }),
  });
  if (reported(ctx, result)) ctx.ui.clearTags();
}

async function deleteTargets(ctx: CommandContext): Promise<void> {
  const uids = ctx.ui.targets();
  if (!uids.length) return;
  const reading = ctx.ui.screen() === 'message' ? ctx.ui.openUid() : null;
  const result = await ctx.engine.dispatch({ type: 'delete', uids });
  if (!reported(ctx, result)) return;
  ctx.ui.clearTags();
  if (!result.value.moved) {
    // Only marked \Deleted: the row stays, so step over it as mutt does.
    if (reading !== null) {
      if (!ctx.ui.openAdjacent(1)) ctx.ui.closeMessage();
    } else {
      ctx.ui.moveCursor('next');
    }
    return;
  }
  if (reading !== null) {
    // The list closed over the removed row; the cursor is on the next message now.
    const next = ctx.ui.cursorUid();
    if (next !== null && next !== reading) ctx.ui.openMessage(next);
    else ctx.ui.closeMessage();
  }
}

async function askFolder(ctx: CommandContext, label: string): Promise<string | null> {
  const answer = await ctx.ui.prompt({
    label,
    complete: folderCompleter(() => ctx.engine.state.folders),
    history: 'folder',
  });
  const path = answer?.trim();
  if (!path) return null;
  const folders = ctx.engine.state.folders;
  if (folders.length && !folders.some((f) => f.path === path)) {
    // Be forgiving about case, which people rarely mean.
    const match = folders.find((f) => f.path.toLowerCase() === path.toLowerCase());
    if (match) return match.path;
    ctx.ui.notify('error', `There is no folder named ${path}; Tab completes folder names.`);
    return null;
  }
  return path;
}

async function moveOrCopy(ctx: CommandContext, type: 'move' | 'copy'): Promise<void> {
  const uids = ctx.ui.targets();
  if (!uids.length) return;
  const label = `${type === 'move' ? 'Move' : 'Copy'} ${uids.length > 1 ? `${uids.length} messages ` : ''}to: `;
  const to = await askFolder(ctx, label);
  if (!to) return;
  await moveOrCopyTo(ctx, type, to, uids);
}

/** Moves or copies the given messages, keeping the reader sensible afterwards. */
export async function moveOrCopyTo(
  ctx: CommandContext,
  type: 'move' | 'copy' | 'archive',
  to: string | null,
  uids = ctx.ui.targets(),
): Promise<void> {
  if (!uids.length) return;
  const reading = ctx.ui.screen() === 'message' ? ctx.ui.openUid() : null;
  const result =
    type === 'archive'
      ? await ctx.engine.dispatch({ type: 'archive', uids })
      : await ctx.engine.dispatch({ type, uids, to: to! });
  if (!reported(ctx, result)) return;
  ctx.ui.clearTags();
  if (type !== 'copy' && reading !== null) {
    const next = ctx.ui.cursorUid();
    if (next !== null && next !== reading) ctx.ui.openMessage(next);
    else ctx.ui.closeMessage();
  }
}

/** `$`: asks, then removes the messages marked \Deleted from the open folder. */
export async function expungeAsking(ctx: CommandContext): Promise<void> {
  const view = ctx.engine.state.view;
  if (!view) return;
  // The server knows how many are marked, also among the messages never loaded here.
  const counted = await ctx.engine.dispatch({ type: 'count-deleted' });
  let known = 0;
  if (counted.ok) {
    known = counted.value;
  } else {
    for (const envelope of view.envelopes.values()) if (envelope.flags.includes(DELETED)) known++;
  }
  if (counted.ok && known === 0) {
    ctx.ui.notify('info', `No message in ${view.path} is marked deleted.`);
    return;
  }
  const question = known
    ? `Expunge ${plural(known, 'deleted message')}? (y/n)`
    : `Expunge the messages marked deleted in ${view.path}? (y/n)`;
  if (!(await ctx.ui.confirm(question))) return;
  const result = await ctx.engine.dispatch({ type: 'expunge' });
  if (!reported(ctx, result)) return;
  ctx.ui.notify(
    'info',
    result.value.count
      ? `Expunged ${plural(result.value.count, 'message')}.`
      : 'No message was marked deleted.',
  );
}

/** `/` in the list: asks for a query; the results become the list. */
export async function searchAsking(ctx: CommandContext, initial?: string): Promise<void> {
  const view = ctx.engine.state.view;
  if (!view) return;
  const answer =
    initial ??
    (await ctx.ui.prompt({
      label: 'Search: ',
      initial: view.search ? formatSearch(view.search) : '',
      history: 'search',
    }));
  if (answer === null) return;
  await runSearch(ctx, answer);
}

/** Runs a search in the open folder; an empty query returns to the whole folder. */
export async function runSearch(ctx: CommandContext, input: string): Promise<void> {
  const view = ctx.engine.state.view;
  if (!view) return;
  const parsed = parseSearchInput(input);
  if (!parsed.ok) {
    ctx.ui.notify('error', parsed.error);
    return;
  }
  const search = parsed.query;
  if (!(await openFolder(ctx, view.path, { search }))) return;
  const after = ctx.engine.state.view;
  if (search && after && after.total === 0)
    ctx.ui.notify('info', 'No message matches; Esc returns to the folder.');
  else if (search && after)
    ctx.ui.notify('info', `${plural(after.total, 'message')} match; Esc returns to the folder.`);
}

/** Asks for the folder to save attachments in; null when the user cancelled. */
async function askDownloadDir(ctx: CommandContext, label: string): Promise<string | null> {
  const initial = ctx.engine.account.downloadDir ?? '~/Downloads/';
  const answer = await ctx.ui.prompt({
    label,
    initial: initial.endsWith('/') ? initial : `${initial}/`,
    complete: directoryCompleter(ctx.home),
    history: 'save',
  });
  return answer?.trim() ? expandHome(answer.trim(), ctx.home) : null;
}

async function saveAllAttachments(ctx: CommandContext): Promise<void> {
  const uid = ctx.ui.openUid();
  const count = ctx.ui.openMessageView()?.attachments.length ?? 0;
  if (uid === null || !count) return;
  const dir = await askDownloadDir(ctx, `Save all ${count} to: `);
  if (dir === null) return;
  const result = await ctx.engine.dispatch({ type: 'save-attachments', uid, dir });
  if (reported(ctx, result))
    ctx.ui.notify('info', `Saved ${plural(result.value.length, 'attachment')} in ${dir}.`);
}

/**
 * Opens the selected attachment: an attached message in the reader, text that
 * no mailcap entry claims in tmail's own pager, anything else with its mailcap
 * entry or the desktop's program (a terminal program gets the terminal until
 * it ends).
 */
async function openAttachment(ctx: CommandContext): Promise<void> {
  const uid = ctx.ui.openUid();
  const attachment = ctx.ui.selectedAttachment();
  if (uid === null || !attachment) return;
  const attachmentId = attachment.id;
  if (attachment.contentType.toLowerCase() === 'message/rfc822') {
    const result = await ctx.engine.dispatch({ type: 'read-attached', uid, attachmentId });
    if (reported(ctx, result)) ctx.ui.showAttachedMessage(result.value);
    return;
  }
  const result = await ctx.engine.dispatch({ type: 'open-attachment', uid, attachmentId });
  if (!reported(ctx, result)) return;
  const { needsTerminal, run, text } = result.value;
  if (text !== undefined) {
    ctx.ui.showPage(uid, attachment.filename || `Attachment ${attachment.id}`, text);
    return;
  }
  try {
    await (needsTerminal ? ctx.ui.handOver(run) : run());
  } catch (error) {
    ctx.ui.notify('error', toTmailError(error).userMessage);
  }
}

async function saveAttachment(ctx: CommandContext): Promise<void> {
  const uid = ctx.ui.openUid();
  const attachment = ctx.ui.selectedAttachment();
  if (uid === null || !attachment) return;
  const dir = await askDownloadDir(ctx, 'Save to: ');
  if (dir === null) return;
  const result = await ctx.engine.dispatch({
    type: 'save-attachment',
    uid,
    attachmentId: attachment.id,
    dir,
  });
  if (reported(ctx, result)) ctx.ui.notify('info', `Saved ${result.value}.`);
}

async function undo(ctx: CommandContext): Promise<void> {
  const result = await ctx.engine.dispatch({ type: 'undo' });
  if (!reported(ctx, result)) return;
  if (result.value === null) ctx.ui.notify('info', 'Nothing to undo.');
  else if (result.value.label === 'flag change') ctx.ui.notify('info', 'Undid the flag change.');
}

/** True when the open folder is the account's Drafts. */
function inDrafts(ctx: CommandContext): boolean {
  const path = ctx.engine.state.view?.path;
  if (!path) return false;
  return roleOfFolder(path, ctx.engine.state.folders, ctx.engine.account.folders) === 'drafts';
}

async function compose(ctx: CommandContext, kind: ComposeKind): Promise<void> {
  if (!ctx.composer) {
    ctx.ui.notify('error', 'Writing mail is not available here.');
    return;
  }
  await ctx.composer.start(kind);
}

/** A review-screen command, on the message being written. */
const review =
  (
    action: Exclude<keyof ComposerApi, 'start' | 'startWith' | 'editField' | 'setFrom' | 'bounce'>,
  ): CommandHandler =>
  async (ctx) => {
    await ctx.composer?.[action]();
  };

/** A review-screen key that edits one header in a prompt. */
const editField =
  (field: 'to' | 'cc' | 'bcc' | 'subject'): CommandHandler =>
  async (ctx) => {
    await ctx.composer?.editField(field);
  };

async function refresh(ctx: CommandContext): Promise<void> {
  ctx.ui.redraw();
  if (ctx.engine.state.connection.status !== 'online') {
    ctx.engine.reconnect();
    return;
  }
  reported(ctx, await ctx.engine.dispatch({ type: 'poll' }));
}

/**
 * `:login`: signs an OAuth2 account in again with the terminal handed over
 * (as to the editor), then reconnects. A revoked sign-in leaves the reader open.
 */
export async function login(ctx: CommandContext, device = false): Promise<void> {
  const account = ctx.engine.account;
  if (account.password.type !== 'oauth2' || account.password.command !== undefined) {
    ctx.ui.notify(
      'info',
      `Account ${account.name} signs in with a password, not with an OAuth2 sign-in; :login has nothing to do.`,
    );
    return;
  }
  const signIn = ctx.signIn;
  if (!signIn) {
    ctx.ui.notify('error', 'Signing in is not available here; run tmail account login instead.');
    return;
  }
  try {
    await ctx.ui.handOver(() => signIn(account, { device }));
  } catch (error) {
    ctx.ui.notify('error', toTmailError(error).userMessage);
    return;
  }
  ctx.ui.notify('info', `Signed in account ${account.name}; reconnecting.`);
  ctx.engine.reconnect();
}

async function adjacentFolder(ctx: CommandContext, step: 1 | -1): Promise<void> {
  const path = ctx.ui.adjacentFolder(step);
  if (path === null) {
    ctx.ui.notify('info', step > 0 ? 'This is the last folder.' : 'This is the first folder.');
    return;
  }
  await openFolder(ctx, path, { search: null });
}

async function goFolder(ctx: CommandContext): Promise<void> {
  const path = await askFolder(ctx, 'Open folder: ');
  if (path) await openFolder(ctx, path, { search: null });
}

function mailView(ctx: CommandContext, then: 'attachments' | 'headers'): void {
  if (ctx.ui.screen() === 'message') {
    if (then === 'attachments') ctx.ui.showAttachments();
    else ctx.ui.toggleHeaders();
    return;
  }
  const uid = ctx.ui.cursorUid();
  if (uid !== null) ctx.ui.openMessage(uid, then);
}

async function escapeList(ctx: CommandContext): Promise<void> {
  const view = ctx.engine.state.view;
  if (view?.search) {
    await openFolder(ctx, view.path, { search: null });
    return;
  }
  ctx.ui.clearTags();
}

async function findAsking(ctx: CommandContext): Promise<void> {
  const query = await ctx.ui.prompt({ label: 'Find: ', history: 'find' });
  if (query) ctx.ui.find(query);
}

async function commandLine(ctx: CommandContext): Promise<void> {
  const line = await ctx.ui.prompt({
    label: ':',
    complete: commandLineCompleter(ctx),
    history: 'command',
  });
  if (line?.trim()) await runCommandLine(ctx, line);
}

const move =
  (motion: Motion): CommandHandler =>
  (ctx) =>
    ctx.ui.moveCursor(motion);
const scroll =
  (motion: Motion): CommandHandler =>
  (ctx) =>
    ctx.ui.scrollMessage(motion);
const scrollHelp =
  (motion: Motion): CommandHandler =>
  (ctx) =>
    ctx.ui.scrollHelp(motion);

/** The handlers, by command id. Prompt editing commands are the prompt's own. */
export const HANDLERS: Record<string, CommandHandler> = {
  'global.help': (ctx) => ctx.ui.showHelp(),
  'global.messages': (ctx) => ctx.ui.showMessages(),
  'global.command-line': commandLine,
  'global.quit-now': (ctx) => ctx.ui.quit(),
  'global.suspend': (ctx) => ctx.ui.suspend(),
  'global.layout': (ctx) => ctx.ui.setLayout('toggle'),
  'global.sidebar': (ctx) => ctx.ui.setSidebar('toggle'),
  'global.refresh': refresh,
  'global.account-login': (ctx) => login(ctx),

  'list.next': move('next'),
  'list.prev': move('prev'),
  'list.first': move('first'),
  'list.last': move('last'),
  'list.page-down': move('page-down'),
  'list.page-up': move('page-up'),
  'list.half-down': move('half-down'),
  'list.half-up': move('half-up'),
  'list.open': async (ctx) => {
    const uid = ctx.ui.cursorUid();
    if (uid === null) return;
    // In Drafts, Enter takes a postponed message up again, as aerc does.
    if (inDrafts(ctx) && ctx.composer) await compose(ctx, 'recall');
    else ctx.ui.openMessage(uid);
  },
  'list.quit': quitAsking,
  'list.escape': escapeList,
  'list.tag': (ctx) => {
    const uid = ctx.ui.cursorUid();
    if (uid === null) return;
    ctx.ui.toggleTag(uid);
    ctx.ui.moveCursor('next');
  },
  'list.tag-pattern': (ctx) => tagPattern(ctx),
  'list.tag-all': (ctx) => tagAll(ctx),
  'list.untag-all': (ctx) => untagAll(ctx),
  'list.fold-thread': (ctx) => foldThreads(ctx, 'toggle', false),
  'list.fold-all': (ctx) => foldThreads(ctx, 'toggle', true),

  'folder.next': (ctx) => adjacentFolder(ctx, 1),
  'folder.prev': (ctx) => adjacentFolder(ctx, -1),
  'folder.go': goFolder,
  'folder.search': (ctx) => searchAsking(ctx),
  'folder.search-all': searchAllAsking,

  'results.open': openResult,
  'results.close': (ctx) => ctx.ui.closeResults(),
  'folder.expunge': expungeAsking,
  'folder.fold': (ctx) => {
    const path = ctx.engine.state.view?.path;
    if (path) ctx.ui.toggleFold(path);
  },

  'account.next': (ctx) => adjacentAccount(ctx, 1),
  'account.prev': (ctx) => adjacentAccount(ctx, -1),
  'account.choose': (ctx) => showAccount(ctx),
  'account.fold': (ctx) => foldAccount(ctx),

  'mail.next-unread': (ctx) => goUnread(ctx, 1),
  'mail.prev-unread': (ctx) => goUnread(ctx, -1),
  'mail.reply': (ctx) => compose(ctx, 'reply'),
  'mail.reply-all': (ctx) => compose(ctx, 'reply-all'),
  'mail.reply-list': (ctx) => compose(ctx, 'reply-list'),
  'mail.bounce': async (ctx) => {
    if (!ctx.composer) ctx.ui.notify('error', 'Sending mail is not available here.');
    else await ctx.composer.bounce();
  },
  'mail.forward': (ctx) => compose(ctx, 'forward'),
  'mail.forward-attached': (ctx) => compose(ctx, 'forward-attached'),
  'mail.recall': (ctx) => compose(ctx, 'recall'),
  'mail.compose': (ctx) => compose(ctx, 'new'),
  'mail.delete': deleteTargets,
  'mail.undo': undo,
  'mail.toggle-flagged': (ctx) => toggleFlag(ctx, FLAGGED),
  'mail.toggle-read': (ctx) => toggleFlag(ctx, SEEN),
  'mail.move': (ctx) => moveOrCopy(ctx, 'move'),
  'mail.copy': (ctx) => moveOrCopy(ctx, 'copy'),
  'mail.archive': (ctx) => moveOrCopyTo(ctx, 'archive', null),
  'mail.attachments': (ctx) => mailView(ctx, 'attachments'),
  'mail.headers': (ctx) => mailView(ctx, 'headers'),

  'message.down': scroll('next'),
  'message.up': scroll('prev'),
  'message.page-down': scroll('page-down'),
  'message.page-up': scroll('page-up'),
  'message.half-down': scroll('half-down'),
  'message.half-up': scroll('half-up'),
  'message.top': scroll('first'),
  'message.bottom': scroll('last'),
  'message.find': findAsking,
  'message.find-next': (ctx) => ctx.ui.findNext(1),
  'message.find-prev': (ctx) => ctx.ui.findNext(-1),
  'message.next': (ctx) => {
    if (!ctx.ui.openAdjacent(1)) ctx.ui.notify('info', 'This is the last message.');
  },
  'message.prev': (ctx) => {
    if (!ctx.ui.openAdjacent(-1)) ctx.ui.notify('info', 'This is the first message.');
  },
  'message.close': (ctx) => {
    if (!ctx.ui.closePage() && !ctx.ui.closeAttachedMessage()) ctx.ui.closeMessage();
  },

  'attachments.next': (ctx) => ctx.ui.moveAttachment(1),
  'attachments.prev': (ctx) => ctx.ui.moveAttachment(-1),
  'attachments.save': saveAttachment,
  'attachments.save-all': saveAllAttachments,
  'attachments.open': openAttachment,
  'attachments.close': (ctx) => ctx.ui.closeAttachments(),

  'help.down': scrollHelp('next'),
  'help.up': scrollHelp('prev'),
  'help.page-down': scrollHelp('page-down'),
  'help.page-up': scrollHelp('page-up'),
  'help.close': (ctx) => ctx.ui.closeHelp(),

  ...MESSAGE_FILE_HANDLERS,

  'compose.send': review('send'),
  'compose.edit': review('edit'),
  'compose.attach': review('attach'),
  'compose.detach': review('detach'),
  'compose.postpone': review('postpone'),
  'compose.abandon': review('abandon'),
  'compose.edit-to': editField('to'),
  'compose.edit-cc': editField('cc'),
  'compose.edit-bcc': editField('bcc'),
  'compose.edit-subject': editField('subject'),
  'compose.edit-from': async (ctx) => {
    await ctx.composer?.setFrom();
  },
};

/**
 * Runs a command by id. Resolves when it is done (including any prompt it
 * asked); never rejects: an unexpected failure becomes a notice.
 */
export async function runCommand(id: string, ctx: CommandContext): Promise<void> {
  const handler = HANDLERS[id];
  if (!handler) {
    ctx.ui.notify('error', `The command ${id} is not available here.`);
    return;
  }
  try {
    await handler(ctx);
  } catch (error) {
    const message =
      error && typeof error === 'object' && 'userMessage' in error
        ? String((error as { userMessage: unknown }).userMessage)
        : 'Something went wrong inside tmail; the log file has the details.';
    ctx.ui.notify('error', message);
  }
}

/** Type helper for tests: the value of a successful dispatch. */
export type ResultOf<T extends ActionType> = ActionResults[T];
