/**
 * `:search -a QUERY` on the fake backend: the results of every folder in the
 * list pane, newest first, each naming its folder, under a header that says
 * what was searched and how many match; Enter opens the message in its
 * folder (the reader shows it, the status line names the folder), q goes to
 * that folder's list and `:search -a` alone shows the results again; names
 * and subjects from the server cannot drive the terminal. With a local cache,
 * what the server cannot answer (offline, a folder it refuses) comes from the
 * cache, and the results say so.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { TmailError } from '../../src/core/errors.js';
import { renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

const day = (n: number) => new Date(Date.UTC(2026, 2, n, 9));

function twoFolders(work = 'Work'): FakeMailServer {
  const server = new FakeMailServer([
    { path: 'INBOX', role: 'inbox' },
    { path: 'Sent', role: 'sent' },
    { path: work },
  ]);
  server.deliver('INBOX', [
    { subject: 'Budget draft', date: day(1), text: 'The first draft.\n' },
    { subject: 'Lunch on Friday', date: day(3) },
  ]);
  server.deliver(work, [
    { subject: 'Budget for the office', date: day(2), text: 'Desks and chairs.\n' },
    { subject: 'Budget agreed', date: day(4), text: 'Signed by everyone.\n' },
  ]);
  return server;
}

async function command(t: TuiHarness, line: string): Promise<void> {
  t.press(':');
  await t.waitFor((f) => f.split('\n').at(-1)!.startsWith(':'), 'the command line');
  t.type(line);
  t.press('<Enter>');
}

/** Rows of the frame holding `text`, top to bottom. */
function rowOf(frame: string, text: string): number {
  return frame.split('\n').findIndex((line) => line.includes(text));
}

describe(':search -a', () => {
  it('lists the matches of every folder newest first, each naming its folder', async () => {
    tui = await renderTui({ server: twoFolders(), columns: 110 });
    await tui.see('Lunch on Friday');
    await command(tui, 'search -a subject:budget');
    const frame = await tui.see('Search: subject:budget in all folders — 3 results');
    const agreed = tui.line('Budget agreed')!;
    const office = tui.line('Budget for the office')!;
    const draft = tui.line('Budget draft')!;
    expect(agreed).toContain('Work');
    expect(office).toContain('Work');
    expect(draft).toContain('INBOX');
    expect(rowOf(frame, 'Budget agreed')).toBeLessThan(rowOf(frame, 'Budget for the office'));
    expect(rowOf(frame, 'Budget for the office')).toBeLessThan(rowOf(frame, 'Budget draft'));
    // Only the results: the open folder's other messages are not among them.
    expect(frame).not.toContain('Lunch on Friday');
    expect(tui.highlighted('Budget agreed')).toBe(true);
    // The status line says what the list pane shows.
    expect(frame.split('\n').at(-2)).toContain('all folders [search: subject:budget] │ 3 found');
  });

  it('opens a result in its folder; q goes to that folder, :search -a alone back to the results', async () => {
    tui = await renderTui({ server: twoFolders(), columns: 110 });
    await tui.see('Lunch on Friday');
    await command(tui, 'search --all budget');
    await tui.see('in all folders — 3 results');
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Budget for the office'), 'cursor on the second');
    tui.press('<Enter>');
    await tui.see('Desks and chairs.');
    await tui.settle();
    // The folder of the message is the open one: the status line names it.
    expect(tui.engine.state.view?.path).toBe('Work');
    expect(tui.frame().split('\n').at(-2)).toContain('Work');
    // Replying, flagging and the rest act on it there: F flags it on the server.
    tui.press('F');
    await tui.settle();
    const office = tui.server.folders
      .get('Work')!
      .messages.find((m) => m.envelope.subject === 'Budget for the office')!;
    expect(office.flags).toContain('\\Flagged');
    tui.press('q');
    await tui.waitFor(
      (f) => f.includes('Budget agreed') && !f.includes('in all folders'),
      "Work's own list",
    );
    expect(tui.frame()).not.toContain('Budget draft');
    await command(tui, 'search -a');
    await tui.see('in all folders — 3 results');
    expect(tui.highlighted('Budget for the office')).toBe(true);
    // Esc leaves the results for the folder again.
    tui.press('<Esc>');
    await tui.waitFor((f) => !f.includes('in all folders'), 'the folder again');
    expect(tui.engine.state.view?.path).toBe('Work');
  });

  it('Alt-/ asks for the query; ? lists the command; no match says so', async () => {
    tui = await renderTui({ server: twoFolders(), columns: 110 });
    await tui.see('Lunch on Friday');
    tui.press('?');
    await tui.see('Search every folder, newest first (:search -a QUERY)');
    tui.press('q');
    await tui.waitFor((f) => f.includes('Lunch on Friday'), 'the list again');
    tui.press('<M-/>');
    await tui.see('Search all folders:');
    tui.type('nothing-like-this');
    tui.press('<Enter>');
    await tui.see('in all folders — 0 results');
    await tui.see('No message matches in any folder');
  });

  it('Esc stops a search that is still running; the list stays, no results come later', async () => {
    const server = twoFolders();
    tui = await renderTui({ server, columns: 110 });
    await tui.see('Lunch on Friday');
    await tui.settle();
    let answer: () => void = () => {};
    server.stallSearches = new Promise((resolve) => {
      answer = resolve;
    });
    await command(tui, 'search -a budget');
    await tui.see('Searching all folders (Esc stops)');
    const asked = server.searches;
    tui.press('<Esc>');
    await tui.see('The search across folders was stopped.');
    expect(tui.frame()).toContain('Lunch on Friday');
    // Keys work again at once: j moves the cursor while the server still holds its answer.
    tui.press('j');
    await tui.waitFor((f) => !f.includes('Searching all folders'), 'the spinner gone');
    server.stallSearches = null;
    answer();
    await tui.settle();
    // The folder being searched answered; no other folder was asked, no results were shown.
    expect(server.searches).toBe(asked);
    expect(tui.frame()).not.toContain('in all folders');
    expect(tui.frame()).toContain('Lunch on Friday');
  });

  it('keeps control sequences of folder names and subjects off the terminal', async () => {
    const evil = 'Evil\u001b]0;pwned\u0007';
    const server = twoFolders(evil);
    server.deliver(evil, [
      { subject: 'Budget\u001b[2J\u001b]0;title\u0007 \u202Egnp.exe', date: day(9) },
    ]);
    tui = await renderTui({ server, columns: 110 });
    await tui.see('Lunch on Friday');
    await command(tui, 'search -a budget');
    await tui.see('in all folders — 4 results');
    const line = tui.line('Budget␛[2J')!;
    expect(line).toContain('Evil␛]0;pwn');
    const raw = tui.rawFrame();
    // Only colour codes remain: no screen clear, no title, no bidi override.
    expect(raw.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/,
    );
  });
});

