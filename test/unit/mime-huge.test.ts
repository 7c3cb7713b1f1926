/**
 * Big and pathological messages, generated here rather than committed: a 20 MB
 * attachment, 50 levels of nesting, 5,000 recipients, more parts and larger
 * headers than mailparser accepts, absurd HTML nesting, and random bytes.
 * Each must give something sensible and never throw or hang.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  chooseTextParts,
  createTransferDecoder,
  messageFromParts,
  parseMessage,
  scanMessage,
  structureFromSource,
} from '../../src/core/mime/index.js';
import type { MessageView } from '../../src/core/types.js';
import { renderMessageText } from '../../src/core/text/render-message.js';
import { isTerminalSafe } from '../../src/core/text/sanitize.js';

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

function expectSafeRender(view: MessageView): string {
  const lines = renderMessageText(view, { width: 80, timeZone: 'UTC' });
  for (const line of lines) expect(isTerminalSafe(line, { multiline: false })).toBe(true);
  return lines.join('\n');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('a message with a 20 MB attachment', () => {
  const payload = randomBytes(20 * 1024 * 1024);
  const encoded = payload.toString('base64').replace(/(.{76})/g, '$1\r\n');
  const source = Buffer.from(
    crlf(`From: Alice <alice@example.test>
To: bob@example.test
Subject: the big one
Date: Tue, 02 Jan 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="big"

--big
Content-Type: text/plain; charset=utf-8

The text of a message with a huge attachment.
--big
Content-Type: application/octet-stream; name="disk.img"
Content-Disposition: attachment; filename="disk.img"
Content-Transfer-Encoding: base64

`) +
      encoded +
      '\r\n--big--\r\n',
  );

  it('shows the text and lists the attachment with its exact size', async () => {
    const view = await parseMessage(source);
    expect(view.text).toBe('The text of a message with a huge attachment.');
    expect(view.attachments).toEqual([
      {
        id: '2',
        filename: 'disk.img',
        contentType: 'application/octet-stream',
        size: payload.length,
        sizeExact: true,
        inline: false,
        contentId: null,
      },
    ]);
    expect(expectSafeRender(view)).toContain('1. disk.img (application/octet-stream, 20 MB)');
  });

  it('needs well under 1 MB of downloads to show the text the partial way', async () => {
    const structure = structureFromSource(source);
    const scan = scanMessage(source);
    const chosen = chooseTextParts(structure);
    expect(chosen.map((p) => p.part)).toEqual(['1']);
    const first = scan.root.childNodes[0]!;
    const parts = new Map([['1', source.subarray(first.bodyStart, first.bodyEnd)]]);
    const fetched = scan.header.length + [...parts.values()].reduce((n, b) => n + b.length, 0);
    expect(fetched).toBeLessThan(1024 * 1024);
    const view = await messageFromParts({ uid: 9, header: scan.header, structure, parts });
    expect(view.text).toBe('The text of a message with a huge attachment.');
    expect(view.attachments[0]!.size).toBeGreaterThan(20_000_000);
  });

  it('streams the attachment out with identical bytes', async () => {
    const scan = scanMessage(source);
    const attachment = scan.root.childNodes[1]!;
    const raw = source.subarray(attachment.bodyStart, attachment.bodyEnd);
    // Feed it in 64 KiB chunks, as a socket would.
    const chunks = Array.from({ length: Math.ceil(raw.length / 65536) }, (_, i) =>
      raw.subarray(i * 65536, (i + 1) * 65536),
    );
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(createTransferDecoder('base64'))) {
      out.push(chunk as Buffer);
    }
    expect(sha256(Buffer.concat(out))).toBe(sha256(payload));
  });
});

describe('deep nesting', () => {
  function nested(levels: number): Buffer {
    let body = 'Content-Type: text/plain; charset=utf-8\n\nthe deepest leaf\n';
    for (let level = levels; level > 0; level--) {
      body = `Content-Type: multipart/mixed; boundary="level${level}"\n\n--level${level}\n${body}--level${level}--\n`;
    }
    return Buffer.from(crlf(`From: a@example.test\nSubject: nested\n${body}`));
  }

  it('reads 50 levels of nested multipart', async () => {
    const view = await parseMessage(nested(50));
    expect(view.text).toBe('the deepest leaf');
    expect(view.notes).toEqual([]);
    const structure = structureFromSource(nested(50));
    expect(chooseTextParts(structure)[0]!.part).toBe(Array(50).fill('1').join('.'));
  });

  it('stops at 100 levels with a note instead of recursing without end', async () => {
    const view = await parseMessage(nested(300));
    expect(view.text).toBe('');
    expect(view.notes.join(' ')).toMatch(/deeper than 100 levels/);
  });

  it('reduces absurdly nested HTML to its text', async () => {
    const html = '<div>'.repeat(20_000) + 'inner words' + '</div>'.repeat(20_000);
    const view = await parseMessage(
      Buffer.from(crlf(`Subject: deep html\nContent-Type: text/html\n\n`) + html),
    );
    expect(view.text).toBe('inner words');
    expect(view.notes.join(' ')).toMatch(/nested too deeply/);
  });
});

describe('many recipients, parts and header bytes', () => {
  it('reads 5,000 recipients and shows a few of them', async () => {
    const to = Array.from({ length: 5000 }, (_, i) => `"User ${i}" <user${i}@example.test>`).join(
      ',\r\n ',
    );
    const source = Buffer.from(
      crlf(`From: list@example.test\nSubject: everyone\n`) + `To: ${to}\r\n\r\nhi\r\n`,
    );
    const view = await parseMessage(source);
    expect(view.to).toHaveLength(5000);
    expect(view.to[4999]).toEqual({ name: 'User 4999', address: 'user4999@example.test' });
    const shown = expectSafeRender(view);
    expect(shown).toContain('To: User 0 <user0@example.test>, User 1 <user1@example.test>');
    expect(shown).toContain('(and 4,975 more)');
  });

  it('shows what it can of a message with more parts than the limit', async () => {
    const parts = Array.from(
      { length: 1500 },
      (_, i) =>
        `--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${i}.bin"\r\n\r\nx\r\n`,
    ).join('');
    const source = Buffer.from(
      crlf(
        `Subject: many parts\nContent-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\n\nfirst text\n`,
      ) +
        parts +
        '--p--\r\n',
    );
    const view = await parseMessage(source);
    expect(view.text).toBe('first text');
    expect(view.attachments.length).toBe(998);
    expect(view.notes.join(' ')).toMatch(/more than 1000 parts/);
  });

  it('reads the important fields of a header larger than mailparser accepts', async () => {
    const noise = Array.from({ length: 30_000 }, (_, i) => `X-Noise-${i}: ${'n'.repeat(40)}`).join(
      '\r\n',
    );
    const source = Buffer.from(
      `From: Alice <alice@example.test>\r\nSubject: =?utf-8?q?big_header_=E2=9C=93?=\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\n${noise}\r\n\r\nstill the body\r\n`,
    );
    expect(source.length).toBeGreaterThan(1024 * 1024);
    const view = await parseMessage(source);
    expect(view.subject).toBe('big header ✓');
    expect(view.from).toEqual([{ name: 'Alice', address: 'alice@example.test' }]);
    expect(view.date).toBe(Date.UTC(2024, 0, 2, 10, 0));
    expect(view.text).toBe('still the body');
    expect(view.notes.join(' ')).toMatch(/header/);
  });
});

describe('garbage in', () => {
  it('never throws on empty, binary or truncated input', async () => {
    const samples = [
      Buffer.alloc(0),
      Buffer.from('\r\n\r\n'),
      Buffer.from('no header at all, just words'),
      Buffer.from(
        'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain',
      ),
      Buffer.from(
        'Content-Type: text/plain; charset=\r\nContent-Transfer-Encoding: base64\r\n\r\n====',
      ),
      Buffer.from('Content-Type: message/rfc822\r\n\r\nSubject: inner'),
    ];
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 30; i++) {
      const bytes = Buffer.from(Array.from({ length: 2000 }, () => Math.floor(random() * 256)));
      samples.push(
        Buffer.concat([
          Buffer.from('Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n'),
          bytes,
        ]),
      );
      samples.push(bytes);
    }
    for (const sample of samples) {
      const view = await parseMessage(sample);
      expectSafeRender(view);
    }
  });
});
