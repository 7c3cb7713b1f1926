/**
 * The structure side of reading: the scanner's BodyPart tree (IMAP part
 * numbers, as BODYSTRUCTURE gives them), which parts are shown and which are
 * listed, and building a view from fetched parts only.
 */
import { describe, expect, it } from 'vitest';
import {
  attachmentsFromStructure,
  chooseTextParts,
  messageFromParts,
  planParts,
  structureFromSource,
} from '../../src/core/mime/index.js';
import { scanMessage } from '../../src/core/mime/structure.js';
import type { BodyPart } from '../../src/core/types.js';

function part(
  id: string,
  type: string,
  extra: Partial<BodyPart> = {},
  childNodes: BodyPart[] = [],
): BodyPart {
  return {
    part: id,
    type,
    parameters: {},
    encoding: '7bit',
    size: 100,
    disposition: null,
    filename: null,
    contentId: null,
    childNodes,
    ...extra,
  };
}

const crlf = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'));

describe('structureFromSource', () => {
  it('numbers parts the IMAP way and records types, parameters and sizes', () => {
    const source = crlf(`From: a@x
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=UTF-8; format=flowed

plain
--inner
Content-Type: text/html; charset=utf-8

<p>html</p>
--inner--
--outer
Content-Type: application/pdf; name="r.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: BASE64
Content-ID: <pdf@x>

JVBERg==
--outer--
`);
    const root = structureFromSource(source);
    expect(root.part).toBe('');
    expect(root.type).toBe('multipart/mixed');
    const [alternative, pdf] = root.childNodes;
    expect(alternative!.part).toBe('1');
    expect(alternative!.childNodes.map((p) => [p.part, p.type])).toEqual([
      ['1.1', 'text/plain'],
      ['1.2', 'text/html'],
    ]);
    expect(alternative!.childNodes[0]!.parameters).toEqual({ charset: 'UTF-8', format: 'flowed' });
    expect(alternative!.childNodes[0]!.size).toBe(5);
    expect(pdf).toMatchObject({
      part: '2',
      type: 'application/pdf',
      encoding: 'base64',
      disposition: 'attachment',
      filename: 'report.pdf',
      contentId: '<pdf@x>',
      size: 8,
    });
  });

  it('calls a single-part body part 1', () => {
    const root = structureFromSource(crlf('Subject: x\n\nbody\n'));
    expect(root).toMatchObject({ part: '1', type: 'text/plain', childNodes: [] });
  });

  it('records byte ranges that are exactly what BODY[part] returns', () => {
    const source = crlf(
      'Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\n\nsecond\r\n\n--b--\n',
    );
    const scan = scanMessage(source);
    const bodies = scan.root.childNodes.map((p) =>
      source.subarray(p.bodyStart, p.bodyEnd).toString(),
    );
    expect(bodies).toEqual(['first', 'second\r\n']);
    expect(scan.header.toString()).toBe('Content-Type: multipart/mixed; boundary=b\r\n\r\n');
  });

  it('does not take a longer boundary for the real one', () => {
    const source = crlf(
      'Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bb is text\n--b--\n',
    );
    const scan = scanMessage(source);
    expect(scan.root.childNodes).toHaveLength(1);
    const only = scan.root.childNodes[0]!;
    expect(source.subarray(only.bodyStart, only.bodyEnd).toString()).toBe('--bb is text');
  });

  it('stops at the part limit and the depth limit with notes', () => {
    const many =
      'Content-Type: multipart/mixed; boundary=m\n\n' +
      Array.from({ length: 30 }, (_, i) => `--m\n\npart ${i}\n`).join('') +
      '--m--\n';
    const limited = scanMessage(crlf(many), { maxParts: 10 });
    expect(limited.root.childNodes).toHaveLength(9);
    expect(limited.notes[0]).toMatch(/more than 10 parts/);

    let nested = 'leaf text\n';
    for (let level = 5; level > 0; level--) {
      nested = `Content-Type: multipart/mixed; boundary=n${level}\n\n--n${level}\n${nested}--n${level}--\n`;
    }
    const shallow = scanMessage(crlf(nested), { maxDepth: 3 });
    expect(shallow.notes.some((n) => /deeper than 3 levels/.test(n))).toBe(true);
  });
});

