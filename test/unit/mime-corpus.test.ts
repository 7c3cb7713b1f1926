/**
 * The fixture corpus (test/fixtures/eml, written by generate.ts there): each
 * message is parsed and rendered the way `tmail read` shows it, and the test
 * checks a specific displayed string and that no control character but the
 * newline reaches the output. Every fixture is also read the partial-fetch
 * way (structure, then only the chosen parts) and must show the same.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attachmentFromSource,
  chooseTextParts,
  messageFromParts,
  parseAttachedMessage,
  parseMessage,
  safeFileName,
  scanMessage,
  structureFromSource,
} from '../../src/core/mime/index.js';
import type { MessageView } from '../../src/core/types.js';
import { PNG_BYTES, TABLE_BYTES } from '../fixtures/eml/payloads.js';
import { renderMessageText } from '../../src/core/text/render-message.js';
import { isTerminalSafe } from '../../src/core/text/sanitize.js';
import { cellWidth } from '../../src/core/text/width.js';

const dir = new URL('../fixtures/eml/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith('.eml'))
  .sort();

function load(name: string): Buffer {
  return readFileSync(new URL(name, dir));
}

const WIDTH = 72;

function render(view: MessageView): string {
  const lines = renderMessageText(view, { width: WIDTH, timeZone: 'UTC' });
  for (const line of lines) {
    expect(isTerminalSafe(line, { multiline: false }), JSON.stringify(line)).toBe(true);
    expect(cellWidth(line)).toBeLessThanOrEqual(WIDTH);
  }
  const shown = lines.join('\n');
  // The one byte a terminal must never see from a message.
  expect(shown).not.toContain('\x1b');
  expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  return shown;
}

async function show(name: string): Promise<{ view: MessageView; shown: string }> {
  const view = await parseMessage(load(name), { timeZone: 'UTC' });
  return { view, shown: render(view) };
}

/** What each fixture must display (all of these substrings), and must not. */
const EXPECTED: Record<string, { shows: string[]; hides?: string[] }> = {
  'bare-cr.eml': { shows: ['Your invoice is attached.\nEVIL: pay to account 666'] },
  'bare-lf.eml': { shows: ['Lines end in LF only.\nSecond line.'], hides: ['html'] },
  'bidi-subject.eml': {
    shows: ['Subject: Your invoicefdp.exe and isolate mark', 'payevil here'],
  },
  'body-euc-kr.eml': { shows: ['안녕하세요'] },
  'body-gb18030.eml': { shows: ['你好，世界'] },
  'body-iso-8859-1.eml': { shows: ['Grüße aus Köln'] },
  'body-koi8-r.eml': { shows: ['Привет, мир'] },
  'body-shift-jis.eml': { shows: ['こんにちは世界'] },
  'body-unknown-charset.eml': {
    shows: ['Plain ascii survives.', 'unknown character set "x-klingon"'],
  },
  'body-utf7.eml': { shows: ['Hi Mom -☺-! A 日本語 day.'], hides: ['+Jjo-'] },
  'body-windows-1252.eml': { shows: ['“quoted” €5'] },
  'broken-base64.eml': {
    shows: ['Hello world from broken base64.', 'damaged base64'],
  },
  'broken-multipart-no-parts.eml': {
    shows: ['This body has no parts, only text.\nIt should still be shown.', 'shown as plain text'],
  },
  'broken-no-boundary.eml': {
    shows: ['First part text, found anyway.', 'Second part text.', 'does not name the separator'],
  },
  'broken-no-closing-delimiter.eml': {
    shows: [
      'Text before an attachment that never ends.',
      '1. data.bin (application/octet-stream, 23 B)',
    ],
  },
  'broken-wrong-boundary.eml': {
    shows: ['The real text behind a wrong boundary.', 'names the wrong separator'],
    hides: ['<p>', 'declared-but-unused'],
  },
  'calendar-invite.eml': {
    shows: [
      'Calendar invitation\nEvent: Team sync, weekly\nWhen: Mon, 15 Jan 2024 14:00 +00:00 – 15:00 +00:00\nWhere: Room 4\nOrganizer: Alice Example <alice@example.test>',
      'You are invited to Team sync.',
      'invite-2.ics (text/calendar',
    ],
    hides: ['alarm text', 'BEGIN:VCALENDAR'],
  },
  'cjk-emoji-subject.eml': { shows: ['Subject: 会議の議題 📅 について — 👩‍👩‍👧 family', '👍🏽'] },
  'date-invalid.eml': { shows: ['Date: (unknown)'] },
  'date-missing.eml': { shows: ['Date: (unknown)'] },
  'date-obsolete.eml': { shows: ['Date: Fri, 21 Nov 1997 17:55 +00:00'] },
  'date-zone-loose.eml': { shows: ['Date: Tue, 2 Jan 2024 16:00 +00:00'] },
  'delivery-status.eml': {
    shows: ['Your message could not be delivered.', 'Status: 5.1.1', 'Subject: lost message'],
  },
  'encoded-word-broken.eml': { shows: ['Subject: plain and =?utf-8?q?unterminated and'] },
  'encoded-word-raw-8bit.eml': {
    shows: [
      'From: Jürgen Müller <alice@example.test>',
      'Subject: Grüße aus Köln — raw UTF-8 header',
    ],
  },
  'encoded-word-raw-bytes.eml': {
    shows: [
      'Subject: Frösche und Hasen ärger',
      'From: Jürgen Frösche <juergen@example.test>',
      'To: Frösche <frogs@example.test>',
      'Cc: Häsin Frösche <hare@example.test>',
    ],
    hides: ['ï¿½', '+APY-', '\ufffd'],
  },
  'encoded-word-split-multibyte.eml': { shows: ['Subject: €uro ✓'] },
  'encoded-words-charsets.eml': { shows: ['Subject: caféПривет日本語'] },
  'encrypted.eml': { shows: ['encrypted; tmail cannot decrypt it', 'encrypted.asc'] },
  'escape-body-base64.eml': {
    shows: ['Base64 start.␛[2J␛[H', '␛]52;c;cm0gLXJmIH4=␇', 'C1 �2J �0;t␇', 'Base64 end.'],
  },
  'escape-body-qp.eml': { shows: ['QP start.␛[2J␛[H', '␛[6n␛[c␛[21t', 'C1 �2J', 'QP end.'] },
  'escape-body-raw.eml': {
    shows: [
      'Start.␛[2J␛[H',
      'Unterminated OSC: ␛]0;swallow everything after\nUnterminated DCS: ␛Pswallow',
      'back␈space',
      'End of body.',
    ],
  },
  'escape-display-names.eml': {
    shows: [
      'From: Bank ␛]8;;https://evil.test/␛\\Support',
      'To: CSI�2Jvictim <victim@example.test>',
      'Cc: Aliecila <alice@example.test>',
      'Reply-To: Reply ␛[6n <reply@example.test>',
    ],
  },
  'escape-every-header.eml': {
    shows: ['Subject: ␛]2;title␛\\every header', 'Date: Tue, 2 Jan 2024 10:00 +00:00'],
  },
  'escape-filename-encoded-word.eml': { shows: ['1. report␛]52;c;eA==␇gpj.exe'] },
  'escape-filename-plain.eml': { shows: ['1. ␛]0;title␇evil␛[8m.pdf'] },
  'escape-filename-rfc2231.eml': { shows: ['1. ␛[2Jinvoicefdp.exe'] },
  'escape-forwarded-rfc822.eml': {
    shows: ['Forwarding the message below.', '1. Forwarded ␛[2Jsecret.eml (message/rfc822'],
  },
  'escape-subject-encoded.eml': {
    shows: ['Subject: Invoice ␛]52;c;cm0gLXJmIH4=␇due Bcc: victim@example.test'],
  },
  'escape-subject-raw.eml': { shows: ['Subject: ␛[2J␛[HPwned ␛]0;title␇subject'] },
  'external-body-alternative.eml': {
    shows: [
      'Part 1 is not in the message: it points to',
      'https://files.example.test/report.txt, which tmail does not fetch.',
      'ftp://ftp.example.test/pub/reports/report.txt',
      '1. part-1 (message/external-body',
      '2. report.txt (message/external-body',
    ],
  },
  'filename-raw-latin1.eml': {
    shows: ['1. HasenundFrösche.txt (text/plain', '2. Frösche und Hasen.bin'],
  },
  'format-flowed-delsp.eml': {
    shows: ['Japanese-style long words are split without a space and joined with'],
  },
  'format-flowed.eml': {
    shows: [
      'This paragraph was soft-wrapped by the sender and must be joined again\ninto one line by the reader. Second sentence of the same paragraph.\nA hard line break follows.',
      '> Quoted flowed text that also continues here.',
      '-- \nSignature',
    ],
  },
  'html-alternative-prefers-plain.eml': {
    shows: ['This is the plain alternative.'],
    hides: ['the HTML alternative'],
  },
  'html-entities-escapes.eml': {
    shows: ['Clear␛[2Jscreen', 'bidi fdp.exe', '␛]52;c;cm0gLXJmIH4=␇ done.'],
  },
  'html-huge-table.eml': {
    shows: ['r0c0  r0c1  r0c2', 'r299c0  r299c1', 'After the table.'],
  },
  'html-only-scripts-tracking.eml': {
    shows: [
      'Spring sale',
      'Read our offers[1] or write to us[2].',
      '[image: Shop logo]',
      '• First item',
      'Links:\n[1] https://shop.example.test/sale\n[2] mailto:help@example.test',
    ],
    hides: [
      'script text',
      'style text',
      'Title text',
      'hidden preheader',
      'noscript text',
      'track.example.test',
      'javascript:',
    ],
  },
  'html-related-inline-image.eml': {
    shows: ['Look at this: [image: Sales chart]', 'chart.png (image/png, 16 B, inline)'],
  },
  'mbox-from-line.eml': { shows: ['Subject: saved from an mbox', 'Body after an mbox From line.'] },
  'multipart-signed.eml': {
    shows: ['This text is signed.', 'signature.asc (application/pgp-signature'],
  },
  'nested-message-digest.eml': {
    shows: ['Digest follows.', 'First digest entry.eml', 'Second digest entry.eml'],
  },
  'nul-byte.eml': { shows: ['Subject: a NUL␀byte in the subject', 'before␀after NUL'] },
  'parts-reachable.eml': {
    shows: [
      'The plain text, shown.',
      '1. frog.png (image/png, 1.3 KB, inline)',
      '2. part-2 (text/enriched',
      '3. notes.txt (text/plain',
    ],
    hides: ['The HTML, with a picture'],
  },
  'quotes-signature.eml': {
    shows: ['Sounds good to me.', '> > Earlier question', '-- \nAlice Example\nExample Corp'],
  },
  'rfc2231-charset-latin1.eml': { shows: ['1. Résumé.pdf (application/pdf, 12 B)'] },
  'rfc2231-continuations.eml': { shows: ['1. Überweisung März 2024.pdf (application/pdf, 19 B)'] },
  'tabs-and-controls.eml': {
    shows: [
      'Subject: tabs and controls',
      'col1    col2    col3\na       bb      ccc',
      'Form feed␌vertical tab␋delete␡done',
    ],
  },
  'text-attachment-inline.eml': {
    shows: ['Patch below.', 'Attachment shown inline: fix.patch\n\n--- a/file.txt', '+new line'],
  },
  'traversal-filenames.eml': {
    shows: ['1. ../../.bashrc', '2. /etc/passwd', '3. ..\\..\\x', '4. C:\\x'],
  },
  'uuencode.eml': {
    shows: [
      'Here is the file you asked for:\n\nuuencoded file: hello.txt (listed under attachments)\n\nRegards.',
      '1. hello.txt (text/plain, 17 B)',
    ],
    hides: ['begin 644'],
  },
  'x-uuencode-image.eml': {
    shows: ['1. frog.png (image/png, 1.3 KB)', '2. table.csv (text/csv, 7.7 KB)'],
  },
  'x-uuencode-part.eml': {
    shows: ['Old-style encoded attachment.', '1. hi.txt (text/plain, 3 B)'],
  },
};

