/**
 * The message list on the fake backend: layout, cursor keys, virtualised
 * rows, flags, delete and undo, expunge, moves with completion, folders,
 * search, live updates from the server, and the sanitizer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { cellWidth } from '../../src/core/text/index.js';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

function serverFlags(server: FakeMailServer, path: string, uid: number): string[] {
  return server.folders.get(path)!.messages.find((m) => m.uid === uid)?.flags ?? [];
}

function serverUids(server: FakeMailServer, path: string): number[] {
  return server.folders.get(path)!.messages.map((m) => m.uid);
}

describe('the message list', () => {
  it('fills the terminal, newest first, with the cursor on the top row', async () => {
    tui = await renderTui({ inbox: numbered(50), columns: 100, rows: 30 });
    const frame = await tui.see('Message number 50');
    const lines = frame.split('\n');
    expect(lines).toHaveLength(30);
    expect(lines.every((l) => cellWidth(l) <= 100)).toBe(true);
    expect(tui.highlighted('Message number 50')).toBe(true);
    expect(tui.highlighted('Message number 49')).toBe(false);
    // Sidebar with INBOX first and its unread count, status line with the counts.
    expect(lines[0]).toMatch(/^ INBOX\s+50│/);
    expect(frame).toMatch(/test │ INBOX │ 50 new, 50 messages │ arrival ↓/);
    expect(frame).toContain('online');
    // The flag column shows N for new mail.
    expect(tui.line('Message number 50')).toMatch(/│ N {4}Sender 50/);
  });

  it('moves with j, k, G, g, arrows, PgDn and Ctrl-d', async () => {
    tui = await renderTui({ inbox: numbered(100), rows: 24 });
    await tui.see('Message number 100');
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Message number 99'));
    tui.press('<Down><Down>');
    await tui.waitFor(() => tui!.highlighted('Message number 97'));
    tui.press('k');
    await tui.waitFor(() => tui!.highlighted('Message number 98'));
    tui.press('G');
    await tui.waitFor(() => tui!.highlighted('Message number 1 '));
    tui.press('g');
    await tui.waitFor(() => tui!.highlighted('Message number 100'));
    // A page is the list's height (22 rows at 24 lines).
    tui.press('<PgDn>');
    await tui.waitFor(() => tui!.highlighted('Message number 78'));
    tui.press('<C-u>');
    await tui.waitFor(() => tui!.highlighted('Message number 89'));
    tui.press('<End>');
    await tui.waitFor(() => tui!.highlighted('Message number 1 '));
    tui.press('<Home>');
    await tui.waitFor(() => tui!.highlighted('Message number 100'));
  });

  it('takes typed-ahead keys that arrive in one chunk as separate keys', async () => {
    tui = await renderTui({ inbox: numbered(20) });
    await tui.see('Message number 20');
    // Ink hands these over as one string; each must count.
    tui.type('jjj\r');
    await tui.see('Body of message 17.');
    expect(tui.runtime.controller.openUid()).toBe(17);
  });

  it('draws only the rows on screen and fills them in as envelopes arrive', async () => {
    tui = await renderTui({ inbox: numbered(5000), rows: 24 });
    await tui.see('Message number 5000');
    await tui.settle();
    const fetched = tui.engine.stats.envelopesFetched;
    // The first window and a margin, never the folder.
    expect(fetched).toBeLessThan(200);
    tui.press('G');
    await tui.waitFor(() => tui!.highlighted('Message number 1 '));
    await tui.see('Message number 22 ');
    await tui.settle();
    expect(tui.engine.stats.envelopesFetched - fetched).toBeLessThan(200);
    expect(tui.engine.state.view!.envelopes.size).toBeLessThan(500);
    expect(tui.frame().split('\n')).toHaveLength(24);
  });

  it('shows a placeholder for rows whose envelope is not there yet', async () => {
    tui = await renderTui({ inbox: numbered(3000), rows: 24 });
    await tui.see('Message number 3000');
    // Hold the fetch: the rows at the bottom are known by UID but not yet fetched.
    tui.engine.reconnect();
    tui.press('<End>');
    const frame = await tui.waitFor((f) => f.includes('Message number 1 ') || /│ {6}…/.test(f));
    expect(frame.split('\n')).toHaveLength(24);
    await tui.see('Message number 1 ');
  });

  it('toggles flagged and read on the server, deciding from the current flags', async () => {
    tui = await renderTui({ inbox: numbered(5) });
    await tui.see('Message number 5');
    tui.press('F');
    await tui.waitFor(() => /│ N! {3}Sender 5/.test(tui!.line('Message number 5') ?? ''));
    await tui.settle();
    expect(serverFlags(tui.server, 'INBOX', 5)).toContain('\\Flagged');
    tui.press('F');
    await tui.waitFor(() => /│ N {4}Sender 5/.test(tui!.line('Message number 5') ?? ''));
    await tui.settle();
    expect(serverFlags(tui.server, 'INBOX', 5)).not.toContain('\\Flagged');
    tui.press('N');
    await tui.waitFor(() => /│ {6}Sender 5/.test(tui!.line('Message number 5') ?? ''));
    await tui.settle();
    expect(serverFlags(tui.server, 'INBOX', 5)).toContain('\\Seen');
  });

  it('deletes to Trash keeping the cursor on the next message, and u undoes it', async () => {
    tui = await renderTui({ inbox: numbered(6) });
    await tui.see('Message number 6');
    tui.press('jd');
    await tui.waitFor((f) => !f.includes('Message number 5'));
    expect(tui.highlighted('Message number 4')).toBe(true);
    await tui.settle();
    expect(serverUids(tui.server, 'INBOX')).not.toContain(5);
    expect(tui.server.folders.get('Trash')!.messages).toHaveLength(1);
    await tui.see('Deleted 1 message; u undoes.');
    tui.press('u');
    await tui.see('Message number 5');
    await tui.settle();
    expect(tui.server.folders.get('Trash')!.messages).toHaveLength(0);
    expect(tui.server.folders.get('INBOX')!.messages).toHaveLength(6);
  });

  it('types ahead through two deletes: dd deletes two messages', async () => {
    tui = await renderTui({ inbox: numbered(6) });
    await tui.see('Message number 6');
    tui.type('dd');
    await tui.waitFor((f) => !f.includes('Message number 6') && !f.includes('Message number 5'));
    await tui.settle();
    expect(serverUids(tui.server, 'INBOX')).toEqual([1, 2, 3, 4]);
    expect(tui.highlighted('Message number 4')).toBe(true);
  });

  it('marks deleted mutt-style and expunges after asking', async () => {
    tui = await renderTui({ inbox: numbered(4), account: { deleteMode: 'mark' } });
    await tui.see('Message number 4');
    tui.press('d');
    await tui.waitFor(
      () =>
        /│ ND/.test(tui!.line('Message number 4') ?? '') ||
        /│ D/.test(tui!.line('Message number 4') ?? ''),
    );
    // The cursor steps over the marked message, as mutt does.
    await tui.waitFor(() => tui!.highlighted('Message number 3'));
    tui.press('$');
    await tui.see('Expunge 1 deleted message? (y/n)');
    tui.press('n');
    await tui.waitFor((f) => !f.includes('Expunge 1 deleted'));
    expect(serverUids(tui.server, 'INBOX')).toEqual([1, 2, 3, 4]);
    tui.press('$');
    await tui.see('Expunge 1 deleted message? (y/n)');
    tui.press('y');
    await tui.see('Expunged 1 message.');
    await tui.settle();
    expect(serverUids(tui.server, 'INBOX')).toEqual([1, 2, 3]);
    expect(tui.frame()).not.toContain('Message number 4');
  });

  it('moves a message to a folder chosen with Tab completion', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.press('s');
    await tui.see('Move to: ');
    tui.type('Arc');
    await tui.see('Move to: Arc');
    tui.press('<Tab>');
    await tui.see('Move to: Archive');
    tui.press('<Enter>');
    await tui.waitFor((f) => !f.includes('Message number 3'));
    await tui.settle();
    expect(tui.server.folders.get('Archive')!.messages.map((m) => m.envelope.subject)).toEqual([
      'Message number 3',
    ]);
    await tui.see('Moved 1 message to Archive');
  });

  it('archives with a and acts on tagged messages', async () => {
    tui = await renderTui({ inbox: numbered(5) });
    await tui.see('Message number 5');
    tui.press('tt');
    await tui.see('2 tagged');
    expect(tui.line('Message number 5')).toMatch(/│\*N/);
    tui.press('a');
    await tui.waitFor((f) => !f.includes('Message number 5') && !f.includes('Message number 4'));
    await tui.settle();
    expect(serverUids(tui.server, 'Archive')).toHaveLength(2);
    expect(tui.frame()).not.toContain('tagged');
  });

  it("shows recipients in the account's own Sent folder, as set in the dotfile", async () => {
    const server = new FakeMailServer();
    server.deliver('INBOX', numbered(1));
    const sent = { subject: 'Went out', to: [{ name: 'Bob', address: 'bob@x.test' }] };
    server.addFolder('Outgoing', null);
    server.deliver('Outgoing', [sent]);
    server.deliver('Sent', [{ ...sent, subject: 'Filed by the server' }]);
    tui = await renderTui({
      server,
      account: { folders: { sent: 'Outgoing' } },
      folder: 'Outgoing',
    });
    await tui.see('Went out');
    expect(tui.line('Went out')).toContain('To: Bob');
    // The server's Sent is not this account's Sent folder: its rows show the sender.
    tui.press(':');
    tui.type('folder Sent');
    tui.press('<Enter>');
    await tui.see('Filed by the server');
    expect(tui.line('Filed by the server')).not.toContain('To: Bob');
  });

  it('goes to folders by name and with J and K', async () => {
    const server = new FakeMailServer();
    server.deliver('INBOX', numbered(2));
    server.deliver('Sent', [
      { subject: 'What I sent', to: [{ name: 'Bob', address: 'bob@x.test' }] },
    ]);
    tui = await renderTui({ server });
    await tui.see('Message number 2');
    tui.press('c');
    await tui.see('Open folder: ');
    tui.type('sent');
    tui.press('<Enter>');
    await tui.see('What I sent');
    // Sent shows who it went to.
    expect(tui.line('What I sent')).toContain('To: Bob');
    expect(tui.frame()).toMatch(/│ Sent │/);
    tui.press('K');
    await tui.waitFor((f) => /│ Drafts │/.test(f));
    tui.press('J');
    await tui.waitFor((f) => /│ Sent │/.test(f));
    tui.press(':');
    tui.type('folder INBOX');
    tui.press('<Enter>');
    await tui.see('Message number 2');
  });

  it('searches: the results become the list and Esc returns to the folder', async () => {
    tui = await renderTui({
      inbox: [
        ...numbered(5),
        { subject: 'Lunch on Friday', from: { name: 'Ada', address: 'ada@example.test' } },
      ],
    });
    await tui.see('Lunch on Friday');
    tui.press('/');
    await tui.see('Search: ');
    tui.type('from:ada');
    tui.press('<Enter>');
    await tui.waitFor((f) => f.includes('[search: from:ada]') && f.includes('1 found'));
    expect(tui.frame()).not.toContain('Message number 1');
    await tui.see('1 message match');
    tui.press('<Esc>');
    await tui.see('Message number 1');
    expect(tui.frame()).not.toContain('[search');
  });

  it('shows mail that arrives while the folder is open and rings the bell', async () => {
    let rings = 0;
    tui = await renderTui({
      inbox: numbered(3),
      config: { ui: { bell: true } },
      options: { bell: () => rings++ },
    });
    await tui.see('Message number 3');
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Message number 2'));
    tui.server.deliver('INBOX', [{ subject: 'Fresh news' }]);
    await tui.see('Fresh news');
    await tui.waitFor((f) => /^ INBOX\s+4│/.test(f.split('\n')[0]!));
    // The cursor stays on the message it was on.
    expect(tui.highlighted('Message number 2')).toBe(true);
    expect(rings).toBe(1);
    expect(tui.frame()).toContain('4 new, 4 messages');
  });

  it('says so when the message was gone from the server, instead of reporting success', async () => {
    tui = await renderTui({ inbox: numbered(4) });
    await tui.see('Message number 4');
    // Expunged by another client, and the news not yet heard.
    const inbox = tui.server.folders.get('INBOX')!;
    inbox.messages = inbox.messages.filter((m) => m.uid !== 4);
    tui.press('F');
    await tui.see('UID 4 is not in INBOX.');
    await tui.waitFor((f) => !f.includes('Message number 4'));
    tui.press('d');
    await tui.see('Deleted 1 message; u undoes.');
  });

  it('without MOVE and UIDPLUS, deleting leaves the other \\Deleted messages and says so', async () => {
    const server = new FakeMailServer();
    server.capabilities = new Set(['IMAP4REV1', 'ESEARCH']);
    server.deliver('INBOX', numbered(4));
    server.setFlags('INBOX', 1, ['\\Deleted']);
    tui = await renderTui({ server });
    await tui.see('Message number 4');
    tui.press('d');
    await tui.see('stays in INBOX marked deleted until the next expunge');
    await tui.settle();
    expect(serverUids(server, 'INBOX')).toEqual([1, 2, 3, 4]);
    expect(serverFlags(server, 'INBOX', 4)).toContain('\\Deleted');
    expect(server.folders.get('Trash')!.messages).toHaveLength(1);
    expect(tui.line('Message number 4')).toMatch(/│ N?D/);
  });

  it('shows flag changes and expunges made by other clients', async () => {
    tui = await renderTui({ inbox: numbered(4) });
    await tui.see('Message number 4');
    tui.server.setFlags('INBOX', 3, ['\\Seen', '\\Flagged']);
    await tui.waitFor(() => /│ {2}!/.test(tui!.line('Message number 3') ?? ''));
    tui.server.expunge('INBOX', [4]);
    await tui.waitFor((f) => !f.includes('Message number 4'));
    expect(tui.highlighted('Message number 3')).toBe(true);
  });

  it('stays usable offline and says so', async () => {
    tui = await renderTui({ inbox: numbered(30) });
    await tui.see('Message number 30');
    tui.server.refuseConnections = new (await import('../../src/core/errors.js')).TmailError(
      'CONNECTION_REFUSED',
    );
    tui.server.dropConnections();
    await tui.see('offline');
    await tui.see('retrying in');
    tui.press('jj');
    await tui.waitFor(() => tui!.highlighted('Message number 28'));
    tui.press('F');
    await tui.see('1 queued');
    tui.server.refuseConnections = null;
    await tui.waitFor((f) => f.includes('online') && !f.includes('queued'));
    await tui.settle();
    expect(serverFlags(tui.server, 'INBOX', 28)).toContain('\\Flagged');
  });

  it('indents replies when threaded', async () => {
    tui = await renderTui({
      inbox: [
        { subject: 'Plan', messageId: '<a@x>' },
        { subject: 'Re: Plan', messageId: '<b@x>', inReplyTo: '<a@x>' },
        { subject: 'Other', messageId: '<c@x>' },
      ],
    });
    await tui.see('Re: Plan');
    tui.press(':');
    tui.type('thread');
    tui.press('<Enter>');
    await tui.see('└─>Re: Plan');
    expect(tui.frame()).toContain('│ threads');
  });

  it('never lets message text drive the terminal', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject: 'Hi\u001b[2J\u001b]0;pwned\u0007 there\u009b31m \u202Egnp.exe',
          from: { name: 'Evil\u001b[1A', address: 'evil@example.test' },
        },
      ],
    });
    const frame = await tui.see('Hi␛[2J');
    expect(frame).toContain('␛]0;pwned␇ there');
    const raw = tui.rawFrame();
    // Only colour codes remain: no screen clear, no title, no C1, no bidi override.
    expect(raw.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/,
    );
  });

  it('keeps CJK and emoji subjects inside their columns', async () => {
    tui = await renderTui({
      inbox: [
        {
          subject:
            '会議の議事録を送ります。よろしくお願いします。会議の議事録を送ります。よろしくお願いします。',
        },
        {
          subject: 'Party 🎉🎉🎉 tonight',
          from: { name: '山田 太郎', address: 'taro@example.jp' },
        },
      ],
      columns: 80,
      rows: 24,
    });
    const frame = await tui.see('Party 🎉');
    for (const line of frame.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    const dates = frame
      .split('\n')
      .filter((l) => /会議|Party/.test(l))
      .map((l) => cellWidth(l));
    expect(new Set(dates).size).toBe(1);
  });

  it('follows a resize down to 80x24', async () => {
    tui = await renderTui({ inbox: numbered(40), columns: 120, rows: 40 });
    await tui.see('Message number 40');
    tui.resize(80, 24);
    const frame = await tui.waitFor((f) => f.split('\n').length === 24);
    for (const line of frame.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    expect(frame).toContain('Message number 40');
    expect(frame).toMatch(/INBOX │ 40 new, 40 messages/);
  });

  it('uses no colour under NO_COLOR or the mono theme, only attributes', async () => {
    for (const options of [
      { env: { NO_COLOR: '1' } },
      { config: { ui: { theme: 'mono' as const } } },
    ]) {
      tui = await renderTui({ inbox: numbered(3), ...options });
      await tui.see('Message number 3');
      const raw = tui.rawFrame();
      // The cursor row is inverse; no foreground or background colour anywhere.
      expect(raw).toMatch(/\u001b\[7m[^\n]*Message number 3/);
      expect(raw).not.toMatch(/\u001b\[(3[0-7]|4[0-7]|9[0-7]|10[0-7])m/);
      await tui.cleanup();
      tui = undefined;
    }
  });

  it('hides the sidebar with B and switches the layout with z', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.press('B');
    await tui.waitFor((f) => !f.includes('Drafts'));
    expect(tui.line('Message number 3')).toMatch(/^ N {4}Sender 3/);
    tui.press('B');
    await tui.see('Drafts');
  });

  it('quits with q, asking first when changes wait for the connection', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.press('q');
    await tui.waitFor(() => tui!.exited());
  });

  it('asks before quitting with changes queued offline', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.server.refuseConnections = new (await import('../../src/core/errors.js')).TmailError(
      'CONNECTION_REFUSED',
    );
    tui.server.dropConnections();
    await tui.see('offline');
    tui.press('F');
    await tui.see('1 queued');
    tui.press('q');
    await tui.see('1 change waiting for the connection (kept for the next run). Quit? (y/n)');
    tui.press('n');
    await tui.waitFor((f) => !f.includes('Quit? (y/n)'));
    expect(tui.exited()).toBe(false);
    tui.press('q');
    await tui.see('Quit? (y/n)');
    tui.press('y');
    await tui.waitFor(() => tui!.exited());
  });

  it('warns before quitting that an offline change the disk refused will be lost', async () => {
    // A file where the queue's folder should be: every write fails, as on a full disk.
    const blocker = join(mkdtempSync(join(tmpdir(), 'tmail-blocked-')), 'state');
    writeFileSync(blocker, '');
    tui = await renderTui({ inbox: numbered(3), pendingFile: join(blocker, 'pending.json') });
    await tui.see('Message number 3');
    tui.server.refuseConnections = new (await import('../../src/core/errors.js')).TmailError(
      'CONNECTION_REFUSED',
    );
    tui.server.dropConnections();
    await tui.see('offline');
    tui.press('F');
    await tui.see('could not be saved for later');
    tui.press('q');
    await tui.see('1 offline change could not be saved to disk and will be lost. Quit? (y/n)');
    tui.press('y');
    await tui.waitFor(() => tui!.exited());
  });

  it('shows unsent mail in the status line, what waits for the user first', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.engine.reportOutbox({ waiting: 2, needsYou: 0 });
    await tui.see('2 to send');
    tui.engine.reportOutbox({ waiting: 0, needsYou: 1 });
    await tui.see('1 unsent: tmail outbox');
    expect(tui.frame()).not.toContain('to send');
  });

  it('says when a key is bound to nothing', async () => {
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    tui.press('Q');
    await tui.see('Q is not bound to anything here; ? shows the keys.');
  });
});
