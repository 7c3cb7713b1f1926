/**
 * The local cache as folder sync sees it: what to show before the server
 * answers (the folder list with counts, the first rows of a folder, a message
 * read before), what to tell the server on re-sync (the known state of a
 * folder), and where every answer of the server is written back.
 *
 * The store itself (src/core/cache/) keeps messages per folder at one
 * UIDVALIDITY; the folder list with its roles and counts, which LIST gives and
 * no SELECT, is kept beside it in a small JSON file. Nothing here throws: a
 * cache that cannot be used reads as empty, and the server stays the truth.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  DEFAULT_CACHE_SETTINGS,
  openAccountCache,
  storeFile,
  type AccountCache,
  type CachedAttachment,
  type CachedEnvelope,
  type CachedFolder,
  type CacheSettings,
} from '../cache/index.js';
import type { EngineEvent } from '../events.js';
import { writeFileAtomicSync } from '../fs-atomic.js';
import type { MailState } from '../store/state.js';
import type { Envelope, Flag, Mailbox, MessageView, SearchQuery, SortOrder } from '../types.js';
import type { FolderResync, FolderStatus, KnownFolderState } from './backend.js';
import { mergeAscending } from './uid-list.js';

/** What the cache can show of a folder before the server answers. */
export interface CachedFolderView {
  path: string;
  uidValidity: string;
  /** Rows: the folder's messages as of the last sync where its UID list is kept, else the cached ones. */
  total: number;
  /**
   * Every row in display order: the folder's whole UID list where the cache
   * keeps it (rows whose envelope is not cached among them), else the cached
   * rows. Sorted by anything but arrival, the cached rows come sorted first
   * and the others follow by arrival, as the engine sorts without SORT.
   */
  uids: number[];
  /** Envelopes of the first rows. */
  envelopes: Envelope[];
  /** ms since the epoch of the last sync with the server. */
  syncedAt: number | null;
}

/** A folder at one UIDVALIDITY, as every write names it. */
export interface FolderKey {
  path: string;
  uidValidity: string;
}

/** Where the folder list is kept: beside the account's store, as one of its files. */
export function foldersFileOf(storeFile: string): string {
  return `${storeFile}-folders.json`;
}

/**
 * Opens an account's local cache for its engine, or null when it is off by
 * setting or cannot be used (said once through `onNotice`).
 */
export function openLocalMail(
  account: Exclude<Parameters<typeof openAccountCache>[0], string>,
  settings: CacheSettings,
  onNotice: (text: string) => void,
): LocalMail | null {
  if (!settings.enabled) return null;
  const file = storeFile(account.name);
  // No store yet (a first start): it is made on the first write, which a face can hold
  // back until its first screen is drawn; nothing could be read from it before anyway.
  if (!existsSync(file))
    return new LocalMail(
      () => openAccountCache(account, { settings, onNotice }),
      foldersFileOf(file),
      settings,
    );
  const cache = openAccountCache(account, { settings, onNotice });
  if (!cache.available) return null;
  return new LocalMail(cache, foldersFileOf(cache.file));
}

export class LocalMail {
  private opened: AccountCache | null;
  private readonly opener: (() => AccountCache) | null;
  private readonly settings: CacheSettings;
  /** Writes held back (see holdWrites), in the order they were asked. */
  private queue: Array<() => void> = [];
  private held = false;
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(
    /** The open store, or how to open it when first written to. */
    cache: AccountCache | (() => AccountCache),
    /** Where the folder list is kept (beside the store); null keeps it in memory only. */
    private readonly foldersFile: string | null,
    /** The settings while the store is not open yet (an open store has its own). */
    settings: CacheSettings = DEFAULT_CACHE_SETTINGS,
  ) {
    this.opened = typeof cache === 'function' ? null : cache;
    this.opener = typeof cache === 'function' ? cache : null;
    this.settings = this.opened?.settings ?? settings;
  }

  /** The store for a write, opened (made) now if it was not yet. */
  private get cache(): AccountCache {
    return (this.opened ??= this.opener!());
  }

  /**
   * The store for a read, after the writes held back; null while it is not
   * made yet: reads then find nothing (the server answers instead) rather than
   * make it before the first screen.
   */
  private get existing(): AccountCache | null {
    if (!this.opened) return null;
    this.drain();
    return this.opened.available ? this.opened : null;
  }

  get available(): boolean {
    return this.opened ? this.opened.available : true;
  }

