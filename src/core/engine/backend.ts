/**
 * The thin interface between the engine and a mail server connection. The IMAP
 * backend (core/imap) implements it over imapflow; UI tests use the in-memory
 * fake (fake-backend.ts). One backend object is one login session: the engine
 * makes a new one for every (re)connect.
 *
 * Everything here works on the selected folder unless a path is given, and
 * identifies messages by UID, never by sequence number.
 */
import type { Readable } from 'node:stream';
import type {
  BodyPart,
  Envelope,
  Flag,
  Mailbox,
  SearchQuery,
  SortKey,
  SortOrder,
} from '../types.js';

/**
 * Whether the server sorts by `key` as tmail shows it. Sender order is the
 * name shown (DISPLAYFROM, RFC 5957), which needs SORT=DISPLAY: plain SORT
 * FROM orders by the address, so without it the sort is done here.
 */
export function serverSorts(capabilities: ReadonlySet<string>, key: SortKey): boolean {
  return capabilities.has('SORT') && (key !== 'from' || capabilities.has('SORT=DISPLAY'));
}

/** What SELECT tells about a folder. */
export interface FolderStatus {
  path: string;
  /** UIDVALIDITY as a decimal string (it can exceed 2^53 in theory; never compare as numbers). */
  uidValidity: string;
  uidNext: number;
  /** Number of messages (EXISTS). */
  exists: number;
  /** HIGHESTMODSEQ when the server has CONDSTORE. */
  highestModseq?: string;
  /** Flags the server lets clients set permanently; `\*` means keywords too. */
  permanentFlags: string[];
}

/**
 * What a caller (the local cache) knew of a folder when it was last in step
 * with the server: `uidValidity`, `highestModseq`, `uidNext` and `exists` as of
 * one moment, and the UIDs it holds rows for.
 */
export interface KnownFolderState {
  uidValidity: string;
  /** HIGHESTMODSEQ then, when the server had CONDSTORE; without it only the UID list can tell. */
  highestModseq?: string;
  /** UIDNEXT then; where the server did not say (Courier), one past the highest UID known. */
  uidNext: number;
  /** Number of messages then (EXISTS). */
  exists: number;
  /** UIDs the caller holds, ascending; the gone ones among them come back as `vanished`. */
  uids: readonly number[];
  /**
   * True when `uids` is the folder's whole UID list as of `highestModseq` and
   * `uidNext` (the cache keeps it), not only the messages it holds rows for:
   * the list after the re-sync is then `uids` less `vanished` plus `added`,
   * with nothing read (see engine/uid-list.ts).
   */
  complete?: boolean;
  /**
   * The rows on screen: on a server without CONDSTORE nothing tells which
   * flags changed, so only these get their flags read.
   */
  visible: readonly number[];
}

/**
 * How a folder was brought up to date:
 * - `qresync`: one SELECT with QRESYNC (RFC 7162); the server sent the changed
 *   flags and the VANISHED UIDs in its answer, no UID list was read;
 * - `condstore`: SELECT, then `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m)` for the
 *   changed flags; removals are found by counting (EXISTS then and now, and the
 *   new messages the FETCH named) and only when some went is a UID SEARCH of
 *   the old UID range read (a compact ESEARCH answer on most servers);
 * - `uids`: the UID list is read and compared, and flags are fetched for the
 *   visible rows only.
 */
export type ResyncMethod = 'qresync' | 'condstore' | 'uids';

/** What `resync` found; the folder is selected afterwards either way. */
export type FolderResync =
  | {
      /** UIDVALIDITY differs: every UID the caller holds names another message now; drop them all. */
      uidValidityChanged: true;
      status: FolderStatus;
    }
  | {
      uidValidityChanged: false;
      status: FolderStatus;
      method: ResyncMethod;
      /**
       * Current flags (and MODSEQ) of messages that changed since: with
       * `qresync` and `condstore` every one whose MODSEQ passed the known
       * HIGHESTMODSEQ (new messages among them); with `uids` the visible rows
       * still there, changed or not.
       */
      changed: Map<number, { flags: Flag[]; modseq?: string }>;
      /** UIDs among `known.uids` the server no longer holds, ascending. */
      vanished: number[];
      /** UIDs from `known.uidNext` up the server holds now, ascending. */
      added: number[];
      /** The folder's whole UID list, ascending, when the method read it (`uids`). */
      uids?: number[];
    };

/** A thread node from THREAD=REFERENCES (or client-side threading). */
export interface ThreadNode {
  uid: number;
  children: ThreadNode[];
}

/** What the server pushes while a folder is selected. */
export type BackendEvent =
  | { type: 'exists'; path: string; count: number; prevCount: number }
  /** EXPUNGE carries a sequence number; VANISHED (QRESYNC) a UID. */
  | { type: 'expunge'; path: string; seq?: number; uid?: number }
  | { type: 'flags'; path: string; seq: number; uid?: number; flags: Flag[]; modseq?: string }
  /** The connection ended; `reason` is one sentence when it was not asked for. */
  | { type: 'closed'; reason?: string };

/** The header block and MIME structure of one message, without its bodies. */
export interface MessageSkeleton {
  uid: number;
  /** Raw header block of the message (RFC 5322), as bytes. */
  header: Buffer;
  structure: BodyPart;
  size: number;
  flags: Flag[];
}

/** Result of moving or copying: the UIDs the messages got in the destination, when the server says (UIDPLUS). */
export type UidMap = Map<number, number>;

export interface MailBackend {
  /** Capabilities after login, upper case (e.g. `MOVE`, `UIDPLUS`, `SORT`). */
  readonly capabilities: ReadonlySet<string>;

