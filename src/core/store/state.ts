/**
 * The immutable snapshot of one account that both faces read. Only the reducer
 * makes new snapshots; components read them through useSyncExternalStore and
 * never keep copies of mail data.
 */
import type { ConnectionState, Envelope, Mailbox, SearchQuery, SortOrder } from '../types.js';

export interface Notice {
  kind: 'info' | 'error';
  /** One sentence. Not yet sanitised when it quotes server text: display code sanitises. */
  text: string;
  /** ms since the epoch, so a face can fade old notices. */
  at: number;
}

/** Long work under way, for a spinner or progress bar. */
export interface Progress {
  label: string;
  done?: number;
  total?: number;
}

/** The message list of the open folder (or of a search in it). */
export interface FolderView {
  path: string;
  uidValidity: string;
  /** Number of rows. */
  total: number;
  /**
   * UIDs in display order (row 0 first). Until `complete`, only the first rows
   * are known (the first window arrives before the full list).
   */
  uids: readonly number[];
  complete: boolean;
  /** Indentation per UID when threaded. */
  depth: ReadonlyMap<number, number> | null;
  /** When threaded: the tree guide drawn before each reply's subject (`├─>`, `│ └─>`). */
  guides: ReadonlyMap<number, string> | null;
  /**
   * When threaded: the folded threads, by the UID of their first message (the
   * row shown), with the replies hidden under it (not in `uids`).
   */
  folded: ReadonlyMap<number, readonly number[]> | null;
  /** Envelopes fetched so far, by UID: the rows around what was looked at, never the whole folder. */
  envelopes: ReadonlyMap<number, Envelope>;
  previews: ReadonlyMap<number, string>;
  sort: SortOrder;
  threaded: boolean;
  /** The search whose results this list shows, or null for the whole folder. */
  search: SearchQuery | null;
}

export interface MailState {
  account: string;
  connection: ConnectionState;
  folders: readonly Mailbox[];
  foldersLoaded: boolean;
  view: FolderView | null;
  /** The folder being opened, while it is. */
  opening: string | null;
  notice: Notice | null;
  progress: Progress | null;
  /** Flag changes waiting on disk for the connection to come back. */
  queuedChanges: number;
  /** Of those, changes the disk refused (full, read-only): only in memory, lost on quit. */
  unsavedChanges: number;
  /**
   * Unsent messages of the account's outbox, as sending last counted them:
   * `waiting` are tried again by themselves, `needsYou` wait for the user
   * (refused by the server, login refused, retries used up).
   */
  outbox: { waiting: number; needsYou: number };
  /** What `undo` would undo, for the status line; null when nothing. */
  undoLabel: string | null;
  /**
   * Set while the list, folders and counts shown come from the local cache
   * and the server has not yet confirmed them: when they were last in step
   * (ms; null when unknown). Null once the server has answered.
   */
  fromCache: { syncedAt: number | null } | null;
}

export const DEFAULT_SORT: SortOrder = { key: 'arrival', reverse: true };

export function initialState(account: string): MailState {
  return {
    account,
    connection: { status: 'connecting' },
    folders: [],
    foldersLoaded: false,
    view: null,
    opening: null,
    notice: null,
    progress: null,
    queuedChanges: 0,
    unsavedChanges: 0,
    outbox: { waiting: 0, needsYou: 0 },
    undoLabel: null,
    fromCache: null,
  };
}
