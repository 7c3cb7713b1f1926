/**
 * The OS keychain through @github/keytar: service `tmail`, account = the
 * account's name.
 *
 * keytar is optional in every sense: the package may have failed to install,
 * its native part may not load (no libsecret), there may be no D-Bus session
 * or no Secret Service on it, and a wedged keyring daemon makes a call wait
 * 25 to 50 s. So keytar is loaded lazily (by default in a helper process that
 * can be killed: see keychain-helper.ts), every call is raced against a
 * timeout, and once the keychain has proved unreachable the rest of the run
 * does not ask it again (each later call fails at once with the same sentence).
 */
import { TmailError } from '../errors.js';
import { createLogger, redact } from '../log.js';
import { loadKeytarInHelper } from './keychain-helper.js';

/** The keytar service name tmail stores passwords under. */
export const KEYCHAIN_SERVICE = 'tmail';

/** The part of keytar's API tmail uses. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  /** Gives up on calls under way (a timeout); the helper-process keytar is killed. */
  abandon?(): void;
}

/** Loads keytar; tests replace it to simulate a missing or broken module. */
export type KeytarLoader = () => Promise<KeytarApi>;

export interface KeychainOptions {
  /** How keytar is loaded; default `loadKeytarInHelper` (a helper process). */
  loader?: KeytarLoader;
  /** Limit for each keychain call in ms; default 3000 or `TMAIL_KEYCHAIN_TIMEOUT_MS`. */
  timeoutMs?: number;
}

/** Whether the keychain can be used, and if not, the sentence saying why. */
export type KeychainStatus = { available: true } | { available: false; error: TmailError };

const log = createLogger('keychain');

/**
 * keytar in this process: about 10 ms faster per run than the helper, but a
 * call stuck on a wedged daemon then holds the process at exit for 25 to 50 s
 * (`keychainCallsStuck()` tells). Not the default; for callers that prefer it.
 */
export const loadKeytarInProcess: KeytarLoader = async () => {
  // A variable specifier: the optional package may be absent, and type
  // checking and bundling must not depend on it (it loads from node_modules).
  const specifier = '@github/keytar';
  const module = (await import(specifier)) as KeytarApi & { default?: KeytarApi };
  const api = module.default ?? module;
  if (typeof api.getPassword !== 'function') throw new Error('keytar has no getPassword');
  return api;
};

const defaultLoader: KeytarLoader = loadKeytarInHelper;

let loader: KeytarLoader = defaultLoader;
let configuredTimeoutMs: number | undefined;
let loaded: Promise<KeytarApi> | undefined;
/** Set once the keychain has failed in a way that will not heal during this run. */
let broken: TmailError | undefined;
/** Calls that timed out and may still be running inside keytar. */
let stuckCalls = 0;

/** Replaces the loader and/or timeout, and forgets what earlier calls learned. */
export function configureKeychain(options: KeychainOptions = {}): void {
  loader = options.loader ?? defaultLoader;
  configuredTimeoutMs = options.timeoutMs;
  loaded = undefined;
  broken = undefined;
}

function timeoutMs(): number {
  if (configuredTimeoutMs !== undefined) return configuredTimeoutMs;
  const fromEnv = Number(process.env.TMAIL_KEYCHAIN_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 3000;
}

const ALTERNATIVES =
  'keep the password with a command (--password-command) or type it at each run (--password-prompt) instead';

function unavailable(reason: string, cause?: unknown): TmailError {
  return new TmailError(
    'KEYCHAIN_UNAVAILABLE',
    `The system keychain is not available (${reason}); ${ALTERNATIVES}.`,
    { cause },
  );
}

/** A short, secret-free reason from a keytar or libsecret error. */
function reasonOf(error: unknown, secret?: string): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/autolaunch D-Bus|DBUS_SESSION_BUS_ADDRESS|dbus/i.test(text) && !/secret/i.test(text))
    return 'no D-Bus session';
  if (/ServiceUnknown|was not provided by any \.service|org\.freedesktop\.secrets/i.test(text))
    return 'no Secret Service is running';
  if (/locked/i.test(text)) return 'the keyring is locked';
  let line = redact(text.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  if (secret) line = line.split(secret).join('***');
  return line.length > 100 ? `${line.slice(0, 100)}...` : line || 'unknown error';
}

