/**
 * The local store (src/core/cache) on a real SQLite file in a temp directory:
 * what the folder sync writes comes back in list order, a new UIDVALIDITY
 * drops a folder, bodies and the full-text index, the size cap, and every kind
 * of trouble (cut-off and garbage files, old and new versions, a store locked
 * or full, two processes writing at once) ending in one notice, never a throw.
 */
import { spawn } from 'node:child_process';
import {
  mkdtempSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  openAccountCache,
  type AccountCache,
  type OpenCacheOptions,
} from '../../src/core/cache/index.js';
import { checkHeader } from '../../src/core/cache/health.js';
import { SCHEMA_VERSION } from '../../src/core/cache/schema.js';
import { parseSearch } from '../../src/core/search-syntax.js';
import { FLAGGED, SEEN } from '../../src/core/types.js';
import { BASE_TIME, testEnvelope } from '../support/cache-fixtures.js';

let dir: string;
let file: string;
let notices: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tmail-cache-'));
  file = join(dir, 'mail', 'work.sqlite3');
  notices = [];
});

function open(options: Partial<OpenCacheOptions> = {}): AccountCache {
  return openAccountCache('work', { file, onNotice: (t) => notices.push(t), ...options });
}

const INBOX = { path: 'INBOX', uidValidity: '100' };

/** A store holding `count` envelopes in INBOX, closed again. */
function seeded(count: number): void {
  const cache = open();
  cache.applyFolderState({ ...INBOX, uidNext: count + 1, total: count });
  cache.applyEnvelopes(
    INBOX,
    Array.from({ length: count }, (_, i) => testEnvelope(i + 1)),
  );
  cache.close();
}