describe('choosing parts (chooseTextParts, attachmentsFromStructure)', () => {
  it("prefers the plain alternative, never picks attachments, and lists the HTML's images", () => {
    const structure = part('', 'multipart/mixed', {}, [
      part('1', 'multipart/alternative', {}, [
        part('1.1', 'text/plain'),
        part('1.2', 'multipart/related', {}, [
          part('1.2.1', 'text/html'),
          part('1.2.2', 'image/png', { contentId: '<i@x>', disposition: 'inline' }),
        ]),
      ]),
      part('2', 'application/pdf', {
        disposition: 'attachment',
        filename: 'big.pdf',
        size: 27_000_000,
        encoding: 'base64',
      }),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['1.1']);
    const attachments = attachmentsFromStructure(structure);
    // The image of the HTML alternative stays reachable though the plain text is shown.
    expect(attachments.map((a) => [a.id, a.filename, a.inline])).toEqual([
      ['1.2.2', 'part-1.2.2.png', true],
      ['2', 'big.pdf', false],
    ]);
    // 27 MB of base64 is about 19.7 MB of PDF.
    expect(attachments[1]!.size).toBeGreaterThan(19_000_000);
    expect(attachments[1]!.size).toBeLessThan(20_500_000);
  });

  it('takes HTML when there is no plain text, with its embedded images listed inline', () => {
    const structure = part('', 'multipart/related', {}, [
      part('1', 'text/html'),
      part('2', 'image/png', { contentId: '<i@x>', filename: 'logo.png' }),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['1']);
    expect(attachmentsFromStructure(structure).map((a) => [a.id, a.inline])).toEqual([['2', true]]);
  });

  it('prefers HTML over an empty plain alternative', () => {
    const structure = part('', 'multipart/alternative', {}, [
      part('1', 'text/plain', { size: 0 }),
      part('2', 'text/html'),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['2']);
  });

  it('shows every inline text part of a mixed message in order', () => {
    const structure = part('', 'multipart/mixed', {}, [
      part('1', 'text/html'),
      part('2', 'image/jpeg', { disposition: 'attachment', filename: 'a.jpg' }),
      part('3', 'text/plain'),
      part('4', 'text/plain', { disposition: 'attachment', filename: 'notes.txt' }),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['1', '3']);
    expect(attachmentsFromStructure(structure).map((a) => a.id)).toEqual(['2', '4']);
  });

  it('summarises calendar parts even in an alternative not shown, and lists them', () => {
    const structure = part('', 'multipart/alternative', {}, [
      part('1', 'text/plain'),
      part('2', 'text/html'),
      part('3', 'text/calendar', { parameters: { method: 'REQUEST' } }),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['1', '3']);
    expect(attachmentsFromStructure(structure).map((a) => [a.id, a.filename])).toEqual([
      ['3', 'invite-3.ics'],
    ]);
  });

  it('lists message/rfc822 parts without looking inside', () => {
    const structure = part('', 'multipart/mixed', {}, [
      part('1', 'text/plain'),
      part('2', 'message/rfc822', {}, [part('2.1', 'text/plain')]),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['1']);
    expect(
      attachmentsFromStructure(structure).map((a) => [a.id, a.filename, a.contentType]),
    ).toEqual([['2', 'message-2.eml', 'message/rfc822']]);
  });

  it('lists a too-large text part instead of showing it, with a note', () => {
    const structure = part('', 'multipart/mixed', {}, [
      part('1', 'text/plain'),
      part('2', 'text/plain', { size: 30_000_000, filename: 'server.log' }),
    ]);
    const plan = planParts(structure);
    expect(plan.text.map((p) => p.part)).toEqual(['1']);
    expect(plan.attachments.map((p) => p.part)).toEqual(['2']);
    expect(plan.notes[0]).toMatch(/too large to show/);
  });

  it('shows the signed content of multipart/signed and notes encryption', () => {
    const signed = part('', 'multipart/signed', {}, [
      part('1', 'text/plain'),
      part('2', 'application/pgp-signature'),
    ]);
    expect(chooseTextParts(signed).map((p) => p.part)).toEqual(['1']);
    const encrypted = part('', 'multipart/encrypted', {}, [
      part('1', 'application/pgp-encrypted'),
      part('2', 'application/octet-stream'),
    ]);
    expect(chooseTextParts(encrypted)).toEqual([]);
    expect(planParts(encrypted).notes[0]).toMatch(/encrypted/);
  });

  it('asks for BODY[TEXT] when the server found no parts in a multipart', () => {
    const broken = part('', 'multipart/mixed', { parameters: { boundary: 'gone' } });
    expect(chooseTextParts(broken).map((p) => [p.part, p.type])).toEqual([['TEXT', 'text/plain']]);
  });

  it('reads parameter names in any case, as servers send them', () => {
    const structure = part('', 'multipart/related', { parameters: { START: '<second@x>' } }, [
      part('1', 'image/png', { contentId: '<first@x>' }),
      part('2', 'text/html', { contentId: '<second@x>' }),
    ]);
    expect(chooseTextParts(structure).map((p) => p.part)).toEqual(['2']);
  });
});

describe('messageFromParts', () => {
  const header = crlf(
    'From: Alice <alice@example.test>\nSubject: parts\nDate: Tue, 2 Jan 2024 10:00:00 +0000\n\n',
  );

  it('decodes each fetched part by its own encoding and charset', async () => {
    const structure = part('', 'multipart/mixed', {}, [
      part('1', 'text/plain', {
        encoding: 'quoted-printable',
        parameters: { charset: 'iso-8859-1' },
      }),
      part('2', 'text/html', { encoding: 'base64', parameters: { CHARSET: 'utf-8' } }),
      part('3', 'application/zip', {
        disposition: 'attachment',
        filename: 'x.zip',
        size: 7800,
        encoding: 'base64',
      }),
    ]);
    const parts = new Map([
      ['1', Buffer.from('caf=E9 au lait')],
      [
        '2',
        Buffer.from(
          Buffer.from('<p>Zweiter <a href="https://x.test">Teil</a></p>').toString('base64'),
        ),
      ],
    ]);
    const view = await messageFromParts({ uid: 42, header, structure, parts });
    expect(view.uid).toBe(42);
    expect(view.subject).toBe('parts');
    expect(view.text).toBe('café au lait\n\nZweiter Teil[1]');
    expect(view.links).toEqual(['https://x.test']);
    expect(view.attachments).toEqual([
      {
        id: '3',
        filename: 'x.zip',
        contentType: 'application/zip',
        size: 5700,
        sizeExact: false,
        inline: false,
        contentId: null,
      },
    ]);
    expect(view.notes).toEqual([]);
  });

  it('notes a part that was not fetched instead of failing', async () => {
    const structure = part('1', 'text/plain');
    const view = await messageFromParts({ uid: 1, header, structure, parts: new Map() });
    expect(view.text).toBe('');
    expect(view.notes).toEqual(['Part 1 (text/plain) was not fetched, so it is not shown.']);
  });

  it('cannot be tricked into injecting header lines through a charset parameter', async () => {
    const structure = part('1', 'text/plain', {
      parameters: { charset: 'utf-8"\r\nContent-Type: text/html' },
      encoding: 'base64\r\nX: y',
    });
    const view = await messageFromParts({
      uid: 1,
      header,
      structure,
      parts: new Map([['1', Buffer.from('<b>not html</b>')]]),
    });
    expect(view.text).toBe('<b>not html</b>');
  });
});
