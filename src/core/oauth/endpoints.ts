/**
 * Where an account signs in: the endpoints of Google and Microsoft (published
 * in their identity platform documentation), any other issuer's found by
 * OpenID Connect discovery, or endpoints the dotfile names. tmail ships no
 * client id: the account's `oauth2.clientId` is the user's own registration.
 */
import type { OAuth2Config, OAuth2ProviderName } from '../config/types.js';
import { oauthUrlIssue } from '../config/schema.js';
import { TmailError } from '../errors.js';

/** Everything a sign-in needs to know about the authorization server. */
export interface OAuth2Endpoints {
  /** Shown to the user: `Google`, `Microsoft`, or the issuer's host. */
  label: string;
  /** For the browser sign-in; absent when only the device grant is possible. */
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  /** For `--device` (RFC 8628); absent when the server has none. */
  deviceAuthorizationEndpoint?: string;
  /** Space-separated scopes asked for. */
  scope: string;
  /** Extra parameters of the authorization request (Google needs offline access asked for). */
  authorizationParams: Record<string, string>;
}

/** The scopes that give IMAP and SMTP access, per provider. */
export const PROVIDER_SCOPES: Record<OAuth2ProviderName, string> = {
  google: 'https://mail.google.com/',
  microsoft:
    'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
};

/** What an issuer found by discovery is asked for when the account names no scope. */
export const DEFAULT_ISSUER_SCOPE = 'openid offline_access';

/** The endpoints of a known provider (Microsoft's depend on the tenant, `common` by default). */
export function providerEndpoints(config: OAuth2Config): OAuth2Endpoints | undefined {
  switch (config.provider) {
    case 'google':
      return {
        label: 'Google',
        authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenEndpoint: 'https://oauth2.googleapis.com/token',
        deviceAuthorizationEndpoint: 'https://oauth2.googleapis.com/device/code',
        scope: config.scope ?? PROVIDER_SCOPES.google,
        // Without these Google gives a refresh token only at the first consent.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
      };
    case 'microsoft': {
      const base = `https://login.microsoftonline.com/${encodeURIComponent(config.tenant ?? 'common')}/oauth2/v2.0`;
      return {
        label: 'Microsoft',
        authorizationEndpoint: `${base}/authorize`,
        tokenEndpoint: `${base}/token`,
        deviceAuthorizationEndpoint: `${base}/devicecode`,
        scope: config.scope ?? PROVIDER_SCOPES.microsoft,
        authorizationParams: {},
      };
    }
    default:
      return undefined;
  }
}

/** The discovery document's address for an issuer (OpenID Connect Discovery 1.0, section 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Reads the endpoints out of a discovery document. Throws a TmailError naming
 * what is wrong: a document for another issuer, a missing token endpoint, an
 * address that is not https (plain http only on this machine).
 */
export function parseDiscovery(
  issuer: string,
  document: unknown,
  scope: string = DEFAULT_ISSUER_SCOPE,
): OAuth2Endpoints {
  const bad = (what: string) =>
    new TmailError('SERVER_BAD', `The OpenID configuration of ${issuer} is not usable: ${what}.`);
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw bad('it is not a JSON object');
  const doc = document as Record<string, unknown>;
  const trim = (s: string) => s.replace(/\/+$/, '');
  if (typeof doc.issuer !== 'string' || trim(doc.issuer) !== trim(issuer))
    throw bad('it names another issuer');
  const endpoint = (key: string, required: boolean): string | undefined => {
    const value = doc[key];
    if (value === undefined || value === null) {
      if (required) throw bad(`it has no ${key}`);
      return undefined;
    }
    if (typeof value !== 'string') throw bad(`its ${key} is not an address`);
    const problem = oauthUrlIssue(value);
    if (problem) throw bad(`its ${key} ${problem}`);
    return value;
  };
  const tokenEndpoint = endpoint('token_endpoint', true)!;
  const authorizationEndpoint = endpoint('authorization_endpoint', false);
  const deviceAuthorizationEndpoint = endpoint('device_authorization_endpoint', false);
  const methods = doc.code_challenge_methods_supported;
  if (authorizationEndpoint && Array.isArray(methods) && !methods.includes('S256'))
    throw bad('it does not offer PKCE with S256');
  let label = issuer;
  try {
    label = new URL(issuer).host;
  } catch {
    // The schema checked the address; keep it whole if it still does not parse.
  }
  return {
    label,
    tokenEndpoint,
    ...(authorizationEndpoint ? { authorizationEndpoint } : {}),
    ...(deviceAuthorizationEndpoint ? { deviceAuthorizationEndpoint } : {}),
    scope,
    authorizationParams: {},
  };
}