/** A store file of its own for the fake account's local cache. */
function cacheFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'tmail-sa-')), 'store.sqlite3');
}

/** Opens Work and then INBOX again, so that the cache holds both folders' rows. */
/** The reader on `server` with a local cache that has seen both folders. */
async function withBothCached(server: FakeMailServer, columns: number): Promise<TuiHarness> {
  const t = await renderTui({ server, columns, cacheFile: cacheFile() });
  await t.see('Lunch on Friday');
  await command(t, 'folder Work');
  await t.see('Budget agreed');
  await command(t, 'folder INBOX');
  await t.see('Lunch on Friday');
  await t.settle();
  return t;
}

describe(':search -a with a local cache', () => {
  it('offline, the cache answers and the results say so', async () => {
    const server = twoFolders();
    tui = await withBothCached(server, 110);
    server.refuseConnections = new TmailError(
      'CONNECTION_REFUSED',
      'The server refused the connection.',
    );
    server.dropConnections();
    await tui.see('offline');
    await command(tui, 'search -a subject:budget');
    await tui.see('in all folders — 3 results');
    const frame = await tui.see('Offline: these results are from the local cache as of');
    expect(tui.line('Budget agreed')).toContain('Work');
    expect(tui.line('Budget draft')).toContain('INBOX');
    expect(rowOf(frame, 'Budget agreed')).toBeLessThan(rowOf(frame, 'Budget draft'));
  });

  it('a folder the server refuses to search is named, its cached messages listed', async () => {
    const server = twoFolders();
    tui = await withBothCached(server, 140);
    // Gone from the server since the folder list was read: its SELECT is refused.
    server.folders.delete('Work');
    server.deliver('INBOX', [{ subject: 'Budget final', date: day(5) }]);
    await command(tui, 'search -a subject:budget');
    await tui.see('in all folders — 4 results');
    await tui.see('Work could not be searched on the server');
    await tui.see('results there are from the local cache.');
    // The server's new INBOX message and Work's cached ones, newest first.
    const frame = tui.frame();
    expect(rowOf(frame, 'Budget final')).toBeLessThan(rowOf(frame, 'Budget agreed'));
    expect(tui.line('Budget agreed')).toContain('Work');
  });
});
