/**
 * Where an account's secret comes from: the keychain, a command, a prompt, or
 * an OAuth2 token command. Secrets live in memory only, for the run; every one
 * read is registered with the log's redaction at once.
 */
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';
import { registerSecret } from '../log.js';
import { deleteRefreshToken, forgetAccessToken, getAccessToken } from '../oauth/index.js';
import { runSecretCommand } from './command.js';
import { deleteKeychainPassword, getKeychainPassword, setKeychainPassword } from './keychain.js';

export {
  KEYCHAIN_SERVICE,
  configureKeychain,
  deleteKeychainPassword,
  getKeychainPassword,
  keychainCallsStuck,
  keychainStatus,
  loadKeytarInProcess,
  setKeychainPassword,
  type KeychainOptions,
  type KeychainStatus,
  type KeytarApi,
  type KeytarLoader,
} from './keychain.js';
export { loadKeytarInHelper } from './keychain-helper.js';
export { runSecretCommand, type SecretCommandOptions } from './command.js';
export { promptSecret, type TerminalPromptIo } from './terminal-prompt.js';

export interface ResolveOptions {
  /** Asks the user for a password (for `prompt` sources); absent when nobody can answer. */
  prompt?: (question: string) => Promise<string>;
  /**
   * Ask again when the server refuses a typed password (default true). Off where the
   * answer is piped in: a script gives one password, and a second read finds no line.
   */
  askAgain?: boolean;
  signal?: AbortSignal;
  /** Limit for password and token commands in ms (default 60 s). */
  commandTimeoutMs?: number;
}

/**
 * Passwords already read this run, by account and source, as promises so that
 * IMAP and SMTP asking at the same moment share one prompt. OAuth2 tokens are
 * not kept: they expire, and their command is expected to cache them.
 */
const cache = new Map<string, Promise<string>>();

function cacheKey(account: AccountConfig): string {
  return `${account.name}\u0000${JSON.stringify(account.password)}`;
}

/** The login name for a service: the server's `user`, else the account's, else the address. */
export function loginUser(account: AccountConfig, service: 'imap' | 'smtp'): string {
  return account[service].user ?? account.user ?? account.email;
}

/**
 * Forgets the secrets read for an account (or for all), so that the next
 * resolve reads or asks again, e.g. after the server refused the password.
 */
export function forgetCredentials(accountName?: string): void {
  for (const key of cache.keys()) {
    if (accountName === undefined || key.startsWith(`${accountName}\u0000`)) cache.delete(key);
  }
}

/**
 * Keeps a password given by the user for this run (the wizard and
 * `account add` have just tested it), so the account does not ask again.
 */
export function rememberPassword(account: AccountConfig, password: string): void {
  registerSecret(password);
  cache.set(cacheKey(account), Promise.resolve(password));
}

async function readPassword(
  account: AccountConfig,
  options: ResolveOptions,
  again?: { attempt: number; tries: number },
): Promise<string> {
  const source = account.password;
  switch (source.type) {
    case 'keychain': {
      const password = await getKeychainPassword(account.name);
      if (password === null || password === '') {
        throw new TmailError(
          'SECRET_UNAVAILABLE',
          `The system keychain holds no password for account ${account.name}; store one with tmail account edit ${account.name} --keychain.`,
        );
      }
      return password;
    }
    case 'command':
      return runSecretCommand(source.command, {
        label: `the password command of account ${account.name}`,
        timeoutMs: options.commandTimeoutMs,
        signal: options.signal,
      });
    case 'prompt': {
      if (!options.prompt) {
        throw new TmailError(
          'SECRET_UNAVAILABLE',
          `Account ${account.name} asks for its password at each run, but there is no terminal to ask on; use tmail account edit ${account.name} --password-command CMD or --keychain.`,
        );
      }
      const password = await options.prompt(
        again
          ? // What changed first: a prompt line is cut at the screen's edge.
            `Password refused, try ${again.attempt} of ${again.tries}: password for ${account.email} (account ${account.name}): `
          : `Password for ${account.email} (account ${account.name}): `,
      );
      if (password === '') {
        throw new TmailError(
          'SECRET_UNAVAILABLE',
          `No password was given for account ${account.name}.`,
        );
      }
      return password;
    }
    case 'oauth2':
      throw new TmailError('INTERNAL', 'An OAuth2 source has no password.');
  }
}

