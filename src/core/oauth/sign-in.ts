/**
 * Signing an account in: the flow the user chose, then the refresh token to
 * the keychain (or the 0600 file) and the access token to memory. Used by
 * `tmail account login`, `tmail account add` and the wizard alike.
 */
import type { AccountConfig } from '../config/types.js';
import { TmailError } from '../errors.js';
import { endpointsOf, forgetAccessToken, keepAccessToken, oauthConfigOf } from './access.js';
import type { FetchLike } from './endpoints.js';
import { browserSignIn, deviceSignIn, type FlowIo } from './flows.js';
import { saveRefreshToken, type StoredWhere } from './token-store.js';
import type { TokenSet } from './tokens.js';

export interface SignInOptions {
  /** Use the device grant (RFC 8628) instead of the browser. */
  device?: boolean;
  signal?: AbortSignal;
  fetch?: FetchLike;
  timeoutMs?: number;
  /** Keep the refresh token (default). The wizard stores it only once the account is saved. */
  store?: boolean;
}

export interface SignInResult {
  tokens: TokenSet & { refreshToken: string };
  /** Where the refresh token went; undefined when `store` was false. */
  stored?: StoredWhere;
}

/** The one-time notice for a refresh token kept in the file rather than the keychain. */
export function fileStorageNotice(accountName: string, path: string): string {
  return `No system keychain answered, so the sign-in of account ${accountName} is kept in ${path} (readable only by you).`;
}

/**
 * Signs the account in and keeps its tokens. Throws a TmailError with one
 * sentence when the user refuses, the code expires, or the server refuses.
 */
export async function signIn(
  account: AccountConfig,
  io: FlowIo,
  options: SignInOptions = {},
): Promise<SignInResult> {
  const config = oauthConfigOf(account);
  const endpoints = await endpointsOf(account, options);
  const flowOptions = { ...options, loginHint: account.email };
  const tokens = options.device
    ? await deviceSignIn(endpoints, config, io, flowOptions)
    : await browserSignIn(endpoints, config, io, flowOptions);
  if (!tokens.refreshToken) {
    throw new TmailError(
      'AUTH_FAILED',
      `${endpoints.label} signed in but gave no refresh token, so tmail would have to ask again within the hour; check that the account's oauth2 scope asks for offline access.`,
    );
  }
  forgetAccessToken(account.name);
  const stored =
    options.store === false ? undefined : await saveRefreshToken(account.name, tokens.refreshToken);
  keepAccessToken(account.name, tokens);
  return { tokens: tokens as SignInResult['tokens'], ...(stored ? { stored } : {}) };
}
