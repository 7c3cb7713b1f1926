/**
 * The two ways to sign in: the authorization code grant with PKCE through a
 * loopback redirect on 127.0.0.1 (RFC 8252: the browser comes back to a
 * one-shot HTTP server on a free port), and the device authorization grant
 * (RFC 8628) for sessions without a browser, such as over SSH.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OAuth2Config } from '../config/types.js';
import { TmailError } from '../errors.js';
import { registerSecret } from '../log.js';
import type { FetchLike, OAuth2Endpoints } from './endpoints.js';
import { createPkce, randomState } from './pkce.js';
import { TokenEndpointError, parseTokenResponse, postForm, type TokenSet } from './tokens.js';

/** What a flow tells the user, line by line. */
export interface FlowIo {
  say(line: string): void;
  /** Opens the address in a browser; resolves to false when none could be started. */
  openBrowser?(url: string): Promise<boolean>;
}

export interface FlowOptions {
  signal?: AbortSignal;
  fetch?: FetchLike;
  /** How long to wait for the user, in ms; 5 minutes by default (the device code says its own). */
  timeoutMs?: number;
  /** Pre-fills the address on the provider's sign-in page. */
  loginHint?: string;
}

type Client = Pick<OAuth2Config, 'clientId' | 'clientSecret'>;

/** Strips control characters from server text before it reaches the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** The authorization request's address (RFC 6749 4.1.1 with RFC 7636 4.3). */
export function authorizationUrl(
  endpoints: OAuth2Endpoints,
  client: Client,
  request: { redirectUri: string; state: string; challenge: string; loginHint?: string },
): string {
  const url = new URL(endpoints.authorizationEndpoint!);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: request.redirectUri,
    scope: endpoints.scope,
    state: request.state,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
    ...endpoints.authorizationParams,
  };
  if (request.loginHint) params.login_hint = request.loginHint;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>tmail</title><h1>${title}</h1><p>${text}</p>`;

function abortError(): TmailError {
  return new TmailError('CANCELLED', 'The sign-in was cancelled.');
}

/**
 * Signs in through the browser: starts the loopback server, opens (and
 * prints) the address, waits for the browser to come back with the code,
 * and exchanges it with the PKCE verifier.
 */
export async function browserSignIn(
  endpoints: OAuth2Endpoints,
  client: Client,
  io: FlowIo,
  options: FlowOptions = {},
): Promise<TokenSet> {
  if (!endpoints.authorizationEndpoint) {
    throw new TmailError(
      'USAGE',
      `${endpoints.label} offers no browser sign-in for this account; sign in with --device.`,
    );
  }
  const pkce = createPkce();
  const state = randomState();
  let settle: { resolve(code: string): void; reject(error: TmailError): void } | undefined;
  const answer = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/' || !url.searchParams.has('state')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const reply = (status: number, title: string, text: string) =>
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
        .end(PAGE(title, text));
    if (url.searchParams.get('state') !== state) {
      // Not our request (or a forged one): ignore it and keep waiting.
      reply(
        400,
        'Sign-in not recognised',
        'This answer does not belong to the sign-in tmail started.',
      );
      return;
    }
    const error = url.searchParams.get('error');
    if (error) {
      reply(200, 'Sign-in refused', 'You can close this window and return to tmail.');
      const description = url.searchParams.get('error_description');
      settle?.reject(
        new TmailError(
          'AUTH_FAILED',
          error === 'access_denied'
            ? 'The sign-in was refused in the browser.'
            : `The sign-in server refused the sign-in (${printable(error).slice(0, 60)}${description ? `: ${printable(description).slice(0, 200)}` : ''}).`,
        ),
      );
      return;
    }
    const code = url.searchParams.get('code');
    if (!code) {
      reply(400, 'Sign-in incomplete', 'The answer held no authorization code.');
      return;
    }
    registerSecret(code);
    reply(200, 'Signed in', 'You can close this window and return to tmail.');
    settle?.resolve(code);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const redirectUri = `http://127.0.0.1:${port}/`;
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => settle?.reject(abortError());
  try {
    const url = authorizationUrl(endpoints, client, {
      redirectUri,
      state,
      challenge: pkce.challenge,
      loginHint: options.loginHint,
    });
    io.say(
      `Sign in with ${endpoints.label} in your browser. If it does not open, open this address:`,
    );
    io.say(url);
    const opened = io.openBrowser ? await io.openBrowser(url) : false;
    if (!opened)
      io.say('(No browser could be started here; open the address above on this machine.)');
    io.say('Waiting for the browser...');
    timer = setTimeout(
      () =>
        settle?.reject(
          new TmailError(
            'TIMEOUT',
            `The browser did not come back within ${Math.round(timeoutMs / 60_000) || 1} minutes; try again, or sign in with --device.`,
          ),
        ),
      timeoutMs,
    );
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const code = await answer;
    let doc: Record<string, unknown>;
    try {
      doc = await postForm(
        endpoints.tokenEndpoint,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: pkce.verifier,
        },
        client,
        {
          fetch: options.fetch,
          signal: options.signal,
          what: `the sign-in server of ${endpoints.label}`,
        },
      );
    } catch (error) {
      throw refused(error);
    }
    return parseTokenResponse(doc);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    server.closeAllConnections?.();
    server.close();
  }
}

