/**
 * The mail engine of one account: the only thing the faces talk to.
 *
 * Requests come in through `dispatch(action)` and run one at a time on the
 * account's connection (a serial queue). Results and server pushes become
 * events, and one pure reducer turns events into store snapshots. Mutations
 * are applied to the snapshot first and reverted if the server refuses; flag
 * changes made while offline wait on disk and are replayed on reconnect.
 *
 * Work follows the viewport: opening a folder reads its size and the newest
 * rows by sequence number, then the UID list (ESEARCH: one compact set, no
 * per-message data); envelopes are fetched only for rows around the viewport.
 */
import { mkdir } from 'node:fs/promises';
import { pipeline, Readable, Transform } from 'node:stream';
import type { AccountConfig } from '../config/types.js';
import { TmailError, toTmailError } from '../errors.js';
import type { EngineEvent } from '../events.js';
import { createLogger } from '../log.js';
import { statePath } from '../paths.js';
import { DEFAULT_SORT, type MailState } from '../store/state.js';
import { MailStore } from '../store/store.js';
import { missingUids, wantedRows, type RowRange } from '../store/window.js';
import {
  DELETED,
  SEEN,
  type Attachment,
  type Envelope,
  type Flag,
  type FolderRole,
  type Mailbox,
  type MessageView,
  type SearchQuery,
} from '../types.js';
import type {
  ActionOf,
  ActionResults,
  ActionType,
  DispatchResult,
  EngineAction,
} from './actions.js';
import type {
  BackendEvent,
  BackendFactory,
  FolderStatus,
  MailBackend,
  MessageSkeleton,
  UidMap,
} from './backend.js';
import {
  leftMarkedSentence,
  notFoundSentence,
  plural,
  type ChangeOutcome,
  type MoveOutcome,
} from './outcome.js';
import { PendingFlagQueue } from './pending-flags.js';
import { describeRefusals, replayFolder, type Refusal } from './replay-flags.js';
import { SerialQueue } from './queue.js';
import { expungeExactly, moveExactly } from './removal.js';
import { flattenThreads, sortKnownEnvelopes, threadEnvelopes } from './threads.js';
import {
  envelopeKey,
  outcomeUnknown,
  settledNotice,
  settleMove,
  type UnsettledMove,
} from './unsettled-moves.js';

/** What the attachments of one message are read from, fetched once for all of them. */
interface AttachmentSource {
  skeleton: MessageSkeleton;
  /** The whole message, needed only for files uuencoded inside a text part. */
  source?: Buffer;
}

/** Messages up to this size are fetched whole to read (best fidelity); larger ones part by part. */
const WHOLE_MESSAGE_LIMIT = 256 * 1024;
/** Cap on each text part fetched to read a large message. */
const TEXT_PART_CAP = 512 * 1024;
/** Cap on an attached message fetched to be read. */
const ATTACHED_MESSAGE_CAP = 32 * 1024 * 1024;
const DEFAULT_FIRST_ROWS = 100;

/** MIME decoding loads on first use: mailparser costs start-up time a list does not need. */
function loadMime() {
  return import('../mime/index.js');
}
function loadSave() {
  return import('../mime/save.js');
}
/** Defaults of the account settings countsSeconds and pollSeconds. */
const DEFAULT_COUNTS_SECONDS = 60;
const DEFAULT_POLL_SECONDS = 30;
/** STATUS commands per queue task: small, so that user commands wait for few of them. */
const COUNTS_PER_TASK = 4;
/** Up to this many folders one LIST-STATUS refreshes every count; above, STATUS of the shown ones. */
const LIST_STATUS_MAX = 500;
const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
/** How often offline changes the disk refused are written again. */
const UNSAVED_RETRY_MS = 30_000;
/**
 * A connection must last this long before the back-off starts again from its
 * first step: a server that accepts the login and then breaks every
 * connection (a refused response, a crash) is otherwise retried every second.
 */
const STABLE_CONNECTION_MS = 60_000;

export interface EngineOptions {
  account: AccountConfig;
  backendFactory: BackendFactory;
  /** File of the offline flag-change queue; default `$XDG_STATE_HOME/tmail/pending/<account>.json`. */
  pendingFile?: string;
  /** Reconnect back-off in ms; the last value repeats. */
  reconnectDelaysMs?: number[];
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
}

type UndoEntry =
  | {
      kind: 'flags';
      label: string;
      path: string;
      uidValidity: string;
      restore: Array<{ uids: number[]; add: Flag[]; remove: Flag[] }>;
    }
  | { kind: 'move'; label: string; from: string; to: string; uidMap: UidMap };

/** Counters for tests and benchmarks: how much was asked of the server. */
export interface EngineStats {
  envelopesFetched: number;
  envelopeCommands: number;
  storeCommands: number;
  /** Readings of a whole folder's UID list (UID SEARCH ALL). */
  uidListReads: number;
  /** STATUS commands for folder counts. */
  statusCommands: number;
}

export class MailEngine {
  readonly store: MailStore;
  readonly stats: EngineStats = {
    envelopesFetched: 0,
    envelopeCommands: 0,
    storeCommands: 0,
    uidListReads: 0,
    statusCommands: 0,
  };
  readonly account: AccountConfig;

  private readonly log;
  private readonly queue = new SerialQueue();
  private readonly pending: PendingFlagQueue;
  private unsavedTimer: NodeJS.Timeout | null = null;
  private readonly backendFactory: BackendFactory;
  private readonly reconnectDelays: number[];
  private backend: MailBackend | null = null;
  private unsubscribe: (() => void) | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private connectedAt = 0;
  private closed = false;
  private retry = true;
  private loadFolders = true;

  /** Ascending UIDs of the whole selected folder, for sequence-number mapping and new mail. */
  private folderUids: number[] | null = null;
  private selected: FolderStatus | null = null;
  private readonly inflight = new Set<number>();
  private viewport: (RowRange & { margin?: number }) | null = null;
  private viewportScheduled = false;
  private listReloadQueued = false;
  /** Paths of the folders a face shows (the sidebar's rows). */
  private shownFolders: string[] = [];
  /** Folders still to count in the round under way; null when none is. */
  private countsRound: string[] | null = null;
  private countsTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollQueued = false;
  private readonly countsQueued = new Set<string>();
  /** Per folder: where messages put back by undo belong in arrival order. */
  private readonly restoredOrder = new Map<
    string,
    { uidValidity: string | undefined; keys: Map<number, number> }
  >();
  private readonly undoStack: UndoEntry[] = [];
  /** Moves cut off by a lost connection, checked on the server once reconnected. */
  private readonly unsettledMoves: UnsettledMove[] = [];
  /** Private temp files of opened attachments, removed on close. */
  private readonly tempFiles: Array<() => Promise<void>> = [];

  constructor(options: EngineOptions) {
    this.account = options.account;
    this.store = new MailStore(options.account.name);
    this.backendFactory = options.backendFactory;
    this.reconnectDelays = options.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
    this.pending = new PendingFlagQueue(
      options.pendingFile ??
        statePath('pending', `${encodeURIComponent(options.account.name)}.json`),
    );
    this.log = createLogger(`engine:${options.account.name}`);
    this.emitQueued();
  }

  get state(): MailState {
    return this.store.getSnapshot();
  }

  /** What the server offers after login (upper case); empty while offline. */
  get capabilities(): ReadonlySet<string> {
    return this.backend?.capabilities ?? new Set<string>();
  }

  private emit(event: EngineEvent): void {
    this.store.apply(event);
  }

  private notice(kind: 'info' | 'error', text: string): void {
    this.emit({ type: 'notice', notice: { kind, text, at: Date.now() } });
  }