describe('local store: what the folder sync writes', () => {
  it('keeps folder state and gives envelopes back in the orders the list uses', () => {
    const cache = open();
    expect(cache.available).toBe(true);
    // Mail on disk is the user's alone.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'mail')).mode & 0o777).toBe(0o700);
    expect(cache.folderState('INBOX')).toBeNull();
    cache.applyFolderState(
      { ...INBOX, highestModseq: '900', uidNext: 6, total: 5, unread: 2 },
      1234,
    );
    // Dates out of arrival order: UID 3 was written earliest.
    cache.applyEnvelopes(INBOX, [
      testEnvelope(1, { subject: 'Re: banana', from: [{ name: 'Carol', address: 'c@x' }] }),
      testEnvelope(2, { subject: 'apple', from: [{ name: '', address: 'bob@x' }], flags: [SEEN] }),
      testEnvelope(3, { date: BASE_TIME - 1000, subject: 'Cherry', size: 99_999 }),
      testEnvelope(4, {
        references: ['<a@x>', '<b@x>'],
        structure: {
          part: '1',
          type: 'text/plain',
          parameters: { charset: 'utf-8' },
          encoding: '7bit',
          size: 10,
          disposition: null,
          filename: null,
          contentId: null,
          childNodes: [],
        },
        modseq: '850',
        preview: 'First words',
      }),
      testEnvelope(5, { subject: 'date', hasAttachments: true }),
    ]);
    expect(cache.folderState('INBOX')).toEqual({
      path: 'INBOX',
      uidValidity: '100',
      highestModseq: '900',
      uidNext: 6,
      total: 5,
      unread: 2,
      syncedAt: 1234,
      cached: 5,
      lastUid: 5,
    });
    const uids = (key: 'date' | 'arrival' | 'size' | 'from' | 'subject', reverse: boolean) =>
      cache.orderedUids('INBOX', { key, reverse });
    expect(uids('arrival', true)).toEqual([5, 4, 3, 2, 1]);
    expect(uids('date', true)).toEqual([5, 4, 2, 1, 3]);
    expect(uids('size', true)[0]).toBe(3);
    expect(uids('subject', false)).toEqual([2, 1, 3, 5, 4]);
    expect(uids('from', false)[0]).toBe(2);
    const page = cache.pageOfEnvelopes('INBOX', { key: 'arrival', reverse: true }, 1, 2);
    expect(page.map((e) => e.uid)).toEqual([4, 3]);
    expect(page[0]).toEqual(
      expect.objectContaining({
        references: ['<a@x>', '<b@x>'],
        modseq: '850',
        preview: 'First words',
        structure: expect.objectContaining({ type: 'text/plain' }),
      }),
    );
    const [two] = cache.envelopes('INBOX', [2, 77]);
    expect(two).toEqual(
      testEnvelope(2, { subject: 'apple', from: [{ name: '', address: 'bob@x' }], flags: [SEEN] }),
    );
    cache.close();
  });

  it('records flag changes and forgets removed messages', () => {
    const cache = open();
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(INBOX, [
      testEnvelope(1),
      testEnvelope(2, { modseq: '5' }),
      testEnvelope(3),
    ]);
    cache.applyFlagChanges(INBOX, [
      { uid: 1, flags: [SEEN, FLAGGED], modseq: '7' },
      { uid: 2, flags: [] },
      { uid: 99, flags: [SEEN] },
    ]);
    cache.removeUids(INBOX, [3]);
    const [one, two] = cache.envelopes('INBOX', [1, 2, 3]);
    expect(one).toEqual(expect.objectContaining({ uid: 1, flags: [SEEN, FLAGGED], modseq: '7' }));
    expect(two!.flags).toEqual([]);
    expect(two!.modseq).toBeUndefined();
    expect(cache.uids('INBOX')).toEqual([1, 2]);
    cache.close();
  });

  it("keeps the folder's whole UID list with the state it belongs to", () => {
    const cache = open();
    const list = [...Array.from({ length: 5000 }, (_, i) => i + 1), 5002, 5003];
    cache.applyFolderState({ ...INBOX, highestModseq: '10', uidNext: 5004, total: 5002 });
    expect(cache.folderState('INBOX')!.hasUidList).toBeUndefined();
    expect(cache.uidList('INBOX')).toBeNull();
    // Kept current while the folder is open, on the SELECT it builds on.
    expect(cache.setUidList(INBOX, list, { highestModseq: '10' })).toBe(true);
    expect(cache.folderState('INBOX')!.hasUidList).toBe(true);
    expect(cache.uidList('INBOX')).toEqual(list);
    // Another session synced since (HIGHESTMODSEQ 12): its list stands, this one's is refused.
    cache.applyFolderState({ ...INBOX, highestModseq: '12', uids: [1, 2, 3] });
    expect(cache.setUidList(INBOX, list, { highestModseq: '10' })).toBe(false);
    expect(cache.uidList('INBOX')).toEqual([1, 2, 3]);
    // A state without a list keeps it while HIGHESTMODSEQ stays, drops it when it moves on.
    cache.applyFolderState({ ...INBOX, highestModseq: '12', total: 3 });
    expect(cache.uidList('INBOX')).toEqual([1, 2, 3]);
    cache.applyFolderState({ ...INBOX, highestModseq: '15' });
    expect(cache.uidList('INBOX')).toBeNull();
    // Nor for an older UIDVALIDITY.
    cache.applyFolderState({ ...INBOX, highestModseq: '15', uids: [4] });
    expect(cache.setUidList({ ...INBOX, uidValidity: '99' }, [5], { highestModseq: '15' })).toBe(
      false,
    );
    expect(cache.uidList('INBOX')).toEqual([4]);
    cache.close();
    // Kept across runs, as the next start reads it.
    const again = open();
    expect(again.uidList('INBOX')).toEqual([4]);
    again.close();
  });

  it('drops a folder whose UIDVALIDITY changed, and ignores writes for the old one', () => {
    const cache = open();
    cache.applyFolderState({ ...INBOX, highestModseq: '10' });
    cache.applyEnvelopes(INBOX, [testEnvelope(1), testEnvelope(2)]);
    cache.putBody(INBOX, 1, { text: 'kiwi' });
    cache.applyFolderState({ path: 'Other', uidValidity: '1' });
    cache.applyEnvelopes({ path: 'Other', uidValidity: '1' }, [testEnvelope(1)]);

    expect(cache.applyFolderState({ path: 'INBOX', uidValidity: '200' })).toEqual({
      dropped: true,
    });
    expect(cache.folderState('INBOX')).toEqual(
      expect.objectContaining({ uidValidity: '200', cached: 0 }),
    );
    expect(cache.folderState('INBOX')!.highestModseq).toBeUndefined();
    // A late answer for the old UIDVALIDITY must not come back under new UIDs.
    expect(cache.applyEnvelopes(INBOX, [testEnvelope(3)])).toBe(0);
    expect(cache.uids('INBOX')).toEqual([]);
    expect(cache.search(parseSearch('kiwi'))).toEqual([]);
    expect(cache.uids('Other')).toEqual([1]);
    cache.close();
  });

  it('keeps bodies of cached messages only, and finds their words', () => {
    const cache = open();
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(INBOX, [testEnvelope(1), testEnvelope(2)]);
    expect(cache.putBody(INBOX, 1, { text: 'The quarterly budget is attached.' })).toBe(true);
    expect(cache.putBody(INBOX, 9, { text: 'no envelope' })).toBe(false);
    expect(cache.getBody('INBOX', 1)).toEqual({ text: 'The quarterly budget is attached.' });
    expect(cache.getBody('INBOX', 2)).toBeNull();
    expect(cache.missingBodies('INBOX', 5)).toEqual([2]);
    expect(cache.search(parseSearch('body:quarterly')).map((h) => h.envelope.uid)).toEqual([1]);
    // A body replaced keeps one index row, with the new words only.
    cache.putBody(INBOX, 1, { text: 'Minutes of Monday' });
    expect(cache.search(parseSearch('budget'))).toEqual([]);
    expect(cache.search(parseSearch('monday')).map((h) => h.envelope.uid)).toEqual([1]);
    cache.close();
  });

  it('keeps attachments only within the attachment cap', () => {
    const cache = open({ settings: { attachmentMaxBytes: 1000 } });
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(INBOX, [testEnvelope(1)]);
    const small = { filename: 'a.txt', contentType: 'text/plain', data: Buffer.alloc(1000, 1) };
    expect(cache.putAttachment(INBOX, 1, '2', small)).toBe(true);
    expect(cache.putAttachment(INBOX, 1, '3', { ...small, data: Buffer.alloc(1001) })).toBe(false);
    expect(cache.getAttachment('INBOX', 1, '2')).toEqual(small);
    expect(cache.getAttachment('INBOX', 1, '3')).toBeNull();
    cache.close();
  });
});

