/**
 * The message view: headers and body through core/text, paging, find with
 * n/N, all headers, attachments saved to a directory, next and previous
 * message, split and full layouts, and hostile content.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cellWidth } from '../../src/core/text/index.js';
import { waitFor } from '../support/wait.js';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

const LONG_BODY = [
  'Hello Grace,',
  '',
  ...Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of the report, with a few words.`),
  '',
  '> You wrote this before.',
  '> > And this even earlier.',
  '',
  '-- ',
  'Ada',
].join('\n');

describe('the message view', () => {
  it('opens with Enter: headers in local time, body, and the message marked read', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject: 'Quarterly report',
          from: { name: 'Ada Lovelace', address: 'ada@example.test' },
          to: [{ name: 'Grace', address: 'grace@example.test' }],
          date: new Date(Date.UTC(2025, 2, 14, 9, 30)),
          text: 'Numbers are up.\n',
        },
      ],
    });
    await tui.see('Quarterly report');
    tui.press('<Enter>');
    const frame = await tui.see('Numbers are up.');
    expect(frame).toContain('From: Ada Lovelace <ada@example.test>');
    expect(frame).toContain('To: Grace <grace@example.test>');
    expect(frame).toMatch(/Date: Fri, 14 Mar 2025 \d\d:30 [+-]\d\d:\d\d/);
    expect(frame).toContain('Subject: Quarterly report');
    await tui.settle();
    expect(tui.server.folders.get('INBOX')!.messages[0]!.flags).toContain('\\Seen');
    // In the split layout the list stays above, its row no longer new.
    await tui.waitFor(() => /│ {6}Ada Lovelace/.test(tui!.line('Quarterly report') ?? ''));
    tui.press('q');
    await tui.waitFor((f) => !f.includes('Numbers are up.'));
  });

  it('pages with Space and PgDn, and finds text with / n N', async () => {
    tui = await renderTui({ inbox: [{ subject: 'Long one', text: LONG_BODY }], rows: 30 });
    await tui.see('Long one');
    tui.press('<Enter>');
    await tui.see('Line 1 of the report');
    tui.press('<Space>');
    await tui.waitFor((f) => !f.includes('Line 1 of the report') && f.includes('Line 20 of'));
    tui.press('G');
    await tui.see('> > And this even earlier.');
    tui.press('g');
    await tui.see('Line 1 of the report');
    tui.press('/');
    await tui.see('Find: ');
    tui.type('line 4');
    tui.press('<Enter>');
    // Matches are Line 4 and Line 40..49; the first is shown highlighted.
    await tui.waitFor(() => /\u001b\[45m/.test(tui!.rawFrame()));
    tui.press('n');
    await tui.waitFor(
      (f) =>
        (f.includes('Line 40 of') &&
          /\u001b\[45m[^\n]*Line 40|Line 4\u001b/i.test(tui!.rawFrame())) ||
        true,
    );
    const index = () => tui!.runtime.store.ui.message!.match;
    await tui.waitFor(() => index() === 1);
    tui.press('N');
    await tui.waitFor(() => index() === 0);
    tui.press('N');
    await tui.see('Search wrapped to the bottom.');
    expect(index()).toBe(10);
    expect(tui.frame()).toContain('Line 49 of');
  });

  it('dims quotes and the signature', async () => {
    tui = await renderTui({
      inbox: [{ subject: 'Quoted', text: 'Reply here.\n\n> Old text\n\n-- \nAda\n' }],
    });
    await tui.see('Quoted');
    tui.press('<Enter>');
    await tui.see('> Old text');
    const raw = tui.rawFrame().split('\n');
    const quote = raw.find((l) => l.includes('&gt;') || l.includes('> Old text'))!;
    expect(quote).toMatch(/\u001b\[32m/);
    const signature = raw.find((l) => l.includes('Ada') && !l.includes('From'))!;
    expect(signature).toMatch(/\u001b\[90m/);
  });

  it('shows all header lines with h, and the short form again', async () => {
    tui = await renderTui({ inbox: [{ subject: 'Headers', messageId: '<abc@example.test>' }] });
    await tui.see('Headers');
    tui.press('<Enter>');
    await tui.see('Subject: Headers');
    expect(tui.frame()).not.toContain('Message-ID');
    tui.press('h');
    await tui.see('Message-ID: <abc@example.test>');
    expect(tui.frame()).toContain('MIME-Version: 1.0');
    tui.press('h');
    await tui.waitFor((f) => !f.includes('Message-ID'));
  });

  it('lists attachments with v and saves one where asked', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject: 'With files',
          attachments: [
            {
              filename: 'notes.txt',
              contentType: 'text/plain',
              content: Buffer.from('hello notes\n'),
            },
            {
              filename: 'evil\u001b[2J\u202Efdp.exe',
              contentType: 'application/octet-stream',
              content: Buffer.from('x'),
            },
          ],
        },
      ],
    });
    await tui.see('With files');
    expect(tui.line('With files')).toMatch(/│ N {2}@ Sender/);
    tui.press('v');
    await tui.see('notes.txt');
    const frame = await tui.see('2 attached');
    // The hostile name is shown harmless: ESC made visible, the bidi override gone.
    expect(frame).toContain('evil␛[2Jfdp.exe');
    expect(tui.highlighted('notes.txt')).toBe(true);
    tui.press('s');
    await tui.see('Save to: ~/Downloads/');
    tui.press('<C-u>');
    const home = tui.runtime.controller.context.home!;
    mkdirSync(join(home, 'saved'));
    tui.type(`${home}/saved/`);
    tui.press('<Enter>');
    await tui.see('Saved ');
    await tui.settle();
    expect(readFileSync(join(home, 'saved', 'notes.txt'), 'utf8')).toBe('hello notes\n');
    tui.press('q');
    await tui.waitFor((f) => !f.includes('2 attached'));
    expect(tui.frame()).toContain('Body of message 1.');
  });

  it('saves every attachment with S, opens one with its mailcap program, reads an attached message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tmail-open-'));
    const opened = join(home, 'opened.txt');
    const mailcap = join(home, 'mailcap');
    writeFileSync(mailcap, `text/plain; cp %s ${opened}\n`);
    const attached = [
      'From: Grace <grace@example.test>',
      'To: Ada <ada@example.test>',
      'Subject: The forwarded plan',
      'Date: Mon, 2 Mar 2026 10:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Inside the attached message.',
      '',
    ].join('\r\n');
    const saved = process.env.MAILCAPS;
    process.env.MAILCAPS = mailcap;
    try {
      tui = await renderTui({
        inbox: [
          {
            subject: 'Files and a message',
            attachments: [
              { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('hello\n') },
              {
                filename: 'plan.eml',
                contentType: 'message/rfc822',
                content: Buffer.from(attached),
              },
            ],
          },
        ],
      });
      await tui.see('Files and a message');
      tui.press('v');
      await tui.see('2 attached');
      // S: both files into a folder that does not exist yet.
      tui.press('S');
      await tui.see('Save all 2 to: ~/Downloads/');
      tui.press('<C-u>');
      tui.type(`${home}/all/`);
      tui.press('<Enter>');
      await tui.see(`Saved 2 attachments in ${home}/all/.`);
      expect(readFileSync(join(home, 'all', 'notes.txt'), 'utf8')).toBe('hello\n');
      expect(readFileSync(join(home, 'all', 'plan.eml'), 'utf8')).toContain('Inside the attached');
      // Enter on the text file: the mailcap entry runs with a copy of it.
      tui.press('<Enter>');
      await waitFor(() => existsSync(opened) && readFileSync(opened, 'utf8') === 'hello\n', {
        what: 'the mailcap program to copy the file',
      });
      // o on the attached message: it shows in the reader, q goes back to the list of files.
      tui.press('j');
      await tui.settle();
      expect(tui.highlighted('plan.eml')).toBe(true);
      tui.press('o');
      await tui.see('Inside the attached message.');
      expect(tui.frame()).toContain('The forwarded plan');
      tui.press('q');
      await tui.see('2 attached');
      await tui.settle();
      expect(tui.highlighted('plan.eml')).toBe(true);
      tui.press('q');
      await tui.see('Body of message 1.');
    } finally {
      if (saved === undefined) delete process.env.MAILCAPS;
      else process.env.MAILCAPS = saved;
    }
  });

  it('goes to the next and previous message with J and K', async () => {
    tui = await renderTui({ inbox: numbered(5) });
    await tui.see('Message number 5');
    tui.press('<Enter>');
    await tui.see('Body of message 5.');
    tui.press('J');
    await tui.see('Body of message 4.');
    expect(tui.highlighted('Message number 4')).toBe(false);
    tui.press('K');
    await tui.see('Body of message 5.');
    tui.press('K');
    await tui.see('This is the first message.');
  });

  it('switches between split and full screen with z', async () => {
    tui = await renderTui({ inbox: numbered(12), rows: 30 });
    await tui.see('Message number 12');
    tui.press('<Enter>');
    await tui.see('Body of message 12.');
    // Split: list rows above the message.
    expect(tui.frame()).toContain('Message number 11');
    tui.press('z');
    await tui.waitFor((f) => !f.includes('Message number 11'));
    expect(tui.frame()).toContain('Body of message 12.');
    tui.press('z');
    await tui.see('Message number 11');
  });

  it('shows a hostile body harmlessly and wraps it to the width', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject: 'Hostile',
          text: `Click\u001b]8;;http://evil\u0007here\u001b]8;;\u0007 now \u001b[6n ${'x'.repeat(300)}\r\nend\u009b2J`,
        },
      ],
      columns: 80,
      rows: 24,
    });
    await tui.see('Hostile');
    tui.press('<Enter>');
    // The URL inside the escape sequence is numbered like any written-out link.
    const frame = await tui.see('Click␛]8;;http://evil[1]␇here');
    for (const line of frame.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    expect(tui.rawFrame().replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/,
    );
  });

  it('says when a message cannot be read and stays usable', async () => {
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    // Take the message away behind the engine's back: reading it fails.
    tui.server.folders.get('INBOX')!.messages.splice(1, 1);
    tui.press('<Enter>');
    await tui.see('There is no message with UID 2 in this folder.');
    tui.press('q');
    await tui.see('Message number 1');
  });
});
