/**
 * Moving through mail on the fake backend: next and previous unread across a
 * folder larger than the screen (to rows never loaded), wrapping once with a
 * notice; tagging by search, all and none, and the mail commands acting on
 * every tagged message, also those never shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { SEEN, FLAGGED } from '../../src/core/types.js';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

function subjects(server: FakeMailServer, path: string): string[] {
  return server.folders
    .get(path)!
    .messages.map((m) => m.envelope.subject)
    .sort();
}

/** 200 read messages but numbers 150 and 3 (the list shows 200 first). */
function mostlyRead(unread = [3, 150]) {
  return numbered(200).map((spec, i) => ({
    ...spec,
    flags: unread.includes(i + 1) ? [] : [SEEN],
  }));
}

async function command(t: TuiHarness, line: string): Promise<void> {
  t.press(':');
  await t.see(':');
  t.type(line);
  t.press('<Enter>');
}

describe('next and previous unread', () => {
  it('Tab goes to unread messages far below the screen, then wraps to the top once', async () => {
    tui = await renderTui({ inbox: mostlyRead(), rows: 24 });
    await tui.see('Message number 200');
    expect(tui.frame()).not.toContain('Message number 150');
    tui.press('<Tab>');
    await tui.waitFor(() => tui!.highlighted('Message number 150'), 'cursor on 150');
    tui.press('<Tab>');
    await tui.waitFor(() => tui!.highlighted('Message number 3 '), 'cursor on 3');
    tui.press('<Tab>');
    await tui.waitFor(() => tui!.highlighted('Message number 150'), 'wrapped to 150');
    await tui.see('Wrapped to the top: no unread message below.');
  });

  it('Esc-Tab and Shift-Tab go up, wrapping to the bottom; :prev-unread and :next-unread too', async () => {
    tui = await renderTui({ inbox: mostlyRead(), rows: 24 });
    await tui.see('Message number 200');
    tui.press('<M-Tab>');
    await tui.waitFor(() => tui!.highlighted('Message number 3 '), 'wrapped to 3');
    await tui.see('Wrapped to the bottom: no unread message above.');
    tui.press('<S-Tab>');
    await tui.waitFor(() => tui!.highlighted('Message number 150'), 'up to 150');
    await command(tui, 'next-unread');
    await tui.waitFor(() => tui!.highlighted('Message number 3 '), ':next-unread to 3');
    await command(tui, 'prev-unread');
    await tui.waitFor(() => tui!.highlighted('Message number 150'), ':prev-unread to 150');
  });

  it('in the reader, Tab opens the next unread message', async () => {
    tui = await renderTui({ inbox: mostlyRead(), rows: 24 });
    await tui.see('Message number 200');
    tui.press('<Enter>');
    await tui.see('Body of message 200');
    tui.press('<Tab>');
    await tui.see('Body of message 150');
  });

  it('says so when no message is unread', async () => {
    tui = await renderTui({ inbox: mostlyRead([]), rows: 24 });
    await tui.see('Message number 200');
    tui.press('<Tab>');
    await tui.see('There is no other unread message in INBOX.');
    expect(tui.highlighted('Message number 200')).toBe(true);
  });
});

