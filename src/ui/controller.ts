/**
 * The UI side of the commands: implements the controller interface over the
 * UI store, follows the engine's store (the list cursor, the bell), loads
 * messages for the reader and runs prompts. No React: App only renders what
 * is here.
 */
import {
  runCommand,
  type CommandContext,
  type EngineApi,
  type HandOverOptions,
  type Layout,
  type Motion,
  type PromptOptions,
  type Screen,
  type SearchResults,
  type UiController,
} from '../commands/index.js';
import type { FolderHit } from '../core/engine/engine.js';
import type { ActionType, EngineAction } from '../core/engine/actions.js';
import { openWhenOnline, type EngineRegistry } from '../core/engine-registry.js';
import type { MailStore } from '../core/store/store.js';
import type { FolderView, Notice } from '../core/store/state.js';
import type { Attachment, MessageView } from '../core/types.js';
import { isPrintableKey, type KeyContext, type Keymap, type KeyToken } from '../keymap/index.js';
import { adjacentFolderPath, folderTree, foldKey } from './folder-tree.js';
import { cachedHelpLines, type HelpLine } from './help-lines.js';
import { logLines } from './message-log.js';
import { readerTextWidth } from './layout.js';
import {
  cursorToUid,
  INITIAL_CURSOR,
  moveCursor,
  scrollIntoView,
  syncCursor,
  type ListCursor,
} from './list-nav.js';
import { resultsRowsHeight } from './search-results.js';
import {
  applyChoices,
  createPrompt,
  editPrompt,
  needsCompletion,
  promptValue,
} from './prompt-state.js';
import {
  cachedPageLines,
  cachedReaderLines,
  findMatches,
  nextMatchIndex,
  type RenderedLine,
} from './reader-lines.js';
import type { UiStore } from './ui-store.js';

export interface ControllerOptions {
  /** The engine of the account shown (with several accounts, the registry's `shown`). */
  engine: EngineApi & { store: Pick<MailStore, 'getSnapshot' | 'subscribe'> };
  /** The session's accounts, one engine each; absent where one engine is all there is. */
  registry?: EngineRegistry;
  store: UiStore;
  keymap: Keymap;
  /** Leaves the TUI. */
  exit: () => void;
  /** Stops the process until `fg` (Ctrl-Z). */
  suspend: () => void;
  /** Gives the terminal to another program while `work` runs (absent in tests: work just runs). */
  handOver?: <T>(work: () => Promise<T>, options?: HandOverOptions<T>) => Promise<T>;
  /** Rings the terminal bell (new mail), when the config asks for it. */
  bell?: () => void;
  pendingSends?: () => number;
  home?: string;
}

/**
 * What the status line says while an action the user asked for runs. Actions missing here
 * say nothing: they run in the background (viewport, counts, polls), or show their own
 * progress (opening a folder, saving attachments) or the reader's (reading a message).
 */
const ACTION_LABELS: Partial<Record<ActionType, string>> = {
  'refresh-folders': 'Reading the folder list',
  reload: 'Reloading the folder',
  'set-flags': 'Changing flags',
  delete: 'Deleting',
  move: 'Moving',
  copy: 'Copying',
  archive: 'Archiving',
  expunge: 'Expunging',
  undo: 'Undoing',
  'create-folder': 'Creating the folder',
  'rename-folder': 'Renaming the folder',
  'delete-folder': 'Deleting the folder',
  source: 'Reading the message source',
  'open-attachment': 'Opening the attachment',
  'read-attached': 'Opening the attached message',
  append: 'Saving a copy',
  'fetch-remote': 'Fetching the message',
  'remove-message': 'Removing the message',
  'search-all': 'Searching all folders',
};

/**
 * The engine as commands see it, with each action the user waits for named in the status
 * line while it runs (after a moment: quick ones show nothing).
 */