describe('the fixture corpus', () => {
  it('has at least 40 fixtures, each with expectations', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(EXPECTED).sort()).toEqual(fixtures);
  });

  it.each(fixtures)('%s shows what it should, and nothing a terminal would obey', async (name) => {
    const { view, shown } = await show(name);
    const expected = EXPECTED[name]!;
    for (const text of expected.shows) expect(shown).toContain(text);
    for (const text of expected.hides ?? []) expect(shown).not.toContain(text);
    // Names that reach the disk are made safe the same way the save path does.
    for (const attachment of view.attachments) {
      const safe = safeFileName(attachment.filename);
      expect(isTerminalSafe(safe, { multiline: false })).toBe(true);
      expect(safe).not.toMatch(/[/\\]|^\.|\.\./);
    }
  });

  it.each(fixtures)(
    '%s reads the same from the parts a partial fetch would download',
    async (name) => {
      const source = load(name);
      const whole = await parseMessage(source, { timeZone: 'UTC' });
      const structure = structureFromSource(source);
      const scan = scanMessage(source);
      const parts = new Map<string, Buffer>();
      for (const part of chooseTextParts(structure)) {
        // What BODY.PEEK[<part>] returns: the body without its MIME header.
        const scanned = findScanned(scan.root, part.part);
        parts.set(
          part.part,
          part.part === 'TEXT'
            ? source.subarray(scan.root.bodyStart)
            : source.subarray(scanned!.bodyStart, scanned!.bodyEnd),
        );
      }
      const partial = await messageFromParts(
        { uid: 0, header: scan.header, structure, parts },
        { timeZone: 'UTC' },
      );
      // Sizes are estimated and attached messages unnamed without the whole
      // message; notes about repairs of the raw structure only the scan can make.
      const comparable = (v: MessageView) => ({
        ...v,
        attachments: v.attachments.map((a) => ({ ...a, size: 0, sizeExact: false, filename: '' })),
        notes: v.notes.filter((note) => !scan.notes.includes(note)),
      });
      expect(comparable(partial)).toEqual(comparable(whole));
    },
  );
});