describe('tagging', () => {
  it('T tags every match of a search, loaded or not, and s moves them all', async () => {
    const inbox = numbered(120).map((spec, i) => ({
      ...spec,
      flags: [1, 60, 119].includes(i + 1) ? [FLAGGED] : [],
    }));
    tui = await renderTui({ inbox, rows: 24 });
    await tui.see('Message number 120');
    tui.press('T');
    await tui.see('Tag messages matching: ');
    tui.type('is:flagged');
    tui.press('<Enter>');
    await tui.see('Tagged 3 messages matching is:flagged; 3 tagged in all.');
    await tui.see('3 tagged');
    expect(tui.line('Message number 119')).toMatch(/│\*/);
    tui.press('s');
    await tui.see('Move 3 messages to: ');
    tui.type('Archive');
    tui.press('<Enter>');
    await tui.waitFor((f) => !f.includes('Message number 119'));
    await tui.settle();
    expect(subjects(tui.server, 'Archive')).toEqual([
      'Message number 1',
      'Message number 119',
      'Message number 60',
    ]);
    expect(tui.frame()).not.toContain('tagged');
  });

  it(':tag-pattern QUERY, :tag-all and :untag-all (Ctrl-t)', async () => {
    tui = await renderTui({ inbox: numbered(80), rows: 24 });
    await tui.see('Message number 80');
    await command(tui, 'tag-pattern subject:"number 7"');
    await tui.see('Tagged 11 messages matching subject:"number 7"; 11 tagged in all.');
    await command(tui, 'tag-pattern from:nobody-at-all');
    await tui.see('No message matches from:nobody-at-all; nothing was tagged.');
    await command(tui, 'tag-all');
    await tui.see('Tagged all 80 messages.');
    await tui.see('80 tagged');
    tui.press('<C-t>');
    await tui.see('Untagged 80 messages.');
    expect(tui.frame()).not.toContain('80 tagged');
    await command(tui, 'untag-all');
    await tui.see('No message was tagged.');
  });

  it('delete, copy, flag and read act on every tagged message, also ones never shown', async () => {
    tui = await renderTui({ inbox: numbered(100), rows: 24 });
    await tui.see('Message number 100');
    const server = tui.server;
    const flagsOf = (n: number) =>
      server.folders
        .get('INBOX')!
        .messages.find((m) => m.envelope.subject === `Message number ${n}`)?.flags ?? [];
    const tag = async () => {
      await command(tui!, 'tag-pattern subject:"number 5"');
      await tui!.see('Tagged 11 messages');
    };
    await tag();
    tui.press('F');
    await tui.waitFor(() => flagsOf(5).includes(FLAGGED) && flagsOf(50).includes(FLAGGED));
    expect(flagsOf(59)).toContain(FLAGGED);
    expect(flagsOf(6)).not.toContain(FLAGGED);
    await tag();
    tui.press('N');
    await tui.waitFor(() => flagsOf(5).includes(SEEN) && flagsOf(55).includes(SEEN));
    expect(flagsOf(100)).not.toContain(SEEN);
    await tag();
    tui.press('C');
    await tui.see('Copy 11 messages to: ');
    tui.type('Archive');
    tui.press('<Enter>');
    await tui.waitFor(() => subjects(server, 'Archive').length === 11);
    await tag();
    tui.press('d');
    await tui.waitFor(() => subjects(server, 'Trash').length === 11);
    expect(subjects(server, 'INBOX')).toHaveLength(89);
    expect(subjects(server, 'INBOX')).not.toContain('Message number 5');
  });
});

describe(':sort from', () => {
  // Names and addresses in opposite orders: by address the list would read Zed, Mia, anna.
  const inbox = [
    { subject: 'First', from: { name: 'Zed Quill', address: 'a@sort.example' } },
    { subject: 'Second', from: { name: 'Mia Stone', address: 'm@sort.example' } },
    { subject: 'Third', from: { name: 'anna Berg', address: 'z@sort.example' } },
  ];
  const order = (frame: string) =>
    ['anna Berg', 'Mia Stone', 'Zed Quill'].map((name) => frame.indexOf(name));

  it('sorts by the name shown, the server sorting by DISPLAYFROM', async () => {
    tui = await renderTui({ inbox });
    await tui.see('Zed Quill');
    await command(tui, 'sort from');
    const frame = await tui.see('from ↑');
    const [anna, mia, zed] = order(frame);
    expect(anna).toBeLessThan(mia!);
    expect(mia).toBeLessThan(zed!);
    expect(frame).not.toContain('cannot sort');
  });

  it('without SORT=DISPLAY, sorts the names shown here and says so', async () => {
    const server = new FakeMailServer();
    server.capabilities.delete('SORT=DISPLAY');
    server.deliver('INBOX', inbox);
    tui = await renderTui({ server });
    await tui.see('Zed Quill');
    await command(tui, 'sort from');
    const frame = await tui.waitFor(
      (f) => f.includes('cannot sort by from') && f.includes('anna Berg'),
    );
    const [anna, mia, zed] = order(frame);
    expect(anna).toBeLessThan(mia!);
    expect(mia).toBeLessThan(zed!);
  });
});

