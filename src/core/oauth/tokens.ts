/**
 * The token endpoint (RFC 6749 section 5): requests, answers, and when an
 * access token counts as expired. Tokens are registered with the log's
 * redaction the moment they arrive and never appear in an error.
 */
import type { OAuth2Config } from '../config/types.js';
import { TmailError } from '../errors.js';
import { registerSecret } from '../log.js';
import { OAUTH_HTTP_TIMEOUT_MS, httpFailure, type FetchLike } from './endpoints.js';

/** What the token endpoint gave. */
export interface TokenSet {
  accessToken: string;
  /** When the access token expires, in ms since the epoch. */
  expiresAt: number;
  /** How long it was valid for when issued, in ms. */
  lifetimeMs: number;
  /** A new refresh token, when the server issued (or rotated) one. */
  refreshToken?: string;
}

/** When the server says nothing about expiry, assume the common hour. */
const DEFAULT_LIFETIME_S = 3600;
/** A token is renewed this long before it expires, at most... */
const MAX_MARGIN_MS = 60_000;

/**
 * How long before expiry a token is renewed: a minute, or a quarter of its
 * lifetime for short-lived tokens (a token valid for 8 s is renewed after 6 s,
 * not at once).
 */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(MAX_MARGIN_MS, Math.max(0, lifetimeMs) / 4);
}

/** True while a token can still be used without renewing it first. */
export function isFresh(
  token: Pick<TokenSet, 'expiresAt' | 'lifetimeMs'>,
  now = Date.now(),
): boolean {
  return now < token.expiresAt - refreshMargin(token.lifetimeMs);
}

/** An error the authorization server answered with (RFC 6749 5.2, RFC 8628 3.5). */
export class TokenEndpointError extends Error {
  constructor(
    /** The `error` code, e.g. `invalid_grant`, `authorization_pending`. */
    readonly error: string,
    /** The server's `error_description`, without control characters. */
    readonly description: string | undefined,
    readonly status: number,
  ) {
    super(`token endpoint: ${error}`);
    this.name = 'TokenEndpointError';
  }
}

/**
 * Reads a successful token answer. Throws SERVER_BAD when it holds no access
 * token (the answer itself is never quoted: it may hold secrets).
 */
export function parseTokenResponse(body: unknown, now = Date.now()): TokenSet {
  const doc = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const accessToken = doc.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new TmailError('SERVER_BAD', 'The sign-in server answered without an access token.');
  }
  const tokenType = doc.token_type;
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
    throw new TmailError(
      'SERVER_BAD',
      `The sign-in server gave a ${tokenType.replace(/[^\w-]/g, '').slice(0, 20)} token; tmail needs a Bearer token.`,
    );
  }
  const raw = doc.expires_in;
  const seconds =
    typeof raw === 'number' && Number.isFinite(raw) && raw > 0
      ? raw
      : typeof raw === 'string' && /^\d+$/.test(raw) && Number(raw) > 0
        ? Number(raw)
        : DEFAULT_LIFETIME_S;
  const lifetimeMs = seconds * 1000;
  const set: TokenSet = { accessToken, expiresAt: now + lifetimeMs, lifetimeMs };
  if (typeof doc.refresh_token === 'string' && doc.refresh_token !== '')
    set.refreshToken = doc.refresh_token;
  return set;
}

function clean(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return line ? line.slice(0, 200) : undefined;
}

/**
 * POSTs a form to an endpoint of the authorization server with the client's
 * identity (a secret goes in the body, as Google's installed apps do), and
 * returns the parsed JSON. A refusal becomes a TokenEndpointError; no answer
 * a TmailError naming what failed.
 */
export async function postForm(
  url: string,
  params: Record<string, string>,
  client: Pick<OAuth2Config, 'clientId' | 'clientSecret'>,
  options: { fetch?: FetchLike; signal?: AbortSignal; what?: string } = {},
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ ...params, client_id: client.clientId });
  if (client.clientSecret) body.set('client_secret', client.clientSecret);
  const what = options.what ?? 'the sign-in server';
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
      signal: options.signal ?? AbortSignal.timeout(OAUTH_HTTP_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    throw httpFailure(what, error);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  const doc = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  for (const key of ['access_token', 'refresh_token', 'id_token', 'device_code']) {
    if (typeof doc[key] === 'string') registerSecret(doc[key]);
  }
  if (!response.ok || typeof doc.error === 'string') {
    const error = typeof doc.error === 'string' ? (clean(doc.error) ?? 'error') : '';
    if (!error) {
      throw new TmailError(
        'SERVER_BAD',
        `${capital(what)} answered HTTP ${response.status} without an OAuth2 error.`,
      );
    }
    throw new TokenEndpointError(error, clean(doc.error_description), response.status);
  }
  if (json === undefined)
    throw new TmailError('SERVER_BAD', `${capital(what)} did not answer with JSON.`);
  return doc;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The sentence for an account whose sign-in no longer works. */
export function signInAgainMessage(accountName: string): string {
  return `The sign-in of account ${accountName} has expired or was revoked; run tmail account login ${accountName}.`;
}

/** The error for an account whose sign-in no longer works (AUTH_FAILED: not retried). */
export function signInAgain(accountName: string, cause?: unknown): TmailError {
  return new TmailError('AUTH_FAILED', signInAgainMessage(accountName), { cause });
}

/**
 * Exchanges a refresh token for a new access token. A refused refresh token
 * (`invalid_grant`: expired, revoked, or the password changed) becomes the
 * one sentence that says to sign in again.
 */
export async function refreshAccessToken(
  accountName: string,
  tokenEndpoint: string,
  refreshToken: string,
  client: Pick<OAuth2Config, 'clientId' | 'clientSecret'>,
  options: { fetch?: FetchLike; signal?: AbortSignal; scope?: string } = {},
): Promise<TokenSet> {
  registerSecret(refreshToken);
  try {
    const params: Record<string, string> = {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    };
    const doc = await postForm(tokenEndpoint, params, client, options);
    return parseTokenResponse(doc);
  } catch (error) {
    if (error instanceof TokenEndpointError) {
      if (error.error === 'invalid_grant' || error.error === 'unauthorized_client')
        throw signInAgain(accountName, error);
      throw new TmailError(
        'AUTH_FAILED',
        `The sign-in server refused to renew the access of account ${accountName} (${error.error}${error.description ? `: ${error.description}` : ''}); run tmail account login ${accountName}.`,
        { cause: error },
      );
    }
    throw error;
  }
}
