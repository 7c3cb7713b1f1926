/**
 * Search across every folder, for both faces (`tmail search --all-folders`
 * and the reader's `:search -a`): the local cache's full-text index answers
 * for what it holds, the server's SEARCH for the rest (core/search-all.ts
 * decides how far per folder, and merges), newest first, each hit naming its
 * folder. Folders the server cannot be asked about (offline, the connection
 * lost half way) are answered by the cache, and the result says so.
 *
 * The open folder stays open: folders are selected in turn, a few per queue
 * task (so that a key pressed meanwhile waits for a few SELECTs, not for the
 * whole account), and the open folder is selected again after each few, as
 * any work in another folder does (FolderSync.elsewhere). Per folder the
 * server is asked for its matching UIDs (one UID SEARCH, a compact answer)
 * and the envelopes of only the newest `limit` of them.
 */
import { toTmailError, type ErrorCode, type TmailError } from '../errors.js';
import { mergeHits, planFolder, type FolderPlan } from '../search-all.js';
import type { Envelope, SearchQuery } from '../types.js';
import type { MailBackend } from './backend.js';
import type { EngineContext, Link } from './context.js';
import type { FolderSync } from './folder-sync.js';
import type { LocalMail } from './local-mail.js';

/** One result of a search across folders. */
export interface FolderHit {
  /** The folder the message is in. */
  path: string;
  envelope: Envelope;
}

/** What a search across folders found. */
export interface AllFoldersResult {
  /** Newest (Date header) first, at most the `limit` asked. */
  hits: FolderHit[];
  /** More messages match than `hits` holds. */
  more: boolean;
  /**
   * Set when the server could not be asked at all: every hit is the cache's,
   * as of its last sync (`asOf`, ms since the epoch, null when unknown), and
   * `reason` says why in one sentence.
   */
  fromCache: { asOf: number | null; reason: string } | null;
  /** Folders the server could not search (its hits there are the cache's), each with why. */
  unsearched: Array<{ path: string; reason: string }>;
  /** How many folders the server searched whole, and for messages newer than the cache only. */
  searched: { wholeFolders: number; newerFolders: number };
}

/** Failures that mean the server is out of reach (not refused): the cache answers then. */
export const UNREACHABLE: ReadonlySet<ErrorCode> = new Set([
  'HOST_UNKNOWN',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'CONNECTION_LOST',
  'OFFLINE',
  'TLS_FAILED',
]);

/** Folders selected per queue task. */
const FOLDERS_PER_TASK = 8;

interface FolderAnswer {
  plan: FolderPlan;
  hits: FolderHit[];
  more: boolean;
}

export class AllFoldersSearch {
  constructor(
    private readonly ctx: EngineContext,
    private readonly link: Link,
    private readonly folders: FolderSync,
    /** The account's local cache; null when it has none. */
    private readonly local: LocalMail | null,
  ) {}

