/**
 * The mail engine of one account: the only thing the faces talk to.
 *
 * Requests come in through `dispatch(action)` and run one at a time on the
 * account's connection (a serial queue). Results and server pushes become
 * events, and one pure reducer turns events into store snapshots.
 *
 * The engine is a facade: it wires five collaborators, one per concern, and
 * routes each action to one of them (see context.ts for how they depend on
 * each other):
 * - `Connection` (connection.ts): connect, reconnect, pushes, polling;
 * - `FolderSync` (folder-sync.ts): folder list and counts, the open view and its viewport;
 * - `Mutations` (mutations.ts): flags, moves, removal, undo, the offline queue;
 * - `Reading` (reading.ts): message bodies and attachments;
 * - `AllFoldersSearch` (all-folders-search.ts): a search across every folder;
 * and `BodyPrefetch` (prefetch.ts), which fetches the text of a folder's
 * newest messages into the local cache in the background once it is open.
 */
import type { AccountConfig } from '../config/types.js';
import { toTmailError } from '../errors.js';
import { createLogger } from '../log.js';
import type { MailState } from '../store/state.js';
import { MailStore } from '../store/store.js';
import { SEEN } from '../types.js';
import type {
  ActionOf,
  ActionResults,
  ActionType,
  DispatchResult,
  EngineAction,
} from './actions.js';
import { AllFoldersSearch } from './all-folders-search.js';
import type { BackendFactory, MailBackend } from './backend.js';
import { Connection } from './connection.js';
import { EngineContext, type EngineStats } from './context.js';
import { FolderSync } from './folder-sync.js';
import { CacheWriter, type LocalMail } from './local-mail.js';
import { Mutations } from './mutations.js';
import { pendingQueueFile } from './pending-flags.js';
import { BodyPrefetch } from './prefetch.js';
import { SerialQueue } from './queue.js';
import { Reading } from './reading.js';

export type { EngineStats } from './context.js';
export type { AllFoldersResult, FolderHit } from './all-folders-search.js';
export { sortFolders } from './folder-sync.js';

export interface EngineOptions {
  account: AccountConfig;
  backendFactory: BackendFactory;
  /** File of the offline flag-change queue; default `$XDG_STATE_HOME/tmail/pending/<account>.json`. */
  pendingFile?: string;
  /** Reconnect back-off in ms; the last value repeats. */
  reconnectDelaysMs?: number[];
  /**
   * Opens the account's local cache (session.ts: openLocalMail), told where to
   * say a sentence about trouble with it; null or absent: no cache.
   */
  cache?: (onNotice: (text: string) => void) => LocalMail | null;
}

export interface StartOptions {
  /** Keep trying in the background after a failed connect (the TUI); the CLI fails at once. */
  retry: boolean;
  /**
   * Keep counts and (without IDLE) the open folder current on timers; default:
   * as `retry` (the TUI does, a one-shot command does not).
   */
  watch?: boolean;
  /**
   * Read the folder list with counts once connected (default). A one-shot command
   * that needs no folder list skips it; roles are then looked up when first needed.
   */
  folders?: boolean;
  /**
   * Connect only once this settles (the TUI's first frame drawn from the
   * cache); the cached folder list is shown at once either way.
   */
  after?: Promise<unknown>;
  /**
   * Hold writes to the local cache until this settles (the TUI's first frame):
   * on a first start, making the store and filling it wait for the first screen.
   */
  holdCacheUntil?: Promise<unknown>;
}

export class MailEngine {
  readonly store: MailStore;
  readonly stats: EngineStats;
  readonly account: AccountConfig;

  private readonly ctx: EngineContext;
  private readonly connection: Connection;
  private readonly folders: FolderSync;
  private readonly mutations: Mutations;
  private readonly reading: Reading;
  private readonly searchAll: AllFoldersSearch;
  private readonly prefetch: BodyPrefetch;
  private readonly local: LocalMail | null;
  private readonly writer: CacheWriter | null;
  private loadFolders = true;

