/**
 * Writing mail: the editor handoff (faked here; the e2e test runs a real
 * $EDITOR) and the review screen's keys: y send, e edit, a attach, D remove
 * an attachment, p postpone, q abandon after asking.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Draft } from '../../src/core/compose/index.js';
import type { ComposeServices, SendOutcome } from '../../src/ui/composer.js';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

interface FakeServices extends ComposeServices {
  edits: Draft[];
  sent: Draft[];
  postponed: Draft[];
  discarded: string[];
  saved: Draft[];
}

/** Services whose editor applies `write` to the draft, and whose SMTP answers `outcome`. */
function fakeServices(
  write: (draft: Draft, round: number) => Draft | null,
  outcome: Partial<SendOutcome> = {},
): FakeServices {
  const services: FakeServices = {
    edits: [],
    sent: [],
    postponed: [],
    discarded: [],
    saved: [],
    async edit(draft) {
      services.edits.push(draft);
      const next = write(draft, services.edits.length);
      return next
        ? { draft: next, exitCode: 0, changed: true }
        : { draft, exitCode: 0, changed: false };
    },
    async send(draft) {
      services.sent.push(draft);
      return { status: 'sent', recipients: [], warnings: [], ...outcome };
    },
    async postpone(draft) {
      services.postponed.push(draft);
      return { warnings: [] };
    },
    pending: async () => 0,
    async save(draft) {
      services.saved.push(draft);
    },
    async discard(id) {
      services.discarded.push(id);
    },
  };
  return services;
}

const inbox = [
  {
    subject: 'Lunch on Friday?',
    from: { name: 'Ada Lovelace', address: 'ada@example.test' },
    to: [{ address: 'me@example.test' }],
    text: 'Shall we meet at noon?\n',
    messageId: '<lunch@example.test>',
  },
];

