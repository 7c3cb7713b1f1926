/**
 * Writing like a power user, in the TUI with the fake backend: the To/Subject
 * prompts before the editor with Tab completing addresses (cycling, several
 * addresses, a slow source that never holds up typing), the review screen's
 * t/c/b/s keys and Alt-f (From, among the identities, with the signature
 * swapped), L for a list reply, and b/:bounce.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Draft } from '../../src/core/compose/index.js';
import type { Address } from '../../src/core/types.js';
import type { ComposeServices } from '../../src/ui/composer.js';
import { renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') process.stdout.write(`\nLast frame:\n${tui?.frame()}\n`);
  await tui?.cleanup();
  tui = undefined;
});

const BOOK: Address[] = [
  { name: 'Ada Lovelace', address: 'ada@example.test' },
  { name: 'Adam Smith', address: 'adam@example.test' },
  { name: 'Grace Hopper', address: 'grace@example.test' },
];

interface Fake extends ComposeServices {
  edits: Draft[];
  sent: Draft[];
  queries: string[];
  /** The last answer given (resolved once the source answered). */
  answered: Promise<unknown>;
  bounced: Array<{ source: { folder: string; uid: number }; to: Address[] }>;
}

function services(options: { slow?: Promise<void>; notice?: string } = {}): Fake {
  const fake: Fake = {
    edits: [],
    sent: [],
    queries: [],
    answered: Promise.resolve(),
    bounced: [],
    async edit(draft) {
      fake.edits.push(draft);
      return { draft: { ...draft, body: `Written.\n${draft.body}` }, exitCode: 0, changed: true };
    },
    async send(draft) {
      fake.sent.push(draft);
      return { status: 'sent', recipients: [], warnings: [] };
    },
    postpone: async () => ({ warnings: [] }),
    pending: async () => 0,
    save: async () => {},
    discard: async () => {},
    addresses(text) {
      fake.queries.push(text);
      const answer = (async () => {
        if (options.slow) await options.slow;
        const q = text.toLowerCase();
        return {
          matches: BOOK.filter((a) => a.name.toLowerCase().includes(q) || a.address.startsWith(q)),
          ...(options.notice ? { notice: options.notice } : {}),
        };
      })();
      fake.answered = answer;
      return answer;
    },
    async signature(identity) {
      if (identity.email === 'me@lists.example.test') return { text: 'Lists me' };
      return { text: 'Me at home' };
    },
    async bounce(source, to) {
      fake.bounced.push({ source, to });
      return { status: 'sent', recipients: to.map((a) => a.address), warnings: [] };
    },
  };
  return fake;
}

const inbox = [
  {
    subject: 'Lunch on Friday?',
    from: { name: 'Ada Lovelace', address: 'ada@example.test' },
    to: [{ address: 'me@example.test' }],
    text: 'Shall we meet at noon?\n',
  },
  {
    subject: '[dev] Release plan',
    from: { name: 'Bob', address: 'bob@example.test' },
    to: [{ name: 'Dev', address: 'dev@lists.example.test' }],
    text: 'Release on Monday.\n',
    headers: {
      'List-Post': '<mailto:dev@lists.example.test>',
      'Delivered-To': 'me@lists.example.test',
    },
  },
];

const account = {
  displayName: 'Me',
  identities: [{ email: 'me@lists.example.test', name: 'Me on lists' }],
};

