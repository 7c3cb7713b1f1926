/**
 * Several accounts in one session: one MailEngine per account, each with its
 * own connection, reconnect and offline queue, made only when the account is
 * first shown (the first screen never waits for the second account). The
 * faces talk to the registry: `shown` is the engine of the account on screen
 * as one engine-shaped object, so the reader's controller, commands and
 * composer need not know that there are several; `getSnapshot` gives every
 * account's state for the sidebar.
 */
import type { AccountConfig } from './config/types.js';
import type { MailEngine } from './engine/engine.js';
import { threadModeFor } from './engine/thread-view.js';
import { TmailError } from './errors.js';
import type { MailState } from './store/state.js';

/** One account as the sidebar sees it: its state, or null while it was never opened. */
export interface AccountSummary {
  account: AccountConfig;
  state: MailState | null;
}

/** Every account of the session, in the dotfile's order, and which one is shown. */
export interface AccountsSnapshot {
  shown: string;
  accounts: readonly AccountSummary[];
}

export interface EngineRegistryOptions {
  /** The dotfile's accounts, in its order. */
  accounts: readonly AccountConfig[];
  /** The account shown first (`tmail --account NAME`); default the first. */
  first?: string;
  /** Makes and starts the engine of an account; called once per account, when it is first needed. */
  open: (account: AccountConfig) => MailEngine;
  /** An engine already made for the first account (the reader starts it before anything else). */
  firstEngine?: MailEngine;
}

/** The engine of the shown account, as the faces use one engine. */
export interface ShownEngine {
  readonly state: MailState;
  readonly account: AccountConfig;
  /** The shown account's store; listeners also hear when another account is shown. */
  readonly store: {
    getSnapshot(): MailState;
    subscribe(listener: () => void): () => void;
  };
  dispatch: MailEngine['dispatch'];
  reconnect(): void;
  /** The real engine of the account shown now (sending binds to it). */
  current(): MailEngine;
}

export class EngineRegistry {
  readonly accounts: readonly AccountConfig[];
  readonly shown: ShownEngine;
  private readonly engines = new Map<string, MailEngine>();
  private readonly unsubscribes: Array<() => void> = [];
  private readonly listeners = new Set<() => void>();
  private readonly shownListeners = new Set<() => void>();
  private readonly openedListeners = new Set<(engine: MailEngine) => void>();
  private shownName: string;
  private snapshot: AccountsSnapshot | null = null;
  private closed = false;

  constructor(private readonly options: EngineRegistryOptions) {
    if (!options.accounts.length)
      throw new TmailError('CONFIG_MISSING', 'No account is configured; run tmail account add.');
    this.accounts = options.accounts;
    const first = options.first ?? options.firstEngine?.account.name ?? options.accounts[0]!.name;
    this.shownName = this.accountNamed(first).name;
    if (options.firstEngine) this.adopt(options.firstEngine);
    const engineNow = () => this.shownEngine();
    const shownListeners = this.shownListeners;
    this.shown = {
      get state() {
        return engineNow().state;
      },
      get account() {
        return engineNow().account;
      },
      store: {
        getSnapshot: () => engineNow().state,
        subscribe: (listener) => {
          shownListeners.add(listener);
          return () => shownListeners.delete(listener);
        },
      },
      dispatch: ((action, opts) => engineNow().dispatch(action, opts)) as MailEngine['dispatch'],
      reconnect: () => engineNow().reconnect(),
      current: engineNow,
    };
  }

  /** True when the session has more than one account (the sidebar then shows each). */
  get several(): boolean {
    return this.accounts.length > 1;
  }

  /** The name of the account on screen. */
  get shownAccount(): string {
    return this.shownName;
  }

  /** The account of that name; ACCOUNT_UNKNOWN otherwise. */
  accountNamed(name: string): AccountConfig {
    const account = this.accounts.find((a) => a.name === name);
    if (!account)
      throw new TmailError(
        'ACCOUNT_UNKNOWN',
        `There is no account named ${name}; the accounts are ${this.accounts.map((a) => a.name).join(', ')}.`,
      );
    return account;
  }

