/**
 * Every command a key can run: its id, where it makes sense, and one line of
 * description. The help screen and docs/keys.md are generated from this table
 * and the default bindings, so a command without a description cannot exist.
 */

/** Where keys are read. `global` bindings apply under every context but `prompt`. */
export type KeyContext =
  'global' | 'list' | 'results' | 'message' | 'attachments' | 'help' | 'compose' | 'prompt';

/** Contexts in the order the help screen shows them. */
export const CONTEXTS: readonly KeyContext[] = [
  'list',
  'results',
  'message',
  'attachments',
  'compose',
  'prompt',
  'help',
  'global',
];

/** What each context is, for the help screen's headings. */
export const CONTEXT_TITLES: Record<KeyContext, string> = {
  global: 'Everywhere',
  list: 'Message list',
  results: 'Search results of every folder',
  message: 'Message view',
  attachments: 'Attachments',
  help: 'This help',
  compose: 'Review before sending',
  prompt: 'Prompts and the command line',
};

/** Names mutt and aerc users may write in the dotfile, for our contexts. */
export const CONTEXT_ALIASES: Record<string, KeyContext> = {
  index: 'list',
  messages: 'list',
  pager: 'message',
  view: 'message',
  reader: 'message',
  editor: 'prompt',
  'command-line': 'prompt',
  review: 'compose',
  search: 'results',
};

export interface CommandInfo {
  /** Stable id used in the dotfile, e.g. `list.next`. */
  id: string;
  /** One line for the help screen, starting with a verb. */
  description: string;
  /** Contexts the command may be bound in. */
  contexts: readonly KeyContext[];
}

const LIST_AND_MESSAGE: readonly KeyContext[] = ['list', 'message'];
/** The list's motions move through search results the same way. */
const LIST_AND_RESULTS: readonly KeyContext[] = ['list', 'results'];

function group(
  contexts: readonly KeyContext[],
  entries: Array<[id: string, description: string]>,
): CommandInfo[] {
  return entries.map(([id, description]) => ({ id, description, contexts }));
}

