/**
 * Where an account's refresh token is kept: the OS keychain (service `tmail`,
 * entry `oauth2:NAME`, apart from a password entry named NAME), or, where no
 * keychain answers (a server, a container), a file of its own,
 * `$XDG_STATE_HOME/tmail/oauth2-tokens.json`, readable by the user alone
 * (mode 0600), as the GitHub CLI does. Never the dotfile, never the log.
 */
import { chmod, readFile, rm } from 'node:fs/promises';
import { TmailError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { createLogger, registerSecret } from '../log.js';
import { statePath } from '../paths.js';
import {
  deleteKeychainPassword,
  getKeychainPassword,
  setKeychainPassword,
} from '../secrets/keychain.js';

const log = createLogger('oauth2');

/** The keychain entry of an account's refresh token (account names cannot hold a colon). */
export function keychainEntry(accountName: string): string {
  return `oauth2:${accountName}`;
}

/** The file that holds refresh tokens when no keychain answers. */
export function tokenFilePath(): string {
  return statePath('oauth2-tokens.json');
}

/** Where a refresh token was stored. */
export type StoredWhere = { where: 'keychain' } | { where: 'file'; path: string };

interface TokenFile {
  /** Refresh tokens by account name. */
  accounts: Record<string, string>;
}

async function readTokenFile(): Promise<TokenFile> {
  let text: string;
  try {
    text = await readFile(tokenFilePath(), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { accounts: {} };
    throw new TmailError('FILE_ERROR', `The sign-in file ${tokenFilePath()} could not be read.`, {
      cause: error,
    });
  }
  try {
    const doc = JSON.parse(text) as Partial<TokenFile>;
    const accounts: Record<string, string> = {};
    for (const [name, token] of Object.entries(doc.accounts ?? {})) {
      if (typeof token === 'string' && token) {
        registerSecret(token);
        accounts[name] = token;
      }
    }
    return { accounts };
  } catch {
    // Never quote the file: it holds secrets.
    log.warn('the sign-in file is not valid JSON; it is treated as empty');
    return { accounts: {} };
  }
}

async function writeTokenFile(file: TokenFile): Promise<void> {
  const path = tokenFilePath();
  if (Object.keys(file.accounts).length === 0) {
    await rm(path, { force: true });
    return;
  }
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  // The mode of a replaced file comes from the new one; make sure nonetheless.
  await chmod(path, 0o600);
}

/** The file's entry for an account, or null. */
async function fileToken(accountName: string): Promise<string | null> {
  return (await readTokenFile()).accounts[accountName] ?? null;
}

async function removeFromFile(accountName: string): Promise<boolean> {
  const file = await readTokenFile();
  if (!(accountName in file.accounts)) return false;
  delete file.accounts[accountName];
  await writeTokenFile(file);
  return true;
}

/**
 * Keeps an account's refresh token: in the keychain when it answers, else in
 * the 0600 file (the caller tells the user once, at sign-in).
 */
export async function saveRefreshToken(accountName: string, token: string): Promise<StoredWhere> {
  registerSecret(token);
  try {
    await setKeychainPassword(keychainEntry(accountName), token);
    // A copy left in the file from a time without keychain would outlive a revocation.
    await removeFromFile(accountName).catch(() => {});
    return { where: 'keychain' };
  } catch (error) {
    if (!(error instanceof TmailError) || error.code !== 'KEYCHAIN_UNAVAILABLE') throw error;
    log.info('no keychain answered; the refresh token goes to the sign-in file');
  }
  const file = await readTokenFile();
  file.accounts[accountName] = token;
  await writeTokenFile(file);
  return { where: 'file', path: tokenFilePath() };
}

/**
 * Replaces a stored refresh token (a server that rotates them sent a new one)
 * wherever the old one was.
 */
export async function replaceRefreshToken(accountName: string, token: string): Promise<void> {
  registerSecret(token);
  if ((await fileToken(accountName)) !== null) {
    const file = await readTokenFile();
    file.accounts[accountName] = token;
    await writeTokenFile(file);
    return;
  }
  await saveRefreshToken(accountName, token);
}

/** An account's refresh token, from the keychain or else the file; null when there is none. */
export async function loadRefreshToken(accountName: string): Promise<string | null> {
  try {
    const token = await getKeychainPassword(keychainEntry(accountName));
    if (token) {
      registerSecret(token);
      return token;
    }
  } catch (error) {
    if (!(error instanceof TmailError) || error.code !== 'KEYCHAIN_UNAVAILABLE') throw error;
  }
  return fileToken(accountName);
}

/**
 * Copies an account's refresh token to another account name (a renamed account), where it
 * is kept: the file's entry within the file, else the keychain's. False when there is none.
 * The old one stays until {@link deleteRefreshToken}, so a failure in between loses nothing.
 */
export async function copyRefreshToken(from: string, to: string): Promise<boolean> {
  const inFile = await fileToken(from);
  if (inFile !== null) {
    const file = await readTokenFile();
    file.accounts[to] = inFile;
    await writeTokenFile(file);
    return true;
  }
  const token = await getKeychainPassword(keychainEntry(from));
  if (!token) return false;
  registerSecret(token);
  await setKeychainPassword(keychainEntry(to), token);
  return true;
}

/** Forgets an account's refresh token everywhere; true when one was found. */
export async function deleteRefreshToken(accountName: string): Promise<boolean> {
  let deleted = false;
  try {
    deleted = await deleteKeychainPassword(keychainEntry(accountName));
  } catch (error) {
    if (!(error instanceof TmailError) || error.code !== 'KEYCHAIN_UNAVAILABLE') throw error;
  }
  return (await removeFromFile(accountName)) || deleted;
}
