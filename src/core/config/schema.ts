/**
 * The dotfile's schema, checked by hand rather than with a JSON-schema library:
 * loading runs on every start-up, and ajv (what conf uses) alone costs more than
 * the whole read. Every problem becomes a `ConfigIssue` naming the field by its
 * dotted path and saying what is wrong; a value is never echoed back, since a
 * misplaced password could be one.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type {
  AccountConfig,
  AddressBookCommand,
  CacheConfig,
  ComposeConfig,
  ComposePrompt,
  ConfigIssue,
  Identity,
  FolderRoles,
  OAuth2Config,
  OAuth2ProviderName,
  PasswordSource,
  Security,
  ThreadMode,
  ServerConfig,
  TmailConfig,
  UiConfig,
} from './types.js';

/** The security values, in the order tmail proposes them. */
export const SECURITIES: readonly Security[] = ['tls', 'starttls', 'plain'];

/** The password source types. */
export const PASSWORD_SOURCE_TYPES: readonly PasswordSource['type'][] = [
  'keychain',
  'command',
  'prompt',
  'oauth2',
];

/** Folder roles an account may set by hand. */
export const FOLDER_ROLES: readonly (keyof FolderRoles)[] = [
  'drafts',
  'sent',
  'trash',
  'archive',
  'junk',
];

/** What an account name may look like: it is a JSON key, a keychain entry and a CLI word. */
export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The port used when the file gives none: IMAP 993 (tls) or 143; SMTP 465
 * (tls) or 587 (submission, RFC 6409).
 */
export function defaultPort(protocol: 'imap' | 'smtp', security: Security): number {
  if (protocol === 'imap') return security === 'tls' ? 993 : 143;
  return security === 'tls' ? 465 : 587;
}

/** True for names and addresses that never leave the machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (isIPv6(bare)) {
    // ::1 in any spelling, and IPv4-mapped loopback (::ffff:127.0.0.1).
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
    if (mapped) return mapped[1]!.startsWith('127.');
    return /^(0{0,4}:){2,7}0{0,3}1$/.test(bare) || bare === '::1';
  }
  return false;
}

/** Why an account name is refused, or undefined when it is fine. */
export function accountNameIssue(name: string): string | undefined {
  if (ACCOUNT_NAME_PATTERN.test(name)) return undefined;
  return 'must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit';
}