describe('the header prompts before the editor', () => {
  it('m asks To with Tab completion (cycling, several addresses), then Subject; the editor gets them', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('To: ');
    tui.type('ada');
    tui.press('<Tab>');
    await tui.see('To: Ada Lovelace <ada@example.test>');
    tui.press('<Tab>');
    await tui.see('To: Adam Smith <adam@example.test>');
    tui.press('<S-Tab>');
    await tui.see('To: Ada Lovelace <ada@example.test>');
    tui.type(', gra');
    tui.press('<Tab>');
    await tui.see('To: Ada Lovelace <ada@example.test>, Grace Hopper <grace@example.test>');
    expect(fake.queries).toEqual(['ada', 'gra']);
    tui.press('<Enter>');
    await tui.see('Subject: ');
    tui.type('Plans');
    tui.press('<Enter>');
    const review = await tui.see('New message: review before sending');
    expect(fake.edits[0]).toMatchObject({
      to: [
        { name: 'Ada Lovelace', address: 'ada@example.test' },
        { name: 'Grace Hopper', address: 'grace@example.test' },
      ],
      subject: 'Plans',
      body: '\n\n-- \nMe at home\n',
    });
    expect(review).toContain('Subject: Plans');
  });

  it('keeps typing while a slow source answers, and drops an answer that came too late', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const fake = services({
      slow,
      notice:
        "The address book command khard did not answer within 3 s; only tmail's address book was used.",
    });
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('To: ');
    tui.type('gra');
    tui.press('<Tab>');
    await tui.see('To: gra');
    await tui.see('(looking up…)');
    tui.type('ce@example.test');
    await tui.see('To: grace@example.test');
    release();
    await fake.answered;
    // One turn for the prompt to take (or drop) the answer.
    await new Promise((resolve) => setImmediate(resolve));
    // The answer was for "gra": the prompt keeps what was typed since.
    expect(tui.frame()).toContain('To: grace@example.test');
    expect(tui.frame()).not.toContain('Grace Hopper');
    // A source that failed says so in the prompt, and the other source's matches still come.
    tui.press('<C-u>');
    tui.type('ada');
    tui.press('<Tab>');
    await tui.see(
      'To: Ada Lovelace <ada@example.test>   (1/2)  (The address book command khard did not',
    );
  });

  it('Esc in the To prompt starts nothing; compose.prompts [] goes straight to the editor', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('To: ');
    tui.press('<Esc>');
    await tui.waitFor((f) => !f.includes('To: '));
    expect(fake.edits).toHaveLength(0);
    await tui.cleanup();
    const direct = services();
    tui = await renderTui({
      inbox,
      account,
      options: { compose: direct },
      config: { compose: { prompts: [] } },
    });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('New message: review before sending');
    expect(direct.edits).toHaveLength(1);
  });
});

describe('a signature that cannot be read', () => {
  it('says so in one sentence and the message goes on without one', async () => {
    const fake = services();
    fake.signature = async () => ({
      text: '',
      problem: 'The signature file ~/.sig is missing; the message has no signature.',
    });
    tui = await renderTui({
      inbox,
      account,
      options: { compose: fake },
      config: { compose: { prompts: [] } },
    });
    await tui.see('Lunch on Friday?');
    tui.press('m');
    await tui.see('New message: review before sending');
    await tui.see('The signature file ~/.sig is missing; the message has no signature.');
    expect(fake.edits[0]!.body).toBe('\n');
  });
});

