/**
 * The message as a file and its links, in the TUI on the fake backend:
 * `|` and `:pipe` (one message raw, tagged ones as an mbox), `:save` (an .eml,
 * an mbox appended to, the overwrite question, Tab completion), `:raw` in the
 * pager (escape sequences visible), numbered links with `:links` and
 * `:open-link` through $BROWSER, and text attachments in the pager.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tmail-msgfile-'));
}

/** The raw message the fake server holds for a UID of INBOX. */
function serverRaw(t: TuiHarness, uid: number): Buffer {
  return t.server.folders.get('INBOX')!.messages.find((m) => m.uid === uid)!.raw;
}

async function command(t: TuiHarness, line: string): Promise<void> {
  t.press(':');
  await t.see(':');
  t.type(line);
  t.press('<Enter>');
}

describe('the message as a file', () => {
  it('| pipes the raw message to a shell command and says how it ended', async () => {
    const dir = tempDir();
    const out = join(dir, 'piped.eml');
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    tui.press('|');
    await tui.see('Pipe to:');
    tui.type(`cat > ${out}`);
    tui.press('<Enter>');
    await tui.see(`The command cat > ${out}`.slice(0, 30));
    expect(tui.frame()).toContain('exited with status 0.');
    // The cursor starts on the newest message, UID 2.
    expect(readFileSync(out)).toEqual(serverRaw(tui, 2));
    await command(tui, 'pipe exit 3');
    await tui.see('failed with exit status 3.');
  });

  it(':pipe gives tagged messages to one command as an mbox, oldest first', async () => {
    const dir = tempDir();
    const out = join(dir, 'series.mbox');
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.press('t'); // tags 3, moves to 2
    tui.press('j'); // skips 2
    tui.press('t'); // tags 1
    await tui.settle();
    await command(tui, `pipe cat > ${out}`);
    await tui.see('exited with status 0.');
    const mbox = readFileSync(out, 'latin1');
    expect(mbox.match(/^From /gm)).toHaveLength(2);
    expect(mbox.indexOf('Message number 1')).toBeLessThan(mbox.indexOf('Message number 3'));
    expect(mbox).not.toContain('Message number 2');
    expect(mbox).not.toContain('\r\n');
  });

  it(':save writes an .eml, asks before overwriting, and appends to an mbox (mboxrd)', async () => {
    const dir = tempDir();
    tui = await renderTui({
      inbox: [{ subject: 'A patch', text: 'Hello\nFrom the top of a line\n>From quoted\n' }],
    });
    await tui.see('A patch');
    const file = join(dir, 'patch.eml');
    await command(tui, `save ${file}`);
    await tui.see(`Saved the message to ${file}.`);
    expect(readFileSync(file)).toEqual(serverRaw(tui, 1));

    // The same path again: asked, and n leaves the file alone.
    writeFileSync(file, 'precious');
    await command(tui, `save ${file}`);
    await tui.see('exists; overwrite it? (y/n)');
    tui.press('n');
    await tui.see('Not saved;');
    expect(readFileSync(file, 'utf8')).toBe('precious');
    await command(tui, `save ${file}`);
    await tui.see('exists; overwrite it? (y/n)');
    tui.press('y');
    await tui.see(`Saved the message to ${file}.`);
    expect(readFileSync(file)).toEqual(serverRaw(tui, 1));

    // A name ending in .mbox is appended to, never replaced.
    const mbox = join(dir, 'kept.mbox');
    await command(tui, `save ${mbox}`);
    await tui.see(`Appended 1 message to the mbox ${mbox}.`);
    await command(tui, `save ${mbox}`);
    await tui.see(`Appended 1 message to the mbox ${mbox}.`);
    const text = readFileSync(mbox, 'latin1');
    expect(text.match(/^From /gm)).toHaveLength(2);
    // The body is base64 in the fake message, so check the headers' line ends instead.
    expect(text).toMatch(/^Subject: A patch$/m);
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it(':save with ~ expands the home folder, and Tab completes paths', async () => {
    tui = await renderTui({ inbox: numbered(1) });
    const home = tui.runtime.controller.context.home!;
    writeFileSync(join(home, 'archive-one.mbox'), '');
    await tui.see('Message number 1');
    tui.press(':');
    await tui.see(':');
    tui.type('save ~/arch');
    tui.press('<Tab>');
    await tui.see(':save ~/archive-one.mbox');
    tui.press('<Enter>');
    await tui.see(`Appended 1 message to the mbox ${home}/archive-one.mbox.`);
    expect(readFileSync(join(home, 'archive-one.mbox'), 'latin1')).toMatch(/^From /);
  });

  it(':raw shows the source with escape sequences made visible; q goes back', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject: 'Sneaky',
          headers: { 'X-Trick': 'before\u001b[2Jafter' },
          text: 'Plain body\n',
        },
      ],
    });
    await tui.see('Sneaky');
    tui.press('<Enter>');
    await tui.see('Plain body');
    await command(tui, 'raw');
    const frame = await tui.see('X-Trick:');
    expect(frame).toContain('X-Trick: before␛[2Jafter');
    expect(frame).toContain('Source of message 1');
    expect(frame).toContain('Content-Transfer-Encoding: base64');
    expect(tui.rawFrame()).not.toContain('\u001b[2J');
    tui.press('q');
    await tui.waitFor((f) => !f.includes('X-Trick') && f.includes('Plain body'));
    // From the list, E shows it and Esc goes back to the list.
    tui.press('q');
    await tui.waitFor((f) => !f.includes('Plain body'));
    tui.press('E');
    await tui.see('X-Trick:');
    tui.press('<Esc>');
    await tui.waitFor((f) => !f.includes('X-Trick') && !f.includes('Plain body'));
  });
});

