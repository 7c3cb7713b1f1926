/**
 * What the account wizard asks of the core, as one object so that UI tests can
 * hand it a fake and never touch a network, a keychain or a dotfile.
 */
import {
  checkKeychain,
  discoverServers,
  findWorkingServers,
  probeAccount,
  saveCheckedAccount,
  verifyPasswordCommand,
  type Discovery,
  type KeychainStatus,
  type ServerCandidate,
} from '../../core/config/account-setup.js';
import {
  configFilePath,
  loadConfig,
  type AccountConfig,
  type ProbeResult,
} from '../../core/config/index.js';
import type { TmailError } from '../../core/errors.js';
import {
  fileStorageNotice,
  keepAccessToken,
  openBrowser,
  saveRefreshToken,
  signIn,
  type TokenSet,
} from '../../core/oauth/index.js';

/** What an OAuth2 sign-in gave: the tokens, kept by the wizard until the account is saved. */
export type WizardTokens = TokenSet & { refreshToken: string };

export interface WizardServices {
  /** Proposes servers for an address (providers table, SRV, guesses). */
  discover(email: string): Promise<Discovery>;
  /** Tries the proposals in order until one logs in or answers decisively. */
  findServers(
    account: AccountConfig,
    discovery: Pick<Discovery, 'imap' | 'smtp'>,
    password: string,
    onTry: (protocol: 'imap' | 'smtp', candidate: ServerCandidate) => void,
  ): Promise<{ imap?: ProbeResult; smtp?: ProbeResult }>;
  /** Logs in to both servers of `account` as they are. */
  probe(account: AccountConfig, password: string): Promise<ProbeResult[]>;
  /** Whether the system keychain answers. */
  keychain(): Promise<KeychainStatus>;
  /** Null when `command` prints `password`, else why not. */
  verifyCommand(command: string, password: string): Promise<TmailError | null>;
  /** Names already taken. */
  accountNames(): string[];
  /** Saves the account (and the password, for a keychain source); resolves to the file's path. */
  save(account: AccountConfig, password: string): Promise<string>;
  /**
   * Signs the account in with OAuth2 through the browser, telling the user
   * what to do through `say`. Absent: the wizard offers no OAuth2.
   */
  signIn?(account: AccountConfig, say: (line: string) => void): Promise<WizardTokens>;
  /** Logs in to both servers with an access token. */
  probeToken?(account: AccountConfig, accessToken: string): Promise<ProbeResult[]>;
  /** Saves an OAuth2 account and keeps its refresh token; the file's path and a notice, if any. */
  saveSignedIn?(
    account: AccountConfig,
    tokens: WizardTokens,
  ): Promise<{ file: string; notice?: string }>;
}

/** The real services. */
export function defaultWizardServices(): WizardServices {
  return {
    discover: (email) => discoverServers(email),
    findServers: (account, discovery, password, onTry) =>
      findWorkingServers(account, discovery, { password }, { onTry, timeoutMs: 10_000 }),
    probe: (account, password) => probeAccount(account, { password }),
    keychain: () => checkKeychain(),
    verifyCommand: (command, password) => verifyPasswordCommand(command, password),
    accountNames: () => {
      try {
        return Object.keys(loadConfig().accounts);
      } catch {
        // An invalid file is reported when saving; names cannot clash with it here.
        return [];
      }
    },
    save: async (account, password) => {
      await saveCheckedAccount(account, password);
      return configFilePath();
    },
    signIn: async (account, say) =>
      (await signIn(account, { say, openBrowser: (url) => openBrowser(url) }, { store: false }))
        .tokens,
    probeToken: (account, accessToken) => probeAccount(account, { accessToken }),
    saveSignedIn: async (account, tokens) => {
      await saveCheckedAccount(account, undefined);
      const stored = await saveRefreshToken(account.name, tokens.refreshToken);
      keepAccessToken(account.name, tokens);
      return {
        file: configFilePath(),
        ...(stored.where === 'file'
          ? { notice: fileStorageNotice(account.name, stored.path) }
          : {}),
      };
    },
  };
}
