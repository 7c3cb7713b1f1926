/**
 * A real OAuth2 chain on 127.0.0.1 for tests: oauth2-mock-server (discovery,
 * /authorize with PKCE, /token, signed JWTs) with what it lacks added through
 * its addRoute(): a token check that judges signature, expiry and revocation
 * (its own /introspect says "active" to anything), the device grant of RFC
 * 8628, and refresh tokens that can be revoked. Dovecot's oauth2 passdb asks
 * the token check, for IMAP and, through Dovecot's SASL, for Postfix.
 *
 * The user who signs in is whoever the test says (`signInAs`), standing for
 * the person at the browser; the device grant is approved with `approveDevice`.
 */
import { createPublicKey, randomBytes, randomUUID, verify, type JsonWebKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';
import { startMailStack, LOOPBACK, type MailStack, type MailStackOptions } from './mail-stack.js';

export interface OAuthStackOptions {
  /** The mechanisms Dovecot offers; both by default. */
  mechanisms?: NonNullable<MailStackOptions['oauth2']>['mechanisms'];
}

export interface OAuthServer {
  /** The issuer URL, http://127.0.0.1:PORT. */
  issuer: string;
  /** Who signs in at the browser from now on. */
  signInAs(user: string): void;
  /** Lifetime of the access tokens issued from now on, in seconds (default 3600). */
  accessTokenTtl: number;
  /** Approves a pending device code as this user (the person at the other device). */
  approveDevice(userCode: string, user: string): void;
  /** Refuses a pending device code. */
  denyDevice(userCode: string): void;
  /** The user codes waiting for approval, oldest first. */
  pendingDeviceCodes(): string[];
  /** Revokes every refresh token and access token of a user. */
  revokeUser(user: string): void;
  /** Revokes the access tokens of a user only (its refresh tokens still work). */
  revokeAccessTokens(user: string): void;
  /** Every token and code handed out so far (for tests that look for leaks). */
  issuedSecrets(): string[];
  /** Counts of requests by kind, e.g. refresh grants. */
  counts: { refresh: number; authorizationCode: number; device: number; introspect: number };
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the authorization server on a free loopback port. */
export async function startOAuthServer(): Promise<OAuthServer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, LOOPBACK);
  const port = server.address().port;
  const issuer = `http://${LOOPBACK}:${port}`;
  server.issuer.url = issuer;
  const service = server.service;

  let currentUser = 'nobody';
  const codeUser = new Map<string, string>();
  const refreshTokens = new Map<string, { user: string; revoked: boolean }>();
  const accessTokens = new Map<string, { user: string; revoked: boolean }>();
  const devices = new Map<
    string,
    { userCode: string; state: 'pending' | 'approved' | 'denied'; user?: string; expires: number }
  >();
  const secrets: string[] = [];
  const counts = { refresh: 0, authorizationCode: 0, device: 0, introspect: 0 };
  const api: OAuthServer = {
    issuer,
    accessTokenTtl: 3600,
    signInAs: (user) => {
      currentUser = user;
    },
    approveDevice: (userCode, user) => {
      for (const entry of devices.values())
        if (entry.userCode === userCode) Object.assign(entry, { state: 'approved', user });
    },
    denyDevice: (userCode) => {
      for (const entry of devices.values()) if (entry.userCode === userCode) entry.state = 'denied';
    },
    pendingDeviceCodes: () =>
      [...devices.values()].filter((d) => d.state === 'pending').map((d) => d.userCode),
    revokeUser: (user) => {
      for (const map of [refreshTokens, accessTokens])
        for (const entry of map.values()) if (entry.user === user) entry.revoked = true;
    },
    revokeAccessTokens: (user) => {
      for (const entry of accessTokens.values()) if (entry.user === user) entry.revoked = true;
    },
    issuedSecrets: () => [...secrets],
    counts,
    stop: () => server.stop(),
  };

  // The tmail endpoints: the token endpoint (device grant here, the rest passed on to the
  // mock's own), the device authorization endpoint, and the token check.
  service.on(
    'beforeWellKnownOpenIdConfiguration',
    (response: { body: Record<string, unknown> }) => {
      response.body.token_endpoint = `${issuer}/tmail/token`;
      response.body.device_authorization_endpoint = `${issuer}/tmail/device`;
      response.body.grant_types_supported = [
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
      ];
    },
  );
  service.on('beforeAuthorizeRedirect', (redirect: { url: URL }) => {
    const code = redirect.url.searchParams.get('code');
    if (code) {
      codeUser.set(code, currentUser);
      secrets.push(code);
    }
  });
  service.on(
    'beforeTokenSigning',
    (token: { payload: Record<string, unknown> }, req: { body: Record<string, string> }) => {
      const body = req.body;
      const user =
        body.grant_type === 'authorization_code'
          ? codeUser.get(body.code ?? '')
          : refreshTokens.get(body.refresh_token ?? '')?.user;
      token.payload.sub = user ?? 'nobody';
      token.payload.exp = (token.payload.iat as number) + api.accessTokenTtl;
      token.payload.jti = randomUUID();
    },
  );
  service.on(
    'beforeResponse',
    (
      response: { statusCode: number; body: Record<string, unknown> },
      req: { body: Record<string, string> },
    ) => {
      const body = req.body;
      if (body.grant_type === 'refresh_token') {
        counts.refresh += 1;
        const known = refreshTokens.get(body.refresh_token ?? '');
        if (!known || known.revoked) {
          response.statusCode = 400;
          response.body = { error: 'invalid_grant', error_description: 'Token has been revoked.' };
          return;
        }
      } else if (body.grant_type === 'authorization_code') {
        counts.authorizationCode += 1;
      }
      const user =
        body.grant_type === 'authorization_code'
          ? codeUser.get(body.code ?? '')
          : refreshTokens.get(body.refresh_token ?? '')?.user;
      response.body.expires_in = api.accessTokenTtl;
      record(response.body, user ?? 'nobody');
    },
  );
  const record = (body: Record<string, unknown>, user: string) => {
    if (typeof body.access_token === 'string') {
      accessTokens.set(body.access_token, { user, revoked: false });
      secrets.push(body.access_token);
    }
    if (typeof body.refresh_token === 'string') {
      refreshTokens.set(body.refresh_token, { user, revoked: false });
      secrets.push(body.refresh_token);
    }
    if (typeof body.id_token === 'string') secrets.push(body.id_token);
  };

  /** Signature (the issuer's RS256 keys), expiry and revocation of an access token. */
  const judge = (token: string): { active: boolean; username?: string } => {
    const parts = token.split('.');
    if (parts.length !== 3) return { active: false };
    const [head, body, signature] = parts as [string, string, string];
    let header: { kid?: string; alg?: string };
    let payload: { sub?: string; exp?: number; iss?: string };
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as typeof header;
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      return { active: false };
    }
    const jwk = server.issuer.keys.toJSON().find((k) => k.kid === header.kid);
    if (!jwk || header.alg !== 'RS256') return { active: false };
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const valid = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid || payload.iss !== issuer) return { active: false };
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now())
      return { active: false };
    const known = accessTokens.get(token);
    if (!known || known.revoked) return { active: false };
    return { active: true, username: payload.sub };
  };

  service.addRoute('POST', '/tmail/introspect', (req, res) => {
    counts.introspect += 1;
    const token = (req.body as Record<string, string> | undefined)?.token ?? '';
    sendJson(res, 200, judge(token));
  });

  service.addRoute('POST', '/tmail/device', (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!body.client_id) return sendJson(res, 400, { error: 'invalid_client' });
    const deviceCode = randomBytes(24).toString('base64url');
    const userCode =
      `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
    devices.set(deviceCode, { userCode, state: 'pending', expires: Date.now() + 600_000 });
    secrets.push(deviceCode);
    sendJson(res, 200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${issuer}/device`,
      verification_uri_complete: `${issuer}/device?user_code=${userCode}`,
      expires_in: 600,
      interval: 1,
    });
  });

  service.addRoute(
    'POST',
    '/tmail/token',
    async (req: IncomingMessage & { body?: unknown }, res) => {
      const body = (req.body ?? {}) as Record<string, string>;
      if (body.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        counts.device += 1;
        const entry = devices.get(body.device_code ?? '');
        if (!entry) return sendJson(res, 400, { error: 'invalid_grant' });
        if (entry.expires < Date.now()) return sendJson(res, 400, { error: 'expired_token' });
        if (entry.state === 'denied') return sendJson(res, 400, { error: 'access_denied' });
        if (entry.state === 'pending')
          return sendJson(res, 400, { error: 'authorization_pending' });
        devices.delete(body.device_code!);
        const user = entry.user!;
        const accessToken = await server.issuer.buildToken({
          expiresIn: api.accessTokenTtl,
          scopesOrTransform: (_header, payload) => {
            payload.sub = user;
            payload.jti = randomUUID();
          },
        });
        const answer = {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: api.accessTokenTtl,
          refresh_token: randomUUID(),
        };
        record(answer, user);
        return sendJson(res, 200, answer);
      }
      // Everything else goes to the mock's own token endpoint (PKCE, codes, refresh).
      const forwarded = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
      res.writeHead(forwarded.status, { 'content-type': 'application/json' });
      res.end(await forwarded.text());
    },
  );

  return api;
}

/** An OAuth2 server and a Dovecot/Postfix stack of its own that checks its tokens. */
export interface OAuthMailStack {
  oauth: OAuthServer;
  mail: MailStack;
  stop(): Promise<void>;
}

/** Starts both; for a test file's beforeAll (about 3 s). */
export async function startOAuthMailStack(
  options: OAuthStackOptions = {},
): Promise<OAuthMailStack> {
  const oauth = await startOAuthServer();
  try {
    const mail = await startMailStack({
      users: [],
      oauth2: {
        introspectionUrl: `${oauth.issuer}/tmail/introspect`,
        ...(options.mechanisms ? { mechanisms: options.mechanisms } : {}),
      },
    });
    return {
      oauth,
      mail,
      stop: async () => {
        await mail.stop();
        await oauth.stop();
      },
    };
  } catch (error) {
    await oauth.stop();
    throw error;
  }
}