  // ---------------------------------------------------------------- connection

  /**
   * Connects and reads the folder list. With `retry`, failures leave the engine
   * offline and retrying in the background; without, the first failure rejects.
   */
  async start(options: StartOptions = { retry: true }): Promise<void> {
    this.retry = options.retry;
    this.loadFolders = options.folders ?? true;
    if (options.watch ?? options.retry) this.startWatching();
    if (!options.retry) {
      await this.connect();
      return;
    }
    void this.connect().catch(() => {});
  }

  private connect(): Promise<void> {
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    if (this.closed) return;
    this.emit({ type: 'connection', state: { status: 'connecting' } });
    let backend: MailBackend;
    try {
      backend = await this.backendFactory();
      await backend.connect();
    } catch (error) {
      const e = toTmailError(error);
      this.log.warn('connect failed', { code: e.code, message: e.message });
      this.goOffline(e.userMessage, isPermanent(e));
      throw e;
    }
    if (this.closed) {
      await backend.logout();
      return;
    }
    this.backend = backend;
    this.connectedAt = Date.now();
    this.unsubscribe = backend.onEvent((event) => this.onBackendEvent(backend, event));
    // Only a view from before this connection needs catching up; one opened once
    // we are online (a face reacts to the event below) is fresh already.
    const staleView = this.state.view;
    this.emit({ type: 'connection', state: { status: 'online' } });
    this.log.info('online', { capabilities: [...backend.capabilities].join(' ') });
    await this.queue.run(async () => {
      await this.replayPending(backend);
      await this.settleMoves(backend);
      if (this.loadFolders) {
        // Counts come with the list only where one LIST-STATUS gives them; otherwise the
        // folders on screen are counted a few at a time (50,000 STATUS in a row held
        // every command, quitting included, for more than half an hour).
        await this.readFolders(backend, 'cheap');
      }
      // In the same turn of the queue: a request made as soon as the state says
      // online must find the open folder selected again, not run before it is.
      if (staleView && this.state.view === staleView) await this.resyncView(backend);
    });
  }