describe('local store: whose mail it holds', () => {
  it('empties a store made for another login or server, and clear() empties it all', () => {
    const first = open({ identity: 'ann@imap.example.com:993' });
    first.applyFolderState(INBOX);
    first.applyEnvelopes(INBOX, [testEnvelope(1), testEnvelope(2)]);
    first.putBody(INBOX, 1, { text: 'walnut' });
    first.close();
    const same = open({ identity: 'ann@imap.example.com:993' });
    expect(same.uids('INBOX')).toEqual([1, 2]);
    same.close();
    const moved = open({ identity: 'ann@mail.other.example:993' });
    expect(moved.folders()).toEqual([]);
    expect(moved.search(parseSearch('walnut'))).toEqual([]);
    moved.applyFolderState(INBOX);
    moved.applyEnvelopes(INBOX, [testEnvelope(3)]);
    moved.putBody(INBOX, 3, { text: 'pecan' });
    moved.clear();
    expect(moved.folders()).toEqual([]);
    expect(moved.search(parseSearch('pecan'))).toEqual([]);
    expect(moved.stats()).toEqual(
      expect.objectContaining({ messages: 0, bodies: 0, attachments: 0, folders: [] }),
    );
    moved.close();
    expect(notices).toEqual([]);
  });
});

describe('local store: search across folders', () => {
  function searchable(): AccountCache {
    const cache = open();
    const lists = { path: 'Lists/node', uidValidity: '5' };
    cache.applyFolderState(INBOX);
    cache.applyFolderState(lists);
    cache.applyEnvelopes(INBOX, [
      testEnvelope(1, {
        subject: 'Release notes for 2.0',
        from: [{ name: 'Ada Lovelace', address: 'ada@analytical.org' }],
        flags: [SEEN],
      }),
      testEnvelope(2, { subject: 'Lunch?', from: [{ name: 'Bob', address: 'bob@example.org' }] }),
    ]);
    cache.applyEnvelopes(lists, [
      testEnvelope(50, {
        subject: 'Notes on the release',
        from: [{ name: 'Grace', address: 'grace@navy.mil' }],
        cc: [{ name: 'Ada', address: 'ada@analytical.org' }],
        flags: [FLAGGED],
      }),
      testEnvelope(51, { subject: 'Café crème', flags: ['$Work'] }),
    ]);
    cache.putBody(lists, 50, { text: 'The budget for Q3 is agreed.' });
    return cache;
  }

  const found = (cache: AccountCache, query: string) =>
    cache.search(parseSearch(query)).map((h) => `${h.path}:${h.envelope.uid}`);

  it('answers the search language over every folder, newest first', () => {
    const cache = searchable();
    expect(found(cache, 'release')).toEqual(['Lists/node:50', 'INBOX:1']);
    expect(found(cache, 'subject:"release notes"')).toEqual(['INBOX:1']);
    expect(found(cache, 'from:ada')).toEqual(['INBOX:1']);
    expect(found(cache, 'cc:analytical.org')).toEqual(['Lists/node:50']);
    expect(found(cache, 'from:lovel')).toEqual(['INBOX:1']);
    expect(found(cache, 'budget is:flagged')).toEqual(['Lists/node:50']);
    expect(found(cache, 'budget is:unflagged')).toEqual([]);
    expect(found(cache, 'is:unread')).toEqual(['Lists/node:51', 'Lists/node:50', 'INBOX:2']);
    expect(found(cache, 'keyword:$work')).toEqual(['Lists/node:51']);
    expect(found(cache, 'cafe')).toEqual(['Lists/node:51']);
    // Dates compare the arrival day, as SINCE and BEFORE do on the server.
    expect(found(cache, 'since:2026-01-03')).toEqual(['Lists/node:51', 'Lists/node:50']);
    expect(found(cache, 'before:2026-01-02 notes')).toEqual(['INBOX:1']);
    // Quotes and operators in the words are words, never FTS5 syntax.
    expect(found(cache, 'subject:"lunch" OR NEAR(x) "*')).toEqual([]);
    expect(found(cache, 'lunch?')).toEqual(['INBOX:2']);
    expect(cache.search(parseSearch('notes'), { folders: ['INBOX'] }).length).toBe(1);
    expect(cache.search(parseSearch('is:unread'), { limit: 1, offset: 1 })[0]!.envelope.uid).toBe(
      50,
    );
    cache.close();
  });
});