describe('threads', () => {
  // A plan with three replies (one a reply to a reply), then a lone message after it.
  const thread = [
    { subject: 'Plan', messageId: '<p@x>', flags: [SEEN] },
    { subject: 'Re: Plan one', messageId: '<p1@x>', inReplyTo: '<p@x>' },
    { subject: 'Re: Plan two', messageId: '<p2@x>', inReplyTo: '<p1@x>', flags: [SEEN] },
    { subject: 'Re: Plan three', messageId: '<p3@x>', inReplyTo: '<p@x>' },
    { subject: 'Lunch', messageId: '<l@x>', flags: [SEEN] },
  ];
  const row = (t: TuiHarness, text: string) => t.line(text)?.replace(/\s+$/, '') ?? '';

  async function threaded(options: Parameters<typeof renderTui>[0] = {}): Promise<TuiHarness> {
    const t = await renderTui({ inbox: thread, ...options });
    await t.see('Lunch');
    await command(t, 'thread on');
    await t.see('│ threads');
    return t;
  }

  it('draws the tree with guides like mutt', async () => {
    tui = await threaded();
    await tui.see('└─>Re: Plan three');
    expect(row(tui, 'Plan one')).toMatch(/├─>Re: Plan one/);
    expect(row(tui, 'Plan two')).toMatch(/│ └─>Re: Plan two/);
    expect(row(tui, 'Plan three')).toMatch(/└─>Re: Plan three/);
    const lines = tui.frame().split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('Lunch')).toBeLessThan(at(' Plan '));
    expect(at(' Plan ')).toBeLessThan(at('Plan one'));
    expect(at('Plan one')).toBeLessThan(at('Plan two'));
    expect(at('Plan two')).toBeLessThan(at('Plan three'));
  });

  it('Esc-v folds the thread under the cursor into one row with its unread count, and unfolds it', async () => {
    tui = await threaded();
    await tui.see('Re: Plan two');
    // From a reply, the fold takes in its whole thread and the cursor goes to the thread's row.
    tui.press('jjj');
    await tui.waitFor(() => tui!.highlighted('Re: Plan two'), 'cursor on a reply');
    tui.press('<M-v>');
    await tui.see('[4, 2 unread] Plan');
    expect(tui.frame()).not.toContain('Re: Plan');
    expect(tui.highlighted('[4, 2 unread] Plan')).toBe(true);
    // The folder still holds five messages.
    expect(tui.frame()).toContain('2 new, 5 messages');
    tui.press('<M-v>');
    await tui.see('│ └─>Re: Plan two');
    expect(tui.frame()).not.toContain('unread] Plan');
  });

  it('Esc-V and :fold-all / :unfold-all fold every thread; the folded count follows flags', async () => {
    tui = await threaded();
    tui.press('<M-V>');
    await tui.see('[4, 2 unread] Plan');
    tui.press('<M-V>');
    await tui.see('Re: Plan one');
    await command(tui, 'fold-all');
    await tui.see('[4, 2 unread] Plan');
    await command(tui, 'unfold-all');
    await tui.see('Re: Plan three');
    await command(tui, 'fold');
    // The cursor is on Lunch, a thread of one: nothing folds.
    await tui.settle();
    expect(tui.frame()).toContain('Re: Plan three');
    tui.press('j');
    await command(tui, 'fold');
    await tui.see('[4, 2 unread] Plan');
    // Marking the folded thread read marks all of it: the count goes.
    tui.press('N');
    await tui.see('[4] Plan');
    await command(tui, 'unfold');
    await tui.see('Re: Plan one');
  });

  it('a folded thread is one row: d deletes the whole thread, t tags all of it', async () => {
    tui = await threaded();
    tui.press('j');
    tui.press('<M-v>');
    await tui.see('[4, 2 unread] Plan');
    tui.press('t');
    await tui.see('4 tagged');
    tui.press('<C-t>');
    await tui.see('Untagged 4 messages.');
    tui.press('k');
    tui.press('j');
    tui.press('d');
    await tui.waitFor((f) => !f.includes('unread] Plan'));
    await tui.settle();
    expect(subjects(tui.server, 'Trash')).toEqual([
      'Plan',
      'Re: Plan one',
      'Re: Plan three',
      'Re: Plan two',
    ]);
  });

  it('Tab goes to a folded thread whose hidden reply is unread', async () => {
    const inbox = [...thread.slice(0, 4).map((m) => ({ ...m, flags: [SEEN] })), thread[4]!];
    inbox[2] = { ...inbox[2]!, flags: [] };
    tui = await threaded({ inbox });
    tui.press('<M-V>');
    await tui.see('[4, 1 unread] Plan');
    tui.press('<Tab>');
    await tui.waitFor(() => tui!.highlighted('[4, 1 unread] Plan'), 'on the folded thread');
  });

  it('says so when the list is not threaded', async () => {
    tui = await renderTui({ inbox: thread });
    await tui.see('Lunch');
    tui.press('<M-v>');
    await tui.see('The list is not shown as threads; :thread turns them on.');
  });

  it("opens folders as the account's threads setting says: a pattern, folded", async () => {
    const server = new FakeMailServer();
    server.deliver('Archive', thread);
    server.deliver('INBOX', numbered(3));
    tui = await renderTui({ server, account: { threads: { '*': 'off', 'Arch*': 'folded' } } });
    await tui.see('Message number 3');
    await command(tui, 'folder Archive');
    await tui.see('[4, 2 unread] Plan');
    expect(tui.frame()).toContain('│ threads');
    await command(tui, 'folder INBOX');
    await tui.see('Message number 3');
    expect(tui.frame()).not.toContain('│ threads');
  });

  it('without THREAD, makes the tree here from In-Reply-To and References, and says so', async () => {
    const server = new FakeMailServer();
    server.capabilities.delete('THREAD=REFERENCES');
    server.deliver('INBOX', [
      { subject: 'Budget', messageId: '<b@x>' },
      { subject: 'Lunch', messageId: '<l@x>' },
      // Its parent is not in the folder: References still names the thread's first message.
      {
        subject: 'Numbers',
        messageId: '<n@x>',
        inReplyTo: '<gone@x>',
        references: ['<b@x>', '<gone@x>'],
      },
    ]);
    tui = await renderTui({ server });
    await tui.see('Numbers');
    await command(tui, 'thread on');
    await tui.see('└─>Numbers');
    await tui.see('cannot thread messages');
  });
});
