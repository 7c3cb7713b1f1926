/**
 * The command line's manners, run as the built binary against the real
 * Dovecot: global options on either side of the command, clean refusals,
 * and output that is honest about what it did.
 */
import type { ImapFlow } from 'imapflow';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail, TMAIL_BIN } from '../support/cli.js';
import { checker, serverFlags } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let other: TestUser;
let env: Record<string, string>;
let check: ImapFlow;

beforeAll(async () => {
  user = await newTestUser(stack, 'polish');
  other = await newTestUser(stack, 'polish-other');
  check = await checker(stack.info(), user);
  await seedOverImap(check, 'INBOX', 5, { to: user.email, seed: 5 });
  // The other account is the default: a command only reaches `user` when told to.
  env = testConfigEnv([testAccount(stack.info(), other), testAccount(stack.info(), user)]);
});
afterAll(() => check?.logout());

describe('global options', () => {
  it('go before the command as well as after it, as in git', async () => {
    for (const args of [
      ['--account', user.name, 'list', '--json'],
      [`--account=${user.name}`, 'list', '--json'],
      ['-a', user.name, 'list', '--json'],
      ['list', '--json', '--account', user.name],
      ['--folder', 'INBOX', '--account', user.name, 'list', '--json'],
    ]) {
      const result = await runTmail(args, env);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { total: number }).total).toBe(5);
    }
    const folders = await runTmail(['--account', user.name, 'folders'], env);
    expect(folders.code).toBe(0);
    expect(folders.stdout).toMatch(/^INBOX\s+\d+ unread\s+5 total$/m);
  });
});

describe('flag names', () => {
  it('refuse a word that is not a flag, and set a keyword only in its explicit form', async () => {
    const refused = await runTmail(['flag', '1', '--set', 'bogusflag', '-a', user.name], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'tmail: --set: "bogusflag" is not a known flag (seen, answered, flagged, deleted, draft); give a keyword as keyword:bogusflag or $bogusflag\n',
    );
    expect((await serverFlags(check, 'INBOX')).get(1)).not.toContain('bogusflag');
    const set = await runTmail(['flag', '1', '--set', 'keyword:Project', '-a', user.name], env);
    expect(set.code).toBe(0);
    expect((await serverFlags(check, 'INBOX')).get(1)).toContain('Project');
  });
});

describe('server words', () => {
  it("reach the user without Dovecot's timing tail, which stays in the log", async () => {
    const result = await runTmail(['list', 'Nope', '-a', user.name], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "tmail: The IMAP server refused to open the folder Nope: Mailbox doesn't exist: Nope.\n",
    );
    expect(readFileSync(env.TMAIL_LOG_FILE!, 'utf8')).toMatch(/Nope \(\d\.\d+ \+ \d\.\d+ secs\)/);
  });
});

/** Appends a message to the user's INBOX and returns its UID. */
async function append(raw: string): Promise<number> {
  const result = await check.append('INBOX', raw.replace(/\r?\n/g, '\r\n'), ['\\Seen']);
  if (!result || !result.uid) throw new Error('APPEND gave no UID');
  return result.uid;
}

