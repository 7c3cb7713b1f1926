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
import { readFileSync } from 'node:fs';
import {
  openAccountCache,
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
  account: Parameters<typeof openAccountCache>[0],
  settings: CacheSettings,
  onNotice: (text: string) => void,
): LocalMail | null {
  if (!settings.enabled) return null;
  const cache = openAccountCache(account, { settings, onNotice });
  if (!cache.available) return null;
  return new LocalMail(cache, foldersFileOf(cache.file));
}

export class LocalMail {
  constructor(
    private readonly cache: AccountCache,
    /** Where the folder list is kept (beside the store); null keeps it in memory only. */
    private readonly foldersFile: string | null,
  ) {}

  get available(): boolean {
    return this.cache.available;
  }

  // ---------------------------------------------------------------- folders

  /** The folder list saved last time, with the counts it had; null when none was saved. */
  folders(): Mailbox[] | null {
    if (!this.foldersFile || !this.cache.available) return null;
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
    const synced = new Map(this.cache.folders().map((f) => [f.path, f]));
    return folders.map((folder) => {
      const state = synced.get(folder.path);
      if (!state || state.total === undefined) return folder;
      return { ...folder, total: state.total, unread: state.unread ?? folder.unread };
    });
  }

  /** Keeps the folder list (as the server gave it, with the counts known) for the next start. */
  saveFolders(folders: readonly Mailbox[]): void {
    if (!this.foldersFile || !this.cache.available) return;
    try {
      writeFileAtomicSync(this.foldersFile, JSON.stringify({ savedAt: Date.now(), folders }));
    } catch {
      // Only a cache: the next start reads the list from the server.
    }
  }

  // ---------------------------------------------------------------- a folder before the server answers

  /** The folder as cached: its rows in `sort` order and the envelopes of the first `rows`. */
  view(path: string, sort: SortOrder, rows: number): CachedFolderView | null {
    const state = this.cache.folderState(path);
    if (!state || (!state.cached && !state.hasUidList)) return null;
    const cached = this.cache.orderedUids(path, sort);
    const list = state.hasUidList ? this.cache.uidList(path) : null;
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
    const envelopes = rows > 0 ? this.cache.pageOfEnvelopes(path, sort, 0, rows).map(plain) : [];
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
    return this.cache.search(query, { folders: [path] }).map((hit) => plain(hit.envelope));
  }

  /** What the cache holds of a folder (its state at the last sync, how many rows), or null. */
  folderState(path: string): CachedFolder | null {
    return this.cache.folderState(path);
  }

  /** Every folder the cache holds something of. */
  cachedFolders(): CachedFolder[] {
    return this.cache.folders();
  }

  /**
   * Cached messages of every folder (or of `folders`) matching a search,
   * newest first, at most `limit`, each with its folder.
   */
  searchFolders(
    query: SearchQuery,
    options: { limit: number; folders?: string[] },
  ): Array<{ path: string; envelope: Envelope }> {
    return this.cache
      .search(query, options)
      .map((hit) => ({ path: hit.path, envelope: plain(hit.envelope) }));
  }

  /** Cached envelopes of some UIDs (for rows scrolled to while offline). */
  envelopes(path: string, uids: number[]): Envelope[] {
    return this.cache.envelopes(path, uids).map(plain);
  }

  /** When the folder was last in step with the server, or null. */
  syncedAt(path: string): number | null {
    return this.cache.folderState(path)?.syncedAt ?? null;
  }

  /** The view of a message read before, or null. */
  body(path: string, uid: number): MessageView | null {
    return this.cache.getBody(path, uid)?.view ?? null;
  }

  // ---------------------------------------------------------------- re-sync

  /**
   * What to tell the server on re-sync: UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT and
   * EXISTS as the last SELECT said them, and the folder's whole UID list where
   * it is stored (with the cached UIDs, which it should hold already), else the
   * cached UIDs only; null when the folder was never synced.
   */
  known(path: string, visible: readonly number[]): KnownFolderState | null {
    const state = this.cache.folderState(path);
    if (!state) return null;
    const cached = this.cache.uids(path);
    const list = state.hasUidList ? this.cache.uidList(path) : null;
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
   * a new UIDVALIDITY dropped the folder's rows.
   */
  selected(status: FolderStatus, unread?: number): boolean {
    return this.cache.applyFolderState({
      ...stateOf(status),
      ...(unread === undefined ? {} : { unread }),
    }).dropped;
  }

  /**
   * Writes a re-sync's answer: flags changed, messages gone; then the new state
   * of the folder together with its UID list after the re-sync (`uids`; null
   * when not known, and then the stored list goes: it is older than the new
   * HIGHESTMODSEQ).
   */
  resynced(key: FolderKey, result: FolderResync, uids: readonly number[] | null): void {
    if (result.uidValidityChanged) {
      this.cache.dropFolder(key.path);
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
    this.cache.applyFolderState({ ...stateOf(result.status), uids });
  }

  /**
   * Keeps the folder's whole UID list as it is now, unless another session
   * synced the folder since the SELECT with HIGHESTMODSEQ `basis` (see
   * AccountCache.setUidList).
   */
  saveUidList(key: FolderKey, uids: readonly number[], basis: string | undefined): void {
    this.cache.setUidList(key, uids, { highestModseq: basis });
  }

  // ---------------------------------------------------------------- what the server said

  arrived(key: FolderKey, envelopes: readonly Envelope[]): void {
    if (envelopes.length) this.cache.applyEnvelopes(key, envelopes as CachedEnvelope[]);
  }

  flags(key: FolderKey, changes: Array<{ uid: number; flags: Flag[]; modseq?: string }>): void {
    if (changes.length) this.cache.applyFlagChanges(key, changes);
  }

  removed(key: FolderKey, uids: readonly number[]): void {
    if (uids.length) this.cache.removeUids(key, [...uids]);
  }

  /** Keeps a message read, to read it again offline. */
  read(key: FolderKey, uid: number, view: MessageView): void {
    this.cache.putBody(key, uid, { text: view.text, view });
  }

  // ---------------------------------------------------------------- bodies fetched ahead, attachments kept

  /** How many of the newest messages of a folder to fetch the text of in the background (0: none). */
  get prefetchBodies(): number {
    return this.cache.available ? Math.max(0, Math.floor(this.cache.settings.prefetchBodies)) : 0;
  }

  /** Attachments up to this many bytes are kept when opened or saved (0: none). */
  get attachmentMaxBytes(): number {
    return this.cache.settings.attachmentMaxBytes;
  }

  /** Which of `uids` are cached, and whether with their text (absent: not cached). */
  bodyState(path: string, uids: readonly number[]): Map<number, boolean> {
    return this.cache.bodyState(path, uids);
  }

  /** True when `bytes` more fit under the size cap without dropping anything. */
  roomFor(bytes: number): boolean {
    return this.cache.freeBytes() >= bytes;
  }

  /** Keeps an attachment opened or saved, when within the cap; true when kept. */
  keepAttachment(key: FolderKey, uid: number, part: string, attachment: CachedAttachment): boolean {
    if (this.attachmentMaxBytes <= 0 || attachment.data.length > this.attachmentMaxBytes)
      return false;
    return this.cache.putAttachment(key, uid, part, attachment);
  }

  /** An attachment kept before, or null. */
  attachment(path: string, uid: number, part: string): CachedAttachment | null {
    return this.cache.getAttachment(path, uid, part);
  }

  close(): void {
    this.cache.close();
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