describe('the review screen’s keys', () => {
  it('t, c, b and s edit To, Cc, Bcc and Subject with completion; y sends', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    // The list is newest first: the list message is on top, Lunch under it.
    tui.press('j');
    await tui.settle();
    tui.press('r');
    await tui.see('Reply: review before sending');
    tui.press('t');
    await tui.see('To: Ada Lovelace <ada@example.test>, ');
    tui.type('gra');
    tui.press('<Tab>');
    await tui.see('To: Ada Lovelace <ada@example.test>, Grace Hopper <grace@example.test>');
    tui.press('<Enter>');
    await tui.see('To:      Ada Lovelace <ada@example.test>, Grace Hopper <grace@example.test>');
    tui.press('c');
    await tui.see('Cc: ');
    tui.type('adam');
    tui.press('<Tab>');
    await tui.see('Cc: Adam Smith <adam@example.test>');
    tui.press('<Enter>');
    await tui.see('Cc:      Adam Smith <adam@example.test>');
    tui.press('b');
    await tui.see('Bcc: ');
    tui.type('boss@example.test');
    tui.press('<Enter>');
    await tui.see('Bcc:     boss@example.test');
    tui.press('s');
    await tui.see('Subject: Re: Lunch on Friday?');
    tui.press('<C-u>');
    tui.type('Noon it is');
    tui.press('<Enter>');
    await tui.see('Subject: Noon it is');
    tui.press('y');
    await tui.see('Sent to');
    expect(fake.sent[0]).toMatchObject({
      to: [
        { name: 'Ada Lovelace', address: 'ada@example.test' },
        { name: 'Grace Hopper', address: 'grace@example.test' },
      ],
      cc: [{ name: 'Adam Smith', address: 'adam@example.test' }],
      bcc: [{ name: '', address: 'boss@example.test' }],
      subject: 'Noon it is',
    });
  });

  it('Alt-f and :from switch the identity, swapping the signature; a stranger’s address is refused', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    // The list is newest first: the list message is on top, Lunch under it.
    tui.press('j');
    await tui.settle();
    tui.press('r');
    await tui.see('Reply: review before sending');
    expect(tui.frame()).toContain('From:    Me <me@example.test>');
    tui.press('<M-f>');
    await tui.see('From: Me <me@example.test>');
    tui.press('<Tab>');
    await tui.see('From: Me <me@example.test>');
    tui.press('<Tab>');
    await tui.see('From: Me on lists <me@lists.example.test>');
    tui.press('<Enter>');
    await tui.see('From:    Me on lists <me@lists.example.test>');
    await tui.see('Lists me');
    expect(tui.frame()).not.toContain('Me at home');
    tui.type(':from mallory@example.test');
    tui.press('<Enter>');
    await tui.see('mallory@example.test is not one of the addresses of account test');
    tui.type(':from me@example.test');
    tui.press('<Enter>');
    await tui.see('From:    Me <me@example.test>');
    await tui.see('Me at home');
    tui.press('y');
    await tui.see('Sent to');
    expect(fake.sent[0]!.body.match(/^-- $/gm)).toHaveLength(1);
    expect(fake.sent[0]!.body).toContain('-- \nMe at home');
  });
});

describe('list replies and bounce', () => {
  it('L replies to the list from the identity it came to; a message of no list says so', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    tui.press('j');
    await tui.settle();
    tui.press('L');
    await tui.see('This message has no List-Post header');
    tui.press('k');
    await tui.settle();
    tui.press('L');
    const review = await tui.see('Reply to the list: review before sending');
    expect(review).toContain('To:      dev@lists.example.test');
    expect(review).toContain('From:    Me on lists <me@lists.example.test>');
    expect(fake.edits[0]!.body).toContain('-- \nLists me');
  });

  it('b asks where to, with completion, confirms, and bounces the selected message; :bounce takes the address', async () => {
    const fake = services();
    tui = await renderTui({ inbox, account, options: { compose: fake } });
    await tui.see('Lunch on Friday?');
    tui.press('b');
    await tui.see('Bounce to: ');
    tui.type('gra');
    tui.press('<Tab>');
    await tui.see('Bounce to: Grace Hopper <grace@example.test>');
    tui.press('<Enter>');
    await tui.see('Bounce the message to grace@example.test? (y/n)');
    tui.press('y');
    await tui.see('Bounced to grace@example.test.');
    expect(fake.bounced).toEqual([
      {
        source: { folder: 'INBOX', uid: expect.any(Number) },
        to: [{ name: 'Grace Hopper', address: 'grace@example.test' }],
      },
    ]);
    tui.type(':bounce not an address');
    tui.press('<Enter>');
    await tui.see('is not a valid email address.');
    tui.type(':bounce ada@example.test');
    tui.press('<Enter>');
    await tui.see('Bounce the message to ada@example.test? (y/n)');
    tui.press('n');
    await tui.settle();
    expect(fake.bounced).toHaveLength(1);
  });
});
