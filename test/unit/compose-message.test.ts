/**
 * From a draft to the bytes that are sent: encoded headers that decode back to
 * what the user wrote, Bcc only in the envelope, attachments as base64 parts,
 * refusal of anything that could inject a header; drafts postponed and
 * resumed; and `.eml` files sent as they are.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  draftFromMessage,
  forwardDraft,
  newDraft,
  replyDraft,
  type Draft,
  type RemoteAttachment,
} from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import { TmailError } from '../../src/core/errors.js';
import { buildMessage, prepareRawMessage } from '../../src/core/smtp/index.js';
import type { Address, MessageView } from '../../src/core/types.js';

const account: AccountConfig = {
  name: 'work',
  displayName: 'Mé Myself',
  email: 'me@example.org',
  imap: { host: 'imap.example.org', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
  password: { type: 'prompt' },
  signature: 'Me',
};

const dir = mkdtempSync(join(tmpdir(), 'tmail-build-test-'));
const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
const binaryPath = join(dir, 'data.bin');
writeFileSync(binaryPath, binary);

function draft(overrides: Partial<Draft> = {}): Draft {
  return {
    ...newDraft(account, { now: 1, id: 'd1' }),
    to: [{ name: 'Jäne Doe', address: 'jane@example.com' }],
    cc: [{ name: '', address: 'carol@example.com' }],
    bcc: [{ name: 'Hidden Boss', address: 'boss@example.com' }],
    subject: 'Grüße — quarterly numbers 📈',
    body: 'Hallo Jäne,\nline two\n\n-- \nMe\n',
    ...overrides,
  };
}

function names(list: AddressObject | AddressObject[] | undefined): Address[] {
  const objects = list === undefined ? [] : Array.isArray(list) ? list : [list];
  return objects.flatMap((o) => o.value.map((v) => ({ name: v.name, address: v.address ?? '' })));
}

async function parse(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(raw);
}

async function refusal(promise: Promise<unknown>): Promise<TmailError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TmailError);
  return error as TmailError;
}

describe('buildMessage', () => {
  it('encodes UTF-8 headers and body, sets Message-ID, Date and X-Mailer, keeps Bcc out', async () => {
    const built = await buildMessage(draft(), account, {
      date: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
    });
    const text = built.raw.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    // Nothing but ASCII in the header, every line CRLF-terminated.
    expect(/^[\x20-\x7e\r\n\t]*$/.test(head)).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(head).toMatch(/^X-Mailer: tmail \S+$/m);
    expect(head).toMatch(/^Date: Thu, 02 Jan 2025 03:04:05 \+0000$/m);
    expect(head).not.toMatch(/^Bcc:/im);
    expect(built.messageId).toMatch(/^<[0-9a-f-]+@example\.org>$/);
    expect(head).toContain(`Message-ID: ${built.messageId}`);

    const mail = await parse(built.raw);
    expect(mail.subject).toBe('Grüße — quarterly numbers 📈');
    expect(names(mail.from)).toEqual([{ name: 'Mé Myself', address: 'me@example.org' }]);
    expect(names(mail.to)).toEqual([{ name: 'Jäne Doe', address: 'jane@example.com' }]);
    expect(mail.text).toBe('Hallo Jäne,\nline two\n\n-- \nMe\n');
    expect(mail.bcc).toBeUndefined();

    expect(built.envelope).toEqual({
      from: 'me@example.org',
      to: ['jane@example.com', 'carol@example.com', 'boss@example.com'],
    });
    expect(built.bccHeader).toMatch(/^Bcc: .*<boss@example\.com>\r\n$/);
    const withBcc = await parse(Buffer.concat([Buffer.from(built.bccHeader), built.raw]));
    expect(names(withBcc.bcc)).toEqual([{ name: 'Hidden Boss', address: 'boss@example.com' }]);
  });

  it('carries In-Reply-To and References of a reply', async () => {
    const original: MessageView = {
      uid: 9,
      subject: 'Question',
      from: [{ name: 'Jane', address: 'jane@example.com' }],
      to: [{ name: '', address: 'me@example.org' }],
      cc: [],
      bcc: [],
      replyTo: [],
      date: 0,
      messageId: '<q-2@example.com>',
      inReplyTo: '<q-1@example.com>',
      references: ['<q-0@example.com>', '<q-1@example.com>'],
      text: 'What now?',
      blocks: [],
      links: [],
      attachments: [],
      notes: [],
      headers: [],
    };
    const built = await buildMessage(replyDraft(account, original, { folder: 'INBOX' }), account);
    const mail = await parse(built.raw);
    expect(mail.inReplyTo).toBe('<q-2@example.com>');
    expect(mail.references).toEqual([
      '<q-0@example.com>',
      '<q-1@example.com>',
      '<q-2@example.com>',
    ]);
    expect(mail.subject).toBe('Re: Question');
    expect(mail.text).toContain('> What now?');
  });

  it('attaches files and server parts as base64 with their names, byte for byte', async () => {
    const fetched: RemoteAttachment[] = [];
    const forwarded = Buffer.from('From: a@b.c\r\nSubject: inner\r\n\r\ninner body\r\n');
    const d = draft({
      attachments: [
        {
          kind: 'file',
          path: binaryPath,
          filename: 'Résumé 2025 (final).bin',
          contentType: '',
          size: null,
        },
        {
          kind: 'part',
          source: { folder: 'INBOX', uid: 3 },
          partId: '2',
          filename: 'évil\r\nname.txt',
          contentType: 'text/plain',
          size: 5,
        },
        {
          kind: 'message',
          source: { folder: 'INBOX', uid: 3 },
          filename: 'inner.eml',
          contentType: 'message/rfc822',
          size: null,
        },
      ],
    });
    const built = await buildMessage(d, account, {
      fetchAttachment: async (a) => {
        fetched.push(a);
        return a.kind === 'message' ? forwarded : Buffer.from('hello');
      },
    });
    expect(fetched.map((a) => a.kind)).toEqual(['part', 'message']);
    const mail = await parse(built.raw);
    const [file, part, message] = mail.attachments;
    expect(file!.filename).toBe('Résumé 2025 (final).bin');
    expect(Buffer.compare(file!.content, binary)).toBe(0);
    expect(part!.filename).toBe('évil name.txt');
    expect(part!.content.toString()).toBe('hello');
    expect(message!.contentType).toBe('message/rfc822');
    expect(message!.content.toString()).toContain('inner body');
    expect(built.raw.toString()).toMatch(
      /Content-Disposition: attachment;\s+filename\*0\*=utf-8''R%C3%A9sum%C3%A9/,
    );
  });

  it.each([
    [
      'a CR/LF in the subject',
      { subject: 'Hi\r\nBcc: victim@example.com' },
      'The subject contains a line break',
    ],
    ['a control in the subject', { subject: 'Hi\u001b[2J' }, 'The subject contains a line break'],
    [
      'a CR/LF in a name',
      { to: [{ name: 'Jane\r\nBcc: x@example.com', address: 'jane@example.com' }] },
      'The name given to jane@example.com in To contains a line break',
    ],
    [
      'a CR/LF in an address',
      { cc: [{ name: '', address: 'x@example.com\r\nBcc: y@example.com' }] },
      '"x@example.com\\u000d\\u000aBcc: y@example.com" in Cc is not a valid email address.',
    ],
    [
      'an address that does not parse',
      { bcc: [{ name: '', address: 'not-an-address' }] },
      '"not-an-address" in Bcc',
    ],
    ['no recipient at all', { to: [], cc: [], bcc: [] }, 'The message has no recipient'],
    ['a forged References', { references: ['<a@b>\r\nX: y'] }, 'The References header'],
  ])('refuses %s with one sentence', async (_what, overrides, sentence) => {
    const error = await refusal(buildMessage(draft(overrides as Partial<Draft>), account));
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toContain(sentence);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('refuses attachments it cannot read, naming them', async () => {
    const missing = await refusal(
      buildMessage(
        draft({
          attachments: [
            {
              kind: 'file',
              path: join(dir, 'gone.pdf'),
              filename: 'gone.pdf',
              contentType: '',
              size: 1,
            },
          ],
        }),
        account,
      ),
    );
    expect(missing.message).toBe(
      'The attachment gone.pdf cannot be added: it is not there any more.',
    );
    const remote = await refusal(
      buildMessage(
        forwardDraft(
          account,
          {
            uid: 1,
            subject: 's',
            from: [],
            to: [],
            cc: [],
            bcc: [],
            replyTo: [],
            date: null,
            messageId: '',
            inReplyTo: '',
            references: [],
            text: '',
            blocks: [],
            links: [],
            attachments: [],
            notes: [],
            headers: [],
          },
          { mode: 'attachment', folder: 'INBOX' },
        ),
        account,
        { purpose: 'draft' },
      ),
    );
    expect(remote.message).toBe(
      'The attachment s.eml is on the server, and tmail cannot fetch it here.',
    );
  });
});

describe('postponed drafts', () => {
  it('round-trip through an RFC 5322 message, Bcc and origin kept', async () => {
    const original = draft({
      inReplyTo: '<q-2@example.com>',
      references: ['<q-1@example.com>', '<q-2@example.com>'],
      origin: { kind: 'reply', source: { folder: 'INBOX', uid: 77 }, flag: '\\Answered' },
      attachments: [
        { kind: 'file', path: binaryPath, filename: 'data.bin', contentType: '', size: null },
      ],
    });
    const built = await buildMessage(original, account, { purpose: 'draft' });
    expect(built.raw.toString()).toMatch(/^Bcc: /m);
    const mail = await parse(built.raw);
    const view: MessageView = {
      uid: 12,
      subject: mail.subject ?? '',
      from: names(mail.from),
      to: names(mail.to),
      cc: names(mail.cc),
      bcc: names(mail.bcc),
      replyTo: [],
      date: mail.date?.getTime() ?? null,
      messageId: mail.messageId ?? '',
      inReplyTo: mail.inReplyTo ?? '',
      references: typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []),
      text: mail.text ?? '',
      blocks: [],
      links: [],
      attachments: mail.attachments.map((a, i) => ({
        id: String(i + 2),
        filename: a.filename ?? '',
        contentType: a.contentType,
        size: a.size,
        inline: false,
        contentId: null,
      })),
      notes: [],
      headers: mail.headerLines.map((h) => ({
        key: h.key,
        value: h.line.slice(h.line.indexOf(':') + 1).trim(),
      })),
    };
    const resumed = draftFromMessage(view, { account: 'work', folder: 'Drafts' }, 99);
    expect(resumed).toEqual({
      ...original,
      attachments: [
        {
          kind: 'part',
          source: { folder: 'Drafts', uid: 12 },
          partId: '2',
          filename: 'data.bin',
          contentType: 'application/octet-stream',
          size: binary.length,
        },
      ],
      postponed: { folder: 'Drafts', uid: 12 },
      updated: 99,
    });
  });
});

describe('prepareRawMessage (tmail send --file)', () => {
  it('keeps the message as it is, with CRLF, recipients from the headers and Bcc removed', () => {
    const file = Buffer.from(
      'From: Me <me@example.org>\n' +
        'To: a@example.com, "B, Bee" <b@example.com>\n' +
        'Bcc: secret@example.com,\n' +
        '  other@example.com\n' +
        'Subject: As is\n' +
        'Message-ID: <fixed@example.org>\n' +
        'Date: Mon, 1 Jan 2024 00:00:00 +0000\n' +
        '\n' +
        'Body\n',
    );
    const built = prepareRawMessage(file, account);
    expect(built.raw.toString()).toBe(
      'From: Me <me@example.org>\r\n' +
        'To: a@example.com, "B, Bee" <b@example.com>\r\n' +
        'Subject: As is\r\n' +
        'Message-ID: <fixed@example.org>\r\n' +
        'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
        '\r\n' +
        'Body\r\n',
    );
    expect(built.envelope).toEqual({
      from: 'me@example.org',
      to: ['a@example.com', 'b@example.com', 'secret@example.com', 'other@example.com'],
    });
    expect(built.bccHeader).toBe('Bcc: secret@example.com,\r\n  other@example.com\r\n');
    expect(built.messageId).toBe('<fixed@example.org>');
    expect(built.subject).toBe('As is');
  });

  it('adds Date and Message-ID only when missing', () => {
    const built = prepareRawMessage(
      Buffer.from('From: me@example.org\r\nTo: a@example.com\r\n\r\nx\r\n'),
      account,
      new Date(0),
    );
    expect(built.raw.toString()).toMatch(
      /^Date: Thu, 01 Jan 1970 00:00:00 \+0000\r\nMessage-ID: <[^>]+@example\.org>\r\nFrom:/,
    );
  });

  it.each([
    ['no From', 'To: a@example.com\r\n\r\nx', 'The message has no From header.'],
    [
      'no recipient',
      'From: me@example.org\r\n\r\nx',
      'The message has no recipient in To, Cc or Bcc.',
    ],
    [
      'a bad recipient',
      'From: me@example.org\r\nTo: bob\r\n\r\nx',
      '"bob" is not a valid email address.',
    ],
    [
      'a broken header line',
      'From: me@example.org\r\nTo: a@example.com\r\nthis is not a header\r\n\r\nx',
      'Line 3 of the message header is not a header field.',
    ],
    [
      'a bare CR inside a header',
      'From: me@example.org\r\nTo: a@example.com\rBcc x\r\n\r\nx',
      'Line 3 of the message header is not a header field.',
    ],
  ])('refuses a file with %s', (_what, text, sentence) => {
    expect(() => prepareRawMessage(Buffer.from(text), account)).toThrow(sentence);
  });
});
