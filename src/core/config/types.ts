/**
 * The shape of the dotfile (`config.json`) once loaded. Validation lives in
 * schema.ts; this file only names the parts. Passwords are never part of it:
 * an account names where its secret comes from.
 */
import type { TmailError } from '../errors.js';

/** How a connection is protected. `plain` is refused for any host but loopback. */
export type Security = 'tls' | 'starttls' | 'plain';

export interface ServerConfig {
  host: string;
  /** Always set once loaded (the file may leave it out; see `defaultPort`). */
  port: number;
  security: Security;
  /** Login name; defaults to the account's `user`, then its email address. */
  user?: string;
}

/** Where an account's secret comes from. */
export type PasswordSource =
  /** The OS keychain via keytar: service `tmail`, account = the account's name. */
  | { type: 'keychain' }
  /** A shell command whose first line of output is the password. */
  | { type: 'command'; command: string }
  /** Asked once per run, kept in memory only. */
  | { type: 'prompt' }
  /**
   * OAuth2: without `command`, tmail's own sign-in (the account's `oauth2`
   * block says where; the refresh token lives in the keychain or a 0600 file);
   * with `command`, a shell command that prints an access token.
   */
  | { type: 'oauth2'; command?: string };

/** The OAuth2 providers tmail knows the endpoints of. */
export type OAuth2ProviderName = 'google' | 'microsoft';

/**
 * Where and as whom an account signs in with OAuth2. Exactly one of
 * `provider`, `issuer` (OpenID discovery) or explicit endpoints
 * (`tokenEndpoint` with `authorizationEndpoint` and/or
 * `deviceAuthorizationEndpoint`). The client is the user's own registration.
 */
export interface OAuth2Config {
  provider?: OAuth2ProviderName;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  clientId: string;
  /** Only where the provider requires one for installed apps (Google does). */
  clientSecret?: string;
  /** Microsoft only: `common` (default), `organizations`, `consumers` or a tenant id or domain. */
  tenant?: string;
  /** Space-separated scopes; the provider's mail scopes by default. */
  scope?: string;
}

export type PasswordSourceType = PasswordSource['type'];

/** Folder paths for roles, when SPECIAL-USE is missing or wrong. */
export interface FolderRoles {
  drafts?: string;
  sent?: string;
  trash?: string;
  archive?: string;
  junk?: string;
}

/** How a folder's list opens: flat, threaded, or threaded and folded. */
export type ThreadMode = 'off' | 'on' | 'folded';

export interface AccountConfig {
  /** The key under `accounts`; filled in when the file is loaded. */
  name: string;
  displayName?: string;
  email: string;
  /** Default login for IMAP and SMTP. */
  user?: string;
  imap: ServerConfig;
  smtp: ServerConfig;
  password: PasswordSource;
  /** The built-in OAuth2 sign-in's settings (with `"password": {"type": "oauth2"}`). */
  oauth2?: OAuth2Config;
  /** The account's explicit opt-out of certificate checks (self-signed servers). */
  allowInvalidCert?: boolean;
  folders?: FolderRoles;
  signature?: string;
  /** A shell command whose output is the signature (instead of `signature`). */
  signatureCommand?: string;
  /** A file holding the signature (`~` allowed); a missing file only means no signature. */
  signatureFile?: string;
  /** Other From addresses of this account (aliases), each with its own name, signature, Sent folder. */
  identities?: Identity[];
  /** A query command for address completion (mutt's query_command); overrides the top-level one. */
  addressBookCommand?: AddressBookCommand;
  /** True when the server files sent mail in Sent by itself (Gmail does): tmail then does not append a copy. */
  serverSavesSent?: boolean;
  /** `trash` (default) moves deleted mail to Trash; `mark` only sets \Deleted, as mutt does. */
  deleteMode?: 'trash' | 'mark';
  /** Without IDLE: seconds between checks of the open folder for news (default 30). */
  pollSeconds?: number;
  /**
   * How folders open in the reader, by folder path (`*` matches any text, so
   * `"*"` is every folder and `"Lists/*"` a subtree): `off` a flat list, `on`
   * threads, `folded` threads with every thread folded. The most specific
   * (longest) pattern wins; folders no pattern names keep what the last
   * folder showed.
   */
  threads?: Record<string, ThreadMode>;
  /** Seconds between refreshes of the counts of the folders on screen (default 60). */
  countsSeconds?: number;
  /** Where attachments are saved; default `~/Downloads`. */
  downloadDir?: string;
  /**
   * Seconds tmail waits for the IMAP server (to connect, to answer a command, for
   * the next piece of a download) before it drops the connection; default
   * {@link DEFAULT_SERVER_TIMEOUT_S}.
   */
  timeout?: number;
  /** This account's cache settings, over the top-level `cache` block. */
  cache?: CacheConfig;
}

