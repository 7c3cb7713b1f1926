/**
 * Renaming an account (`tmail account rename OLD NEW`): the name is the key of
 * everything tmail keeps for an account, so each place moves with it:
 *
 * - the dotfile's entry (its place in the file kept) and `defaultAccount`;
 * - the password in the system keychain (service `tmail`, entry NAME) and an
 *   OAuth2 refresh token (entry `oauth2:NAME`, or the sign-in file);
 * - the offline flag queue, `stateDir()/pending/NAME.json`;
 * - messages waiting in the outbox and local drafts, which name their account;
 * - the local cache, `$XDG_CACHE_HOME/tmail/mail/NAME.sqlite3` (and its -wal and -shm),
 *   so the renamed account does not fetch everything again.
 *
 * Secrets are copied under the new name before the dotfile changes and the
 * old entries removed only after it did, so a failure part-way leaves the
 * account working under one name or the other, never without its password.
 */
import { existsSync, renameSync } from 'node:fs';
import { removeStoreFiles, storeFile, storeFiles } from './cache/index.js';
import {
  accountNameIssue,
  getAccount,
  loadConfig,
  updateConfig,
  type AccountConfig,
} from './config/index.js';
import { pendingQueueFile } from './engine/pending-flags.js';
import { TmailError, toTmailError } from './errors.js';
import { fsErrorReason } from './fs-errors.js';
import { copyRefreshToken, deleteRefreshToken } from './oauth/token-store.js';
import { listLocalDrafts, saveLocalDraft } from './outbox/drafts.js';
import { Outbox } from './outbox/outbox.js';
import {
  deleteKeychainPassword,
  getKeychainPassword,
  setKeychainPassword,
} from './secrets/keychain.js';
import { registerSecret } from './log.js';

/** What moved, for the CLI to report. */
export interface RenameReport {
  from: string;
  to: string;
  /** It was the default account, and the default now names the new name. */
  wasDefault: boolean;
  /** The keychain's password entry moved. */
  keychainPassword: boolean;
  /** An OAuth2 refresh token moved (keychain or sign-in file). */
  refreshToken: boolean;
  /** Changes waiting offline moved with the queue file. */
  offlineQueue: boolean;
  /** Outbox messages now sent from the new name. */
  outbox: number;
  /** Outbox messages that were being sent right now and keep the old name. */
  outboxBusy: number;
  /** Local drafts now of the new name. */
  drafts: number;
  /** The local cache moved to the new name. */
  cache: boolean;
  /** Old secret entries that could not be removed (one sentence each). */
  leftBehind: string[];
}

/** Checks the names; the account to rename. Throws a one-sentence TmailError. */
function check(from: string, to: string): AccountConfig {
  const config = loadConfig();
  const account = getAccount(config, from);
  const problem = accountNameIssue(to);
  if (problem) throw new TmailError('USAGE', `The new name ${problem}.`);
  if (to === from) throw new TmailError('USAGE', `The account is already named ${to}.`);
  if (Object.hasOwn(config.accounts, to))
    throw new TmailError(
      'USAGE',
      `An account named ${to} already exists; remove it first or choose another name.`,
    );
  return account;
}

/** Renames an account everywhere tmail keeps something under its name. */
export async function renameAccountEverywhere(from: string, to: string): Promise<RenameReport> {
  const account = check(from, to);
  const report: RenameReport = {
    from,
    to,
    wasDefault: false,
    keychainPassword: false,
    refreshToken: false,
    offlineQueue: false,
    outbox: 0,
    outboxBusy: 0,
    drafts: 0,
    cache: false,
    leftBehind: [],
  };

  // 1. Secrets under the new name first: a keychain that does not answer stops the rename here.
  if (account.password.type === 'keychain') {
    const password = await getKeychainPassword(from);
    if (password !== null) {
      registerSecret(password);
      await setKeychainPassword(to, password);
      report.keychainPassword = true;
    }
  }
  if (account.password.type === 'oauth2') {
    try {
      report.refreshToken = await copyRefreshToken(from, to);
    } catch (error) {
      await deleteKeychainPassword(to).catch(() => {});
      throw error;
    }
  }

  // 2. The dotfile, keeping the account's place among the others.
  try {
    await updateConfig((document) => {
      const accounts = document.accounts ?? {};
      const renamed: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(accounts))
        renamed[name === from ? to : name] = value;
      document.accounts = renamed as typeof document.accounts;
      if (document.defaultAccount === from) {
        document.defaultAccount = to;
        report.wasDefault = true;
      }
    });
  } catch (error) {
    // Nothing renamed: the copies under the new name go again.
    if (report.keychainPassword) await deleteKeychainPassword(to).catch(() => {});
    if (report.refreshToken) await deleteRefreshToken(to).catch(() => {});
    throw error;
  }

  // 3. The old secrets: the account no longer reads them.
  if (report.keychainPassword) {
    await deleteKeychainPassword(from).catch((error: unknown) =>
      report.leftBehind.push(
        `the old keychain entry (service tmail, account ${from}) could not be removed: ${toTmailError(error).userMessage}`,
      ),
    );
  }
  if (report.refreshToken) {
    await deleteRefreshToken(from).catch((error: unknown) =>
      report.leftBehind.push(
        `the old sign-in of ${from} could not be removed: ${toTmailError(error).userMessage}`,
      ),
    );
  }

  // 4. State kept under the name: the offline queue, the outbox, local drafts.
  const queue = pendingQueueFile(from);
  if (existsSync(queue)) {
    const target = pendingQueueFile(to);
    // A queue left by an earlier account of the new name is not this account's: kept aside.
    if (existsSync(target)) renameSync(target, `${target}.before-rename-${Date.now()}`);
    try {
      renameSync(queue, target);
      report.offlineQueue = true;
    } catch (error) {
      report.leftBehind.push(
        `the changes waiting offline could not be moved from ${queue} to ${target}: ${fsErrorReason(error)}`,
      );
    }
  }
  const outbox = new Outbox();
  const moved = await outbox.renameAccount(from, to);
  report.outbox = moved.renamed;
  report.outboxBusy = moved.busy;
  for (const draft of await listLocalDrafts(from)) {
    await saveLocalDraft({ ...draft, account: to });
    report.drafts++;
  }
  report.cache = moveCache(from, to);
  return report;
}

/**
 * Moves the cache's files to the new name; a leftover cache of an earlier account of that
 * name goes first (it holds another account's mail). A cache that cannot move is dropped:
 * it only holds what the server has, and fills again.
 */
function moveCache(from: string, to: string): boolean {
  const source = storeFiles(storeFile(from));
  if (!existsSync(source[0]!)) return false;
  const target = storeFiles(storeFile(to));
  removeStoreFiles(target[0]!);
  try {
    source.forEach((file, i) => {
      if (existsSync(file)) renameSync(file, target[i]!);
    });
    return true;
  } catch {
    removeStoreFiles(source[0]!);
    removeStoreFiles(target[0]!);
    return false;
  }
}