  /** Connects and logs in. Rejects with a TmailError. */
  connect(): Promise<void>;
  /** Logs out politely (never CLOSE: that would expunge). */
  logout(): Promise<void>;
  /** Subscribes to server pushes; returns the unsubscribe function. */
  onEvent(listener: (event: BackendEvent) => void): () => void;

  /** All folders with roles; with counts when `counts` (LIST-STATUS where offered, else STATUS each). */
  listFolders(options: { counts: boolean }): Promise<Mailbox[]>;
  /** Total and unread of one folder (STATUS). */
  folderCounts(path: string): Promise<{ total: number; unread: number }>;
  createFolder(path: string): Promise<void>;
  renameFolder(path: string, newPath: string): Promise<void>;
  /**
   * DELETE, then what the server still lists under that name (a \\Noselect
   * parent kept for its subfolders), or null when the name is gone.
   */
  deleteFolder(path: string): Promise<string[] | null>;

  /** Selects a folder read-write. Selecting another folder never expunges the current one. */
  select(path: string): Promise<FolderStatus>;
  /**
   * Selects a folder and tells what changed since `known` as cheaply as the
   * server allows (see ResyncMethod).
   */
  resync(path: string, known: KnownFolderState): Promise<FolderResync>;
  /** The folder currently selected, if any. */
  readonly selected: string | null;

  /** UIDs of the selected folder matching `query` (all when absent), ascending. */
  searchUids(query?: SearchQuery): Promise<number[]>;
  /** UIDs in `order` by server SORT; null when the server cannot sort by that key (see serverSorts). */
  sortUids(order: SortOrder, query?: SearchQuery): Promise<number[] | null>;
  /** Threads by server THREAD=REFERENCES; null when the server cannot thread. */
  threadUids(query?: SearchQuery): Promise<ThreadNode[] | null>;

  /**
   * Envelopes (with flags, size, dates, attachment mark) for the given UIDs, or
   * for a sequence range `from:to` (used for the first window of a folder, before
   * any UID is known), or for every UID from `uidsFrom` up (new mail). Missing
   * UIDs are simply absent from the result.
   */
  fetchEnvelopes(target: EnvelopeTarget): Promise<Envelope[]>;
  /** Short text previews for the UIDs (PREVIEW extension); empty when the server has none. */
  fetchPreviews(uids: number[]): Promise<Map<number, string>>;
  /** Current flags of the UIDs (for resynchronising after a reconnect). */
  fetchFlags(uids: number[]): Promise<Map<number, Flag[]>>;

  /**
   * Current flags and MODSEQ (CONDSTORE) of the UIDs that still exist; a UID
   * missing from the map is gone. Optional: without it, `fetchFlags` is used.
   */
  fetchFlagState?(uids: number[]): Promise<Map<number, { flags: Flag[]; modseq?: string }>>;

  /**
   * Adds and removes flags on many messages with as few UID STORE commands as
   * possible. With `unchangedSince` (CONDSTORE), messages whose MODSEQ is higher
   * are left alone (UNCHANGEDSINCE).
   */
  storeFlags(
    uids: number[],
    add: Flag[],
    remove: Flag[],
    options?: { unchangedSince?: string },
  ): Promise<void>;
  /** Copies to another folder. */
  copy(uids: number[], destination: string): Promise<UidMap>;
  /**
   * Moves to another folder with UID MOVE. Only for servers with MOVE: the
   * engine does the fallback itself (removal.ts), so that nothing else is expunged.
   */
  move(uids: number[], destination: string): Promise<UidMap>;
  /** Expunges exactly these UIDs (UID EXPUNGE). Only for servers with UIDPLUS. */
  expunge(uids: number[]): Promise<void>;
  /**
   * Plain EXPUNGE: removes every \Deleted message of the selected folder, also
   * ones marked by someone else. The engine calls it only after checking.
   */
  expungeAll(): Promise<void>;
  /** Appends a message to a folder; resolves to its UID when the server says. */
  append(path: string, raw: Buffer, flags: Flag[], date?: Date): Promise<number | undefined>;

  /** Header block and body structure of one message, without bodies. */
  fetchSkeleton(uid: number): Promise<MessageSkeleton>;
  /** Raw (transfer-encoded) bodies of the given parts, each capped at `maxBytes`. */
  fetchParts(uid: number, parts: string[], maxBytes: number): Promise<Map<string, Buffer>>;
  /** The whole message source. */
  fetchSource(uid: number): Promise<Buffer>;
  /**
   * The whole sources of many messages in one UID FETCH (pipe and save of
   * tagged messages), by UID; gone UIDs are absent.
   */
  fetchSources(uids: number[]): Promise<Map<number, Buffer>>;
  /**
   * Header, structure and envelope of many messages in one UID FETCH (the
   * background prefetch). Gone UIDs, and messages whose structure the server
   * cannot describe, are absent.
   */
  fetchSkeletons(uids: number[]): Promise<Array<{ skeleton: MessageSkeleton; envelope: Envelope }>>;
  /**
   * The same parts of many messages in one UID FETCH, each capped at
   * `maxBytes` (raw, transfer-encoded); by UID, then by part as asked.
   */
  fetchPartsOf(
    uids: number[],
    parts: string[],
    maxBytes: number,
  ): Promise<Map<number, Map<string, Buffer>>>;

  /** One part, decoded from its transfer encoding, as a stream (for saving attachments). */
  downloadPart(uid: number, part: string): Promise<Readable>;

  /** Asks the server for news (NOOP); pushes arrive as events. */
  poll(): Promise<void>;
}

/** Which envelopes to fetch. */
export type EnvelopeTarget =
  { uids: number[] } | { seqFrom: number; seqTo: number } | { uidsFrom: number };

/** Makes a fresh backend for an account (one per connection attempt). */
export type BackendFactory = () => Promise<MailBackend>;