/**
 * The local cache (docs/configuration.md): on or off, its size cap, bodies
 * fetched ahead of reading, and the largest attachment kept.
 */
export interface CacheConfig {
  /** Default true. */
  enabled?: boolean;
  /** Size cap of one account's store in MB (default 500); least recently used bodies go first. */
  maxSizeMB?: number;
  /** Bodies of the newest N messages per folder fetched in the background (default 0: only messages read). */
  prefetchBodies?: number;
  /** Attachments opened are kept up to this size in MB (default 10; 0 keeps none). */
  attachmentMaxMB?: number;
}

/** Another From address of an account (an alias), as mutt's alternates with their own setup. */
export interface Identity {
  email: string;
  /** The name shown with it in From; default the account's `displayName`. */
  name?: string;
  signature?: string;
  signatureCommand?: string;
  signatureFile?: string;
  /** Where mail sent from this identity is filed; default the account's Sent folder. */
  sentFolder?: string;
}

/**
 * An address query command: one string split into words (quotes keep spaces),
 * or the words themselves; `%s` is replaced by the typed text as one word,
 * which is added at the end when no word holds `%s`. Never run through a shell.
 */
export type AddressBookCommand = string | string[];

/** Header prompts tmail shows before the editor for a new message. */
export type ComposePrompt = 'to' | 'cc' | 'bcc' | 'subject';

/** How writing mail goes. */
export interface ComposeConfig {
  /** Asked in tmail's prompt before the editor opens for a new message; default `["to", "subject"]`, `[]` for none. */
  prompts?: ComposePrompt[];
  /** `below` (default) puts the signature under the quoted text of a reply or forward; `above` over it (mutt's sig_on_top). */
  signaturePosition?: 'below' | 'above';
}

/** How long tmail waits for a server by default, in seconds. */
export const DEFAULT_SERVER_TIMEOUT_S = 60;

/** Key bindings from the dotfile: context -> key sequence -> command id. */
export type KeyOverrides = Record<string, Record<string, string>>;

export interface UiConfig {
  /** `default` or `mono` (also chosen by NO_COLOR). */
  theme?: 'default' | 'mono';
  /** Ring the terminal bell when new mail arrives in the open folder. */
  bell?: boolean;
  /** Show the folder sidebar. */
  sidebar?: boolean;
  /** `split` shows list and message together; `full` one at a time. */
  layout?: 'split' | 'full';
  /**
   * The list's part of the height in the split layout while a message is read: a number of
   * rows (`10`) or a share of the height (`"40%"`). Default `"33%"`.
   */
  splitList?: number | `${number}%`;
  /** strftime-free date style for the list: `relative` or `iso`. */
  dateFormat?: 'relative' | 'iso';
}

export interface TmailConfig {
  defaultAccount?: string;
  /** Accounts by name, in the order the file lists them. */
  accounts: Record<string, AccountConfig>;
  keys?: KeyOverrides;
  ui?: UiConfig;
  /** The address query command of every account that names none. */
  addressBookCommand?: AddressBookCommand;
  compose?: ComposeConfig;
  /** The local cache of every account (an account's own `cache` block goes over it). */
  cache?: CacheConfig;
}

/** A secret resolved for one connection; never stored, never logged. */
export interface Credentials {
  user: string;
  password?: string;
  accessToken?: string;
  /**
   * For tmail's own OAuth2 sign-in: a fresh access token after the server
   * refused this one (it may have been revoked or expired early). Called at
   * most once per login.
   */
  renew?: () => Promise<Credentials>;
  /**
   * For a password typed at a prompt: forgets it (the server refused it) and asks for it
   * again, saying this is try `attempt` of `tries`. Absent for other sources.
   */
  retype?: (attempt: number, tries: number) => Promise<Credentials>;
  /** Forgets this password for the run (the server refused it), so no later login reuses it. */
  refused?: () => void;
}

/** One problem found in the dotfile: where (`accounts.work.imap.port`) and what is wrong. */
export interface ConfigIssue {
  /** Dotted path of the field; `(file)` for problems with the file as a whole. */
  path: string;
  /** What is wrong, starting lower case: `must be a number from 1 to 65535`. */
  message: string;
}

/**
 * What checking one server of an account found: logged in, or the failure as
 * one sentence naming host and port (with the server's own words).
 */
export type ProbeResult = {
  protocol: 'IMAP' | 'SMTP';
  host: string;
  port: number;
  security: Security;
  /** The login name that was tried. */
  user: string;
} & (
  | {
      ok: true;
      /** What worked, e.g. `logged in as alice`. */
      detail: string;
      /** IMAP only: folders the server flags with SPECIAL-USE, by role. */
      specialUse?: FolderRoles;
    }
  | { ok: false; error: TmailError }
);
