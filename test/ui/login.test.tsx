/**
 * `:login` in the reader (issue 17): an OAuth2 account whose sign-in expired
 * or was revoked stays open, the status line offers `:login`, and `:login`
 * runs the sign-in (a fake here) with the terminal handed over, then
 * reconnects. A password account is told so in one sentence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/core/config/types.js';
import { TmailError } from '../../src/core/errors.js';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { signInAgain } from '../../src/core/oauth/tokens.js';
import { renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

const OAUTH2: Partial<AccountConfig> = {
  name: 'work',
  password: { type: 'oauth2' },
  oauth2: { provider: 'google', clientId: 'id' },
};

describe(':login', () => {
  it('is offered when the sign-in was revoked, signs in with the terminal handed over, and reconnects', async () => {
    const server = new FakeMailServer();
    server.deliver('INBOX', [{ subject: 'After the sign-in' }]);
    server.refuseConnections = signInAgain('work');
    const events: string[] = [];
    const calls: Array<{ account: string; device: boolean }> = [];
    tui = await renderTui({
      server,
      account: OAUTH2,
      noOpen: true,
      options: {
        handOver: async (work) => {
          events.push('hand over');
          try {
            return await work();
          } finally {
            events.push('take back');
          }
        },
        signIn: async (account, { device }) => {
          events.push('sign in');
          calls.push({ account: account.name, device });
          server.refuseConnections = null;
        },
      },
    });
    const offline = await tui.see('offline: sign-in expired; type :login');
    expect(tui.line('Offline:')).toContain(
      'Offline: The sign-in of account work has expired or was revoked; type :login',
    );
    expect(offline).not.toContain('run tmail account login');
    expect(tui.exited()).toBe(false);

    tui.press(':');
    tui.type('login --device');
    tui.press('<Enter>');
    await tui.waitFor((f) => f.includes(' online '), 'online again');
    expect(calls).toEqual([{ account: 'work', device: true }]);
    expect(events).toEqual(['hand over', 'sign in', 'take back']);
    expect(tui.engine.state.connection.status).toBe('online');
  });

  it('uses the browser flow without --device and says what failed when the sign-in fails', async () => {
    const server = new FakeMailServer();
    server.refuseConnections = signInAgain('work');
    const calls: boolean[] = [];
    tui = await renderTui({
      server,
      account: OAUTH2,
      noOpen: true,
      options: {
        signIn: async (_account, { device }) => {
          calls.push(device);
          throw new TmailError('AUTH_FAILED', 'You refused the sign-in in the browser.');
        },
      },
    });
    await tui.see('offline: sign-in expired; type :login');
    tui.press(':');
    tui.type('login');
    tui.press('<Enter>');
    await tui.waitFor((f) => calls.length === 1 && f.includes('You refused the sign-in'));
    expect(calls).toEqual([false]);
    expect(tui.exited()).toBe(false);
  });

  it('tells a password account in one sentence that it signs in with a password', async () => {
    let called = false;
    tui = await renderTui({
      inbox: [{ subject: 'Hello' }],
      options: {
        signIn: async () => {
          called = true;
        },
      },
    });
    await tui.see('Hello');
    tui.press(':');
    tui.type('login');
    tui.press('<Enter>');
    await tui.see('Account test signs in with a password');
    expect(called).toBe(false);
  });
});
