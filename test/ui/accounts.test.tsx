/**
 * Several accounts in one session: the sidebar shows each account with its
 * folders, `:account NAME`, Ctrl-n/Ctrl-p and `A` (Tab completes) switch
 * between them, the status line names the account shown, another account's
 * INBOX count follows its new mail, a message written in an account is that
 * account's, and an account whose server is down is offline on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Draft } from '../../src/core/compose/index.js';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { TmailError } from '../../src/core/errors.js';
import type { ComposeServices } from '../../src/ui/composer.js';
import { numbered, renderTui, type OtherAccount, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

/** A second account, `work`, whose INBOX holds `count` messages of its own. */
function work(count = 3, overrides: Partial<OtherAccount> = {}): OtherAccount {
  const server = new FakeMailServer();
  server.deliver(
    'INBOX',
    numbered(count, { to: [{ address: 'me@work.test' }] }).map((m, i) => ({
      ...m,
      subject: `Work item ${i + 1}`,
    })),
  );
  return {
    account: { name: 'work', email: 'me@work.test', displayName: 'Me at work' },
    server,
    ...overrides,
  };
}

/** Two accounts: `home` (the first shown, with 4 messages) and `work`. */
async function twoAccounts(other: OtherAccount = work(), rows = 30): Promise<TuiHarness> {
  return renderTui({
    inbox: numbered(4),
    account: { name: 'home', email: 'me@home.test' },
    others: [other],
    rows,
  });
}

/** The status line (the second line from the bottom). */
function statusLine(frame: string): string {
  const lines = frame.split('\n');
  return lines[lines.length - 2] ?? '';
}

