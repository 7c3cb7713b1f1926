/**
 * What happened, as the engine tells it: the reducer's only input. Server
 * pushes (new mail, expunges, flag changes, connection state) and the results
 * of requests both arrive here, so the snapshot never depends on who asked.
 */
import type { Notice, Progress } from './store/state.js';
import type { ConnectionState, Envelope, Flag, Mailbox, SearchQuery, SortOrder } from './types.js';

export type EngineEvent =
  | { type: 'connection'; state: ConnectionState }
  /** `cached`: the list saved last time, shown until the server's arrives. */
  | { type: 'folders'; folders: Mailbox[]; cached?: boolean }
  | { type: 'folder-counts'; path: string; total: number; unread: number }
  | { type: 'opening'; path: string | null }
  /** A folder (or search) view starts: resets the list. */
  | {
      type: 'view-opened';
      path: string;
      uidValidity: string;
      total: number;
      sort: SortOrder;
      threaded: boolean;
      search: SearchQuery | null;
    }
  /** UIDs in display order; `complete` when they cover every row. */
  | {
      type: 'view-uids';
      path: string;
      uids: number[];
      complete: boolean;
      depth?: Map<number, number>;
      /** Threaded lists: the tree guides and the folded threads (see FolderView). */
      guides?: Map<number, string>;
      folded?: Map<number, readonly number[]>;
    }
  /** `cached`: read from the local cache, not from the server. */
  | { type: 'envelopes'; path: string; envelopes: Envelope[]; cached?: boolean }
  | { type: 'previews'; path: string; previews: Map<number, string> }
  /** Absolute flags of messages, from the server or an optimistic local change. */
  | {
      type: 'flags';
      path: string;
      /** `modseq` when the server said (CONDSTORE); a change without one forgets the old MODSEQ. */
      changes: Array<{ uid: number; flags: Flag[]; modseq?: string }>;
    }
  /** New messages at these display positions (already ordered by the engine). */
  | { type: 'messages-added'; path: string; uids: number[]; position: 'top' | 'bottom' }
  | { type: 'messages-removed'; path: string; uids: number[] }
  | { type: 'view-closed' }
  | { type: 'notice'; notice: Notice | null }
  | { type: 'progress'; progress: Progress | null }
  /** Messages in the outbox: `waiting` to be tried again by themselves, `needsYou` waiting for the user. */
  | { type: 'outbox'; waiting: number; needsYou: number }
  /** Offline changes waiting; `unsaved` of them are only in memory (the disk refused them). */
  | { type: 'queued-changes'; count: number; unsaved?: number }
  | { type: 'undo-label'; label: string | null }
  /**
   * What is shown comes from the local cache, as of `syncedAt` (ms; null when
   * unknown), and the server has not confirmed it yet; `current` once it has.
   */
  | { type: 'from-cache'; syncedAt: number | null }
  | { type: 'current' };
