/**
 * The address book behind address completion: every address seen in the
 * From, To and Cc of opened messages, and every address written to, with how
 * often and how lately. Kept as one small JSON file in `stateDir()`, bounded
 * in size (the least useful entries go first), and written atomically.
 *
 * Ranking is "frecency": sending to someone counts more than seeing them, and
 * both fade with time (a half-life of a month), so the people one writes to
 * now come before the ones one wrote to a year ago. Matches where what was
 * typed starts the address, a part of it or a word of the name come before
 * matches in the middle of a word.
 */
import { readFile, stat } from 'node:fs/promises';
import { isSafeName, isValidAddress } from '../compose/addresses.js';
import { createLogger } from '../log.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { statePath } from '../paths.js';
import type { Address } from '../types.js';

const log = createLogger('addressbook');

/** How an address was met: in a message read, or as a recipient of one sent. */
export type AddressKind = 'seen' | 'sent';

export interface AddressBookEntry {
  /** The last non-empty display name met with the address. */
  name: string;
  /** As first met (case kept); matched case-insensitively. */
  address: string;
  seen: number;
  sent: number;
  /** ms since the epoch of the last time it was met. */
  lastUsed: number;
}

export interface AddressBookOptions {
  /** Most entries kept; default 5,000. */
  maxEntries?: number;
  /** ms since the epoch, for tests; default now. */
  now?: () => number;
}

const SENT_WEIGHT = 5;
const HALF_LIFE_MS = 30 * 24 * 3600_000;

interface FileShape {
  version: 1;
  entries: AddressBookEntry[];
}

/**
 * How well `query` (lower case, trimmed) matches an address: 2 when it starts
 * the address, a part of it (`ann` in `jo.ann@x`) or a word of the name; 1
 * when it is inside either; 0 when it is in neither. An empty query matches
 * everything with 1.
 */
export function matchQuality(query: string, entry: Address): number {
  if (!query) return 1;
  const address = entry.address.toLowerCase();
  const name = entry.name.toLowerCase();
  if (
    address.startsWith(query) ||
    name.startsWith(query) ||
    name.split(/[\s,.'"()-]+/).some((w) => w.startsWith(query)) ||
    address.split(/[@.+_-]/).some((part) => part.startsWith(query))
  )
    return 2;
  return address.includes(query) || name.includes(query) ? 1 : 0;
}

/** The default file: `stateDir()/addressbook.json`. */
export function addressBookPath(): string {
  return statePath('addressbook.json');
}

/** One book per file. Safe to share a file between processes: the last write wins, nothing breaks. */
export class AddressBook {
  private entries = new Map<string, AddressBookEntry>();
  private loadedMtime = -1;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string = addressBookPath(),
    options: AddressBookOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** Reads the file again when another process changed it. */
  private async load(): Promise<void> {
    let mtime: number;
    try {
      mtime = (await stat(this.file)).mtimeMs;
    } catch {
      this.entries.clear();
      this.loadedMtime = -1;
      return;
    }
    if (mtime === this.loadedMtime) return;
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as FileShape;
      this.entries = new Map(
        (Array.isArray(data.entries) ? data.entries : [])
          .filter((e) => typeof e?.address === 'string' && isValidAddress(e.address))
          .map((e) => [e.address.toLowerCase(), e]),
      );
    } catch (error) {
      // A damaged book is only a loss of suggestions: start again rather than fail.
      log.warn('address book unreadable; starting a new one', { error });
      this.entries.clear();
    }
    this.loadedMtime = mtime;
  }

  private score(entry: AddressBookEntry, now: number): number {
    const age = Math.max(0, now - entry.lastUsed);
    return (entry.sent * SENT_WEIGHT + entry.seen) * Math.pow(0.5, age / HALF_LIFE_MS);
  }

  /** Records addresses met; invalid ones (and names with controls) are ignored. */
  remember(addresses: readonly Address[], kind: AddressKind): Promise<void> {
    // Serialised so that two calls of one process never write over each other.
    const run = this.chain.then(async () => {
      await this.load();
      const now = this.now();
      let changed = false;
      for (const a of addresses) {
        const address = a.address.trim();
        if (!isValidAddress(address)) continue;
        const key = address.toLowerCase();
        const name = isSafeName(a.name) ? a.name.trim() : '';
        const entry = this.entries.get(key) ?? { name: '', address, seen: 0, sent: 0, lastUsed: 0 };
        if (kind === 'sent') entry.sent += 1;
        else entry.seen += 1;
        if (name) entry.name = name;
        entry.lastUsed = now;
        this.entries.set(key, entry);
        changed = true;
      }
      if (!changed) return;
      if (this.entries.size > this.maxEntries) {
        const ranked = [...this.entries.values()].sort(
          (x, y) => this.score(y, now) - this.score(x, now),
        );
        this.entries = new Map(
          ranked.slice(0, this.maxEntries).map((e) => [e.address.toLowerCase(), e]),
        );
      }
      const data: FileShape = { version: 1, entries: [...this.entries.values()] };
      await writeFileAtomic(this.file, JSON.stringify(data));
      this.loadedMtime = (await stat(this.file)).mtimeMs;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Up to `limit` addresses matching `prefix` (case-insensitive, on the
   * address, its local part or domain, or any word of the name), best first.
   * An empty prefix gives the most used.
   */
  async complete(prefix: string, limit = 10): Promise<Address[]> {
    await this.chain;
    await this.load();
    const now = this.now();
    const query = prefix.trim().toLowerCase();
    const matches: Array<{ entry: AddressBookEntry; quality: number; score: number }> = [];
    for (const entry of this.entries.values()) {
      const quality = matchQuality(query, entry);
      if (quality === 0) continue;
      matches.push({ entry, quality, score: this.score(entry, now) });
    }
    return matches
      .sort(
        (a, b) =>
          b.quality - a.quality ||
          b.score - a.score ||
          b.entry.lastUsed - a.entry.lastUsed ||
          a.entry.address.localeCompare(b.entry.address),
      )
      .slice(0, Math.max(0, limit))
      .map(({ entry }) => ({ name: entry.name, address: entry.address }));
  }

  /** Every entry, for export or tests. */
  async entriesList(): Promise<AddressBookEntry[]> {
    await this.chain;
    await this.load();
    return [...this.entries.values()].map((e) => ({ ...e }));
  }
}

export * from './query.js';
