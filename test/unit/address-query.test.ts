/**
 * Address completion's query: mutt's query format read forgivingly and
 * safely, the command's argv built without a shell, both sources merged and
 * ranked, and a command that hangs, floods, fails or lies never holding up or
 * breaking anything. `tmail query` prints the result as address<TAB>name.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AddressBook,
  addressCommandArgv,
  mergeMatches,
  parseQueryOutput,
  queryAddresses,
  splitCommandWords,
} from '../../src/core/addressbook/index.js';
import { run as runQuery } from '../../src/cli/query.js';

function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-query-test-'));
  const file = join(dir, 'query.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the query output parser', () => {
  it('skips mutt’s status line and reads address, name and comment', () => {
    const out =
      'Searching database ... 2 entries\nann@example.com\tAnn Example\twork\nbob@example.org\tBob\n';
    expect(parseQueryOutput(out)).toEqual([
      { address: 'ann@example.com', name: 'Ann Example', comment: 'work' },
      { address: 'bob@example.org', name: 'Bob' },
    ]);
  });

  it('keeps a first line that is an address line, and reads notmuch’s Name <address> lines', () => {
    expect(parseQueryOutput('ann@example.com\tAnn\n"Doe, Jo" <jo@example.com>\n')).toEqual([
      { address: 'ann@example.com', name: 'Ann' },
      { address: 'jo@example.com', name: 'Doe, Jo' },
    ]);
  });

  it('drops lines whose address holds a CR or spaces, and cleans control characters out of names', () => {
    const out = [
      'status',
      'evil@example.com\rBcc: victim@example.com\tEvil',
      'not an address\tNobody',
      'ok@example.com\tName\u001b[2J with\rescape\t\u009b31m',
      'ok@example.com\tDuplicate',
    ].join('\n');
    expect(parseQueryOutput(out)).toEqual([
      { address: 'ok@example.com', name: 'Name [2J with escape', comment: '31m' },
    ]);
  });
});

describe('the command’s arguments', () => {
  it('splits words as a shell would for plain words, without running one', () => {
    expect(splitCommandWords(`khard email --parsable 'a b' "c \\"d\\"" e\\ f`)).toEqual([
      'khard',
      'email',
      '--parsable',
      'a b',
      'c "d"',
      'e f',
    ]);
  });

  it('puts the typed text in %s as one word, or at the end', () => {
    expect(addressCommandArgv('khard email --parsable %s', 'ann; rm -rf ~')).toEqual([
      'khard',
      'email',
      '--parsable',
      'ann; rm -rf ~',
    ]);
    expect(
      addressCommandArgv(['notmuch', 'address', '--output=recipients', 'from:%s*'], 'ann'),
    ).toEqual(['notmuch', 'address', '--output=recipients', 'from:ann*']);
    expect(addressCommandArgv('abook --mutt-query', '$(reboot)')).toEqual([
      'abook',
      '--mutt-query',
      '$(reboot)',
    ]);
    expect(addressCommandArgv('tool 100%% %s', 'x')).toEqual(['tool', '100%', 'x']);
  });
});

describe('ranking both sources', () => {
  it('orders by how well the text matches, then the book’s rank, then the command’s order', () => {
    const book = [
      { name: 'Bob Annesley', address: 'bob@example.com' }, // word start in the name
      { name: '', address: 'joanna@example.com' }, // middle of a word
    ];
    const command = [
      { name: 'Ann Command', address: 'ann@example.org' }, // start of the address
      { name: 'Bobby', address: 'bob@example.com', comment: 'from khard' }, // also in the book
      { name: 'Nick', address: 'nick@example.net' }, // matched by the command's own rules
    ];
    const merged = mergeMatches('ann', book, command);
    expect(merged.map((m) => [m.address, m.source])).toEqual([
      ['bob@example.com', 'book'],
      ['ann@example.org', 'command'],
      ['joanna@example.com', 'book'],
      ['nick@example.net', 'command'],
    ]);
    // The book keeps its name; the command's comment is kept.
    expect(merged[0]).toMatchObject({ name: 'Bob Annesley', comment: 'from khard' });
  });

  it('fills a name the book lacks from the command, and keeps at most limit', () => {
    const merged = mergeMatches(
      'jo',
      [{ name: '', address: 'jo@example.com' }],
      [
        { name: 'Jo Example', address: 'JO@example.com' },
        { name: 'Joe', address: 'joe@example.com' },
      ],
      1,
    );
    expect(merged).toEqual([{ name: 'Jo Example', address: 'jo@example.com', source: 'book' }]);
  });
});

describe('asking a command', () => {
  const bookFile = () => join(mkdtempSync(join(tmpdir(), 'tmail-query-book-')), 'book.json');

  it('merges a command’s answer with the address book, the command given the text as one argument', async () => {
    const book = new AddressBook(bookFile());
    await book.remember([{ name: 'Ann Book', address: 'ann@book.example' }], 'sent');
    const cmd = script(
      `echo "searching $#: $1"\n[ $# = 1 ] && [ "$1" = 'ann' ] && printf 'ann@cmd.example\\tAnn Cmd\\n'`,
    );
    const result = await queryAddresses('ann', { book, command: [cmd, '%s'] });
    expect(result.notice).toBeUndefined();
    expect(result.matches.map((m) => m.address)).toEqual(['ann@book.example', 'ann@cmd.example']);
  });

  it('gives up on a command that hangs, with a notice, and still answers from the book', async () => {
    const book = new AddressBook(bookFile());
    await book.remember([{ name: 'Ann', address: 'ann@book.example' }], 'seen');
    const cmd = script('sleep 30 & sleep 30');
    const result = await queryAddresses('ann', { book, command: cmd, timeoutMs: 300 });
    expect(result.matches.map((m) => m.address)).toEqual(['ann@book.example']);
    expect(result.notice).toMatch(
      /did not answer within 0\.3 s; only tmail's address book was used\.$/,
    );
  });

  it('reads no more than the cap from a command that prints megabytes, and uses what came', async () => {
    const cmd = script(
      `printf 'ann@flood.example\\tAnn\\n'\nwhile :; do printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n'; done`,
    );
    const result = await queryAddresses('ann', { command: cmd, maxBytes: 64 * 1024 });
    expect(result.notice).toBeUndefined();
    expect(result.matches.map((m) => m.address)).toEqual(['ann@flood.example']);
  });

  it('says in one sentence when a command fails or cannot be run', async () => {
    const failing = await queryAddresses('ann', { command: script('echo oops >&2; exit 3') });
    expect(failing).toEqual({
      matches: [],
      notice: expect.stringMatching(
        /^The address book command .*query\.sh failed \(exit status 3\); only tmail's address book was used\.$/,
      ),
    });
    const missing = await queryAddresses('ann', { command: '/nonexistent/abook --mutt-query' });
    expect(missing.notice).toBe(
      'The address book command /nonexistent/abook could not be run (not found); check addressBookCommand.',
    );
    // khard's "nothing found" (exit 1, no lines) is only an empty answer.
    expect(
      await queryAddresses('ann', { command: script('echo "Found no contacts"; exit 1') }),
    ).toEqual({ matches: [] });
  });
});

describe('tmail query', () => {
  function io() {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let o = '';
    let e = '';
    stdout.on('data', (d: Buffer) => (o += d.toString()));
    stderr.on('data', (d: Buffer) => (e += d.toString()));
    return {
      io: { stdout, stderr, stdin: new PassThrough(), env: process.env },
      out: () => o,
      err: () => e,
    };
  }

  it('prints address<TAB>name lines, best first, from the book and the configured command', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'tmail-query-config-'));
    const stateDir = mkdtempSync(join(tmpdir(), 'tmail-query-state-'));
    vi.stubEnv('TMAIL_CONFIG_DIR', configDir);
    vi.stubEnv('TMAIL_STATE_DIR', stateDir);
    const cmd = script(`echo status\nprintf 'ann@cmd.example\\tAnn From Command\\n'`);
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({
        accounts: {
          work: {
            email: 'me@example.com',
            imap: { host: 'imap.example.com' },
            smtp: { host: 'smtp.example.com' },
            password: { type: 'prompt' },
          },
        },
        addressBookCommand: [cmd, '%s'],
      }),
    );
    await new AddressBook(join(stateDir, 'addressbook.json')).remember(
      [{ name: 'Annie Book', address: 'annie@book.example' }],
      'sent',
    );
    const a = io();
    expect(await runQuery(['ann'], a.io)).toBe(0);
    expect(a.out()).toBe('annie@book.example\tAnnie Book\nann@cmd.example\tAnn From Command\n');
    const m = io();
    expect(await runQuery(['ann', '--mutt', '--limit', '1'], m.io)).toBe(0);
    expect(m.out()).toBe('tmail: 1 address found\nannie@book.example\tAnnie Book\n');
    const j = io();
    await runQuery(['ann', '--json'], j.io);
    expect(JSON.parse(j.out())).toEqual([
      { address: 'annie@book.example', name: 'Annie Book', source: 'book' },
      { address: 'ann@cmd.example', name: 'Ann From Command', source: 'command' },
    ]);
  });
});
