/**
 * What a command handler may use: the engine, and the UI through a small
 * controller interface (no React here). The UI implements the controller; the
 * tests implement it with a plain object.
 */
import type { MailtoFields } from '../core/compose/mailto.js';
import type { AccountConfig } from '../core/config/types.js';
import type { AllFoldersResult, FolderHit, MailEngine } from '../core/engine/engine.js';
import type { MailState } from '../core/store/state.js';
import type { Attachment, MessageView } from '../core/types.js';

/** The part of the engine commands use. */
export interface EngineApi {
  readonly state: MailState;
  readonly account: AccountConfig;
  dispatch: MailEngine['dispatch'];
  reconnect(): void;
}

/** Ways to move the cursor of the list (or a scrollable view). */
export type Motion =
  'next' | 'prev' | 'first' | 'last' | 'page-down' | 'page-up' | 'half-down' | 'half-up';

/** The screens of the TUI; `results` is the list of a search across every folder. */
export type Screen = 'list' | 'results' | 'message' | 'attachments' | 'help' | 'compose';

/** A search across every folder as the results screen shows it (`:search -a`). */
export interface SearchResults {
  /** The account searched: its folders are what the hits name. */
  account: string;
  /** The query in the search syntax, as typed back. */
  query: string;
  /** Newest first. */
  hits: readonly FolderHit[];
  /** More messages match than are shown. */
  more: boolean;
  /** Set when the server could not be asked at all: the hits are the cache's. */
  fromCache: AllFoldersResult['fromCache'];
  /** Folders the server could not search; their hits are the cache's. */
  unsearched: AllFoldersResult['unsearched'];
}

export type Layout = 'split' | 'full';

/**
 * A completion source for a prompt: the answers that fit what was typed (whole
 * lines, which Tab cycles through). It may answer later (an address book
 * command): the prompt stays live meanwhile, and a late answer is dropped when
 * the text changed in between.
 */
export type Completer = (
  input: string,
) => string[] | Promise<string[] | { choices: string[]; note?: string }>;

export interface PromptOptions {
  /** Shown before the answer, e.g. `Move to: `. */
  label: string;
  initial?: string;
  complete?: Completer;
  /** Answers given to prompts with the same history name can be recalled with Up. */
  history?: string;
  /** Hide what is typed (passwords). */
  secret?: boolean;
}

/** How a hand-over of the terminal ends. */
export interface HandOverOptions<T> {
  /** True: say so and wait for a key before taking the terminal back (mutt's wait_key). */
  waitKey?: (result: T) => boolean;
}

/** The UI as commands see it. */
export interface UiController {
  screen(): Screen;
  /** UID under the list cursor, or null while the rows load. */
  cursorUid(): number | null;
  /** The message open in the reader, or null. */
  openUid(): number | null;
  /** The decoded message in the reader, once it has loaded. */
  openMessageView(): MessageView | null;
  /** What mail commands act on: the tagged messages, else the open one, else the cursor's. */
  targets(): number[];
  toggleTag(uid: number): void;
  /** Tags these messages too (listed or not yet loaded). */
  addTags(uids: readonly number[]): void;
  /** How many messages are tagged. */
  taggedCount(): number;
  clearTags(): void;
  /** Puts the list cursor on a listed message and scrolls it into view; false when it is not listed. */
  selectUid(uid: number): boolean;

  moveCursor(motion: Motion): void;
  /** Rows the list shows at once (to ask the engine for a first window of that size). */
  listHeight(): number;
  /** Opens a message in the reader; `then` opens a sub-view on it. */
  openMessage(uid: number, then?: 'attachments' | 'headers'): void;
  /** Opens the message after (1) or before (-1) the open one; false when there is none. */
  openAdjacent(step: 1 | -1): boolean;
  closeMessage(): void;
  scrollMessage(motion: Motion): void;
  find(query: string): void;
  findNext(step: 1 | -1): void;
  toggleHeaders(): void;

  showAttachments(): void;
  closeAttachments(): void;
  moveAttachment(step: 1 | -1): void;
  selectedAttachment(): Attachment | null;
  /** Shows an attached message in the reader; closing it returns to the attachments. */
  showAttachedMessage(view: MessageView): void;
  /** Back from an attached message to the attachments of the one around it; false when none is open. */
  closeAttachedMessage(): boolean;
  /**
   * Shows text in the reader's pager over message `uid` (its raw source, its
   * links, a text attachment), sanitised at display; message keys scroll and
   * find in it, and closing it goes back to where it was opened from.
   */
  showPage(uid: number, title: string, text: string): void;
  /** Closes the pager text; false when none is shown. */
  closePage(): boolean;
  /**
   * Gives the terminal to another program (an editor, a viewer) while `work`
   * runs. When `options.waitKey` says so for the result, the screen stays
   * until a key is pressed, so what the program printed can be read.
   */
  handOver<T>(work: () => Promise<T>, options?: HandOverOptions<T>): Promise<T>;

