/**
 * Address completion: what matches (case-insensitive, on names and
 * addresses), in which order (use and recency), and that the book stays
 * bounded, survives a damaged file, and is shared through the file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AddressBook } from '../../src/core/addressbook/index.js';

const DAY = 24 * 3600_000;
let file: string;
let now: number;

function book(maxEntries?: number): AddressBook {
  return new AddressBook(file, { now: () => now, maxEntries });
}

beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'tmail-book-test-')), 'addressbook.json');
  now = Date.UTC(2026, 0, 1);
});

describe('the address book', () => {
  it('matches names and addresses case-insensitively, word starts before the middle of words', async () => {
    const b = book();
    await b.remember(
      [
        { name: 'Jane Doe', address: 'jane@example.com' },
        { name: 'Bob Janeway', address: 'bob@example.com' },
        { name: 'Marjane S', address: 'mar@example.com' },
        { name: '', address: 'info@janes-shop.example' },
        { name: 'Unrelated', address: 'zed@example.com' },
      ],
      'seen',
    );
    expect((await b.complete('JANE')).map((a) => a.address)).toEqual([
      'bob@example.com',
      'info@janes-shop.example',
      'jane@example.com',
      'mar@example.com',
    ]);
    expect(await b.complete('doe')).toEqual([{ name: 'Jane Doe', address: 'jane@example.com' }]);
    expect(await b.complete('nobody')).toEqual([]);
  });

  it('ranks people written to above people only seen, and recent above old', async () => {
    const b = book();
    await b.remember([{ name: 'Old Friend', address: 'old@example.com' }], 'sent');
    await b.remember([{ name: 'Often Seen', address: 'often@example.com' }], 'seen');
    now += 200 * DAY;
    await b.remember([{ name: 'Newsletter', address: 'news@example.com' }], 'seen');
    await b.remember([{ name: 'Colleague', address: 'colleague@example.com' }], 'sent');
    expect((await b.complete('')).map((a) => a.address)).toEqual([
      'colleague@example.com',
      'news@example.com',
      'old@example.com',
      'often@example.com',
    ]);
    // Use counts too: writing to someone many times beats one recent sighting.
    for (let i = 0; i < 20; i++)
      await b.remember([{ name: '', address: 'often@example.com' }], 'seen');
    expect((await b.complete('o'))[0]!.address).toBe('often@example.com');
  });

  it('keeps one entry per address whatever its case, with the latest name', async () => {
    const b = book();
    await b.remember([{ name: 'J', address: 'Jane@Example.com' }], 'seen');
    await b.remember([{ name: 'Jane Doe', address: 'jane@example.com' }], 'sent');
    await b.remember([{ name: '', address: 'JANE@EXAMPLE.COM' }], 'seen');
    const entries = await b.entriesList();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      name: 'Jane Doe',
      address: 'Jane@Example.com',
      seen: 2,
      sent: 1,
    });
  });

  it('ignores what is not an address, and names with control characters', async () => {
    const b = book();
    await b.remember(
      [
        { name: 'Nobody', address: 'not an address' },
        { name: 'Evil\u001b[2J', address: 'evil@example.com' },
      ],
      'seen',
    );
    expect(await b.entriesList()).toEqual([
      { name: '', address: 'evil@example.com', seen: 1, sent: 0, lastUsed: now },
    ]);
  });

  it('stays bounded, dropping the least useful', async () => {
    const b = book(3);
    await b.remember([{ name: '', address: 'keep@example.com' }], 'sent');
    for (const n of [1, 2, 3, 4]) {
      now += DAY;
      await b.remember([{ name: '', address: `p${n}@example.com` }], 'seen');
    }
    expect((await b.entriesList()).map((e) => e.address).sort()).toEqual([
      'keep@example.com',
      'p3@example.com',
      'p4@example.com',
    ]);
  });

  it('is shared through its file, written atomically, and survives a damaged one', async () => {
    await book().remember([{ name: 'A', address: 'a@example.com' }], 'sent');
    expect(JSON.parse(readFileSync(file, 'utf8')).entries).toHaveLength(1);
    const other = book();
    expect(await other.complete('a')).toEqual([{ name: 'A', address: 'a@example.com' }]);
    writeFileSync(file, '{ not json');
    expect(await book().complete('a')).toEqual([]);
    await book().remember([{ name: 'B', address: 'b@example.com' }], 'seen');
    expect(await book().complete('')).toEqual([{ name: 'B', address: 'b@example.com' }]);
  });

  it('lets concurrent remembers of one process all count', async () => {
    const b = book();
    await Promise.all(
      Array.from({ length: 10 }, () =>
        b.remember([{ name: '', address: 'x@example.com' }], 'seen'),
      ),
    );
    expect((await b.entriesList())[0]!.seen).toBe(10);
  });
});