describe('local store: size cap', () => {
  it('drops the least recently used bodies first and stays under the cap', () => {
    const cap = 2 * 1024 * 1024;
    const cache = open({ settings: { maxBytes: cap } });
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(
      INBOX,
      Array.from({ length: 40 }, (_, i) => testEnvelope(i + 1)),
    );
    // 40 bodies of 100 KB: twice the cap. Message 1 is read again after each
    // new one, so it stays the most recently used.
    const body = (uid: number) => `uid${uid} `.padEnd(100_000, 'x');
    for (let uid = 1; uid <= 40; uid++) {
      cache.putBody(INBOX, uid, { text: body(uid) });
      expect(cache.getBody('INBOX', 1)).not.toBeNull();
    }
    const kept = Array.from({ length: 40 }, (_, i) => i + 1).filter(
      (uid) => cache.getBody('INBOX', uid) !== null,
    );
    expect(kept).toContain(1);
    expect(kept).toContain(40);
    expect(kept.length).toBeLessThan(25);
    // The dropped ones are the oldest: what is kept is 1 and a run of the newest.
    const newest = kept.filter((uid) => uid !== 1);
    expect(newest).toEqual(Array.from({ length: newest.length }, (_, i) => 41 - newest.length + i));
    // Envelopes stay: the list still shows every message, and headers are still searched.
    expect(cache.uids('INBOX').length).toBe(40);
    expect(cache.search(parseSearch('subject:"message 2"')).length).toBeGreaterThan(0);
    cache.close();
    expect(statSync(file).size).toBeLessThanOrEqual(cap);
  });
});

