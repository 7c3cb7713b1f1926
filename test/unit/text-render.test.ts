import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/core/types.js';
import { formatAddressList, formatDateTime, formatSize } from '../../src/core/text/format.js';
import { renderMessage, renderMessageText } from '../../src/core/text/render-message.js';
import { isTerminalSafe } from '../../src/core/text/sanitize.js';
import { cellWidth } from '../../src/core/text/width.js';

const ESC = '\x1b';

function view(overrides: Partial<MessageView> = {}): MessageView {
  return {
    uid: 7,
    subject: 'Quarterly numbers',
    from: [{ name: 'Alice Example', address: 'alice@example.test' }],
    to: [{ name: '', address: 'bob@example.test' }],
    cc: [],
    bcc: [],
    replyTo: [],
    date: Date.UTC(2024, 0, 2, 9, 30),
    messageId: '<1@example.test>',
    inReplyTo: '',
    references: [],
    text: 'Hello Bob.',
    blocks: [{ kind: 'text', depth: 0, text: 'Hello Bob.' }],
    links: [],
    attachments: [],
    notes: [],
    headers: [],
    ...overrides,
  };
}

describe('renderMessageText', () => {
  it('shows the headers, then the body', () => {
    const lines = renderMessageText(view(), { width: 80, timeZone: 'UTC' });
    expect(lines).toEqual([
      'From: Alice Example <alice@example.test>',
      'To: bob@example.test',
      'Date: Tue, 2 Jan 2024 09:30 +00:00',
      'Subject: Quarterly numbers',
      '',
      'Hello Bob.',
    ]);
  });

  it('shows the date in the given time zone', () => {
    const lines = renderMessageText(view(), { width: 80, timeZone: 'Asia/Tokyo' });
    expect(lines).toContain('Date: Tue, 2 Jan 2024 18:30 +09:00');
  });

  it('shows Cc, Bcc and Reply-To only when present, and placeholders for missing values', () => {
    const lines = renderMessageText(
      view({
        cc: [{ name: 'Carol', address: 'carol@example.test' }],
        replyTo: [{ name: '', address: 'list@example.test' }],
        date: null,
        subject: '',
      }),
      { width: 80 },
    );
    expect(lines).toContain('Cc: Carol <carol@example.test>');
    expect(lines).toContain('Reply-To: list@example.test');
    expect(lines).toContain('Date: (unknown)');
    expect(lines).toContain('Subject: (no subject)');
    expect(lines.some((l) => l.startsWith('Bcc:'))).toBe(false);
  });

  it('limits long recipient lists and wraps them under the label', () => {
    const to = Array.from({ length: 5000 }, (_, i) => ({
      name: '',
      address: `user${i}@example.test`,
    }));
    const lines = renderMessageText(view({ to }), { width: 60, maxAddresses: 5 });
    const header = lines.slice(
      1,
      lines.findIndex((l) => l.startsWith('Date:')),
    );
    expect(header.join(' ')).toContain('(and 4,995 more)');
    expect(header[0]!.startsWith('To: user0@example.test')).toBe(true);
    for (const line of header.slice(1)) expect(line.startsWith('    ')).toBe(true);
  });

  it('wraps quoted lines and keeps their prefix', () => {
    const quote = '> ' + 'word '.repeat(30).trim();
    const rendered = renderMessage(
      view({ blocks: [{ kind: 'quote', depth: 1, text: quote }], text: quote }),
      { width: 30, hideHeaders: true },
    );
    expect(rendered.length).toBeGreaterThan(3);
    for (const line of rendered) {
      expect(line.kind).toBe('quote');
      expect(line.text.startsWith('> ')).toBe(true);
      expect(cellWidth(line.text)).toBeLessThanOrEqual(30);
    }
  });

  it('lists links and attachments with name, type and size', () => {
    const lines = renderMessageText(
      view({
        links: ['https://example.test/report'],
        attachments: [
          {
            id: '2',
            filename: 'report.pdf',
            contentType: 'application/pdf',
            size: 1_258_291,
            inline: false,
            contentId: null,
          },
        ],
        notes: ['Part 3 was not fetched.'],
      }),
      { width: 80, hideHeaders: true },
    );
    expect(lines).toContain('Links:');
    expect(lines).toContain('[1] https://example.test/report');
    expect(lines).toContain('Attachments:');
    expect(lines).toContain('  1. report.pdf (application/pdf, 1.2 MB)');
    expect(lines).toContain('! Part 3 was not fetched.');
  });

  it('shortens a long type before the name, and the name only when it must', () => {
    const attachment = (filename: string) => ({
      id: '2',
      filename,
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      size: 20_480,
      inline: false,
      contentId: null,
    });
    const render = (filename: string, width: number) =>
      renderMessageText(view({ attachments: [attachment(filename)] }), {
        width,
        hideHeaders: true,
      }).at(-1)!;
    const name = 'Übersicht Quartalszahlen 2026.xlsx';
    expect(render(name, 200)).toBe(
      `  1. ${name} (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, 20 KB)`,
    );
    const shortened = render(name, 80);
    expect(shortened).toMatch(
      /^ {2}1\. Übersicht Quartalszahlen 2026\.xlsx \(application\/vnd\.\S*…, 20 KB\)$/,
    );
    expect(cellWidth(shortened)).toBe(80);
    expect(render(name, 50)).toBe(`  1. ${name} (20 KB)`);
    const narrow = render(name, 30);
    expect(narrow).toMatch(/^ {2}1\. Übersicht.*… \(20 KB\)$/);
    expect(cellWidth(narrow)).toBeLessThanOrEqual(30);
  });

  it('sanitises every field and keeps every line inside the width', () => {
    const hostile = `${ESC}]0;title\x07${ESC}[2J\u202Eevil\r\nBcc: x\u009b`;
    const lines = renderMessageText(
      view({
        subject: hostile,
        from: [{ name: hostile, address: `a${ESC}[6n@example.test` }],
        to: [{ name: hostile, address: 'b@example.test' }],
        blocks: [
          { kind: 'text', depth: 0, text: `${hostile}\ttab\rcr` },
          { kind: 'notice', depth: 0, text: hostile },
          { kind: 'signature', depth: 0, text: hostile },
        ],
        links: [hostile],
        attachments: [
          {
            id: '2',
            filename: hostile,
            contentType: hostile,
            size: 1,
            inline: true,
            contentId: null,
          },
        ],
        notes: [hostile],
      }),
      { width: 40 },
    );
    for (const line of lines) {
      expect(isTerminalSafe(line, { multiline: false })).toBe(true);
      expect(cellWidth(line)).toBeLessThanOrEqual(40);
    }
    expect(lines.join('\n')).toContain('␛]0;title␇␛[2Jevil');
  });

  it('separates notices from the text around them', () => {
    const lines = renderMessageText(
      view({
        blocks: [
          { kind: 'notice', depth: 0, text: 'Calendar invitation' },
          { kind: 'text', depth: 0, text: 'Body' },
        ],
      }),
      { width: 80, hideHeaders: true },
    );
    expect(lines).toEqual(['Calendar invitation', '', 'Body']);
  });
});

describe('formatters', () => {
  it('formats sizes for people', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(20 * 1024 * 1024)).toBe('20 MB');
  });

  it('formats dates with an explicit offset and survives an unknown zone', () => {
    expect(formatDateTime(Date.UTC(2024, 6, 1, 12, 0), { timeZone: 'Europe/Berlin' })).toBe(
      'Mon, 1 Jul 2024 14:00 +02:00',
    );
    expect(formatDateTime(0, { timeZone: 'Not/AZone' })).toMatch(/1970|1969/);
  });

  it('lists addresses with a count of the rest', () => {
    const list = [
      { name: 'A', address: 'a@x' },
      { name: '', address: 'b@x' },
      { name: 'C', address: 'c@x' },
    ];
    expect(formatAddressList(list)).toBe('A <a@x>, b@x, C <c@x>');
    expect(formatAddressList(list, 1)).toBe('A <a@x> (and 2 more)');
  });
});