/** The command catalogue. */
export const COMMANDS: readonly CommandInfo[] = [
  ...group(
    ['global'],
    [
      ['global.help', 'Show the keys of the current screen'],
      ['global.messages', 'Show every notice of this run, whole (:messages)'],
      ['global.command-line', 'Enter a command (:q, :folder, :sort, :search …)'],
      ['global.quit-now', 'Quit now, leaving the terminal as it was'],
      ['global.suspend', 'Suspend tmail (fg brings it back)'],
      ['global.layout', 'Switch between split and full-screen layout'],
      ['global.sidebar', 'Show or hide the folder sidebar'],
      ['global.refresh', 'Redraw and check for new mail (reconnects when offline)'],
      ['global.account-login', 'Sign in again (OAuth2 accounts) and reconnect (:login)'],
    ],
  ),
  ...group(LIST_AND_RESULTS, [
    ['list.next', 'Move to the next message'],
    ['list.prev', 'Move to the previous message'],
    ['list.first', 'Move to the first message'],
    ['list.last', 'Move to the last message'],
    ['list.page-down', 'Move down a page'],
    ['list.page-up', 'Move up a page'],
    ['list.half-down', 'Move down half a page'],
    ['list.half-up', 'Move up half a page'],
  ]),
  ...group(
    ['results'],
    [
      ['results.open', 'Open the message in its folder (q in the reader goes to that folder)'],
      ['results.close', 'Back to the folder (:search -a alone shows the results again)'],
    ],
  ),
  ...group(
    ['list'],
    [
      ['list.open', 'Open the message'],
      ['list.quit', 'Quit (asks only when changes are waiting to be sent)'],
      ['list.escape', 'Leave the search results and return to the folder'],
      ['list.tag', 'Tag or untag the message (commands then act on all tagged)'],
      ['list.tag-pattern', 'Tag every message matching a search (:tag-pattern QUERY)'],
      ['list.tag-all', 'Tag every message of the list (:tag-all)'],
      ['list.untag-all', 'Untag every message (:untag-all)'],
      ['list.fold-thread', 'Fold or unfold the thread under the cursor (:fold, :unfold)'],
      ['list.fold-all', 'Fold or unfold every thread (:fold-all, :unfold-all)'],
    ],
  ),
  ...group(
    ['list'],
    [
      ['folder.next', 'Open the next folder'],
      ['folder.prev', 'Open the previous folder'],
      ['folder.go', 'Open a folder by name (Tab completes)'],
      ['folder.search', 'Search this folder (from: to: subject: body: or words)'],
      ['folder.expunge', 'Remove the messages marked deleted, after asking'],
      ['folder.fold', 'Fold or unfold the subfolders of the open folder'],
    ],
  ),
  ...group(LIST_AND_RESULTS, [
    ['folder.search-all', 'Search every folder, newest first (:search -a QUERY)'],
  ]),
  ...group(
    ['list'],
    [
      ['account.next', 'Show the next account (:account NAME shows one by name)'],
      ['account.prev', 'Show the previous account'],
      ['account.choose', 'Show an account by name (Tab completes)'],
      ['account.fold', "Fold or unfold the shown account's folders in the sidebar"],
    ],
  ),
  ...group(LIST_AND_MESSAGE, [
    ['mail.next-unread', 'Go to the next unread message, in the whole folder (:next-unread)'],
    ['mail.prev-unread', 'Go to the previous unread message (:prev-unread)'],
    ['mail.reply', 'Reply to the sender'],
    ['mail.reply-all', 'Reply to everyone'],
    ['mail.reply-list', 'Reply to the mailing list (List-Post, Mail-Followup-To)'],
    ['mail.bounce', 'Bounce: send the message on unchanged to new recipients'],
    ['mail.forward', 'Forward the message'],
    ['mail.forward-attached', 'Forward the message as an attachment'],
    ['mail.recall', 'Take up a postponed message again (Enter does it in Drafts)'],
    ['mail.compose', 'Write a new message'],
    ['mail.delete', 'Delete the message (to Trash)'],
    ['mail.undo', 'Undo the last delete, move or flag change'],
    ['mail.toggle-flagged', 'Flag or unflag the message'],
    ['mail.toggle-read', 'Mark the message read or unread'],
    ['mail.move', 'Move the message to a folder'],
    ['mail.copy', 'Copy the message to a folder'],
    ['mail.archive', 'Archive the message'],
    ['mail.attachments', 'List the attachments to save them'],
    ['mail.headers', 'Show all header lines, or the short form again'],
    ['mail.pipe', 'Pipe the message (or the tagged ones) to a shell command (:pipe)'],
    ['mail.save', 'Save the message (or the tagged ones) to a file or mbox (:save)'],
    ['mail.raw', 'Show the raw source of the message (:raw)'],
  ]),
  ...group(
    ['message'],
    [
      ['message.down', 'Scroll down a line'],
      ['message.up', 'Scroll up a line'],
      ['message.page-down', 'Scroll down a page'],
      ['message.page-up', 'Scroll up a page'],
      ['message.half-down', 'Scroll down half a page'],
      ['message.half-up', 'Scroll up half a page'],
      ['message.top', 'Go to the top of the message'],
      ['message.bottom', 'Go to the end of the message'],
      ['message.find', 'Find text in the message'],
      ['message.find-next', 'Go to the next match'],
      ['message.find-prev', 'Go to the previous match'],
      ['message.next', 'Open the next message'],
      ['message.prev', 'Open the previous message'],
      ['message.links', 'List the links of the message (:links)'],
      ['message.open-link', 'Open a link by its number with $BROWSER (:open-link)'],
      ['message.close', 'Back to the list'],
    ],
  ),
  ...group(
    ['attachments'],
    [
      ['attachments.next', 'Select the next attachment'],
      ['attachments.prev', 'Select the previous attachment'],
      ['attachments.open', 'Open the attachment (an attached message in the reader)'],
      ['attachments.save', 'Save the attachment (asks where)'],
      ['attachments.save-all', 'Save every attachment (asks where)'],
      ['attachments.close', 'Back to the message'],
    ],
  ),
  ...group(
    ['help'],
    [
      ['help.down', 'Scroll down a line'],
      ['help.up', 'Scroll up a line'],
      ['help.page-down', 'Scroll down a page'],
      ['help.page-up', 'Scroll up a page'],
      ['help.close', 'Close the help (or the message log)'],
    ],
  ),
  ...group(
    ['compose'],
    [
      ['compose.send', 'Send the message'],
      ['compose.edit', 'Edit the message again'],
      ['compose.attach', 'Attach a file'],
      ['compose.detach', 'Remove an attachment'],
      ['compose.postpone', 'Postpone: keep it as a draft'],
      ['compose.abandon', 'Abandon the message (asks first)'],
      ['compose.edit-to', 'Edit To (Tab completes addresses)'],
      ['compose.edit-cc', 'Edit Cc (Tab completes addresses)'],
      ['compose.edit-bcc', 'Edit Bcc (Tab completes addresses)'],
      ['compose.edit-subject', 'Edit the subject'],
      ['compose.edit-from', 'Send from another identity (:from)'],
    ],
  ),
  ...group(
    ['prompt'],
    [
      ['prompt.accept', 'Accept the answer'],
      ['prompt.cancel', 'Cancel'],
      ['prompt.complete', 'Complete (cycles through the choices)'],
      ['prompt.complete-prev', 'Complete backwards'],
      ['prompt.backspace', 'Delete the character before the cursor'],
      ['prompt.delete', 'Delete the character under the cursor'],
      ['prompt.delete-word', 'Delete the word before the cursor'],
      ['prompt.clear', 'Delete everything before the cursor'],
      ['prompt.left', 'Move the cursor left'],
      ['prompt.right', 'Move the cursor right'],
      ['prompt.home', 'Move the cursor to the start'],
      ['prompt.end', 'Move the cursor to the end'],
      ['prompt.history-prev', 'Recall the previous answer'],
      ['prompt.history-next', 'Recall the next answer'],
    ],
  ),
];

const BY_ID = new Map(COMMANDS.map((c) => [c.id, c]));

/** The command with this id, or undefined. */
export function findCommandInfo(id: string): CommandInfo | undefined {
  return BY_ID.get(id);
}

/** Every command id. */
export type CommandId = string;