  /**
   * Holds writes back until `until` settles (at most `maxMs`): a first start
   * then draws its first screen before paying for making the store and
   * writing what the server said. Reads meanwhile see the writes first.
   */
  holdWrites(until: Promise<unknown>, maxMs = 10_000): void {
    this.held = true;
    this.holdTimer = setTimeout(() => this.release(), maxMs);
    this.holdTimer.unref?.();
    void until.then(
      () => this.release(),
      () => this.release(),
    );
  }

  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held = false;
    this.drain();
  }

  private drain(): void {
    while (this.queue.length) {
      const pending = this.queue;
      this.queue = [];
      for (const work of pending) work();
    }
  }

  /** Runs a write now, or after the hold. */
  private write(work: () => void): void {
    if (this.held) this.queue.push(work);
    else work();
  }

  // ---------------------------------------------------------------- folders

  /** The folder list saved last time, with the counts it had; null when none was saved. */
  folders(): Mailbox[] | null {
    const cache = this.existing;
    if (!this.foldersFile || !cache) return null;
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(this.foldersFile, 'utf8'));
    } catch {
      // Missing or damaged: the server's list replaces it.
      return null;
    }
    const list = (saved as { folders?: unknown } | null)?.folders;
    if (!Array.isArray(list)) return null;
    const folders = list.filter(isMailbox);
    // A folder synced since the list was saved has newer counts in the store.
    const synced = new Map(cache.folders().map((f) => [f.path, f]));
    return folders.map((folder) => {
      const state = synced.get(folder.path);
      if (!state || state.total === undefined) return folder;
      return { ...folder, total: state.total, unread: state.unread ?? folder.unread };
    });
  }

  /** Keeps the folder list (as the server gave it, with the counts known) for the next start. */
  saveFolders(folders: readonly Mailbox[]): void {
    const file = this.foldersFile;
    if (!file) return;
    this.write(() => {
      if (!this.cache.available) return;
      try {
        writeFileAtomicSync(file, JSON.stringify({ savedAt: Date.now(), folders }));
      } catch {
        // Only a cache: the next start reads the list from the server.
      }
    });
  }

  // ---------------------------------------------------------------- a folder before the server answers

  /** The folder as cached: its rows in `sort` order and the envelopes of the first `rows`. */
  view(path: string, sort: SortOrder, rows: number): CachedFolderView | null {
    const cache = this.existing;
    const state = cache?.folderState(path);
    if (!cache || !state || (!state.cached && !state.hasUidList)) return null;
    const cached = cache.orderedUids(path, sort);
    const list = state.hasUidList ? cache.uidList(path) : null;
    let uids = cached;
    if (list && sort.key === 'arrival') {
      uids = mergeAscending(
        list,
        [...cached].sort((a, b) => a - b),
      );
      if (sort.reverse) uids.reverse();
    } else if (list) {
      const have = new Set(cached);
      const rest = list.filter((uid) => !have.has(uid));
      uids = [...cached, ...(sort.reverse ? rest.reverse() : rest)];
    }
    if (!uids.length) return null;
    const envelopes = rows > 0 ? cache.pageOfEnvelopes(path, sort, 0, rows).map(plain) : [];
    return {
      path,
      uidValidity: state.uidValidity,
      total: list ? uids.length : Math.max(state.total ?? 0, uids.length),
      uids,
      envelopes,
      syncedAt: state.syncedAt ?? null,
    };
  }

  /** Cached messages of a folder matching a search, newest first. */
  search(path: string, query: SearchQuery): Envelope[] {
    const cache = this.existing;
    return cache ? cache.search(query, { folders: [path] }).map((hit) => plain(hit.envelope)) : [];
  }

  /** What the cache holds of a folder (its state at the last sync, how many rows), or null. */
  folderState(path: string): CachedFolder | null {
    return this.existing?.folderState(path) ?? null;
  }

  /** Every folder the cache holds something of. */
  cachedFolders(): CachedFolder[] {
    return this.existing?.folders() ?? [];
  }

  /**
   * Cached messages of every folder (or of `folders`) matching a search,
   * newest first, at most `limit`, each with its folder.
   */
  searchFolders(
    query: SearchQuery,
    options: { limit: number; folders?: string[] },
  ): Array<{ path: string; envelope: Envelope }> {
    return (this.existing?.search(query, options) ?? []).map((hit) => ({
      path: hit.path,
      envelope: plain(hit.envelope),
    }));
  }

  /** Cached envelopes of some UIDs (for rows scrolled to while offline). */
  envelopes(path: string, uids: number[]): Envelope[] {
    return this.existing?.envelopes(path, uids).map(plain) ?? [];
  }

  /** When the folder was last in step with the server, or null. */
  syncedAt(path: string): number | null {
    return this.existing?.folderState(path)?.syncedAt ?? null;
  }

  /** The view of a message read before, or null. */
  body(path: string, uid: number): MessageView | null {
    return this.existing?.getBody(path, uid)?.view ?? null;
  }

  // ---------------------------------------------------------------- re-sync

  /**
   * What to tell the server on re-sync: UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT and
   * EXISTS as the last SELECT said them, and the folder's whole UID list where
   * it is stored (with the cached UIDs, which it should hold already), else the
   * cached UIDs only; null when the folder was never synced.
   */
  known(path: string, visible: readonly number[]): KnownFolderState | null {
    const cache = this.existing;
    const state = cache?.folderState(path);
    if (!cache || !state) return null;
    const cached = cache.uids(path);
    const list = state.hasUidList ? cache.uidList(path) : null;
    const uids = list ? mergeAscending(list, cached) : cached;
    return {
      uidValidity: state.uidValidity,
      highestModseq: state.highestModseq,
      uidNext: state.uidNext || (uids.at(-1) ?? 0) + 1,
      exists: state.total ?? uids.length,
      uids,
      complete: list !== null,
      visible,
    };
  }

  /**
   * Records what SELECT said. UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ
   * go in together: a re-sync counts on them describing one moment. True when
   * a new UIDVALIDITY dropped the folder's rows (false while writes are held).
   */
  selected(status: FolderStatus, unread?: number): boolean {
    let dropped = false;
    this.write(() => {
      dropped = this.cache.applyFolderState({
        ...stateOf(status),
        ...(unread === undefined ? {} : { unread }),
      }).dropped;
    });
    return dropped;
  }

  /**
   * Writes a re-sync's answer: flags changed, messages gone; then the new state
   * of the folder together with its UID list after the re-sync (`uids`; null
   * when not known, and then the stored list goes: it is older than the new
   * HIGHESTMODSEQ).
   */
  resynced(key: FolderKey, result: FolderResync, uids: readonly number[] | null): void {
    if (result.uidValidityChanged) {
      this.write(() => this.cache.dropFolder(key.path));
      this.selected(result.status);
      return;
    }
    this.flags(
      key,
      [...result.changed].map(([uid, s]) => ({ uid, ...s })),
    );
    this.removed(key, result.vanished);
    // With the `uids` method only the visible rows' flags were read; the other
    // cached rows keep the flags they had (shown offline as of the last sync;
    // online, rows off the first screen come from the server).
    this.write(() => this.cache.applyFolderState({ ...stateOf(result.status), uids }));
  }

  /**
   * Keeps the folder's whole UID list as it is now, unless another session
   * synced the folder since the SELECT with HIGHESTMODSEQ `basis` (see
   * AccountCache.setUidList).
   */
  saveUidList(key: FolderKey, uids: readonly number[], basis: string | undefined): void {
    this.write(() => this.cache.setUidList(key, uids, { highestModseq: basis }));
  }

  // ---------------------------------------------------------------- what the server said

  arrived(key: FolderKey, envelopes: readonly Envelope[]): void {
    if (envelopes.length)
      this.write(() => this.cache.applyEnvelopes(key, envelopes as CachedEnvelope[]));
  }

  flags(key: FolderKey, changes: Array<{ uid: number; flags: Flag[]; modseq?: string }>): void {
    if (changes.length) this.write(() => this.cache.applyFlagChanges(key, changes));
  }

  /**
   * A flag change the server took for messages the engine holds no envelope
   * of (a script's `tmail flag`, a tagged range off screen): the cached rows
   * get it too, so that they do not show the old flags offline.
   */
  changeFlags(key: FolderKey, uids: readonly number[], add: Flag[], remove: Flag[]): void {
    if (!uids.length || !this.cache.available) return;
    const changes = this.cache.envelopes(key.path, [...uids]).map((envelope) => {
      const flags = envelope.flags.filter((f) => !remove.includes(f));
      for (const f of add) if (!flags.includes(f)) flags.push(f);
      return { uid: envelope.uid, flags };
    });
    this.flags(key, changes);
  }

  removed(key: FolderKey, uids: readonly number[]): void {
    if (uids.length) {
      const gone = [...uids];
      this.write(() => this.cache.removeUids(key, gone));
    }
  }

  /** Keeps a message read, to read it again offline. */
  read(key: FolderKey, uid: number, view: MessageView): void {
    this.write(() => this.cache.putBody(key, uid, { text: view.text, view }));
  }

  // ---------------------------------------------------------------- bodies fetched ahead, attachments kept

  /** How many of the newest messages of a folder to fetch the text of in the background (0: none). */
  get prefetchBodies(): number {
    return this.available ? Math.max(0, Math.floor(this.settings.prefetchBodies)) : 0;
  }

  /** Attachments up to this many bytes are kept when opened or saved (0: none). */
  get attachmentMaxBytes(): number {
    return this.settings.attachmentMaxBytes;
  }

  /** Which of `uids` are cached, and whether with their text (absent: not cached). */
  bodyState(path: string, uids: readonly number[]): Map<number, boolean> {
    return this.existing?.bodyState(path, uids) ?? new Map();
  }

  /** True when `bytes` more fit under the size cap without dropping anything. */
  roomFor(bytes: number): boolean {
    // A store not made yet is empty: everything fits.
    return !this.opened || this.cache.freeBytes() >= bytes;
  }

  /** Keeps an attachment opened or saved, when within the cap; true when kept. */
  keepAttachment(key: FolderKey, uid: number, part: string, attachment: CachedAttachment): boolean {
    if (this.attachmentMaxBytes <= 0 || attachment.data.length > this.attachmentMaxBytes)
      return false;
    return this.cache.putAttachment(key, uid, part, attachment);
  }

  /** An attachment kept before, or null. */
  attachment(path: string, uid: number, part: string): CachedAttachment | null {
    return this.existing?.getAttachment(path, uid, part) ?? null;
  }

  close(): void {
    this.release();
    this.opened?.close();
  }
}

