/**
 * tmail's own OAuth2 sign-in end to end, with the built binary against a real
 * chain on 127.0.0.1: oauth2-mock-server (with a token check that judges
 * signature, expiry and revocation, and a device grant) and a Dovecot/Postfix
 * of its own whose oauth2 passdb asks that check, for IMAP and for SMTP.
 *
 * `tmail account add` signs in through the browser (a script set as $BROWSER
 * follows the loopback address as a person's browser would), lists INBOX and
 * sends a message that arrives and is in Sent; `tmail account login --device`
 * waits for an approval given at "another device"; a revoked sign-in gives the
 * one sentence. No token is ever in the dotfile, the log, the output or the
 * processes' arguments.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfigEnv } from '../support/accounts.js';
import { TMAIL_BIN, runTmail, type CliResult } from '../support/cli.js';
import { startOAuthMailStack, type OAuthMailStack } from '../support/oauth-stack.js';
import { waitFor } from '../support/wait.js';
import { requireBuild } from './setup.js';

let stack: OAuthMailStack;
let env: Record<string, string>;
let work: string;
/** Everything tmail printed, and every process argument list seen, to search for tokens. */
const seen: string[] = [];
const user = 'oauthann';
const email = `${user}@example.test`;

function browserScript(dir: string): string {
  const path = join(dir, 'browser.mjs');
  writeFileSync(
    path,
    `#!${process.execPath}
// Stands for the person's browser: follows the sign-in address to the loopback redirect.
import { appendFileSync, readFileSync } from 'node:fs';
const log = ${JSON.stringify(join(dir, 'browser.log'))};
const args = (pid) => readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' ');
appendFileSync(log, JSON.stringify({ self: args('self'), parent: args(process.ppid) }) + '\\n');
const first = await fetch(process.argv[2], { redirect: 'manual' });
const back = await fetch(first.headers.get('location'));
appendFileSync(log, JSON.stringify({ status: back.status, page: await back.text() }) + '\\n');
`,
  );
  chmodSync(path, 0o755);
  return path;
}

async function tmail(args: string[], input = ''): Promise<CliResult> {
  const result = await runTmail(args, env, { input });
  seen.push(result.stdout, result.stderr);
  return result;
}

