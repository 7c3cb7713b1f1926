/**
 * The configuration API the rest of tmail uses. (Signatures fixed here first so
 * that the engine, CLI and UI can be written against them; the accounts work
 * fills in the bodies.)
 */
import { TmailError } from '../errors.js';
import type { AccountConfig, TmailConfig } from './types.js';

export type * from './types.js';

/**
 * Reads and validates the dotfile. A missing file gives an empty config; an
 * invalid one throws CONFIG_INVALID naming the field (`accounts.work.imap.port:
 * must be a number from 1 to 65535`) and leaves the file untouched.
 */
export function loadConfig(): TmailConfig {
  throw new TmailError('INTERNAL', 'loadConfig is not implemented yet.');
}

/** The named account, or the default one; CONFIG_MISSING / ACCOUNT_UNKNOWN otherwise. */
export function getAccount(config: TmailConfig, name?: string): AccountConfig {
  const wanted = name ?? config.defaultAccount ?? Object.keys(config.accounts)[0];
  if (!wanted) throw new TmailError('CONFIG_MISSING', 'No account is configured; run tmail account add.');
  const account = config.accounts[wanted];
  if (!account) throw new TmailError('ACCOUNT_UNKNOWN', `There is no account named ${wanted}; see tmail account list.`);
  return account;
}