async function api(): Promise<KeytarApi> {
  if (broken) throw broken;
  loaded ??= loader();
  try {
    return await loaded;
  } catch (error) {
    log.warn('keytar could not be loaded', { error });
    broken ??= unavailable('the keytar module could not be loaded', error);
    throw broken;
  }
}

function describeLimit(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/**
 * Runs one keytar call (loading keytar first if need be) within the timeout.
 * On a timeout the keychain is marked unavailable for this run and keytar is
 * told to abandon the call; an in-process keytar cannot, and its call is
 * counted as stuck until it returns.
 */
async function call<T>(what: string, run: (keytar: KeytarApi) => Promise<T>, secret?: string) {
  if (broken) throw broken;
  const limit = timeoutMs();
  let timer: NodeJS.Timeout | undefined;
  let started: Promise<T> | undefined;
  const work = api().then((keytar) => {
    started = run(keytar);
    return started;
  });
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(unavailable(`no keychain service answered within ${describeLimit(limit)}`)),
      limit,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    if (error instanceof TmailError) {
      if (error.code === 'KEYCHAIN_UNAVAILABLE' && /answered within/.test(error.message)) {
        log.warn(`keychain ${what} timed out`);
        abandon(started);
      }
      broken ??= error;
      throw broken;
    }
    const reason = reasonOf(error, secret);
    log.warn(`keychain ${what} failed: ${reason}`);
    // Every failure of the Secret Service itself (no bus, no service, locked)
    // is one the user must fix outside tmail; do not ask again this run.
    broken = unavailable(reason, error);
    throw broken;
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

/** Stops what a timed-out call left running, or counts it as stuck when that is impossible. */
function abandon(started: Promise<unknown> | undefined): void {
  const pending = loaded;
  void pending
    ?.then((keytar) => {
      if (keytar.abandon) return keytar.abandon();
      if (!started) return;
      stuckCalls += 1;
      const done = () => {
        stuckCalls -= 1;
      };
      started.then(done, done);
    })
    .catch(() => {});
}

/**
 * Checks that the keychain answers (a read of an entry that need not exist),
 * within the timeout. Never throws.
 */
export async function keychainStatus(): Promise<KeychainStatus> {
  try {
    await call('probe', (k) => k.getPassword(KEYCHAIN_SERVICE, '__tmail_probe__'));
    return { available: true };
  } catch (error) {
    return {
      available: false,
      error: error instanceof TmailError ? error : unavailable(reasonOf(error), error),
    };
  }
}

/** The stored password of an account, or null when there is none. KEYCHAIN_UNAVAILABLE on failure. */
export async function getKeychainPassword(accountName: string): Promise<string | null> {
  return call('read', (k) => k.getPassword(KEYCHAIN_SERVICE, accountName));
}

/** Stores (or replaces) the password of an account. KEYCHAIN_UNAVAILABLE on failure. */
export async function setKeychainPassword(accountName: string, password: string): Promise<void> {
  await call('write', (k) => k.setPassword(KEYCHAIN_SERVICE, accountName, password), password);
}

/** Deletes the stored password of an account; false when there was none. */
export async function deleteKeychainPassword(accountName: string): Promise<boolean> {
  return call('delete', (k) => k.deletePassword(KEYCHAIN_SERVICE, accountName));
}

/**
 * True while a keychain call that timed out is still running inside an
 * in-process keytar (`loadKeytarInProcess`). Such a call holds the process at
 * exit for up to about a minute on a wedged daemon, process.exit() included;
 * the default helper-process keytar never leaves one.
 */
export function keychainCallsStuck(): boolean {
  return stuckCalls > 0;
}
