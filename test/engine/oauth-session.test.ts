/**
 * OAuth2 tokens during a session, in-process against the real chain (see
 * test/support/oauth-stack.ts), with a Dovecot that offers only XOAUTH2 (the
 * end-to-end test covers OAUTHBEARER): an access token that expires while the
 * program runs is renewed before the next login with nothing shown; a token
 * the server refuses while still fresh is renewed once, silently; a revoked
 * sign-in leaves the engine offline with the one sentence, not retrying.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/core/config/types.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { forgetAccessToken, signIn } from '../../src/core/oauth/index.js';
import { configureKeychain, resolveCredentials } from '../../src/core/secrets/index.js';
import { submit } from '../../src/core/smtp/submit.js';
import { startOAuthMailStack, type OAuthMailStack } from '../support/oauth-stack.js';
import { waitFor } from '../support/wait.js';

let stack: OAuthMailStack;
const engines: MailEngine[] = [];

function accountFor(user: string): AccountConfig {
  return {
    name: user,
    email: `${user}@example.test`,
    user,
    imap: { host: '127.0.0.1', port: stack.mail.ports.imap, security: 'plain' },
    smtp: { host: '127.0.0.1', port: stack.mail.ports.submission, security: 'plain' },
    password: { type: 'oauth2' },
    oauth2: { issuer: stack.oauth.issuer, clientId: 'tmail-test-client' },
  };
}

/** Signs `user` in through a "browser" that follows the address. */
async function signedIn(user: string): Promise<AccountConfig> {
  await stack.mail.addUser(user);
  stack.oauth.signInAs(user);
  const account = accountFor(user);
  await signIn(account, {
    say: () => {},
    openBrowser: async (url) => {
      const first = await fetch(url, { redirect: 'manual' });
      await fetch(first.headers.get('location')!);
      return true;
    },
  });
  return account;
}

/** An engine as a session makes it (credentials read afresh at every connect), reconnecting fast. */
function engineFor(account: AccountConfig): MailEngine {
  const engine = new MailEngine({
    account,
    pendingFile: join(mkdtempSync(join(tmpdir(), 'tmail-oauth-pending-')), 'pending.json'),
    reconnectDelaysMs: [200, 400],
    backendFactory: async () =>
      new ImapBackend({
        account,
        credentials: await resolveCredentials(account, 'imap'),
        timeoutMs: 5000,
      }),
  });
  engines.push(engine);
  return engine;
}

/** A small message from the account to itself. */
function rawMessage(address: string, subject: string) {
  const raw = Buffer.from(
    `From: <${address}>\r\nTo: <${address}>\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random()}@example.test>\r\n\r\nStill signed in.\r\n`,
  );
  return { raw, envelope: { from: address, to: [address] } };
}

/** Waits until the engine is online; says what it shows otherwise. */
async function online(engine: MailEngine): Promise<void> {
  await waitFor(() => engine.state.connection.status === 'online', { what: 'online' }).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}; the engine shows ${JSON.stringify(engine.state.connection)}`,
      );
    },
  );
}

/** Every offline reason the engine shows from now on. */
function reasons(engine: MailEngine): string[] {
  const seen: string[] = [];
  engine.store.subscribe(() => {
    const c = engine.state.connection;
    if (c.status === 'offline' && seen.at(-1) !== c.reason) seen.push(c.reason);
  });
  return seen;
}

beforeAll(async () => {
  stack = await startOAuthMailStack({ mechanisms: ['xoauth2'] });
  process.env.TMAIL_STATE_DIR = mkdtempSync(join(tmpdir(), 'tmail-oauth-state-'));
  configureKeychain({
    loader: async () => {
      throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
    },
  });
}, 120_000);

afterAll(async () => {
  for (const engine of engines) await engine.close();
  configureKeychain();
  await stack?.stop();
});

describe('an access token that expires during a session', () => {
  it('is renewed before the next login and send, with nothing shown', async () => {
    stack.oauth.accessTokenTtl = 3;
    const account = await signedIn('expiring');
    const first = await resolveCredentials(account, 'imap');
    const engine = engineFor(account);
    const shown = reasons(engine);
    await engine.start({ retry: true });
    await online(engine);
    const refreshesBefore = stack.oauth.counts.refresh;

    // Past its expiry: the token check Dovecot asks now refuses that token. (Asked directly:
    // a refused IMAP login here would make Dovecot slow down the next ones from 127.0.0.1.)
    await new Promise((r) => setTimeout(r, 3_500));
    const check = await fetch(`${stack.oauth.issuer}/tmail/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: first.accessToken! }),
    });
    expect(await check.json()).toEqual({ active: false });

    // The connection drops; the engine logs in again with a renewed token.
    await stack.mail.doveadm('kick', 'expiring');
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
    await waitFor(() => engine.state.connection.status === 'online', { what: 'online again' });
    await engine.request({ type: 'open-folder', path: 'INBOX' });

    // And a message goes out over SMTP with a token renewed for it.
    await new Promise((r) => setTimeout(r, 3_500));
    const built = rawMessage(account.email, 'After the token expired');
    const result = await submit(account, await resolveCredentials(account, 'smtp'), built);
    expect(result.accepted).toEqual([account.email]);

    expect(stack.oauth.counts.refresh).toBeGreaterThanOrEqual(refreshesBefore + 2);
    // Only the dropped connection was ever shown; no sign-in trouble.
    expect(shown.filter((r) => /sign-in|refused|login/i.test(r))).toEqual([]);
    stack.oauth.accessTokenTtl = 3600;
  });
});

describe('a token the server refuses while still fresh', () => {
  it('is renewed once and the login goes through, for IMAP and SMTP', async () => {
    const account = await signedIn('renewonce');
    await resolveCredentials(account, 'imap');
    stack.oauth.revokeAccessTokens('renewonce');
    const before = stack.oauth.counts.refresh;
    const engine = engineFor(account);
    const shown = reasons(engine);
    await engine.start({ retry: true });
    await online(engine);
    expect(stack.oauth.counts.refresh).toBe(before + 1);
    expect(shown).toEqual([]);

    stack.oauth.revokeAccessTokens('renewonce');
    const built = rawMessage(account.email, 'Renewed once');
    const result = await submit(account, await resolveCredentials(account, 'smtp'), built);
    expect(result.accepted).toEqual([account.email]);
    expect(stack.oauth.counts.refresh).toBe(before + 2);
  });
});

describe('a revoked sign-in', () => {
  it('leaves the session offline with the one sentence, without retrying', async () => {
    const account = await signedIn('revoked');
    const engine = engineFor(account);
    await engine.start({ retry: true });
    await online(engine);
    stack.oauth.revokeUser('revoked');
    await stack.mail.doveadm('kick', 'revoked');
    const sentence =
      'The sign-in of account revoked has expired or was revoked; run tmail account login revoked.';
    await waitFor(
      () => {
        const c = engine.state.connection;
        return c.status === 'offline' && c.reason === sentence;
      },
      { what: 'the sentence' },
    );
    const c = engine.state.connection;
    expect(c.status === 'offline' && c.retryAt).toBeFalsy();
    forgetAccessToken('revoked');
  });
});
