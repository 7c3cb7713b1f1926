/**
 * The keychain for real: keytar talking to gnome-keyring's Secret Service on
 * a private D-Bus session, with a keyring unlocked from stdin and a temp HOME.
 * Also a wedged daemon (stopped with SIGSTOP): the call gives up within the
 * timeout. Skipped with a reason where gnome-keyring or dbus is missing, but
 * failed in CI, which installs them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const PASSWORD = 'kr-Pa55-word-4711';
const NEW_PASSWORD = 'kr-Pa55-word-0815';

const missing = ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skipReason = missing.length
  ? `needs ${missing.join(', ')} (apt-get install gnome-keyring dbus libsecret-1-0)`
  : undefined;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-keyring-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The script run inside the D-Bus session; prints one JSON object of findings. */
function script(): string {
  const secrets = pathToFileURL(join(REPO, 'src/core/secrets/index.ts')).href;
  const log = pathToFileURL(join(REPO, 'src/core/log.ts')).href;
  return `
import { execFileSync } from 'node:child_process';
import {
  configureKeychain, deleteStoredPassword, keychainCallsStuck, keychainStatus,
  resolveCredentials, storeKeychainPassword,
} from ${JSON.stringify(secrets)};
import { createLogger } from ${JSON.stringify(log)};

const out = {};
const account = {
  name: 'kr-work', email: 'ann@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
  password: { type: 'keychain' },
};
const pw = process.env.KR_PASSWORD, newPw = process.env.KR_NEW_PASSWORD;
const describe = (e) => ({ code: e.code, message: e.message });
let started = Date.now();
const status = await keychainStatus();
out.status = status.available ? 'available' : status.error.message;
if (status.available) {
  await storeKeychainPassword('kr-work', pw);
  out.readBack = (await resolveCredentials(account, 'imap')).password === pw;
  createLogger('keyring-test').error('a line that mentions ' + pw);
  configureKeychain({ timeoutMs: 2000 });
  await storeKeychainPassword('kr-work', newPw);
  out.replaced = (await resolveCredentials(account, 'smtp')).password === newPw;
  out.deleted = await deleteStoredPassword(account);
  out.afterDelete = await resolveCredentials(account, 'imap').then(() => 'found', describe);
  out.deletedAgain = await deleteStoredPassword(account);

  // A wedged daemon: stop the Secret Service of this session only.
  await storeKeychainPassword('kr-work', pw);
  const reply = execFileSync('dbus-send', ['--session', '--print-reply',
    '--dest=org.freedesktop.DBus', '/', 'org.freedesktop.DBus.GetConnectionUnixProcessID',
    'string:org.freedesktop.secrets'], { encoding: 'utf8' });
  const daemon = Number(/uint32 (\\d+)/.exec(reply)[1]);
  process.kill(daemon, 'SIGSTOP');
  configureKeychain({ timeoutMs: 300 });
  started = Date.now();
  out.wedged = await resolveCredentials(account, 'imap').then(() => 'answered', describe);
  out.wedgedMs = Date.now() - started;
  out.stuck = keychainCallsStuck();
  // Left frozen: the test thaws and stops it once this script has ended.
  out.daemon = daemon;
}
process.stdout.write(JSON.stringify(out) + '\\n');
// No process.exit(): the script must end by itself at once, with the daemon
// still frozen, because the timed-out call ran in a helper that was killed.
process.on('exit', () => process.stderr.write('exit-ms=' + (Date.now() - started) + '\\n'));
`;
}

function runInKeyringSession(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(dir, 'keyring-check.mts');
  writeFileSync(file, script());
  const home = join(dir, 'home');
  const tsx = join(REPO, 'node_modules/.bin/tsx');
  const command = `echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec ${JSON.stringify(tsx)} ${JSON.stringify(file)}`;
  return new Promise((done, fail) => {
    const child = spawn('dbus-run-session', ['--', 'bash', '-c', command], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_DATA_HOME: join(home, '.local/share'),
        XDG_RUNTIME_DIR: dir,
        TMAIL_LOG_FILE: join(dir, 'tmail.log'),
        TMAIL_LOG_LEVEL: 'debug',
        KR_PASSWORD: PASSWORD,
        KR_NEW_PASSWORD: NEW_PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

it('stores, reads, replaces and deletes passwords in a real Secret Service, and gives up on a wedged one', async (context) => {
  if (skipReason) {
    if (process.env.CI) throw new Error(`The keyring test cannot run in CI: it ${skipReason}.`);
    context.skip(skipReason);
  }
  const { code, stdout, stderr } = await runInKeyringSession();
  const line = stdout.trim().split('\n').pop() ?? '';
  expect(line, `stderr: ${stderr}`).toMatch(/^\{/);
  const found = JSON.parse(line);
  // The keyring daemon this test froze (it was started by this test's session).
  if (found.daemon) {
    for (const signal of ['SIGCONT', 'SIGTERM'] as const) {
      try {
        process.kill(found.daemon, signal);
      } catch {
        // Already gone with its session.
      }
    }
  }
  expect(found.status).toBe('available');
  expect(found).toMatchObject({
    readBack: true,
    replaced: true,
    deleted: true,
    deletedAgain: false,
    afterDelete: {
      code: 'SECRET_UNAVAILABLE',
      message:
        'The system keychain holds no password for account kr-work; store one with tmail account edit kr-work --keychain.',
    },
    wedged: {
      code: 'KEYCHAIN_UNAVAILABLE',
      message: expect.stringMatching(
        /no keychain service answered within 300 ms.*--password-command/,
      ),
    },
    stuck: false,
  });
  // The call gave up on tmail's own timeout (the message names it), and the
  // process ended while the daemon was still frozen: `code` was read above.
  expect(code).toBe(0);
  for (const text of [stdout, stderr, readFileSync(join(dir, 'tmail.log'), 'utf8')]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(NEW_PASSWORD);
  }
  expect(readFileSync(join(dir, 'tmail.log'), 'utf8')).toContain('a line that mentions ***');
});