function findScanned(
  root: ReturnType<typeof scanMessage>['root'],
  id: string,
): ReturnType<typeof scanMessage>['root'] | undefined {
  if (root.part === id) return root;
  for (const child of root.childNodes) {
    const found = findScanned(child, id);
    if (found) return found;
  }
  return undefined;
}

describe('attachments from the corpus', () => {
  it('decodes attachment bytes by part number', () => {
    const source = load('rfc2231-continuations.eml');
    expect(attachmentFromSource(source, '2').toString()).toBe('%PDF-1.4 not really');
  });

  it('extracts a uuencoded file by its id', async () => {
    const source = load('uuencode.eml');
    const view = await parseMessage(source);
    expect(view.attachments.map((a) => a.id)).toEqual(['1#uu1']);
    expect(attachmentFromSource(source, '1#uu1').toString()).toBe('Hello, uuencode!\n');
  });

  it('decodes an x-uuencode part', () => {
    expect(attachmentFromSource(load('x-uuencode-part.eml'), '2').toString()).toBe('hi\n');
  });

  it('decodes an x-uuencode image and lists its exact size', async () => {
    const source = load('x-uuencode-image.eml');
    expect(attachmentFromSource(source, '2').equals(PNG_BYTES)).toBe(true);
    const { view } = await show('x-uuencode-image.eml');
    expect(view.attachments.map((a) => a.size)).toEqual([PNG_BYTES.length, TABLE_BYTES.length]);
  });

  it('makes hostile attachment names safe for the disk', async () => {
    const view = await parseMessage(load('traversal-filenames.eml'));
    expect(view.attachments.map((a) => safeFileName(a.filename))).toEqual([
      'bashrc',
      'passwd',
      'x',
      'x',
    ]);
  });

  it('opens a forwarded message and shows it safely', async () => {
    const source = load('escape-forwarded-rfc822.eml');
    const outer = await parseMessage(source);
    const forwarded = outer.attachments.find((a) => a.contentType === 'message/rfc822')!;
    expect(forwarded.id).toBe('2');
    const inner = await parseAttachedMessage(source, forwarded.id, { timeZone: 'UTC' });
    expect(inner.subject).toBe('Forwarded \x1b[2Jsecret');
    const shown = render(inner);
    expect(shown).toContain('From: Mallory ␛]0;owned␇ <mallory@example.test>');
    expect(shown).toContain('Subject: Forwarded ␛[2Jsecret');
    expect(shown).toContain('Inner body ␛[2J␛]52;c;eA==␇ with escapes.');
  });

  it('opens a message inside a digest', async () => {
    const source = load('nested-message-digest.eml');
    const outer = await parseMessage(source);
    const ids = outer.attachments.map((a) => a.id);
    expect(ids).toEqual(['2.1', '2.2']);
    const second = await parseAttachedMessage(source, '2.2');
    expect(second.subject).toBe('Second digest entry');
    expect(second.text).toBe('Second entry body.');
  });
});

describe('values stay exact for reply building', () => {
  it('keeps decoded but unsanitised strings in the view', async () => {
    const view = await parseMessage(load('escape-subject-encoded.eml'));
    expect(view.subject).toBe('Invoice \x1b]52;c;cm0gLXJmIH4=\x07due\r\nBcc: victim@example.test');
  });

  it('gives ids, references and header fields', async () => {
    const view = await parseMessage(load('html-alternative-prefers-plain.eml'));
    expect(view.messageId).toBe('<fixture@example.test>');
    expect(view.headers.find((h) => h.key === 'Subject')?.value).toBe(
      'plain and HTML alternatives',
    );
    expect(view.date).toBe(Date.UTC(2024, 0, 2, 10, 0));
  });

  it('classifies quotes and the signature into blocks', async () => {
    const view = await parseMessage(load('quotes-signature.eml'));
    const kinds = view.blocks.map((b) => `${b.kind}:${b.depth}`);
    expect(kinds).toEqual(['text:0', 'quote:1', 'quote:2', 'quote:1', 'text:0', 'signature:0']);
    expect(
      view.blocks
        .filter((b) => b.kind !== 'notice')
        .map((b) => b.text)
        .join('\n'),
    ).toBe(view.text);
  });
});
