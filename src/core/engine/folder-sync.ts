/**
 * Folder sync: the folder list and its counts, and the open folder's view
 * kept in step with the server.
 *
 * Work follows the viewport: opening a folder reads its size and the newest
 * rows by sequence number, then the UID list (ESEARCH: one compact set, no
 * per-message data); envelopes are fetched only for rows around the viewport.
 * Server pushes (new mail, expunges, flag changes) for the selected folder
 * come in through `pushed`; a reconnect catches up through `resyncView`.
 *
 * A local store (issue 16, src/core/cache/) belongs here as a second source
 * beside the server: consulted in `openFolder` before SELECT and by the
 * engine's start for the folder list, and told what the server said through
 * the two funnels every answer passes, `foldersArrived` and `envelopesArrived`.
 */
import { TmailError, toTmailError } from '../errors.js';
import { DEFAULT_SORT } from '../store/state.js';
import { missingUids, wantedRows, type RowRange } from '../store/window.js';
import {
  SEEN,
  type Envelope,
  type Flag,
  type FolderRole,
  type Mailbox,
  type SearchQuery,
} from '../types.js';
import type { ActionOf } from './actions.js';
import type { BackendEvent, FolderResync, FolderStatus, MailBackend } from './backend.js';
import type { EngineContext, Link } from './context.js';
import type { LocalMail } from './local-mail.js';
import { plural } from './outcome.js';
import { ThreadFolding, type FoldMode, type ThreadRows } from './thread-view.js';
import { uidListAfterResync } from './uid-list.js';
import {
  flattenThreads,
  sortKnownEnvelopes,
  threadEnvelopes,
  type FlatThreads,
} from './threads.js';

const DEFAULT_FIRST_ROWS = 100;
/** Default of the account setting countsSeconds. */
const DEFAULT_COUNTS_SECONDS = 60;
/** STATUS commands per queue task: small, so that user commands wait for few of them. */
const COUNTS_PER_TASK = 4;
/** Up to this many folders one LIST-STATUS refreshes every count; above, STATUS of the shown ones. */
const LIST_STATUS_MAX = 500;
/** How long changes to the open folder's UID list gather before the cache gets the list (they come in bursts). */
const SAVE_UID_LIST_DELAY_MS = 200;

export class FolderSync {
  /** Ascending UIDs of the whole selected folder, for sequence-number mapping and new mail. */
  private folderUids: number[] | null = null;
  /**
   * The SELECT the cache's copy of `folderUids` builds on: the folder and the
   * HIGHESTMODSEQ recorded with it (see AccountCache.setUidList).
   */
  private listBasis: { path: string; uidValidity: string; highestModseq?: string } | null = null;
  private saveListTimer: NodeJS.Timeout | null = null;
  private selected: FolderStatus | null = null;
  private readonly inflight = new Set<number>();
  private viewport: (RowRange & { margin?: number }) | null = null;
  private viewportScheduled = false;
  /** The thread tree of a threaded list, and which threads are folded. */
  private readonly folding = new ThreadFolding();
  private listReloadQueued = false;
  /** Paths of the folders a face shows (the sidebar's rows). */
  private shownFolders: string[] = [];
  /** Folders still to count in the round under way; null when none is. */
  private countsRound: string[] | null = null;
  private countsTimer: NodeJS.Timeout | null = null;
  private readonly countsQueued = new Set<string>();
  /** Per folder: where messages put back by undo belong in arrival order. */
  private readonly restoredOrder = new Map<
    string,
    { uidValidity: string | undefined; keys: Map<number, number> }
  >();

  /** The view on screen came from the local cache and the server has not caught it up yet. */
  viewFromCache = false;

