/**
 * The pure draft builders: who a reply goes to, the subject prefixes, the
 * quoting, the thread headers, forwards, signatures, and that hostile text
 * from the original never lands in a header with its controls.
 */
import { describe, expect, it } from 'vitest';
import {
  appendSignature,
  forwardDraft,
  forwardSubject,
  MAX_REFERENCES,
  newDraft,
  quoteText,
  replyDraft,
  replySubject,
  type Draft,
} from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import type { MessageView } from '../../src/core/types.js';

const account: AccountConfig = {
  name: 'work',
  displayName: 'Me Myself',
  email: 'me@example.org',
  imap: { host: 'imap.example.org', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
  password: { type: 'prompt' },
  signature: 'Me\nexample.org',
};

function view(overrides: Partial<MessageView> = {}): MessageView {
  return {
    uid: 42,
    subject: 'Lunch plans',
    from: [{ name: 'Alice Example', address: 'alice@example.com' }],
    to: [
      { name: 'Me Myself', address: 'me@example.org' },
      { name: 'Bob', address: 'bob@example.com' },
    ],
    cc: [{ name: '', address: 'carol@example.com' }],
    bcc: [],
    replyTo: [],
    date: Date.UTC(2025, 2, 4, 9, 15),
    messageId: '<orig-1@example.com>',
    inReplyTo: '',
    references: [],
    text: 'Shall we meet at noon?\n> earlier words\n\nAlice\n',
    blocks: [],
    links: [],
    attachments: [],
    notes: [],
    headers: [],
    ...overrides,
  };
}

const ctx = { now: 1_000, id: 'draft1', timeZone: 'UTC' };

describe('reply subject', () => {
  it.each([
    ['Lunch', 'Re: Lunch'],
    ['Re: Lunch', 'Re: Lunch'],
    ['RE: Lunch', 'Re: Lunch'],
    ['Re[2]: Lunch', 'Re: Lunch'],
    ['Re: Re: RE: Lunch', 'Re: Lunch'],
    ['AW: Lunch', 'Re: Lunch'],
    ['SV: Lunch', 'Re: Lunch'],
    ['Antw: Lunch', 'Re: Lunch'],
    ['Re : Lunch', 'Re: Lunch'],
    ['Fwd: Lunch', 'Re: Fwd: Lunch'],
    ['Report: numbers', 'Re: Report: numbers'],
    ['', 'Re:'],
  ])('%j becomes %j', (subject, expected) => {
    expect(replySubject(subject)).toBe(expected);
  });

  it('adds Fwd: once', () => {
    expect(forwardSubject('Lunch')).toBe('Fwd: Lunch');
    expect(forwardSubject('Fwd: Lunch')).toBe('Fwd: Lunch');
    expect(forwardSubject('FW: Lunch')).toBe('Fwd: Lunch');
    expect(forwardSubject('WG: Lunch')).toBe('Fwd: Lunch');
    expect(forwardSubject('Re: Lunch')).toBe('Fwd: Re: Lunch');
  });
});

describe('replyDraft', () => {
  it('replies to From, with Re:, threading headers and the quoted text', () => {
    const draft = replyDraft(account, view(), { ...ctx, folder: 'INBOX' });
    expect(draft.to).toEqual([{ name: 'Alice Example', address: 'alice@example.com' }]);
    expect(draft.cc).toEqual([]);
    expect(draft.from).toEqual({ name: 'Me Myself', address: 'me@example.org' });
    expect(draft.subject).toBe('Re: Lunch plans');
    expect(draft.inReplyTo).toBe('<orig-1@example.com>');
    expect(draft.references).toEqual(['<orig-1@example.com>']);
    expect(draft.origin).toEqual({
      kind: 'reply',
      source: { folder: 'INBOX', uid: 42 },
      flag: '\\Answered',
    });
    expect(draft.body).toBe(
      'On Tue, 4 Mar 2025 at 09:15, Alice Example wrote:\n' +
        '> Shall we meet at noon?\n' +
        '>> earlier words\n' +
        '>\n' +
        '> Alice\n' +
        '\n\n' +
        '-- \nMe\nexample.org\n',
    );
  });

  it('prefers Reply-To over From', () => {
    const draft = replyDraft(
      account,
      view({ replyTo: [{ name: 'List', address: 'list@example.net' }] }),
      ctx,
    );
    expect(draft.to).toEqual([{ name: 'List', address: 'list@example.net' }]);
  });

  it('reply-all adds To and Cc without the user, deduplicated case-insensitively', () => {
    const original = view({
      to: [
        { name: 'Me', address: 'ME@Example.org' },
        { name: 'Bob', address: 'bob@example.com' },
        { name: 'Alice again', address: 'ALICE@example.com' },
      ],
      cc: [
        { name: '', address: 'carol@example.com' },
        { name: 'Bob B', address: 'Bob@Example.com' },
        { name: 'Alias', address: 'me+alias@example.org' },
      ],
    });
    const draft = replyDraft(account, original, {
      ...ctx,
      all: true,
      aliases: ['me+alias@example.org'],
    });
    expect(draft.to).toEqual([{ name: 'Alice Example', address: 'alice@example.com' }]);
    expect(draft.cc).toEqual([
      { name: 'Bob', address: 'bob@example.com' },
      { name: '', address: 'carol@example.com' },
    ]);
    // Sent to an alias: the reply comes from it.
    expect(draft.from.address).toBe('me+alias@example.org');
  });

  it('reply-all with Reply-To: Reply-To in To, the rest in Cc', () => {
    const draft = replyDraft(
      account,
      view({ replyTo: [{ name: 'List', address: 'list@example.net' }] }),
      { ...ctx, all: true },
    );
    expect(draft.to.map((a) => a.address)).toEqual(['list@example.net']);
    expect(draft.cc.map((a) => a.address)).toEqual(['bob@example.com', 'carol@example.com']);
  });

  it("replying to one's own message goes to its recipients", () => {
    const original = view({
      from: [{ name: 'Me', address: 'me@example.org' }],
      to: [{ name: 'Bob', address: 'bob@example.com' }],
      cc: [{ name: '', address: 'carol@example.com' }],
    });
    expect(replyDraft(account, original, ctx).to.map((a) => a.address)).toEqual([
      'bob@example.com',
    ]);
    const all = replyDraft(account, original, { ...ctx, all: true });
    expect(all.to.map((a) => a.address)).toEqual(['bob@example.com']);
    expect(all.cc.map((a) => a.address)).toEqual(['carol@example.com']);
  });

  it('carries References + Message-ID, trimmed to the root and the latest', () => {
    const refs = Array.from({ length: 30 }, (_, i) => `<r${i}@example.com>`);
    const draft = replyDraft(
      account,
      view({ references: refs, messageId: 'orig-1@example.com' }),
      ctx,
    );
    expect(draft.references).toHaveLength(MAX_REFERENCES);
    expect(draft.references[0]).toBe('<r0@example.com>');
    expect(draft.references.at(-1)).toBe('<orig-1@example.com>');
    expect(draft.references.at(-2)).toBe('<r29@example.com>');
    expect(draft.inReplyTo).toBe('<orig-1@example.com>');
  });

  it('uses In-Reply-To as the chain when References is missing, and drops broken ids', () => {
    const draft = replyDraft(
      account,
      view({ inReplyTo: '<parent@example.com>', references: [], messageId: '<bad id@x>' }),
      ctx,
    );
    expect(draft.references).toEqual(['<parent@example.com>']);
    expect(draft.inReplyTo).toBe('');
  });

  it('removes controls from the subject and names of a hostile original', () => {
    const draft = replyDraft(
      account,
      view({
        subject: 'Hi\r\nBcc: victim@example.com',
        from: [{ name: 'Eve\u001b[2J', address: 'eve@example.com' }],
      }),
      ctx,
    );
    expect(draft.subject).toBe('Re: Hi Bcc: victim@example.com');
    expect(draft.to[0]!.name).toBe('Eve [2J');
    expect(draft.body).not.toContain('\u001b');
  });

  it('leaves the original signature out of the quote, and says who wrote when the date is unknown', () => {
    const draft = replyDraft(account, view({ text: 'Yes.\n-- \nAlice\nCEO\n', date: null }), {
      ...ctx,
    });
    expect(draft.body.startsWith('Alice Example wrote:\n> Yes.\n\n\n-- \nMe')).toBe(true);
  });
});

describe('forwardDraft', () => {
  const withFiles = view({
    attachments: [
      {
        id: '2',
        filename: 'report.pdf',
        contentType: 'application/pdf',
        size: 1234,
        inline: false,
        contentId: null,
      },
      {
        id: '3',
        filename: 'a\u202Efdp.exe',
        contentType: 'application/octet-stream',
        size: 10,
        inline: false,
        contentId: null,
      },
    ],
  });

  it('inline: the header block, the text and the attachments as references to fetch', () => {
    const draft = forwardDraft(account, withFiles, { ...ctx, mode: 'inline', folder: 'INBOX' });
    expect(draft.subject).toBe('Fwd: Lunch plans');
    expect(draft.to).toEqual([]);
    expect(draft.body).toContain('---------- Forwarded message ----------\n');
    expect(draft.body).toContain('From: Alice Example <alice@example.com>\n');
    expect(draft.body).toContain('Date: Tue, 4 Mar 2025 at 09:15\n');
    expect(draft.body).toContain('Subject: Lunch plans\n');
    expect(draft.body).toContain('To: Me Myself <me@example.org>, Bob <bob@example.com>\n');
    expect(draft.body).toContain('Shall we meet at noon?');
    expect(draft.body.endsWith('-- \nMe\nexample.org\n')).toBe(true);
    expect(draft.attachments).toEqual([
      {
        kind: 'part',
        source: { folder: 'INBOX', uid: 42 },
        partId: '2',
        filename: 'report.pdf',
        contentType: 'application/pdf',
        size: 1234,
      },
      expect.objectContaining({ partId: '3', filename: 'a\u202Efdp.exe' }),
    ]);
    expect(draft.origin).toEqual({
      kind: 'forward',
      source: { folder: 'INBOX', uid: 42 },
      flag: '$Forwarded',
    });
    expect(draft.inReplyTo).toBe('');
  });

  it('as attachment: the whole original as message/rfc822', () => {
    const draft = forwardDraft(account, withFiles, {
      ...ctx,
      mode: 'attachment',
      folder: 'Archive',
    });
    expect(draft.attachments).toEqual([
      {
        kind: 'message',
        source: { folder: 'Archive', uid: 42 },
        filename: 'Lunch plans.eml',
        contentType: 'message/rfc822',
        size: null,
      },
    ]);
    expect(draft.body).toBe('\n\n-- \nMe\nexample.org\n');
  });
});

describe('signature and quoting', () => {
  it('appends the signature after "-- " once', () => {
    const once = appendSignature('Hello\n', 'Me');
    expect(once).toBe('Hello\n\n-- \nMe\n');
    expect(appendSignature(once, 'Me')).toBe(once);
    expect(appendSignature('Hello', '-- \nMe\n')).toBe('Hello\n\n-- \nMe\n');
    expect(appendSignature('Hello\n', undefined)).toBe('Hello\n');
  });

  it('stacks quote levels', () => {
    expect(quoteText('a\n> b\n>> c\n\nd')).toBe('> a\n>> b\n>>> c\n>\n> d');
    expect(quoteText('')).toBe('');
  });

  it('newDraft starts empty, from the account, with the signature', () => {
    const draft: Draft = newDraft(account, ctx);
    expect(draft).toMatchObject({
      id: 'draft1',
      account: 'work',
      from: { name: 'Me Myself', address: 'me@example.org' },
      to: [],
      subject: '',
      body: '\n\n-- \nMe\nexample.org\n',
      created: 1000,
      origin: null,
    });
  });
});
