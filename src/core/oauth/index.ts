/**
 * tmail's own OAuth2 sign-in (Gmail, Microsoft 365, any OpenID issuer): the
 * flows, the token store and the in-memory access tokens.
 */
export {
  endpointsOf,
  forgetAccessToken,
  getAccessToken,
  keepAccessToken,
  oauthConfigOf,
} from './access.js';
export { openBrowser, browserCommand } from './browser.js';
export {
  DEFAULT_ISSUER_SCOPE,
  PROVIDER_SCOPES,
  discoveryUrl,
  parseDiscovery,
  providerEndpoints,
  resolveEndpoints,
  type OAuth2Endpoints,
} from './endpoints.js';
export { type FlowIo } from './flows.js';
export { fileStorageNotice, signIn, type SignInOptions, type SignInResult } from './sign-in.js';
export {
  copyRefreshToken,
  deleteRefreshToken,
  loadRefreshToken,
  saveRefreshToken,
  tokenFilePath,
  type StoredWhere,
} from './token-store.js';
export { isFresh, refreshMargin, signInAgainMessage, type TokenSet } from './tokens.js';

import type { AccountConfig } from '../config/types.js';

/** True when the account uses tmail's own OAuth2 sign-in (not a token command). */
export function usesBuiltInOAuth(account: AccountConfig): boolean {
  return account.password.type === 'oauth2' && account.password.command === undefined;
}
