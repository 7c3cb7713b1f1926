/**
 * Identities, signatures and list replies, without I/O but for the signature
 * file and command: which identity a reply comes from (mutt's reverse_name),
 * that reply-all never copies the user's own addresses, Mail-Followup-To,
 * Reply-To and List-Post as mutt honours them, where the signature goes and
 * that it is never there twice, and that a From not the account's is refused.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendSignature,
  draftFromMessage,
  forwardDraft,
  fromProblem,
  listPostAddress,
  listReplyProblem,
  loadSignature,
  newDraft,
  replaceSignature,
  replyDraft,
  replyIdentity,
  type Draft,
} from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import { buildMessage } from '../../src/core/smtp/index.js';
import type { MessageView } from '../../src/core/types.js';

const account: AccountConfig = {
  name: 'work',
  displayName: 'Me Myself',
  email: 'me@example.org',
  imap: { host: 'imap.example.org', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
  password: { type: 'prompt' },
  signature: 'Me\nexample.org',
  identities: [
    { email: 'me@lists.example.org', name: 'Me on lists', signature: 'Lists me' },
    { email: 'boss@example.org' },
  ],
};

function view(overrides: Partial<MessageView> = {}): MessageView {
  return {
    uid: 42,
    subject: 'Plans',
    from: [{ name: 'Alice', address: 'alice@example.com' }],
    to: [{ name: 'Me', address: 'me@example.org' }],
    cc: [],
    bcc: [],
    replyTo: [],
    date: Date.UTC(2025, 2, 4, 9, 15),
    messageId: '<orig@example.com>',
    inReplyTo: '',
    references: [],
    text: 'Hello.\n',
    blocks: [],
    links: [],
    attachments: [],
    notes: [],
    headers: [],
    ...overrides,
  };
}

const ctx = { now: 1_000, id: 'd1', timeZone: 'UTC' };

describe('which identity a reply comes from', () => {
  it('is the identity the message was sent to, by To, then Cc, then Delivered-To, with its name and signature', () => {
    const toAlias = view({ to: [{ name: '', address: 'ME@lists.example.org' }] });
    const draft = replyDraft(account, toAlias, ctx);
    expect(draft.from).toEqual({ name: 'Me on lists', address: 'me@lists.example.org' });
    expect(draft.body.endsWith('-- \nLists me\n')).toBe(true);

    const delivered = view({
      to: [{ name: 'List', address: 'list@example.net' }],
      headers: [{ key: 'Delivered-To', value: 'boss@example.org' }],
    });
    expect(replyIdentity(account, delivered).email).toBe('boss@example.org');
    // An alias without a name or signature of its own uses the account's.
    const fromBoss = replyDraft(account, delivered, ctx);
    expect(fromBoss.from).toEqual({ name: 'Me Myself', address: 'boss@example.org' });
    expect(fromBoss.body.endsWith('-- \nMe\nexample.org\n')).toBe(true);

    expect(replyIdentity(account, view({ to: [{ name: '', address: 'x@y.z' }] })).email).toBe(
      'me@example.org',
    );
  });

  it('reply-all never copies any of the user’s addresses back in', () => {
    const original = view({
      to: [
        { name: '', address: 'me@example.org' },
        { name: '', address: 'Boss@Example.org' },
        { name: 'Bob', address: 'bob@example.com' },
      ],
      cc: [{ name: '', address: 'me@lists.example.org' }],
    });
    const draft = replyDraft(account, original, { ...ctx, all: true });
    expect([...draft.to, ...draft.cc].map((a) => a.address)).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });
});

describe('reply recipients as mutt has them', () => {
  const list = view({
    from: [{ name: 'Alice', address: 'alice@example.com' }],
    to: [{ name: 'Dev list', address: 'dev@lists.example.net' }],
    replyTo: [{ name: 'Alice private', address: 'alice.private@example.com' }],
    headers: [
      { key: 'List-Post', value: '<mailto:dev@lists.example.net?subject=help>, <https://x>' },
      { key: 'Mail-Followup-To', value: 'dev@lists.example.net, me@example.org' },
    ],
  });

  it('r goes to Reply-To; R and L go to Mail-Followup-To without the user', () => {
    expect(replyDraft(account, list, ctx).to.map((a) => a.address)).toEqual([
      'alice.private@example.com',
    ]);
    const all = replyDraft(account, list, { ...ctx, all: true });
    expect(all.to.map((a) => a.address)).toEqual(['dev@lists.example.net']);
    expect(all.cc).toEqual([]);
    const toList = replyDraft(account, list, { ...ctx, list: true });
    expect(toList.to.map((a) => a.address)).toEqual(['dev@lists.example.net']);
  });

  it('L goes to List-Post when there is no Mail-Followup-To, and says when there is no list', () => {
    const plain = view({
      headers: [{ key: 'list-post', value: '<mailto:announce%40example.net>' }],
    });
    expect(listPostAddress(plain)).toEqual({ name: '', address: 'announce@example.net' });
    expect(listReplyProblem(plain)).toBeUndefined();
    expect(replyDraft(account, plain, { ...ctx, list: true }).to).toEqual([
      { name: '', address: 'announce@example.net' },
    ]);
    expect(listReplyProblem(view())).toBe(
      'This message has no List-Post header: it did not come through a mailing list that says where to reply.',
    );
    expect(
      listReplyProblem(
        view({ headers: [{ key: 'List-Post', value: 'NO (posting not allowed)' }] }),
      ),
    ).toBe('The list does not take replies (its List-Post header says NO).');
  });

  it('takes no CR/LF from a hostile List-Post or Mail-Followup-To into an address', () => {
    const hostile = view({
      headers: [
        { key: 'List-Post', value: '<mailto:list@example.net\r\nBcc: victim@example.com>' },
        { key: 'Mail-Followup-To', value: 'a@example.com\r\nBcc: victim@example.com' },
      ],
    });
    const draft = replyDraft(account, hostile, { ...ctx, list: true });
    for (const a of draft.to) expect(a.address).not.toMatch(/[\r\n]/);
  });
});

describe('signatures', () => {
  it('goes above the quote with signaturePosition above, below by default', () => {
    const below = replyDraft(account, view(), ctx).body;
    expect(below).toBe(
      'On Tue, 4 Mar 2025 at 09:15, Alice wrote:\n> Hello.\n\n\n-- \nMe\nexample.org\n',
    );
    const above = replyDraft(account, view(), { ...ctx, signaturePosition: 'above' }).body;
    expect(above).toBe(
      '\n\n-- \nMe\nexample.org\n\nOn Tue, 4 Mar 2025 at 09:15, Alice wrote:\n> Hello.\n',
    );
    const forward = forwardDraft(account, view(), {
      ...ctx,
      mode: 'inline',
      folder: 'INBOX',
      signaturePosition: 'above',
    }).body;
    expect(forward.startsWith('\n\n-- \nMe\nexample.org\n\n---------- Forwarded message')).toBe(
      true,
    );
  });

  it('uses a signature read from a file or a command instead of the text', () => {
    const draft = newDraft(account, { ...ctx, signature: 'From a file' });
    expect(draft.body).toBe('\n\n-- \nFrom a file\n');
  });

  it('is never added twice: not when a draft is taken up again, not when the identity switches back', () => {
    const first = newDraft(account, ctx);
    expect(appendSignature(first.body, account.signature)).toBe(first.body);
    const resumed = draftFromMessage(
      view({ text: first.body, from: [{ name: 'Me', address: 'me@example.org' }] }),
      { account: 'work', folder: 'Drafts' },
    );
    expect(resumed.body.match(/^-- $/gm)).toHaveLength(1);
    const swapped = replaceSignature(first.body, 'Me\nexample.org', 'Lists me');
    expect(swapped).toBe('\n\n-- \nLists me\n');
    expect(replaceSignature(swapped, 'Lists me', 'Me\nexample.org')).toBe(first.body);
    // The same signature again changes nothing; none at all drops the block.
    expect(replaceSignature(first.body, 'Me\nexample.org', 'Me\nexample.org')).toBe(first.body);
    expect(replaceSignature('Hi\n\n-- \nLists me\n', 'Lists me', '')).toBe('Hi\n');
  });

  it('a missing file or a failing command means no signature and one sentence, never a failure', async () => {
    expect(await loadSignature({ signatureFile: '/nonexistent/.signature' })).toEqual({
      text: '',
      problem:
        'The signature file /nonexistent/.signature is missing; the message has no signature.',
    });
    const dir = mkdtempSync(join(tmpdir(), 'tmail-sig-'));
    writeFileSync(join(dir, 'sig'), '-- \r\nAnn\u001b[2J\r\nExample\r\n\r\n');
    expect(await loadSignature({ signatureFile: '~/sig' }, { home: dir })).toEqual({
      text: 'Ann[2J\nExample',
    });
    expect(await loadSignature({ signatureCommand: 'printf "Ann\\nfrom a command\\n"' })).toEqual({
      text: 'Ann\nfrom a command',
    });
    expect(await loadSignature({ signatureCommand: 'echo half; exit 4' })).toEqual({
      text: '',
      problem: 'The signature command failed (exit status 4); the message has no signature.',
    });
    const script = join(dir, 'slow.sh');
    writeFileSync(script, '#!/bin/sh\nsleep 30\n');
    chmodSync(script, 0o755);
    expect(await loadSignature({ signatureCommand: script }, { timeoutMs: 200 })).toEqual({
      text: '',
      problem: 'The signature command did not finish within 0.2 s; the message has no signature.',
    });
  });
});

describe('a From that is not the account’s', () => {
  it('is refused with one sentence, and an identity’s is accepted', async () => {
    const draft: Draft = {
      ...newDraft(account, ctx),
      to: [{ name: '', address: 'bob@example.com' }],
      from: { name: 'CEO', address: 'ceo@example.com' },
    };
    const sentence =
      "ceo@example.com is not one of the addresses of account work (me@example.org, me@lists.example.org, boss@example.org); choose one with :from, or add it to the account's identities.";
    expect(fromProblem(account, draft.from)).toBe(sentence);
    await expect(buildMessage(draft, account)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: sentence,
    });
    const fromAlias = { ...draft, from: { name: 'Me', address: 'BOSS@example.org' } };
    await expect(buildMessage(fromAlias, account)).resolves.toMatchObject({
      envelope: { from: 'BOSS@example.org' },
    });
    // A draft being postponed may still hold it (the user fixes it before sending).
    await expect(buildMessage(draft, account, { purpose: 'draft' })).resolves.toBeTruthy();
  });
});
