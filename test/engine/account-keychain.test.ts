/**
 * The keychain path end to end, for real: `tmail account add --keychain`,
 * `account test` and `account remove` as separate processes on a private
 * D-Bus session with gnome-keyring unlocked from stdin and a temp HOME,
 * against the test Dovecot and Postfix. With the keyring daemon frozen,
 * `account test` says so in one line and the process still exits at once.
 * Skipped with a reason where gnome-keyring or dbus is missing; failed in CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const REPO = resolve(import.meta.dirname, '../..');
const stack = sharedMailStack();
let user: TestUser;
let dir: string;

const missing = ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skipReason = missing.length
  ? `needs ${missing.join(', ')} (apt-get install gnome-keyring dbus libsecret-1-0)`
  : undefined;

beforeAll(async () => {
  user = await newTestUser(stack, 'keychain');
  dir = mkdtempSync(join(tmpdir(), 'tmail-account-keychain-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The session script: each step prints `@@ step=<exit code>` after its own output. */
function script(): string {
  const tmail = `${join(REPO, 'node_modules/.bin/tsx')} ${join(REPO, 'src/cli.ts')}`;
  const add = [
    'account add --name kc',
    `--email ${user.email} --user ${user.name}`,
    `--imap-host ${stack.host} --imap-port ${stack.ports.imap} --imap-security plain`,
    `--smtp-host ${stack.host} --smtp-port ${stack.ports.submission} --smtp-security plain`,
    '--keychain',
  ].join(' ');
  return `
echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\\n' "$KC_PASSWORD" | ${tmail} ${add}; echo "@@ add=$?"
${tmail} account test kc </dev/null; echo "@@ test=$?"
daemon=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / \\
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')
kill -STOP "$daemon"
started=$(date +%s%N)
TMAIL_KEYCHAIN_TIMEOUT_MS=500 ${tmail} account test kc </dev/null; echo "@@ wedged=$?"
echo "@@ wedgedMs=$(( ($(date +%s%N) - started) / 1000000 ))"
kill -CONT "$daemon"
${tmail} account remove kc; echo "@@ remove=$?"
`;
}

function runSession(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('dbus-run-session', ['--', 'bash', '-c', script()], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: join(dir, 'home'),
        XDG_RUNTIME_DIR: dir,
        TMAIL_CONFIG_DIR: join(dir, 'config'),
        TMAIL_STATE_DIR: join(dir, 'state'),
        TMAIL_LOG_FILE: join(dir, 'tmail.log'),
        TMAIL_LOG_LEVEL: 'debug',
        KC_PASSWORD: user.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', () => done({ stdout, stderr }));
  });
}

it('adds an account with its password in a real keychain, tests it, and removes both', async (context) => {
  if (skipReason) {
    if (process.env.CI) throw new Error(`The keychain test cannot run in CI: it ${skipReason}.`);
    context.skip(skipReason);
  }
  const { stdout, stderr } = await runSession();
  const codes = Object.fromEntries(
    [...stdout.matchAll(/^@@ (\w+)=(\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
  );
  const context_ = `stdout:\n${stdout}\nstderr:\n${stderr}`;
  expect(codes, context_).toMatchObject({ add: 0, test: 0, wedged: 1, remove: 0 });
  const imap = `${stack.host}:${stack.ports.imap}`;
  expect(stdout).toContain(`Added account kc (password in the system keychain)`);
  expect(stdout).toContain(`IMAP ${imap} ok (logged in as ${user.name})`);
  expect(stdout).toContain(
    `IMAP ${imap} failed: The system keychain is not available (no keychain service answered within 500 ms); keep the password with a command (--password-command) or type it at each run (--password-prompt) instead.`,
  );
  // A frozen daemon makes keytar wait 25 s or more; tmail gives up after its own
  // timeout (the sentence above) and the command ends (its exit code was read).
  expect(stdout).toContain('Removed account kc and its password in the system keychain.');
  const file = readFileSync(join(dir, 'config/config.json'), 'utf8');
  expect(JSON.parse(file).accounts).toEqual({});
  for (const text of [stdout, stderr, file, readFileSync(join(dir, 'tmail.log'), 'utf8')]) {
    expect(text).not.toContain(user.password);
  }
});