  /** The account's engine, made and started now if this is the first time it is needed. */
  engine(name: string): MailEngine {
    const existing = this.engines.get(name);
    if (existing) return existing;
    const engine = this.options.open(this.accountNamed(name));
    this.adopt(engine);
    for (const listener of [...this.openedListeners]) listener(engine);
    return engine;
  }

  /** The account's engine if it was ever opened, else null (nothing is connected by asking). */
  opened = (name: string): MailEngine | null => this.engines.get(name) ?? null;

  /** The engines opened so far. */
  openedEngines(): MailEngine[] {
    return [...this.engines.values()];
  }

  /** Shows another account (its engine opens the first time). */
  show(name: string): MailEngine {
    const engine = this.engine(this.accountNamed(name).name);
    if (name !== this.shownName) {
      this.shownName = name;
      this.changed(engine);
    }
    return engine;
  }

  /** Runs `listener` for every engine opened from now on (sending binds one per account). */
  onOpened(listener: (engine: MailEngine) => void): () => void {
    this.openedListeners.add(listener);
    return () => this.openedListeners.delete(listener);
  }

  getSnapshot = (): AccountsSnapshot => {
    this.snapshot ??= {
      shown: this.shownName,
      accounts: this.accounts.map((account) => ({
        account,
        state: this.engines.get(account.name)?.state ?? null,
      })),
    };
    return this.snapshot;
  };

  /** Hears any change: an account shown or opened, or any opened account's state. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Logs every opened account out (in parallel: one slow server must not hold the others). */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.unsubscribes.splice(0)) stop();
    await Promise.all([...this.engines.values()].map((engine) => engine.close()));
  }

  private shownEngine(): MailEngine {
    return this.engine(this.shownName);
  }

  private adopt(engine: MailEngine): void {
    if (this.closed) throw new TmailError('CANCELLED', 'The session is closing.');
    this.engines.set(engine.account.name, engine);
    this.unsubscribes.push(engine.store.subscribe(() => this.changed(engine)));
    this.snapshot = null;
  }

  private changed(engine: MailEngine): void {
    this.snapshot = null;
    if (engine.account.name === this.shownName)
      for (const listener of [...this.shownListeners]) listener();
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Opens a folder of an engine as soon as its connection is up (at once when it
 * is, or when the local cache holds the folder: it shows from there while the
 * connection comes up, or without one). Dispatched from the `online` event itself, the open goes ahead of the
 * folder list in the engine's queue, so the list reaches the screen first. A
 * folder that cannot be opened falls back to INBOX, with `onError` told why.
 */
export function openWhenOnline(
  engine: MailEngine,
  folder: string,
  rows: number,
  onError: (message: string) => void,
): void {
  let done = false;
  let unsubscribe: () => void = () => {};
  const open = (path: string) => {
    // The account's threads setting for the folder: flat, threaded, or threaded and folded.
    const mode = threadModeFor(engine.account.threads, path);
    const threads = mode ? { threaded: mode !== 'off', folded: mode === 'folded' } : {};
    void engine.dispatch({ type: 'open-folder', path, rows, ...threads }).then((result) => {
      if (result.ok || result.cancelled) return;
      if (result.error.code === 'OFFLINE' || result.error.code === 'CONNECTION_LOST') {
        done = false;
        return;
      }
      if (path !== 'INBOX') {
        onError(`${result.error.userMessage.replace(/\.$/, '')}; showing INBOX instead.`);
        open('INBOX');
      } else {
        onError(result.error.userMessage);
      }
    });
  };
  const check = () => {
    const state = engine.state;
    if (done) {
      // Opened: nothing more to follow (a later reconnect re-opens the folder itself).
      if (state.view) unsubscribe();
      return;
    }
    if (state.view || state.opening) return;
    // Before the connection is up (or without one), a folder the local cache holds opens from it.
    if (state.connection.status !== 'online' && !engine.hasCached(folder)) return;
    done = true;
    open(folder);
  };
  unsubscribe = engine.store.subscribe(check);
  check();
}
