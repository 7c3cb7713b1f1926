/**
 * `tmail account rename OLD NEW`: afterwards the dotfile, the keychain (an
 * in-memory keytar behind the real keychain code), the offline queue, the
 * outbox and the local drafts all know the account by its new name, and
 * nothing is left under the old one. Wrong names are one sentence with the
 * account commands' exit codes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/account.js';
import type { CliIo } from '../../src/cli/io.js';
import { newDraft } from '../../src/core/compose/index.js';
import { configFilePath, type AccountConfig } from '../../src/core/config/index.js';
import { listLocalDrafts, saveLocalDraft } from '../../src/core/outbox/drafts.js';
import { Outbox } from '../../src/core/outbox/outbox.js';
import { configureKeychain, type KeytarApi } from '../../src/core/secrets/index.js';

let dir: string;
const saved = { ...process.env };
let keytar: KeytarApi & { entries: Map<string, string> };

function memoryKeytar(): KeytarApi & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getPassword: async (s, a) => entries.get(`${s}/${a}`) ?? null,
    setPassword: async (s, a, p) => void entries.set(`${s}/${a}`, p),
    deletePassword: async (s, a) => entries.delete(`${s}/${a}`),
  };
}

const server = (host: string) => ({ host, port: 993, security: 'tls' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-rename-'));
  process.env.TMAIL_CONFIG_DIR = join(dir, 'config');
  process.env.TMAIL_STATE_DIR = join(dir, 'state');
  process.env.TMAIL_CACHE_DIR = join(dir, 'cache');
  process.env.TMAIL_LOG_FILE = join(dir, 'tmail.log');
  keytar = memoryKeytar();
  configureKeychain({ loader: async () => keytar });
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'config.json'),
    JSON.stringify({
      defaultAccount: 'work',
      accounts: {
        home: {
          email: 'ann@home.test',
          imap: server('imap.home.test'),
          smtp: server('smtp.home.test'),
          password: { type: 'command', command: 'pass show home' },
        },
        work: {
          email: 'ann@work.test',
          imap: server('imap.work.test'),
          smtp: server('smtp.work.test'),
          password: { type: 'keychain' },
        },
        zed: {
          email: 'ann@zed.test',
          imap: server('imap.zed.test'),
          smtp: server('smtp.zed.test'),
          password: { type: 'prompt' },
        },
      },
    }),
  );
});

afterEach(() => {
  configureKeychain();
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

async function tmail(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, stdin, env: process.env };
  const code = await run(args, io);
  return { code, stdout: out, stderr: err };
}

function dotfile(): { defaultAccount?: string; accounts: Record<string, { email: string }> } {
  return JSON.parse(readFileSync(configFilePath(), 'utf8'));
}

const pendingFile = (name: string) => join(dir, 'state', 'pending', `${name}.json`);

describe('tmail account rename', () => {
  it('moves the dotfile entry, the default, the keychain password, the offline queue, outbox and drafts', async () => {
    keytar.entries.set('tmail/work', 'work-Pa55');
    mkdirSync(join(dir, 'state', 'pending'), { recursive: true });
    writeFileSync(pendingFile('work'), '{"changes":[]}');
    const outbox = new Outbox(join(dir, 'state', 'outbox'));
    const account = { name: 'work', email: 'ann@work.test' } as AccountConfig;
    const entry = await outbox.enqueue({
      account: 'work',
      raw: Buffer.from('Subject: hi\r\n\r\nhello\r\n'),
      messageId: '<m1@work.test>',
      envelope: { from: 'ann@work.test', to: ['bob@example.test'] },
      subject: 'hi',
      draft: newDraft(account, { id: 'queued1' }),
    });
    await outbox.enqueue({
      account: 'home',
      raw: Buffer.from('Subject: other\r\n\r\nhello\r\n'),
      messageId: '<m2@home.test>',
      envelope: { from: 'ann@home.test', to: ['bob@example.test'] },
      subject: 'other',
    });
    await saveLocalDraft({ ...newDraft(account, { id: 'draft1' }), subject: 'Plans' });
    mkdirSync(join(dir, 'cache', 'mail'), { recursive: true });
    writeFileSync(join(dir, 'cache', 'mail', 'work.sqlite3'), 'db');
    writeFileSync(join(dir, 'cache', 'mail', 'work.sqlite3-wal'), 'wal');

    const result = await tmail(['rename', 'work', 'job']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Renamed account work to job with its password in the system keychain, the changes waiting offline, 1 outbox message and 1 draft; it is still the default account.\n',
    );
    const file = dotfile();
    // Same place among the accounts, same settings.
    expect(Object.keys(file.accounts)).toEqual(['home', 'job', 'zed']);
    expect(file.accounts.job!.email).toBe('ann@work.test');
    expect(file.defaultAccount).toBe('job');
    expect([...keytar.entries]).toEqual([['tmail/job', 'work-Pa55']]);
    expect(existsSync(pendingFile('work'))).toBe(false);
    expect(readFileSync(pendingFile('job'), 'utf8')).toBe('{"changes":[]}');
    expect((await outbox.list('job')).map((e) => e.id)).toEqual([entry.id]);
    expect((await outbox.readDraft(entry.id))?.account).toBe('job');
    expect(await outbox.list('work')).toEqual([]);
    expect((await outbox.list('home')).length).toBe(1);
    expect((await listLocalDrafts('job')).map((d) => d.subject)).toEqual(['Plans']);
    expect(await listLocalDrafts('work')).toEqual([]);
    expect(readFileSync(join(dir, 'cache', 'mail', 'job.sqlite3'), 'utf8')).toBe('db');
    expect(readFileSync(join(dir, 'cache', 'mail', 'job.sqlite3-wal'), 'utf8')).toBe('wal');
    expect(existsSync(join(dir, 'cache', 'mail', 'work.sqlite3'))).toBe(false);
  });

  it('prints what moved as JSON, and leaves the default alone when it was another account', async () => {
    const result = await tmail(['rename', 'zed', 'alpha', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      from: 'zed',
      to: 'alpha',
      wasDefault: false,
      keychainPassword: false,
      offlineQueue: false,
      outbox: 0,
      drafts: 0,
      cache: false,
      leftBehind: [],
    });
    expect(dotfile().defaultAccount).toBe('work');
    expect(Object.keys(dotfile().accounts)).toEqual(['home', 'work', 'alpha']);
  });

  it('refuses an unknown old name, a new name that exists or is not a name, in one sentence each', async () => {
    const before = readFileSync(configFilePath(), 'utf8');
    const unknown = await tmail(['rename', 'nope', 'job']);
    expect(unknown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'tmail: There is no account named nope; see tmail account list.\n',
    });
    const taken = await tmail(['rename', 'work', 'home']);
    expect(taken).toMatchObject({
      code: 2,
      stderr:
        'tmail: An account named home already exists; remove it first or choose another name.\n',
    });
    const bad = await tmail(['rename', 'work', 'a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tmail: The new name must be .*\n$/);
    const usage = await tmail(['rename', 'work']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('tmail account rename OLD NEW');
    expect(readFileSync(configFilePath(), 'utf8')).toBe(before);
    expect((await tmail(['rename', '--help'])).stdout).toContain('rename OLD NEW');
  });

  it('changes nothing when the keychain cannot take the password under the new name', async () => {
    keytar.entries.set('tmail/work', 'work-Pa55');
    keytar.setPassword = async () => {
      throw new Error('The keyring is locked');
    };
    const before = readFileSync(configFilePath(), 'utf8');
    const result = await tmail(['rename', 'work', 'job']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(readFileSync(configFilePath(), 'utf8')).toBe(before);
    expect([...keytar.entries]).toEqual([['tmail/work', 'work-Pa55']]);
  });
});