describe('links', () => {
  /** A $BROWSER that writes its arguments, one per line, to a file. */
  function recordingBrowser(dir: string): { script: string; record: string } {
    const script = join(dir, 'browser.sh');
    const record = join(dir, 'opened.txt');
    writeFileSync(script, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${record}'\n`);
    chmodSync(script, 0o755);
    return { script, record };
  }

  const HTML = [
    '<p>Read <a href="https://example.test/a b\';rm -rf ~;\'">the notes</a>.</p>',
    '<p>Log in at <a href="https://evil.test/login">https://bank.test/login</a>.</p>',
    '<p><a href="ftp://files.test/x">files</a></p>',
  ].join('');

  it('numbers URLs in text and in HTML, lists them with O, and opens one with $BROWSER', async () => {
    const dir = tempDir();
    const { script, record } = recordingBrowser(dir);
    const saved = process.env.BROWSER;
    process.env.BROWSER = script;
    try {
      tui = await renderTui({
        inbox: [
          {
            subject: 'Plain links',
            text: 'See https://example.test/x?y=1, and (https://b.test/).\n',
          },
          { subject: 'Html links', html: HTML },
        ],
      });
      await tui.see('Html links');
      tui.press('j');
      tui.press('<Enter>');
      const plainFrame = await tui.see('Links:');
      expect(plainFrame).toContain('See https://example.test/x?y=1[1], and (https://b.test/[2]).');
      expect(plainFrame).toContain('[1] https://example.test/x?y=1');
      expect(plainFrame).toContain('[2] https://b.test/');
      await command(tui, 'open-link 2');
      await tui.see('Opened link 2 with');
      expect(readFileSync(record, 'utf8')).toBe('https://b.test/\n');

      tui.press('K');
      const frame = await tui.see('the notes[1]');
      expect(frame).toContain('https://bank.test/login[2]');
      tui.press('O');
      const list = await tui.see('Links (3)');
      expect(list).toContain(`[1] https://example.test/a b';rm -rf ~;'`);
      expect(list).toContain(
        '[2] https://evil.test/login (its text reads "https://bank.test/login")',
      );
      tui.press('q');
      await tui.waitFor((f) => !f.includes('Links (3)'));
      // The URL with a space, quotes and ; arrives as one argument, exactly.
      tui.press('o');
      await tui.see('Open link (1-3):');
      tui.type('1');
      tui.press('<Enter>');
      await tui.see('Opened link 1 with');
      expect(readFileSync(record, 'utf8')).toBe(`https://example.test/a b';rm -rf ~;'\n`);
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
    }
  });

  it('asks before a link whose text names another address, and opens only http(s) and mailto', async () => {
    const dir = tempDir();
    const { script, record } = recordingBrowser(dir);
    const saved = process.env.BROWSER;
    process.env.BROWSER = script;
    try {
      tui = await renderTui({ inbox: [{ subject: 'Html links', html: HTML }] });
      await tui.see('Html links');
      tui.press('<Enter>');
      await tui.see('the notes[1]');
      await command(tui, 'open-link 2');
      await tui.see('Link 2 reads "https://bank.test/login" but goes to https://evil.test/login');
      tui.press('n');
      await tui.settle();
      expect(existsSync(record)).toBe(false);
      await command(tui, 'open-link 3');
      await tui.see('tmail opens only http, https and mailto links');
      await command(tui, 'open-link 9');
      await tui.see('There is no link 9; this message has links 1 to 3.');
      await command(tui, 'open-link 2');
      await tui.see('Open it? (y/n)');
      tui.press('y');
      await tui.see('Opened link 2 with');
      expect(readFileSync(record, 'utf8')).toBe('https://evil.test/login\n');
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
    }
  });
});

describe('text attachments', () => {
  it('open in the pager when no mailcap entry claims them; q goes back to the list of files', async () => {
    const dir = tempDir();
    const saved = process.env.MAILCAPS;
    process.env.MAILCAPS = join(dir, 'no-mailcap');
    try {
      tui = await renderTui({
        inbox: [
          {
            subject: 'With a log',
            attachments: [
              {
                filename: 'build.log',
                contentType: 'text/plain',
                content: Buffer.from('step one\nstep \u001b[31mtwo\n'),
              },
              {
                filename: 'fix.patch',
                contentType: 'application/octet-stream',
                content: Buffer.from('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n'),
              },
            ],
          },
        ],
      });
      await tui.see('With a log');
      tui.press('v');
      await tui.see('2 attached');
      tui.press('<Enter>');
      const frame = await tui.see('step one');
      expect(frame).toContain('step ␛[31mtwo');
      expect(frame).toContain('build.log');
      tui.press('q');
      await tui.see('2 attached');
      tui.press('j');
      tui.press('<Enter>');
      await tui.see('+new');
      tui.press('q');
      await tui.see('2 attached');
    } finally {
      if (saved === undefined) delete process.env.MAILCAPS;
      else process.env.MAILCAPS = saved;
    }
  });
});

describe('the keys', () => {
  it('are rebindable from the dotfile', async () => {
    const dir = tempDir();
    const out = join(dir, 'x.eml');
    tui = await renderTui({
      inbox: numbered(1),
      config: { keys: { list: { X: 'mail.raw', '<C-p>': 'mail.pipe' } } },
    });
    await tui.see('Message number 1');
    tui.press('X');
    await tui.see('Source of message 1');
    tui.press('q');
    await tui.waitFor((f) => !f.includes('Source of message 1'));
    tui.press('<C-p>');
    await tui.see('Pipe to:');
    tui.type(`cat > ${out}`);
    tui.press('<Enter>');
    await tui.see('exited with status 0.');
    expect(readFileSync(out)).toEqual(serverRaw(tui, 1));
  });

  it('lists the new commands in the help', async () => {
    tui = await renderTui({ inbox: numbered(1), rows: 120 });
    await tui.see('Message number 1');
    tui.press('?');
    const frame = await tui.see('Pipe the message');
    expect(frame).toMatch(/ \|\s+Pipe the message \(or the tagged ones\) to a shell command/);
    expect(frame).toMatch(/ S\s+Save the message/);
    expect(frame).toMatch(/ E\s+Show the raw source/);
  });
});
