/**
 * The account wizard on fake services: it asks for the address and password,
 * finds and checks the servers, handles a wrong password, a self-signed
 * certificate, a missing keychain and servers typed by hand, saves only what
 * logged in, and never shows the password.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import type { AccountConfig, ProbeResult } from '../../src/core/config/index.js';
import { TmailError } from '../../src/core/errors.js';
import { AccountWizard, type WizardServices } from '../../src/ui/wizard/index.js';
import { waitFor } from '../support/wait.js';

const PASSWORD = 'wizard-Pa55-word';
const KEY = { enter: '\r', esc: '\u001b', down: '\u001b[B', up: '\u001b[A' };

function ok(protocol: 'IMAP' | 'SMTP', host: string, port: number): ProbeResult {
  return {
    protocol,
    host,
    port,
    security: 'tls',
    user: 'ann@example.com',
    ok: true,
    detail:
      protocol === 'IMAP' ? 'logged in as ann@example.com' : 'authenticated as ann@example.com',
  };
}

function failed(
  protocol: 'IMAP' | 'SMTP',
  host: string,
  port: number,
  error: TmailError,
): ProbeResult {
  return { protocol, host, port, security: 'tls', user: 'ann@example.com', ok: false, error };
}

const IMAP_OK = ok('IMAP', 'imap.example.com', 993);
const SMTP_OK = ok('SMTP', 'smtp.example.com', 465);

function fakeServices(overrides: Partial<WizardServices> = {}) {
  const services = {
    discover: vi.fn(async () => ({
      imap: [
        { host: 'imap.example.com', port: 993, security: 'tls' as const, source: 'guess' as const },
      ],
      smtp: [
        { host: 'smtp.example.com', port: 465, security: 'tls' as const, source: 'guess' as const },
      ],
    })),
    findServers: vi.fn(async () => ({ imap: IMAP_OK, smtp: SMTP_OK })),
    probe: vi.fn(async () => [IMAP_OK, SMTP_OK]),
    keychain: vi.fn(async () => ({ available: true as const })),
    verifyCommand: vi.fn(async () => null),
    accountNames: vi.fn(() => ['other']),
    save: vi.fn(async () => '/home/ann/.config/tmail/config.json'),
    ...overrides,
  } satisfies WizardServices;
  return services;
}

function start(services: WizardServices) {
  const onDone = vi.fn<(account: AccountConfig | null) => void>();
  const app = render(<AccountWizard services={services} onDone={onDone} />);
  const frame = () => app.lastFrame() ?? '';
  const frames = () => app.frames.join('\n');
  const until = async (text: string | RegExp) => {
    await waitFor(() => (typeof text === 'string' ? frame().includes(text) : text.test(frame())), {
      what: `a frame showing ${String(text)}; last frame:\n${frame()}`,
    });
    // A new question's field starts listening for keys in an effect after the frame that
    // shows it; keys typed before that are lost. Let the effects run first.
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  /** Types text and Enter once the frame shows `prompt`. */
  const answer = async (prompt: string | RegExp, text: string) => {
    await until(prompt);
    app.stdin.write(text);
    await waitFor(() => frame().includes(text) || frame().includes('*'.repeat(text.length)), {
      what: `the typed text to show`,
    });
    app.stdin.write(KEY.enter);
  };
  return { app, onDone, frame, frames, until, answer };
}