  constructor(options: EngineOptions) {
    this.account = options.account;
    this.store = new MailStore(options.account.name);
    this.ctx = new EngineContext(
      options.account,
      this.store,
      new SerialQueue(),
      createLogger(`engine:${options.account.name}`),
    );
    this.stats = this.ctx.stats;
    this.local = options.cache?.((text) => this.ctx.notice('info', text)) ?? null;
    this.writer = this.local ? new CacheWriter(this.local, () => this.store.getSnapshot()) : null;
    if (this.writer) {
      const writer = this.writer;
      this.ctx.tap = (event) => writer.write(event);
    }
    this.connection = new Connection(
      this.ctx,
      options.backendFactory,
      {
        catchUp: (b) => this.catchUp(b),
        pushed: (b, event) => this.folders.pushed(b, event),
        lost: () => this.folders.forgetSelection(),
        hasSelection: () => this.folders.selectedPath !== null,
      },
      options.reconnectDelaysMs,
    );
    this.folders = new FolderSync(this.ctx, this.connection, this.local);
    this.mutations = new Mutations(
      this.ctx,
      this.connection,
      this.folders,
      options.pendingFile ?? pendingQueueFile(options.account.name),
    );
    this.reading = new Reading(
      this.ctx,
      this.connection,
      this.folders,
      (uid, signal) => this.mutations.setFlags([uid], [SEEN], [], false, signal),
      this.local,
    );
    this.searchAll = new AllFoldersSearch(this.ctx, this.connection, this.folders, this.local);
    this.prefetch = new BodyPrefetch(this.ctx, this.connection, this.folders, this.local);
    this.folders.onNewMail = () => this.prefetch.more();
  }

  /** True when the account has a usable local cache (the CLI answers from it offline). */
  get hasLocalCache(): boolean {
    return this.local?.available ?? false;
  }

  /** True while texts of the open folder are being fetched into the local cache in the background. */
  get prefetching(): boolean {
    return this.prefetch.running;
  }

  /** True when the local cache can show `path` before the server answers. */
  hasCached(path: string): boolean {
    return this.folders.hasCached(path);
  }

  get state(): MailState {
    return this.store.getSnapshot();
  }

  /** What the server offers after login (upper case); empty while offline. */
  get capabilities(): ReadonlySet<string> {
    return this.connection.current?.capabilities ?? new Set<string>();
  }

  /** The live backend (tests look at its capabilities). */
  private get backend(): MailBackend | null {
    return this.connection.current;
  }

  /**
   * Connects and reads the folder list. With `retry`, failures leave the engine
   * offline and retrying in the background; without, the first failure rejects.
   */
  async start(options: StartOptions = { retry: true }): Promise<void> {
    this.loadFolders = options.folders ?? true;
    if (options.holdCacheUntil) this.local?.holdWrites(options.holdCacheUntil);
    // The folder list as it was last time, shown before the connection is up.
    if (this.loadFolders) this.folders.showCachedFolders();
    if (options.watch ?? options.retry) {
      // Bodies fetched ahead are for a session that goes on, not a one-shot command.
      this.prefetch.enable();
      this.folders.startCountsTimer();
      this.connection.startPolling();
    }
    await this.connection.start(options.retry, options.after);
  }

  /** The catch-up after every (re)connect, run before any request on the new connection. */
  private catchUp(b: MailBackend): () => Promise<void> {
    // Only a view from before this connection needs catching up; one opened once
    // we are online (a face reacts to the online event) is fresh already.
    const staleView = this.state.view;
    return async () => {
      await this.mutations.catchUp(b);
      // A view shown from the cache while connecting is caught up the same way, and
      // first: its rows are what is on screen, the folder list can wait a moment.
      const fromCache = this.folders.viewFromCache;
      if (fromCache) await this.folders.resyncView(b);
      if (this.loadFolders) {
        // Counts come with the list only where one LIST-STATUS gives them; otherwise the
        // folders on screen are counted a few at a time (50,000 STATUS in a row held
        // every command, quitting included, for more than half an hour).
        await this.folders.readFolders(b, 'cheap');
      }
      if (!fromCache && staleView && this.state.view === staleView)
        await this.folders.resyncView(b);
      // What is shown is the server's now.
      this.ctx.emit({ type: 'current' });
      this.prefetch.start();
    };
  }

  /** Tries to reconnect now (a face's "retry" key). */
  reconnect(): void {
    this.connection.reconnect();
  }

  /** Logs out and stops retrying. */
  async close(): Promise<void> {
    this.connection.stop();
    // Queued count work sees `closed` and does nothing: quitting waits for no STATUS.
    this.folders.stop();
    this.prefetch.stop();
    this.mutations.stop();
    await this.ctx.queue.idle().catch(() => {});
    await this.connection.logout();
    await this.reading.cleanup();
    this.writer?.flush();
    this.folders.flushUidList();
    this.local?.close();
    this.ctx.emit({ type: 'connection', state: { status: 'closed' } });
  }