  /** Told when new mail arrived in the open folder (the background prefetch takes it in). */
  onNewMail: (() => void) | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly link: Link,
    /** The account's local cache; null when it has none. */
    private readonly local: LocalMail | null = null,
  ) {}

  // ---------------------------------------------------------------- the local cache

  /** True when the cache can show `path` before (or without) the server. */
  hasCached(path: string): boolean {
    return Boolean(this.local?.available && this.local.syncedAt(path) !== null);
  }

  /**
   * Tells the cache of a flag change the server took on messages of the open
   * folder whose envelopes are not loaded (those loaded reach it through the
   * view's own change).
   */
  cacheFlagChange(path: string, uids: readonly number[], add: Flag[], remove: Flag[]): void {
    const view = this.ctx.state.view;
    if (!this.local?.available || !view || view.path !== path) return;
    const unloaded = uids.filter((uid) => !view.envelopes.has(uid));
    this.local.changeFlags({ path, uidValidity: view.uidValidity }, unloaded, add, remove);
  }

  /** Shows the folder list saved last time, until the server's arrives. */
  showCachedFolders(): void {
    const folders = this.local?.folders();
    if (!folders?.length || this.ctx.state.foldersLoaded) return;
    this.ctx.emit({ type: 'folders', folders, cached: true });
    if (!this.ctx.state.fromCache) this.ctx.emit({ type: 'from-cache', syncedAt: null });
  }

  /**
   * Shows a folder from the cache (offline, or before the connection is up):
   * its cached rows in the asked order, the first ones with their envelopes.
   * False when the cache holds nothing of it.
   */
  private openFromCache(action: ActionOf<'open-folder'>): boolean {
    const local = this.local;
    if (!local?.available) return false;
    const sort = action.sort ?? DEFAULT_SORT;
    const search = action.search ?? null;
    const rows = action.rows ?? DEFAULT_FIRST_ROWS;
    const cached = local.view(action.path, sort, search ? 0 : rows);
    if (!cached) return false;
    let uids = cached.uids;
    let envelopes = cached.envelopes;
    if (search) {
      envelopes = local.search(action.path, search);
      uids = envelopes.map((e) => e.uid);
    }
    this.flushUidList();
    this.listBasis = null;
    this.selected = null;
    this.folderUids = null;
    this.inflight.clear();
    this.viewport = null;
    this.viewFromCache = true;
    this.ctx.emit({ type: 'from-cache', syncedAt: cached.syncedAt });
    this.ctx.emit({
      type: 'view-opened',
      path: action.path,
      uidValidity: cached.uidValidity,
      total: uids.length,
      sort,
      threaded: action.threaded ?? false,
      search,
    });
    this.ctx.emit({ type: 'envelopes', path: action.path, envelopes, cached: true });
    this.ctx.emit({ type: 'view-uids', path: action.path, uids, complete: true });
    return true;
  }

  /**
   * Offline: the rows the viewport wants, from the cache. Also in a view the
   * server opened before the connection went: the cache was brought up to date
   * when it was selected and has followed it since, and the catch-up on the
   * way back corrects what changed meanwhile (same UIDVALIDITY only).
   */
  private fillFromCache(): void {
    const view = this.ctx.state.view;
    const range = this.viewport;
    if (!this.local?.available || !view || !range) return;
    if (!this.viewFromCache && this.local.folderState(view.path)?.uidValidity !== view.uidValidity)
      return;
    const rows = wantedRows(
      view,
      range,
      range.margin ?? Math.max(10, range.last - range.first + 1),
    );
    if (!rows) return;
    const missing = missingUids(view, rows, this.inflight);
    if (!missing.length) return;
    const envelopes = this.local.envelopes(view.path, missing);
    if (envelopes.length)
      this.ctx.emit({ type: 'envelopes', path: view.path, envelopes, cached: true });
  }

  /**
   * Selects a folder the cache knows as a re-sync (QRESYNC, CONDSTORE or the
   * UID list; see MailBackend.resync), so that the cached rows the view does
   * not fetch again are brought up to date too; a folder it does not know
   * with a plain SELECT. The cache learns the folder's new state either way,
   * with its whole UID list when that could be worked out (`uids`).
   */
  async selectAndSync(
    b: MailBackend,
    path: string,
    visible: readonly number[],
  ): Promise<{ status: FolderStatus; resync: FolderResync | null; uids: number[] | null }> {
    const known = this.local?.available ? this.local.known(path, visible) : null;
    if (!known) {
      const status = await b.select(path);
      this.local?.selected(status);
      return { status, resync: null, uids: null };
    }
    const resync = await b.resync(path, known);
    // The UID list after the re-sync, worked out from the cache's and checked
    // against EXISTS; written with the folder's new state in one step.
    const uids = uidListAfterResync(known, resync);
    this.local!.resynced(
      { path: resync.status.path, uidValidity: known.uidValidity },
      resync,
      uids,
    );
    return { status: resync.status, resync, uids };
  }

  /**
   * `selectAndSync` of the folder the view is to show: the UID list kept in the
   * cache from now on is this folder's, built on this SELECT.
   */
  private async selectForView(
    b: MailBackend,
    path: string,
    visible: readonly number[],
  ): Promise<{ status: FolderStatus; resync: FolderResync | null; uids: number[] | null }> {
    // What the cache should know of the folder left goes in before the new SELECT's state.
    this.flushUidList();
    this.listBasis = null;
    const selected = await this.selectAndSync(b, path, visible);
    this.listBasis = basisOf(selected.status);
    return selected;
  }

  // ---------------------------------------------------------------- the UID list kept in the cache

  /**
   * The selected folder's whole UID list changed (read, worked out, new mail,
   * messages gone): the cache gets it soon, after the burst (`now`: at once).
   */
  private uidListChanged(now = false): void {
    if (!this.local?.available || !this.listBasis) return;
    this.saveListTimer ??= setTimeout(() => this.flushUidList(), SAVE_UID_LIST_DELAY_MS);
    this.saveListTimer.unref?.();
    if (now) this.flushUidList();
  }

  /** Writes the open folder's UID list to the cache now, if it changed since it was written. */
  flushUidList(): void {
    const pending = this.saveListTimer !== null;
    if (this.saveListTimer) clearTimeout(this.saveListTimer);
    this.saveListTimer = null;
    const basis = this.listBasis;
    const uids = this.folderUids;
    // `folderUids` is the basis folder's: showing another resets both (selectForView).
    if (!pending || !basis || !uids) return;
    this.local?.saveUidList(basis, uids, basis.highestModseq);
  }

  // ---------------------------------------------------------------- selection

  /** The folder selected on the connection, as this engine last selected it. */
  get selectedPath(): string | null {
    return this.selected?.path ?? null;
  }

  /** What SELECT said of the folder selected on the connection, or null. */
  get selectedStatus(): FolderStatus | null {
    return this.selected;
  }

  /** Every UID of the selected folder, ascending, once its list was read; else null. */
  get selectedUids(): readonly number[] | null {
    return this.selected ? this.folderUids : null;
  }

  /**
   * Forgets what is selected (the connection was lost, or other work selected
   * another folder): the next catch-up selects the view's folder again.
   */
  forgetSelection(): void {
    this.selected = null;
  }

  /** Selects `path` as the folder this engine works in (after work elsewhere). */
  async reselect(b: MailBackend, path: string): Promise<FolderStatus> {
    this.selected = await b.select(path);
    return this.selected;
  }

  /**
   * Runs work with another folder selected, then selects the open folder again
   * and catches up with what changed there meanwhile (nothing is pushed about a
   * folder while it is not selected).
   */
  inFolder<T>(
    folder: string,
    work: (backend: MailBackend) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.selected?.path === folder) return this.link.task((b) => work(b), signal);
    return this.elsewhere(async (b) => {
      await b.select(folder);
      return work(b);
    }, signal);
  }

  /**
   * Runs work that selects other folders itself (a search across folders),
   * then selects the open folder again once, as `inFolder` does.
   */
  elsewhere<T>(work: (backend: MailBackend) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.link.task(async (b) => {
      const back = this.selected;
      try {
        return await work(b);
      } finally {
        if (back) {
          const status = await b.select(back.path);
          this.selected = status;
          if (status.uidNext !== back.uidNext || status.exists !== this.folderUids?.length) {
            await this.loadList(b);
          }
        } else {
          this.selected = null;
        }
      }
    }, signal);
  }

  // ---------------------------------------------------------------- the folder list

  /**
   * Reads the folder list. `all`: with every folder's counts (LIST-STATUS, else a
   * STATUS each: what `tmail folders` prints); `cheap`: counts only when LIST-STATUS
   * gives them in one command; `none`: no counts. Counts already known are kept.
   */
  async readFolders(b: MailBackend, counts: 'all' | 'cheap' | 'none'): Promise<Mailbox[]> {
    const withCounts =
      counts === 'all' || (counts === 'cheap' && b.capabilities.has('LIST-STATUS'));
    const listed = await b.listFolders({ counts: withCounts });
    const known = new Map(this.ctx.state.folders.map((f) => [f.path, f]));
    const folders = sortFolders(
      listed.map((folder) => {
        const before = known.get(folder.path);
        return folder.total === undefined && before?.total !== undefined
          ? { ...folder, total: before.total, unread: before.unread }
          : folder;
      }),
    );
    this.foldersArrived(folders);
    if (!withCounts) this.countMissing();
    return folders;
  }

  /** The path of the folder with a role: the account's setting, else SPECIAL-USE or the name. */
  async folderFor(role: FolderRole, signal?: AbortSignal): Promise<string> {
    const configured = (
      this.ctx.account.folders as Record<string, string | undefined> | undefined
    )?.[role];
    if (configured) return configured;
    if (!this.ctx.state.foldersLoaded)
      await this.link.task((b) => this.readFolders(b, 'none'), signal);
    const folder = this.ctx.state.folders.find((f) => f.role === role);
    if (!folder) {
      throw new TmailError(
        'FOLDER_UNKNOWN',
        `This account has no ${role} folder; set folders.${role} for it in the configuration file.`,
      );
    }
    return folder.path;
  }

  async createFolder(path: string, signal?: AbortSignal): Promise<void> {
    await this.link.task((b) => b.createFolder(path), signal);
    await this.link.task((b) => this.readFolders(b, 'cheap'), signal);
  }

  async renameFolder(path: string, to: string, signal?: AbortSignal): Promise<void> {
    await this.link.task((b) => b.renameFolder(path, to), signal);
    await this.link.task((b) => this.readFolders(b, 'cheap'), signal);
  }

  /** Deletes a folder; the notice says when the server keeps its name for subfolders. */
  async deleteFolder(path: string, signal?: AbortSignal): Promise<{ notice: string | null }> {
    const left = await this.link.task((b) => b.deleteFolder(path), signal);
    await this.link.task((b) => this.readFolders(b, 'cheap'), signal);
    if (!left) return { notice: null };
    const container = left.some((flag) => /^\\(noselect|nonexistent)$/i.test(flag));
    return {
      notice: container
        ? `Deleted the mail of ${path}; the server keeps it as a folder that holds only its subfolders.`
        : `Deleted the mail of ${path}; the server keeps it, empty, for its subfolders.`,
    };
  }

  // ---------------------------------------------------------------- counts

  /** Keeps the counts of the folders on screen current on a timer. */
  startCountsTimer(): void {
    const countsMs = (this.ctx.account.countsSeconds ?? DEFAULT_COUNTS_SECONDS) * 1000;
    this.countsTimer ??= setInterval(() => this.refreshShownCounts(), countsMs);
    this.countsTimer.unref?.();
  }

  /** Stops counting: queued count work sees the link closed and does nothing. */
  stop(): void {
    this.countsRound = null;
    if (this.countsTimer) clearInterval(this.countsTimer);
    this.flushUidList();
  }

  /** The folders a face shows: theirs are the counts kept current. */
  showFolders(paths: string[]): void {
    this.shownFolders = paths;
    this.countMissing();
  }

  /** Counts the shown folders that have no counts yet (a new folder, the first screen). */
  private countMissing(): void {
    const byPath = new Map(this.ctx.state.folders.map((f) => [f.path, f]));
    const missing = this.shownFolders.filter((path) => {
      const folder = byPath.get(path);
      return folder?.selectable && folder.total === undefined;
    });
    if (missing.length) this.startCountsRound(missing);
  }

  /**
   * Reads the counts of the folders on screen again (the timer and Ctrl-l): one
   * LIST-STATUS where the server has it and the account is small, else STATUS of
   * each shown folder, a few per turn of the queue.
   */
  refreshShownCounts(): void {
    const b = this.link.current;
    if (!b || this.link.closed || this.countsRound) return;
    if (b.capabilities.has('LIST-STATUS') && this.ctx.state.folders.length <= LIST_STATUS_MAX) {
      this.countsRound = [];
      void this.ctx.queue
        .run(async () => {
          if (!this.link.closed && b === this.link.current) await this.readFolders(b, 'cheap');
        })
        .catch((error) =>
          this.ctx.log.warn('folder counts failed', { message: (error as Error).message }),
        )
        .finally(() => {
          this.countsRound = null;
        });
      return;
    }
    const selectable = new Set(
      this.ctx.state.folders.filter((f) => f.selectable).map((f) => f.path),
    );
    // The open folder's counts follow its own news (EXISTS, EXPUNGE, FETCH); RFC 3501
    // asks clients not to STATUS the selected folder.
    this.startCountsRound(
      this.shownFolders.filter((path) => selectable.has(path) && path !== this.selected?.path),
    );
  }

  private startCountsRound(paths: string[]): void {
    const b = this.link.current;
    if (!b || this.link.closed) return;
    if (this.countsRound) {
      // Join the round under way rather than start a second one.
      for (const path of paths) if (!this.countsRound.includes(path)) this.countsRound.push(path);
      return;
    }
    this.countsRound = [...paths];
    this.nextCountsBatch(b);
  }

  /**
   * One queue task per few folders, the next queued only when this one is done:
   * a command the user gives meanwhile goes first, so counting never holds it up.
   */
  private nextCountsBatch(b: MailBackend): void {
    const round = this.countsRound;
    if (!round || !round.length || this.link.closed || b !== this.link.current) {
      this.countsRound = null;
      return;
    }
    const batch = round.splice(0, COUNTS_PER_TASK);
    void this.ctx.queue
      .run(async () => {
        for (const path of batch) {
          if (this.link.closed || b !== this.link.current) return;
          try {
            this.ctx.stats.statusCommands += 1;
            const counts = await b.folderCounts(path);
            this.ctx.emit({ type: 'folder-counts', path, ...counts });
          } catch (error) {
            this.ctx.log.warn('folder counts failed', {
              path,
              message: (error as Error).message,
            });
          }
        }
      })
      .catch(() => {})
      .finally(() => this.nextCountsBatch(b));
  }

  /**
   * Reads a folder's counts once the work queued now is done; several asks for
   * the same folder before then make one STATUS.
   */
  refreshCountsSoon(path: string): void {
    if (this.countsQueued.has(path)) return;
    this.countsQueued.add(path);
    void this.ctx.queue
      .run(async (signal) => {
        this.countsQueued.delete(path);
        const b = this.link.current;
        if (!b || signal.aborted) return;
        this.ctx.stats.statusCommands += 1;
        const counts = await b.folderCounts(path);
        this.ctx.emit({ type: 'folder-counts', path, ...counts });
      })
      .catch(() => {
        // Counts are a nicety; a failure here is not worth a message.
        this.countsQueued.delete(path);
      });
  }

  /** Reads a folder's counts now, in turn; a failure is ignored. */
  async refreshCounts(path: string): Promise<void> {
    try {
      const counts = await this.link.task((b) => b.folderCounts(path));
      this.ctx.emit({ type: 'folder-counts', path, ...counts });
    } catch {
      // Counts are a nicety; a failure here is not worth a message.
    }
  }

  // ---------------------------------------------------------------- the open folder

  async openFolder(action: ActionOf<'open-folder'>, signal?: AbortSignal): Promise<void> {
    const sort = action.sort ?? DEFAULT_SORT;
    const threaded = action.threaded ?? false;
    const search = action.search ?? null;
    const rows = action.rows ?? DEFAULT_FIRST_ROWS;
    // A \Noselect parent would only earn the server's refusal (typed at the c prompt).
    if (this.ctx.state.folders.find((f) => f.path === action.path)?.selectable === false) {
      throw new TmailError(
        'FOLDER_UNKNOWN',
        `${action.path} is a folder that holds only folders and cannot be opened.`,
      );
    }
    // Offline, or before the connection is up: what the cache holds of the folder.
    // The connection's catch-up brings it up to date (resyncView).
    if (!this.link.current && this.openFromCache(action)) return;
    if (
      !this.link.current &&
      this.local?.available &&
      this.ctx.state.connection.status === 'offline'
    )
      throw new TmailError(
        'OFFLINE',
        `${action.path} is not in the local cache, and the server cannot be reached now.`,
      );
    this.ctx.emit({ type: 'opening', path: action.path });
    this.ctx.emit({ type: 'progress', progress: { label: `Opening ${action.path}` } });
    try {
      await this.link.task(async (b) => {
        const { status, uids: listed } = await this.selectForView(b, action.path, []);
        // Folds last while the same folder is shown threaded again (another sort, new mail).
        const previous = this.ctx.state.view;
        if (
          !threaded ||
          action.folded !== undefined ||
          previous?.path !== status.path ||
          previous.uidValidity !== status.uidValidity
        )
          this.folding.reset(action.folded ?? false);
        this.selected = status;
        this.viewFromCache = false;
        // Known without reading when the cache kept the list and the re-sync told what
        // changed (and stored already, with the folder's new state).
        this.folderUids = listed;
        this.inflight.clear();
        // The old viewport described the old list; the face sends a new one.
        this.viewport = null;
        this.ctx.emit({
          type: 'view-opened',
          path: status.path,
          uidValidity: status.uidValidity,
          total: search ? 0 : status.exists,
          sort,
          threaded,
          search,
        });
        // The newest rows need no UID list: they are the last sequence numbers.
        if (!search && !threaded && sort.key === 'arrival' && status.exists > 0 && rows > 0) {
          const count = Math.min(rows, status.exists);
          const target = sort.reverse
            ? { seqFrom: status.exists - count + 1, seqTo: status.exists }
            : { seqFrom: 1, seqTo: count };
          const envelopes = await b.fetchEnvelopes(target);
          this.envelopesArrived(status.path, envelopes);
          const head = envelopes.map((e) => e.uid).sort((x, y) => (sort.reverse ? y - x : x - y));
          this.ctx.emit({
            type: 'view-uids',
            path: status.path,
            uids: head,
            complete: head.length >= status.exists,
          });
        }
      }, signal);
      if (action.list !== false) {
        await this.link.task((b) => this.loadList(b, { listKnown: true }), signal);
      }
    } finally {
      this.ctx.emit({ type: 'progress', progress: null });
      if (this.ctx.state.opening) this.ctx.emit({ type: 'opening', path: null });
    }
    this.scheduleViewportFetch();
  }

  /** Opens the view's folder again as it is shown (sort, threads, search). */
  reload(signal?: AbortSignal): Promise<void> {
    const view = this.ctx.state.view;
    if (!view) return Promise.resolve();
    return this.openFolder(
      {
        type: 'open-folder',
        path: view.path,
        sort: view.sort,
        threaded: view.threaded,
        search: view.search,
      },
      signal,
    );
  }

  /**
   * UIDs of the open folder matching `query` (the whole folder, one UID
   * SEARCH); without it, the rows of the open list (its search, or all).
   */
  searchUids(query: SearchQuery | undefined, signal?: AbortSignal): Promise<number[]> {
    this.ctx.currentView();
    const wanted = query ?? this.ctx.state.view?.search ?? undefined;
    return this.link.task((b) => b.searchUids(wanted), signal);
  }

  /** Folds or unfolds threads of the open list (all when `uids` is absent); no server command. */
  fold(mode: FoldMode, uids: number[] | undefined): void {
    const view = this.ctx.state.view;
    const rows = view?.threaded ? this.folding.fold(mode, uids) : null;
    if (!view || !rows)
      throw new TmailError('USAGE', 'The list is not shown as threads; :thread turns them on.');
    this.ctx.emit({ type: 'view-uids', path: view.path, complete: true, ...rows });
    this.scheduleViewportFetch();
  }

  /**
   * Sets the UID list of the open view in display order (no per-message data).
   * The folder's whole list is read (UID SEARCH) unless `listKnown` says the
   * one held is current (worked out on opening, or just brought up to date);
   * sorted, threaded and searched views then still ask the server their order.
   */
  async loadList(b: MailBackend, options: { listKnown?: boolean } = {}): Promise<void> {
    const view = this.ctx.state.view;
    const status = this.selected;
    if (!view || !status || view.path !== status.path) return;
    if (!options.listKnown || !this.folderUids) {
      this.ctx.stats.uidListReads += 1;
      this.folderUids = await b.searchUids();
      this.uidListChanged(true);
    }
    const search = view.search ?? undefined;
    let uids: number[];
    let threadRows: Omit<ThreadRows, 'uids'> | undefined;
    if (view.threaded) {
      const threads = await b.threadUids(search);
      let flat: FlatThreads;
      if (threads) {
        flat = flattenThreads(threads, view.sort.reverse);
      } else {
        this.ctx.notice(
          'info',
          'This server cannot thread messages; threads are made here from the messages loaded so far.',
        );
        flat = this.clientThreads(
          await this.arrivalOrder(b, search, view.sort.reverse),
          view.sort.reverse,
        );
      }
      ({ uids, ...threadRows } = this.folding.setTree(flat));
    } else if (view.sort.key === 'arrival') {
      uids = await this.arrivalOrder(b, search, view.sort.reverse);
    } else {
      const sorted = await b.sortUids(view.sort, search);
      if (sorted) {
        uids = sorted;
      } else {
        this.ctx.notice(
          'info',
          `This server cannot sort by ${view.sort.key}; the messages loaded so far are sorted here, the rest follow by arrival.`,
        );
        uids = sortKnownEnvelopes(
          await this.arrivalOrder(b, search, view.sort.reverse),
          this.ctx.state.view?.envelopes ?? new Map(),
          view.sort,
        );
      }
    }
    this.ctx.emit({ type: 'view-uids', path: view.path, uids, complete: true, ...threadRows });
  }

  /**
   * Threads for a server without THREAD: built from the envelopes known so far;
   * messages not yet seen stand alone, in arrival order.
   */
  private clientThreads(arrival: number[], reverse: boolean): FlatThreads {
    const envelopes = this.ctx.state.view?.envelopes ?? new Map<number, Envelope>();
    const known = arrival.flatMap((uid) => envelopes.get(uid) ?? []);
    const roots = [
      ...threadEnvelopes(known),
      ...arrival.filter((uid) => !envelopes.has(uid)).map((uid) => ({ uid, children: [] })),
    ];
    return flattenThreads(roots, reverse);
  }

  private async arrivalOrder(
    b: MailBackend,
    search: SearchQuery | undefined,
    reverse: boolean,
  ): Promise<number[]> {
    const ascending = search
      ? await b.searchUids(search)
      : [...(this.folderUids ?? (await b.searchUids()))];
    const status = this.selected;
    const restored = status && this.restoredOrder.get(status.path);
    if (restored?.keys.size && status) {
      if (restored.uidValidity && restored.uidValidity !== status.uidValidity) {
        this.restoredOrder.delete(status.path);
      } else {
        const key = (uid: number) => restored.keys.get(uid) ?? uid;
        ascending.sort((x, y) => key(x) - key(y));
      }
    }
    return reverse ? ascending.reverse() : ascending;
  }

  /** Arrival-order keys of messages put back by undo in `path` (new UID -> the UID it had). */
  restoredOrderOf(path: string, uidValidity: string | undefined): Map<number, number> {
    let entry = this.restoredOrder.get(path);
    if (!entry || (uidValidity && entry.uidValidity && entry.uidValidity !== uidValidity)) {
      entry = { uidValidity, keys: new Map() };
      this.restoredOrder.set(path, entry);
    }
    entry.uidValidity ??= uidValidity;
    return entry.keys;
  }

  /** After a reconnect: re-select the view's folder and catch up with what changed meanwhile. */
  async resyncView(b: MailBackend): Promise<void> {
    const view = this.ctx.state.view;
    if (!view) return;
    let status: FolderStatus;
    let resync: FolderResync | null;
    let listed: number[] | null;
    try {
      ({
        status,
        resync,
        uids: listed,
      } = await this.selectForView(b, view.path, [...view.envelopes.keys()]));
    } catch (error) {
      this.viewFromCache = false;
      this.ctx.notice('error', toTmailError(error).userMessage);
      this.ctx.emit({ type: 'view-closed' });
      return;
    }
    this.selected = status;
    this.viewFromCache = false;
    this.folderUids = null;
    if (resync && !resync.uidValidityChanged && status.uidValidity === view.uidValidity) {
      // In place: the rows on screen change where they are, nothing is read again.
      this.folderUids = listed;
      await this.applyResync(b, view.path, resync);
    } else if (status.uidValidity !== view.uidValidity) {
      // The UIDs we hold now name other messages: start the folder again.
      this.ctx.notice('info', `${view.path} was rebuilt on the server; it has been read again.`);
      this.ctx.emit({
        type: 'view-opened',
        path: view.path,
        uidValidity: status.uidValidity,
        total: status.exists,
        sort: view.sort,
        threaded: view.threaded,
        search: view.search,
      });
      this.inflight.clear();
    } else {
      const known = [...view.envelopes.keys()];
      if (known.length) {
        const flags = await b.fetchFlags(known);
        this.ctx.emit({
          type: 'flags',
          path: view.path,
          changes: [...flags].map(([uid, f]) => ({ uid, flags: f })),
        });
        const gone = known.filter((uid) => !flags.has(uid));
        if (gone.length) this.ctx.emit({ type: 'messages-removed', path: view.path, uids: gone });
      }
    }
    await this.loadList(b, { listKnown: true });
    this.scheduleViewportFetch();
  }

  /** What a re-sync found, shown in the open view: flags, removals, new mail. */
  private async applyResync(
    b: MailBackend,
    path: string,
    resync: Extract<FolderResync, { uidValidityChanged: false }>,
  ): Promise<void> {
    if (resync.changed.size) {
      this.ctx.emit({
        type: 'flags',
        path,
        changes: [...resync.changed].map(([uid, s]) => ({ uid, ...s })),
      });
    }
    if (resync.vanished.length) this.forgetUids(path, resync.vanished);
    const view = this.ctx.state.view;
    if (resync.added.length && view?.path === path) {
      const envelopes = await b.fetchEnvelopes({ uids: resync.added });
      this.envelopesArrived(path, envelopes);
      if (!view.search && !view.threaded && view.sort.key === 'arrival') {
        const ordered = envelopes.map((e) => e.uid).sort((x, y) => x - y);
        this.ctx.emit({
          type: 'messages-added',
          path,
          uids: view.sort.reverse ? ordered.reverse() : ordered,
          position: view.sort.reverse ? 'top' : 'bottom',
        });
      }
    }
    this.refreshCountsSoon(path);
  }

  // ---------------------------------------------------------------- the viewport

  /** The rows a face shows (and how many either side to fetch ahead). */
  setViewport(range: RowRange & { margin?: number }): void {
    this.viewport = range;
    if (!this.link.current) this.fillFromCache();
    this.scheduleViewportFetch();
  }

  /** Fetches what the viewport lacks; coalesces bursts of viewport changes into one fetch. */
  scheduleViewportFetch(): void {
    if (this.viewportScheduled || !this.viewport || !this.link.current) return;
    this.viewportScheduled = true;
    void this.ctx.queue
      .run(async () => {
        this.viewportScheduled = false;
        const view = this.ctx.state.view;
        const range = this.viewport;
        const b = this.link.current;
        if (!view || !range || !b || view.path !== this.selected?.path) return;
        const margin = range.margin ?? Math.max(10, range.last - range.first + 1);
        const rows = wantedRows(view, range, margin);
        if (!rows) return;
        const missing = missingUids(view, rows, this.inflight);
        if (!missing.length) return;
        for (const uid of missing) this.inflight.add(uid);
        try {
          const envelopes = await b.fetchEnvelopes({ uids: missing });
          this.envelopesArrived(view.path, envelopes);
          const fetched = new Set(envelopes.map((e) => e.uid));
          const vanished = missing.filter((uid) => !fetched.has(uid));
          // Listed but gone from the server: expunged by someone while we did not look.
          if (vanished.length) this.forgetUids(view.path, vanished);
          const previews = await b.fetchPreviews(envelopes.map((e) => e.uid));
          if (previews.size) this.ctx.emit({ type: 'previews', path: view.path, previews });
        } finally {
          for (const uid of missing) this.inflight.delete(uid);
        }
      })
      .catch((error) => {
        this.viewportScheduled = false;
        this.ctx.log.warn('viewport fetch failed', { message: (error as Error).message });
      });
  }

  // ---------------------------------------------------------------- the server's news

  /** A push about the selected folder: new mail, an expunge, a flag change. */
  pushed(source: MailBackend, event: Exclude<BackendEvent, { type: 'closed' }>): void {
    if (!this.selected || event.path !== this.selected.path) return;
    switch (event.type) {
      case 'exists':
        if (event.count > event.prevCount) {
          void this.ctx.queue
            .run(() => this.fetchNewMessages(source))
            .catch((e) => this.ctx.log.warn('new mail fetch failed', e));
        }
        return;
      case 'expunge': {
        let uid = event.uid;
        if (uid === undefined && event.seq !== undefined && this.folderUids)
          uid = this.folderUids[event.seq - 1];
        if (uid === undefined) {
          // Without a UID list the sequence number cannot be mapped: read the list once
          // after the command under way, however many EXPUNGEs it brings (a move of 100
          // on a server without QRESYNC sends 100).
          this.reloadListSoon(source);
          this.refreshCountsSoon(event.path);
          return;
        }
        this.forgetUids(event.path, [uid]);
        // The unread count follows (the removed message may never have been fetched).
        this.refreshCountsSoon(event.path);
        return;
      }
      case 'flags': {
        const uid = event.uid ?? this.folderUids?.[event.seq - 1];
        if (uid !== undefined)
          this.ctx.emit({
            type: 'flags',
            path: event.path,
            changes: [{ uid, flags: event.flags, modseq: event.modseq }],
          });
        // The reducer counts only changes to envelopes it holds.
        if (uid === undefined || !this.ctx.state.view?.envelopes.has(uid))
          this.refreshCountsSoon(event.path);
        return;
      }
    }
  }

  /** Queues one reading of the UID list, unless one is queued already. */
  private reloadListSoon(source: MailBackend): void {
    if (this.listReloadQueued) return;
    this.listReloadQueued = true;
    void this.ctx.queue
      .run(async () => {
        this.listReloadQueued = false;
        if (source === this.link.current) await this.loadList(source);
      })
      .catch(() => {
        this.listReloadQueued = false;
      });
  }

  private async fetchNewMessages(b: MailBackend): Promise<void> {
    const view = this.ctx.state.view;
    const status = this.selected;
    if (!status || !this.folderUids || b !== this.link.current) return;
    const last = this.folderUids.length ? this.folderUids[this.folderUids.length - 1]! : 0;
    const envelopes = (await b.fetchEnvelopes({ uidsFrom: last + 1 })).filter((e) => e.uid > last);
    if (!envelopes.length) return;
    const uids = envelopes.map((e) => e.uid).sort((x, y) => x - y);
    this.folderUids.push(...uids);
    this.uidListChanged();
    const unseen = envelopes.filter((e) => !e.flags.includes(SEEN)).length;
    const folder = this.ctx.state.folders.find((f) => f.path === status.path);
    this.ctx.emit({
      type: 'folder-counts',
      path: status.path,
      total: this.folderUids.length,
      unread: (folder?.unread ?? 0) + unseen,
    });
    if (!view || view.path !== status.path) {
      this.countEnvelopes(envelopes.length);
      return;
    }
    this.envelopesArrived(view.path, envelopes);
    if (!view.search && !view.threaded && view.sort.key === 'arrival') {
      const ordered = view.sort.reverse ? [...uids].reverse() : uids;
      this.ctx.emit({
        type: 'messages-added',
        path: view.path,
        uids: ordered,
        position: view.sort.reverse ? 'top' : 'bottom',
      });
    } else {
      // The folder's list is current (the new UIDs went in above): only the order is asked.
      await this.loadList(b, { listKnown: true });
    }
    this.ctx.notice('info', `${plural(envelopes.length, 'new message')} in ${view.path}.`);
    this.onNewMail?.();
  }

  /**
   * Forgets UIDs the server says the folder no longer holds, but only those this
   * engine listed: a UID the user made up must not shrink the counts.
   */
  forgetGone(path: string, uids: number[]): void {
    const view = this.ctx.state.view;
    if (!uids.length || !view || view.path !== path) return;
    const known = new Set([...view.uids, ...view.envelopes.keys(), ...(this.folderUids ?? [])]);
    this.forgetUids(
      path,
      uids.filter((uid) => known.has(uid)),
    );
  }

  /** Removes UIDs from the folder list and the view (after an expunge or a move). */
  forgetUids(path: string, uids: number[]): void {
    if (!uids.length) return;
    if (this.folderUids && this.selected?.path === path) {
      const gone = new Set(uids);
      this.folderUids = this.folderUids.filter((uid) => !gone.has(uid));
      this.uidListChanged();
    }
    this.ctx.emit({ type: 'messages-removed', path, uids });
  }

  // ---------------------------------------------------------------- where a local store plugs in

  /** Every folder list the server gives passes here (the cache's writer keeps it). */
  private foldersArrived(folders: Mailbox[]): void {
    this.ctx.emit({ type: 'folders', folders });
  }

  /** Every batch of envelopes the server gives for the view passes here. */
  private envelopesArrived(path: string, envelopes: Envelope[]): void {
    this.countEnvelopes(envelopes.length);
    this.ctx.emit({ type: 'envelopes', path, envelopes });
  }

  private countEnvelopes(count: number): void {
    this.ctx.stats.envelopesFetched += count;
    this.ctx.stats.envelopeCommands += 1;
  }
}

/** What a list written to the cache builds on: the folder and its SELECT's HIGHESTMODSEQ. */
function basisOf(status: FolderStatus): {
  path: string;
  uidValidity: string;
  highestModseq?: string;
} {
  return {
    path: status.path,
    uidValidity: status.uidValidity,
    ...(status.highestModseq === undefined ? {} : { highestModseq: status.highestModseq }),
  };
}

const ROLE_ORDER: Record<string, number> = {
  inbox: 0,
  drafts: 1,
  sent: 2,
  archive: 3,
  flagged: 4,
  all: 5,
  junk: 6,
  trash: 7,
};

/** INBOX and the special folders first, then the rest by path (children after parents). */
export function sortFolders(folders: Mailbox[]): Mailbox[] {
  return [...folders].sort((a, b) => {
    const ra = a.role && a.parentPath === null ? (ROLE_ORDER[a.role] ?? 50) : 50;
    const rb = b.role && b.parentPath === null ? (ROLE_ORDER[b.role] ?? 50) : 50;
    if (ra !== rb) return ra - rb;
    return a.path.localeCompare(b.path, undefined, { sensitivity: 'base' });
  });
}