  async run(query: SearchQuery, limit: number, signal?: AbortSignal): Promise<AllFoldersResult> {
    const local = this.local?.available ? this.local : null;
    const server: FolderHit[] = [];
    const whole = new Set<string>();
    const fromCacheToo: string[] = [];
    const unsearched: AllFoldersResult['unsearched'] = [];
    const searched = { wholeFolders: 0, newerFolders: 0 };
    let more = false;
    let unreachable: TmailError | null = null;
    const label = 'Searching all folders';
    this.ctx.emit({ type: 'progress', progress: { label } });
    // Stopped: said at once, though the folder being searched still has to answer.
    const stopped = () => this.ctx.emit({ type: 'progress', progress: null });
    signal?.addEventListener('abort', stopped, { once: true });
    try {
      let paths: string[] = [];
      try {
        paths = await this.folderPaths(signal);
      } catch (error) {
        const e = toTmailError(error);
        if (!UNREACHABLE.has(e.code)) throw e;
        unreachable = e;
      }
      for (let i = 0; i < paths.length && !unreachable; i += FOLDERS_PER_TASK) {
        const batch = paths.slice(i, i + FOLDERS_PER_TASK);
        let done = 0;
        try {
          await this.folders.elsewhere(async (b) => {
            for (const path of batch) {
              signal?.throwIfAborted();
              let answer: FolderAnswer;
              try {
                answer = await this.searchFolder(b, path, query, limit);
              } catch (error) {
                const e = toTmailError(error);
                if (UNREACHABLE.has(e.code) || e.code === 'CANCELLED') throw e;
                // This folder alone (gone since the list was read, refused): the others go on.
                unsearched.push({ path, reason: e.userMessage });
                done += 1;
                continue;
              }
              done += 1;
              if (answer.plan.server === 'all') whole.add(path);
              else fromCacheToo.push(path);
              searched[answer.plan.server === 'all' ? 'wholeFolders' : 'newerFolders'] += 1;
              server.push(...answer.hits);
              more ||= answer.more;
              this.ctx.emit({
                type: 'progress',
                progress: { label, done: i + done, total: paths.length },
              });
            }
          }, signal);
        } catch (error) {
          const e = toTmailError(error);
          if (!UNREACHABLE.has(e.code)) throw e;
          // The connection went: the folders not reached are the cache's to answer.
          unreachable = e;
          for (const path of paths.slice(i + done))
            unsearched.push({ path, reason: e.userMessage });
        }
      }
    } finally {
      signal?.removeEventListener('abort', stopped);
      this.ctx.emit({ type: 'progress', progress: null });
    }

    const serverAsked = searched.wholeFolders + searched.newerFolders;
    if (unreachable && serverAsked === 0) {
      // Nothing from the server: the cache answers alone, when it holds anything.
      const cached = local?.cachedFolders() ?? [];
      if (!local || !cached.length) throw unreachable;
      const synced = cached.flatMap((f) => (f.syncedAt === undefined ? [] : [f.syncedAt]));
      const hits = local.searchFolders(query, { limit: limit + 1 });
      return {
        hits: hits.slice(0, limit),
        more: hits.length > limit,
        fromCache: {
          asOf: synced.length ? Math.max(...synced) : null,
          reason: unreachable.userMessage,
        },
        unsearched: [],
        searched,
      };
    }
    const localFolders = [...fromCacheToo, ...unsearched.map((u) => u.path)];
    const localHits =
      local && localFolders.length
        ? local.searchFolders(query, { limit: limit + 1, folders: localFolders })
        : [];
    const merged = mergeHits(localHits, server, whole);
    return {
      hits: merged.slice(0, limit),
      more: more || merged.length > limit,
      fromCache: null,
      unsearched,
      searched,
    };
  }

  /** Selectable folders, from the list shown, else read from the server (without counts). */
  private async folderPaths(signal?: AbortSignal): Promise<string[]> {
    const state = this.ctx.state;
    const folders =
      state.foldersLoaded && state.folders.length
        ? state.folders
        : await this.link.task((b) => this.folders.readFolders(b, 'none'), signal);
    return folders.filter((f) => f.selectable).map((f) => f.path);
  }

  /** One folder: SELECT (a re-sync where the cache knows it), UID SEARCH, the newest envelopes. */
  private async searchFolder(
    b: MailBackend,
    path: string,
    query: SearchQuery,
    limit: number,
  ): Promise<FolderAnswer> {
    let plan = planFolder(path, this.local?.available ? this.local.folderState(path) : null, query);
    let uidValidity: string;
    if (path === this.folders.selectedPath) {
      // The open folder: the cache follows it already through the engine's events.
      uidValidity = (await b.select(path)).uidValidity;
    } else {
      const { status, resync } = await this.folders.selectAndSync(b, path, []);
      uidValidity = status.uidValidity;
      if (resync?.uidValidityChanged) plan = { path, server: 'all' };
    }
    // Rebuilt on the server since it was cached: the cache says nothing of it now.
    if (plan.server === 'newer' && uidValidity !== plan.uidValidity) plan = { path, server: 'all' };
    const uids = await b.searchUids(
      plan.server === 'newer' ? { ...query, uidsFrom: plan.uidsFrom } : query,
    );
    // Ascending UIDs: the newest arrivals are last.
    const newest = uids.slice(-limit);
    let envelopes: Envelope[] = [];
    if (newest.length) {
      envelopes = await b.fetchEnvelopes({ uids: newest });
      this.ctx.stats.envelopeCommands += 1;
      this.ctx.stats.envelopesFetched += envelopes.length;
      // Kept for the next search, offline ones included.
      this.local?.arrived({ path, uidValidity }, envelopes);
    }
    return {
      plan,
      hits: envelopes.map((envelope) => ({ path, envelope })),
      more: uids.length > newest.length,
    };
  }
}
