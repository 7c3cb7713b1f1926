/**
 * Saving and opening attachments: safe names, never overwriting, staying in
 * the chosen folder, cleaning up after failures, private temp files, and the
 * choice of the program that opens a file.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseOpener,
  isInside,
  parseMailcap,
  safeFileName,
  saveAttachmentStream,
  shellSafeFileName,
  writePrivateTempFile,
} from '../../src/core/mime/index.js';
import { TmailError } from '../../src/core/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-save-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('safeFileName', () => {
  it.each([
    ['../../.bashrc', 'bashrc'],
    ['/etc/passwd', 'passwd'],
    ['..\\..\\x', 'x'],
    ['C:\\x', 'x'],
    ['C:x.txt', 'C_x.txt'],
    ['..', 'attachment'],
    ['...', 'attachment'],
    ['.hidden', 'hidden'],
    ['   ', 'attachment'],
    ['', 'attachment'],
    ['report..pdf', 'report.pdf'],
    ['a/b/../c.txt', 'c.txt'],
    ['trailing dots...', 'trailing dots'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\x1b]0;title\x07evil\x1b[8m.pdf', ']0;titleevil[8m.pdf'],
    ['tab\tand\nnewline.txt', 'tab and newline.txt'],
    ['what?*<>|".txt', 'what______.txt'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['Résumé.pdf', 'Résumé.pdf'],
    ['日本語.txt', '日本語.txt'],
  ])('%j becomes %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('uses the fallback, made safe too, when nothing is left', () => {
    expect(safeFileName('../', 'part-2.pdf')).toBe('part-2.pdf');
    expect(safeFileName('..', '../../')).toBe('attachment');
  });

  it('limits the length in bytes and keeps the extension', () => {
    const long = 'ä'.repeat(500) + '.pdf';
    const safe = safeFileName(long);
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(200);
    expect(safe.endsWith('.pdf')).toBe(true);
    expect(safe.startsWith('ää')).toBe(true);
  });

  it('never splits a grapheme when cutting', () => {
    const safe = safeFileName('👩\u200D👩\u200D👧'.repeat(40));
    expect(safe.length % '👩\u200D👩\u200D👧'.length).toBe(0);
  });

  it('is stricter still for names handed to a shell', () => {
    expect(shellSafeFileName("it's $(rm -rf ~) `x`.pdf")).toBe('it_s___rm_-rf_____x_.pdf');
    expect(shellSafeFileName('-rf')).toBe('rf');
    expect(shellSafeFileName('Grüße.txt')).toBe('Grüße.txt');
  });
});

describe('saveAttachmentStream', () => {
  it('streams bytes to a safe name inside the folder and returns the path', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const path = await saveAttachmentStream(dir, '../../.bashrc', Readable.from([bytes]));
    expect(path).toBe(join(dir, 'bashrc'));
    expect(readFileSync(path)).toEqual(bytes);
    expect(isInside(dir, path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never overwrites: later saves get numbered names', async () => {
    const first = await saveAttachmentStream(dir, 'report.pdf', Buffer.from('one'));
    const second = await saveAttachmentStream(dir, 'report.pdf', Buffer.from('two'));
    const third = await saveAttachmentStream(dir, 'report.pdf', Buffer.from('three'));
    expect([first, second, third]).toEqual([
      join(dir, 'report.pdf'),
      join(dir, 'report (1).pdf'),
      join(dir, 'report (2).pdf'),
    ]);
    expect(readFileSync(first, 'utf8')).toBe('one');
    expect(readFileSync(third, 'utf8')).toBe('three');
    const noExt = await saveAttachmentStream(dir, 'README', Buffer.from('a'));
    const noExt2 = await saveAttachmentStream(dir, 'README', Buffer.from('b'));
    expect(noExt2).toBe(join(dir, 'README (1)'));
    expect(readFileSync(noExt, 'utf8')).toBe('a');
  });

  it('does not follow a symlink planted at the target name', async () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'precious');
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    symlinkSync(outside, join(inner, 'file.txt'));
    const path = await saveAttachmentStream(inner, 'file.txt', Buffer.from('attack'));
    expect(path).toBe(join(inner, 'file (1).txt'));
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    expect(lstatSync(join(inner, 'file.txt')).isSymbolicLink()).toBe(true);
  });

  it('removes the partial file when the stream fails', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('partial data');
      throw new Error('connection lost');
    }
    await expect(saveAttachmentStream(dir, 'broken.bin', failing())).rejects.toBeInstanceOf(
      TmailError,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a missing folder as a TmailError with one sentence', async () => {
    const error = await saveAttachmentStream(join(dir, 'missing'), 'a.txt', Buffer.from('x')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TmailError);
    expect((error as TmailError).code).toBe('FILE_ERROR');
    expect((error as TmailError).message).toMatch(/folder does not exist\.$/);
  });

  it('stops and cleans up when cancelled', async () => {
    const controller = new AbortController();
    async function* slow(): AsyncGenerator<Buffer> {
      yield Buffer.from('first');
      controller.abort();
      yield Buffer.from('second');
    }
    const error = await saveAttachmentStream(dir, 'c.bin', slow(), {
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect((error as TmailError).code).toBe('CANCELLED');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writePrivateTempFile', () => {
  it('writes into a fresh 0700 folder with a 0600 shell-safe file, and cleans up', async () => {
    const temp = await writePrivateTempFile("evil $(x)'.pdf", Buffer.from('%PDF'), {
      tempRoot: dir,
    });
    expect(statSync(temp.dir).mode & 0o777).toBe(0o700);
    expect(statSync(temp.path).mode & 0o777).toBe(0o600);
    expect(temp.path).toBe(join(temp.dir, 'evil___x__.pdf'));
    expect(readFileSync(temp.path, 'utf8')).toBe('%PDF');
    await temp.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('chooseOpener', () => {
  const file = '/tmp/tmail-x/report.pdf';
  const noMailcap = { mailcapPaths: [] as string[] };

  it('uses xdg-open on Linux and open on macOS', () => {
    expect(chooseOpener('application/pdf', file, { ...noMailcap, platform: 'linux' })).toEqual({
      kind: 'system',
      command: 'xdg-open',
      args: [file],
    });
    expect(chooseOpener('application/pdf', file, { ...noMailcap, platform: 'darwin' })).toEqual({
      kind: 'system',
      command: 'open',
      args: [file],
    });
  });

  it('prefers a matching mailcap entry, user file first, quoting the file name', () => {
    const files: Record<string, string> = {
      '/home/u/.mailcap':
        '# mine\nimage/*; feh %s\napplication/pdf; zathura %s; test=test -n "$DISPLAY"\n',
      '/etc/mailcap': 'application/pdf; evince %s\ntext/html; lynx -dump %s; copiousoutput\n',
    };
    const options = {
      platform: 'linux' as const,
      mailcapPaths: ['/home/u/.mailcap', '/etc/mailcap'],
      readFile: (path: string) => files[path] ?? null,
    };
    expect(
      chooseOpener('application/pdf', "/tmp/it's.pdf", { ...options, runTest: () => true }),
    ).toEqual({
      kind: 'mailcap',
      shellCommand: `zathura '/tmp/it'\\''s.pdf'`,
      needsTerminal: false,
      viaStdin: false,
      source: '/home/u/.mailcap',
    });
    // The test fails (no display): the next entry wins.
    expect(
      chooseOpener('application/pdf', file, { ...options, runTest: () => false }),
    ).toMatchObject({
      shellCommand: `evince '${file}'`,
      source: '/etc/mailcap',
    });
    expect(chooseOpener('IMAGE/PNG', '/t/a.png', options)).toMatchObject({
      shellCommand: "feh '/t/a.png'",
    });
    // copiousoutput entries are for a pager, not for opening.
    expect(chooseOpener('text/html', '/t/a.html', options)).toEqual({
      kind: 'system',
      command: 'xdg-open',
      args: ['/t/a.html'],
    });
  });

  it('reads needsterminal and stdin entries, and never passes message parameters to the shell', () => {
    const options = {
      platform: 'linux' as const,
      mailcapPaths: ['/m'],
      readFile: () => 'text/plain; less -R %s; needsterminal\naudio/*; play -t %{charset} -\n',
    };
    expect(chooseOpener('text/plain', '/t/a.txt', options)).toMatchObject({
      needsTerminal: true,
      viaStdin: false,
    });
    expect(chooseOpener('audio/ogg', '/t/a.ogg', options)).toMatchObject({
      shellCommand: "play -t '' -",
      viaStdin: true,
    });
  });

  it('parses continuations, escaped semicolons and comments', () => {
    const entries = parseMailcap(
      '# c\napplication/x-a; cmd \\\n --flag %s\\; echo; needsterminal\nbad line\n',
      'f',
    );
    expect(entries).toEqual([
      {
        type: 'application/x-a',
        command: 'cmd  --flag %s; echo',
        needsTerminal: true,
        copiousOutput: false,
        test: null,
        source: 'f',
      },
    ]);
  });
});
