/**
 * What the parts of one account's engine share: the store they emit into, the
 * serial queue they run on, the counters, the log; and `Link`, the small view
 * of the connection that folder sync, mutations and reading work through.
 *
 * The engine is a facade over four collaborators, one per concern:
 * connection.ts (connect, reconnect, server pushes, polling), folder-sync.ts
 * (folder list and counts, the open folder's view and viewport), mutations.ts
 * (flags, moves, removal, undo, the offline queue) and reading.ts (message
 * bodies and attachments). They depend downwards only: reading and mutations
 * on folder sync, all of them on this file and on `Link`.
 */
import type { AccountConfig } from '../config/types.js';
import { TmailError } from '../errors.js';
import type { EngineEvent } from '../events.js';
import type { Logger } from '../log.js';
import type { MailState } from '../store/state.js';
import type { MailStore } from '../store/store.js';
import type { MailBackend } from './backend.js';
import type { SerialQueue } from './queue.js';

/** Counters for tests and benchmarks: how much was asked of the server. */
export interface EngineStats {
  envelopesFetched: number;
  envelopeCommands: number;
  storeCommands: number;
  /** Readings of a whole folder's UID list (UID SEARCH ALL). */
  uidListReads: number;
  /** STATUS commands for folder counts. */
  statusCommands: number;
  /** UID FETCH commands of the background body prefetch (structures and texts). */
  prefetchCommands: number;
  /** Message texts the background prefetch put in the local cache. */
  bodiesPrefetched: number;
  /** UID FETCH commands of whole sources for pipe and save (a chunk of messages each). */
  sourceCommands: number;
}

/** The account's plumbing, one per engine, handed to each of its parts. */
export class EngineContext {
  readonly stats: EngineStats = {
    envelopesFetched: 0,
    envelopeCommands: 0,
    storeCommands: 0,
    uidListReads: 0,
    statusCommands: 0,
    prefetchCommands: 0,
    bodiesPrefetched: 0,
    sourceCommands: 0,
  };

  constructor(
    readonly account: AccountConfig,
    readonly store: MailStore,
    /** One task at a time over the account's connection. */
    readonly queue: SerialQueue,
    readonly log: Logger,
  ) {}

  get state(): MailState {
    return this.store.getSnapshot();
  }

  /** Sees every event before the store applies it (the local cache's writer). */
  tap: ((event: EngineEvent) => void) | null = null;

  emit(event: EngineEvent): void {
    this.tap?.(event);
    this.store.apply(event);
  }

  /** A one-sentence message for the status line. */
  notice(kind: 'info' | 'error', text: string): void {
    this.emit({ type: 'notice', notice: { kind, text, at: Date.now() } });
  }

  /** The open view's folder, or a USAGE-like error when none is open. */
  currentView(): { path: string; uidValidity: string } {
    const view = this.state.view;
    if (!view) throw new TmailError('FOLDER_UNKNOWN', 'No folder is open.');
    return view;
  }
}

/** The connection as the other parts see it: the live backend, and a way to run on it. */
export interface Link {
  /** The backend of the live connection; null while offline. */
  readonly current: MailBackend | null;
  /** True once the engine is closing: background work stops. */
  readonly closed: boolean;
  /** True when the engine reconnects after a loss (the reader); false for one-shot commands. */
  readonly retrying: boolean;
  /**
   * Runs work on the live connection, in order with everything else; rejects
   * with OFFLINE when there is none.
   */
  task<T>(
    work: (backend: MailBackend, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T>;
}