describe('tmail read to a file or a pipe', () => {
  it('cuts nothing: the whole attachment name and type, and long lines whole', async () => {
    const longLine = `${'A line longer than any terminal is wide, '.repeat(4)}end.`;
    const uid = await append(`From: Ada <ada@example.test>
To: ${user.email}
Subject: Figures
Date: Mon, 2 Mar 2026 10:00:00 +0000
Message-ID: <figures@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

${longLine}
--b1
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment; filename*=utf-8''%C3%9Cbersicht%20der%20Quartalszahlen%202026%20f%C3%BCr%20den%20Vorstand.xlsx
Content-Transfer-Encoding: base64

UEsDBAoAAAAAAA==
--b1--
`);
    const result = await runTmail(['read', String(uid), '-a', user.name], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  1. Übersicht der Quartalszahlen 2026 für den Vorstand.xlsx (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, ',
    );
    expect(result.stdout).toContain(`\n${longLine}\n`);
  });

  it('gives --raw byte for byte: the escape sequences of ISO-2022-JP stay', async () => {
    // "こんにちは" in ISO-2022-JP: ESC $ B switches to JIS X 0208, ESC ( B back to ASCII.
    const body = '\x1b$B$3$s$K$A$O\x1b(B\r\n';
    const raw = `From: Taro <taro@example.jp>\r\nTo: ${user.email}\r\nSubject: Hello\r\nMessage-ID: <jis@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-2022-jp\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${body}`;
    const uid = await append(raw);
    const result = await runTmail(['read', String(uid), '--raw', '-a', user.name], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(raw);
  });
});

describe('--json', () => {
  it('never passes bidi or other control characters raw; escaped they keep their value', async () => {
    // "invoice\u202Efdp.exe" (shows as invoiceexe.pdf), with C1 NEL and CSI in the name.
    const subject = `=?UTF-8?B?${Buffer.from('invoice\u202efdp.exe').toString('base64')}?=`;
    const name = `=?UTF-8?B?${Buffer.from('Ev\u0085il\u009b2J').toString('base64')}?=`;
    const uid = await append(`From: ${name} <evil@example.test>
To: ${user.email}
Subject: ${subject}
Message-ID: <bidi@example.test>

Look\u2067 here.
`);
    const outputs = [
      await runTmail(['read', String(uid), '--json', '-a', user.name], env),
      await runTmail(['list', '--json', '--limit', '1', '-a', user.name], env),
      await runTmail(['search', 'subject:invoice', '--json', '-a', user.name], env),
    ];
    for (const result of outputs) {
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
      );
      expect(result.stdout).toContain('invoice\\u202efdp.exe');
    }
    const message = JSON.parse(outputs[0]!.stdout) as {
      subject: string;
      from: Array<{ name: string }>;
    };
    expect(message.subject).toBe('invoice\u202efdp.exe');
    expect(message.from[0]!.name).toBe('Ev\u0085il\u009b2J');
  });
});

describe('an unusable HOME', () => {
  const noPlaces = {
    TMAIL_CONFIG_DIR: '',
    TMAIL_STATE_DIR: '',
    TMAIL_CACHE_DIR: '',
    XDG_CONFIG_HOME: '',
    XDG_STATE_HOME: '',
    XDG_CACHE_HOME: '',
  };
  const fix =
    'set HOME to your home directory, or XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_CACHE_HOME to absolute paths.';

  it('relative: refused in one sentence, nothing created under the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tmail-relhome-'));
    for (const args of [['folders'], ['list', '--json'], []]) {
      const result = await runTmail(args, { ...noPlaces, HOME: 'home' }, { cwd });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`tmail: HOME is "home", which is not an absolute path; ${fix}\n`);
      expect(readdirSync(cwd)).toEqual([]);
    }
  });

  it('missing: refused in one sentence, and not created', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'tmail-nohome-')), 'gone');
    const result = await runTmail(['folders'], { ...noPlaces, HOME: home });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`tmail: HOME is ${home}, which is not an existing folder; ${fix}\n`);
    expect(existsSync(home)).toBe(false);
  });

  it('does not matter when absolute XDG directories are set', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tmail-xdg-'));
    const xdg = {
      XDG_CONFIG_HOME: join(base, 'config'),
      XDG_STATE_HOME: join(base, 'state'),
      XDG_CACHE_HOME: join(base, 'cache'),
    };
    mkdirSync(join(xdg.XDG_CONFIG_HOME, 'tmail'), { recursive: true });
    copyFileSync(
      join(env.TMAIL_CONFIG_DIR!, 'config.json'),
      join(xdg.XDG_CONFIG_HOME, 'tmail', 'config.json'),
    );
    const cwd = mkdtempSync(join(tmpdir(), 'tmail-relhome-'));
    const result = await runTmail(
      ['list', '--json', '-a', user.name],
      { ...noPlaces, ...xdg, HOME: 'home' },
      { cwd },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

/** True when this process may run tmail as the user nobody (root, and the build readable to it). */
function canRunAsNobody(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync(process.execPath, [TMAIL_BIN, '--version'], {
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH, HOME: '/tmp' },
  });
  return probe.status === 0;
}

describe('a config folder that cannot be created', () => {
  const args = [
    'account',
    'add',
    ...['--name', 'x', '--email', 'x@example.test', '--imap-host', '127.0.0.1'],
    ...['--smtp-host', '127.0.0.1', '--imap-security', 'plain', '--smtp-security', 'plain'],
    ...['--password-command', 'echo x', '--no-test'],
  ];

  it.skipIf(!canRunAsNobody())('in a folder the user cannot write: names it and why', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tmail-ro-'));
    chmodSync(parent, 0o555);
    const result = spawnSync(process.execPath, [TMAIL_BIN, ...args], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: '/tmp',
        TMAIL_CONFIG_DIR: join(parent, 'tmail'),
        TMAIL_STATE_DIR: join(parent, 'state'),
        TMAIL_LOG_FILE: '/dev/null',
      },
    });
    expect(result.stderr).toBe(
      `tmail: The configuration folder ${join(parent, 'tmail')} could not be created in ${parent}: permission denied; create it yourself, or set XDG_CONFIG_HOME or TMAIL_CONFIG_DIR to a folder you can write.\n`,
    );
    expect(result.status).toBe(1);
  });

  it('under a file: says a part of the path is a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tmail-file-')), 'file');
    writeFileSync(file, '');
    const result = await runTmail(args, { TMAIL_CONFIG_DIR: join(file, 'tmail') });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tmail: The configuration file ${join(file, 'tmail', 'config.json')} could not be read: a part of the path is a file, not a folder.\n`,
    );
  });
});

describe('a password command that prints a megabyte', () => {
  it('is said to have printed too much, not to have lost the connection', async () => {
    const noisy = testConfigEnv([
      testAccount(stack.info(), user, {
        password: { type: 'command', command: "head -c 1048576 /dev/zero | tr '\\0' a" },
      }),
    ]);
    const result = await runTmail(['list'], noisy);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tmail: The password command of account ${user.name} printed too much (more than 16 KB on its first line); it should print only the secret, on its first line.\n`,
    );
  });
});