function labelledEngine(engine: EngineApi, busy: (label: string) => () => void): EngineApi {
  return {
    get state() {
      return engine.state;
    },
    get account() {
      return engine.account;
    },
    reconnect: () => engine.reconnect(),
    dispatch: (async (action: EngineAction, options?: { signal?: AbortSignal }) => {
      const label =
        action.type === 'open-folder' && action.search ? 'Searching' : ACTION_LABELS[action.type];
      const done = label ? busy(label) : null;
      // Stopped: the spinner goes at once, while the engine finishes the step it is in.
      if (done) options?.signal?.addEventListener('abort', done, { once: true });
      try {
        return await engine.dispatch(action, options);
      } finally {
        if (done) options?.signal?.removeEventListener('abort', done);
        done?.();
      }
    }) as EngineApi['dispatch'],
  };
}

/** Messages kept decoded for going back and forth in the reader. */
const READ_CACHE = 30;
/** Work shorter than this shows no spinner. */
const BUSY_DELAY_MS = 200;

function viewKey(account: string, view: FolderView | null): string {
  if (!view) return '';
  return `${account}\u0000${view.path}\u0000${view.uidValidity}\u0000${JSON.stringify(view.search)}`;
}

function maxUid(uids: readonly number[]): number {
  let max = 0;
  for (const uid of uids) if (uid > max) max = uid;
  return max;
}

