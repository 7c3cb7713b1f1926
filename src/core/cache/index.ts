/**
 * The local cache: one SQLite store per account under
 * `$XDG_CACHE_HOME/tmail/mail/<account>.sqlite3`, safe to delete (it is
 * rebuilt from the server as needed).
 *
 * This folder is the only importer of better-sqlite3 (eslint.config.js
 * enforces it, as for the other libraries of the core), and it loads the
 * native module only when a store is opened, so commands that never use the
 * cache start as fast as before. The engine's folder sync is its main caller;
 * the faces never use it directly.
 *
 * The interface (all synchronous, none of it throws; see account-cache.ts):
 * - `openAccountCache(account, options)` -> an AccountCache (`available` false
 *   when the cache is off or unusable: reads find nothing, writes do nothing);
 * - folders: `folderState(path)`, `folders()`, `applyFolderState(state)` (a new
 *   UIDVALIDITY drops the folder's rows; with `uids`, the folder's whole UID
 *   list), `uidList(path)` and `setUidList(folder, uids, basis)` (that list,
 *   kept current while the folder is open), `dropFolder(path)`;
 * - messages: `applyEnvelopes(folder, envelopes)`, `applyFlagChanges(folder,
 *   changes)`, `removeUids(folder, uids)`, `uids(path)`, `orderedUids(path,
 *   order)`, `pageOfEnvelopes(path, order, offset, limit)`, `envelopes(path, uids)`;
 * - bodies: `putBody`/`getBody`, `missingBodies(path, n)` (for the background
 *   prefetch), `putAttachment`/`getAttachment` (within the attachment cap);
 * - `search(query)` across folders, newest first;
 * - `stats()`, `clear()`, `close()`.
 */
import { join } from 'node:path';
import type { AccountConfig } from '../config/types.js';
import { cacheDir } from '../paths.js';
import { AccountCache, type OpenCacheOptions } from './account-cache.js';

export {
  AccountCache,
  fileBytes,
  removeStoreFiles,
  storeFiles,
  type CacheStats,
  type CachedAttachment,
  type CachedBody,
  type CachedEnvelope,
  type CachedFolder,
  type FolderKey,
  type FolderStats,
  type FolderSyncState,
  type OpenCacheOptions,
  type SearchHit,
} from './account-cache.js';
export { cacheSettings, DEFAULT_CACHE_SETTINGS, type CacheSettings } from './settings.js';
export { localQuery, searchesBodies } from './query.js';

/** Directory of the stores: `$XDG_CACHE_HOME/tmail/mail` (or `$TMAIL_CACHE_DIR/mail`). */
export function storeDir(): string {
  return join(cacheDir(), 'mail');
}

/** The store file of an account (account names are safe file names: see ACCOUNT_NAME_PATTERN). */
export function storeFile(account: string): string {
  return join(storeDir(), `${account}.sqlite3`);
}

/**
 * Opens (creating or rebuilding as needed) the store of an account. Never
 * throws: trouble is told once through `options.onNotice` and the cache is then
 * unavailable for the run.
 */
export function openAccountCache(
  account: string | Pick<AccountConfig, 'name' | 'imap' | 'user' | 'email'>,
  options: Partial<OpenCacheOptions> = {},
): AccountCache {
  if (typeof account === 'string')
    return new AccountCache(account, { ...options, file: options.file ?? storeFile(account) });
  return new AccountCache(account.name, {
    identity: accountIdentity(account),
    ...options,
    file: options.file ?? storeFile(account.name),
  });
}

/** Whose mail an account's store holds: the IMAP login at its host and port. */
export function accountIdentity(account: Pick<AccountConfig, 'imap' | 'user' | 'email'>): string {
  const login = account.imap.user ?? account.user ?? account.email;
  return `${login}@${account.imap.host}:${account.imap.port}`;
}
