/**
 * The decoding pieces one by one: encoded words, parameters, charsets, transfer
 * encodings, uuencode, dates, calendar summaries, HTML conversion and blocks.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classifyBlocks, quoteDepth } from '../../src/core/mime/blocks.js';
import { summarizeCalendar } from '../../src/core/mime/calendar.js';
import {
  decodeBytes,
  decodeUtf7,
  decodeWindows1252,
  isKnownCharset,
} from '../../src/core/mime/charset.js';
import {
  decodeWords,
  fileNameFromHeader,
  parseAddressList,
  parseHeaderBlock,
  parseStructuredValue,
  withDecodedNames,
} from '../../src/core/mime/header-values.js';
import { decodeMessageHeader, parseMailDate } from '../../src/core/mime/headers.js';
import { htmlToReadableText, nestingDepth, stripTags } from '../../src/core/mime/html.js';
import {
  base64DecodedSize,
  createTransferDecoder,
  decodeTransferEncoding,
  estimateDecodedSize,
} from '../../src/core/mime/transfer.js';
import { decodeUuencodedBlocks } from '../../src/core/mime/uuencode.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('decodeWords (RFC 2047)', () => {
  it('decodes B and Q words in several charsets', () => {
    expect(decodeWords('=?iso-8859-1?q?caf=E9?=')).toBe('café');
    expect(decodeWords('=?UTF-8?B?4oKs?=')).toBe('€');
    expect(decodeWords('=?koi8-r?b?8NLJ18XU?=')).toBe('Привет');
    expect(decodeWords('=?utf-8?q?a_b?=')).toBe('a b');
  });

  it('drops white space between adjacent words and joins split characters', () => {
    const euro = Buffer.from('€', 'utf8');
    const split = `=?utf-8?B?${euro.subarray(0, 1).toString('base64')}?= =?utf-8?B?${euro.subarray(1).toString('base64')}?=`;
    expect(decodeWords(split)).toBe('€');
    expect(decodeWords('=?utf-8?q?a?= \r\n =?utf-8?q?b?= c')).toBe('ab c');
  });

  it('keeps text around words and leaves broken words alone', () => {
    expect(decodeWords('Re: =?utf-8?q?hi?= there')).toBe('Re: hi there');
    expect(decodeWords('=?utf-8?q?unterminated')).toBe('=?utf-8?q?unterminated');
    expect(decodeWords('=?x-nope?q?plain?=')).toBe('plain');
  });

  it('passes control characters through (display sanitises them)', () => {
    expect(decodeWords('=?utf-8?q?a=1B=5B2J?=')).toBe('a\x1b[2J');
  });
});

describe('raw bytes in encoded words and address names', () => {
  it('keeps raw 8-bit characters inside a word and decodes UTF-7 words', () => {
    // As parseHeaderBlock hands them over: a Latin-1 byte already read as `ö`.
    expect(decodeWords('=?iso-8859-1?Q?Fr\u00f6sche?=')).toBe('Frösche');
    expect(decodeWords('=?utf-8?Q?H=C3=A4sin_Fr\u00f6sche?=')).toBe('Häsin Frösche');
    expect(decodeWords('=?utf-7?Q?Fr+APY-sche?=')).toBe('Frösche');
  });

  it('parses address lists with groups, quotes, comments and encoded names', () => {
    expect(
      parseAddressList(
        'Team: a@example.test, "B, =?utf-8?q?B=C3=A9e?=" <b@example.test>;, c@example.test (Cee)',
      ),
    ).toEqual([
      { name: '', address: 'a@example.test' },
      { name: 'B, Bée', address: 'b@example.test' },
      { name: 'Cee', address: 'c@example.test' },
    ]);
    expect(parseAddressList('undisclosed-recipients:;')).toEqual([]);
    expect(parseAddressList('"a \\"q\\" b" <q@x>, <r@x')).toEqual([
      { name: 'a "q" b', address: 'q@x' },
      { name: '', address: 'r@x' },
    ]);
  });

  it('puts our decoded names on addresses another parser found, matched by address', () => {
    const theirs = [
      { name: 'Fr+APY-sche', address: 'F@example.test' },
      { name: 'Kept', address: 'other@example.test' },
    ];
    expect(withDecodedNames(theirs, '=?utf-7?Q?Fr+APY-sche?= <f@example.test>')).toEqual([
      { name: 'Frösche', address: 'F@example.test' },
      { name: 'Kept', address: 'other@example.test' },
    ]);
  });
});

describe('parseStructuredValue', () => {
  it('reads the value and parameters, quoted or not, without comments', () => {
    expect(parseStructuredValue('Text/Plain; charset="UTF-8"; format=flowed (comment)')).toEqual({
      value: 'text/plain',
      params: { charset: 'UTF-8', format: 'flowed' },
    });
    expect(parseStructuredValue('attachment; filename="a;b \\"c\\".txt"').params.filename).toBe(
      'a;b "c".txt',
    );
  });

  it('joins RFC 2231 continuations and decodes their charset', () => {
    const value =
      'attachment; filename*0*=utf-8\'\'%C3%9Cber; filename*1*=%20M%C3%A4rz; filename*2=".pdf"';
    expect(parseStructuredValue(value).params.filename).toBe('Über März.pdf');
    expect(parseStructuredValue("a; name*=iso-8859-1'fr'R%E9sum%E9").params.name).toBe('Résumé');
  });

  it('prefers the RFC 2231 form and does not decode it again as RFC 2047', () => {
    const value =
      'attachment; filename="plain.txt"; filename*=utf-8\'\'a%3D%3Futf-8%3FQ%3F%3D2Eexe%3F%3D';
    expect(parseStructuredValue(value).params.filename).toBe('a=?utf-8?Q?=2Eexe?=');
  });

  it('keeps raw non-ASCII characters of an RFC 2231 value as they are', () => {
    // As parseHeaderBlock hands a raw Latin-1 byte over: already `ö`.
    expect(
      parseStructuredValue("attachment; filename*=iso-8859-1''Hasen%20und%20Fr\u00f6sche.txt")
        .params.filename,
    ).toBe('Hasen und Frösche.txt');
    const head = Buffer.concat([
      Buffer.from('Content-Type: text/plain; name="Fr'),
      Buffer.from([0xf6]),
      Buffer.from('sche.txt"\r\n\r\n'),
    ]);
    expect(fileNameFromHeader(head)).toBe('Frösche.txt');
  });

  it('decodes RFC 2047 words in plain parameter values', () => {
    expect(parseStructuredValue('a; name="=?utf-8?B?4oKsLnBkZg==?="').params.name).toBe('€.pdf');
  });
});

describe('parseHeaderBlock', () => {
  it('unfolds, keeps order and decodes raw UTF-8', () => {
    const fields = parseHeaderBlock(
      Buffer.from('Subject: a\r\n long\r\nX-A: 1\r\nX-A: 2\nFrom: Jürgen <j@x>\r\n\r\n'),
    );
    expect(fields.map((f) => [f.name, f.value])).toEqual([
      ['Subject', 'a long'],
      ['X-A', '1'],
      ['X-A', '2'],
      ['From', 'Jürgen <j@x>'],
    ]);
  });

  it('reads 8-bit bytes that are not UTF-8 as windows-1252', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: '),
      Buffer.from([0x93, 0x41, 0x94]),
      Buffer.from('\r\n'),
    ]);
    expect(parseHeaderBlock(raw)[0]!.value).toBe('“A”');
  });
});

describe('charsets', () => {
  it('decodes windows-1252 bytes Node 20 TextDecoder drops', () => {
    expect(decodeWindows1252(Uint8Array.from([0x93, 0x80, 0x94, 0xe9]))).toBe('“€”é');
    expect(decodeBytes(Uint8Array.from([0x93, 0x41, 0x94]), 'iso-8859-1')).toBe('“A”');
  });

  it('decodes legacy CJK and Cyrillic charsets', () => {
    expect(decodeBytes(Buffer.from('82b182f1', 'hex'), 'Shift_JIS')).toBe('こん');
    expect(decodeBytes(Buffer.from('c4e3bac3', 'hex'), 'gb18030')).toBe('你好');
    expect(decodeBytes(Buffer.from('f0d2', 'hex'), 'koi8-r')).toBe('Пр');
    expect(decodeBytes(Buffer.from('bec8', 'hex'), 'ks_c_5601-1987')).toBe('안');
  });

  it('falls back to UTF-8, then windows-1252, for unknown charsets', () => {
    expect(decodeBytes(Buffer.from('é', 'utf8'), 'x-nonsense')).toBe('é');
    expect(decodeBytes(Uint8Array.from([0xe9]), 'x-nonsense')).toBe('é');
    expect(isKnownCharset('x-nonsense')).toBe(false);
    expect(isKnownCharset('UTF-7')).toBe(true);
  });

  it('decodes UTF-7, which mailparser leaves alone', () => {
    expect(decodeUtf7('Hi Mom -+Jjo--!')).toBe('Hi Mom -☺-!');
    expect(decodeUtf7('+ZeVnLIqe-')).toBe('日本語');
    expect(decodeUtf7('1 +- 1 = 2')).toBe('1 + 1 = 2');
    expect(decodeUtf7('+AGEAYgBj.')).toBe('abc.');
  });
});

describe('transfer encodings', () => {
  it('decodes base64, skipping junk and handling concatenated padding', () => {
    expect(decodeTransferEncoding(Buffer.from('SGVs\r\nbG8=\r\n'), 'base64').toString()).toBe(
      'Hello',
    );
    expect(decodeTransferEncoding(Buffer.from('SGVs!!bG8='), 'BASE64').toString()).toBe('Hello');
    expect(decodeTransferEncoding(Buffer.from('QQ==QQ=='), 'base64').toString()).toBe('AA');
  });

  it('decodes quoted-printable with soft breaks and keeps broken escapes', () => {
    const qp = 'caf=C3=A9 =\r\nsoft=\nbare =ZZ end=3D\r\nline two';
    expect(decodeTransferEncoding(Buffer.from(qp), 'quoted-printable').toString()).toBe(
      'café softbare =ZZ end=\r\nline two',
    );
  });

  it('passes 7bit, 8bit, binary and unknown encodings through', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    for (const encoding of ['7bit', '8bit', 'binary', 'x-strange', '']) {
      expect(decodeTransferEncoding(bytes, encoding)).toEqual(bytes);
    }
  });

  it('streams base64 and quoted-printable across any chunk boundary', async () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const b64 = data.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const qp = 'a=3Db=\r\nc=C3=A9'.repeat(50);
    for (const size of [1, 2, 3, 5, 77, 1000]) {
      const chunks = (text: string) =>
        Readable.from(
          Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
            Buffer.from(text.slice(i * size, (i + 1) * size)),
          ),
        );
      expect(await collect(chunks(b64).pipe(createTransferDecoder('base64')))).toEqual(data);
      expect(
        (await collect(chunks(qp).pipe(createTransferDecoder('quoted-printable')))).toString(),
      ).toBe('a=bcé'.repeat(50));
    }
  });

  it('knows decoded sizes', () => {
    const raw = Buffer.from(
      Buffer.alloc(1000, 7)
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n'),
    );
    expect(base64DecodedSize(raw)).toBe(1000);
    expect(Math.abs(estimateDecodedSize(raw.length, 'base64') - 1000)).toBeLessThan(20);
    expect(estimateDecodedSize(500, '7bit')).toBe(500);
    // x-uuencode: 45 bytes per 63-byte line, not the encoded size (+43 %).
    const uu = readFileSync(new URL('../fixtures/eml/x-uuencode-image.eml', import.meta.url));
    const start = uu.indexOf('begin 644 frog.png');
    const encoded = uu.subarray(start, uu.indexOf('end', start) + 3).length;
    expect(Math.abs(estimateDecodedSize(encoded, 'x-uuencode') / 1308 - 1)).toBeLessThan(0.03);
  });
});

describe('uuencode', () => {
  it('finds and decodes files, and ignores what is not uuencode', () => {
    const text =
      'Hi\nbegin 644 a.txt\n#86)C\n`\nend\nbye\nbegin 644 bad.txt\nnot uuencode~~~\nend\n';
    const blocks = decodeUuencodedBlocks(text);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.filename).toBe('a.txt');
    expect(blocks[0]!.content.toString()).toBe('abc');
    expect(text.slice(blocks[0]!.start, blocks[0]!.end)).toBe('begin 644 a.txt\n#86)C\n`\nend\n');
  });

  it('needs the end line', () => {
    expect(decodeUuencodedBlocks('begin 644 a.txt\n#86)C\n`\n')).toEqual([]);
  });
});

describe('parseMailDate', () => {
  it.each([
    ['Tue, 2 Jan 2024 10:00:00 +0100', Date.UTC(2024, 0, 2, 9, 0)],
    ['2 Jan 2024 10:00 GMT', Date.UTC(2024, 0, 2, 10, 0)],
    ['Fri, 21 Nov 97 09:55:06 PST (Pacific)', Date.UTC(1997, 10, 21, 17, 55, 6)],
    ['Mon, 01 Jan 2024 00:00:00 +0000 (UTC)', Date.UTC(2024, 0, 1)],
    ['2024-03-04T05:06:07Z', Date.UTC(2024, 2, 4, 5, 6, 7)],
    ['Tue Jan  2 10:00:00 2024', Date.UTC(2024, 0, 2, 10, 0)],
    ['Tue, 2 Jan 2024 10:00:00 +0000\x1b[2J', Date.UTC(2024, 0, 2, 10, 0)],
    // Numeric zones written loosely: no leading zero, a colon, after GMT/UTC, hours only.
    ['Tue, 2 Jan 2024 10:00:00 -600', Date.UTC(2024, 0, 2, 16, 0)],
    ['Tue, 2 Jan 2024 10:00:00 +530', Date.UTC(2024, 0, 2, 4, 30)],
    ['Tue, 2 Jan 2024 10:00:00 GMT+0200', Date.UTC(2024, 0, 2, 8, 0)],
    ['Tue, 2 Jan 2024 10:00:00 GMT-0500 (EST)', Date.UTC(2024, 0, 2, 15, 0)],
    ['Tue, 2 Jan 2024 10:00:00 UTC+2', Date.UTC(2024, 0, 2, 8, 0)],
    ['Tue, 2 Jan 2024 10:00:00 +02:00', Date.UTC(2024, 0, 2, 8, 0)],
    ['Tue, 2 Jan 2024 10:00 -06:30', Date.UTC(2024, 0, 2, 16, 30)],
    ['Tue Jan  2 10:00:00 GMT+0200 2024', Date.UTC(2024, 0, 2, 8, 0)],
  ])('reads %j', (value, expected) => {
    expect(parseMailDate(value)).toBe(expected);
  });

  it.each([
    '',
    'garbage',
    'garbage 2024',
    'sometime next week',
    '31 Feb 2024 10:00 +0000',
    '2 Foo 2024 10:00',
  ])('gives null for %j', (value) => {
    expect(parseMailDate(value)).toBeNull();
  });
});

describe('decodeMessageHeader', () => {
  it('decodes subject, addresses with groups, ids and keeps date null when invalid', async () => {
    const header = Buffer.from(
      'From: =?utf-8?q?J=C3=BCrgen?= <j@example.test>\r\n' +
        'To: Team: a@example.test, "B, Bee" <b@example.test>;, c@example.test\r\n' +
        'To: d@example.test\r\n' +
        'Subject: =?utf-8?b?4pyTIGRvbmU=?=\r\n' +
        'Date: not a date\r\n' +
        'Message-ID: <m1@example.test>\r\n' +
        'References: <r1@x> <r2@x>\r\n\r\n',
    );
    const decoded = await decodeMessageHeader(header);
    expect(decoded.from).toEqual([{ name: 'Jürgen', address: 'j@example.test' }]);
    expect(decoded.to.map((a) => a.address)).toEqual([
      'a@example.test',
      'b@example.test',
      'c@example.test',
      'd@example.test',
    ]);
    expect(decoded.to[1]!.name).toBe('B, Bee');
    expect(decoded.subject).toBe('✓ done');
    expect(decoded.date).toBeNull();
    expect(decoded.messageId).toBe('<m1@example.test>');
    expect(decoded.references).toEqual(['<r1@x>', '<r2@x>']);
    expect(decoded.headers.map((h) => h.key)).toEqual([
      'From',
      'To',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'References',
    ]);
  });
});

describe('summarizeCalendar', () => {
  it('summarises an invitation in the user zone, resolving TZID times', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      'SUMMARY:Plan\\, review',
      'DTSTART;TZID=Europe/Berlin:20240701T090000',
      'DTEND;TZID=Europe/Berlin:20240701T100000',
      'LOCATION:Room 1\\nFloor 2',
      'ORGANIZER;CN=Bob:mailto:bob@example.test',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    expect(summarizeCalendar(ics, { timeZone: 'UTC' })).toBe(
      [
        'Calendar invitation',
        'Event: Plan, review',
        'When: Mon, 1 Jul 2024 07:00 +00:00 – 08:00 +00:00',
        'Where: Room 1 Floor 2',
        'Organizer: Bob <bob@example.test>',
      ].join('\n'),
    );
  });

  it('handles all-day events, cancellations, folded lines and no events', () => {
    const ics =
      'BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nSUMMARY:Long\r\n  title\r\nDTSTART;VALUE=DATE:20240105\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR';
    expect(summarizeCalendar(ics)).toBe(
      'Calendar cancellation\nEvent: Long title\nWhen: 5 Jan 2024 (all day)\nStatus: cancelled',
    );
    expect(summarizeCalendar('BEGIN:VCALENDAR\r\nEND:VCALENDAR')).toBeNull();
    expect(summarizeCalendar('garbage')).toBeNull();
  });
});

describe('htmlToReadableText', () => {
  it('numbers links as footnotes, reusing numbers for the same target', () => {
    const html =
      '<p><a href="https://a.test">A</a>, <a href="https://b.test">B</a>, <a href="https://a.test">A again</a></p>';
    const out = htmlToReadableText(html);
    expect(out.text).toBe('A[1], B[2], A again[1]');
    expect(out.links).toEqual(['https://a.test', 'https://b.test']);
  });

  it('continues the numbering of an earlier part', () => {
    const out = htmlToReadableText('<a href="https://c.test">C</a>', 3);
    expect(out.text).toBe('C[3]');
    expect(out.links).toEqual(['https://c.test']);
  });

  it('drops scripts, styles, hidden elements, tracking pixels and unsafe links', () => {
    const out = htmlToReadableText(
      '<style>x{}</style><script>evil()</script><span style="display: none">pre</span>' +
        '<p>Body <a href="javascript:x()">js</a> <a href="cid:1">cid</a></p>' +
        '<img src="https://t.test/p" width="1" height="1"><img src="https://x.test/i" alt="Chart">',
    );
    expect(out.text).toBe('Body js cid\n\n[image: Chart]');
    expect(out.links).toEqual([]);
  });

  it('lays tables out as rows of cells', () => {
    const out = htmlToReadableText(
      '<table><tr><th>Name</th><th>Qty</th></tr><tr><td>Pen</td><td>2</td></tr></table>',
    );
    expect(out.text).toBe('Name  Qty\nPen  2');
  });

  it('falls back to stripped text for absurd nesting, quickly and with a note', () => {
    const deep = '<div>'.repeat(50_000) + 'deep text' + '</div>'.repeat(50_000);
    expect(nestingDepth(deep)).toBe(50_000);
    const out = htmlToReadableText(deep);
    expect(out.text).toBe('deep text');
    expect(out.notes[0]).toMatch(/nested too deeply/);
    const unclosed = htmlToReadableText('<b>'.repeat(100_000) + 'bold');
    expect(unclosed.text).toBe('bold');
  });

  it('strips tags and decodes entities without a parser', () => {
    expect(stripTags('<p>a &amp; b&#33;</p><br>c &#x1b;[2J <script>x</script>')).toBe(
      'a & b!\n\nc \x1b[2J ',
    );
  });
});

describe('classifyBlocks', () => {
  it('measures quote depth with or without spaces', () => {
    expect(quoteDepth('> a')).toBe(1);
    expect(quoteDepth('>> a')).toBe(2);
    expect(quoteDepth('> > > a')).toBe(3);
    expect(quoteDepth('a > b')).toBe(0);
  });

  it('splits text, quotes and the signature, and gives back the text', () => {
    const text = 'Hi\n> q1\n>> q2\n\nThanks\n-- \nAlice\n> quoted after sig';
    const blocks = classifyBlocks(text);
    expect(blocks.map((b) => [b.kind, b.depth, b.text])).toEqual([
      ['text', 0, 'Hi'],
      ['quote', 1, '> q1'],
      ['quote', 2, '>> q2'],
      ['text', 0, '\nThanks'],
      ['signature', 0, '-- \nAlice'],
      ['quote', 1, '> quoted after sig'],
    ]);
    expect(blocks.map((b) => b.text).join('\n')).toBe(text);
  });

  it('treats a bare -- as a separator only near the end', () => {
    expect(classifyBlocks('a\n--\nsig').map((b) => b.kind)).toEqual(['text', 'signature']);
    const long = ['a', '--', ...Array.from({ length: 20 }, () => 'more text')].join('\n');
    expect(classifyBlocks(long).map((b) => b.kind)).toEqual(['text']);
  });
});
