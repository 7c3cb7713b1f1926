/**
 * The dotfile on disk: where it lives, mode 0600, and an invalid file is never
 * rewritten, reset or lost, whatever tmail is asked to do with it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFilePath,
  getAccount,
  loadConfig,
  removeAccount,
  saveAccount,
  setDefaultAccount,
  type AccountConfig,
} from '../../src/core/config/index.js';

let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-config-'));
  process.env.TMAIL_CONFIG_DIR = join(dir, 'tmail');
});

afterEach(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

const account = (name: string, extra: Partial<AccountConfig> = {}): AccountConfig => ({
  name,
  email: `${name}@example.com`,
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
  password: { type: 'keychain' },
  ...extra,
});

function writeRaw(text: string): string {
  mkdirSync(process.env.TMAIL_CONFIG_DIR!, { recursive: true });
  writeFileSync(configFilePath(), text);
  return text;
}

describe('where the file lives', () => {
  it('honours TMAIL_CONFIG_DIR, then XDG_CONFIG_HOME', () => {
    expect(configFilePath()).toBe(join(dir, 'tmail', 'config.json'));
    delete process.env.TMAIL_CONFIG_DIR;
    process.env.XDG_CONFIG_HOME = join(dir, 'xdg');
    expect(configFilePath()).toBe(join(dir, 'xdg', 'tmail', 'config.json'));
  });

  it('reads a missing file as no accounts', () => {
    expect(loadConfig()).toEqual({ accounts: {} });
    expect(() => getAccount(loadConfig())).toThrow(/No account is configured/);
  });
});

describe('saving', () => {
  it('writes mode 0600 JSON with the account under its name, and makes the first one the default', async () => {
    await saveAccount(account('work'));
    const mode = statSync(configFilePath()).mode & 0o777;
    expect(mode).toBe(0o600);
    const written = JSON.parse(readFileSync(configFilePath(), 'utf8'));
    expect(written.defaultAccount).toBe('work');
    expect(written.accounts.work.name).toBeUndefined();
    expect(written.accounts.work.imap).toEqual({
      host: 'imap.example.com',
      port: 993,
      security: 'tls',
    });
    expect(getAccount(loadConfig()).name).toBe('work');
  });

  it('refuses a second account of the same name unless replacing', async () => {
    await saveAccount(account('work'));
    await expect(saveAccount(account('work'))).rejects.toThrow(/already exists/);
    await saveAccount(account('work', { displayName: 'Work' }), { replace: true });
    expect(loadConfig().accounts.work!.displayName).toBe('Work');
  });

  it('changes the default and moves it on when the default account is removed', async () => {
    await saveAccount(account('work'));
    await saveAccount(account('home'));
    await setDefaultAccount('home');
    expect(getAccount(loadConfig()).name).toBe('home');
    await removeAccount('home');
    const config = loadConfig();
    expect(Object.keys(config.accounts)).toEqual(['work']);
    expect(config.defaultAccount).toBe('work');
    await expect(setDefaultAccount('nope')).rejects.toMatchObject({ code: 'ACCOUNT_UNKNOWN' });
  });

  it('keeps settings it does not manage (keys, ui) when saving an account', async () => {
    writeRaw(JSON.stringify({ ui: { theme: 'mono' }, keys: { list: { j: 'next' } } }));
    await saveAccount(account('work'));
    const written = JSON.parse(readFileSync(configFilePath(), 'utf8'));
    expect(written.ui).toEqual({ theme: 'mono' });
    expect(written.keys).toEqual({ list: { j: 'next' } });
  });

  it('refuses an invalid account before writing anything', async () => {
    await expect(
      saveAccount(
        account('work', { imap: { host: 'imap.example.com', port: 0, security: 'tls' } }),
      ),
    ).rejects.toThrow(/accounts\.work\.imap\.port: must be a number from 1 to 65535/);
    expect(() => statSync(configFilePath())).toThrow();
  });
});

describe('an invalid file', () => {
  const invalid = [
    [
      'a schema error',
      JSON.stringify(
        {
          accounts: {
            work: {
              email: 'ann@example.com',
              imap: { host: 'imap.example.com', port: 99999, security: 'tls' },
              smtp: { host: 'smtp.example.com' },
              password: { type: 'keychain' },
            },
          },
        },
        null,
        4,
      ),
      /config\.json: accounts\.work\.imap\.port: must be a number from 1 to 65535\.$/,
    ],
    [
      'an identity with an invalid address',
      JSON.stringify({
        accounts: {
          work: {
            email: 'ann@example.com',
            imap: { host: 'imap.example.com' },
            smtp: { host: 'smtp.example.com' },
            password: { type: 'keychain' },
            identities: [{ email: 'ann@example.org' }, { email: 'ann\r\nBcc: x@evil.example' }],
          },
        },
      }),
      /config\.json: accounts\.work\.identities\[1\]\.email: must be one line without control characters\.$/,
    ],
    [
      'an identity without an @',
      JSON.stringify({
        accounts: {
          work: {
            email: 'ann@example.com',
            imap: { host: 'imap.example.com' },
            smtp: { host: 'smtp.example.com' },
            password: { type: 'keychain' },
            identities: [{ email: 'ann.example.org', name: 'Ann' }],
          },
        },
      }),
      /config\.json: accounts\.work\.identities\[0\]\.email: must be an email address such as ann@example\.com\.$/,
    ],
    [
      'broken JSON',
      '{\n  "accounts": {\n    "work": { "email": "a@b.c", }\n  }\n}\n',
      /config\.json: \(file\): the JSON cannot be parsed at line 3, column \d+\.$/,
    ],
    ['an empty file', '', /config\.json: \(file\): the JSON cannot be parsed/],
  ] as const;

  it.each(invalid)(
    '(%s) gives one line naming the problem, exit code 2, and is left byte-identical',
    async (_what, text, message) => {
      writeRaw(text);
      const before = statSync(configFilePath());
      let error: unknown;
      try {
        loadConfig();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).message).toMatch(message);
      expect((error as ConfigError).message).not.toContain('\n');
      // Every kind of write is refused too.
      await expect(saveAccount(account('home'))).rejects.toBeInstanceOf(ConfigError);
      await expect(setDefaultAccount('work')).rejects.toBeInstanceOf(ConfigError);
      await expect(removeAccount('work')).rejects.toBeInstanceOf(ConfigError);
      expect(readFileSync(configFilePath(), 'utf8')).toBe(text);
      expect(statSync(configFilePath()).mtimeMs).toBe(before.mtimeMs);
    },
  );

  it('counts the problems after the first one', () => {
    writeRaw(JSON.stringify({ accounts: { a: { email: 1 } } }));
    expect(() => loadConfig()).toThrow(/\(\d+ more problems after this one\)\.$/);
  });

  it('does not quote the text around a JSON error, which could be a password', () => {
    writeRaw('{"accounts": {"work": {"password": hunter2-secret}}}');
    expect(() => loadConfig()).toThrow(ConfigError);
    try {
      loadConfig();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
