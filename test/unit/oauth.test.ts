/**
 * The pure parts of the OAuth2 sign-in: PKCE, discovery documents, token
 * answers and when a token counts as expired, the authorization address, the
 * device answer, the browser command line, the SMTP mechanism choice, the
 * account's oauth2 block in the dotfile, and where refresh tokens are kept
 * when the keychain does or does not answer.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig, type ConfigIssue } from '../../src/core/config/index.js';
import { findProvider } from '../../src/core/config/providers.js';
import {
  challengeOf,
  createPkce,
  isValidVerifier,
  randomState,
} from '../../src/core/oauth/pkce.js';
import {
  discoveryUrl,
  parseDiscovery,
  providerEndpoints,
  resolveEndpoints,
} from '../../src/core/oauth/endpoints.js';
import {
  TokenEndpointError,
  isFresh,
  parseTokenResponse,
  refreshMargin,
  refreshAccessToken,
} from '../../src/core/oauth/tokens.js';
import { authorizationUrl, parseDeviceAuthorization } from '../../src/core/oauth/flows.js';
import { browserCommand } from '../../src/core/oauth/browser.js';
import { oauthMechanism } from '../../src/core/smtp/transport.js';
import {
  deleteRefreshToken,
  loadRefreshToken,
  saveRefreshToken,
  tokenFilePath,
} from '../../src/core/oauth/token-store.js';
import { configureKeychain, type KeytarApi } from '../../src/core/secrets/index.js';
import { TmailError } from '../../src/core/errors.js';

describe('PKCE (RFC 7636)', () => {
  it('derives the S256 challenge of the RFC 7636 appendix B example', () => {
    expect(challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes fresh verifiers of 43 unreserved characters whose challenge is their SHA-256', () => {
    const a = createPkce();
    const b = createPkce();
    expect(a.verifier).not.toBe(b.verifier);
    expect(isValidVerifier(a.verifier)).toBe(true);
    expect(a.verifier).toHaveLength(43);
    expect(a.method).toBe('S256');
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
    expect(a.challenge).not.toMatch(/[=+/]/);
    expect(randomState()).not.toBe(randomState());
  });

  it('refuses verifiers that are too short, too long or hold other characters', () => {
    expect(isValidVerifier('a'.repeat(42))).toBe(false);
    expect(isValidVerifier('a'.repeat(129))).toBe(false);
    expect(isValidVerifier(`${'a'.repeat(42)}+`)).toBe(false);
    expect(isValidVerifier('a'.repeat(128))).toBe(true);
  });
});

describe('discovery', () => {
  const issuer = 'https://login.example.com/realm';
  const doc = {
    issuer,
    authorization_endpoint: 'https://login.example.com/realm/auth',
    token_endpoint: 'https://login.example.com/realm/token',
    device_authorization_endpoint: 'https://login.example.com/realm/device',
    code_challenge_methods_supported: ['plain', 'S256'],
  };

  it('reads the endpoints of an issuer', () => {
    expect(discoveryUrl(`${issuer}/`)).toBe(`${issuer}/.well-known/openid-configuration`);
    expect(parseDiscovery(issuer, doc)).toEqual({
      label: 'login.example.com',
      authorizationEndpoint: doc.authorization_endpoint,
      tokenEndpoint: doc.token_endpoint,
      deviceAuthorizationEndpoint: doc.device_authorization_endpoint,
      scope: 'openid offline_access',
      authorizationParams: {},
    });
  });

  it('refuses a document of another issuer, without a token endpoint, over http, or without S256', () => {
    const message = (d: unknown) => {
      try {
        parseDiscovery(issuer, d);
      } catch (error) {
        return (error as TmailError).message;
      }
      return 'accepted';
    };
    expect(message({ ...doc, issuer: 'https://evil.example' })).toMatch(/names another issuer/);
    expect(message({ ...doc, token_endpoint: undefined })).toMatch(/has no token_endpoint/);
    expect(message({ ...doc, token_endpoint: 'http://login.example.com/token' })).toMatch(
      /token_endpoint must start with https/,
    );
    expect(message({ ...doc, code_challenge_methods_supported: ['plain'] })).toMatch(/S256/);
    expect(message('<html>')).toMatch(/not a JSON object/);
  });

  it('accepts plain http only on this machine', () => {
    const local = 'http://127.0.0.1:8080';
    const endpoints = parseDiscovery(local, {
      issuer: local,
      token_endpoint: `${local}/token`,
      authorization_endpoint: `http://localhost:8080/authorize`,
    });
    expect(endpoints.tokenEndpoint).toBe(`${local}/token`);
  });

  it('fetches the document once and names the issuer when it cannot', async () => {
    const calls: string[] = [];
    const fake = (async (url: string) => {
      calls.push(url);
      return new Response(JSON.stringify(doc), { status: 200 });
    }) as unknown as typeof fetch;
    const endpoints = await resolveEndpoints({ issuer, clientId: 'c' }, { fetch: fake });
    expect(calls).toEqual([`${issuer}/.well-known/openid-configuration`]);
    expect(endpoints.tokenEndpoint).toBe(doc.token_endpoint);
    const missing = (async () => new Response('no', { status: 404 })) as unknown as typeof fetch;
    await expect(resolveEndpoints({ issuer, clientId: 'c' }, { fetch: missing })).rejects.toThrow(
      `The OpenID configuration of ${issuer} could not be read (HTTP 404).`,
    );
  });

  it('knows Google and Microsoft (with its tenant) without asking', () => {
    const google = providerEndpoints({ provider: 'google', clientId: 'c' })!;
    expect(google.scope).toBe('https://mail.google.com/');
    expect(google.authorizationParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    const ms = providerEndpoints({ provider: 'microsoft', clientId: 'c', tenant: 'contoso.com' })!;
    expect(ms.tokenEndpoint).toBe(
      'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token',
    );
    expect(ms.scope).toBe(
      'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
    );
    expect(providerEndpoints({ provider: 'microsoft', clientId: 'c' })!.authorizationEndpoint).toBe(
      'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    );
  });
});

describe('tokens and expiry', () => {
  it('reads a token answer and computes the expiry from expires_in', () => {
    const set = parseTokenResponse(
      { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt' },
      1_000,
    );
    expect(set).toEqual({
      accessToken: 'at',
      expiresAt: 1_000 + 3_600_000,
      lifetimeMs: 3_600_000,
      refreshToken: 'rt',
    });
    expect(parseTokenResponse({ access_token: 'at', expires_in: '60' }, 0).expiresAt).toBe(60_000);
    // No expires_in: the common hour.
    expect(parseTokenResponse({ access_token: 'at' }, 0).lifetimeMs).toBe(3_600_000);
  });

  it('refuses an answer without an access token or of another type, without quoting it', () => {
    expect(() => parseTokenResponse({ refresh_token: 'secret-rt' })).toThrow(
      'The sign-in server answered without an access token.',
    );
    expect(() => parseTokenResponse({ access_token: 'x', token_type: 'mac' })).toThrow(/Bearer/);
  });

  it('renews a minute before expiry, or after three quarters of a short lifetime', () => {
    expect(refreshMargin(3_600_000)).toBe(60_000);
    expect(refreshMargin(8_000)).toBe(2_000);
    const hour = { expiresAt: 3_600_000, lifetimeMs: 3_600_000 };
    expect(isFresh(hour, 3_539_999)).toBe(true);
    expect(isFresh(hour, 3_540_000)).toBe(false);
    const short = { expiresAt: 8_000, lifetimeMs: 8_000 };
    expect(isFresh(short, 5_999)).toBe(true);
    expect(isFresh(short, 6_000)).toBe(false);
    expect(isFresh(short, 9_000)).toBe(false);
  });

  it('turns a refused refresh token into the one sentence, without the token', async () => {
    const fake = (async () =>
      new Response(JSON.stringify({ error: 'invalid_grant', error_description: 'revoked' }), {
        status: 400,
      })) as unknown as typeof fetch;
    const error = await refreshAccessToken(
      'work',
      'https://login.example.com/token',
      'the-refresh-token',
      { clientId: 'c' },
      { fetch: fake },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TmailError);
    expect((error as TmailError).code).toBe('AUTH_FAILED');
    expect((error as TmailError).message).toBe(
      'The sign-in of account work has expired or was revoked; run tmail account login work.',
    );
    expect(String((error as TmailError).message)).not.toContain('the-refresh-token');
  });

  it('keeps the server error code apart', () => {
    const e = new TokenEndpointError('authorization_pending', undefined, 400);
    expect(e.error).toBe('authorization_pending');
  });
});

describe('the requests', () => {
  it('builds the authorization address with PKCE, state and the loopback redirect', () => {
    const url = new URL(
      authorizationUrl(
        providerEndpoints({ provider: 'google', clientId: 'id.apps' })!,
        { clientId: 'id.apps' },
        {
          redirectUri: 'http://127.0.0.1:5555/',
          state: 'st',
          challenge: 'ch',
          loginHint: 'ann@gmail.com',
        },
      ),
    );
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'id.apps',
      redirect_uri: 'http://127.0.0.1:5555/',
      scope: 'https://mail.google.com/',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
      login_hint: 'ann@gmail.com',
    });
  });

  it('reads a device answer, with Google spelling and defaults, stripping control characters', () => {
    expect(
      parseDeviceAuthorization({
        device_code: 'dc',
        user_code: 'ABCD-\u001b[2JEFGH',
        verification_url: 'https://www.google.com/device',
        expires_in: 1800,
      }),
    ).toEqual({
      deviceCode: 'dc',
      userCode: 'ABCD-[2JEFGH',
      verificationUri: 'https://www.google.com/device',
      expiresInMs: 1_800_000,
      intervalMs: 5_000,
    });
    expect(() => parseDeviceAuthorization({ device_code: 'dc' })).toThrow(/without a code/);
  });

  it('opens the browser with the address as one argument, never through a shell', () => {
    const url = 'https://x.example/a?b=1&c=$(touch /tmp/pwned);d';
    expect(browserCommand(url, { BROWSER: 'firefox --new-window' }, 'linux')).toEqual({
      command: 'firefox',
      args: ['--new-window', url],
    });
    expect(browserCommand(url, { BROWSER: 'w3m:lynx' }, 'linux')).toEqual({
      command: 'w3m',
      args: [url],
    });
    expect(browserCommand(url, { BROWSER: 'chrome --app=%s' }, 'linux')).toEqual({
      command: 'chrome',
      args: [`--app=${url}`],
    });
    expect(browserCommand(url, { DISPLAY: ':0' }, 'linux')).toEqual({
      command: 'xdg-open',
      args: [url],
    });
    // Over SSH without a display nothing is started (the address is printed).
    expect(browserCommand(url, {}, 'linux')).toBeUndefined();
    expect(browserCommand(url, {}, 'darwin')).toEqual({ command: 'open', args: [url] });
  });

  it('picks OAUTHBEARER when the SMTP server offers it, else XOAUTH2', () => {
    expect(oauthMechanism(['mail.example', 'AUTH PLAIN OAUTHBEARER XOAUTH2'])).toBe('OAUTHBEARER');
    expect(oauthMechanism(['AUTH=PLAIN XOAUTH2'])).toBe('XOAUTH2');
    expect(oauthMechanism(['AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN'])).toBe('XOAUTH2');
    expect(oauthMechanism(['AUTH OAUTHBEARER'])).toBe('OAUTHBEARER');
    expect(oauthMechanism(undefined)).toBe('XOAUTH2');
  });
});

describe('the oauth2 block in the dotfile', () => {
  const base = {
    email: 'ann@gmail.com',
    imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
    password: { type: 'oauth2' },
  };
  const load = (account: Record<string, unknown>) => validateConfig({ accounts: { g: account } });
  const issues = (account: Record<string, unknown>): ConfigIssue[] => {
    const result = load(account);
    if (result.ok) throw new Error('expected issues');
    return result.issues;
  };

  it('loads a provider, an issuer, or explicit endpoints', () => {
    const google = load({
      ...base,
      oauth2: { provider: 'google', clientId: 'id', clientSecret: 's' },
    });
    expect(google.ok && google.config.accounts.g!.oauth2).toEqual({
      provider: 'google',
      clientId: 'id',
      clientSecret: 's',
    });
    expect(google.ok && google.config.accounts.g!.password).toEqual({ type: 'oauth2' });
    expect(
      load({
        ...base,
        oauth2: { provider: 'microsoft', tenant: 'contoso.onmicrosoft.com', clientId: 'id' },
      }).ok,
    ).toBe(true);
    expect(load({ ...base, oauth2: { issuer: 'https://id.example.com', clientId: 'id' } }).ok).toBe(
      true,
    );
    expect(load({ ...base, oauth2: { issuer: 'http://127.0.0.1:9000', clientId: 'id' } }).ok).toBe(
      true,
    );
    expect(
      load({
        ...base,
        oauth2: {
          tokenEndpoint: 'https://id.example.com/token',
          deviceAuthorizationEndpoint: 'https://id.example.com/device',
          clientId: 'id',
          scope: 'mail offline_access',
        },
      }).ok,
    ).toBe(true);
    // A token command keeps working, without an oauth2 block.
    expect(load({ ...base, password: { type: 'oauth2', command: 'oauth2-token ann' } }).ok).toBe(
      true,
    );
  });

  it('names each mistake by its path', () => {
    expect(issues({ ...base })).toEqual([
      {
        path: 'accounts.g.oauth2',
        message:
          'is required with "password": {"type": "oauth2"}: say where to sign in, e.g. {"provider": "google", "clientId": "..."}',
      },
    ]);
    expect(issues({ ...base, oauth2: { provider: 'yahoo', clientId: 'id' } })).toContainEqual({
      path: 'accounts.g.oauth2.provider',
      message: 'must be one of google, microsoft',
    });
    expect(issues({ ...base, oauth2: { provider: 'google' } })).toContainEqual({
      path: 'accounts.g.oauth2.clientId',
      message: 'is required',
    });
    expect(
      issues({ ...base, oauth2: { issuer: 'http://id.example.com', clientId: 'id' } }),
    ).toContainEqual({
      path: 'accounts.g.oauth2.issuer',
      message: 'must start with https:// (plain http only for 127.0.0.1 or localhost)',
    });
    expect(
      issues({
        ...base,
        oauth2: { provider: 'google', issuer: 'https://a.example', clientId: 'id' },
      }),
    ).toContainEqual({
      path: 'accounts.g.oauth2',
      message: 'must give only one of provider, issuer or explicit endpoints',
    });
    expect(
      issues({ ...base, oauth2: { provider: 'google', tenant: 'x', clientId: 'id' } }),
    ).toContainEqual({
      path: 'accounts.g.oauth2.tenant',
      message: 'is only for "provider": "microsoft"',
    });
    expect(
      issues({
        ...base,
        oauth2: { authorizationEndpoint: 'https://a.example/auth', clientId: 'id' },
      }),
    ).toContainEqual({
      path: 'accounts.g.oauth2.tokenEndpoint',
      message: 'is required with explicit endpoints',
    });
    expect(
      issues({
        ...base,
        password: { type: 'keychain' },
        oauth2: { provider: 'google', clientId: 'id' },
      }),
    ).toContainEqual({
      path: 'accounts.g.oauth2',
      message: 'is used only with "password": {"type": "oauth2"} (without a command)',
    });
    expect(
      issues({ ...base, oauth2: { provider: 'google', clientId: 'id', refreshToken: 'x' } }),
    ).toContainEqual({
      path: 'accounts.g.oauth2.refreshToken',
      message: expect.stringMatching(/^is not a known setting/),
    });
  });

  it('marks Gmail and Microsoft for OAuth2 in the provider table', () => {
    expect(findProvider('ann@gmail.com')?.oauth2).toBe('google');
    expect(findProvider('ann@gmail.com')?.requiresOAuth2).toBeFalsy();
    const ms = findProvider('ann@outlook.com')!;
    expect(ms.oauth2).toBe('microsoft');
    expect(ms.requiresOAuth2).toBe(true);
    expect(ms.imap).toEqual({ host: 'outlook.office365.com', port: 993, security: 'tls' });
    expect(ms.smtp).toEqual({ host: 'smtp.office365.com', port: 587, security: 'starttls' });
  });
});

describe('where the refresh token is kept', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TMAIL_STATE_DIR;
    process.env.TMAIL_STATE_DIR = mkdtempSync(join(tmpdir(), 'tmail-oauth-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TMAIL_STATE_DIR;
    else process.env.TMAIL_STATE_DIR = saved;
    configureKeychain();
  });

  it('uses the keychain when it answers, under an entry apart from a password', async () => {
    const entries = new Map<string, string>();
    const keytar: KeytarApi = {
      getPassword: async (s, a) => entries.get(`${s}/${a}`) ?? null,
      setPassword: async (s, a, p) => void entries.set(`${s}/${a}`, p),
      deletePassword: async (s, a) => entries.delete(`${s}/${a}`),
    };
    configureKeychain({ loader: async () => keytar });
    expect(await saveRefreshToken('work', 'rt-1')).toEqual({ where: 'keychain' });
    expect(entries.get('tmail/oauth2:work')).toBe('rt-1');
    expect(await loadRefreshToken('work')).toBe('rt-1');
    expect(() => statSync(tokenFilePath())).toThrow();
    expect(await deleteRefreshToken('work')).toBe(true);
    expect(await loadRefreshToken('work')).toBeNull();
  });

  it('falls back to a 0600 file of its own when no keychain answers', async () => {
    configureKeychain({
      loader: async () => {
        throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
      },
    });
    const stored = await saveRefreshToken('work', 'rt-file');
    expect(stored).toEqual({ where: 'file', path: tokenFilePath() });
    expect(tokenFilePath()).toBe(join(process.env.TMAIL_STATE_DIR!, 'oauth2-tokens.json'));
    expect(statSync(tokenFilePath()).mode & 0o777).toBe(0o600);
    await saveRefreshToken('home', 'rt-home');
    expect(await loadRefreshToken('work')).toBe('rt-file');
    expect(JSON.parse(readFileSync(tokenFilePath(), 'utf8'))).toEqual({
      accounts: { work: 'rt-file', home: 'rt-home' },
    });
    expect(await deleteRefreshToken('work')).toBe(true);
    expect(await loadRefreshToken('work')).toBeNull();
    expect(await loadRefreshToken('home')).toBe('rt-home');
  });
});
