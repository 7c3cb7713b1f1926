/**
 * The list offline, from the local cache: it has every message of the folder
 * (the cache keeps the folder's UID list), so scrolling past the rows whose
 * envelopes are cached shows rows that say they are not in the local cache,
 * dimmed, instead of a list that ends early or rows that wait for ever.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAccountCache } from '../../src/core/cache/index.js';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { TmailError } from '../../src/core/errors.js';
import { testEnvelope } from '../support/cache-fixtures.js';
import { fakeAccount, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A store holding INBOX's 200 UIDs and the envelopes of the newest 20 only. */
function cachedInbox(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tmail-ui-cache-')), 'store.sqlite3');
  const cache = openAccountCache(fakeAccount(), { file });
  const inbox = { path: 'INBOX', uidValidity: '1' };
  cache.applyFolderState({ ...inbox, uidNext: 201, total: 200, uids: range(1, 200) });
  cache.applyEnvelopes(
    inbox,
    range(181, 200).map((uid) => testEnvelope(uid, { subject: `Cached ${uid}` })),
  );
  cache.close();
  return file;
}

describe('the list offline, from the local cache', () => {
  it('lists every message; rows the cache lacks say so, dimmed', async () => {
    const server = new FakeMailServer();
    server.refuseConnections = new TmailError(
      'CONNECTION_REFUSED',
      'Could not connect to the IMAP server.',
    );
    tui = await renderTui({ server, cacheFile: cachedInbox(), rows: 30 });
    await tui.see('Cached 200');
    expect(tui.engine.state.connection.status).toBe('offline');
    expect(tui.engine.state.view!.total).toBe(200);
    // Down past the 20 cached rows: the 21st newest is there, without its envelope.
    tui.press('<PgDn>');
    const frame = await tui.see('not in the local cache');
    expect(frame).toContain('Cached 181');
    const rows = frame.split('\n').filter((l) => l.includes('not in the local cache'));
    expect(rows.length).toBeGreaterThan(5);
    // Dimmed like a placeholder, not drawn as mail.
    const raw = tui
      .rawFrame()
      .split('\n')
      .filter((l) => l.includes('not in the local cache') && !/\u001b\[(46|7)m/.test(l));
    expect(raw.length).toBeGreaterThan(0);
    for (const line of raw) expect(line).toMatch(/\u001b\[(2|90)m/);
    // The last row is the oldest message: the list has the folder's true length.
    tui.press('G');
    await tui.waitFor(() => tui!.engine.state.view!.uids.length === 200);
    expect(tui.line('not in the local cache')).toBeDefined();
  });

  it('a folder opened online and then cut off fills rows scrolled to from the cache', async () => {
    // The cache holds every envelope of the folder (from an earlier session), the server the same 200.
    const file = join(mkdtempSync(join(tmpdir(), 'tmail-ui-cache-')), 'store.sqlite3');
    const server = new FakeMailServer();
    server.deliver(
      'INBOX',
      range(1, 200).map((n) => ({
        subject: `Message ${n}`,
        date: new Date(Date.UTC(2026, 0, 1, 0, n)),
      })),
    );
    const first = await renderTui({ server, cacheFile: file, rows: 30 });
    await first.see('Message 200');
    first.press('G');
    await first.see('Message 1 ');
    first.press('g');
    await first.settle();
    await first.cleanup();

    tui = await renderTui({ server, cacheFile: file, rows: 30 });
    await tui.see('Message 200');
    await tui.waitFor(() => tui!.engine.state.connection.status === 'online');
    server.refuseConnections = new TmailError(
      'CONNECTION_REFUSED',
      'Could not connect to the IMAP server.',
    );
    server.dropConnections();
    await tui.see('offline');
    // Far down the folder, past what this session fetched: the cache has those rows.
    tui.press('G');
    const frame = await tui.see('Message 1 ');
    expect(frame).not.toContain('not in the local cache');
  });
});