/**
 * The credentials for an account's IMAP or SMTP login. Every secret read is
 * registered with the log's redaction. Throws SECRET_UNAVAILABLE or
 * KEYCHAIN_UNAVAILABLE with one sentence when it cannot get one, CANCELLED
 * when `signal` aborts.
 */
export async function resolveCredentials(
  account: AccountConfig,
  service: 'imap' | 'smtp',
  options: ResolveOptions = {},
): Promise<Credentials> {
  const user = loginUser(account, service);
  if (options.signal?.aborted) throw new TmailError('CANCELLED');
  const source = account.password;
  if (source.type === 'oauth2' && source.command === undefined) {
    // tmail's own sign-in: a token from memory, or renewed with the stored refresh token.
    const accessToken = await getAccessToken(account);
    return {
      user,
      accessToken,
      renew: async () => ({ user, accessToken: await getAccessToken(account, { force: true }) }),
    };
  }
  if (source.type === 'oauth2' && source.command !== undefined) {
    const accessToken = await runSecretCommand(source.command, {
      label: `the OAuth2 token command of account ${account.name}`,
      timeoutMs: options.commandTimeoutMs,
      signal: options.signal,
    });
    registerSecret(accessToken);
    return { user, accessToken };
  }
  const key = cacheKey(account);
  const read = (again?: { attempt: number; tries: number }): Promise<string> => {
    const pending = readPassword(account, options, again).then((password) => {
      registerSecret(password);
      return password;
    });
    cache.set(key, pending);
    // A failed read must not stick: the next try reads (or asks) again.
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
    return pending;
  };
  const pending = cache.get(key) ?? read();
  const password = await pending;
  if (source.type !== 'prompt' || !options.prompt) return { user, password };
  const typed = typedCredentials(user, password, pending, key, read);
  if (options.askAgain === false) delete typed.retype;
  return typed;
}

/**
 * Credentials of a typed password, which the login can drop and ask again for when the
 * server refuses it (IMAP's connect does, up to three tries). A refused password leaves
 * the run's memory at once, so a reconnect (Ctrl-l, :reconnect) asks instead of sending
 * the same wrong one again.
 */
function typedCredentials(
  user: string,
  password: string,
  pending: Promise<string>,
  key: string,
  read: (again: { attempt: number; tries: number }) => Promise<string>,
): Credentials {
  const refused = () => {
    if (cache.get(key) === pending) cache.delete(key);
  };
  return {
    user,
    password,
    refused,
    retype: async (attempt, tries) => {
      refused();
      const next = read({ attempt, tries });
      return typedCredentials(user, await next, next, key, read);
    },
  };
}

/**
 * Stores an account's password in the keychain (service `tmail`, account =
 * the account's name) and keeps it for this run. KEYCHAIN_UNAVAILABLE with
 * the way out when the keychain cannot be used.
 */
export async function storeKeychainPassword(accountName: string, password: string): Promise<void> {
  registerSecret(password);
  await setKeychainPassword(accountName, password);
  // A password read earlier this run is now stale.
  forgetCredentials(accountName);
}

/**
 * Removes what tmail stored for an account: its keychain entry when its
 * source is the keychain. Resolves to true when an entry was deleted.
 */
export async function deleteStoredPassword(account: AccountConfig): Promise<boolean> {
  forgetCredentials(account.name);
  if (account.password.type === 'oauth2' && account.password.command === undefined) {
    forgetAccessToken(account.name);
    return deleteRefreshToken(account.name);
  }
  if (account.password.type !== 'keychain') return false;
  return deleteKeychainPassword(account.name);
}