/** How endpoints are fetched; tests pass their own. */
export type FetchLike = typeof fetch;

/** Limit for each request to the authorization server, in ms. */
export const OAUTH_HTTP_TIMEOUT_MS = 20_000;

/**
 * The endpoints for an account's oauth2 settings: a provider's, explicit
 * ones, or an issuer's by discovery (one request).
 */
export async function resolveEndpoints(
  config: OAuth2Config,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<OAuth2Endpoints> {
  const known = providerEndpoints(config);
  if (known) return known;
  if (config.tokenEndpoint) {
    let label = config.tokenEndpoint;
    try {
      label = new URL(config.tokenEndpoint).host;
    } catch {
      // Checked by the schema.
    }
    return {
      label,
      tokenEndpoint: config.tokenEndpoint,
      ...(config.authorizationEndpoint
        ? { authorizationEndpoint: config.authorizationEndpoint }
        : {}),
      ...(config.deviceAuthorizationEndpoint
        ? { deviceAuthorizationEndpoint: config.deviceAuthorizationEndpoint }
        : {}),
      scope: config.scope ?? DEFAULT_ISSUER_SCOPE,
      authorizationParams: {},
    };
  }
  const issuer = config.issuer;
  if (!issuer) {
    throw new TmailError(
      'CONFIG_INVALID',
      'The account names no OAuth2 provider, issuer or endpoints.',
    );
  }
  const url = discoveryUrl(issuer);
  const doFetch = options.fetch ?? fetch;
  let document: unknown;
  try {
    const response = await doFetch(url, {
      headers: { accept: 'application/json' },
      signal: options.signal ?? AbortSignal.timeout(OAUTH_HTTP_TIMEOUT_MS),
      redirect: 'error',
    });
    if (!response.ok) {
      throw new TmailError(
        'SERVER_NO',
        `The OpenID configuration of ${issuer} could not be read (HTTP ${response.status}).`,
      );
    }
    document = await response.json();
  } catch (error) {
    if (error instanceof TmailError) throw error;
    throw httpFailure(`the OpenID configuration of ${issuer}`, error);
  }
  return parseDiscovery(issuer, document, config.scope ?? DEFAULT_ISSUER_SCOPE);
}

/** One sentence for a request to the authorization server that got no answer. */
export function httpFailure(what: string, error: unknown): TmailError {
  const e = error as { name?: string; cause?: { code?: string } };
  if (e?.name === 'AbortError') return new TmailError('CANCELLED');
  if (e?.name === 'TimeoutError')
    return new TmailError('TIMEOUT', `Reading ${what} timed out; try again later.`, {
      cause: error,
    });
  const code = e?.cause?.code;
  const reason =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'the server name could not be found'
      : code === 'ECONNREFUSED'
        ? 'the server refused the connection'
        : code && /CERT|SSL|TLS/.test(code)
          ? "the server's certificate is not trusted"
          : 'the server did not answer';
  return new TmailError(
    code === 'ENOTFOUND' ? 'HOST_UNKNOWN' : 'CONNECTION_REFUSED',
    `Reading ${what} failed: ${reason}.`,
    { cause: error },
  );
}