  /** Shows the outbox's state (sending counts it; the status line shows it). */
  reportOutbox(status: { waiting: number; needsYou: number }): void {
    this.ctx.emit({ type: 'outbox', ...status });
  }

  /** Resolves when no request is queued or running (for tests and the CLI). */
  idle(): Promise<void> {
    return this.ctx.queue.idle();
  }

  /** Runs an action; resolves to ok, error or cancelled, never throws. */
  async dispatch<T extends ActionType>(
    action: ActionOf<T> & EngineAction,
    options: { signal?: AbortSignal } = {},
  ): Promise<DispatchResult<ActionResults[T]>> {
    try {
      const value = (await this.run(action, options.signal)) as ActionResults[T];
      return { ok: true, value };
    } catch (error) {
      const e = toTmailError(error);
      if (e.code === 'CANCELLED') return { ok: false, cancelled: true, error: e };
      this.ctx.log.warn(`${action.type} failed`, {
        code: e.code,
        message: e.message,
        server: e.serverText,
      });
      return { ok: false, cancelled: false, error: e };
    }
  }

  /** Like dispatch, but throws the TmailError (for the CLI and tests). */
  async request<T extends ActionType>(
    action: ActionOf<T> & EngineAction,
    options: { signal?: AbortSignal } = {},
  ): Promise<ActionResults[T]> {
    const result = await this.dispatch<T>(action, options);
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** Routes an action to the part that does it. */
  private async run(action: EngineAction, signal?: AbortSignal): Promise<unknown> {
    const { folders, mutations, reading } = this;
    switch (action.type) {
      case 'refresh-folders':
        return this.connection.task(
          (b) => folders.readFolders(b, action.counts === false ? 'none' : 'all'),
          signal,
        );
      case 'shown-folders':
        folders.showFolders(action.paths);
        return;
      case 'open-folder':
        this.prefetch.stop();
        await folders.openFolder(action, signal);
        this.prefetch.start();
        return;
      case 'reload':
        this.prefetch.stop();
        await folders.reload(signal);
        this.prefetch.start();
        return;
      case 'viewport':
        folders.setViewport({ first: action.first, last: action.last, margin: action.margin });
        return;
      case 'create-folder':
        return folders.createFolder(action.path, signal);
      case 'rename-folder':
        return folders.renameFolder(action.path, action.to, signal);
      case 'delete-folder':
        return folders.deleteFolder(action.path, signal);
      case 'set-flags':
        return mutations.setFlags(
          action.uids,
          action.add ?? [],
          action.remove ?? [],
          action.undoable ?? true,
          signal,
        );
      case 'delete':
        return mutations.deleteMessages(action.uids, signal);
      case 'move':
        return mutations.moveMessages(action.uids, action.to, signal);
      case 'copy':
        return mutations.copyMessages(action.uids, action.to, signal);
      case 'archive':
        return mutations.archive(action.uids, signal);
      case 'count-deleted':
        return mutations.countDeleted(signal);
      case 'search-uids':
        return folders.searchUids(action.query, signal);
      case 'search-all':
        return this.searchAll.run(action.query, action.limit, signal);
      case 'fold':
        return folders.fold(action.mode, action.uids);
      case 'expunge':
        return mutations.expunge(action.uids, signal);
      case 'undo':
        return mutations.undo(signal);
      case 'append':
        return mutations.append(action.folder, action.raw, action.flags ?? [], signal);
      case 'remove-message':
        return mutations.removeMessage(action.folder, action.uid, signal);
      case 'flag-in-folder':
        return mutations.flagInFolder(
          action.folder,
          action.uid,
          action.add ?? [],
          action.remove ?? [],
          signal,
        );
      case 'read':
        return reading.read(action.uid, action.peek ?? false, signal);
      case 'source':
        return reading.source(action.uid, signal);
      case 'sources':
        return reading.sources(action.uids, signal);
      case 'save-attachment':
        return reading.saveAttachment(action.uid, action.attachmentId, action.dir, signal);
      case 'save-attachments':
        return reading.saveAllAttachments(action.uid, action.dir, signal);
      case 'open-attachment':
        return reading.openAttachment(action.uid, action.attachmentId, signal);
      case 'read-attached':
        return reading.readAttached(action.uid, action.attachmentId, signal);
      case 'fetch-remote':
        return reading.fetchRemote(action.folder, action.uid, action.part, signal);
      case 'poll':
        if (!this.connection.current) {
          this.connection.reconnect();
          return;
        }
        await this.connection.task((b) => b.poll(), signal);
        folders.refreshShownCounts();
        return;
    }
  }
}