  private goOffline(reason: string, permanent: boolean): void {
    if (this.closed) return;
    if (permanent || !this.retry) {
      this.emit({ type: 'connection', state: { status: 'offline', reason } });
      return;
    }
    const delay =
      this.reconnectDelays[Math.min(this.reconnectAttempt, this.reconnectDelays.length - 1)]!;
    this.reconnectAttempt++;
    const retryAt = Date.now() + delay;
    this.emit({ type: 'connection', state: { status: 'offline', reason, retryAt } });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect().catch(() => {});
    }, delay);
    this.reconnectTimer.unref?.();
  }

  /** Tries to reconnect now (a face's "retry" key). */
  reconnect(): void {
    if (this.backend || this.closed) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.retry = true;
    void this.connect().catch(() => {});
  }

  private onBackendEvent(source: MailBackend, event: BackendEvent): void {
    // A previous connection's late events must not touch the new state.
    if (source !== this.backend) return;
    switch (event.type) {
      case 'closed':
        this.backend = null;
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.selected = null;
        if (Date.now() - this.connectedAt >= STABLE_CONNECTION_MS) this.reconnectAttempt = 0;
        if (!this.closed) {
          this.log.warn('connection closed', { reason: event.reason });
          this.goOffline(event.reason ?? 'The connection to the server was closed.', false);
        }
        return;
      case 'exists':
        if (this.selected && event.path === this.selected.path && event.count > event.prevCount) {
          void this.queue
            .run(() => this.fetchNewMessages(source))
            .catch((e) => this.log.warn('new mail fetch failed', e));
        }
        return;
      case 'expunge': {
        if (!this.selected || event.path !== this.selected.path) return;
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
        if (!this.selected || event.path !== this.selected.path) return;
        const uid = event.uid ?? this.folderUids?.[event.seq - 1];
        if (uid !== undefined)
          this.emit({
            type: 'flags',
            path: event.path,
            changes: [{ uid, flags: event.flags, modseq: event.modseq }],
          });
        // The reducer counts only changes to envelopes it holds.
        if (uid === undefined || !this.state.view?.envelopes.has(uid))
          this.refreshCountsSoon(event.path);
        return;
      }
    }
  }

  /** Queues one reading of the UID list, unless one is queued already. */
  private reloadListSoon(source: MailBackend): void {
    if (this.listReloadQueued) return;
    this.listReloadQueued = true;
    void this.queue
      .run(async () => {
        this.listReloadQueued = false;
        if (source === this.backend) await this.loadList(source);
      })
      .catch(() => {
        this.listReloadQueued = false;
      });
  }

  /**
   * Forgets UIDs the server says the folder no longer holds, but only those this
   * engine listed: a UID the user made up must not shrink the counts.
   */
  private forgetGone(path: string, uids: number[]): void {
    const view = this.state.view;
    if (!uids.length || !view || view.path !== path) return;
    const known = new Set([...view.uids, ...view.envelopes.keys(), ...(this.folderUids ?? [])]);
    this.forgetUids(
      path,
      uids.filter((uid) => known.has(uid)),
    );
  }

  /** Removes UIDs from the folder list and the view (after an expunge or a move). */
  private forgetUids(path: string, uids: number[]): void {
    if (!uids.length) return;
    if (this.folderUids && this.selected?.path === path) {
      const gone = new Set(uids);
      this.folderUids = this.folderUids.filter((uid) => !gone.has(uid));
    }
    this.emit({ type: 'messages-removed', path, uids });
  }

  private requireBackend(): MailBackend {
    if (this.backend) return this.backend;
    const connection = this.state.connection;
    const reason =
      connection.status === 'offline' ? ` (${connection.reason.replace(/\.$/, '')})` : '';
    throw new TmailError(
      'OFFLINE',
      `tmail is offline${reason}; it will retry, or press the reconnect key.`,
    );
  }

  /** Runs work on the connection, in order with everything else. */
  private task<T>(
    work: (backend: MailBackend, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.queue.run((s) => work(this.requireBackend(), s), signal);
  }

  /** Logs out and stops retrying. */
  async close(): Promise<void> {
    this.closed = true;
    // Queued count work sees `closed` and does nothing: quitting waits for no STATUS.
    this.countsRound = null;
    if (this.countsTimer) clearInterval(this.countsTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.unsavedTimer) clearInterval(this.unsavedTimer);
    this.pending.flush();
    await this.queue.idle().catch(() => {});
    const backend = this.backend;
    this.backend = null;
    this.unsubscribe?.();
    if (backend) await backend.logout();
    await Promise.all(this.tempFiles.splice(0).map((cleanup) => cleanup().catch(() => {})));
    this.emit({ type: 'connection', state: { status: 'closed' } });
  }

  /** Shows the outbox's state (sending counts it; the status line shows it). */
  reportOutbox(status: { waiting: number; needsYou: number }): void {
    this.emit({ type: 'outbox', ...status });
  }

  /** Resolves when no request is queued or running (for tests and the CLI). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  // ---------------------------------------------------------------- dispatch

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
      this.log.warn(`${action.type} failed`, {
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

  private async run(action: EngineAction, signal?: AbortSignal): Promise<unknown> {
    switch (action.type) {
      case 'refresh-folders':
        return this.task(
          (b) => this.readFolders(b, action.counts === false ? 'none' : 'all'),
          signal,
        );
      case 'shown-folders':
        this.showFolders(action.paths);
        return;
      case 'open-folder':
        return this.openFolder(action, signal);
      case 'reload': {
        const view = this.state.view;
        if (!view) return;
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
      case 'viewport':
        this.viewport = { first: action.first, last: action.last, margin: action.margin };
        this.scheduleViewportFetch();
        return;
      case 'set-flags':
        return this.setFlags(
          action.uids,
          action.add ?? [],
          action.remove ?? [],
          action.undoable ?? true,
          signal,
        );
      case 'delete':
        return this.deleteMessages(action.uids, signal);
      case 'move':
        return this.moveMessages(action.uids, action.to, signal);
      case 'copy':
        return this.copyMessages(action.uids, action.to, signal);
      case 'archive': {
        const allMail = await this.allMailInsteadOfArchive(signal);
        if (allMail) return this.removeIntoAllMail(action.uids, allMail, signal);
        const to = await this.folderFor('archive', signal);
        return this.moveMessages(action.uids, to, signal);
      }
      case 'count-deleted':
        this.currentView();
        return this.task(async (b) => (await b.searchUids({ flagged: [DELETED] })).length, signal);
      case 'search-uids': {
        this.currentView();
        const query = action.query ?? this.state.view?.search ?? undefined;
        return this.task((b) => b.searchUids(query), signal);
      }
      case 'expunge':
        return this.expunge(action.uids, signal);
      case 'undo':
        return this.undo(signal);
      case 'create-folder':
        await this.task((b) => b.createFolder(action.path), signal);
        await this.task((b) => this.readFolders(b, 'cheap'), signal);
        return;
      case 'rename-folder':
        await this.task((b) => b.renameFolder(action.path, action.to), signal);
        await this.task((b) => this.readFolders(b, 'cheap'), signal);
        return;
      case 'delete-folder': {
        const left = await this.task((b) => b.deleteFolder(action.path), signal);
        await this.task((b) => this.readFolders(b, 'cheap'), signal);
        if (!left) return { notice: null };
        const container = left.some((flag) => /^\\(noselect|nonexistent)$/i.test(flag));
        return {
          notice: container
            ? `Deleted the mail of ${action.path}; the server keeps it as a folder that holds only its subfolders.`
            : `Deleted the mail of ${action.path}; the server keeps it, empty, for its subfolders.`,
        };
      }
      case 'read':
        return this.read(action.uid, action.peek ?? false, signal);
      case 'source':
        return this.task((b) => b.fetchSource(action.uid), signal);
      case 'save-attachment':
        return this.saveAttachment(action.uid, action.attachmentId, action.dir, signal);
      case 'save-attachments':
        return this.saveAllAttachments(action.uid, action.dir, signal);
      case 'open-attachment':
        return this.openAttachment(action.uid, action.attachmentId, signal);
      case 'read-attached':
        return this.readAttached(action.uid, action.attachmentId, signal);
      case 'append': {
        const path =
          typeof action.folder === 'string'
            ? action.folder
            : await this.folderFor(action.folder.role, signal);
        const uid = await this.task((b) => b.append(path, action.raw, action.flags ?? []), signal);
        if (path !== this.selected?.path) void this.refreshCounts(path);
        return uid;
      }
      case 'fetch-remote':
        return this.fetchRemote(action.folder, action.uid, action.part, signal);
      case 'remove-message':
        return this.removeMessage(action.folder, action.uid, signal);
      case 'flag-in-folder':
        return this.flagInFolder(
          action.folder,
          action.uid,
          action.add ?? [],
          action.remove ?? [],
          signal,
        );
      case 'poll':
        if (!this.backend) {
          this.reconnect();
          return;
        }
        await this.task((b) => b.poll(), signal);
        this.refreshShownCounts();
        return;
    }
  }

  // ---------------------------------------------------------------- counts and polling

  /** Timers: counts of the folders on screen, and news of the open folder without IDLE. */
  private startWatching(): void {
    const countsMs = (this.account.countsSeconds ?? DEFAULT_COUNTS_SECONDS) * 1000;
    const pollMs = (this.account.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
    this.countsTimer ??= setInterval(() => this.refreshShownCounts(), countsMs);
    this.countsTimer.unref?.();
    this.pollTimer ??= setInterval(() => this.pollWithoutIdle(), pollMs);
    this.pollTimer.unref?.();
  }

  /**
   * Reads the folder list. `all`: with every folder's counts (LIST-STATUS, else a
   * STATUS each: what `tmail folders` prints); `cheap`: counts only when LIST-STATUS
   * gives them in one command; `none`: no counts. Counts already known are kept.
   */
  private async readFolders(b: MailBackend, counts: 'all' | 'cheap' | 'none'): Promise<Mailbox[]> {
    const withCounts =
      counts === 'all' || (counts === 'cheap' && b.capabilities.has('LIST-STATUS'));
    const listed = await b.listFolders({ counts: withCounts });
    const known = new Map(this.state.folders.map((f) => [f.path, f]));
    const folders = sortFolders(
      listed.map((folder) => {
        const before = known.get(folder.path);
        return folder.total === undefined && before?.total !== undefined
          ? { ...folder, total: before.total, unread: before.unread }
          : folder;
      }),
    );
    this.emit({ type: 'folders', folders });
    if (!withCounts) this.countMissing();
    return folders;
  }

  /** The folders a face shows: theirs are the counts kept current. */
  private showFolders(paths: string[]): void {
    this.shownFolders = paths;
    this.countMissing();
  }

  /** Counts the shown folders that have no counts yet (a new folder, the first screen). */
  private countMissing(): void {
    const byPath = new Map(this.state.folders.map((f) => [f.path, f]));
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
  private refreshShownCounts(): void {
    const b = this.backend;
    if (!b || this.closed || this.countsRound) return;
    if (b.capabilities.has('LIST-STATUS') && this.state.folders.length <= LIST_STATUS_MAX) {
      this.countsRound = [];
      void this.queue
        .run(async () => {
          if (!this.closed && b === this.backend) await this.readFolders(b, 'cheap');
        })
        .catch((error) =>
          this.log.warn('folder counts failed', { message: (error as Error).message }),
        )
        .finally(() => {
          this.countsRound = null;
        });
      return;
    }
    const selectable = new Set(this.state.folders.filter((f) => f.selectable).map((f) => f.path));
    // The open folder's counts follow its own news (EXISTS, EXPUNGE, FETCH); RFC 3501
    // asks clients not to STATUS the selected folder.
    this.startCountsRound(
      this.shownFolders.filter((path) => selectable.has(path) && path !== this.selected?.path),
    );
  }

  private startCountsRound(paths: string[]): void {
    const b = this.backend;
    if (!b || this.closed) return;
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
    if (!round || !round.length || this.closed || b !== this.backend) {
      this.countsRound = null;
      return;
    }
    const batch = round.splice(0, COUNTS_PER_TASK);
    void this.queue
      .run(async () => {
        for (const path of batch) {
          if (this.closed || b !== this.backend) return;
          try {
            this.stats.statusCommands += 1;
            const counts = await b.folderCounts(path);
            this.emit({ type: 'folder-counts', path, ...counts });
          } catch (error) {
            this.log.warn('folder counts failed', { path, message: (error as Error).message });
          }
        }
      })
      .catch(() => {})
      .finally(() => this.nextCountsBatch(b));
  }

  /** Without IDLE, a NOOP now and then brings the open folder's news (imapflow's own comes every 2 minutes). */
  private pollWithoutIdle(): void {
    const b = this.backend;
    if (!b || this.closed || b.capabilities.has('IDLE') || !this.selected || this.pollQueued)
      return;
    this.pollQueued = true;
    void this.queue
      .run(async () => {
        this.pollQueued = false;
        if (b === this.backend) await b.poll();
      })
      .catch((error) => {
        this.pollQueued = false;
        this.log.warn('poll failed', { message: (error as Error).message });
      });
  }

  // ---------------------------------------------------------------- folders and lists

  /**
   * Gmail's way: a server with an \All folder (All Mail) and no archive folder
   * keeps every message there, whatever other folders (labels) hold it, so
   * archiving only removes the message from the folder it is in. Copying it to
   * All Mail would do nothing there but cost a round trip; moving would too.
   */
  private async allMailInsteadOfArchive(signal?: AbortSignal): Promise<string | null> {
    if (this.account.folders?.archive) return null;
    if (!this.state.foldersLoaded) await this.run({ type: 'refresh-folders' }, signal);
    if (this.state.folders.some((f) => f.role === 'archive')) return null;
    return this.state.folders.find((f) => f.role === 'all')?.path ?? null;
  }

  /** Archives on a server with All Mail: marks the messages \Deleted here and expunges just them. */
  private async removeIntoAllMail(
    uids: number[],
    allMail: string,
    signal?: AbortSignal,
  ): Promise<MoveOutcome> {
    const { path } = this.currentView();
    if (path === allMail) throw new TmailError('USAGE', `The messages are already in ${allMail}.`);
    const found = await this.task((b) => b.searchUids({ uids }), signal);
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.forgetGone(path, notFound);
    if (!found.length) return { to: allMail, done: [], notFound, leftMarked: [] };
    await this.setFlags(found, [DELETED], [], false, signal);
    const { leftMarked } = await this.expunge(found, signal);
    const kept = new Set(leftMarked);
    void this.refreshCounts(allMail);
    return { to: allMail, done: found.filter((uid) => !kept.has(uid)), notFound, leftMarked };
  }

  /** The path of the folder with a role: the account's setting, else SPECIAL-USE or the name. */
  private async folderFor(role: FolderRole, signal?: AbortSignal): Promise<string> {
    const configured = (this.account.folders as Record<string, string | undefined> | undefined)?.[
      role
    ];
    if (configured) return configured;
    if (!this.state.foldersLoaded)
      await this.run({ type: 'refresh-folders', counts: false }, signal);
    const folder = this.state.folders.find((f) => f.role === role);
    if (!folder) {
      throw new TmailError(
        'FOLDER_UNKNOWN',
        `This account has no ${role} folder; set folders.${role} for it in the configuration file.`,
      );
    }
    return folder.path;
  }

  private async openFolder(action: ActionOf<'open-folder'>, signal?: AbortSignal): Promise<void> {
    const sort = action.sort ?? DEFAULT_SORT;
    const threaded = action.threaded ?? false;
    const search = action.search ?? null;
    const rows = action.rows ?? DEFAULT_FIRST_ROWS;
    // A \Noselect parent would only earn the server's refusal (typed at the c prompt).
    if (this.state.folders.find((f) => f.path === action.path)?.selectable === false) {
      throw new TmailError(
        'FOLDER_UNKNOWN',
        `${action.path} is a folder that holds only folders and cannot be opened.`,
      );
    }
    this.emit({ type: 'opening', path: action.path });
    this.emit({ type: 'progress', progress: { label: `Opening ${action.path}` } });
    try {
      await this.task(async (b) => {
        const status = await b.select(action.path);
        this.selected = status;
        this.folderUids = null;
        this.inflight.clear();
        // The old viewport described the old list; the face sends a new one.
        this.viewport = null;
        this.emit({
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
          this.countEnvelopes(envelopes.length);
          this.emit({ type: 'envelopes', path: status.path, envelopes });
          const head = envelopes.map((e) => e.uid).sort((x, y) => (sort.reverse ? y - x : x - y));
          this.emit({
            type: 'view-uids',
            path: status.path,
            uids: head,
            complete: head.length >= status.exists,
          });
        }
      }, signal);
      if (action.list !== false) {
        await this.queue.run(async () => this.loadList(this.requireBackend()), signal);
      }
    } finally {
      this.emit({ type: 'progress', progress: null });
      if (this.state.opening) this.emit({ type: 'opening', path: null });
    }
    this.scheduleViewportFetch();
  }

  /** Reads the UID list of the open view in display order (no per-message data). */
  private async loadList(b: MailBackend): Promise<void> {
    const view = this.state.view;
    const status = this.selected;
    if (!view || !status || view.path !== status.path) return;
    this.stats.uidListReads += 1;
    this.folderUids = await b.searchUids();
    const search = view.search ?? undefined;
    let uids: number[];
    let depth: Map<number, number> | undefined;
    if (view.threaded) {
      const threads = await b.threadUids(search);
      if (threads) {
        ({ uids, depth } = flattenThreads(threads, view.sort.reverse));
      } else {
        this.notice(
          'info',
          'This server cannot thread messages; threads are made here from the messages loaded so far.',
        );
        ({ uids, depth } = this.clientThreads(
          await this.arrivalOrder(b, search, view.sort.reverse),
          view.sort.reverse,
        ));
      }
    } else if (view.sort.key === 'arrival') {
      uids = await this.arrivalOrder(b, search, view.sort.reverse);
    } else {
      const sorted = await b.sortUids(view.sort, search);
      if (sorted) {
        uids = sorted;
      } else {
        this.notice(
          'info',
          `This server cannot sort by ${view.sort.key}; the messages loaded so far are sorted here, the rest follow by arrival.`,
        );
        uids = sortKnownEnvelopes(
          await this.arrivalOrder(b, search, view.sort.reverse),
          this.state.view?.envelopes ?? new Map(),
          view.sort,
        );
      }
    }
    this.emit({ type: 'view-uids', path: view.path, uids, complete: true, depth });
  }

  /**
   * Threads for a server without THREAD: built from the envelopes known so far;
   * messages not yet seen stand alone, in arrival order.
   */
  private clientThreads(
    arrival: number[],
    reverse: boolean,
  ): { uids: number[]; depth: Map<number, number> } {
    const envelopes = this.state.view?.envelopes ?? new Map<number, Envelope>();
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

  /** After a reconnect: re-select the view's folder and catch up with what changed meanwhile. */
  private async resyncView(b: MailBackend): Promise<void> {
    const view = this.state.view;
    if (!view) return;
    let status: FolderStatus;
    try {
      status = await b.select(view.path);
    } catch (error) {
      this.notice('error', toTmailError(error).userMessage);
      this.emit({ type: 'view-closed' });
      return;
    }
    this.selected = status;
    if (status.uidValidity !== view.uidValidity) {
      // The UIDs we hold now name other messages: start the folder again.
      this.notice('info', `${view.path} was rebuilt on the server; it has been read again.`);
      this.emit({
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
        this.emit({
          type: 'flags',
          path: view.path,
          changes: [...flags].map(([uid, f]) => ({ uid, flags: f })),
        });
        const gone = known.filter((uid) => !flags.has(uid));
        if (gone.length) this.emit({ type: 'messages-removed', path: view.path, uids: gone });
      }
    }
    await this.loadList(b);
    this.scheduleViewportFetch();
  }

  private countEnvelopes(count: number): void {
    this.stats.envelopesFetched += count;
    this.stats.envelopeCommands += 1;
  }

  /** Fetches what the viewport lacks; coalesces bursts of viewport changes into one fetch. */
  private scheduleViewportFetch(): void {
    if (this.viewportScheduled || !this.viewport || !this.backend) return;
    this.viewportScheduled = true;
    void this.queue
      .run(async () => {
        this.viewportScheduled = false;
        const view = this.state.view;
        const range = this.viewport;
        const b = this.backend;
        if (!view || !range || !b || view.path !== this.selected?.path) return;
        const margin = range.margin ?? Math.max(10, range.last - range.first + 1);
        const rows = wantedRows(view, range, margin);
        if (!rows) return;
        const missing = missingUids(view, rows, this.inflight);
        if (!missing.length) return;
        for (const uid of missing) this.inflight.add(uid);
        try {
          const envelopes = await b.fetchEnvelopes({ uids: missing });
          this.countEnvelopes(envelopes.length);
          this.emit({ type: 'envelopes', path: view.path, envelopes });
          const fetched = new Set(envelopes.map((e) => e.uid));
          const vanished = missing.filter((uid) => !fetched.has(uid));
          // Listed but gone from the server: expunged by someone while we did not look.
          if (vanished.length) this.forgetUids(view.path, vanished);
          const previews = await b.fetchPreviews(envelopes.map((e) => e.uid));
          if (previews.size) this.emit({ type: 'previews', path: view.path, previews });
        } finally {
          for (const uid of missing) this.inflight.delete(uid);
        }
      })
      .catch((error) => {
        this.viewportScheduled = false;
        this.log.warn('viewport fetch failed', { message: (error as Error).message });
      });
  }

  private async fetchNewMessages(b: MailBackend): Promise<void> {
    const view = this.state.view;
    const status = this.selected;
    if (!status || !this.folderUids || b !== this.backend) return;
    const last = this.folderUids.length ? this.folderUids[this.folderUids.length - 1]! : 0;
    const envelopes = (await b.fetchEnvelopes({ uidsFrom: last + 1 })).filter((e) => e.uid > last);
    if (!envelopes.length) return;
    this.countEnvelopes(envelopes.length);
    const uids = envelopes.map((e) => e.uid).sort((x, y) => x - y);
    this.folderUids.push(...uids);
    const unseen = envelopes.filter((e) => !e.flags.includes(SEEN)).length;
    const folder = this.state.folders.find((f) => f.path === status.path);
    this.emit({
      type: 'folder-counts',
      path: status.path,
      total: this.folderUids.length,
      unread: (folder?.unread ?? 0) + unseen,
    });
    if (!view || view.path !== status.path) return;
    this.emit({ type: 'envelopes', path: view.path, envelopes });
    if (!view.search && !view.threaded && view.sort.key === 'arrival') {
      const ordered = view.sort.reverse ? [...uids].reverse() : uids;
      this.emit({
        type: 'messages-added',
        path: view.path,
        uids: ordered,
        position: view.sort.reverse ? 'top' : 'bottom',
      });
    } else {
      await this.loadList(b);
    }
    this.notice('info', `${plural(envelopes.length, 'new message')} in ${view.path}.`);
  }

  /**
   * Reads a folder's counts once the work queued now is done; several asks for
   * the same folder before then make one STATUS.
   */
  private refreshCountsSoon(path: string): void {
    if (this.countsQueued.has(path)) return;
    this.countsQueued.add(path);
    void this.queue
      .run(async (signal) => {
        this.countsQueued.delete(path);
        const b = this.backend;
        if (!b || signal.aborted) return;
        this.stats.statusCommands += 1;
        const counts = await b.folderCounts(path);
        this.emit({ type: 'folder-counts', path, ...counts });
      })
      .catch(() => {
        // Counts are a nicety; a failure here is not worth a message.
        this.countsQueued.delete(path);
      });
  }

  /** Arrival-order keys of messages put back by undo in `path` (new UID -> the UID it had). */
  private restoredOrderOf(path: string, uidValidity: string | undefined): Map<number, number> {
    let entry = this.restoredOrder.get(path);
    if (!entry || (uidValidity && entry.uidValidity && entry.uidValidity !== uidValidity)) {
      entry = { uidValidity, keys: new Map() };
      this.restoredOrder.set(path, entry);
    }
    entry.uidValidity ??= uidValidity;
    return entry.keys;
  }

  private async refreshCounts(path: string): Promise<void> {
    try {
      const counts = await this.task((b) => b.folderCounts(path));
      this.emit({ type: 'folder-counts', path, ...counts });
    } catch {
      // Counts are a nicety; a failure here is not worth a message.
    }
  }

  // ---------------------------------------------------------------- mutations

  private currentView(): { path: string; uidValidity: string } {
    const view = this.state.view;
    if (!view) throw new TmailError('FOLDER_UNKNOWN', 'No folder is open.');
    return view;
  }

  /** Flags after a change, per known envelope. */
  private applyFlagChange(
    path: string,
    uids: number[],
    add: Flag[],
    remove: Flag[],
  ): Map<number, Flag[]> {
    const view = this.state.view;
    const before = new Map<number, Flag[]>();
    if (!view || view.path !== path) return before;
    const changes: Array<{ uid: number; flags: Flag[] }> = [];
    for (const uid of uids) {
      const envelope = view.envelopes.get(uid);
      if (!envelope) continue;
      before.set(uid, envelope.flags);
      const flags = envelope.flags.filter((f) => !remove.includes(f));
      for (const f of add) if (!flags.includes(f)) flags.push(f);
      changes.push({ uid, flags });
    }
    if (changes.length) this.emit({ type: 'flags', path, changes });
    return before;
  }

  private async setFlags(
    uids: number[],
    add: Flag[],
    remove: Flag[],
    undoable: boolean,
    signal?: AbortSignal,
  ): Promise<{ queued: boolean } & ChangeOutcome> {
    const { path, uidValidity } = this.currentView();
    if (!uids.length || (!add.length && !remove.length))
      return { queued: false, done: [], notFound: [] };
    // Before the optimistic change forgets them: what the server's state was when the user decided.
    const modseqs = this.knownModseqs(uids);
    const before = this.applyFlagChange(path, uids, add, remove);
    const record = (changed: number[]) => {
      if (!undoable || !changed.length) return;
      this.pushUndo({
        kind: 'flags',
        label: 'flag change',
        path,
        uidValidity,
        restore: inverseFlagChanges(changed, add, remove, before),
      });
    };
    if (!this.backend) {
      this.queueFlagChange(path, uidValidity, uids, add, remove, modseqs);
      record(uids);
      return { queued: true, done: uids, notFound: [] };
    }
    let found: number[];
    try {
      found = await this.task(async (b) => {
        // IMAP ignores UIDs that do not exist: ask which ones do, so the result is true.
        const present = await b.searchUids({ uids });
        if (present.length) {
          await b.storeFlags(present, add, remove);
          this.stats.storeCommands += 1;
        }
        return present;
      }, signal);
      // A fetch that ran between the optimistic change and the STORE may have put the
      // old flags back in the snapshot, and a .SILENT STORE echoes nothing: apply again.
      this.applyFlagChange(path, found, add, remove);
    } catch (error) {
      const e = toTmailError(error);
      if (e.code === 'OFFLINE' || e.code === 'CONNECTION_LOST') {
        this.queueFlagChange(path, uidValidity, uids, add, remove, modseqs);
        record(uids);
        return { queued: true, done: uids, notFound: [] };
      }
      // The server refused: put the flags back as they were.
      this.emit({
        type: 'flags',
        path,
        changes: [...before].map(([uid, flags]) => ({ uid, flags })),
      });
      throw e;
    }
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.forgetGone(path, notFound);
    if (notFound.length)
      this.notice(found.length ? 'info' : 'error', notFoundSentence(notFound, path));
    record(found);
    return { queued: false, done: found, notFound };
  }

  /** MODSEQ of the shown messages among `uids`, where the server gave one (CONDSTORE). */
  private knownModseqs(uids: number[]): Record<string, string> | undefined {
    const envelopes = this.state.view?.envelopes;
    const out: Record<string, string> = {};
    let any = false;
    for (const uid of uids) {
      const modseq = envelopes?.get(uid)?.modseq;
      if (modseq === undefined) continue;
      out[uid] = modseq;
      any = true;
    }
    return any ? out : undefined;
  }

  private emitQueued(): void {
    this.emit({
      type: 'queued-changes',
      count: this.pending.size,
      unsaved: this.pending.unsavedCount,
    });
  }

  private queueFlagChange(
    folder: string,
    uidValidity: string,
    uids: number[],
    add: Flag[],
    remove: Flag[],
    modseqs?: Record<string, string>,
  ): void {
    const { error } = this.pending.add({
      folder,
      uidValidity,
      uids,
      add,
      remove,
      ...(modseqs ? { modseqs } : {}),
    });
    this.emitQueued();
    if (error) {
      this.notice(
        'error',
        `${error.userMessage.replace(/\.$/, '')}; tmail keeps it in memory, tries to save it again, and sends it when the connection is back.`,
      );
      this.retryUnsavedLater();
      return;
    }
    this.notice(
      'info',
      'Offline: the change is saved and will reach the server when the connection is back.',
    );
  }

  /** Writes changes the disk refused again, every so often, until it takes them. */
  private retryUnsavedLater(): void {
    if (this.unsavedTimer) return;
    this.unsavedTimer = setInterval(() => {
      const error = this.pending.flush();
      if (!error) {
        if (this.unsavedTimer) clearInterval(this.unsavedTimer);
        this.unsavedTimer = null;
        this.notice('info', 'The offline changes are now saved on disk.');
      }
      this.emitQueued();
    }, UNSAVED_RETRY_MS);
    this.unsavedTimer.unref?.();
  }

  /**
   * Sends flag changes saved while offline, folder by folder. Changes are
   * claimed in the shared queue file first, so that another tmail process on
   * this account does not send them too; a lost connection keeps them for the
   * next one, and refusals are told with their reasons.
   */
  private async replayPending(b: MailBackend): Promise<void> {
    const claimed = this.pending.claim();
    if (!claimed.length) {
      this.emitQueued();
      return;
    }
    const byFolder = new Map<string, typeof claimed>();
    for (const change of claimed)
      byFolder.set(change.folder, [...(byFolder.get(change.folder) ?? []), change]);
    const done: string[] = [];
    const kept: string[] = [];
    const refused: Refusal[] = [];
    let applied = 0;
    let lost = false;
    try {
      for (const [folder, list] of byFolder) {
        if (lost) {
          kept.push(...list.map((c) => c.id));
          continue;
        }
        const result = await replayFolder(b, folder, list);
        this.stats.storeCommands += result.stores;
        done.push(...result.done);
        kept.push(...result.kept);
        refused.push(...result.refused);
        applied += result.applied;
        if (result.lost) {
          lost = true;
          this.log.warn('offline changes kept: connection lost during replay', {
            code: result.lost.code,
          });
        }
      }
    } finally {
      this.pending.settle(done, kept);
      this.selected = null;
      this.emitQueued();
    }
    for (const r of refused)
      this.log.warn('offline change refused', {
        folder: r.folder,
        reason: r.reason,
        count: r.uids.length,
      });
    const refusedText = describeRefusals(refused);
    if (refusedText) this.notice('error', refusedText);
    else if (!lost && applied)
      this.notice('info', 'Changes made while offline were sent to the server.');
  }

  private pushUndo(entry: UndoEntry): void {
    this.undoStack.push(entry);
    if (this.undoStack.length > 50) this.undoStack.shift();
    this.emit({ type: 'undo-label', label: entry.label });
  }

  private async deleteMessages(
    uids: number[],
    signal?: AbortSignal,
  ): Promise<ActionResults['delete']> {
    const { path } = this.currentView();
    const here = this.state.folders.find((f) => f.path === path);
    let trash: string | null = null;
    if (this.account.deleteMode !== 'mark' && here?.role !== 'trash') {
      trash = await this.folderFor('trash', signal).catch(() => null);
    }
    if (!trash) {
      const result = await this.setFlags(uids, [DELETED], [], true, signal);
      return { moved: false, done: result.done, notFound: result.notFound };
    }
    return { moved: true, ...(await this.moveMessages(uids, trash, signal, 'delete')) };
  }

  private async moveMessages(
    uids: number[],
    to: string,
    signal?: AbortSignal,
    label = 'move',
  ): Promise<MoveOutcome> {
    const { path } = this.currentView();
    if (to === path) throw new TmailError('USAGE', `The messages are already in ${to}.`);
    if (!uids.length) return { to, done: [], notFound: [], leftMarked: [] };
    const keys = new Map<number, string>();
    for (const uid of uids) {
      const envelope = this.state.view?.envelopes.get(uid);
      if (envelope) keys.set(uid, envelopeKey(envelope));
    }
    let outcome: { found: number[]; removed: number[]; leftMarked: number[]; uidMap: UidMap };
    try {
      outcome = await this.task(async (b) => {
        // IMAP ignores UIDs that do not exist: move only what is there, and say what was not.
        const found = await b.searchUids({ uids });
        return { found, ...(await moveExactly(b, found, to)) };
      }, signal);
    } catch (error) {
      throw this.moveCutOff(toTmailError(error), { label, from: path, to, uids: [...uids], keys });
    }
    const present = new Set(outcome.found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.forgetUids(path, outcome.removed);
    this.forgetGone(path, notFound);
    // Copied, but still here marked \Deleted: the list shows them so.
    if (outcome.leftMarked.length) this.applyFlagChange(path, outcome.leftMarked, [DELETED], []);
    const removed = new Set(outcome.removed);
    const uidMap: UidMap = new Map([...outcome.uidMap].filter(([from]) => removed.has(from)));
    if (outcome.removed.length) this.pushUndo({ kind: 'move', label, from: path, to, uidMap });
    if (outcome.found.length) {
      this.refreshCountsSoon(to);
      this.refreshCountsSoon(path);
    }
    const sentences = [
      outcome.removed.length
        ? `${label === 'delete' ? 'Deleted' : 'Moved'} ${plural(outcome.removed.length, 'message')}${label === 'delete' ? '' : ` to ${to}`}; u undoes.`
        : '',
      leftMarkedSentence(outcome.leftMarked, path, to),
      notFoundSentence(notFound, path),
    ].filter(Boolean);
    this.notice(outcome.found.length ? 'info' : 'error', sentences.join(' '));
    return { to, done: outcome.found, notFound, leftMarked: outcome.leftMarked };
  }

  /**
   * A move whose answer never came may have been carried out: that is not a
   * refusal. The reader keeps it to look on the server once reconnected; the
   * CLI, which does not reconnect, says where to look.
   */
  private moveCutOff(e: TmailError, move: UnsettledMove): TmailError {
    if (!outcomeUnknown(e)) return e;
    const during = `${e.message.replace(/\.$/, '')}, during the ${move.label}`;
    if (!this.retry) {
      return new TmailError(
        e.code,
        `${during}; the server may have carried it out: look with tmail list ${move.to}.`,
        { cause: e },
      );
    }
    this.unsettledMoves.push(move);
    return new TmailError(
      e.code,
      `${during}; tmail will check on the server what moved once it is back.`,
      { cause: e },
    );
  }

  /** Finds out what the server did with moves whose answer was lost, and tells the user. */
  private async settleMoves(b: MailBackend): Promise<void> {
    if (!this.unsettledMoves.length) return;
    for (const move of this.unsettledMoves.splice(0)) {
      let settled;
      try {
        settled = await settleMove(b, move);
      } catch (error) {
        this.notice('error', toTmailError(error).userMessage);
        continue;
      }
      // The list catches up in resyncView, which re-selects the open folder.
      this.selected = null;
      if (settled.uidMap.size) {
        this.pushUndo({
          kind: 'move',
          label: move.label,
          from: move.from,
          to: move.to,
          uidMap: settled.uidMap,
        });
      }
      this.notice('info', settledNotice(move, settled));
    }
  }

  private async copyMessages(
    uids: number[],
    to: string,
    signal?: AbortSignal,
  ): Promise<ChangeOutcome & { to: string }> {
    const { path } = this.currentView();
    if (!uids.length) return { to, done: [], notFound: [] };
    const found = await this.task(async (b) => {
      const present = await b.searchUids({ uids });
      if (present.length) await b.copy(present, to);
      return present;
    }, signal);
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.forgetGone(path, notFound);
    if (found.length) this.refreshCountsSoon(to);
    const sentences = [
      found.length ? `Copied ${plural(found.length, 'message')} to ${to}.` : '',
      notFoundSentence(notFound, path),
    ].filter(Boolean);
    this.notice(found.length ? 'info' : 'error', sentences.join(' '));
    return { to, done: found, notFound };
  }

  /**
   * Expunges the \Deleted messages of the open folder, or only those of `only`;
   * never a message outside them (see removal.ts).
   */
  private async expunge(
    only: number[] | undefined,
    signal?: AbortSignal,
  ): Promise<{ count: number; leftMarked: number[] }> {
    const { path } = this.currentView();
    const { removed, leftMarked } = await this.task(async (b) => {
      const deleted = await b.searchUids({ flagged: [DELETED], ...(only ? { uids: only } : {}) });
      return expungeExactly(b, deleted);
    }, signal);
    this.forgetUids(path, removed);
    this.refreshCountsSoon(path);
    return { count: removed.length, leftMarked };
  }

  /** Removes one message for good (a postponed draft once sent), and nothing else. */
  private async removeMessage(
    folder: string,
    uid: number,
    signal?: AbortSignal,
  ): Promise<ActionResults['remove-message']> {
    let leftMarked: number[];
    if (this.state.view?.path === folder && this.selected?.path === folder) {
      await this.setFlags([uid], [DELETED], [], false, signal);
      ({ leftMarked } = await this.expunge([uid], signal));
    } else {
      ({ leftMarked } = await this.inFolder(
        folder,
        async (b) => {
          await b.storeFlags([uid], [DELETED], []);
          return expungeExactly(b, [uid]);
        },
        signal,
      ));
    }
    if (!leftMarked.length) return { removed: true };
    const warning = `The old copy in ${folder} stays marked deleted until the next expunge: this server cannot remove it alone while other messages there are marked deleted.`;
    this.notice('info', warning);
    return { removed: false, warning };
  }

  private async undo(signal?: AbortSignal): Promise<{ label: string } | null> {
    const entry = this.undoStack.pop();
    this.emit({ type: 'undo-label', label: this.undoStack.at(-1)?.label ?? null });
    if (!entry) return null;
    if (entry.kind === 'flags') {
      const view = this.state.view;
      if (!view || view.path !== entry.path || view.uidValidity !== entry.uidValidity) {
        throw new TmailError(
          'USAGE',
          'The last change was made in another folder; open it to undo.',
        );
      }
      for (const change of entry.restore) {
        this.applyFlagChange(entry.path, change.uids, change.add, change.remove);
      }
      await this.task(async (b) => {
        for (const change of entry.restore)
          await b.storeFlags(change.uids, change.add, change.remove);
      }, signal);
      return { label: entry.label };
    }
    if (!entry.uidMap.size) {
      throw new TmailError(
        'SERVER_NO',
        `The ${entry.label} cannot be undone: the server did not say where the messages went.`,
      );
    }
    await this.task(async (b) => {
      // Back to the folder that was selected, which need not be the one moved from.
      const back = this.selected?.path ?? entry.from;
      await b.select(entry.to);
      let outcome;
      try {
        outcome = await moveExactly(b, [...entry.uidMap.values()], entry.from);
      } finally {
        this.selected = await b.select(back);
      }
      // The messages come back with new UIDs, the highest of the folder: keep them
      // where they were in arrival order instead of on top.
      const original = new Map([...entry.uidMap].map(([from, to]) => [to, from]));
      const order = this.restoredOrderOf(
        entry.from,
        back === entry.from ? this.selected.uidValidity : undefined,
      );
      for (const [there, back2] of outcome.uidMap) {
        const was = original.get(there);
        if (was !== undefined) order.set(back2, order.get(was) ?? was);
      }
      if (this.state.view?.path === entry.from && back === entry.from) await this.loadList(b);
    }, signal);
    this.scheduleViewportFetch();
    this.refreshCountsSoon(entry.to);
    this.refreshCountsSoon(entry.from);
    this.notice('info', `Undid the ${entry.label}.`);
    return { label: entry.label };
  }

  private async flagInFolder(
    folder: string,
    uid: number,
    add: Flag[],
    remove: Flag[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.state.view?.path === folder && this.selected?.path === folder) {
      await this.setFlags([uid], add, remove, false, signal);
      return;
    }
    await this.inFolder(folder, (b) => b.storeFlags([uid], add, remove), signal);
  }

  /**
   * Runs work with another folder selected, then selects the open folder again
   * and catches up with what changed there meanwhile (nothing is pushed about a
   * folder while it is not selected).
   */
  private async inFolder<T>(
    folder: string,
    work: (backend: MailBackend) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.task(async (b) => {
      const back = this.selected;
      if (back?.path === folder) return work(b);
      await b.select(folder);
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

  /** The source of a message, or one decoded part of it, in any folder. */
  private async fetchRemote(
    folder: string,
    uid: number,
    part: string | undefined,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    return this.inFolder(
      folder,
      async (b) => {
        if (!part) return b.fetchSource(uid);
        const chunks: Buffer[] = [];
        for await (const chunk of await b.downloadPart(uid, part)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
      signal,
    );
  }

  // ---------------------------------------------------------------- reading

  private async read(uid: number, peek: boolean, signal?: AbortSignal): Promise<MessageView> {
    this.currentView();
    const {
      attachmentsFromStructure,
      chooseTextParts,
      mergeAttachmentSizes,
      messageFromParts,
      parseMessage,
    } = await loadMime();
    const view = await this.task(async (b) => {
      const skeleton = await b.fetchSkeleton(uid);
      if (skeleton.size <= WHOLE_MESSAGE_LIMIT) {
        const source = await b.fetchSource(uid);
        return { message: await parseMessage(source), skeleton };
      }
      // Large: the header, the structure and only the text parts, each capped.
      const parts = chooseTextParts(skeleton.structure).map((p) => p.part);
      const bodies = await b.fetchParts(uid, parts, TEXT_PART_CAP);
      const message = await messageFromParts({
        uid,
        header: skeleton.header,
        structure: skeleton.structure,
        parts: bodies,
      });
      return { message, skeleton };
    }, signal);
    const message: MessageView = { ...view.message, uid };
    // Attachment ids are IMAP part numbers, so that saving can fetch exactly one part.
    message.attachments = mergeAttachmentSizes(
      attachmentsFromStructure(view.skeleton.structure),
      message.attachments,
    );
    if (!peek && !view.skeleton.flags.includes(SEEN)) {
      await this.setFlags([uid], [SEEN], [], false, signal).catch(() => {});
    }
    return message;
  }

  /**
   * One attachment of a message as a stream of its decoded bytes: a MIME part
   * is downloaded by itself (the rest of the message stays on the server); a
   * file uuencoded inside a text part is cut out of that part.
   */
  private async attachmentStream(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    from?: AttachmentSource,
  ): Promise<{ attachment: Attachment; stream: Readable }> {
    const mime = await loadMime();
    const message = from ?? { skeleton: await b.fetchSkeleton(uid) };
    const { skeleton } = message;
    const attachment = mime
      .attachmentsFromStructure(skeleton.structure)
      .find((a) => a.id === attachmentId);
    if (attachment) return { attachment, stream: await b.downloadPart(uid, attachmentId) };
    const partId = mime.attachmentPartId(attachmentId);
    const part = partId === attachmentId ? undefined : mime.findPart(skeleton.structure, partId);
    if (part) {
      const source = (message.source ??= await b.fetchSource(uid));
      const view = await mime.parseMessage(source);
      const listed = view.attachments.find((a) => a.id === attachmentId);
      if (listed) {
        return {
          attachment: listed,
          stream: Readable.from([mime.attachmentFromSource(source, attachmentId)]),
        };
      }
    }
    throw new TmailError('MESSAGE_UNKNOWN', `Message ${uid} has no attachment ${attachmentId}.`);
  }

  /**
   * Hands one attachment's decoded bytes to `consume`, counted into progress
   * events (`Saving name.pdf`); the progress is cleared however it ends.
   */
  private async withAttachment<T>(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    verb: string,
    consume: (attachment: Attachment, stream: Readable) => Promise<T>,
    from?: AttachmentSource,
  ): Promise<T> {
    const { attachment, stream } = await this.attachmentStream(b, uid, attachmentId, from);
    try {
      const counter = this.progressOf(`${verb} ${attachment.filename}`, attachment.size);
      // pipeline, not pipe: a connection cut mid-transfer must reach the consumer as an
      // error (pipe drops it, and the unhandled 'error' event ended the whole program).
      return await consume(
        attachment,
        pipeline(stream, counter, () => {}),
      );
    } finally {
      this.emit({ type: 'progress', progress: null });
    }
  }

  /** Counts bytes through a stream into progress events named `label`. */
  private progressOf(label: string, total: number): Transform {
    let done = 0;
    let lastReport = 0;
    this.emit({ type: 'progress', progress: { label, done: 0, total } });
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        done += chunk.length;
        if (done - lastReport > 256 * 1024) {
          lastReport = done;
          this.emit({ type: 'progress', progress: { label, done, total } });
        }
        callback(null, chunk);
      },
    });
  }

  private async saveAttachment(
    uid: number,
    attachmentId: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<string> {
    await makeDownloadDir(dir);
    return this.task((b) => this.saveFrom(b, uid, attachmentId, dir), signal);
  }

  /**
   * Saves every attachment the reader lists for a message (inline parts too) into
   * `dir`, with one body structure (and at most one whole message) fetched for all.
   */
  private async saveAllAttachments(
    uid: number,
    dir: string,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const view = await this.read(uid, true, signal);
    await makeDownloadDir(dir);
    return this.task(async (b) => {
      const from: AttachmentSource = { skeleton: await b.fetchSkeleton(uid) };
      const saved: string[] = [];
      for (const attachment of view.attachments) {
        saved.push(await this.saveFrom(b, uid, attachment.id, dir, from));
      }
      return saved;
    }, signal);
  }

  /** Streams one attachment into `dir` under a safe name, with progress; the file written. */
  private async saveFrom(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    dir: string,
    from?: AttachmentSource,
  ): Promise<string> {
    const { saveAttachmentStream } = await loadSave();
    return this.withAttachment(
      b,
      uid,
      attachmentId,
      'Saving',
      (attachment, stream) => saveAttachmentStream(dir, attachment.filename, stream),
      from,
    );
  }

  /**
   * Puts an attachment in a private temp file (a 0700 directory, removed when
   * tmail closes) and picks the program for it: a mailcap entry, else the
   * desktop's opener. The caller runs it, handing over the terminal first when
   * the program needs one.
   */
  private async openAttachment(
    uid: number,
    attachmentId: string,
    signal?: AbortSignal,
  ): Promise<ActionResults['open-attachment']> {
    const [{ chooseOpener, runOpener, pagerText }, { writePrivateTempFile }] = await Promise.all([
      loadMime(),
      loadSave(),
    ]);
    const file = await this.task(
      (b) =>
        this.withAttachment(b, uid, attachmentId, 'Fetching', async (attachment, stream) => ({
          ...(await writePrivateTempFile(attachment.filename, stream, { signal })),
          contentType: attachment.contentType,
        })),
      signal,
    );
    this.tempFiles.push(file.cleanup);
    const choice = chooseOpener(file.contentType, file.path);
    const text = await pagerText(file.contentType, file.path, choice);
    if (text !== null) return { path: file.path, needsTerminal: false, text, run: async () => {} };
    if (!choice) {
      throw new TmailError(
        'FILE_ERROR',
        `No program is set up to open ${file.contentType}; save it with s, or add a mailcap entry for it.`,
      );
    }
    return {
      path: file.path,
      needsTerminal: choice.kind === 'mailcap' && choice.needsTerminal,
      run: () => runOpener(choice, file.path),
    };
  }

  /** An attached message (message/rfc822 part), decoded for reading. */
  private async readAttached(
    uid: number,
    attachmentId: string,
    signal?: AbortSignal,
  ): Promise<MessageView> {
    const { findPart, parseMessagePart } = await loadMime();
    return this.task(async (b) => {
      const skeleton = await b.fetchSkeleton(uid);
      const part = findPart(skeleton.structure, attachmentId);
      if (!part || part.type !== 'message/rfc822') {
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Attachment ${attachmentId} of message ${uid} is not a message.`,
        );
      }
      const raw = (await b.fetchParts(uid, [attachmentId], ATTACHED_MESSAGE_CAP)).get(attachmentId);
      if (!raw)
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Attachment ${attachmentId} of message ${uid} is empty.`,
        );
      return { ...(await parseMessagePart(raw, part.encoding)), uid };
    }, signal);
  }
}

/** Creates the folder attachments are saved into (and its parents) when it is missing. */
async function makeDownloadDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TmailError('FILE_ERROR', `The folder ${dir} cannot be created; choose another one.`, {
      cause: error,
    });
  }
}

// ---------------------------------------------------------------- helpers

/** Authentication and configuration failures are not retried: retrying cannot fix them. */
function isPermanent(error: TmailError): boolean {
  return [
    'AUTH_FAILED',
    'SECRET_UNAVAILABLE',
    'KEYCHAIN_UNAVAILABLE',
    'CONFIG_INVALID',
    'CONFIG_MISSING',
    'TLS_UNTRUSTED',
    'HOST_UNKNOWN',
  ].includes(error.code);
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

/**
 * The changes that undo a flag change: for UIDs whose flags were known, put
 * back exactly the touched flags they had; for the others, the inverse change.
 */
function inverseFlagChanges(
  uids: number[],
  add: Flag[],
  remove: Flag[],
  before: Map<number, Flag[]>,
): Array<{ uids: number[]; add: Flag[]; remove: Flag[] }> {
  const touched = [...new Set([...add, ...remove])];
  const groups = new Map<string, { uids: number[]; add: Flag[]; remove: Flag[] }>();
  for (const uid of uids) {
    const had = before.get(uid);
    const restoreAdd = had ? touched.filter((f) => had.includes(f)) : remove;
    const restoreRemove = had ? touched.filter((f) => !had.includes(f)) : add;
    const key = `${restoreAdd.join(' ')}|${restoreRemove.join(' ')}`;
    const group = groups.get(key) ?? { uids: [], add: restoreAdd, remove: restoreRemove };
    group.uids.push(uid);
    groups.set(key, group);
  }
  return [...groups.values()];
}