/** What SELECT said of a folder, as the store records it. */
function stateOf(status: FolderStatus) {
  return {
    path: status.path,
    uidValidity: status.uidValidity,
    highestModseq: status.highestModseq,
    uidNext: status.uidNext || undefined,
    total: status.exists,
  };
}

/** An envelope as the view holds it (without what only the cache keeps). */
function plain(envelope: CachedEnvelope): Envelope {
  const { references: _references, structure: _structure, ...rest } = envelope;
  return rest;
}

function isMailbox(value: unknown): value is Mailbox {
  const m = value as Partial<Mailbox> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.path === 'string' &&
    typeof m.name === 'string' &&
    typeof m.delimiter === 'string' &&
    typeof m.selectable === 'boolean'
  );
}

/** How long counts wait before the folder list is saved again (they come in bursts). */
const SAVE_FOLDERS_DELAY_MS = 1000;

/**
 * Writes what passes through the engine to the cache: every event the engine
 * emits comes here first, with the state it applies to. Envelopes fetched,
 * flags seen or changed, messages gone and the folder list all go in as they
 * pass, so the cache needs no traffic of its own.
 */
export class CacheWriter {
  private saveTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly local: LocalMail,
    private readonly state: () => MailState,
  ) {}

  /** Called with each event before the store applies it. */
  write(event: EngineEvent): void {
    const view = this.state().view;
    const key = (path: string): FolderKey | null =>
      view && view.path === path ? { path, uidValidity: view.uidValidity } : null;
    switch (event.type) {
      case 'folders':
        if (!event.cached) this.local.saveFolders(event.folders);
        return;
      case 'folder-counts':
        this.saveFoldersSoon();
        return;
      case 'envelopes': {
        const folder = key(event.path);
        if (folder && !event.cached) this.local.arrived(folder, event.envelopes);
        return;
      }
      case 'flags': {
        const folder = key(event.path);
        if (folder) this.local.flags(folder, event.changes);
        return;
      }
      case 'messages-removed': {
        const folder = key(event.path);
        if (folder) this.local.removed(folder, event.uids);
        return;
      }
    }
  }

  private saveFoldersSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), SAVE_FOLDERS_DELAY_MS);
    this.saveTimer.unref?.();
  }

  /** Saves the folder list with the counts known now (on close, and after a burst of counts). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const { folders, foldersLoaded } = this.state();
    if (foldersLoaded && folders.length) this.local.saveFolders(folders);
  }
}