describe('several accounts in one session', () => {
  it('shows every account in the sidebar, the first unfolded, and opens no other at start', async () => {
    tui = await twoAccounts();
    const frame = await tui.see('Message number 4');
    expect(frame).toMatch(/▾home/);
    expect(frame).toMatch(/▸work/);
    // The first account's folders sit under its line; work is one line, never connected.
    const lines = frame.split('\n');
    const home = lines.findIndex((l) => l.includes('▾home'));
    const inbox = lines.findIndex((l) => / INBOX/.test(l.slice(0, 20)));
    const workLine = lines.findIndex((l) => l.includes('▸work'));
    expect(inbox).toBeGreaterThan(home);
    expect(workLine).toBeGreaterThan(inbox);
    expect(tui.registry.opened('work')).toBeNull();
    expect(statusLine(frame)).toMatch(/^ home │ INBOX/);
  });

  it(':account NAME switches the list, the sidebar and the status line, and Ctrl-p goes back', async () => {
    tui = await twoAccounts();
    await tui.see('Message number 4');
    tui.press(':');
    tui.type('account work');
    tui.press('<Enter>');
    // The list may come before work's folder list (and with it the counts).
    const frame = await tui.waitFor((f) => f.includes('Work item 3') && f.includes('3 new'));
    expect(frame).not.toContain('Message number 4');
    expect(statusLine(frame)).toMatch(/^ work │ INBOX │ 3 new, 3 messages/);
    expect(frame).toMatch(/▾work/);
    // The open folder highlighted is work's INBOX, not home's.
    const lines = frame.split('\n');
    const workLine = lines.findIndex((l) => l.includes('▾work'));
    const rawLines = tui.rawFrame().split('\n');
    const homeInbox = lines.findIndex((l) => l.startsWith('  INBOX'));
    // The open folder's row is drawn on blue (44) or inverse (7); home's INBOX no longer is.
    expect(rawLines[workLine + 1]).toMatch(/\u001b\[(44|7)m\S*\s+INBOX/);
    expect(rawLines[homeInbox]).not.toMatch(/\u001b\[(44|7)m/);
    // Reading in the second account.
    tui.press('<Enter>');
    await tui.see('Body of message 3');
    tui.press('q');
    await tui.see('Work item 1');
    tui.press('<C-p>');
    const back = await tui.see('Message number 4');
    expect(statusLine(back)).toMatch(/^ home │ INBOX │ 4 new, 4 messages/);
    tui.press('<Enter>');
    await tui.see('Body of message 4');
  });

  it('A asks for the account with Tab completing its name; Ctrl-n wraps around', async () => {
    tui = await twoAccounts();
    await tui.see('Message number 4');
    tui.press('A');
    await tui.see('Account:');
    tui.type('w');
    tui.press('<Tab>');
    await tui.see('Account: work');
    tui.press('<Enter>');
    await tui.see('Work item 3');
    tui.press('<C-n>');
    await tui.see('Message number 4');
    tui.press(':');
    tui.type('account nobody');
    tui.press('<Enter>');
    await tui.see('There is no account named nobody');
  });

  it('coming back to an account finds its cursor where it was left', async () => {
    tui = await twoAccounts();
    await tui.see('Message number 4');
    tui.press('j');
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Message number 2'));
    tui.press('<C-n>');
    await tui.see('Work item 3');
    // The other account's list starts at its top, as always.
    await tui.waitFor(() => tui!.highlighted('Work item 3'));
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Work item 2'));
    tui.press('<C-p>');
    await tui.see('Message number 4');
    await tui.waitFor(() => tui!.highlighted('Message number 2'));
    tui.press('<C-n>');
    await tui.waitFor(() => tui!.highlighted('Work item 2'));
  });

  it("counts new mail in the other account's INBOX, also when that account is folded", async () => {
    const other = work(2);
    tui = await twoAccounts(other);
    await tui.see('Message number 4');
    tui.press('<C-n>');
    await tui.see('Work item 2');
    tui.press('<C-p>');
    await tui.see('Message number 4');
    // Fold work: its line then carries its INBOX's unread count.
    tui.press(':');
    tui.type('fold-account work');
    tui.press('<Enter>');
    await tui.waitFor((f) => /▸work\s+2/.test(f));
    other.server!.deliver('INBOX', [
      { subject: 'Urgent work', from: { address: 'boss@work.test' } },
    ]);
    await tui.waitFor((f) => /▸work\s+3/.test(f));
    // Unfolded, the count is on its INBOX line.
    tui.press(':');
    tui.type('fold-account work');
    tui.press('<Enter>');
    const frame = await tui.waitFor((f) => /▾work/.test(f));
    const lines = frame.split('\n');
    const workLine = lines.findIndex((l) => l.includes('▾work'));
    expect(lines[workLine + 1]).toMatch(/INBOX\s+3/);
  });

  it('a second account whose server is down shows offline and holds up nothing', async () => {
    tui = await twoAccounts(work(3, { down: true }));
    await tui.see('Message number 4');
    tui.press('<C-n>');
    const frame = await tui.waitFor((f) => statusLine(f).includes('offline'));
    expect(statusLine(frame)).toMatch(/^ work/);
    expect(frame).toMatch(/▾work\s+offline/);
    expect(frame).toContain('(offline)');
    tui.press('<C-p>');
    const back = await tui.see('Message number 4');
    expect(statusLine(back)).toContain('online');
    expect(statusLine(back)).toMatch(/^ home/);
    // The first account still reads and acts.
    tui.press('<Enter>');
    await tui.see('Body of message 4');
  });

  it('asks before quitting when another account than the shown one has changes queued offline', async () => {
    const other = work(2);
    tui = await twoAccounts(other);
    await tui.see('Message number 4');
    tui.press('<C-n>');
    await tui.see('Work item 2');
    other.server!.refuseConnections = new TmailError('CONNECTION_REFUSED');
    other.server!.dropConnections();
    await tui.waitFor((f) => statusLine(f).includes('offline'));
    tui.press('F');
    await tui.see('1 queued');
    tui.press('<C-p>');
    await tui.waitFor((f) => statusLine(f).startsWith(' home'));
    tui.press('q');
    await tui.see('1 change waiting for the connection (kept for the next run). Quit? (y/n)');
    expect(tui.exited()).toBe(false);
    tui.press('y');
    await tui.waitFor(() => tui!.exited());
  });

  it('a reply written in the second account is that account’s: its identity, its sending', async () => {
    const sent: Draft[] = [];
    const services: ComposeServices = {
      edit: async (draft) => ({
        draft: { ...draft, body: `Done.\n${draft.body}` },
        exitCode: 0,
        changed: true,
      }),
      send: async (draft) => {
        sent.push(draft);
        return { status: 'sent', recipients: [], warnings: [] };
      },
      postpone: async () => ({ warnings: [] }),
      pending: async () => 0,
      save: async () => {},
      discard: async () => {},
    };
    tui = await renderTui({
      inbox: numbered(4),
      account: { name: 'home', email: 'me@home.test' },
      others: [work()],
      options: { compose: services },
    });
    await tui.see('Message number 4');
    tui.press(':');
    tui.type('account work');
    tui.press('<Enter>');
    await tui.see('Work item 3');
    tui.press('r');
    const review = await tui.see('review before sending');
    expect(review).toContain('From:    Me at work <me@work.test>');
    // Back on the first account before sending: the message stays work's.
    tui.press(':');
    tui.type('account home');
    tui.press('<Enter>');
    await tui.waitFor((f) => statusLine(f).startsWith(' home'));
    tui.press(':');
    tui.type('compose.send');
    tui.press('<Enter>');
    await tui.see('Sent to sender3@example.test.');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.account).toBe('work');
    expect(sent[0]!.from.address).toBe('me@work.test');
    expect(sent[0]!.origin).toMatchObject({ kind: 'reply', source: { folder: 'INBOX', uid: 3 } });
  });
});
