/**
 * The configuration API the rest of tmail uses: load the dotfile, pick an
 * account, and change accounts. Loading is cheap (node:fs and a hand-written
 * check); the conf-backed writer is imported only when something is saved.
 */
import { TmailError } from '../errors.js';
import { accountToFile, checkAccountConfig } from './schema.js';
import { ConfigError, configFilePath, updateConfig } from './store.js';
import type { AccountConfig, TmailConfig } from './types.js';

export type * from './types.js';
export {
  ACCOUNT_NAME_PATTERN,
  FOLDER_ROLES,
  PASSWORD_SOURCE_TYPES,
  PLAIN_REFUSED,
  SECURITIES,
  accountNameIssue,
  checkAccountConfig,
  defaultPort,
  emailIssue,
  hostIssue,
  isLoopbackHost,
  validateConfig,
  type ValidationResult,
} from './schema.js';
export {
  ConfigError,
  configFileExists,
  configFilePath,
  loadConfig,
  updateConfig,
  type ConfigDocument,
} from './store.js';

/** The named account, or the default one; CONFIG_MISSING / ACCOUNT_UNKNOWN otherwise. */
export function getAccount(config: TmailConfig, name?: string): AccountConfig {
  const wanted = name ?? config.defaultAccount ?? Object.keys(config.accounts)[0];
  if (!wanted)
    throw new TmailError('CONFIG_MISSING', 'No account is configured; run tmail account add.');
  const account = config.accounts[wanted];
  if (!account)
    throw new TmailError(
      'ACCOUNT_UNKNOWN',
      `There is no account named ${wanted}; see tmail account list.`,
    );
  return account;
}

/** The name of the account used when none is given, or undefined when there is none. */
export function defaultAccountName(config: TmailConfig): string | undefined {
  return config.defaultAccount ?? Object.keys(config.accounts)[0];
}

/**
 * Adds an account, or replaces the one of the same name when `replace` is
 * set. The first account becomes the default. Throws CONFIG_INVALID naming
 * the field when the account is not valid, and never writes then.
 */
export async function saveAccount(
  account: AccountConfig,
  { replace = false }: { replace?: boolean } = {},
): Promise<TmailConfig> {
  const issues = checkAccountConfig(account);
  if (issues.length) throw new ConfigError(configFilePath(), issues);
  return updateConfig((document) => {
    const accounts = (document.accounts ??= {});
    if (!replace && Object.hasOwn(accounts, account.name)) {
      throw new TmailError(
        'USAGE',
        `An account named ${account.name} already exists; choose another name or use tmail account edit ${account.name}.`,
      );
    }
    accounts[account.name] = accountToFile(account);
    if (!document.defaultAccount && Object.keys(accounts).length === 1) {
      document.defaultAccount = account.name;
    }
  });
}

/**
 * Removes an account from the dotfile (its keychain entry is the caller's
 * business: see `deleteStoredPassword` in core/secrets). When it was the
 * default, the next account, if any, becomes the default.
 */
export async function removeAccount(name: string): Promise<TmailConfig> {
  return updateConfig((document) => {
    const accounts = document.accounts ?? {};
    if (!Object.hasOwn(accounts, name)) throw unknownAccount(name);
    delete accounts[name];
    if (document.defaultAccount === name) {
      const next = Object.keys(accounts)[0];
      if (next) document.defaultAccount = next;
      else delete document.defaultAccount;
    }
  });
}

/** Makes `name` the account used when none is given. */
export async function setDefaultAccount(name: string): Promise<TmailConfig> {
  return updateConfig((document) => {
    if (!Object.hasOwn(document.accounts ?? {}, name)) throw unknownAccount(name);
    document.defaultAccount = name;
  });
}

function unknownAccount(name: string): TmailError {
  return new TmailError(
    'ACCOUNT_UNKNOWN',
    `There is no account named ${name}; see tmail account list.`,
  );
}