function refused(error: unknown): unknown {
  if (!(error instanceof TokenEndpointError)) return error;
  return new TmailError(
    'AUTH_FAILED',
    `The sign-in server refused the sign-in (${error.error}${error.description ? `: ${error.description}` : ''}); check the account's oauth2 clientId${error.error === 'invalid_client' ? ' and clientSecret' : ''}.`,
    { cause: error },
  );
}

/** The device authorization answer (RFC 8628 3.2). */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresInMs: number;
  intervalMs: number;
}

/** Reads a device authorization answer; Google spells the address `verification_url`. */
export function parseDeviceAuthorization(doc: Record<string, unknown>): DeviceAuthorization {
  const text = (key: string) => (typeof doc[key] === 'string' ? (doc[key] as string) : undefined);
  const deviceCode = text('device_code');
  const userCode = text('user_code');
  const verificationUri = text('verification_uri') ?? text('verification_url');
  if (!deviceCode || !userCode || !verificationUri) {
    throw new TmailError(
      'SERVER_BAD',
      'The sign-in server answered the device sign-in without a code or an address.',
    );
  }
  const number = (key: string, fallback: number) => {
    const v = doc[key];
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  const complete = text('verification_uri_complete');
  return {
    deviceCode,
    userCode: printable(userCode),
    verificationUri: printable(verificationUri),
    ...(complete ? { verificationUriComplete: printable(complete) } : {}),
    expiresInMs: number('expires_in', 900) * 1000,
    intervalMs: number('interval', 5) * 1000,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Signs in with the device grant: asks for a code, tells the user where to
 * enter it, and polls the token endpoint at the interval the server asks
 * (slower on `slow_down`) until approved, refused or expired.
 */
export async function deviceSignIn(
  endpoints: OAuth2Endpoints,
  client: Client,
  io: FlowIo,
  options: FlowOptions = {},
): Promise<TokenSet> {
  if (!endpoints.deviceAuthorizationEndpoint) {
    throw new TmailError(
      'USAGE',
      `${endpoints.label} offers no device sign-in; sign in through the browser (without --device).`,
    );
  }
  const what = `the sign-in server of ${endpoints.label}`;
  let device: DeviceAuthorization;
  try {
    device = parseDeviceAuthorization(
      await postForm(endpoints.deviceAuthorizationEndpoint, { scope: endpoints.scope }, client, {
        fetch: options.fetch,
        signal: options.signal,
        what,
      }),
    );
  } catch (error) {
    throw refused(error);
  }
  io.say(`To sign in with ${endpoints.label}, open ${device.verificationUri} on any device`);
  io.say(`and enter the code ${device.userCode}`);
  if (device.verificationUriComplete) io.say(`(or open ${device.verificationUriComplete}).`);
  io.say('Waiting for the approval...');
  const deadline = Date.now() + Math.min(device.expiresInMs, options.timeoutMs ?? Infinity);
  let interval = device.intervalMs;
  for (;;) {
    await sleep(interval, options.signal);
    if (Date.now() > deadline) break;
    try {
      const doc = await postForm(
        endpoints.tokenEndpoint,
        {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: device.deviceCode,
        },
        client,
        { fetch: options.fetch, signal: options.signal, what },
      );
      return parseTokenResponse(doc);
    } catch (error) {
      if (!(error instanceof TokenEndpointError)) throw error;
      if (error.error === 'authorization_pending') continue;
      if (error.error === 'slow_down') {
        interval += 5000;
        continue;
      }
      if (error.error === 'access_denied')
        throw new TmailError('AUTH_FAILED', 'The sign-in was refused on the other device.');
      if (error.error === 'expired_token') break;
      throw refused(error);
    }
  }
  throw new TmailError(
    'TIMEOUT',
    'The code expired before the sign-in was approved; start the sign-in again.',
  );
}
