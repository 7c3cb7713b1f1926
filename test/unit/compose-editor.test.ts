/**
 * The editor file (headers on top, then the body) and the address lists people
 * type in it: round trips, folded lines, quotes and commas, what is forgiven
 * and what is left for validation to refuse; and the editor command itself.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  draftProblems,
  draftToEditorText,
  editDraft,
  editorCommand,
  editorTextToDraft,
  formatAddress,
  isValidAddress,
  newDraft,
  parseAddressList,
  runEditor,
  type Draft,
} from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';

const account: AccountConfig = {
  name: 'work',
  email: 'me@example.org',
  imap: { host: 'imap.example.org', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
  password: { type: 'prompt' },
};

function sample(): Draft {
  return {
    ...newDraft(account, { now: 5, id: 'd1' }),
    to: [
      { name: 'Doe, Jane', address: 'jane@example.com' },
      { name: '', address: 'bob@example.com' },
    ],
    cc: [{ name: 'Zoë "Z" Ünal', address: 'zoe@example.com' }],
    bcc: [{ name: 'Boss', address: 'boss@example.com' }],
    subject: 'Numbers for Q3: final',
    body: 'Hello,\n\nTo: not a header, just text\n\n-- \nMe\n',
  };
}

describe('editor text', () => {
  it('puts the editable headers on top, then a blank line, then the body', () => {
    expect(draftToEditorText(sample())).toBe(
      'To: "Doe, Jane" <jane@example.com>, bob@example.com\n' +
        'Cc: "Zoë \\"Z\\" Ünal" <zoe@example.com>\n' +
        'Bcc: Boss <boss@example.com>\n' +
        'Subject: Numbers for Q3: final\n' +
        '\n' +
        'Hello,\n\nTo: not a header, just text\n\n-- \nMe\n',
    );
  });

  it('round-trips a draft exactly', () => {
    const draft = sample();
    expect(editorTextToDraft(draftToEditorText(draft), draft, draft.updated)).toEqual(draft);
  });

  it('reads headers in any case and order, folded lines, CRLF, and repeated headers', () => {
    const text =
      'subject: Hello\r\n' +
      '  world\r\n' +
      'TO: a@example.com,\r\n' +
      '\t"Last, First" <first@example.com>\r\n' +
      'To: c@example.com\r\n' +
      'X-Unknown: ignored\r\n' +
      '\r\n' +
      'Body line\r\n';
    const draft = editorTextToDraft(text, sample());
    expect(draft.subject).toBe('Hello world');
    expect(draft.to).toEqual([
      { name: '', address: 'a@example.com' },
      { name: 'Last, First', address: 'first@example.com' },
      { name: '', address: 'c@example.com' },
    ]);
    // Left out of the header block: emptied.
    expect(draft.cc).toEqual([]);
    expect(draft.bcc).toEqual([]);
    expect(draft.body).toBe('Body line\n');
  });

  it('keeps the headers when the file has no header block at all', () => {
    const before = sample();
    const draft = editorTextToDraft('Just a body\nwith two lines\n', before);
    expect(draft.to).toEqual(before.to);
    expect(draft.subject).toBe(before.subject);
    expect(draft.body).toBe('Just a body\nwith two lines\n');
  });

  it('starts the body at the first line that is not a header, blank line or not', () => {
    const draft = editorTextToDraft('To: a@example.com\nSubject: x\nHello there\n', sample());
    expect(draft.to).toEqual([{ name: '', address: 'a@example.com' }]);
    expect(draft.body).toBe('Hello there\n');
  });

  it('turns tabs in the subject into spaces, and leaves bad addresses for validation', () => {
    const draft = editorTextToDraft('To: bob, a@b@c\nSubject: a\tb\n\n', sample());
    expect(draft.subject).toBe('a b');
    expect(draft.to.map((a) => a.address)).toEqual(['bob', 'a@b@c']);
    expect(draftProblems(draft)).toEqual([
      '"bob" in To is not a valid email address.',
      '"a@b@c" in To is not a valid email address.',
    ]);
  });
});

describe('address lists', () => {
  it.each([
    ['a@example.com', [{ name: '', address: 'a@example.com' }]],
    ['Alice <a@example.com>', [{ name: 'Alice', address: 'a@example.com' }]],
    [
      '"Doe, Jane" <j@example.com>, b@example.com',
      [
        { name: 'Doe, Jane', address: 'j@example.com' },
        { name: '', address: 'b@example.com' },
      ],
    ],
    ['Doe, Jane <j@example.com>', [{ name: 'Doe, Jane', address: 'j@example.com' }]],
    [
      'a@example.com; b@example.com',
      [
        { name: '', address: 'a@example.com' },
        { name: '', address: 'b@example.com' },
      ],
    ],
    ['b@example.com (Bob Smith)', [{ name: 'Bob Smith', address: 'b@example.com' }]],
    [
      '"A \\"quoted\\" name" <q@example.com>',
      [{ name: 'A "quoted" name', address: 'q@example.com' }],
    ],
    [
      'Team: a@example.com, b@example.com;',
      [
        { name: '', address: 'a@example.com' },
        { name: '', address: 'b@example.com' },
      ],
    ],
    ['undisclosed-recipients:;', []],
    [' , ,', []],
    ['Jörg Müller <joerg@example.de>', [{ name: 'Jörg Müller', address: 'joerg@example.de' }]],
  ])('parses %j', (text, expected) => {
    expect(parseAddressList(text)).toEqual(expected);
  });

  it('formats names with specials in quotes, others bare', () => {
    expect(formatAddress({ name: 'Doe, Jane', address: 'j@x.org' })).toBe('"Doe, Jane" <j@x.org>');
    expect(formatAddress({ name: 'Jane Doe', address: 'j@x.org' })).toBe('Jane Doe <j@x.org>');
    expect(formatAddress({ name: '', address: 'j@x.org' })).toBe('j@x.org');
    for (const name of ['Doe, Jane', 'A "q" \\ b', 'x@y', 'Dr. No']) {
      expect(parseAddressList(formatAddress({ name, address: 'j@x.org' }))).toEqual([
        { name, address: 'j@x.org' },
      ]);
    }
  });

  it.each([
    ['a@example.com', true],
    ['first.last+tag@sub.example.co.uk', true],
    ['user@localhost', true],
    ['a@[192.0.2.1]', true],
    ['"with space"@example.com', true],
    ['bob', false],
    ['a@b@c', false],
    ['a..b@example.com', false],
    ['.a@example.com', false],
    ['a@example..com', false],
    ['a b@example.com', false],
    ['a@example.com\r\nBcc: x@y', false],
    ['a@exam\u0000ple.com', false],
    ['<a@example.com>', false],
    ['', false],
  ])('isValidAddress(%j) is %s', (address, valid) => {
    expect(isValidAddress(address)).toBe(valid);
  });
});

describe('the editor', () => {
  it('picks $VISUAL, then $EDITOR, then vi', () => {
    expect(editorCommand({ VISUAL: 'code --wait', EDITOR: 'nano' })).toBe('code --wait');
    expect(editorCommand({ EDITOR: 'nano' })).toBe('nano');
    expect(editorCommand({ VISUAL: ' ', EDITOR: '' })).toBe('vi');
  });

  it('runs the command with sh -c semantics, the file as an argument, and returns its exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-editor-test-'));
    const script = join(dir, 'fake editor.sh');
    // Appends its first argument (after an option) to the file named last: proves arguments survive.
    writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "$2" >> "$3"\nexit 3\n');
    chmodSync(script, 0o755);
    const file = join(dir, 'a file with spaces.eml');
    writeFileSync(file, 'x\n');
    const code = await runEditor(file, {
      PATH: process.env.PATH,
      EDITOR: `'${script}' --mark "hello there"`,
    });
    expect(code).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe('x\nhello there\n');
  });

  it('editDraft writes the draft to a private file and reads the edit back', async () => {
    const draft = sample();
    const result = await editDraft(draft, {
      env: {},
      run: async (file) => {
        const text = readFileSync(file, 'utf8');
        expect(text).toBe(draftToEditorText(draft));
        writeFileSync(file, text.replace('Subject: Numbers for Q3: final', 'Subject: Changed'));
        return 0;
      },
    });
    expect(result.changed).toBe(true);
    expect(result.draft.subject).toBe('Changed');
    expect(result.draft.to).toEqual(draft.to);
  });

  it('editDraft keeps the draft when the editor fails', async () => {
    const draft = sample();
    const result = await editDraft(draft, {
      run: async (file) => {
        writeFileSync(file, 'To: nobody\n\nhalf');
        return 1;
      },
    });
    expect(result).toEqual({ draft, exitCode: 1, changed: false });
  });
});
