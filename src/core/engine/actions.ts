/**
 * The requests a face can make of the engine: a finite, typed vocabulary.
 * `dispatch` resolves to ok (with the value named in ActionResults), error (a
 * TmailError) or cancelled; it never throws.
 */
import type { TmailError } from '../errors.js';
import type { AllFoldersResult } from './all-folders-search.js';
import type { ChangeOutcome, MoveOutcome } from './outcome.js';
import type { FoldMode } from './thread-view.js';
import type { Flag, FolderRole, Mailbox, MessageView, SearchQuery, SortOrder } from '../types.js';

export type EngineAction =
  /** Reads the folder list with every folder's counts (unless `counts: false`). */
  | { type: 'refresh-folders'; counts?: boolean }
  /** The folders a face shows: their counts are kept current (a few STATUS at a time). */
  | { type: 'shown-folders'; paths: string[] }
  /**
   * Opens a folder as the list (newest first unless `sort` says otherwise).
   * `rows` is how many rows the caller will show first (default 100).
   * `list: false` skips reading the UID list (a caller that only reads one message).
   */
  | {
      type: 'open-folder';
      path: string;
      sort?: SortOrder;
      threaded?: boolean;
      /** With `threaded`: every thread starts folded (true) or unfolded (false); absent keeps the folds. */
      folded?: boolean;
      rows?: number;
      search?: SearchQuery | null;
      list?: boolean;
    }
  /**
   * Folds (or unfolds, or toggles) the threads of these messages, or every
   * thread when `uids` is absent. Only for a list shown as threads.
   */
  | { type: 'fold'; mode: FoldMode; uids?: number[] }
  /** Re-reads the open folder's list (after a sort change, or on request). */
  | { type: 'reload' }
  /**
   * The rows on screen changed: fetch what they need, plus `margin` rows either
   * side (default: one screenful).
   */
  | { type: 'viewport'; first: number; last: number; margin?: number }
  | { type: 'set-flags'; uids: number[]; add?: Flag[]; remove?: Flag[]; undoable?: boolean }
  /** Moves to Trash, or only marks \Deleted when the account says so (or this is Trash). */
  | { type: 'delete'; uids: number[] }
  | { type: 'move'; uids: number[]; to: string }
  | { type: 'copy'; uids: number[]; to: string }
  | { type: 'archive'; uids: number[] }
  /** How many messages of the open folder are marked \Deleted (asked of the server). */
  | { type: 'count-deleted' }
  /**
   * UIDs of the open folder matching `query`, ascending, in one UID SEARCH
   * (the whole folder, not only the rows loaded); without `query`, the rows of
   * the open list (its search, or every message).
   */
  | { type: 'search-uids'; query?: SearchQuery }
  /**
   * Searches every folder (the local cache where it answers, the server for
   * the rest), newest first, at most `limit` hits; the open folder stays open.
   */
  | { type: 'search-all'; query: SearchQuery; limit: number }
  /** Expunges the \Deleted messages of the open folder (all of them, or these UIDs). */
  | { type: 'expunge'; uids?: number[] }
  | { type: 'undo' }
  | { type: 'create-folder'; path: string }
  | { type: 'rename-folder'; path: string; to: string }
  | { type: 'delete-folder'; path: string }
  /** Decodes a message of the open folder for reading; marks it \Seen unless `peek`. */
  | { type: 'read'; uid: number; peek?: boolean }
  /** The raw RFC 5322 source of a message of the open folder. */
  | { type: 'source'; uid: number }
  /** The sources of messages of the open folder, in the order given (pipe and save of tagged ones). */
  | { type: 'sources'; uids: number[] }
  /** Saves one attachment of a message into a folder (made if missing); resolves to the file written. */
  | { type: 'save-attachment'; uid: number; attachmentId: string; dir: string }
  /** Saves every attachment of a message into a folder; resolves to the files written. */
  | { type: 'save-attachments'; uid: number; dir: string }
  /** Fetches an attachment into a private temp file and picks the program that opens it. */
  | { type: 'open-attachment'; uid: number; attachmentId: string }
  /** An attached message (message/rfc822), decoded for reading. */
  | { type: 'read-attached'; uid: number; attachmentId: string }
  /** Appends a message to a folder given by path or role. */
  | { type: 'append'; folder: string | { role: FolderRole }; raw: Buffer; flags?: Flag[] }
  /** Sets a flag on a message in another folder (e.g. \Answered after a reply). */
  | { type: 'flag-in-folder'; folder: string; uid: number; add?: Flag[]; remove?: Flag[] }
  /** The source of a message in any folder, or one decoded part of it (forwarding, resuming drafts). */
  | { type: 'fetch-remote'; folder: string; uid: number; part?: string }
  /** Removes one message for good (a postponed draft once sent): \Deleted and UID EXPUNGE of it alone. */
  | { type: 'remove-message'; folder: string; uid: number }
  /** Asks the server for news now. */
  | { type: 'poll' };

/** What each action resolves to when it succeeds. */
export interface ActionResults {
  'refresh-folders': Mailbox[];
  'shown-folders': void;
  'open-folder': void;
  reload: void;
  fold: void;
  viewport: void;
  /** `queued`: offline, saved for later (then every UID counts as done). */
  'set-flags': { queued: boolean } & ChangeOutcome;
  /** `moved`: to Trash (a MoveOutcome); else only marked \Deleted. */
  delete: ({ moved: true } & MoveOutcome) | ({ moved: false } & ChangeOutcome);
  move: MoveOutcome;
  copy: ChangeOutcome & { to: string };
  archive: MoveOutcome;
  'count-deleted': number;
  'search-uids': number[];
  'search-all': AllFoldersResult;
  /** `leftMarked`: chosen UIDs the server could not expunge alone (no UIDPLUS). */
  expunge: { count: number; leftMarked: number[] };
  undo: { label: string } | null;
  'create-folder': void;
  'rename-folder': void;
  /** `notice`: one sentence on what the server kept under the name, or null when it is gone. */
  'delete-folder': { notice: string | null };
  read: MessageView;
  source: Buffer;
  sources: Buffer[];
  'save-attachment': string;
  'save-attachments': string[];
  'open-attachment': {
    /** The temp file holding the attachment. */
    path: string;
    /** The program takes over the terminal: hand it over while `run` runs. */
    needsTerminal: boolean;
    /** Starts the program; resolves when it has been started (or, for terminal programs, ended). */
    run(): Promise<void>;
    /**
     * Set for text no mailcap entry claims: show it in tmail's own pager
     * instead (not sanitised yet); `run` then does nothing.
     */
    text?: string;
  };
  'read-attached': MessageView;
  append: number | undefined;
  'flag-in-folder': void;
  'fetch-remote': Buffer;
  /** `removed` false: left marked \Deleted (see removal.ts); `warning` says so in one sentence. */
  'remove-message': { removed: boolean; warning?: string };
  poll: void;
}

export type ActionType = EngineAction['type'];
export type ActionOf<T extends ActionType> = Extract<EngineAction, { type: T }>;

export type DispatchResult<T> =
  | { ok: true; value: T }
  | { ok: false; cancelled: false; error: TmailError }
  | { ok: false; cancelled: true; error: TmailError };
