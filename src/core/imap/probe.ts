/**
 * "Log in and report" for `tmail account test` and the setup wizard: connect,
 * log in, list the folders (to learn the SPECIAL-USE roles), log out. Never
 * throws; the result says what worked or holds one TmailError naming host and
 * port.
 */
import { ImapFlow } from 'imapflow';
import type { AccountConfig, Credentials, FolderRoles, ProbeResult } from '../config/types.js';
import { TmailError } from '../errors.js';
import { folderNaming, toDisplayPath } from '../folder-path.js';
import { startProbe } from '../probe-base.js';
import { imapOptions, translateImapError } from './connect.js';

export interface ProbeOptions {
  /** Limit for the whole check (connect, TLS, greeting, login, list) in ms; default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const ROLE_OF_FLAG: Record<string, keyof FolderRoles> = {
  '\\Drafts': 'drafts',
  '\\Sent': 'sent',
  '\\Trash': 'trash',
  '\\Archive': 'archive',
  '\\Junk': 'junk',
};

/** Connects to the account's IMAP server, logs in with `credentials`, and reports. */
export async function probeImap(
  account: AccountConfig,
  credentials: Credentials,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { base, cancelled } = startProbe('IMAP', account.imap, credentials, options.signal);
  if (cancelled) return cancelled;
  // Built here rather than through connectImap so that a timeout or a cancel
  // can close the socket of a login that is still under way.
  const client = new ImapFlow(imapOptions({ account, credentials, timeoutMs }));
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new Error('Timed out') as Error & { code: string };
      error.code = 'ETIMEDOUT';
      reject(error);
    }, timeoutMs);
    onAbort = () => reject(new TmailError('CANCELLED'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const specialUse = await Promise.race([
      (async () => {
        await client.connect();
        const roles: FolderRoles = {};
        for (const folder of await client.list()) {
          // Only what the server itself flags: name guesses are the engine's business.
          const role = folder.specialUse && ROLE_OF_FLAG[folder.specialUse];
          if (role && folder.specialUseSource !== 'name' && !roles[role])
            roles[role] = toDisplayPath(folder.path, folderNaming(client.namespace));
        }
        return roles;
      })(),
      stopped,
    ]);
    await Promise.race([client.logout().catch(() => {}), stopped.catch(() => {})]);
    return { ...base, ok: true, detail: `logged in as ${credentials.user}`, specialUse };
  } catch (error) {
    return { ...base, ok: false, error: probeError(error, account) };
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    stopped.catch(() => {});
    client.close();
  }
}

/**
 * Login refusals that are not about the password (RFC 5530 response codes):
 * saying "check the password" would send the user the wrong way.
 */
const LOGIN_REFUSALS: Record<string, string> = {
  UNAVAILABLE: 'cannot log anyone in at the moment; try again later',
  PRIVACYREQUIRED: 'accepts the login only over an encrypted connection; use tls or starttls',
  EXPIRED: 'says the password or account has expired',
  CONTACTADMIN: 'refused the login and asks you to contact its administrator',
  LIMIT: 'refused the login because a limit was reached',
};

/** translateImapError, with host and port in the NO and BAD sentences too. */
function probeError(error: unknown, account: AccountConfig): TmailError {
  const where = `${account.imap.host}:${account.imap.port}`;
  const e = (error ?? {}) as { serverResponseCode?: string; responseText?: string };
  const refusal = e.serverResponseCode && LOGIN_REFUSALS[e.serverResponseCode.toUpperCase()];
  if (refusal) {
    return new TmailError('SERVER_NO', `The IMAP server ${where} ${refusal}.`, {
      serverText: e.responseText,
      cause: error,
    });
  }
  const translated = translateImapError(error, account);
  if (translated.code === 'SERVER_NO' || translated.code === 'SERVER_BAD') {
    const what =
      translated.code === 'SERVER_NO' ? 'refused the request' : 'did not understand the request';
    return new TmailError(translated.code, `The IMAP server ${where} ${what}.`, {
      serverText: translated.serverText,
      cause: error,
    });
  }
  return translated;
}