/** Why an email address is refused, or undefined when it looks like one. */
export function emailIssue(email: string): string | undefined {
  return /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+\.[^\s@<>()",;:\\[\]]+$/.test(email) ||
    /^[^\s@<>()",;:\\[\]]+@localhost$/i.test(email)
    ? undefined
    : 'must be an email address such as ann@example.com';
}

/** Why a host name is refused, or undefined when it looks like a name or an IP address. */
export function hostIssue(host: string): string | undefined {
  if (host.length === 0) return 'must not be empty';
  if (isIPv4(host) || isIPv6(host)) return undefined;
  if (host.length <= 253 && /^(?!-)[A-Za-z0-9-]{1,63}(\.(?!-)[A-Za-z0-9-]{1,63})*\.?$/.test(host))
    return undefined;
  return 'must be a host name such as imap.example.com or an IP address';
}

/** The message for `plain` security on a host that is not loopback. */
export const PLAIN_REFUSED =
  'may be plain only for localhost (127.0.0.1, ::1): plain sends the password unencrypted; use tls or starttls';

const PORT_MESSAGE = 'must be a number from 1 to 65535';
const HAS_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Formats a path segment: plain keys join with dots, odd ones are quoted. */
function segment(key: string): string {
  return /^[A-Za-z0-9_$-]+$/.test(key) ? key : JSON.stringify(key);
}

/** Collects issues while walking the document. */
class Checker {
  readonly issues: ConfigIssue[] = [];

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** Reports keys outside `known`; true when there were none. */
  onlyKnown(path: string, value: Json, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.issue(
          `${path}.${segment(key)}`,
          `is not a known setting (known here: ${known.join(', ')})`,
        );
      }
    }
  }

  string(
    path: string,
    value: unknown,
    { required = false, allowEmpty = false, singleLine = true } = {},
  ): string | undefined {
    if (value === undefined) {
      if (required) this.issue(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.issue(path, 'must be a string');
      return undefined;
    }
    if (!allowEmpty && value.trim() === '') {
      this.issue(path, 'must not be empty');
      return undefined;
    }
    if (singleLine && HAS_CONTROLS.test(value)) {
      this.issue(path, 'must be one line without control characters');
      return undefined;
    }
    return value;
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.issue(path, 'must be true or false');
      return undefined;
    }
    return value;
  }

  /** A whole number of seconds in [min, max]. */
  seconds(path: string, value: unknown, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.issue(path, `must be a whole number of seconds from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.issue(path, `must be one of ${allowed.join(', ')}`);
      return undefined;
    }
    return value as T;
  }
}

const ACCOUNT_KEYS = [
  'displayName',
  'email',
  'user',
  'imap',
  'smtp',
  'password',
  'oauth2',
  'allowInvalidCert',
  'folders',
  'signature',
  'signatureCommand',
  'signatureFile',
  'identities',
  'addressBookCommand',
  'serverSavesSent',
  'deleteMode',
  'downloadDir',
  'timeout',
  'pollSeconds',
  'countsSeconds',
  'threads',
  'cache',
] as const;
const IDENTITY_KEYS = [
  'email',
  'name',
  'signature',
  'signatureCommand',
  'signatureFile',
  'sentFolder',
] as const;
const COMPOSE_KEYS = ['prompts', 'signaturePosition'] as const;
const COMPOSE_PROMPTS: readonly ComposePrompt[] = ['to', 'cc', 'bcc', 'subject'];
const SERVER_KEYS = ['host', 'port', 'security', 'user'] as const;
const UI_KEYS = ['theme', 'bell', 'sidebar', 'layout', 'splitList', 'dateFormat'] as const;
const TOP_KEYS = [
  '$schema',
  'defaultAccount',
  'accounts',
  'keys',
  'ui',
  'addressBookCommand',
  'compose',
  'cache',
] as const;
const CACHE_KEYS = ['enabled', 'maxSizeMB', 'prefetchBodies', 'attachmentMaxMB'] as const;

function checkServer(
  c: Checker,
  path: string,
  value: unknown,
  protocol: 'imap' | 'smtp',
): ServerConfig | undefined {
  if (value === undefined) {
    c.issue(path, 'is required (an object with host, port and security)');
    return undefined;
  }
  if (!isObject(value)) {
    c.issue(path, 'must be an object with host, port and security');
    return undefined;
  }
  c.onlyKnown(path, value, SERVER_KEYS);
  const before = c.issues.length;
  const host = c.string(`${path}.host`, value.host, { required: true });
  if (host !== undefined) {
    const problem = hostIssue(host);
    if (problem) c.issue(`${path}.host`, problem);
  }
  const security = c.oneOf(`${path}.security`, value.security, SECURITIES) ?? 'tls';
  let port = defaultPort(protocol, security);
  if (value.port !== undefined) {
    const p = value.port;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
      c.issue(`${path}.port`, PORT_MESSAGE);
    } else {
      port = p;
    }
  }
  const user = c.string(`${path}.user`, value.user);
  if (host !== undefined && security === 'plain' && !isLoopbackHost(host)) {
    c.issue(`${path}.security`, PLAIN_REFUSED);
  }
  if (c.issues.length > before || host === undefined) return undefined;
  return { host, port, security, ...(user === undefined ? {} : { user }) };
}

function checkPassword(c: Checker, path: string, value: unknown): PasswordSource | undefined {
  const shape = 'an object such as {"type": "keychain"}';
  if (value === undefined) {
    c.issue(path, `is required: ${shape}, or command, prompt or oauth2`);
    return undefined;
  }
  if (!isObject(value)) {
    // Someone may have typed the password itself here; say why that is refused.
    c.issue(
      path,
      typeof value === 'string'
        ? `must be ${shape}; never write the password itself in this file`
        : `must be ${shape}`,
    );
    return undefined;
  }
  const type = c.oneOf(`${path}.type`, value.type, PASSWORD_SOURCE_TYPES);
  if (value.type === undefined) c.issue(`${path}.type`, 'is required');
  if (type === 'oauth2' && value.command === undefined) {
    // tmail's own sign-in; the account's oauth2 block says where.
    c.onlyKnown(path, value, ['type', 'command']);
    return { type };
  }
  if (type === 'command' || type === 'oauth2') {
    c.onlyKnown(path, value, ['type', 'command']);
    const command = c.string(`${path}.command`, value.command, { required: true });
    return command === undefined ? undefined : { type, command };
  }
  if (type === 'keychain' || type === 'prompt') {
    c.onlyKnown(path, value, ['type']);
    return { type };
  }
  return undefined;
}

/** The OAuth2 providers tmail knows. */
export const OAUTH2_PROVIDERS: readonly OAuth2ProviderName[] = ['google', 'microsoft'];

const OAUTH2_KEYS = [
  'provider',
  'issuer',
  'authorizationEndpoint',
  'tokenEndpoint',
  'deviceAuthorizationEndpoint',
  'clientId',
  'clientSecret',
  'tenant',
  'scope',
] as const;

/**
 * Why an OAuth2 address is refused, or undefined when it is fine: it must be
 * https, except on this machine (127.0.0.1, localhost), where tests and local
 * identity servers run.
 */
export function oauthUrlIssue(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an address such as https://login.example.com';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must start with https:// (plain http only for 127.0.0.1 or localhost)';
}

function checkOAuth2(c: Checker, path: string, value: unknown): OAuth2Config | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue(path, 'must be an object such as {"provider": "google", "clientId": "..."}');
    return undefined;
  }
  const before = c.issues.length;
  c.onlyKnown(path, value, OAUTH2_KEYS);
  const provider = c.oneOf(`${path}.provider`, value.provider, OAUTH2_PROVIDERS);
  const url = (
    key: 'issuer' | 'authorizationEndpoint' | 'tokenEndpoint' | 'deviceAuthorizationEndpoint',
  ) => {
    const text = c.string(`${path}.${key}`, value[key]);
    if (text === undefined) return undefined;
    const problem = oauthUrlIssue(text);
    if (problem) c.issue(`${path}.${key}`, problem);
    return text;
  };
  const issuer = url('issuer');
  const authorizationEndpoint = url('authorizationEndpoint');
  const tokenEndpoint = url('tokenEndpoint');
  const deviceAuthorizationEndpoint = url('deviceAuthorizationEndpoint');
  const clientId = c.string(`${path}.clientId`, value.clientId, { required: true });
  const clientSecret = c.string(`${path}.clientSecret`, value.clientSecret);
  const tenant = c.string(`${path}.tenant`, value.tenant);
  const scope = c.string(`${path}.scope`, value.scope);
  const explicit =
    authorizationEndpoint !== undefined ||
    tokenEndpoint !== undefined ||
    deviceAuthorizationEndpoint !== undefined;
  const ways = [value.provider !== undefined, value.issuer !== undefined, explicit].filter(
    Boolean,
  ).length;
  if (ways === 0) {
    c.issue(
      path,
      'needs one of provider (google or microsoft), issuer (an OpenID address) or tokenEndpoint with authorizationEndpoint or deviceAuthorizationEndpoint',
    );
  } else if (ways > 1) {
    c.issue(path, 'must give only one of provider, issuer or explicit endpoints');
  } else if (explicit) {
    if (tokenEndpoint === undefined && value.tokenEndpoint === undefined)
      c.issue(`${path}.tokenEndpoint`, 'is required with explicit endpoints');
    if (
      value.authorizationEndpoint === undefined &&
      value.deviceAuthorizationEndpoint === undefined
    )
      c.issue(
        `${path}.authorizationEndpoint`,
        'or deviceAuthorizationEndpoint is required with explicit endpoints',
      );
  }
  if (value.tenant !== undefined && provider !== 'microsoft' && value.provider !== 'microsoft') {
    c.issue(`${path}.tenant`, 'is only for "provider": "microsoft"');
  }
  if (tenant !== undefined && !/^[A-Za-z0-9.-]{1,256}$/.test(tenant)) {
    c.issue(`${path}.tenant`, 'must be common, organizations, consumers, a tenant id or a domain');
  }
  if (c.issues.length > before || clientId === undefined) return undefined;
  const config: OAuth2Config = { clientId };
  if (provider !== undefined) config.provider = provider;
  if (issuer !== undefined) config.issuer = issuer;
  if (authorizationEndpoint !== undefined) config.authorizationEndpoint = authorizationEndpoint;
  if (tokenEndpoint !== undefined) config.tokenEndpoint = tokenEndpoint;
  if (deviceAuthorizationEndpoint !== undefined)
    config.deviceAuthorizationEndpoint = deviceAuthorizationEndpoint;
  if (clientSecret !== undefined) config.clientSecret = clientSecret;
  if (tenant !== undefined) config.tenant = tenant;
  if (scope !== undefined) config.scope = scope;
  return config;
}

function checkFolders(c: Checker, path: string, value: unknown): FolderRoles | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue(
      path,
      'must be an object mapping roles (drafts, sent, trash, archive, junk) to folders',
    );
    return undefined;
  }
  c.onlyKnown(path, value, FOLDER_ROLES);
  const roles: FolderRoles = {};
  for (const role of FOLDER_ROLES) {
    const folder = c.string(`${path}.${role}`, value[role]);
    if (folder !== undefined) roles[role] = folder;
  }
  return roles;
}

/** An address query command: a non-empty string, or a non-empty list of one-line strings. */
function checkAddressBookCommand(
  c: Checker,
  path: string,
  value: unknown,
): AddressBookCommand | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      c.issue(path, 'must not be empty');
      return undefined;
    }
    const before = c.issues.length;
    const words = value.map((w, i) => c.string(`${path}[${i}]`, w, { allowEmpty: i > 0 }));
    return c.issues.length > before ? undefined : (words as string[]);
  }
  if (typeof value !== 'string') {
    c.issue(
      path,
      'must be a command (a string such as "khard email --parsable %s") or a list of words',
    );
    return undefined;
  }
  return c.string(path, value);
}

/** The signature settings shared by accounts and identities (at most one source each). */
function checkSignature(
  c: Checker,
  path: string,
  value: Json,
): Pick<Identity, 'signature' | 'signatureCommand' | 'signatureFile'> {
  const out: Pick<Identity, 'signature' | 'signatureCommand' | 'signatureFile'> = {};
  const signature = c.string(`${path}.signature`, value.signature, {
    allowEmpty: true,
    singleLine: false,
  });
  const signatureCommand = c.string(`${path}.signatureCommand`, value.signatureCommand);
  const signatureFile = c.string(`${path}.signatureFile`, value.signatureFile);
  const given = [signature, signatureCommand, signatureFile].filter((v) => v !== undefined);
  if (given.length > 1)
    c.issue(path, 'may have only one of signature, signatureCommand and signatureFile');
  if (signature !== undefined) out.signature = signature;
  if (signatureCommand !== undefined) out.signatureCommand = signatureCommand;
  if (signatureFile !== undefined) out.signatureFile = signatureFile;
  return out;
}

function checkIdentities(c: Checker, path: string, value: unknown): Identity[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    c.issue(path, 'must be a list of identities such as [{"email": "ann@example.org"}]');
    return undefined;
  }
  const identities: Identity[] = [];
  value.forEach((entry: unknown, index) => {
    const at = `${path}[${index}]`;
    if (!isObject(entry)) {
      c.issue(at, 'must be an object with an email');
      return;
    }
    const before = c.issues.length;
    c.onlyKnown(at, entry, IDENTITY_KEYS);
    const email = c.string(`${at}.email`, entry.email, { required: true });
    if (email !== undefined) {
      const problem = emailIssue(email);
      if (problem) c.issue(`${at}.email`, problem);
    }
    const name = c.string(`${at}.name`, entry.name, { allowEmpty: true });
    const signature = checkSignature(c, at, entry);
    const sentFolder = c.string(`${at}.sentFolder`, entry.sentFolder);
    if (c.issues.length > before || email === undefined) return;
    const identity: Identity = { email, ...signature };
    if (name !== undefined) identity.name = name;
    if (sentFolder !== undefined) identity.sentFolder = sentFolder;
    identities.push(identity);
  });
  return identities;
}

function checkCompose(c: Checker, value: unknown): ComposeConfig | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue('compose', 'must be an object such as {"prompts": ["to", "subject"]}');
    return undefined;
  }
  c.onlyKnown('compose', value, COMPOSE_KEYS);
  const compose: ComposeConfig = {};
  if (value.prompts !== undefined) {
    if (
      !Array.isArray(value.prompts) ||
      value.prompts.some((p) => !COMPOSE_PROMPTS.includes(p as ComposePrompt))
    ) {
      c.issue(
        'compose.prompts',
        `must be a list of ${COMPOSE_PROMPTS.join(', ')} (or [] for none)`,
      );
    } else {
      compose.prompts = [...new Set(value.prompts as ComposePrompt[])];
    }
  }
  const position = c.oneOf('compose.signaturePosition', value.signaturePosition, [
    'below',
    'above',
  ] as const);
  if (position !== undefined) compose.signaturePosition = position;
  return compose;
}

/** A `cache` block, at the top level or in an account. */
function checkCache(c: Checker, path: string, value: unknown): CacheConfig | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue(path, 'must be an object such as {"enabled": true, "maxSizeMB": 500}');
    return undefined;
  }
  c.onlyKnown(path, value, CACHE_KEYS);
  const cache: CacheConfig = {};
  const enabled = c.boolean(`${path}.enabled`, value.enabled);
  if (enabled !== undefined) cache.enabled = enabled;
  const whole = (
    key: 'maxSizeMB' | 'prefetchBodies' | 'attachmentMaxMB',
    min: number,
    max: number,
  ) => {
    const v = value[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      c.issue(`${path}.${key}`, `must be a whole number from ${min} to ${max}`);
      return;
    }
    cache[key] = v;
  };
  whole('maxSizeMB', 10, 1_000_000);
  whole('prefetchBodies', 0, 10_000);
  whole('attachmentMaxMB', 0, 1024);
  return cache;
}

function checkAccount(c: Checker, name: string, value: unknown): AccountConfig | undefined {
  const path = `accounts.${segment(name)}`;
  const nameProblem = accountNameIssue(name);
  if (nameProblem) c.issue(path, `the account name ${nameProblem}`);
  if (!isObject(value)) {
    c.issue(path, 'must be an object with email, imap, smtp and password');
    return undefined;
  }
  const before = c.issues.length;
  c.onlyKnown(path, value, ACCOUNT_KEYS);
  const email = c.string(`${path}.email`, value.email, { required: true });
  if (email !== undefined) {
    const problem = emailIssue(email);
    if (problem) c.issue(`${path}.email`, problem);
  }
  const displayName = c.string(`${path}.displayName`, value.displayName, { allowEmpty: true });
  const user = c.string(`${path}.user`, value.user);
  const imap = checkServer(c, `${path}.imap`, value.imap, 'imap');
  const smtp = checkServer(c, `${path}.smtp`, value.smtp, 'smtp');
  const password = checkPassword(c, `${path}.password`, value.password);
  const oauth2 = checkOAuth2(c, `${path}.oauth2`, value.oauth2);
  if (password?.type === 'oauth2' && password.command === undefined && value.oauth2 === undefined) {
    c.issue(
      `${path}.oauth2`,
      'is required with "password": {"type": "oauth2"}: say where to sign in, e.g. {"provider": "google", "clientId": "..."}',
    );
  }
  if (
    value.oauth2 !== undefined &&
    password !== undefined &&
    !(password.type === 'oauth2' && password.command === undefined)
  ) {
    c.issue(
      `${path}.oauth2`,
      'is used only with "password": {"type": "oauth2"} (without a command)',
    );
  }
  const allowInvalidCert = c.boolean(`${path}.allowInvalidCert`, value.allowInvalidCert);
  const folders = checkFolders(c, `${path}.folders`, value.folders);
  const signature = checkSignature(c, path, value);
  const identities = checkIdentities(c, `${path}.identities`, value.identities);
  const addressBookCommand = checkAddressBookCommand(
    c,
    `${path}.addressBookCommand`,
    value.addressBookCommand,
  );
  const serverSavesSent = c.boolean(`${path}.serverSavesSent`, value.serverSavesSent);
  const deleteMode = c.oneOf(`${path}.deleteMode`, value.deleteMode, ['trash', 'mark'] as const);
  const downloadDir = c.string(`${path}.downloadDir`, value.downloadDir);
  const timeout = checkTimeout(c, `${path}.timeout`, value.timeout);
  const pollSeconds = c.seconds(`${path}.pollSeconds`, value.pollSeconds, 5, 3600);
  const countsSeconds = c.seconds(`${path}.countsSeconds`, value.countsSeconds, 5, 3600);
  const cache = checkCache(c, `${path}.cache`, value.cache);
  const threads = checkThreads(c, `${path}.threads`, value.threads);
  if (c.issues.length > before || !email || !imap || !smtp || !password) return undefined;
  const account: AccountConfig = { name, email, imap, smtp, password };
  if (oauth2 !== undefined) account.oauth2 = oauth2;
  if (displayName !== undefined) account.displayName = displayName;
  if (user !== undefined) account.user = user;
  if (allowInvalidCert !== undefined) account.allowInvalidCert = allowInvalidCert;
  if (folders !== undefined) account.folders = folders;
  Object.assign(account, signature);
  if (identities !== undefined) account.identities = identities;
  if (addressBookCommand !== undefined) account.addressBookCommand = addressBookCommand;
  if (serverSavesSent !== undefined) account.serverSavesSent = serverSavesSent;
  if (deleteMode !== undefined) account.deleteMode = deleteMode;
  if (downloadDir !== undefined) account.downloadDir = downloadDir;
  if (timeout !== undefined) account.timeout = timeout;
  if (pollSeconds !== undefined) account.pollSeconds = pollSeconds;
  if (countsSeconds !== undefined) account.countsSeconds = countsSeconds;
  if (cache !== undefined) account.cache = cache;
  if (threads !== undefined) account.threads = threads;
  return account;
}

const THREAD_MODES: readonly ThreadMode[] = ['off', 'on', 'folded'];

/** Folder patterns to off, on or folded. */
function checkThreads(
  c: Checker,
  path: string,
  value: unknown,
): Record<string, ThreadMode> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue(
      path,
      'must be an object mapping folders (or patterns such as "*") to off, on or folded',
    );
    return undefined;
  }
  const threads: Record<string, ThreadMode> = {};
  for (const [folder, mode] of Object.entries(value)) {
    const checked = c.oneOf(`${path}.${segment(folder)}`, mode, THREAD_MODES);
    if (checked !== undefined) threads[folder] = checked;
  }
  return threads;
}

/** Seconds, from 1 to 3600: a wait on the server longer than an hour is a hang. */
function checkTimeout(c: Checker, path: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 3600) {
    c.issue(path, 'must be a number of seconds from 1 to 3600');
    return undefined;
  }
  return value;
}

/** `ui.splitList`: rows (1 to 500) or a share of the height ("5%" to "90%"). */
function checkSplitList(c: Checker, value: unknown): UiConfig['splitList'] {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 500)
    return value;
  const share = typeof value === 'string' ? /^(\d{1,2})%$/.exec(value.trim()) : null;
  if (share && Number(share[1]) >= 5 && Number(share[1]) <= 90) return `${Number(share[1])}%`;
  c.issue('ui.splitList', 'must be a number of rows (such as 10) or a share from "5%" to "90%"');
  return undefined;
}

function checkUi(c: Checker, value: unknown): UiConfig | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    c.issue('ui', 'must be an object');
    return undefined;
  }
  c.onlyKnown('ui', value, UI_KEYS);
  const ui: UiConfig = {};
  const theme = c.oneOf('ui.theme', value.theme, ['default', 'mono'] as const);
  const bell = c.boolean('ui.bell', value.bell);
  const sidebar = c.boolean('ui.sidebar', value.sidebar);
  const layout = c.oneOf('ui.layout', value.layout, ['split', 'full'] as const);
  const dateFormat = c.oneOf('ui.dateFormat', value.dateFormat, ['relative', 'iso'] as const);
  const splitList = checkSplitList(c, value.splitList);
  if (splitList !== undefined) ui.splitList = splitList;
  if (theme !== undefined) ui.theme = theme;
  if (bell !== undefined) ui.bell = bell;
  if (sidebar !== undefined) ui.sidebar = sidebar;
  if (layout !== undefined) ui.layout = layout;
  if (dateFormat !== undefined) ui.dateFormat = dateFormat;
  return ui;
}

/** The result of checking a document: the loaded config, or every problem found. */
export type ValidationResult =
  { ok: true; config: TmailConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Checks a parsed dotfile and returns the config with defaults filled in
 * (ports, security, account names), or every issue found, in file order.
 */
export function validateConfig(document: unknown): ValidationResult {
  const c = new Checker();
  if (!isObject(document)) {
    c.issue('(file)', 'must hold a JSON object such as {"accounts": {}}');
    return { ok: false, issues: c.issues };
  }
  c.onlyKnown('(top level)', document, TOP_KEYS);
  // Unknown top-level keys read better without the placeholder prefix.
  for (const issue of c.issues) issue.path = issue.path.replace(/^\(top level\)\./, '');
  c.string('$schema', document.$schema);
  const accounts: Record<string, AccountConfig> = {};
  if (document.accounts !== undefined && !isObject(document.accounts)) {
    c.issue('accounts', 'must be an object mapping account names to accounts');
  } else if (document.accounts !== undefined) {
    for (const [name, entry] of Object.entries(document.accounts)) {
      const account = checkAccount(c, name, entry);
      if (account) accounts[name] = account;
    }
  }
  const defaultAccount = c.string('defaultAccount', document.defaultAccount);
  if (
    defaultAccount !== undefined &&
    !(isObject(document.accounts) && Object.hasOwn(document.accounts, defaultAccount))
  ) {
    const known = isObject(document.accounts) ? Object.keys(document.accounts) : [];
    c.issue(
      'defaultAccount',
      known.length
        ? `names no account (the accounts are ${known.join(', ')})`
        : 'names no account (there are none)',
    );
  }
  // Key bindings are checked by the keymap, which reports a bad entry and
  // ignores it (ARCHITECTURE, principle 4): a typo there must not stop tmail.
  const keys = document.keys as TmailConfig['keys'];
  const ui = checkUi(c, document.ui);
  const addressBookCommand = checkAddressBookCommand(
    c,
    'addressBookCommand',
    document.addressBookCommand,
  );
  const compose = checkCompose(c, document.compose);
  const cache = checkCache(c, 'cache', document.cache);
  if (c.issues.length) return { ok: false, issues: c.issues };
  const config: TmailConfig = { accounts };
  if (addressBookCommand !== undefined) config.addressBookCommand = addressBookCommand;
  if (compose !== undefined) config.compose = compose;
  if (cache !== undefined) config.cache = cache;
  if (defaultAccount !== undefined) config.defaultAccount = defaultAccount;
  if (keys !== undefined) config.keys = keys;
  if (ui !== undefined) config.ui = ui;
  return { ok: true, config };
}

/**
 * Checks one account as it would be saved (the same rules as loading), and
 * returns the issues; empty when it can be saved.
 */
export function checkAccountConfig(account: AccountConfig): ConfigIssue[] {
  const c = new Checker();
  checkAccount(c, account.name, accountToFile(account));
  return c.issues;
}

/** The JSON an account is written as: its name is the key, so it is left out. */
export function accountToFile(account: AccountConfig): Record<string, unknown> {
  const { name: _name, ...rest } = account;
  // Drop undefined fields so the file holds only what is set, in the order
  // the documentation lists them.
  const plain = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of ACCOUNT_KEYS) if (key in plain) ordered[key] = plain[key];
  return ordered;
}
