/**
 * The keychain when keytar is absent, broken or wedged: one sentence that
 * suggests `command` or `prompt`, within the timeout, and no second wait.
 * (The real Secret Service is exercised in secrets-keyring.test.ts.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountConfig } from '../../src/core/config/index.js';
import {
  configureKeychain,
  deleteStoredPassword,
  getKeychainPassword,
  keychainCallsStuck,
  keychainStatus,
  resolveCredentials,
  setKeychainPassword,
  storeKeychainPassword,
  type KeytarApi,
} from '../../src/core/secrets/index.js';

const account: AccountConfig = {
  name: 'work',
  email: 'ann@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
  password: { type: 'keychain' },
};

/** An in-memory keytar. */
function memoryKeytar(): KeytarApi & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getPassword: async (service, name) => entries.get(`${service}/${name}`) ?? null,
    setPassword: async (service, name, password) => {
      entries.set(`${service}/${name}`, password);
    },
    deletePassword: async (service, name) => entries.delete(`${service}/${name}`),
  };
}

afterEach(() => configureKeychain());

describe('keytar missing', () => {
  it('says so in one sentence and suggests command or prompt', async () => {
    configureKeychain({
      loader: () => Promise.reject(new Error("Cannot find module '@github/keytar'")),
    });
    const status = await keychainStatus();
    expect(status.available).toBe(false);
    if (status.available) return;
    expect(status.error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(status.error.message).toBe(
      'The system keychain is not available (the keytar module could not be loaded); keep the password with a command (--password-command) or type it at each run (--password-prompt) instead.',
    );
  });

  it('fails a keychain account with the same sentence, and loads keytar only once', async () => {
    const loader = vi.fn(() => Promise.reject(new Error('libsecret-1.so.0: cannot open')));
    configureKeychain({ loader });
    await expect(resolveCredentials(account, 'imap')).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
      message: expect.stringMatching(/--password-command.*--password-prompt/),
    });
    await expect(storeKeychainPassword('work', 'pw-secret-1')).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    expect(loader).toHaveBeenCalledTimes(1);
  });
});

describe('keytar present but no Secret Service', () => {
  it('names the reason (no D-Bus session) and does not ask again this run', async () => {
    const getPassword = vi.fn(() =>
      Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
    );
    configureKeychain({
      loader: async () => ({ ...memoryKeytar(), getPassword }),
    });
    const status = await keychainStatus();
    expect(!status.available && status.error.message).toMatch(/\(no D-Bus session\)/);
    await expect(getKeychainPassword('work')).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    expect(getPassword).toHaveBeenCalledTimes(1);
  });

  it('never puts the password into a keychain error', async () => {
    configureKeychain({
      loader: async () => ({
        ...memoryKeytar(),
        setPassword: (_s, _a, password) =>
          Promise.reject(new Error(`Cannot store "${password}": the collection is odd`)),
      }),
    });
    const error = await setKeychainPassword('work', 'pw-very-secret-9').catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect((error as Error).message).not.toContain('pw-very-secret-9');
  });
});

describe('a wedged keychain', () => {
  it('gives up after the timeout instead of waiting for keytar, and remembers that', async () => {
    let release: (value: string | null) => void = () => {};
    const getPassword = vi.fn(
      () =>
        new Promise<string | null>((resolve) => {
          release = resolve;
        }),
    );
    configureKeychain({ timeoutMs: 50, loader: async () => ({ ...memoryKeytar(), getPassword }) });
    await expect(getKeychainPassword('work')).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
      message: expect.stringMatching(/no keychain service answered within 50 ms/),
    });
    expect(keychainCallsStuck()).toBe(true);
    await expect(keychainStatus()).resolves.toMatchObject({ available: false });
    expect(getPassword).toHaveBeenCalledTimes(1);
    release(null);
    await vi.waitFor(() => expect(keychainCallsStuck()).toBe(false));
  });

  it('reads the timeout from TMAIL_KEYCHAIN_TIMEOUT_MS when none is configured', async () => {
    process.env.TMAIL_KEYCHAIN_TIMEOUT_MS = '20';
    try {
      configureKeychain({
        loader: async () => ({ ...memoryKeytar(), getPassword: () => new Promise(() => {}) }),
      });
      await expect(getKeychainPassword('work')).rejects.toThrow(/within 20 ms/);
    } finally {
      delete process.env.TMAIL_KEYCHAIN_TIMEOUT_MS;
    }
  });
});

describe('a working keychain', () => {
  it('stores under service tmail and the account name, reads back, and deletes', async () => {
    const keytar = memoryKeytar();
    configureKeychain({ loader: async () => keytar });
    await expect(keychainStatus()).resolves.toEqual({ available: true });
    await storeKeychainPassword('work', 'pw-kc-1');
    expect([...keytar.entries.keys()]).toEqual(['tmail/work']);
    await expect(resolveCredentials(account, 'smtp')).resolves.toEqual({
      user: 'ann@example.com',
      password: 'pw-kc-1',
    });
    await expect(deleteStoredPassword(account)).resolves.toBe(true);
    expect(keytar.entries.size).toBe(0);
    await expect(resolveCredentials(account, 'imap')).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message:
        'The system keychain holds no password for account work; store one with tmail account edit work --keychain.',
    });
  });
});
