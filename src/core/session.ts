/**
 * Opening an account for either face: the config, the account, its
 * credentials and an engine on the IMAP backend; for the reader, every
 * account of the dotfile in a registry, each opened when first shown.
 */
import { existsSync } from 'node:fs';
import { getAccount, loadConfig } from './config/index.js';
import type { AccountConfig, TmailConfig } from './config/types.js';
import { storeFile } from './cache/index.js';
import { cacheSettings } from './cache/settings.js';
import { EngineRegistry } from './engine-registry.js';
import { MailEngine } from './engine/engine.js';
import { openLocalMail } from './engine/local-mail.js';
import type { ResolveOptions } from './secrets/index.js';

export interface SessionOptions {
  /** Account name; the default account when absent. */
  account?: string;
  /** How to ask for a password when the account's source is `prompt`. */
  prompt?: ResolveOptions['prompt'];
  /** Ask again when the server refuses a typed password (ResolveOptions.askAgain). */
  askAgain?: boolean;
  /** Connect timeout in ms. */
  timeoutMs?: number;
  /**
   * The configuration whose cache settings apply: given, the engine keeps the
   * account's local cache (the reader and the mail commands); absent, none.
   */
  cacheConfig?: TmailConfig;
  /**
   * How much the engine wants the cache (with `cacheConfig`): `open` opens or
   * makes the store (the reader; the commands that answer from it); `existing`
   * opens it only where one was made already, so that a change the command
   * makes reaches it, and never makes one; `none` leaves it closed. Opening
   * loads the native database module, which a command that never reads the
   * cache has no use for. Default `open`.
   */
  cacheUse?: CacheUse;
}

/** See SessionOptions.cacheUse. */
export type CacheUse = 'open' | 'existing' | 'none';

export interface Session {
  config: TmailConfig;
  account: AccountConfig;
  engine: MailEngine;
}

/** An engine whose backend logs in with the account's secret (read afresh on every reconnect). */
export function createEngine(
  account: AccountConfig,
  options: Omit<SessionOptions, 'account'> = {},
): MailEngine {
  const config = options.cacheConfig;
  const use = options.cacheUse ?? 'open';
  return new MailEngine({
    account,
    cache:
      config && use !== 'none'
        ? (onNotice) =>
            use === 'existing' && !existsSync(storeFile(account.name))
              ? null
              : openLocalMail(account, cacheSettings(config, account), onNotice)
        : undefined,
    // Loaded when the engine first connects: imapflow, the secrets and OAuth code, and the
    // Node modules under them (crypto, http, zlib) take some 30 ms to load, which a start
    // drawn from the cache does before it connects.
    backendFactory: async () => {
      const [{ ImapBackend }, { resolveCredentials }] = await Promise.all([
        import('./imap/imap-backend.js'),
        import('./secrets/index.js'),
      ]);
      const credentials = await resolveCredentials(account, 'imap', {
        prompt: options.prompt,
        askAgain: options.askAgain,
      });
      return new ImapBackend({ account, credentials, timeoutMs: options.timeoutMs });
    },
  });
}

/** Loads the configuration and makes the engine of one account (not yet connected). */
export function openSession(options: SessionOptions = {}): Session {
  const config = loadConfig();
  const account = getAccount(config, options.account);
  return {
    config,
    account,
    engine: createEngine(account, { ...options, cacheConfig: config }),
  };
}

/**
 * Every account of the dotfile for the reader, the session's account shown
 * first with its engine (already started by the caller). The others get an
 * engine, started with retries, only when first shown or unfolded.
 */
export function openRegistry(
  session: Session,
  options: Omit<SessionOptions, 'account'> = {},
): EngineRegistry {
  return new EngineRegistry({
    accounts: Object.values(session.config.accounts),
    firstEngine: session.engine,
    open: (account) => {
      const engine = createEngine(account, { ...options, cacheConfig: session.config });
      void engine.start({ retry: true });
      return engine;
    },
  });
}

export { openWhenOnline } from './engine-registry.js';