describe('local store: trouble is one notice, never a throw', () => {
  it('rebuilds a store file that was cut off', () => {
    seeded(3000);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(100_000);
    truncateSync(file, Math.floor(size / 2));
    const cache = open();
    expect(notices).toEqual([
      'The local cache of work was damaged; it has been rebuilt and fills again from the server.',
    ]);
    expect(cache.available).toBe(true);
    expect(cache.folderState('INBOX')).toBeNull();
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(INBOX, [testEnvelope(1)]);
    expect(cache.uids('INBOX')).toEqual([1]);
    cache.close();
  });

  it('does not take a store for cut off while its write-ahead log holds pages (another tmail checkpointing)', () => {
    seeded(3000);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expect(checkHeader(file)).toBe('damaged');
    writeFileSync(`${file}-wal`, Buffer.alloc(4096, 1));
    expect(checkHeader(file)).toBe('ok');
  });

  it('rebuilds a store file full of garbage', () => {
    seeded(100);
    const size = statSync(file).size;
    writeFileSync(file, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) % 256)));
    const cache = open();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/damaged; it has been rebuilt/);
    expect(cache.pageOfEnvelopes('INBOX', { key: 'arrival', reverse: true }, 0, 10)).toEqual([]);
    cache.applyFolderState(INBOX);
    expect(cache.folderState('INBOX')?.uidValidity).toBe('100');
    cache.close();
  });

  it('rebuilds when damage inside the file shows up in a query', () => {
    seeded(3000);
    // The header stays intact; the pages after the first few are overwritten.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(200_000, 0xa5), 0, 200_000, 8192);
    closeSync(fd);
    const cache = open();
    const page = cache.pageOfEnvelopes('INBOX', { key: 'date', reverse: true }, 0, 50);
    const uids = cache.uids('INBOX');
    // Either the damage was met (one notice, nothing cached) or the rows came back whole.
    if (notices.length) {
      expect(notices).toEqual([
        'The local cache of work was damaged; it has been rebuilt and fills again from the server.',
      ]);
      expect(cache.uids('INBOX')).toEqual([]);
    } else {
      expect(page).toHaveLength(50);
      expect(uids).toHaveLength(3000);
    }
    cache.applyFolderState(INBOX);
    cache.applyEnvelopes(INBOX, [testEnvelope(1)]);
    expect(cache.envelopes('INBOX', [1])).toHaveLength(1);
    cache.close();
  });

  it('rebuilds a store of an older version', () => {
    seeded(10);
    // Version 0 with tables is a store from before versions were kept.
    for (const version of [SCHEMA_VERSION - 1, 0]) {
      if (version < 0) continue;
      const raw = new Database(file);
      raw.pragma(`user_version = ${version}`);
      raw.close();
      notices = [];
      const cache = open();
      expect(notices).toEqual([
        'The local cache of work was made by an older tmail; it has been rebuilt and fills again from the server.',
      ]);
      expect(cache.available).toBe(true);
      expect(cache.uids('INBOX')).toEqual([]);
      cache.applyFolderState(INBOX);
      cache.applyEnvelopes(INBOX, [testEnvelope(1)]);
      cache.close();
    }
  });

  it("leaves a newer tmail's store alone and works without it", () => {
    seeded(10);
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const cache = open();
    expect(notices).toEqual([
      'The local cache of work was made by a newer tmail; this one works without it.',
    ]);
    expect(cache.available).toBe(false);
    expect(cache.uids('INBOX')).toEqual([]);
    cache.applyEnvelopes(INBOX, [testEnvelope(99)]);
    cache.close();
    // The newer tmail finds its store as it left it.
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(after.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 10 });
    after.close();
  });

  it('goes on without the store while another tmail holds it locked', () => {
    seeded(5);
    const cache = open({ busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    // Reads of the WAL store still work; the write is skipped, with one notice.
    expect(cache.applyEnvelopes(INBOX, [testEnvelope(6)])).toBe(0);
    expect(cache.applyEnvelopes(INBOX, [testEnvelope(7)])).toBe(0);
    expect(notices).toEqual([
      'The local cache of work is busy in another tmail; tmail goes on without it meanwhile.',
    ]);
    other.exec('COMMIT');
    other.close();
    expect(cache.applyEnvelopes(INBOX, [testEnvelope(6)])).toBe(1);
    expect(cache.uids('INBOX')).toEqual([1, 2, 3, 4, 5, 6]);
    cache.close();
  });

  it('turns itself off when the disk is full', () => {
    // SQLite's page limit answers SQLITE_FULL exactly as a full disk does.
    class Capped extends Database {
      constructor(path: string, options?: Database.Options) {
        super(path, options);
        this.pragma('max_page_count = 40');
      }
    }
    const cache = open({ loadDriver: () => Capped as unknown as typeof Database });
    cache.applyFolderState(INBOX);
    for (let i = 0; i < 20 && cache.available; i++) {
      cache.applyEnvelopes(
        INBOX,
        Array.from({ length: 100 }, (_, j) => testEnvelope(i * 100 + j + 1)),
      );
    }
    expect(cache.available).toBe(false);
    expect(notices).toEqual([
      'The local cache of work is off for now: the disk is full; tmail works from the server.',
    ]);
    expect(cache.pageOfEnvelopes('INBOX', { key: 'arrival', reverse: true }, 0, 5)).toEqual([]);
  });

  it('is off, without a file, when the module cannot be loaded or the setting says so', () => {
    const missing = open({
      loadDriver: () => {
        throw new Error("Cannot find module 'better-sqlite3'");
      },
    });
    expect(missing.available).toBe(false);
    expect(notices).toEqual([
      'The local cache is off: its database module (better-sqlite3) could not be loaded; reinstall tmail to get it back.',
    ]);
    expect(missing.search(parseSearch('x'))).toEqual([]);
    const off = open({ settings: { enabled: false } });
    expect(off.available).toBe(false);
    expect(notices).toHaveLength(1);
    expect(() => statSync(file)).toThrow();
  });

  it('two processes writing the same store at once both land every row', async () => {
    open().close();
    const script = fileURLToPath(new URL('../support/cache-writer.ts', import.meta.url));
    const run = (folder: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, file, folder, '1500'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', () => resolve(out));
      });
    const outputs = await Promise.all([run('INBOX'), run('Archive')]);
    expect(outputs).toEqual(['done\n', 'done\n']);
    const cache = open();
    expect(cache.uids('INBOX')).toHaveLength(1500);
    expect(cache.uids('Archive')).toHaveLength(1500);
    expect(cache.envelopes('Archive', [1500])[0]!.flags).toEqual([SEEN]);
    expect(cache.search(parseSearch('subject:"archive message 1499"')).map((h) => h.path)).toEqual([
      'Archive',
    ]);
    cache.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  }, 60_000);
});
