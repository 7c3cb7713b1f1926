/**
 * `tmail cache stats` and `tmail cache clear`, run in-process on real store
 * files: sizes per account and folder (text and JSON), clearing one account or
 * all, never making a store that is not there, and a damaged file cleared
 * without a throw.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { openAccountCache, storeFile } from '../../src/core/cache/index.js';
import { run } from '../../src/cli/cache.js';
import type { CliIo } from '../../src/cli/io.js';
import { testEnvelope } from '../support/cache-fixtures.js';

function capture(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env: process.env },
    stdout: () => out,
    stderr: () => err,
  };
}

const account = (email: string) => ({
  email,
  imap: { host: 'imap.example.com' },
  smtp: { host: 'smtp.example.com' },
  password: { type: 'keychain' },
});

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-cache-cli-'));
  process.env.TMAIL_CONFIG_DIR = join(dir, 'config');
  process.env.TMAIL_CACHE_DIR = join(dir, 'cache');
  process.env.TMAIL_STATE_DIR = join(dir, 'state');
  process.env.TMAIL_LOG_FILE = join(dir, 'state', 'tmail.log');
  mkdirSync(process.env.TMAIL_CONFIG_DIR, { recursive: true });
  writeFileSync(
    join(process.env.TMAIL_CONFIG_DIR, 'config.json'),
    JSON.stringify({
      accounts: { work: account('ann@example.com'), home: account('ann@home.example') },
    }),
  );
  const cache = openAccountCache('work');
  for (const [path, count] of [
    ['INBOX', 30],
    ['Lists/node', 12],
  ] as const) {
    const key = { path, uidValidity: '1' };
    cache.applyFolderState(key, Date.UTC(2026, 11, 1, 8));
    cache.applyEnvelopes(
      key,
      Array.from({ length: count }, (_, i) => testEnvelope(i + 1)),
    );
  }
  cache.putBody({ path: 'INBOX', uidValidity: '1' }, 3, { text: 'hello '.repeat(1000) });
  cache.close();
});

async function tmail(args: string[]) {
  const c = capture();
  const code = await run(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('tmail cache stats', () => {
  it('gives sizes per account and folder as JSON, and makes no store that is not there', async () => {
    const result = await tmail(['stats', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const stats = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(stats.map((s) => s.account)).toEqual(['work', 'home']);
    expect(stats[0]).toMatchObject({
      account: 'work',
      file: storeFile('work'),
      messages: 42,
      bodies: 1,
      attachments: 0,
      folders: [
        {
          path: 'INBOX',
          messages: 30,
          bodies: 1,
          attachments: 0,
          syncedAt: '2026-12-01T08:00:00.000Z',
        },
        { path: 'Lists/node', messages: 12, bodies: 0 },
      ],
    });
    expect(stats[0]!.bytes).toBeGreaterThan(0);
    expect(stats[1]).toMatchObject({ account: 'home', bytes: 0, messages: 0, folders: [] });
    expect(existsSync(storeFile('home'))).toBe(false);
  });

  it('prints one line per account and one per folder', async () => {
    const result = await tmail(['stats', '--account', 'work']);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^work: \d+(\.\d)? [KM]B in .*work\.sqlite3; 42 messages, 1 body, 0 attachments$/,
    );
    expect(lines[1]).toMatch(
      /^ {2}INBOX {7,} +30 messages +1 bodies +0 attachments +\d+(\.\d)? [KM]B {2}synced /,
    );
    expect(lines[2]).toMatch(/^ {2}Lists\/node +12 messages/);
    expect(lines).toHaveLength(3);
  });
});

describe('tmail cache clear', () => {
  it('empties the named account only', async () => {
    const cache = openAccountCache('home');
    cache.applyFolderState({ path: 'INBOX', uidValidity: '5' });
    cache.applyEnvelopes({ path: 'INBOX', uidValidity: '5' }, [testEnvelope(1)]);
    cache.close();
    const result = await tmail(['clear', '--account', 'work']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Cleared the cache of work \(it held \d+(\.\d)? [KM]B\)\.\n$/);
    const stats = JSON.parse((await tmail(['stats', '--json'])).stdout) as Array<{
      account: string;
      messages: number;
    }>;
    expect(stats.map((s) => [s.account, s.messages])).toEqual([
      ['work', 0],
      ['home', 1],
    ]);
    await tmail(['clear']);
    const after = JSON.parse((await tmail(['stats', '--json'])).stdout) as Array<{
      messages: number;
    }>;
    expect(after.map((s) => s.messages)).toEqual([0, 0]);
  });

  it('clears a damaged store without a throw', async () => {
    writeFileSync(storeFile('work'), Buffer.alloc(50_000, 0x42));
    const result = await tmail(['clear', '--account', 'work', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ account: 'work', freedBytes: 50_000 }]);
    const stats = JSON.parse(
      (await tmail(['stats', '--json', '--account', 'work'])).stdout,
    ) as Array<{
      messages: number;
    }>;
    expect(stats[0]!.messages).toBe(0);
  });

  it('names a wrong action or account in one sentence', async () => {
    await expect(tmail(['tidy'])).rejects.toThrow(
      'cache knows stats and clear, not "tidy"; see tmail cache --help',
    );
    await expect(tmail(['stats', '--account', 'nope'])).rejects.toMatchObject({
      code: 'ACCOUNT_UNKNOWN',
    });
    const help = await tmail(['--help']);
    expect(help.stdout).toMatch(/^Usage: tmail cache stats/);
  });
});