describe('writing mail', () => {
  it('a mailto: link opens a new message to its address on the review screen, not a browser', async () => {
    const services = fakeServices(() => null);
    const link =
      'mailto:list-request@lists.test?subject=subscribe%20me&body=Hello%0D%0Athere&cc=boss@example.test&reply-to=evil@evil.test&from=evil@evil.test';
    tui = await renderTui({
      inbox: [{ subject: 'How to join', text: `Write to ${link} to join.\n` }],
      options: { compose: services },
    });
    await tui.see('How to join');
    tui.press('<Enter>');
    await tui.see('Links:');
    tui.press(':');
    tui.type('open-link 1');
    tui.press('<Enter>');
    const review = await tui.see('New message: review before sending');
    expect(review).toContain('To:      list-request@lists.test');
    expect(review).toContain('Cc:      boss@example.test');
    expect(review).toContain('Subject: subscribe me');
    expect(review).toContain('Hello');
    expect(review).not.toContain('evil');
    // The link wrote it: shown as it is, the editor not run until e.
    expect(services.edits).toHaveLength(0);
    tui.press('y');
    await tui.see('Sent to list-request@lists.test');
    const sent = services.sent[0]!;
    expect(sent.to).toEqual([{ name: '', address: 'list-request@lists.test' }]);
    expect(sent.cc).toEqual([{ name: '', address: 'boss@example.test' }]);
    expect(sent.subject).toBe('subscribe me');
    expect(sent.body.startsWith('Hello\nthere\n')).toBe(true);
    expect(sent.from.address).toBe('me@example.test');
  });

  it('replies: editor first, then the review screen, and y sends', async () => {
    const services = fakeServices((draft) => ({
      ...draft,
      body: `Noon works for me.\n\n${draft.body}`,
    }));
    tui = await renderTui({ inbox, options: { compose: services } });
    await tui.see('Lunch on Friday?');
    tui.press('r');
    const review = await tui.see('Reply: review before sending');
    expect(services.edits[0]!.to).toEqual([{ name: 'Ada Lovelace', address: 'ada@example.test' }]);
    expect(review).toContain('From:    me@example.test');
    expect(review).toContain('To:      Ada Lovelace <ada@example.test>');
    expect(review).toContain('Subject: Re: Lunch on Friday?');
    expect(review).toContain('Noon works for me.');
    expect(review).toContain('> Shall we meet at noon?');
    expect(review).toContain(
      'y send · e edit · a attach · D remove attachment · p postpone · q abandon',
    );
    tui.press('y');
    await tui.see('Sent to ada@example.test.');
    expect(services.sent).toHaveLength(1);
    expect(services.sent[0]!.inReplyTo).toBe('<lunch@example.test>');
    expect(services.sent[0]!.origin).toMatchObject({
      kind: 'reply',
      source: { folder: 'INBOX', uid: 1 },
    });
    expect(tui.frame()).toContain('Lunch on Friday?');
  });

  it('takes a postponed message up again with Enter in Drafts, and sends it', async () => {
    const server = new FakeMailServer();
    server.deliver('Drafts', [
      {
        subject: 'Half-written plan',
        from: { address: 'me@example.test' },
        to: [{ name: 'Grace', address: 'grace@example.test' }],
        text: 'First thoughts.\n',
        flags: ['\\Draft', '\\Seen'],
      },
    ]);
    const services = fakeServices(() => null);
    tui = await renderTui({ server, folder: 'Drafts', options: { compose: services } });
    await tui.see('Half-written plan');
    tui.press('<Enter>');
    const review = await tui.see('Postponed message: review before sending');
    // No editor first: the text is as it was left.
    expect(services.edits).toHaveLength(0);
    expect(review).toContain('To:      Grace <grace@example.test>');
    expect(review).toContain('First thoughts.');
    tui.press('y');
    await tui.see('Sent to grace@example.test.');
    expect(services.sent[0]!.postponed).toEqual({ folder: 'Drafts', uid: 1 });
  });

  it('forwards as an attachment with :forward -A', async () => {
    const services = fakeServices((draft) => ({
      ...draft,
      to: [{ name: '', address: 'grace@example.test' }],
    }));
    tui = await renderTui({ inbox, options: { compose: services } });
    await tui.see('Lunch on Friday?');
    tui.press(':');
    tui.type('forward -A');
    tui.press('<Enter>');
    const review = await tui.see('Forward as attachment: review before sending');
    expect(review).toContain('Subject: Fwd: Lunch on Friday?');
    expect(services.edits[0]!.attachments).toEqual([
      expect.objectContaining({
        kind: 'message',
        contentType: 'message/rfc822',
        source: { folder: 'INBOX', uid: 1 },
      }),
    ]);
    expect(services.edits[0]!.body).not.toContain('Shall we meet at noon?');
  });

  it('offers the message being written when tmail stopped, and m takes it up again', async () => {
    const services = fakeServices(() => null);
    const kept: Draft = {
      ...(await import('../../src/core/compose/index.js')).newDraft({
        name: 'test',
        email: 'me@example.test',
      } as never),
      to: [{ name: '', address: 'grace@example.test' }],
      subject: 'Written before the crash',
      body: 'Every word is still here.\n',
    };
    services.kept = async () => [kept];
    tui = await renderTui({ inbox, options: { compose: services } });
    await tui.see('A message you were writing was kept; m takes it up again.');
    tui.press('m');
    await tui.see('Take up the message you were writing ("Written before the crash")? (y/n)');
    tui.press('y');
    const review = await tui.see('New message: review before sending');
    expect(review).toContain('Every word is still here.');
    expect(services.edits).toHaveLength(0);
    // Abandoned after all: asked, then gone from the store.
    tui.press('q');
    tui.press('y');
    await tui.see('The message was abandoned.');
    expect(services.discarded).toEqual([kept.id]);
  });

  it('abandons a new message left unwritten, as mutt does', async () => {
    const services = fakeServices(() => null);
    // Without the header prompts (compose.prompts: []), m goes straight to the editor.
    tui = await renderTui({
      inbox,
      options: { compose: services },
      config: { compose: { prompts: [] } },
    });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('Nothing was written; the message was abandoned.');
    expect(services.discarded).toHaveLength(1);
  });

  it('names a full state folder instead of an editor exit status that never happened', async () => {
    const services = fakeServices(() => null);
    const full =
      'The message could not be written out for the editor (/home/u/.local/state/tmail/drafts/editing): the disk is full.';
    services.edit = async () => {
      throw Object.assign(new Error(full), { userMessage: full });
    };
    tui = await renderTui({
      inbox,
      options: { compose: services },
      config: { compose: { prompts: [] } },
    });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('The message could not be written out for the editor');
    await tui.settle();
    expect(tui.frame()).not.toContain('exited with status');
    expect(services.discarded).toHaveLength(1);
  });

  it('refuses to send without a recipient, edits again with e, and abandons with q after asking', async () => {
    const services = fakeServices((draft, round) =>
      round === 1
        ? { ...draft, subject: 'Plans', body: 'Hello\n' }
        : { ...draft, to: [{ name: '', address: 'grace@example.test' }] },
    );
    tui = await renderTui({
      inbox,
      options: { compose: services },
      config: { compose: { prompts: [] } },
    });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('New message: review before sending');
    await tui.see('The message has no recipient; add one in To, Cc or Bcc.');
    tui.press('y');
    await tui.waitFor(() => tui!.frame().split('\n').at(-1)!.includes('no recipient'));
    expect(services.sent).toHaveLength(0);
    tui.press('e');
    await tui.see('To:      grace@example.test');
    expect(tui.frame()).not.toContain('no recipient');
    tui.press('q');
    await tui.see('Abandon this message? (y/n)');
    tui.press('n');
    await tui.waitFor((f) => !f.includes('Abandon this'));
    expect(tui.frame()).toContain('New message: review before sending');
    tui.press('q');
    await tui.see('Abandon this message? (y/n)');
    tui.press('y');
    await tui.see('The message was abandoned.');
    expect(services.discarded).toHaveLength(1);
    expect(tui.frame()).toContain('Lunch on Friday?');
  });

  it('attaches files with a, removes them with D, and postpones with p', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-attach-'));
    writeFileSync(join(dir, 'plan.txt'), 'the plan\n');
    writeFileSync(join(dir, 'photo.jpg'), 'jpeg');
    const services = fakeServices((draft) => ({ ...draft, body: 'See attached.\n' }));
    tui = await renderTui({ inbox, options: { compose: services } });
    await tui.see('Lunch on Friday?');
    tui.press('f');
    await tui.see('Forward: review before sending');
    expect(tui.frame()).toContain('Subject: Fwd: Lunch on Friday?');
    tui.press('a');
    await tui.see('Attach file: ');
    tui.type(`${dir}/pl`);
    tui.press('<Tab>');
    await tui.see(`Attach file: ${dir}/plan.txt`);
    tui.press('<Enter>');
    await tui.see('1. plan.txt (type from the name, 9 B)');
    tui.press('a');
    await tui.see('Attach file: ');
    tui.type(`${dir}/photo.jpg`);
    tui.press('<Enter>');
    await tui.see('2. photo.jpg');
    tui.press('D');
    await tui.see('Remove attachment (1-2): ');
    tui.type('1');
    tui.press('<Enter>');
    await tui.waitFor((f) => !f.includes('plan.txt') && f.includes('1. photo.jpg'));
    tui.press('p');
    await tui.see('Postponed: the message is in Drafts.');
    expect(services.postponed[0]!.attachments.map((a) => a.filename)).toEqual(['photo.jpg']);
  });

  it('says when the server did not take the message: it waits in the outbox', async () => {
    const services = fakeServices((draft) => ({ ...draft, body: 'Yes!\n\n' + draft.body }), {
      status: 'failed',
      error: { userMessage: 'The server refused the connection.' },
    });
    tui = await renderTui({ inbox, options: { compose: services } });
    await tui.see('Lunch on Friday?');
    tui.press('<Enter>');
    await tui.see('Shall we meet at noon?');
    tui.press('R');
    await tui.see('Reply to all: review before sending');
    tui.press('y');
    await tui.see('Not sent yet (The server refused the connection); it waits in the outbox');
  });
});