beforeAll(async () => {
  requireBuild();
  stack = await startOAuthMailStack();
  await stack.mail.addUser(user);
  stack.oauth.signInAs(user);
  work = mkdtempSync(join(tmpdir(), 'tmail-oauth-e2e-'));
  env = {
    ...testConfigEnv([]),
    BROWSER: browserScript(work),
    // No keychain here: the refresh token goes to the 0600 file, with the notice.
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    DISPLAY: '',
    TMAIL_LOG_LEVEL: 'debug',
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('tmail account add with OAuth2, then mail', () => {
  it('signs in through the browser, checks both servers and saves the account', async () => {
    const added = await tmail([
      'account',
      'add',
      '--name',
      'ann',
      '--email',
      email,
      '--user',
      user,
      '--imap-host',
      '127.0.0.1',
      '--imap-port',
      String(stack.mail.ports.imap),
      '--imap-security',
      'plain',
      '--smtp-host',
      '127.0.0.1',
      '--smtp-port',
      String(stack.mail.ports.submission),
      '--smtp-security',
      'plain',
      '--oauth2-issuer',
      stack.oauth.issuer,
      '--oauth2-client-id',
      'tmail-test-client',
    ]);
    expect(added.stderr).toContain(`Sign in with 127.0.0.1:`);
    expect(added.stderr).toMatch(/http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code/);
    expect(added.stdout).toContain(
      `IMAP 127.0.0.1:${stack.mail.ports.imap} ok (logged in as ${user})`,
    );
    expect(added.stdout).toContain(
      `SMTP 127.0.0.1:${stack.mail.ports.submission} ok (authenticated as ${user})`,
    );
    expect(added.stdout).toContain('Added account ann (OAuth2 sign-in)');
    const tokenFile = join(env.TMAIL_STATE_DIR!, 'oauth2-tokens.json');
    expect(added.stderr).toContain(
      `No system keychain answered, so the sign-in of account ann is kept in ${tokenFile} (readable only by you).`,
    );
    expect(added.code).toBe(0);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The browser came back to tmail's loopback server and was told to return.
    const browser = readFileSync(join(work, 'browser.log'), 'utf8');
    expect(browser).toContain('"status":200');
    expect(browser).toContain('You can close this window and return to tmail.');
    const dotfile = JSON.parse(
      readFileSync(join(env.TMAIL_CONFIG_DIR!, 'config.json'), 'utf8'),
    ) as { accounts: Record<string, unknown> };
    expect(dotfile.accounts.ann).toMatchObject({
      password: { type: 'oauth2' },
      oauth2: { issuer: stack.oauth.issuer, clientId: 'tmail-test-client' },
    });
    expect(stack.oauth.counts.authorizationCode).toBe(1);
  });

  it('sends a message that arrives in INBOX and is kept in Sent, and lists INBOX', async () => {
    const sent = await tmail(
      ['send', '--to', email, '--subject', 'Hello over OAuth2'],
      'Signed in without a password.\n',
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    let inbox: CliResult | undefined;
    await waitFor(
      async () => {
        inbox = await tmail(['list']);
        return inbox.stdout.includes('Hello over OAuth2');
      },
      { what: 'the message in INBOX' },
    );
    expect(inbox!.code).toBe(0);
    const sentFolder = await tmail(['list', 'Sent']);
    expect(sentFolder.stdout).toContain('Hello over OAuth2');
    // Each run renewed its access token with the stored refresh token (nothing asked).
    expect(stack.oauth.counts.refresh).toBeGreaterThanOrEqual(2);
  });
});

describe('tmail account login --device', () => {
  it('prints the code and the address, waits for the approval, and signs in', async () => {
    const child = spawn(process.execPath, [TMAIL_BIN, 'account', 'login', 'ann', '--device'], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number>((resolve) =>
      child.on('close', (code) => resolve(code ?? -1)),
    );
    let code = '';
    await waitFor(
      () => {
        code = stack.oauth.pendingDeviceCodes()[0] ?? '';
        return code !== '' && stderr.includes(code);
      },
      { what: 'the device code on the terminal' },
    );
    expect(stderr).toContain(`open ${stack.oauth.issuer}/device on any device`);
    expect(stderr).toContain(`and enter the code ${code}`);
    expect(stderr).toContain('Waiting for the approval...');
    seen.push(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'));
    // The person approves on their phone.
    stack.oauth.approveDevice(code, user);
    expect(await exited).toBe(0);
    seen.push(stdout, stderr);
    expect(stdout).toBe('Signed in account ann (oauthann@example.test).\n');
    const inbox = await tmail(['list']);
    expect(inbox.code).toBe(0);
    expect(inbox.stdout).toContain('Hello over OAuth2');
  });
});

describe('a revoked sign-in', () => {
  it('says in one sentence to sign in again', async () => {
    stack.oauth.revokeUser(user);
    const listed = await tmail(['list']);
    expect(listed.stderr).toBe(
      'tmail: The sign-in of account ann has expired or was revoked; run tmail account login ann.\n',
    );
    expect(listed.code).toBe(1);
  });
});

describe('where the tokens are not', () => {
  it('never in the dotfile, the log, any output or any process arguments', () => {
    const secrets = stack.oauth.issuedSecrets();
    expect(secrets.length).toBeGreaterThan(5);
    const log = readFileSync(env.TMAIL_LOG_FILE!, 'utf8');
    expect(log).toContain('access token renewed');
    const places = {
      dotfile: readFileSync(join(env.TMAIL_CONFIG_DIR!, 'config.json'), 'utf8'),
      log,
      browser: readFileSync(join(work, 'browser.log'), 'utf8'),
      output: seen.join('\n'),
    };
    for (const [where, text] of Object.entries(places)) {
      for (const secret of secrets) {
        expect(text.includes(secret), `a token or code in ${where}`).toBe(false);
      }
    }
    // The browser's argument is the address alone; its parent is tmail as it was started.
    const first = JSON.parse(places.browser.split('\n')[0]!) as { self: string; parent: string };
    expect(first.self).toMatch(/browser\.mjs http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
    expect(first.parent).toContain('account add --name ann');
  });
});