  /** Shows the results of a search across folders in the list pane (the `results` screen). */
  showResults(results: SearchResults): void;
  /** Shows the last results again, where the cursor was; false when there are none. */
  reshowResults(): boolean;
  /** The results shown, or the last ones (null before the first search across folders). */
  results(): SearchResults | null;
  /** The hit under the results cursor, or null. */
  selectedResult(): FolderHit | null;
  /** Leaves the results for the folder's list (they are kept for `reshowResults`). */
  closeResults(): void;
  /**
   * While the returned release is not called, Esc stops the running command
   * by calling `cancel` (other keys still wait for the command to end).
   */
  cancellable(cancel: () => void): () => void;

  showHelp(): void;
  /** Shows the message log: every notice of this run (`:messages`); Esc or q goes back. */
  showMessages(): void;
  closeHelp(): void;
  scrollHelp(motion: Motion): void;

  setLayout(layout: Layout | 'toggle'): void;
  setSidebar(visible: boolean | 'toggle'): void;
  /** Folds or unfolds the subfolders of a folder in the sidebar. */
  toggleFold(path: string): void;
  /** The folder after (1) or before (-1) the open one in the sidebar's order. */
  adjacentFolder(step: 1 | -1): string | null;

  prompt(options: PromptOptions): Promise<string | null>;
  /** Asks a yes/no question; `y` answers yes, anything else no. */
  confirm(question: string): Promise<boolean>;
  notify(kind: 'info' | 'error', text: string): void;

  quit(): void;
  suspend(): void;
  redraw(): void;
}

/** What a new message starts from. */
export type ComposeKind =
  | 'new'
  | 'reply'
  | 'reply-all'
  /** To the mailing list (mutt's L): Mail-Followup-To, else List-Post. */
  | 'reply-list'
  | 'forward'
  /** The whole original attached as message/rfc822. */
  | 'forward-attached'
  /** A postponed message from Drafts, taken up again. */
  | 'recall';

/** Writing mail: the editor and the review screen (aerc's keys). */
export interface ComposerApi {
  /** Starts a message (from the open or selected one for replies and forwards). */
  start(kind: ComposeKind): Promise<void>;
  /** Starts a new message with what a mailto: link gives, on the review screen. */
  startWith(fields: MailtoFields): Promise<void>;
  send(): Promise<void>;
  edit(): Promise<void>;
  attach(): Promise<void>;
  detach(): Promise<void>;
  postpone(): Promise<void>;
  /** Asks, then throws the message away. */
  abandon(): Promise<void>;
  /** Edits a header of the message being written in a prompt (Tab completes addresses). */
  editField(field: 'to' | 'cc' | 'bcc' | 'subject'): Promise<void>;
  /** Sends from another of the account's identities (asks which when not given). */
  setFrom(address?: string): Promise<void>;
  /** Bounces the open or selected message to new recipients (asks when not given). */
  bounce(to?: string): Promise<void>;
}

/** The accounts of the session, as commands see them (one engine each, see core/engine-registry). */
export interface AccountsApi {
  /** Account names, in the dotfile's order. */
  names(): string[];
  /** The account shown now. */
  shown(): string;
  /** Shows another account: its connection opens the first time, and its INBOX when no folder is open. */
  show(name: string): void;
  /** Folds or unfolds an account's folders in the sidebar; unfolding opens its connection. */
  toggleFold(name: string): void;
  /** The state of every account opened so far (the question before quitting counts them all). */
  openedStates(): MailState[];
}

/** Everything a handler receives. */
export interface CommandContext {
  engine: EngineApi;
  ui: UiController;
  /** Messages waiting in the outbox, when sending is wired in. */
  pendingSends?: () => number;
  /** Writing mail; absent when sending is not wired in (tests of reading only). */
  composer?: ComposerApi;
  /** Home directory, for `~` in paths (tests pass their own). */
  home?: string;
  /**
   * Signs an OAuth2 account in again (the code of `tmail account login`),
   * printing on the terminal; called while the terminal is handed over.
   * Absent where signing in is not wired in.
   */
  signIn?: (account: AccountConfig, options: { device: boolean }) => Promise<void>;
  /** Every account of the dotfile; absent where one engine is all there is (tests, the CLI). */
  accounts?: AccountsApi;
}