export class Controller implements UiController {
  readonly context: CommandContext;
  private readonly engine: ControllerOptions['engine'];
  private readonly store: UiStore;
  private readonly keymap: Keymap;
  private readonly options: ControllerOptions;
  private readonly history = new Map<string, string[]>();
  private promptDone: ((value: string | null) => void) | null = null;
  private promptHistory: string | null = null;
  private questionDone: ((yes: boolean) => void) | null = null;
  private promptWaiters: Array<() => void> = [];
  private readAbort: AbortController | null = null;
  private cancelWork: (() => void) | null = null;
  private readonly cache = new Map<number, MessageView>();
  private key = '';
  /**
   * Each account's list and cursor when another account was shown: coming
   * back finds the cursor where it was, as an aerc tab keeps its place.
   */
  private readonly placeOf = new Map<string, { key: string; cursor: ListCursor }>();
  /** The account whose list `key` is. */
  private listAccount = '';
  private lastView: FolderView | null = null;
  private newestUid = 0;
  private lastUndo = 0;
  /** The engine's last notice put in the message log. */
  private loggedNotice: Notice | null = null;
  private readonly unsubscribe: () => void;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.engine = options.engine;
    this.store = options.store;
    this.keymap = options.keymap;
    this.context = {
      engine: labelledEngine(options.engine, (label) => this.busy(label)),
      ui: this,
      pendingSends: options.pendingSends,
      home: options.home,
    };
    const registry = options.registry;
    if (registry) {
      this.context.accounts = {
        names: () => registry.accounts.map((a) => a.name),
        shown: () => registry.shownAccount,
        show: (name) => this.showAccount(registry, name),
        toggleFold: (name) => this.toggleAccountFold(registry, name),
        openedStates: () => registry.openedEngines().map((e) => e.state),
      };
    }
    this.unsubscribe = this.engine.store.subscribe(() => this.followMail());
    this.followMail();
  }

  dispose(): void {
    this.unsubscribe();
    this.readAbort?.abort();
  }

  // ------------------------------------------------------------ following the engine

  /** Keeps the cursor on its message as the list changes; starts over in a new folder. */
  private followMail(): void {
    const notice = this.engine.state.notice;
    if (notice && notice !== this.loggedNotice) {
      this.loggedNotice = notice;
      this.store.dispatch({ type: 'log-notice', notice });
    }
    const view = this.engine.state.view;
    const account = this.engine.state.account;
    if (view === this.lastView && account === this.listAccount) return;
    this.lastView = view;
    const key = viewKey(account, view);
    let cursor = this.store.getSnapshot().cursor;
    if (key !== this.key) {
      const folderChanged = this.key !== '';
      let place: { key: string; cursor: ListCursor } | undefined;
      if (account !== this.listAccount) {
        if (this.key) this.placeOf.set(this.listAccount, { key: this.key, cursor });
        place = this.placeOf.get(account);
      }
      this.key = key;
      // Back in an account's list as it was left (the same folder, view and UIDVALIDITY).
      cursor = place?.key === key ? place.cursor : INITIAL_CURSOR;
      this.cache.clear();
      this.newestUid = view && !view.search ? maxUid(view.uids) : 0;
      if (folderChanged) {
        this.readAbort?.abort();
        this.store.dispatch({ type: 'clear-tags' });
        if (this.store.ui.message) this.store.dispatch({ type: 'close-message' });
        this.store.set({ reading: null });
      }
    } else if (view && !view.search) {
      const newest = view.uids.length ? maxUid(view.uids) : 0;
      // New UIDs above the newest seen are new mail, unless an undo just put messages back.
      if (this.newestUid && newest > this.newestUid && Date.now() - this.lastUndo > 3000)
        this.options.bell?.();
      if (newest > this.newestUid) this.newestUid = newest;
    }
    this.listAccount = account;
    if (view) cursor = syncCursor(cursor, view, this.listHeight());
    this.store.set({ cursor });
  }

  // ------------------------------------------------------------ selection

  screen(): Screen {
    return this.store.ui.screen;
  }

  cursorUid(): number | null {
    // The results name messages of many folders: no UID of the open one is under the cursor.
    if (this.store.ui.screen === 'results') return null;
    const cursor = this.store.getSnapshot().cursor;
    // The UID list may have arrived after the cursor last moved: look the row up again.
    return cursor.uid ?? this.engine.state.view?.uids[cursor.row] ?? null;
  }

  openUid(): number | null {
    return this.store.ui.message?.uid ?? null;
  }

  openMessageView(): MessageView | null {
    const reading = this.store.getSnapshot().reading;
    return reading && reading.uid === this.openUid() ? reading.view : null;
  }

  targets(): number[] {
    const { tagged, message, screen } = this.store.ui;
    // Mail commands act on the open folder's messages, which the results do not show.
    if (screen === 'results') return [];
    if (tagged.size) return [...tagged];
    if (message && screen !== 'list') return [message.uid];
    const uid = this.cursorUid();
    if (uid === null) return [];
    // A folded thread is one row: what is done to it is done to the whole thread.
    const hidden = this.engine.state.view?.folded?.get(uid);
    return hidden ? [uid, ...hidden] : [uid];
  }

  toggleTag(uid: number): void {
    const hidden = this.engine.state.view?.folded?.get(uid);
    if (!hidden) {
      this.store.dispatch({ type: 'toggle-tag', uid });
      return;
    }
    const uids = [uid, ...hidden];
    const on = !this.store.ui.tagged.has(uid);
    this.store.dispatch({ type: on ? 'add-tags' : 'remove-tags', uids });
  }

  clearTags(): void {
    this.store.dispatch({ type: 'clear-tags' });
  }

  addTags(uids: readonly number[]): void {
    this.store.dispatch({ type: 'add-tags', uids });
  }

  taggedCount(): number {
    return this.store.ui.tagged.size;
  }

  selectUid(uid: number): boolean {
    const view = this.engine.state.view;
    if (!view) return false;
    const before = this.store.getSnapshot().cursor;
    const height = this.listHeight();
    let cursor = cursorToUid(before, uid, view, height);
    if (cursor === before && view.uids[before.row] !== uid) return false;
    // A jump off the screen (next unread far down) lands mid-screen, as mutt does, with context around it.
    if (cursor.row < before.top || cursor.row >= before.top + height)
      cursor = scrollIntoView(
        { ...cursor, top: Math.max(0, cursor.row - Math.floor(height / 2)) },
        height,
        view.total,
      );
    this.store.set({ cursor });
    return true;
  }

  // ------------------------------------------------------------ list

  listHeight(): number {
    const m = this.store.metrics;
    return m.listHeight || m.mainHeight;
  }

  /** Keeps the cursor on screen after the list's height changed (resize, layout). */
  relayout(): void {
    if (this.store.ui.screen === 'results') {
      const shape = this.resultsShape();
      const cursor = scrollIntoView(this.store.ui.resultsCursor, this.resultsHeight(), shape.total);
      this.store.dispatch({ type: 'results-cursor', cursor });
      return;
    }
    const view = this.engine.state.view;
    if (!view) return;
    this.store.set({
      cursor: syncCursor(this.store.getSnapshot().cursor, view, this.listHeight()),
    });
  }

  moveCursor(motion: Motion): void {
    if (this.store.ui.screen === 'results') {
      this.moveResultsCursor(motion);
      return;
    }
    const view = this.engine.state.view;
    if (!view) return;
    const cursor = moveCursor(this.store.getSnapshot().cursor, motion, view, this.listHeight());
    this.store.set({ cursor });
  }

  // ------------------------------------------------------------ results of a search across folders

  /** Rows the results show at once (the list pane less its header). */
  private resultsHeight(): number {
    const results = this.store.ui.results;
    return results
      ? resultsRowsHeight(results, this.store.metrics.mainWidth, this.listHeight())
      : this.listHeight();
  }

  /** The results as the list cursor sees them: the row numbers stand for UIDs. */
  private resultsShape(): { uids: number[]; total: number } {
    const total = this.store.ui.results?.hits.length ?? 0;
    return { uids: Array.from({ length: total }, (_, i) => i), total };
  }

  private moveResultsCursor(motion: Motion): void {
    const cursor = moveCursor(
      this.store.ui.resultsCursor,
      motion,
      this.resultsShape(),
      this.resultsHeight(),
    );
    this.store.dispatch({ type: 'results-cursor', cursor });
  }

  showResults(results: SearchResults): void {
    this.readAbort?.abort();
    this.store.set({ reading: null });
    this.store.dispatch({ type: 'show-results', results });
  }

  reshowResults(): boolean {
    if (!this.store.ui.results) return false;
    this.readAbort?.abort();
    this.store.set({ reading: null });
    this.store.dispatch({ type: 'reshow-results' });
    return true;
  }

  results(): SearchResults | null {
    return this.store.ui.results;
  }

  selectedResult(): FolderHit | null {
    const { results, resultsCursor } = this.store.ui;
    return results?.hits[resultsCursor.row] ?? null;
  }

  closeResults(): void {
    this.store.dispatch({ type: 'close-results' });
  }

  // ------------------------------------------------------------ reader

  openMessage(uid: number, then?: 'attachments' | 'headers'): void {
    const view = this.engine.state.view;
    if (view) {
      const cursor = cursorToUid(this.store.getSnapshot().cursor, uid, view, this.listHeight());
      this.store.set({ cursor });
    }
    const already = this.store.ui.message?.uid === uid;
    this.store.dispatch({ type: 'open-message', uid, then });
    if (!already || this.store.getSnapshot().reading?.uid !== uid) this.load(uid);
  }

  /** Fetches and decodes a message (from the cache when it was read before). */
  private load(uid: number): void {
    this.readAbort?.abort();
    const cached = this.cache.get(uid);
    if (cached) {
      this.store.set({ reading: { uid, view: cached, error: null } });
      return;
    }
    this.store.set({ reading: { uid, view: null, error: null } });
    const abort = new AbortController();
    this.readAbort = abort;
    const done = this.busy('Loading the message');
    void this.engine
      .dispatch({ type: 'read', uid }, { signal: abort.signal })
      .then((result) => {
        if (abort.signal.aborted || this.store.getSnapshot().reading?.uid !== uid) return;
        if (result.ok) {
          this.cache.set(uid, result.value);
          if (this.cache.size > READ_CACHE) this.cache.delete(this.cache.keys().next().value!);
          this.store.set({ reading: { uid, view: result.value, error: null } });
        } else if (!result.cancelled) {
          this.store.set({ reading: { uid, view: null, error: result.error.userMessage } });
        }
      })
      .finally(done);
  }

  openAdjacent(step: 1 | -1): boolean {
    const view = this.engine.state.view;
    if (!view) return false;
    const current = this.openUid() ?? this.cursorUid();
    const row = current === null ? -1 : view.uids.indexOf(current);
    const from = row >= 0 ? row : this.store.getSnapshot().cursor.row;
    const uid = view.uids[from + step];
    if (uid === undefined) return false;
    this.openMessage(uid);
    return true;
  }

  closeAttachedMessage(): boolean {
    const reading = this.store.getSnapshot().reading;
    const back = reading?.enclosing?.at(-1);
    if (!reading || !back) return false;
    this.store.set({
      reading: { ...reading, view: back.view, enclosing: reading.enclosing!.slice(0, -1) },
    });
    this.store.dispatch({
      type: 'swap-message',
      screen: 'attachments',
      attachment: back.attachment,
    });
    return true;
  }

  showPage(uid: number, title: string, text: string): void {
    const back = this.store.ui.screen;
    if (this.openUid() !== uid) this.openMessage(uid);
    this.store.dispatch({
      type: 'show-page',
      title,
      text,
      back: back === 'attachments' || back === 'message' ? back : 'list',
    });
  }

  closePage(): boolean {
    const page = this.store.ui.message?.page;
    if (!page) return false;
    if (page.back === 'list') {
      this.closeMessage();
      return true;
    }
    this.store.dispatch({ type: 'close-page' });
    return true;
  }

  closeMessage(): void {
    this.readAbort?.abort();
    this.store.dispatch({ type: 'close-message' });
    this.store.set({ reading: null });
  }

  private lines(): RenderedLine[] {
    const view = this.openMessageView();
    const pane = this.store.ui.message;
    if (pane?.page) return cachedPageLines(pane.page.text, readerTextWidth(this.store.metrics));
    if (!view || !pane) return [];
    return cachedReaderLines(view, readerTextWidth(this.store.metrics), pane.allHeaders);
  }

  private maxScroll(): number {
    return Math.max(0, this.lines().length - this.store.metrics.readerHeight);
  }

  scrollMessage(motion: Motion): void {
    const pane = this.store.ui.message;
    if (!pane) return;
    const h = Math.max(1, this.store.metrics.readerHeight);
    const page = Math.max(1, h - 1);
    const half = Math.max(1, Math.floor(h / 2));
    const delta: Record<Motion, number> = {
      next: 1,
      prev: -1,
      'page-down': page,
      'page-up': -page,
      'half-down': half,
      'half-up': -half,
      first: -Infinity,
      last: Infinity,
    };
    const max = this.maxScroll();
    const scroll = Math.max(0, Math.min(max, pane.scroll + delta[motion]));
    if (scroll === pane.scroll && (motion === 'page-down' || motion === 'next') && max >= 0) {
      this.notify(
        'info',
        pane.page ? 'End of the text; q goes back.' : 'End of the message; J opens the next one.',
      );
    }
    this.store.dispatch({ type: 'message-scroll', scroll });
  }

  find(query: string): void {
    const pane = this.store.ui.message;
    if (!pane) return;
    const matches = findMatches(this.lines(), query);
    if (!matches.length) {
      this.store.dispatch({ type: 'find', query, match: -1 });
      this.notify('error', `Not found: ${query}`);
      return;
    }
    // The first match at or below the top of the screen, as less does.
    let index = matches.findIndex((m) => m.line >= pane.scroll);
    if (index < 0) index = 0;
    this.store.dispatch({
      type: 'find',
      query,
      match: index,
      scroll: this.scrollFor(matches[index]!.line),
    });
  }

  findNext(step: 1 | -1): void {
    const pane = this.store.ui.message;
    if (!pane?.find) {
      this.notify('info', 'Nothing to find yet; / asks for the text.');
      return;
    }
    const matches = findMatches(this.lines(), pane.find);
    const index = nextMatchIndex(matches, pane.match, step);
    if (index < 0) {
      this.notify('error', `Not found: ${pane.find}`);
      return;
    }
    if ((step > 0 && index < pane.match) || (step < 0 && index > pane.match))
      this.notify(
        'info',
        step > 0 ? 'Search wrapped to the top.' : 'Search wrapped to the bottom.',
      );
    this.store.dispatch({
      type: 'find',
      query: pane.find,
      match: index,
      scroll: this.scrollFor(matches[index]!.line),
    });
  }

  private scrollFor(line: number): number {
    const pane = this.store.ui.message;
    const h = this.store.metrics.readerHeight;
    if (pane && line >= pane.scroll && line < pane.scroll + h) return pane.scroll;
    return Math.max(0, Math.min(this.maxScroll(), line - 2));
  }

  toggleHeaders(): void {
    this.store.dispatch({ type: 'toggle-headers' });
  }

  // ------------------------------------------------------------ attachments

  showAttachments(): void {
    const view = this.openMessageView();
    if (view && !view.attachments.length) {
      this.notify('info', 'This message has no attachments.');
      return;
    }
    this.store.dispatch({ type: 'show-attachments' });
  }

  closeAttachments(): void {
    this.store.dispatch({ type: 'close-attachments' });
  }

  moveAttachment(step: 1 | -1): void {
    const pane = this.store.ui.message;
    const count = this.openMessageView()?.attachments.length ?? 0;
    if (!pane || !count) return;
    const index = Math.max(0, Math.min(count - 1, pane.attachment + step));
    this.store.dispatch({ type: 'select-attachment', index });
  }

  selectedAttachment(): Attachment | null {
    const pane = this.store.ui.message;
    return (pane && this.openMessageView()?.attachments[pane.attachment]) || null;
  }

  showAttachedMessage(view: MessageView): void {
    const reading = this.store.getSnapshot().reading;
    const pane = this.store.ui.message;
    if (!reading?.view || !pane || reading.uid !== pane.uid) return;
    const enclosing = [
      ...(reading.enclosing ?? []),
      { view: reading.view, attachment: pane.attachment },
    ];
    this.store.set({ reading: { uid: reading.uid, view, error: null, enclosing } });
    this.store.dispatch({ type: 'swap-message', screen: 'message' });
  }

  handOver<T>(work: () => Promise<T>, options?: HandOverOptions<T>): Promise<T> {
    return this.options.handOver ? this.options.handOver(work, options) : work();
  }

  // ------------------------------------------------------------ help

  /** The context whose keys are read now. */
  keyContext(): KeyContext {
    const screen = this.store.ui.screen;
    return screen === 'list' ? 'list' : screen;
  }

  helpLines(): HelpLine[] {
    const behind = this.store.ui.behindHelp;
    return cachedHelpLines(this.keymap, behind, this.store.metrics.columns - 2);
  }

  /** Lines of what the help screen shows now (the keys, or the message log). */
  private helpLineCount(): number {
    return this.store.ui.helpPage === 'messages'
      ? logLines(this.store.ui.log, this.store.metrics.columns - 2).length
      : this.helpLines().length;
  }

  showHelp(): void {
    this.store.dispatch({ type: 'show-help' });
  }

  showMessages(): void {
    // Newest last, as vim shows them: opened at the end of the log.
    const lines = logLines(this.store.ui.log, this.store.metrics.columns - 2).length;
    const body = Math.max(1, this.store.metrics.mainHeight - 1);
    this.store.dispatch({ type: 'show-help', page: 'messages', scroll: Math.max(0, lines - body) });
  }

  closeHelp(): void {
    this.store.dispatch({ type: 'close-help' });
  }

  scrollHelp(motion: Motion): void {
    const h = Math.max(1, this.store.metrics.mainHeight - 1);
    const max = Math.max(0, this.helpLineCount() - h);
    const current = this.store.ui.helpScroll;
    const delta =
      motion === 'next' ? 1 : motion === 'prev' ? -1 : motion.endsWith('down') ? h - 1 : -(h - 1);
    this.store.dispatch({
      type: 'help-scroll',
      scroll: Math.max(0, Math.min(max, current + delta)),
    });
  }

  // ------------------------------------------------------------ layout and folders

  setLayout(layout: Layout | 'toggle'): void {
    this.store.dispatch({ type: 'layout', layout });
  }

  setSidebar(visible: boolean | 'toggle'): void {
    this.store.dispatch({ type: 'sidebar', visible });
  }

  /** The account folds are kept under: the shown one when there are several, else none. */
  private foldAccount(): string | null {
    return this.options.registry?.several ? this.engine.state.account : null;
  }

  toggleFold(path: string): void {
    const hasChildren = this.engine.state.folders.some((f) => f.parentPath === path);
    if (!hasChildren) {
      this.notify('info', `${path} has no subfolders.`);
      return;
    }
    this.store.dispatch({ type: 'toggle-fold', path: foldKey(this.foldAccount(), path) });
  }

  adjacentFolder(step: 1 | -1): string | null {
    const rows = folderTree(this.engine.state.folders, this.store.ui.folded, this.foldAccount());
    return adjacentFolderPath(rows, this.engine.state.view?.path ?? null, step);
  }

  // ------------------------------------------------------------ accounts

  /**
   * Shows another account: its engine is made and connects the first time
   * (the first screen never waited for it), its folders unfold in the
   * sidebar, and its INBOX opens once it is online unless a folder of it is
   * open already. The list follows through the shown engine's store.
   */
  private showAccount(registry: EngineRegistry, name: string): void {
    const engine = registry.show(name);
    this.store.dispatch({ type: 'fold-account', name, folded: false });
    if (!engine.state.view && !engine.state.opening)
      openWhenOnline(engine, 'INBOX', this.listHeight(), (m) => this.notify('error', m));
  }

  /** Folds or unfolds an account in the sidebar; unfolding opens its connection. */
  private toggleAccountFold(registry: EngineRegistry, name: string): void {
    const unfolding = !this.store.ui.unfoldedAccounts.has(name);
    this.store.dispatch({ type: 'fold-account', name, folded: 'toggle' });
    if (unfolding) registry.engine(name);
  }

  // ------------------------------------------------------------ prompts

  /** True while a prompt or a question takes the keys. */
  promptOpen(): boolean {
    const s = this.store.getSnapshot();
    return s.prompt !== null || s.question !== null;
  }

  /** Resolves when the next prompt or question opens. */
  promptOpened(): Promise<void> {
    return new Promise((resolve) => this.promptWaiters.push(resolve));
  }

  private opened(): void {
    const waiters = this.promptWaiters;
    this.promptWaiters = [];
    for (const wake of waiters) wake();
  }

  prompt(options: PromptOptions): Promise<string | null> {
    this.cancelPrompt();
    this.promptHistory = options.secret ? null : (options.history ?? null);
    const history = this.promptHistory ? (this.history.get(this.promptHistory) ?? []) : [];
    this.store.set({
      prompt: createPrompt({
        label: options.label,
        initial: options.initial,
        secret: options.secret,
        complete: options.complete,
        history,
      }),
    });
    const answer = new Promise<string | null>((resolve) => {
      this.promptDone = resolve;
    });
    this.opened();
    return answer;
  }

  confirm(question: string): Promise<boolean> {
    this.cancelPrompt();
    this.store.set({ question });
    const answer = new Promise<boolean>((resolve) => {
      this.questionDone = resolve;
    });
    this.opened();
    return answer;
  }

  private cancelPrompt(): void {
    const done = this.promptDone;
    const question = this.questionDone;
    this.promptDone = null;
    this.questionDone = null;
    this.store.set({ prompt: null, question: null });
    done?.(null);
    question?.(false);
  }

  /** A key for the open prompt or question (`command` is its prompt binding, if any). */
  promptKey(token: KeyToken, command: string | null): void {
    const snapshot = this.store.getSnapshot();
    if (snapshot.question !== null) {
      const done = this.questionDone;
      this.questionDone = null;
      this.store.set({ question: null });
      done?.(token === 'y' || token === 'Y');
      return;
    }
    const prompt = snapshot.prompt;
    if (!prompt) return;
    if (
      (command === 'prompt.complete' || command === 'prompt.complete-prev') &&
      needsCompletion(prompt)
    ) {
      const step = command === 'prompt.complete' ? 1 : -1;
      const asked = promptValue(prompt);
      const answer = prompt.complete!(asked);
      if (!Array.isArray(answer)) {
        // A slow source (an address book command): typing goes on meanwhile, and the
        // answer is used only if the prompt still holds what was asked.
        this.store.set({ prompt: { ...prompt, note: 'looking up…' } });
        const settle = (choices: string[], note: string | null) => {
          const now = this.store.getSnapshot().prompt;
          if (now && now.complete === prompt.complete && promptValue(now) === asked)
            this.store.set({ prompt: { ...applyChoices(now, choices, step), note } });
          else if (now && now.note === 'looking up…') this.store.set({ prompt: { ...now, note } });
        };
        void answer.then(
          (result) =>
            Array.isArray(result)
              ? settle(result, null)
              : settle(result.choices, result.note ?? null),
          () => settle([], null),
        );
        return;
      }
      this.store.set({ prompt: applyChoices(prompt, answer, step) });
      return;
    }
    let outcome;
    if (command) outcome = editPrompt(prompt, { type: 'command', command });
    else if (token === '<Space>') outcome = editPrompt(prompt, { type: 'insert', text: ' ' });
    else if (isPrintableKey(token)) outcome = editPrompt(prompt, { type: 'insert', text: token });
    else return;
    if (outcome.kind === 'edit') {
      this.store.set({ prompt: outcome.state });
      return;
    }
    const done = this.promptDone;
    this.promptDone = null;
    this.store.set({ prompt: null });
    if (outcome.kind === 'accept') {
      if (this.promptHistory && outcome.value.trim()) {
        const list = (this.history.get(this.promptHistory) ?? []).filter(
          (v) => v !== outcome.value,
        );
        list.push(outcome.value);
        this.history.set(this.promptHistory, list.slice(-50));
      }
      done?.(outcome.value);
    } else {
      done?.(null);
    }
  }

  // ------------------------------------------------------------ notices and the rest

  notify(kind: 'info' | 'error', text: string): void {
    // After the key that dismissed the notices before it, even within its millisecond (Esc
    // stopping a search says so at once).
    const at = Math.max(Date.now(), this.store.getSnapshot().ui.dismissedAt + 1);
    this.store.dispatch({ type: 'notify', notice: { kind, text, at } });
  }

  /** A key was pressed: what was said before it has been read. */
  keyPressed(): void {
    const { ui } = this.store.getSnapshot();
    const engineNotice = this.engine.state.notice;
    const newest = Math.max(ui.notice?.at ?? 0, engineNotice?.at ?? 0);
    if (newest > ui.dismissedAt) this.store.dispatch({ type: 'dismiss-notices', at: Date.now() });
  }

  cancellable(cancel: () => void): () => void {
    this.cancelWork = cancel;
    this.store.set({ stoppable: true });
    return () => {
      if (this.cancelWork !== cancel) return;
      this.cancelWork = null;
      this.store.set({ stoppable: false });
    };
  }

  /** Esc while a command runs: stops it when it can be stopped; false when nothing was. */
  cancelRunning(): boolean {
    const cancel = this.cancelWork;
    if (!cancel) return false;
    this.cancelWork = null;
    this.store.set({ stoppable: false });
    cancel();
    return true;
  }

  /** Shows a spinner with `label` if the work takes longer than a moment; call the result when done. */
  busy(label: string): () => void {
    const timer = setTimeout(() => this.store.set({ busy: label }), BUSY_DELAY_MS);
    return () => {
      clearTimeout(timer);
      if (this.store.getSnapshot().busy === label) this.store.set({ busy: null });
    };
  }

  quit(): void {
    this.cancelPrompt();
    this.options.exit();
  }

  suspend(): void {
    this.options.suspend();
  }

  redraw(): void {
    this.store.dispatch({ type: 'redraw' });
  }

  /** Runs a command by id with this controller's context. */
  async run(command: string): Promise<void> {
    if (command === 'mail.undo') this.lastUndo = Date.now();
    // No blanket label here: a command may be waiting for the user (a prompt), which is not
    // work. The engine actions it dispatches name themselves (labelledEngine).
    await runCommand(command, this.context);
  }
}