describe('the account wizard', () => {
  it('asks, checks and saves an account with its password in the keychain', async () => {
    const services = fakeServices();
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('Where should tmail get the password?');
    expect(w.frame()).toContain('IMAP imap.example.com:993 (tls): logged in as ann@example.com');
    expect(w.frame()).toContain('[k] in the system keychain (recommended)');
    w.app.stdin.write(KEY.enter);
    await w.until('Account name: example');
    w.app.stdin.write(KEY.enter);
    await w.answer('Your name', 'Ann Example');
    await w.until('Saved account example in /home/ann/.config/tmail/config.json.');
    const expected = {
      name: 'example',
      email: 'ann@example.com',
      displayName: 'Ann Example',
      imap: { host: 'imap.example.com', port: 993, security: 'tls' },
      smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
      password: { type: 'keychain' },
    };
    expect(services.save).toHaveBeenCalledWith(expect.objectContaining(expected), PASSWORD);
    expect(vi.mocked(services.findServers).mock.calls[0]![2]).toBe(PASSWORD);
    await waitFor(() => w.onDone.mock.calls.length > 0);
    expect(w.onDone).toHaveBeenCalledWith(expect.objectContaining(expected));
    expect(w.frames()).not.toContain(PASSWORD);
  });

  it('refuses an address that is not one', async () => {
    const w = start(fakeServices());
    await w.answer('Email address:', 'ann at example');
    await w.until('The address must be an email address such as ann@example.com.');
  });

  it('asks for the password again when the server refuses it, showing its words', async () => {
    const refused = new TmailError(
      'AUTH_FAILED',
      'The IMAP server imap.example.com:993 refused the login for new; check the user name and password.',
      { serverText: '[AUTHENTICATIONFAILED] Authentication failed.' },
    );
    const services = fakeServices({
      findServers: vi
        .fn()
        .mockResolvedValueOnce({
          imap: failed('IMAP', 'imap.example.com', 993, refused),
          smtp: SMTP_OK,
        })
        .mockResolvedValueOnce({ imap: IMAP_OK, smtp: SMTP_OK }),
    });
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', 'wrong-one');
    await w.until('[AUTHENTICATIONFAILED] Authentication failed. Type the password again');
    await w.answer('Password:', PASSWORD);
    await w.until('Where should tmail get the password?');
    expect(vi.mocked(services.findServers).mock.calls[1]![2]).toBe(PASSWORD);
    expect(w.frames()).not.toContain(PASSWORD);
    expect(w.frames()).not.toContain('wrong-one');
  });

  it('offers to trust a self-signed certificate for this account only', async () => {
    const untrusted = new TmailError(
      'TLS_UNTRUSTED',
      'The certificate of the IMAP server mail.example.com:993 is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT).',
    );
    const services = fakeServices({
      findServers: vi.fn(async () => ({
        imap: failed('IMAP', 'mail.example.com', 993, untrusted),
        smtp: SMTP_OK,
      })),
    });
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('Trust the certificate of mail.example.com:993 for this account only');
    w.app.stdin.write('y');
    await w.until('Where should tmail get the password?');
    const [checked] = vi.mocked(services.probe).mock.calls[0]! as unknown as [AccountConfig];
    expect(checked.allowInvalidCert).toBe(true);
    expect(checked.imap.host).toBe('mail.example.com');
  });

  it('without a keychain says why and offers a command or a prompt; checks the command', async () => {
    const services = fakeServices({
      keychain: vi.fn(async () => ({
        available: false as const,
        error: new TmailError(
          'KEYCHAIN_UNAVAILABLE',
          'The system keychain is not available (no D-Bus session); keep the password with a command (--password-command) or type it at each run (--password-prompt) instead.',
        ),
      })),
      verifyCommand: vi
        .fn()
        .mockResolvedValueOnce(
          new TmailError(
            'SECRET_UNAVAILABLE',
            'The command printed something else than the password that logged in.',
          ),
        )
        .mockResolvedValueOnce(null),
    });
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('The system keychain is not available (no D-Bus session)');
    expect(w.frame()).not.toContain('[k]');
    expect(w.frame()).toContain('[c] from a command');
    expect(w.frame()).toContain('[p] nowhere: ask for it');
    w.app.stdin.write('c');
    await w.answer('Command:', 'pass show wrong');
    await w.until('The command printed something else than the password that logged in.');
    w.app.stdin.write('\u0015');
    await w.answer('Command:', 'pass show mail/ann');
    await w.until('Account name:');
    w.app.stdin.write(KEY.enter);
    await w.answer('Your name', 'Ann');
    await w.until('Saved account');
    expect(services.verifyCommand).toHaveBeenLastCalledWith('pass show mail/ann', PASSWORD);
    expect(services.save).toHaveBeenCalledWith(
      expect.objectContaining({ password: { type: 'command', command: 'pass show mail/ann' } }),
      PASSWORD,
    );
  });

  it('lets the servers be typed by hand when no guess answers', async () => {
    const refused = (protocol: 'IMAP' | 'SMTP', port: number) =>
      failed(
        protocol,
        `${protocol.toLowerCase()}.example.com`,
        port,
        new TmailError('HOST_UNKNOWN', `The ${protocol} server name could not be found.`),
      );
    const services = fakeServices({
      findServers: vi.fn(async () => ({ imap: refused('IMAP', 993), smtp: refused('SMTP', 465) })),
      probe: vi.fn(async (account: AccountConfig) => [
        { ...IMAP_OK, host: account.imap.host, port: account.imap.port },
        { ...SMTP_OK, host: account.smtp.host, port: account.smtp.port },
      ]),
    });
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('No working settings were found');
    // IMAP host: replace the guess.
    w.app.stdin.write('\u0015');
    await w.answer('> IMAP host:', 'box.example.net');
    await w.until('> IMAP port: 993');
    w.app.stdin.write(KEY.enter);
    await w.until('> IMAP security');
    w.app.stdin.write(KEY.enter);
    await w.until('> SMTP host');
    w.app.stdin.write('\u0015');
    await w.answer('> SMTP host:', 'box.example.net');
    await w.until('> SMTP port: 465');
    w.app.stdin.write('\u0015');
    await w.answer('> SMTP port:', '587');
    await w.until('> SMTP security');
    w.app.stdin.write('\u0015');
    await w.answer('> SMTP security', 'starttls');
    await w.until('> Login name');
    w.app.stdin.write(KEY.enter);
    await w.until('Where should tmail get the password?');
    const [checked] = vi.mocked(services.probe).mock.calls[0]! as unknown as [AccountConfig];
    expect(checked.imap).toEqual({ host: 'box.example.net', port: 993, security: 'tls' });
    expect(checked.smtp).toEqual({ host: 'box.example.net', port: 587, security: 'starttls' });
  });

  /** The wizard at its server form (nothing answered the guesses), and its probe. */
  async function atServerForm() {
    const refused = (protocol: 'IMAP' | 'SMTP', port: number) =>
      failed(
        protocol,
        `${protocol.toLowerCase()}.example.test`,
        port,
        new TmailError('HOST_UNKNOWN', `The ${protocol} server name could not be found.`),
      );
    const services = fakeServices({
      findServers: vi.fn(async () => ({ imap: refused('IMAP', 993), smtp: refused('SMTP', 465) })),
      probe: vi.fn(async (account: AccountConfig) => [
        { ...IMAP_OK, host: account.imap.host, port: account.imap.port },
        { ...SMTP_OK, host: account.smtp.host, port: account.smtp.port },
      ]),
    });
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('> IMAP host: imap.example.test');
    const checked = () =>
      (vi.mocked(services.probe).mock.calls[0] as unknown as [AccountConfig] | undefined)?.[0];
    return { w, services, checked };
  }

  it('keeps what was typed in a server field when Up and Down move between fields', async () => {
    const { w, checked } = await atServerForm();
    // The pre-filled guess is selected: typing replaces it, no Ctrl-U needed.
    w.app.stdin.write('127.0.0.1');
    await w.until('> IMAP host: 127.0.0.1');
    w.app.stdin.write(KEY.down);
    await w.until('> IMAP port: 993');
    w.app.stdin.write(KEY.down);
    await w.until('> IMAP security');
    // Up and straight on typing, in the same tick: the keys go to the field moved to.
    w.app.stdin.write(KEY.up);
    w.app.stdin.write('1993');
    await w.until('> IMAP port: 1993');
    w.app.stdin.write(KEY.up);
    await w.until('> IMAP host: 127.0.0.1');
    expect(w.frame()).toContain('IMAP port: 1993');
    expect(w.frame()).not.toContain('IMAP host: imap.example.test');
    for (const label of ['IMAP port', 'IMAP security', 'SMTP host', 'SMTP port', 'SMTP security']) {
      w.app.stdin.write(KEY.enter);
      await w.until(`> ${label}`);
    }
    w.app.stdin.write(KEY.down);
    await w.until('> Login name');
    w.app.stdin.write(KEY.enter);
    await w.until('Where should tmail get the password?');
    expect(checked()?.imap).toEqual({ host: '127.0.0.1', port: 1993, security: 'tls' });
    expect(checked()?.smtp).toEqual({ host: 'smtp.example.test', port: 465, security: 'tls' });
  });

  it('takes Ctrl-U and the keys typed right after it, in the same tick or the same read', async () => {
    const { w, checked } = await atServerForm();
    w.app.stdin.write(KEY.enter);
    await w.until('> IMAP port: 993');
    // Moved into with the arrow key the value is not selected any more: Ctrl-U clears it.
    w.app.stdin.write('\u001b[C');
    w.app.stdin.write('\u0015');
    w.app.stdin.write('2993');
    await w.until('> IMAP port: 2993');
    w.app.stdin.write(KEY.enter);
    await w.until('> IMAP security');
    w.app.stdin.write(KEY.enter);
    await w.until('> SMTP host');
    w.app.stdin.write(KEY.enter);
    await w.until('> SMTP port: 465');
    // What a terminal sends when Ctrl-U and the digits come in one read.
    w.app.stdin.write('\u001b[C');
    w.app.stdin.write('\u00152465');
    await w.until('> SMTP port: 2465');
    expect(w.frame()).not.toMatch(/465\s*2465|4652465/);
    for (const label of ['SMTP security', 'Login name']) {
      w.app.stdin.write(KEY.enter);
      await w.until(`> ${label}`);
    }
    w.app.stdin.write(KEY.enter);
    await w.until('Where should tmail get the password?');
    expect(checked()?.imap.port).toBe(2993);
    expect(checked()?.smtp.port).toBe(2465);
  });

  it('replaces the suggested account name with what is typed', async () => {
    const services = fakeServices();
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.answer('Password:', PASSWORD);
    await w.until('Where should tmail get the password?');
    w.app.stdin.write(KEY.enter);
    await w.until('Account name: example');
    w.app.stdin.write('alice');
    await w.until('Account name: alice');
    expect(w.frame()).not.toContain('examplealice');
    w.app.stdin.write(KEY.enter);
    await w.answer('Your name', 'Alice');
    await w.until('Saved account alice in');
    expect(services.save).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'alice' }),
      PASSWORD,
    );
  });

  it('is cancelled by Esc, and saves nothing', async () => {
    const services = fakeServices();
    const w = start(services);
    await w.answer('Email address:', 'ann@example.com');
    await w.until('Password:');
    w.app.stdin.write(KEY.esc);
    await waitFor(() => w.onDone.mock.calls.length > 0, { what: 'the wizard to end' });
    expect(w.onDone).toHaveBeenCalledWith(null);
    expect(services.save).not.toHaveBeenCalled();
  });
});

