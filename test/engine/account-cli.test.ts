/**
 * `tmail account ...` run in-process against the test Dovecot and Postfix:
 * add checks the servers for real and saves only what worked; test prints one
 * line per server; edit, list, default and remove; the keychain absent; and in
 * every case the password never reaches the dotfile, the log or any output.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/account.js';
import type { CliIo } from '../../src/cli/io.js';
import { configFilePath } from '../../src/core/config/index.js';
import { configureKeychain, type KeytarApi } from '../../src/core/secrets/index.js';
import { freePort } from '../support/mail-stack.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let dir: string;
/** Everything any command printed, to search for the password at the end. */
const printed: string[] = [];

beforeAll(async () => {
  user = await newTestUser(stack, 'acctcli');
  dir = mkdtempSync(join(tmpdir(), 'tmail-account-cli-'));
  process.env.TMAIL_CONFIG_DIR = join(dir, 'config');
  process.env.TMAIL_LOG_FILE = join(dir, 'tmail.log');
  process.env.TMAIL_LOG_LEVEL = 'debug';
});

afterEach(() => configureKeychain());

afterAll(() => {
  // The password may be nowhere: not in the file, the log, or anything printed.
  const file = (() => {
    try {
      return readFileSync(configFilePath(), 'utf8');
    } catch {
      return '';
    }
  })();
  const log = readFileSync(process.env.TMAIL_LOG_FILE!, 'utf8');
  expect(log.length).toBeGreaterThan(0);
  for (const text of [file, log, ...printed]) expect(text).not.toContain(user.password);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `tmail account ARGS` with `input` on stdin; collects what it printed. */
async function tmail(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (input !== undefined) stdin.end(input);
  else stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, stdin, env: process.env };
  const code = await run(args, io);
  printed.push(out, err);
  return { code, stdout: out, stderr: err };
}

const imap = () => `${stack.host}:${stack.ports.imap}`;
const smtp = () => `${stack.host}:${stack.ports.submission}`;

/** The options for an account on the test stack, over plain loopback. */
function serverArgs(name: string): string[] {
  return [
    '--name',
    name,
    '--email',
    user.email,
    '--user',
    user.name,
    '--imap-host',
    stack.host,
    '--imap-port',
    String(stack.ports.imap),
    '--imap-security',
    'plain',
    '--smtp-host',
    stack.host,
    '--smtp-port',
    String(stack.ports.submission),
    '--smtp-security',
    'plain',
  ];
}

/** A command that prints the password from a file, as `cat ~/.mailpass` would. */
const rightCommand = () => {
  const file = join(dir, 'password');
  writeFileSync(file, `${user.password}\n`, { mode: 0o600 });
  return `cat '${file}'`;
};

function savedAccounts(): Record<string, Record<string, unknown>> {
  try {
    return JSON.parse(readFileSync(configFilePath(), 'utf8')).accounts ?? {};
  } catch {
    return {};
  }
}

describe('account add', () => {
  it('checks both servers, then saves the account with mode 0600', async () => {
    const result = await tmail([
      'add',
      ...serverArgs('work'),
      '--password-command',
      rightCommand(),
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([
      `IMAP ${imap()} ok (logged in as ${user.name})`,
      `SMTP ${smtp()} ok (authenticated as ${user.name})`,
      `Added account work (password from a command) in ${configFilePath()}.`,
      '',
    ]);
    expect(result.code).toBe(0);
    expect(statSync(configFilePath()).mode & 0o777).toBe(0o600);
    expect(savedAccounts().work).toMatchObject({
      email: user.email,
      imap: { host: stack.host, port: stack.ports.imap, security: 'plain' },
      password: { type: 'command' },
    });
  });

  it('with a wrong password prints the server refusal and saves nothing', async () => {
    const result = await tmail([
      'add',
      ...serverArgs('wrongpw'),
      '--password-command',
      "printf 'not-the-password\\n'",
    ]);
    expect(result.code).toBe(1);
    const [imapLine, smtpLine] = result.stdout.split('\n');
    expect(imapLine).toMatch(
      new RegExp(
        `^IMAP ${imap()} failed: The IMAP server ${imap()} refused the login for wrongpw; check the user name and password: .*Authentication failed`,
      ),
    );
    expect(smtpLine).toMatch(new RegExp(`^SMTP ${smtp()} failed: .*refused the login.*535`));
    expect(result.stderr).toBe(
      'tmail: nothing was saved; fix the settings above, or save anyway with --no-test.\n',
    );
    expect(savedAccounts().wrongpw).toBeUndefined();
  });

  it('to a closed port says the connection was refused, naming host and port', async () => {
    const port = await freePort();
    const args = serverArgs('closed');
    args[args.indexOf('--imap-port') + 1] = String(port);
    const result = await tmail(['add', ...args, '--password-command', rightCommand()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `IMAP ${stack.host}:${port} failed: The IMAP server ${stack.host}:${port} refused the connection; check the port and that the server is running.`,
    );
    expect(result.stdout).toContain(`SMTP ${smtp()} ok`);
    expect(savedAccounts().closed).toBeUndefined();
  });

  it('refuses the self-signed certificate by default, and accepts it with --allow-invalid-cert', async () => {
    const args = [
      '--name',
      'selfsigned',
      '--email',
      user.email,
      '--user',
      user.name,
      '--imap-host',
      stack.host,
      '--imap-port',
      String(stack.ports.imaps),
      '--smtp-host',
      stack.host,
      '--smtp-port',
      String(stack.ports.smtps),
      '--password-command',
      rightCommand(),
    ];
    const refused = await tmail(['add', ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `IMAP ${stack.host}:${stack.ports.imaps} failed: The certificate of the IMAP server ${stack.host}:${stack.ports.imaps} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT). If you trust this server, add --allow-invalid-cert to this command.`,
    );
    expect(refused.stdout).toMatch(/SMTP .* failed: The certificate of the SMTP server/);
    expect(savedAccounts().selfsigned).toBeUndefined();

    const accepted = await tmail(['add', ...args, '--allow-invalid-cert']);
    expect(accepted.code).toBe(0);
    expect(savedAccounts().selfsigned).toMatchObject({
      allowInvalidCert: true,
      imap: { security: 'tls', port: stack.ports.imaps },
    });
    const list = await tmail(['list']);
    expect(list.stdout).toMatch(/selfsigned .*certificate checks OFF \(--allow-invalid-cert\)/);
  });

  it('with --password-prompt reads the password from a piped stdin for the check', async () => {
    const result = await tmail(
      ['add', ...serverArgs('prompted'), '--password-prompt'],
      `${user.password}\n`,
    );
    expect(result.code).toBe(0);
    expect(savedAccounts().prompted!.password).toEqual({ type: 'prompt' });
  });

  it('with --no-test saves without logging in', async () => {
    const port = await freePort();
    const args = serverArgs('untested');
    args[args.indexOf('--imap-port') + 1] = String(port);
    const result = await tmail(['add', ...args, '--password-command', 'false', '--no-test']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Added account untested (password from a command) in ${configFilePath()}.\n`,
    );
  });

  it('refuses bad options in one line with exit code 2, before any check', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'tmail: tmail account add needs --name, --email, --imap-host, --smtp-host and one of'],
      [
        ['--name', 'x', '--email', 'x@example.com', '--imap-host', 'imap.example.com'],
        'tmail: tmail account add needs --smtp-host',
      ],
      [
        [
          ...['--name', 'x', '--email', 'x@example.com', '--imap-host', 'imap.example.com'],
          ...['--imap-security', 'plain', '--smtp-host', 'smtp.example.com', '--keychain'],
        ],
        'tmail: --imap-security: may be plain only for localhost',
      ],
      [
        [...serverArgs('x'), '--imap-port', '99999', '--keychain'],
        'tmail: --imap-port: must be a number from 1 to 65535',
      ],
      [[...serverArgs('x'), '--keychain', '--password-prompt'], 'tmail: give only one of'],
      [[...serverArgs('work'), '--keychain'], 'tmail: an account named work already exists'],
      [[...serverArgs('bad name'), '--keychain'], 'tmail: --name: must be 1 to 64 letters'],
      [[...serverArgs('x'), '--bogus'], 'tmail: unknown option --bogus'],
    ];
    for (const [args, start] of cases) {
      const result = await tmail(['add', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.startsWith(start), result.stderr).toBe(true);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('account test', () => {
  it('logs in to both servers, one line each', async () => {
    const result = await tmail(['test', 'work']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `IMAP ${imap()} ok (logged in as ${user.name})\nSMTP ${smtp()} ok (authenticated as ${user.name})\n`,
    );
  });

  it('prints the server words for a wrong password, and exits 1', async () => {
    const edited = await tmail([
      'edit',
      'work',
      '--password-command',
      "printf 'wrong-password\\n'",
      '--no-test',
    ]);
    expect(edited.code).toBe(0);
    const result = await tmail(['test', 'work']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^IMAP ${imap()} failed: .*refused the login for work.*Authentication failed`),
    );
    expect(result.stdout).toMatch(
      new RegExp(
        `\\nSMTP ${smtp()} failed: The SMTP server ${smtp()} refused the login for work; check the user name and password: 535 5\\.7\\.8`,
      ),
    );
    // Put the right password back, checked this time.
    const fixed = await tmail(['edit', 'work', '--password-command', rightCommand()]);
    expect(fixed.code).toBe(0);
  });

  it('reports a closed port on one server and still checks the other', async () => {
    const port = await freePort();
    await tmail(['edit', 'untested', '--password-command', rightCommand(), '--no-test']);
    const result = await tmail(['test', 'untested', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ protocol: 'IMAP', ok: false, code: 'CONNECTION_REFUSED' }),
      expect.objectContaining({ protocol: 'SMTP', ok: true }),
    ]);
    expect(port).toBeGreaterThan(0);
  });

  it('with a prompt source asks once and uses what stdin gives', async () => {
    const result = await tmail(['test', 'prompted'], `${user.password}\n`);
    expect(result.code).toBe(0);
  });

  it('with a failing password command says so for both servers', async () => {
    await tmail(['edit', 'untested', '--password-command', 'exit 4', '--no-test']);
    const result = await tmail(['test', 'untested']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'failed: The password command of account untested exited with status 4.',
    );
  });

  it('checks the certificate again after --verify-cert', async () => {
    const edited = await tmail(['edit', 'selfsigned', '--verify-cert', '--no-test']);
    expect(edited.code).toBe(0);
    expect(savedAccounts().selfsigned!.allowInvalidCert).toBeUndefined();
    const result = await tmail(['test', 'selfsigned']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'If you trust this server, run: tmail account edit selfsigned --allow-invalid-cert',
    );
    const trusted = await tmail(['edit', 'selfsigned', '--allow-invalid-cert']);
    expect(trusted.code).toBe(0);
  });
});

describe('keychain accounts', () => {
  function memoryKeytar(): KeytarApi & { entries: Map<string, string> } {
    const entries = new Map<string, string>();
    return {
      entries,
      getPassword: async (s, a) => entries.get(`${s}/${a}`) ?? null,
      setPassword: async (s, a, p) => void entries.set(`${s}/${a}`, p),
      deletePassword: async (s, a) => entries.delete(`${s}/${a}`),
    };
  }

  it('store the checked password in the keychain, test from it, and remove it with the account', async () => {
    const keytar = memoryKeytar();
    configureKeychain({ loader: async () => keytar });
    const added = await tmail(['add', ...serverArgs('kc'), '--keychain'], `${user.password}\n`);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added account kc (password in the system keychain)');
    expect(keytar.entries.get('tmail/kc')).toBe(user.password);
    expect(savedAccounts().kc!.password).toEqual({ type: 'keychain' });
    expect((await tmail(['test', 'kc'])).code).toBe(0);
    // edit --keychain asks for the password again, checks it, and replaces the entry.
    keytar.entries.set('tmail/kc', 'stale');
    const rekeyed = await tmail(['edit', 'kc', '--keychain'], `${user.password}\n`);
    expect(rekeyed.code).toBe(0);
    expect(keytar.entries.get('tmail/kc')).toBe(user.password);
    const removed = await tmail(['remove', 'kc']);
    expect(removed.stdout).toBe('Removed account kc and its password in the system keychain.\n');
    expect(keytar.entries.size).toBe(0);
    expect(savedAccounts().kc).toBeUndefined();
  });

  it('leave the keychain when the account moves to a password command', async () => {
    const keytar = memoryKeytar();
    configureKeychain({ loader: async () => keytar });
    expect(
      (await tmail(['add', ...serverArgs('kc2'), '--keychain'], `${user.password}\n`)).code,
    ).toBe(0);
    const moved = await tmail(['edit', 'kc2', '--password-command', rightCommand()]);
    expect(moved.code).toBe(0);
    expect(keytar.entries.has('tmail/kc2')).toBe(false);
    expect(savedAccounts().kc2!.password).toMatchObject({ type: 'command' });
    await tmail(['remove', 'kc2']);
  });

  it('without keytar: one sentence suggesting command or prompt, and nothing saved', async () => {
    configureKeychain({
      loader: () => Promise.reject(new Error("Cannot find module '@github/keytar'")),
    });
    const result = await tmail(['add', ...serverArgs('nokc'), '--keychain'], `${user.password}\n`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'tmail: The system keychain is not available (the keytar module could not be loaded); keep the password with a command (--password-command) or type it at each run (--password-prompt) instead.\n',
    );
    expect(savedAccounts().nokc).toBeUndefined();
  });
});

describe('list, default, remove', () => {
  it('lists accounts with the default marked, and moves the default', async () => {
    const before = await tmail(['list']);
    expect(before.stdout).toMatch(
      new RegExp(
        `^\\* work +${user.email.replace('.', '\\.')}  IMAP ${stack.host}:${stack.ports.imap} plain  SMTP ${stack.host}:${stack.ports.submission} plain  password from a command\\n`,
      ),
    );
    expect((await tmail(['default', 'prompted'])).stdout).toBe(
      'prompted is now the default account.\n',
    );
    const json = JSON.parse((await tmail(['list', '--json'])).stdout) as Array<{
      name: string;
      default: boolean;
    }>;
    expect(json.find((a) => a.default)?.name).toBe('prompted');
    const removed = await tmail(['remove', 'prompted']);
    expect(removed.stdout).toBe('Removed account prompted.\nwork is now the default account.\n');
    expect((await tmail(['default', 'nope'])).code).toBe(1);
  });

  it('answer --json with JSON', async () => {
    const chosen = await tmail(['default', 'work', '--json']);
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.stdout)).toEqual({ default: 'work' });
  });
});

describe('an invalid dotfile', () => {
  it('gives one line naming the field, exit code 2, and is never rewritten', async () => {
    const saved = process.env.TMAIL_CONFIG_DIR;
    process.env.TMAIL_CONFIG_DIR = join(dir, 'broken');
    try {
      mkdirSync(process.env.TMAIL_CONFIG_DIR, { recursive: true });
      const text = `{\n  "accounts": {\n    "work": {\n      "email": "${user.email}",\n      "imap": { "host": "${stack.host}", "port": "143" },\n      "smtp": { "host": "${stack.host}" },\n      "password": { "type": "prompt" }\n    }\n  }\n}\n`;
      writeFileSync(configFilePath(), text);
      for (const args of [
        ['list'],
        ['test'],
        ['default', 'work'],
        ['remove', 'work'],
        ['add', ...serverArgs('other'), '--password-command', rightCommand()],
      ]) {
        const result = await tmail(args);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toBe(
          `tmail: ${configFilePath()}: accounts.work.imap.port: must be a number from 1 to 65535.\n`,
        );
      }
      expect(readFileSync(configFilePath(), 'utf8')).toBe(text);
    } finally {
      process.env.TMAIL_CONFIG_DIR = saved;
    }
  });
});
