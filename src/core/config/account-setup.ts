/**
 * Setting up an account, for both faces (the `tmail account` commands and
 * the Ink wizard): propose servers, check them for real, keep the password
 * where the account says, and save only what worked.
 *
 * The probes pull in imapflow and nodemailer, so they are imported only when
 * a check runs.
 */
import { TmailError, toTmailError } from '../errors.js';
import {
  deleteStoredPassword,
  keychainStatus,
  runSecretCommand,
  loginUser,
  rememberPassword,
  resolveCredentials,
  storeKeychainPassword,
  type KeychainStatus,
  type ResolveOptions,
} from '../secrets/index.js';
import { defaultAccountName, loadConfig, removeAccount, saveAccount } from './index.js';
import type { Discovery, ServerCandidate } from './providers.js';
import type { AccountConfig, Credentials, ProbeResult, TmailConfig } from './types.js';

export {
  PROVIDERS,
  discoverServers,
  emailDomain,
  findProvider,
  guessServers,
  mergeCandidates,
  srvToCandidates,
  type DiscoverOptions,
  type Discovery,
  type Provider,
  type ServerCandidate,
  type SrvRecord,
  type SrvResolver,
} from './providers.js';
export type { KeychainStatus } from '../secrets/index.js';

export interface CheckOptions {
  /** Limit for each server's check in ms; default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Which servers to check. */
export type Services = ReadonlyArray<'imap' | 'smtp'>;

/**
 * Logs in to the account's IMAP and SMTP servers (both at once) with the
 * given password or token; one result per server, IMAP first. Never throws.
 */
export async function probeAccount(
  account: AccountConfig,
  secret: { password?: string; accessToken?: string },
  options: CheckOptions & { services?: Services } = {},
): Promise<ProbeResult[]> {
  const services = options.services ?? ['imap', 'smtp'];
  const credentials = (service: 'imap' | 'smtp'): Credentials => ({
    user: loginUser(account, service),
    ...secret,
  });
  return Promise.all(
    services.map(async (service) => {
      if (service === 'imap') {
        const { probeImap } = await import('../imap/probe.js');
        return probeImap(account, credentials('imap'), options);
      }
      const { probeSmtp } = await import('../smtp/probe.js');
      return probeSmtp(account, credentials('smtp'), options);
    }),
  );
}

/** A result for a server whose check could not start (no password, for example). */
function notChecked(
  account: AccountConfig,
  service: 'imap' | 'smtp',
  error: TmailError,
): ProbeResult {
  const server = account[service];
  return {
    protocol: service === 'imap' ? 'IMAP' : 'SMTP',
    host: server.host,
    port: server.port,
    security: server.security,
    user: loginUser(account, service),
    ok: false,
    error,
  };
}

/**
 * `tmail account test`: reads the account's secret from its source (keychain,
 * command, prompt, token command) and checks both servers. A secret that
 * cannot be read fails both lines with that sentence. Never throws.
 */
export async function testAccount(
  account: AccountConfig,
  options: CheckOptions & Pick<ResolveOptions, 'prompt' | 'commandTimeoutMs'> = {},
): Promise<ProbeResult[]> {
  const services = ['imap', 'smtp'] as const;
  let credentials: Credentials[];
  try {
    credentials = await Promise.all(
      services.map((service) => resolveCredentials(account, service, options)),
    );
  } catch (error) {
    const e = toTmailError(error, 'SECRET_UNAVAILABLE');
    return services.map((service) => notChecked(account, service, e));
  }
  const [{ probeImap }, { probeSmtp }] = await Promise.all([
    import('../imap/probe.js'),
    import('../smtp/probe.js'),
  ]);
  return Promise.all([
    probeImap(account, credentials[0]!, options),
    probeSmtp(account, credentials[1]!, options),
  ]);
}

/**
 * One line per result, e.g. `IMAP 127.0.0.1:1143 ok (logged in as alice)` or
 * `SMTP mail.example.com:587 failed: The SMTP server ... refused the login ...`.
 */
export function formatProbeResult(result: ProbeResult): string {
  const where = `${result.protocol} ${result.host}:${result.port}`;
  return result.ok
    ? `${where} ok (${result.detail})`
    : `${where} failed: ${result.error.userMessage}`;
}

/**
 * Failures that show the server is the right one (it answered, and refused
 * the password or showed a certificate we do not trust): trying the next
 * candidate would not help.
 */
const DECISIVE = new Set(['AUTH_FAILED', 'TLS_UNTRUSTED', 'SERVER_NO', 'SERVER_BAD', 'CANCELLED']);

export interface FindServersOptions extends CheckOptions {
  /** Told before each candidate is tried, for progress lines. */
  onTry?: (protocol: 'imap' | 'smtp', candidate: ServerCandidate) => void;
}

/**
 * Tries the discovered candidates in order (IMAP and SMTP side by side) and
 * stops at the first that logs in, or at one that answers decisively (wrong
 * password, untrusted certificate). Resolves to the result for each protocol:
 * the working server, the decisive failure, or, when nothing answered, the
 * failure of the first (most likely) candidate.
 */
export async function findWorkingServers(
  account: AccountConfig,
  discovery: Pick<Discovery, 'imap' | 'smtp'>,
  secret: { password?: string; accessToken?: string },
  options: FindServersOptions = {},
): Promise<{ imap?: ProbeResult; smtp?: ProbeResult }> {
  const search = async (protocol: 'imap' | 'smtp') => {
    let first: ProbeResult | undefined;
    for (const candidate of discovery[protocol]) {
      if (options.signal?.aborted) break;
      options.onTry?.(protocol, candidate);
      const { source: _source, ...server } = candidate;
      const tried = { ...account, [protocol]: { ...account[protocol], ...server } };
      const [result] = await probeAccount(tried, secret, { ...options, services: [protocol] });
      if (result!.ok || DECISIVE.has(result!.error.code)) return result;
      first ??= result;
    }
    return first;
  };
  const [imap, smtp] = await Promise.all([search('imap'), search('smtp')]);
  return { ...(imap ? { imap } : {}), ...(smtp ? { smtp } : {}) };
}

/**
 * Runs a password command the user proposes and checks that it prints the
 * password that just logged in; null when it does, else the sentence why not
 * (never the output itself).
 */
export async function verifyPasswordCommand(
  command: string,
  expected: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TmailError | null> {
  try {
    const printed = await runSecretCommand(command, { label: 'the password command', ...options });
    if (printed === expected) return null;
    return new TmailError(
      'SECRET_UNAVAILABLE',
      'The command printed something else than the password that logged in.',
    );
  } catch (error) {
    return toTmailError(error, 'SECRET_UNAVAILABLE');
  }
}

/** Whether the keychain answers (within its timeout). Never throws. */
export function checkKeychain(): Promise<KeychainStatus> {
  return keychainStatus();
}

/**
 * Saves a checked account: a keychain source first gets `password` stored
 * (so nothing is saved when the keychain refuses), then the dotfile gets the
 * account. The password is kept in memory for this run. `replace` edits an
 * existing account of that name.
 */
export async function saveCheckedAccount(
  account: AccountConfig,
  password: string | undefined,
  { replace = false }: { replace?: boolean } = {},
): Promise<TmailConfig> {
  if (!replace && Object.hasOwn(loadConfig().accounts, account.name)) {
    throw new TmailError(
      'USAGE',
      `An account named ${account.name} already exists; choose another name or use tmail account edit ${account.name}.`,
    );
  }
  if (account.password.type === 'keychain') {
    if (password === undefined || password === '') {
      throw new TmailError(
        'SECRET_UNAVAILABLE',
        `A password is needed to store account ${account.name} in the keychain.`,
      );
    }
    await storeKeychainPassword(account.name, password);
  }
  const config = await saveAccount(account, { replace });
  if (password && account.password.type !== 'oauth2') rememberPassword(account, password);
  return config;
}

/**
 * Removes an account: its keychain entry (when it has one) and its entry in
 * the dotfile. A keychain that cannot be reached does not keep the account:
 * the dotfile entry goes anyway and `keychainError` says what was left.
 */
export async function removeAccountEverywhere(
  account: AccountConfig,
): Promise<{ config: TmailConfig; keychainDeleted: boolean; keychainError?: TmailError }> {
  let keychainDeleted = false;
  let keychainError: TmailError | undefined;
  try {
    keychainDeleted = await deleteStoredPassword(account);
  } catch (error) {
    keychainError = toTmailError(error, 'KEYCHAIN_UNAVAILABLE');
  }
  const config = await removeAccount(account.name);
  return { config, keychainDeleted, ...(keychainError ? { keychainError } : {}) };
}

/** A name for a new account from its address: the domain's first label (`example` for ann@example.com), made unique. */
export function suggestAccountName(email: string, taken: Iterable<string> = []): string {
  const used = new Set(taken);
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const local = email.slice(0, Math.max(0, email.lastIndexOf('@'))).toLowerCase();
  const generic = /^(gmail|googlemail|outlook|hotmail|live|yahoo|icloud|me|mac|gmx|web|aol)$/;
  const label = domain.split('.')[0] ?? '';
  let base = (generic.test(label) ? local : label).replace(/[^a-z0-9._-]/g, '-');
  base = base.replace(/^[^a-z0-9]+/, '').slice(0, 48) || 'mail';
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  return name;
}

export { defaultAccountName };