describe('the account wizard with OAuth2', () => {
  const tokens = {
    accessToken: 'wizard-access-token',
    refreshToken: 'wizard-refresh-token',
    expiresAt: Date.now() + 3_600_000,
    lifetimeMs: 3_600_000,
  };
  let browserDone = () => {};
  const oauthServices = (overrides: Partial<WizardServices> = {}) =>
    fakeServices({
      signIn: vi.fn(async (_account: AccountConfig, say: (line: string) => void) => {
        say('Sign in with Microsoft in your browser. If it does not open, open this address:');
        say('https://login.example/a?client_id=app-id');
        // The person signs in at the browser while the wizard waits.
        await new Promise<void>((resolve) => (browserDone = resolve));
        return tokens;
      }),
      probeToken: vi.fn(async () => [
        ok('IMAP', 'outlook.office365.com', 993),
        ok('SMTP', 'smtp.office365.com', 587),
      ]),
      saveSignedIn: vi.fn(async () => ({
        file: '/home/ann/.config/tmail/config.json',
        notice:
          'No system keychain answered, so the sign-in of account ann is kept in /s (readable only by you).',
      })),
      ...overrides,
    });

  it('signs a Microsoft address in through the browser, with no password asked', async () => {
    const services = oauthServices();
    const w = start(services);
    await w.answer('Email address:', 'ann@outlook.com');
    await w.until('Client ID:');
    expect(w.frame()).toContain('Outlook.com signs in with OAuth2');
    expect(w.frame()).not.toContain('app password instead');
    // Microsoft takes no password: an empty client id is refused.
    w.app.stdin.write(KEY.enter);
    await w.until('Outlook.com needs the client id of your registered app.');
    await w.answer('Client ID:', 'app-id');
    await w.until('https://login.example/a?client_id=app-id');
    browserDone();
    await w.until('Account name: ann');
    expect(w.frame()).toContain('IMAP outlook.office365.com:993 (tls): logged in');
    w.app.stdin.write(KEY.enter);
    await w.answer('Your name', 'Ann');
    await w.until('Saved account ann in /home/ann/.config/tmail/config.json.');
    expect(w.frame()).toContain('No system keychain answered');
    const signedIn = vi.mocked(services.signIn!).mock.calls[0]![0];
    expect(signedIn).toMatchObject({
      email: 'ann@outlook.com',
      imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
      password: { type: 'oauth2' },
      oauth2: { provider: 'microsoft', clientId: 'app-id' },
    });
    expect(services.probeToken).toHaveBeenCalledWith(expect.anything(), 'wizard-access-token');
    expect(services.saveSignedIn).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'ann', password: { type: 'oauth2' }, serverSavesSent: true }),
      tokens,
    );
    expect(services.save).not.toHaveBeenCalled();
    expect(services.findServers).not.toHaveBeenCalled();
    expect(w.frames()).not.toContain('wizard-access-token');
    expect(w.frames()).not.toContain('wizard-refresh-token');
  });

  it('asks Google for the client secret, or takes an app password when the client id is empty', async () => {
    const services = oauthServices();
    const w = start(services);
    await w.answer('Email address:', 'ann@gmail.com');
    await w.until('Client ID (empty: use an app password instead):');
    await w.answer('Client ID', 'google-id.apps.googleusercontent.com');
    await w.answer('Client secret:', 'GOCSPX-secret');
    await w.until('Sign in with Microsoft');
    browserDone();
    await w.until('Account name: ann');
    expect(vi.mocked(services.signIn!).mock.calls[0]![0].oauth2).toEqual({
      provider: 'google',
      clientId: 'google-id.apps.googleusercontent.com',
      clientSecret: 'GOCSPX-secret',
    });
    expect(w.frames()).not.toContain('GOCSPX-secret');

    const other = start(oauthServices());
    await other.answer('Email address:', 'bob@gmail.com');
    await other.until('Client ID (empty: use an app password instead):');
    other.app.stdin.write(KEY.enter);
    await other.until('Password:');
  });
});
