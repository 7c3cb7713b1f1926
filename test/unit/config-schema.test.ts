/**
 * The dotfile's schema: good files load with defaults filled in, and every
 * kind of bad field is named by its path with what is wrong, without echoing
 * the value.
 */
import { describe, expect, it } from 'vitest';
import {
  checkAccountConfig,
  defaultPort,
  isLoopbackHost,
  validateConfig,
  type AccountConfig,
  type ConfigIssue,
} from '../../src/core/config/index.js';
import { threadModeFor } from '../../src/core/engine/thread-view.js';
import { cacheSettings, DEFAULT_CACHE_SETTINGS } from '../../src/core/cache/settings.js';

const work = {
  displayName: 'Ann Example',
  email: 'ann@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
  password: { type: 'keychain' },
};

/** A copy of a good file with one value replaced (undefined deletes it). */
function withAccount(patch: (account: Record<string, unknown>) => void): unknown {
  const account = structuredClone(work) as Record<string, unknown>;
  patch(account);
  return { accounts: { work: account } };
}

function issuesOf(document: unknown): ConfigIssue[] {
  const result = validateConfig(document);
  if (result.ok) throw new Error('expected the document to be invalid');
  return result.issues;
}

describe('good files', () => {
  it('loads a full account and names it after its key', () => {
    const result = validateConfig({
      defaultAccount: 'work',
      accounts: {
        work: {
          ...work,
          user: 'ann',
          allowInvalidCert: false,
          folders: { sent: 'Sent Items', archive: 'Archive' },
          signature: 'Ann\n-- \nExample Ltd',
          serverSavesSent: true,
          deleteMode: 'mark',
          downloadDir: '~/Downloads',
        },
        home: {
          email: 'ann@home.test',
          imap: { host: '127.0.0.1', port: 1143, security: 'plain', user: 'ann' },
          smtp: { host: 'localhost', port: 1025, security: 'plain' },
          password: { type: 'command', command: 'pass show mail/home' },
        },
      },
      keys: { list: { j: 'list.next' } },
      ui: { theme: 'mono', bell: true, sidebar: false, layout: 'full', dateFormat: 'iso' },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.defaultAccount).toBe('work');
    expect(result.config.accounts.work).toMatchObject({
      name: 'work',
      email: 'ann@example.com',
      imap: { host: 'imap.example.com', port: 993, security: 'tls' },
      folders: { sent: 'Sent Items', archive: 'Archive' },
      deleteMode: 'mark',
    });
    expect(result.config.accounts.home!.password).toEqual({
      type: 'command',
      command: 'pass show mail/home',
    });
    expect(Object.keys(result.config.accounts)).toEqual(['work', 'home']);
  });

  it('loads an empty object and a file without accounts', () => {
    expect(validateConfig({})).toEqual({ ok: true, config: { accounts: {} } });
    expect(validateConfig({ accounts: {} })).toEqual({ ok: true, config: { accounts: {} } });
  });

  it('fills in security tls and the matching port when they are left out', () => {
    const result = validateConfig(
      withAccount((a) => {
        a.imap = { host: 'imap.example.com' };
        a.smtp = { host: 'smtp.example.com', security: 'starttls' };
      }),
    );
    expect(result.ok && result.config.accounts.work!.imap).toEqual({
      host: 'imap.example.com',
      port: 993,
      security: 'tls',
    });
    expect(result.ok && result.config.accounts.work!.smtp.port).toBe(587);
    expect(defaultPort('imap', 'starttls')).toBe(143);
    expect(defaultPort('smtp', 'tls')).toBe(465);
  });

  it('accepts every password source', () => {
    for (const password of [
      { type: 'keychain' },
      { type: 'prompt' },
      { type: 'command', command: 'echo x' },
      { type: 'oauth2', command: 'oauth-helper --token' },
    ]) {
      expect(validateConfig(withAccount((a) => (a.password = password))).ok).toBe(true);
    }
  });
});

describe('bad fields are named', () => {
  const cases: Array<[string, (a: Record<string, unknown>) => void, string, RegExp]> = [
    [
      'a port out of range',
      (a) => ((a.imap as Record<string, unknown>).port = 70000),
      'accounts.work.imap.port',
      /^must be a number from 1 to 65535$/,
    ],
    [
      'a port given as a string',
      (a) => ((a.smtp as Record<string, unknown>).port = '587'),
      'accounts.work.smtp.port',
      /^must be a number from 1 to 65535$/,
    ],
    [
      'an unknown security',
      (a) => ((a.imap as Record<string, unknown>).security = 'ssl'),
      'accounts.work.imap.security',
      /must be one of tls, starttls, plain/,
    ],
    [
      'plain security to a remote host',
      (a) => ((a.smtp as Record<string, unknown>).security = 'plain'),
      'accounts.work.smtp.security',
      /only for localhost/,
    ],
    ['a missing email', (a) => delete a.email, 'accounts.work.email', /is required/],
    [
      'an email that is not an address',
      (a) => (a.email = 'ann at example'),
      'accounts.work.email',
      /must be an email address/,
    ],
    [
      'a host with a space',
      (a) => ((a.imap as Record<string, unknown>).host = 'imap example.com'),
      'accounts.work.imap.host',
      /must be a host name/,
    ],
    ['a missing imap section', (a) => delete a.imap, 'accounts.work.imap', /is required/],
    [
      'a password written into the file',
      (a) => (a.password = 'hunter2-secret'),
      'accounts.work.password',
      /never write the password itself/,
    ],
    [
      'an unknown password type',
      (a) => (a.password = { type: 'vault' }),
      'accounts.work.password.type',
      /must be one of keychain, command, prompt, oauth2/,
    ],
    [
      'a command source without a command',
      (a) => (a.password = { type: 'command' }),
      'accounts.work.password.command',
      /is required/,
    ],
    [
      'a misspelt key',
      (a) => ((a.imap as Record<string, unknown>).prot = 993),
      'accounts.work.imap.prot',
      /is not a known setting \(known here: host, port, security, user\)/,
    ],
    [
      'a flag that is not a boolean',
      (a) => (a.allowInvalidCert = 'yes'),
      'accounts.work.allowInvalidCert',
      /must be true or false/,
    ],
    [
      'an unknown folder role',
      (a) => (a.folders = { outbox: 'Outbox' }),
      'accounts.work.folders.outbox',
      /is not a known setting/,
    ],
    [
      'a display name with a line break',
      (a) => (a.displayName = 'Ann\nBcc: everyone@example.com'),
      'accounts.work.displayName',
      /one line/,
    ],
  ];

  it.each(cases)('%s', (_what, patch, path, message) => {
    const issues = issuesOf(withAccount(patch));
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });

  it('never repeats a value back, so a misplaced password is not shown', () => {
    const issues = issuesOf(
      withAccount((a) => {
        a.password = 'hunter2-secret';
        (a.imap as Record<string, unknown>).pass = 'hunter2-secret';
      }),
    );
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('names a bad account name, a default that names no account, and bad ui values', () => {
    const issues = issuesOf({
      defaultAccount: 'home',
      accounts: { 'my work': work },
      ui: { theme: 'neon', colour: true },
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(['accounts."my work"', 'defaultAccount', 'ui.colour', 'ui.theme']);
    expect(issues[1]!.message).toBe('names no account (the accounts are my work)');
  });

  it('names unknown top-level keys and a file that is not an object', () => {
    expect(issuesOf({ acounts: {} })[0]).toEqual({
      path: 'acounts',
      message: expect.stringMatching(
        /^is not a known setting \(known here: \$schema, defaultAccount, accounts, keys, ui\b/,
      ),
    });
    expect(issuesOf([1, 2])[0]!.path).toBe('(file)');
    expect(issuesOf({ accounts: [] })[0]).toMatchObject({ path: 'accounts' });
  });
});

describe('identities, signatures, address completion and composing', () => {
  it('loads identities, signature sources, an address book command and compose settings', () => {
    const result = validateConfig({
      accounts: {
        work: {
          ...work,
          signatureCommand: 'fortune -s',
          identities: [
            {
              email: 'ann@example.org',
              name: 'Ann at Org',
              signature: 'Ann\nOrg',
              sentFolder: 'Sent/org',
            },
            { email: 'lists@example.com', signatureFile: '~/.sig-lists' },
          ],
          addressBookCommand: ['khard', 'email', '--parsable', '%s'],
        },
      },
      addressBookCommand: 'abook --mutt-query %s',
      compose: { prompts: ['to', 'cc', 'subject'], signaturePosition: 'above' },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.accounts.work).toMatchObject({
      signatureCommand: 'fortune -s',
      identities: [
        {
          email: 'ann@example.org',
          name: 'Ann at Org',
          signature: 'Ann\nOrg',
          sentFolder: 'Sent/org',
        },
        { email: 'lists@example.com', signatureFile: '~/.sig-lists' },
      ],
      addressBookCommand: ['khard', 'email', '--parsable', '%s'],
    });
    expect(result.config.addressBookCommand).toBe('abook --mutt-query %s');
    expect(result.config.compose).toEqual({
      prompts: ['to', 'cc', 'subject'],
      signaturePosition: 'above',
    });
  });

  it('names the bad field of an identity, and refuses two signature sources at once', () => {
    const issues = issuesOf(
      withAccount((a) => {
        a.signature = 'Ann';
        a.signatureFile = '~/.sig';
        a.identities = [
          { email: 'ok@example.org' },
          { email: 'not-an-address', colour: 'red' },
          'x',
        ];
        a.addressBookCommand = [];
      }),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'accounts.work: may have only one of signature, signatureCommand and signatureFile',
      'accounts.work.identities[1].colour: is not a known setting (known here: email, name, signature, signatureCommand, signatureFile, sentFolder)',
      'accounts.work.identities[1].email: must be an email address such as ann@example.com',
      'accounts.work.identities[2]: must be an object with an email',
      'accounts.work.addressBookCommand: must not be empty',
    ]);
    expect(
      issuesOf({ accounts: {}, compose: { prompts: ['to', 'from'], signaturePosition: 'top' } }),
    ).toEqual([
      {
        path: 'compose.prompts',
        message: 'must be a list of to, cc, bcc, subject (or [] for none)',
      },
      { path: 'compose.signaturePosition', message: 'must be one of below, above' },
    ]);
  });

  it('loads the cache settings, top level and per account, and names bad ones', () => {
    const result = validateConfig({
      cache: { maxSizeMB: 200, prefetchBodies: 20 },
      accounts: { work: { ...work, cache: { enabled: false, attachmentMaxMB: 0 } } },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config.cache).toEqual({ maxSizeMB: 200, prefetchBodies: 20 });
    expect(result.config.accounts.work!.cache).toEqual({ enabled: false, attachmentMaxMB: 0 });
    expect(cacheSettings(result.config, result.config.accounts.work)).toEqual({
      enabled: false,
      maxBytes: 200 * 1024 * 1024,
      prefetchBodies: 20,
      attachmentMaxBytes: 0,
    });
    expect(cacheSettings(undefined, undefined)).toEqual(DEFAULT_CACHE_SETTINGS);
    expect(
      issuesOf({
        accounts: {},
        cache: { enabled: 'yes', maxSizeMB: 1, prefetchBodies: -1, size: 3 },
      }),
    ).toEqual([
      {
        path: 'cache.size',
        message:
          'is not a known setting (known here: enabled, maxSizeMB, prefetchBodies, attachmentMaxMB)',
      },
      { path: 'cache.enabled', message: 'must be true or false' },
      { path: 'cache.maxSizeMB', message: 'must be a whole number from 10 to 1000000' },
      { path: 'cache.prefetchBodies', message: 'must be a whole number from 0 to 10000' },
    ]);
  });
});

describe('key bindings', () => {
  it('are passed on unchecked: the keymap reports bad entries without stopping tmail', () => {
    const keys = { list: { j: 'none', k: '', x: 7 }, nowhere: 'x' };
    const result = validateConfig({ keys });
    expect(result.ok && result.config.keys).toEqual(keys);
  });
});

describe('plain is only for loopback', () => {
  it.each(['localhost', '127.0.0.1', '127.4.5.6', '::1', '[::1]', 'LOCALHOST.'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each(['127.evil.example', 'example.com', '10.0.0.1', '::2', '128.0.0.1', 'localhost.com'])(
    '%s is not',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});

describe('checkAccountConfig', () => {
  const account: AccountConfig = {
    name: 'work',
    email: 'ann@example.com',
    imap: { host: 'imap.example.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.example.com', port: 465, security: 'tls' },
    password: { type: 'prompt' },
  };

  it('accepts a good account and names what is wrong in a bad one', () => {
    expect(checkAccountConfig(account)).toEqual([]);
    expect(
      checkAccountConfig({ ...account, imap: { ...account.imap, security: 'plain' } })[0]!.path,
    ).toBe('accounts.work.imap.security');
    expect(checkAccountConfig({ ...account, name: '-x' })[0]!.message).toMatch(/account name/);
  });
});

describe('ui.splitList', () => {
  const withUi = (splitList: unknown) => ({ accounts: { work }, ui: { splitList } });
  it('takes a number of rows or a share of the height', () => {
    for (const value of [10, '40%', '5%', '90%']) {
      const result = validateConfig(withUi(value));
      expect(result.ok && result.config.ui?.splitList).toBe(value);
    }
  });
  it('refuses anything else in one sentence', () => {
    for (const value of [0, 2.5, '95%', '40', 'half', true]) {
      const [issue] = issuesOf(withUi(value));
      expect(issue!.path).toBe('ui.splitList');
      expect(issue!.message).toMatch(/number of rows .* share from "5%" to "90%"/);
    }
  });
});

describe('the threads setting', () => {
  const account = {
    email: 'ann@example.com',
    imap: { host: 'imap.example.com' },
    smtp: { host: 'smtp.example.com' },
    password: { type: 'keychain' },
  };
  it('maps folder patterns to off, on or folded, and refuses other words', () => {
    const ok = validateConfig({
      accounts: { work: { ...account, threads: { '*': 'on', 'Lists/*': 'folded' } } },
    });
    expect(ok.ok && ok.config.accounts.work?.threads).toEqual({ '*': 'on', 'Lists/*': 'folded' });
    const bad = validateConfig({ accounts: { work: { ...account, threads: { INBOX: 'yes' } } } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path)).toContain('accounts.work.threads.INBOX');
  });
  it('picks the longest matching pattern', () => {
    const threads = { '*': 'off', 'Lists/*': 'folded', INBOX: 'on' } as const;
    expect(threadModeFor(threads, 'INBOX')).toBe('on');
    expect(threadModeFor(threads, 'Lists/dev')).toBe('folded');
    expect(threadModeFor(threads, 'Archive')).toBe('off');
    expect(threadModeFor({ 'Lists/*': 'on' }, 'Archive')).toBeUndefined();
    expect(threadModeFor({ 'a.b': 'on' }, 'axb')).toBeUndefined();
    expect(threadModeFor(undefined, 'INBOX')).toBeUndefined();
  });
});
