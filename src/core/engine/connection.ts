/**
 * The account's connection: connect, reconnect with back-off, going offline,
 * the server's pushes, and polling where the server has no IDLE. imapflow
 * does not reconnect by itself, so this does; authentication and
 * configuration failures are not retried.
 *
 * What happens once online (replaying offline changes, reading the folder
 * list, catching up the open folder) and what a push means for the view
 * belong to the other parts: the engine hands them in as `ConnectionHooks`.
 */
import { TmailError, toTmailError } from '../errors.js';
import type { BackendEvent, BackendFactory, MailBackend } from './backend.js';
import type { EngineContext, Link } from './context.js';

const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
/**
 * A connection must last this long before the back-off starts again from its
 * first step: a server that accepts the login and then breaks every
 * connection (a refused response, a crash) is otherwise retried every second.
 */
const STABLE_CONNECTION_MS = 60_000;
/** Default of the account setting pollSeconds. */
const DEFAULT_POLL_SECONDS = 30;

/** What the rest of the engine does when the connection comes and goes. */
export interface ConnectionHooks {
  /**
   * Called just before the engine says it is online; returns the catch-up
   * work, run as the first task on the new connection so that a request made
   * as soon as the state says online finds everything caught up.
   */
  catchUp(backend: MailBackend): () => Promise<void>;
  /** A push of the live connection (not `closed`: that is `lost`). */
  pushed(backend: MailBackend, event: Exclude<BackendEvent, { type: 'closed' }>): void;
  /** The connection ended: nothing is selected any more. */
  lost(): void;
  /** Whether a folder is selected (polling is for its news). */
  hasSelection(): boolean;
}

export class Connection implements Link {
  private backend: MailBackend | null = null;
  private unsubscribe: (() => void) | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private connectedAt = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollQueued = false;
  private isClosed = false;
  private retry = true;

  constructor(
    private readonly ctx: EngineContext,
    private readonly backendFactory: BackendFactory,
    private readonly hooks: ConnectionHooks,
    private readonly reconnectDelays: number[] = RECONNECT_DELAYS_MS,
  ) {}

  get current(): MailBackend | null {
    return this.backend;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get retrying(): boolean {
    return this.retry;
  }

  /**
   * Connects. With `retry`, failures leave the engine offline and retrying in
   * the background; without, the first failure rejects.
   */
  async start(retry: boolean, after?: Promise<unknown>): Promise<void> {
    this.retry = retry;
    const connected = this.connect(after);
    if (!retry) {
      await connected;
      return;
    }
    void connected.catch(() => {});
  }

  /** Tries to reconnect now (a face's "retry" key). */
  reconnect(): void {
    if (this.backend || this.isClosed) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.retry = true;
    void this.connect().catch(() => {});
  }

  requireBackend(): MailBackend {
    if (this.backend) return this.backend;
    const connection = this.ctx.state.connection;
    const reason =
      connection.status === 'offline' ? ` (${connection.reason.replace(/\.$/, '')})` : '';
    throw new TmailError(
      'OFFLINE',
      `tmail is offline${reason}; it will retry, or press the reconnect key.`,
    );
  }

  task<T>(
    work: (backend: MailBackend, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const run = () => this.ctx.queue.run((s) => work(this.requireBackend(), s), signal);
    // Started from the cache, the user can act before the connection is up: wait
    // for it (outside the queue, which the connection's own catch-up uses).
    if (!this.backend && this.connecting) return this.connecting.catch(() => {}).then(run);
    return run();
  }

  /** Without IDLE, a NOOP now and then brings the open folder's news (imapflow's own comes every 2 minutes). */
  startPolling(): void {
    const pollMs = (this.ctx.account.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
    this.pollTimer ??= setInterval(() => this.pollWithoutIdle(), pollMs);
    this.pollTimer.unref?.();
  }

  /** Stops retrying and polling; background work that checks `closed` stops too. */
  stop(): void {
    this.isClosed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
  }

  /** Logs out of the live connection, if any (after `stop`). */
  async logout(): Promise<void> {
    const backend = this.backend;
    this.backend = null;
    this.unsubscribe?.();
    if (backend) await backend.logout();
  }

  /**
   * Connects, once `after` settles when given (see StartOptions.after); work
   * asked meanwhile waits for this connection as for one under way.
   */
  private connect(after?: Promise<unknown>): Promise<void> {
    const go = () => this.doConnect();
    this.connecting ??= (after ? after.then(go, go) : go()).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    if (this.isClosed) return;
    this.ctx.emit({ type: 'connection', state: { status: 'connecting' } });
    let backend: MailBackend;
    try {
      backend = await this.backendFactory();
      await backend.connect();
    } catch (error) {
      const e = toTmailError(error);
      this.ctx.log.warn('connect failed', { code: e.code, message: e.message });
      this.goOffline(e.userMessage, isPermanent(e));
      throw e;
    }
    if (this.isClosed) {
      await backend.logout();
      return;
    }
    this.backend = backend;
    this.connectedAt = Date.now();
    this.unsubscribe = backend.onEvent((event) => this.onBackendEvent(backend, event));
    const catchUp = this.hooks.catchUp(backend);
    this.ctx.emit({ type: 'connection', state: { status: 'online' } });
    this.ctx.log.info('online', { capabilities: [...backend.capabilities].join(' ') });
    await this.ctx.queue.run(catchUp);
  }

  private goOffline(reason: string, permanent: boolean): void {
    if (this.isClosed) return;
    if (permanent || !this.retry) {
      this.ctx.emit({ type: 'connection', state: { status: 'offline', reason } });
      return;
    }
    const delay =
      this.reconnectDelays[Math.min(this.reconnectAttempt, this.reconnectDelays.length - 1)]!;
    this.reconnectAttempt++;
    const retryAt = Date.now() + delay;
    this.ctx.emit({ type: 'connection', state: { status: 'offline', reason, retryAt } });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect().catch(() => {});
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private onBackendEvent(source: MailBackend, event: BackendEvent): void {
    // A previous connection's late events must not touch the new state.
    if (source !== this.backend) return;
    if (event.type !== 'closed') {
      this.hooks.pushed(source, event);
      return;
    }
    this.backend = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.hooks.lost();
    if (Date.now() - this.connectedAt >= STABLE_CONNECTION_MS) this.reconnectAttempt = 0;
    if (!this.isClosed) {
      this.ctx.log.warn('connection closed', { reason: event.reason });
      this.goOffline(event.reason ?? 'The connection to the server was closed.', false);
    }
  }

  private pollWithoutIdle(): void {
    const b = this.backend;
    if (
      !b ||
      this.isClosed ||
      b.capabilities.has('IDLE') ||
      !this.hooks.hasSelection() ||
      this.pollQueued
    )
      return;
    this.pollQueued = true;
    void this.ctx.queue
      .run(async () => {
        this.pollQueued = false;
        if (b === this.backend) await b.poll();
      })
      .catch((error) => {
        this.pollQueued = false;
        this.ctx.log.warn('poll failed', { message: (error as Error).message });
      });
  }
}

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
