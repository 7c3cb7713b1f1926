/**
 * Access tokens for tmail's own OAuth2 sign-in, kept in memory only for the
 * run: renewed with the stored refresh token shortly before they expire, and
 * once more when a server refuses one (see `Credentials.renew`). IMAP and SMTP
 * asking at the same moment share one renewal.
 */
import type { AccountConfig, OAuth2Config } from '../config/types.js';
import { TmailError, toTmailError } from '../errors.js';
import { createLogger, registerSecret } from '../log.js';
import { resolveEndpoints, type FetchLike, type OAuth2Endpoints } from './endpoints.js';
import { loadRefreshToken, replaceRefreshToken } from './token-store.js';
import { isFresh, refreshAccessToken, type TokenSet } from './tokens.js';

const log = createLogger('oauth2');

const current = new Map<string, TokenSet>();
const renewing = new Map<string, Promise<TokenSet>>();
const endpointsCache = new Map<string, Promise<OAuth2Endpoints>>();

/** The account's oauth2 settings; CONFIG_INVALID when it has none. */
export function oauthConfigOf(account: AccountConfig): OAuth2Config {
  if (!account.oauth2) {
    throw new TmailError(
      'CONFIG_INVALID',
      `Account ${account.name} signs in with OAuth2 but has no oauth2 settings; see docs/configuration.md.`,
    );
  }
  return account.oauth2;
}

/** The endpoints of an account, found once per run (discovery is a request). */
export function endpointsOf(
  account: AccountConfig,
  options: { fetch?: FetchLike } = {},
): Promise<OAuth2Endpoints> {
  const config = oauthConfigOf(account);
  const key = `${account.name}\u0000${JSON.stringify(config)}`;
  let found = endpointsCache.get(key);
  if (!found) {
    found = resolveEndpoints(config, options);
    endpointsCache.set(key, found);
    found.catch(() => endpointsCache.delete(key));
  }
  return found;
}

/** Keeps an access token just obtained by a sign-in, so the first connection needs no renewal. */
export function keepAccessToken(accountName: string, tokens: TokenSet): void {
  registerSecret(tokens.accessToken);
  current.set(accountName, tokens);
}

/** Forgets the account's access token (a server refused it, or the account signed in again). */
export function forgetAccessToken(accountName?: string): void {
  if (accountName === undefined) current.clear();
  else current.delete(accountName);
}

async function renew(account: AccountConfig, options: { fetch?: FetchLike }): Promise<TokenSet> {
  const config = oauthConfigOf(account);
  const refreshToken = await loadRefreshToken(account.name);
  if (!refreshToken) {
    throw new TmailError(
      'AUTH_FAILED',
      `Account ${account.name} is not signed in; run tmail account login ${account.name}.`,
    );
  }
  const endpoints = await endpointsOf(account, options);
  const tokens = await refreshAccessToken(
    account.name,
    endpoints.tokenEndpoint,
    refreshToken,
    config,
    options,
  );
  if (tokens.refreshToken && tokens.refreshToken !== refreshToken) {
    // Microsoft rotates refresh tokens: the old one soon stops working.
    await replaceRefreshToken(account.name, tokens.refreshToken);
  }
  log.info('access token renewed', { account: account.name, lifetimeMs: tokens.lifetimeMs });
  return tokens;
}

/**
 * A valid access token for the account: the one in memory while it is
 * fresh, else a renewed one. `force` renews even a fresh one (after a server
 * refused it). Throws AUTH_FAILED with "run tmail account login NAME" when
 * the refresh token is missing, expired or revoked.
 */
export async function getAccessToken(
  account: AccountConfig,
  options: { force?: boolean; fetch?: FetchLike } = {},
): Promise<string> {
  const known = current.get(account.name);
  if (known && !options.force && isFresh(known)) return known.accessToken;
  let pending = renewing.get(account.name);
  if (!pending || options.force) {
    const started = renew(account, options);
    pending = started;
    renewing.set(account.name, started);
    void started
      .catch(() => {})
      .finally(() => {
        if (renewing.get(account.name) === started) renewing.delete(account.name);
      });
  }
  try {
    const tokens = await pending;
    keepAccessToken(account.name, tokens);
    return tokens.accessToken;
  } catch (error) {
    current.delete(account.name);
    throw toTmailError(error);
  }
}
