/**
 * The local store of one account: an SQLite file (better-sqlite3) holding, per
 * folder, what SELECT said (UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT, counts) and
 * when it was last synced, and per message its envelope, flags, size,
 * structure and MODSEQ; the text of messages read; attachments opened (within
 * a cap); and a full-text index over every cached header and body.
 *
 * It is only a cache: the server stays the truth, and nothing here is the only
 * copy of anything. So no method throws. A damaged file is rebuilt empty, a
 * store busy in another tmail is skipped for that step, and a store that
 * cannot be used (disk full, read-only, a newer tmail's file) is left alone for
 * the rest of the run; each says so once through `onNotice`. Reads then answer
 * "nothing cached" and writes do nothing, so callers need no error paths.
 *
 * Two processes on one account (the reader and a `tmail list`) share the file
 * safely: WAL mode lets readers go on while one writes, writes wait for each
 * other up to a busy timeout, and every write is one IMMEDIATE transaction.
 *
 * Writes name the folder with its UIDVALIDITY (`FolderKey`): a write made for
 * an older UIDVALIDITY than the one stored is ignored, so a late answer can
 * never file messages under UIDs that now mean others.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { baseSubject } from '../engine/threads.js';
import { createLogger } from '../log.js';
import type {
  Address,
  BodyPart,
  Envelope,
  Flag,
  MessageView,
  SearchQuery,
  SortOrder,
} from '../types.js';
import { checkHeader, classify, troubleReason, type Trouble } from './health.js';
import { localQuery } from './query.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { decodeUidSet, encodeUidSet } from './uid-set.js';
import { DEFAULT_CACHE_SETTINGS, type CacheSettings } from './settings.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const log = createLogger('cache');

/** A folder as the cache knows it. */
export interface CachedFolder {
  path: string;
  /** Decimal string, as FolderStatus has it. */
  uidValidity: string;
  highestModseq?: string;
  uidNext?: number;
  /** Messages in the folder when last synced (EXISTS or STATUS). */
  total?: number;
  unread?: number;
  /** ms since the epoch of the last sync, when one was recorded. */
  syncedAt?: number;
  /** Messages whose envelopes are cached (may be fewer than `total`). */
  cached: number;
  /** The highest cached UID, when any message is cached. */
  lastUid?: number;
  /** True when the folder's whole UID list is stored (see `uidList`). */
  hasUidList?: boolean;
}

/** What a folder sync records about a folder; absent fields keep their stored value. */
export interface FolderSyncState {
  path: string;
  uidValidity: string;
  highestModseq?: string;
  uidNext?: number;
  total?: number;
  unread?: number;
  /**
   * The folder's whole UID list, ascending, as of this same moment (null: not
   * known). Absent keeps the stored list, unless HIGHESTMODSEQ moves on: a list
   * older than the HIGHESTMODSEQ stored beside it would mislead a re-sync
   * (messages gone before it are not named again), so it is dropped then.
   */
  uids?: readonly number[] | null;
}

/** A folder at one UIDVALIDITY: what every write names (the engine's `currentView()` shape). */
export interface FolderKey {
  path: string;
  uidValidity: string;
}

/** An envelope with what the cache keeps beside it. */
export type CachedEnvelope = Envelope & {
  /** Message-ids of References, when known. */
  references?: string[];
  /** The MIME structure, when known. */
  structure?: BodyPart;
};

/** A message's decoded text, and the whole view the reader showed, to read it offline. */
export interface CachedBody {
  text: string;
  view?: MessageView;
}

export interface CachedAttachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

/** One result of a search across folders. */
export interface SearchHit {
  path: string;
  envelope: CachedEnvelope;
}

export interface FolderStats {
  path: string;
  messages: number;
  bodies: number;
  attachments: number;
  /** Bytes the folder's rows take, approximately (text lengths, not pages). */
  bytes: number;
  syncedAt?: number;
}

export interface CacheStats {
  account: string;
  file: string;
  /** Size of the file and its write-ahead log on disk. */
  fileBytes: number;
  messages: number;
  bodies: number;
  attachments: number;
  folders: FolderStats[];
}

export interface OpenCacheOptions {
  /** The store file; default `$XDG_CACHE_HOME/tmail/mail/<account>.sqlite3`. */
  file: string;
  /**
   * Whose mail the store holds (login, host and port): a store made for
   * another is emptied, so that an account pointed at another server never
   * lists the old one's mail. Left alone when absent.
   */
  identity?: string;
  settings?: Partial<CacheSettings>;
  /** Told one sentence when the store is rebuilt or bypassed (once per kind of trouble). */
  onNotice?: (text: string) => void;
  /** How long a write waits for another tmail's write, in ms (default 2,000). */
  busyTimeoutMs?: number;
  /** Loads better-sqlite3; tests replace it to see a missing module. */
  loadDriver?: () => typeof BetterSqlite3;
}

/** Loaded on first use only: commands that never touch the cache do not pay for the native module. */
function loadBetterSqlite3(): typeof BetterSqlite3 {
  return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
}

/**
 * Where npm built better-sqlite3's native module, for its `nativeBinding`
 * option: without it, the package looks for the file through `bindings`,
 * which tries a dozen paths first (some 5 ms of every start of the reader).
 * Elsewhere (another build layout), the package's own lookup.
 */
function builtAddon(): { nativeBinding?: string } {
  try {
    const packageFile = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
    const addon = join(dirname(packageFile), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? { nativeBinding: addon } : {};
  } catch {
    return {};
  }
}

interface MessageRow {
  id: number;
  path?: string;
  uid: number;
  date: number;
  arrival: number;
  size: number;
  flags: string;
  modseq: string | null;
  subject: string;
  addresses: string;
  message_id: string;
  in_reply_to: string;
  refs: string | null;
  attachments: number;
  preview: string | null;
  structure: string | null;
}

/** Addresses are kept compactly as [name, address] pairs per header. */
interface StoredAddresses {
  f: Array<[string, string]>;
  t: Array<[string, string]>;
  c: Array<[string, string]>;
  r: Array<[string, string]>;
}

const pack = (list: Address[]): Array<[string, string]> => list.map((a) => [a.name, a.address]);
const unpack = (list: Array<[string, string]> | undefined): Address[] =>
  (list ?? []).map(([name, address]) => ({ name, address }));
const addressText = (list: Address[]): string =>
  list.map((a) => `${a.name} ${a.address}`).join(' ');

const SORT_COLUMNS: Record<SortOrder['key'], string> = {
  arrival: 'uid',
  date: 'date',
  size: 'size',
  from: 'sort_from',
  subject: 'sort_subject',
};

/**
 * ORDER BY for a list order. Ties go by UID ascending whichever the direction,
 * as the engine's own sort (threads.ts sortKnownEnvelopes) breaks them.
 */
function orderBy(order: SortOrder): string {
  const column = SORT_COLUMNS[order.key];
  const direction = order.reverse ? 'DESC' : 'ASC';
  return column === 'uid' ? `uid ${direction}` : `${column} ${direction}, uid ASC`;
}

function sortFrom(envelope: Envelope): string {
  const first = envelope.from[0];
  return (first?.name || first?.address || '').toLowerCase();
}

function toEnvelope(row: MessageRow): CachedEnvelope {
  const addresses = JSON.parse(row.addresses) as StoredAddresses;
  const envelope: CachedEnvelope = {
    uid: row.uid,
    subject: row.subject,
    from: unpack(addresses.f),
    to: unpack(addresses.t),
    cc: unpack(addresses.c),
    replyTo: unpack(addresses.r),
    date: row.date,
    arrival: row.arrival,
    messageId: row.message_id,
    inReplyTo: row.in_reply_to,
    flags: row.flags ? (row.flags.split(' ') as Flag[]) : [],
    size: row.size,
    hasAttachments: row.attachments === 1,
  };
  if (row.preview !== null) envelope.preview = row.preview;
  if (row.modseq !== null) envelope.modseq = row.modseq;
  if (row.refs !== null) envelope.references = row.refs ? row.refs.split(' ') : [];
  if (row.structure !== null) envelope.structure = JSON.parse(row.structure) as BodyPart;
  return envelope;
}

/** A folder's row without its UID list (which can be long), with what is cached of it. */
const FOLDER_COLUMNS = `f.path, f.uid_validity, f.highest_modseq, f.uid_next, f.total, f.unread,
  f.synced_at, f.uid_set IS NOT NULL AS has_uid_list,
  (SELECT count(*) FROM messages m WHERE m.folder = f.id) AS cached,
  (SELECT max(uid) FROM messages m WHERE m.folder = f.id) AS last_uid`;

const MESSAGE_COLUMNS =
  'm.id, m.uid, m.date, m.arrival, m.size, m.flags, m.modseq, m.subject, m.addresses, m.message_id, m.in_reply_to, m.refs, m.attachments, m.preview, m.structure';

/**
 * The files of one store: the database, its write-ahead log and shared
 * memory, and the folder list the engine keeps beside it (engine/local-mail.ts).
 */
export function storeFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-folders.json`];
}

/** Deletes a store's files; true when there was anything to delete. */
export function removeStoreFiles(file: string): boolean {
  let removed = false;
  for (const f of storeFiles(file)) {
    try {
      statSync(f);
      removed = true;
    } catch {
      continue;
    }
    rmSync(f, { force: true });
  }
  return removed;
}

export class AccountCache {
  readonly account: string;
  readonly file: string;
  readonly settings: CacheSettings;
  private db: Database | null = null;
  private readonly statements = new Map<string, Statement>();
  private readonly told = new Set<string>();
  private readonly onNotice: (text: string) => void;
  private readonly busyTimeoutMs: number;
  private readonly loadDriver: () => typeof BetterSqlite3;
  private clock = 0;

  /** Use `openAccountCache` (index.ts); this opens the file at once. */
  constructor(account: string, options: OpenCacheOptions) {
    this.account = account;
    this.file = options.file;
    this.settings = { ...DEFAULT_CACHE_SETTINGS, ...options.settings };
    this.onNotice = options.onNotice ?? (() => {});
    this.busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    this.loadDriver = options.loadDriver ?? loadBetterSqlite3;
    if (this.settings.enabled) this.open();
    if (options.identity !== undefined) this.claim(options.identity);
  }

  /** Empties a store made for another login or server, and marks it as this one's. */
  private claim(identity: string): void {
    this.guard(undefined, (db) => {
      const row = this.stmt(db, "SELECT value FROM meta WHERE key = 'identity'").get() as
        { value: string } | undefined;
      if (row?.value === identity) return;
      if (row) {
        log.info('store of another login or server emptied');
        this.clear();
      }
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('identity', ?)").run(identity);
    });
  }

  /** False when the cache is off (by setting or trouble): reads find nothing, writes do nothing. */
  get available(): boolean {
    return this.db !== null;
  }

  // ---- opening, rebuilding, trouble ------------------------------------------------

  private open(): void {
    let Driver: typeof BetterSqlite3;
    try {
      Driver = this.loadDriver();
    } catch (error) {
      log.warn('better-sqlite3 did not load', { message: (error as Error).message });
      this.tell(
        'driver',
        'The local cache is off: its database module (better-sqlite3) could not be loaded; reinstall tmail to get it back.',
      );
      return;
    }
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    } catch (error) {
      this.tell(
        'unusable',
        `The local cache of ${this.account} is off for now: its folder could not be made (${troubleReason(error)}).`,
      );
      return;
    }
    try {
      // Mail is private: the file (and the -wal and -shm files SQLite gives the
      // same mode) is made readable by the user only.
      closeSync(openSync(this.file, 'a', 0o600));
    } catch (error) {
      this.tell(
        'unusable',
        `The local cache of ${this.account} is off for now: its file could not be made (${troubleReason(error)}).`,
      );
      return;
    }
    if (checkHeader(this.file) === 'damaged') {
      this.rebuild();
      return;
    }
    try {
      this.db = this.connect(Driver);
    } catch (error) {
      this.db = null;
      const trouble = classify(error);
      if (trouble === 'damaged') this.rebuild();
      else this.unusable(error);
    }
  }

  /** Opens the file and brings it to this version's schema; throws what SQLite throws. */
  private connect(Driver: typeof BetterSqlite3): Database {
    const addon = this.loadDriver === loadBetterSqlite3 ? builtAddon() : {};
    const db = new Driver(this.file, { timeout: this.busyTimeoutMs, ...addon });
    try {
      // NORMAL in WAL mode: a power cut can lose the last writes, never corrupt;
      // losing them costs a re-fetch from the server.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      // A store of this version was made below, in WAL mode, which the file keeps.
      if (version === SCHEMA_VERSION) return db;
      // Only takes on a new file, and only before WAL mode writes its first page:
      // freed pages can then go back to the file system (the size cap needs that).
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      if (version > SCHEMA_VERSION) {
        db.close();
        throw Object.assign(new Error('newer store'), { code: 'TMAIL_NEWER_STORE' });
      }
      const tables = () =>
        (
          db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
            n: number;
          }
        ).n;
      // Version 0 with tables: a store from before versions, or a half-made one.
      if (version !== 0 || tables() > 0) {
        db.close();
        log.info('store of an older version rebuilt', { version });
        this.tell(
          'version',
          `The local cache of ${this.account} was made by an older tmail; it has been rebuilt and fills again from the server.`,
        );
        removeStoreFiles(this.file);
        return this.connect(Driver);
      }
      // A new file: two processes may get here at once, so the schema is made
      // inside one IMMEDIATE transaction, after looking again.
      db.transaction(() => {
        if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
      return db;
    } catch (error) {
      if (db.open) db.close();
      throw error;
    }
  }

  /** Throws away a damaged store and starts an empty one; the server fills it again. */
  private rebuild(): void {
    this.closeDb();
    log.warn('store damaged; rebuilt', { file: this.file });
    this.tell(
      'damaged',
      `The local cache of ${this.account} was damaged; it has been rebuilt and fills again from the server.`,
    );
    try {
      removeStoreFiles(this.file);
      this.db = this.connect(this.loadDriver());
    } catch (error) {
      this.db = null;
      this.unusable(error);
    }
  }

  private unusable(error: unknown): void {
    this.closeDb();
    if ((error as { code?: string }).code === 'TMAIL_NEWER_STORE') {
      this.tell(
        'newer',
        `The local cache of ${this.account} was made by a newer tmail; this one works without it.`,
      );
      return;
    }
    log.warn('store unusable', {
      code: (error as { code?: string }).code,
      message: (error as Error).message,
    });
    this.tell(
      'unusable',
      `The local cache of ${this.account} is off for now: ${troubleReason(error)}; tmail works from the server.`,
    );
  }

  private trouble(error: unknown): void {
    const kind: Trouble = classify(error);
    if (kind === 'damaged') return this.rebuild();
    if (kind === 'busy') {
      // Another tmail holds a long write: this step goes without the cache, the next one tries again.
      log.info('store busy', { message: (error as Error).message });
      this.tell(
        'busy',
        `The local cache of ${this.account} is busy in another tmail; tmail goes on without it meanwhile.`,
      );
      return;
    }
    this.unusable(error);
  }

  private tell(kind: string, text: string): void {
    if (this.told.has(kind)) return;
    this.told.add(kind);
    this.onNotice(text);
  }

  private closeDb(): void {
    this.statements.clear();
    if (this.db?.open) {
      try {
        this.db.close();
      } catch {
        // Closing a damaged file can fail; it is about to be removed anyway.
      }
    }
    this.db = null;
  }

  /** Runs `work` on the open store; on trouble, answers `fallback` (see the file comment). */
  private guard<T>(fallback: T, work: (db: Database) => T): T {
    const db = this.db;
    if (!db) return fallback;
    try {
      return work(db);
    } catch (error) {
      if (!(error instanceof Error) || !('code' in error)) {
        // A bug of ours, not the file's: logged, and the cache is left for this run.
        log.error('cache failed', {
          message: (error as Error)?.message,
          stack: (error as Error)?.stack,
        });
      }
      this.trouble(error);
      return fallback;
    }
  }

  private stmt(db: Database, sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Strictly increasing use stamps, so that two uses in the same millisecond keep their order. */
  private tick(): number {
    this.clock = Math.max(Date.now(), this.clock + 1);
    return this.clock;
  }

  /** Closes the file. Safe to call more than once. */
  close(): void {
    this.guard(undefined, (db) => {
      // Keep the write-ahead log small for the next start.
      db.pragma('wal_checkpoint(PASSIVE)');
    });
    this.closeDb();
  }

  // ---- folders ----------------------------------------------------------------------

  private folderId(db: Database, key: FolderKey, create: boolean): number | null {
    const row = this.stmt(db, 'SELECT id, uid_validity FROM folders WHERE path = ?').get(
      key.path,
    ) as { id: number; uid_validity: string } | undefined;
    if (row) return row.uid_validity === key.uidValidity ? row.id : null;
    if (!create) return null;
    return Number(
      this.stmt(db, 'INSERT INTO folders (path, uid_validity) VALUES (?, ?)').run(
        key.path,
        key.uidValidity,
      ).lastInsertRowid,
    );
  }

  /** What the cache knows of a folder, or null when nothing. */
  folderState(path: string): CachedFolder | null {
    return this.guard(null, (db) => {
      const row = this.stmt(db, `SELECT ${FOLDER_COLUMNS} FROM folders f WHERE f.path = ?`).get(
        path,
      ) as FolderRow | undefined;
      return row ? toFolder(row) : null;
    });
  }

  /** Every cached folder, by path. */
  folders(): CachedFolder[] {
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          `SELECT ${FOLDER_COLUMNS} FROM folders f ORDER BY f.path`,
        ).all() as FolderRow[]
      ).map(toFolder),
    );
  }

  /**
   * Records what SELECT (or STATUS) said of a folder, with `syncedAt` (default
   * now). A UIDVALIDITY other than the stored one drops every cached message of
   * the folder first; the answer says whether that happened. Record
   * HIGHESTMODSEQ only once the rows hold everything up to it.
   */
  applyFolderState(state: FolderSyncState, syncedAt: number = Date.now()): { dropped: boolean } {
    return this.guard({ dropped: false }, (db) =>
      db
        .transaction(() => {
          const row = this.stmt(db, 'SELECT id, uid_validity FROM folders WHERE path = ?').get(
            state.path,
          ) as { id: number; uid_validity: string } | undefined;
          let dropped = false;
          if (row && row.uid_validity !== state.uidValidity) {
            // The UIDs now name other messages: nothing cached of this folder holds.
            this.stmt(db, 'DELETE FROM folders WHERE id = ?').run(row.id);
            dropped = true;
          }
          // @listGiven: 1 with a list (or null) to store, 0 to keep the stored one
          // while HIGHESTMODSEQ stays where it was.
          this.stmt(
            db,
            `INSERT INTO folders (path, uid_validity, highest_modseq, uid_next, total, unread, synced_at, uid_set)
             VALUES (@path, @uidValidity, @highestModseq, @uidNext, @total, @unread, @syncedAt, @uidSet)
             ON CONFLICT (path) DO UPDATE SET
               uid_set = CASE
                 WHEN @listGiven THEN excluded.uid_set
                 WHEN excluded.highest_modseq IS NULL OR excluded.highest_modseq IS highest_modseq THEN uid_set
                 ELSE NULL END,
               highest_modseq = coalesce(excluded.highest_modseq, highest_modseq),
               uid_next = coalesce(excluded.uid_next, uid_next),
               total = coalesce(excluded.total, total),
               unread = coalesce(excluded.unread, unread),
               synced_at = excluded.synced_at`,
          ).run({
            path: state.path,
            uidValidity: state.uidValidity,
            highestModseq: state.highestModseq ?? null,
            uidNext: state.uidNext ?? null,
            total: state.total ?? null,
            unread: state.unread ?? null,
            syncedAt,
            uidSet: state.uids ? encodeUidSet(state.uids) : null,
            listGiven: state.uids === undefined ? 0 : 1,
          });
          return { dropped };
        })
        .immediate(),
    );
  }

  /**
   * The folder's whole UID list as last stored, ascending, or null when none
   * is (never synced whole, dropped, or unreadable).
   */
  uidList(path: string): number[] | null {
    return this.guard(null, (db) => {
      const row = this.stmt(db, 'SELECT uid_set FROM folders WHERE path = ?').get(path) as
        { uid_set: string | null } | undefined;
      if (!row || row.uid_set === null) return null;
      const uids = decodeUidSet(row.uid_set);
      if (!uids) log.warn('stored UID list unreadable; asking the server', { path });
      return uids;
    });
  }

  /**
   * Stores the folder's whole UID list as it is now (the list read, or kept
   * current while the folder is open). `basis` is the HIGHESTMODSEQ the writer's
   * own SELECT recorded: when the stored one differs, another session synced
   * the folder since and its list stands (a list must never be older than the
   * HIGHESTMODSEQ beside it), so nothing is written; false then.
   */
  setUidList(
    folder: FolderKey,
    uids: readonly number[],
    basis: { highestModseq: string | undefined },
  ): boolean {
    return this.guard(false, (db) => {
      const set = encodeUidSet(uids);
      const changed = db
        .transaction(
          () =>
            this.stmt(
              db,
              `UPDATE folders SET uid_set = ?
               WHERE path = ? AND uid_validity = ? AND highest_modseq IS ?`,
            ).run(set, folder.path, folder.uidValidity, basis.highestModseq ?? null).changes,
        )
        .immediate();
      return changed > 0;
    });
  }

  /** Forgets a folder and everything cached of it (deleted or renamed on the server). */
  dropFolder(path: string): void {
    this.guard(undefined, (db) => {
      db.transaction(() =>
        this.stmt(db, 'DELETE FROM folders WHERE path = ?').run(path),
      ).immediate();
    });
  }

  // ---- envelopes and flags ----------------------------------------------------------

  /**
   * Stores envelopes (new ones are added to the full-text index; known ones get
   * their flags, MODSEQ, preview and structure updated). Ignored when `folder`
   * names an older UIDVALIDITY than the stored one. Resolves to how many were written.
   */
  applyEnvelopes(folder: FolderKey, envelopes: CachedEnvelope[]): number {
    if (!envelopes.length) return 0;
    const written = this.guard(0, (db) =>
      db
        .transaction(() => {
          const id = this.folderId(db, folder, true);
          if (id === null) return 0;
          const find = this.stmt(db, 'SELECT id FROM messages WHERE folder = ? AND uid = ?');
          const insert = this.stmt(
            db,
            `INSERT INTO messages (folder, uid, date, arrival, size, flags, modseq, subject, sort_subject,
               sort_from, addresses, message_id, in_reply_to, refs, attachments, preview, structure)
             VALUES (@folder, @uid, @date, @arrival, @size, @flags, @modseq, @subject, @sortSubject,
               @sortFrom, @addresses, @messageId, @inReplyTo, @refs, @attachments, @preview, @structure)`,
          );
          const update = this.stmt(
            db,
            `UPDATE messages SET flags = @flags, modseq = @modseq,
               preview = coalesce(@preview, preview), refs = coalesce(@refs, refs),
               structure = coalesce(@structure, structure)
             WHERE id = @id`,
          );
          const index = this.stmt(
            db,
            'INSERT INTO search (rowid, subject, sender, recipient, cc, body) VALUES (?, ?, ?, ?, ?, ?)',
          );
          for (const e of envelopes) {
            const values = {
              flags: e.flags.join(' '),
              modseq: e.modseq ?? null,
              preview: e.preview ?? null,
              refs: e.references ? e.references.join(' ') : null,
              structure: e.structure ? JSON.stringify(e.structure) : null,
            };
            const known = find.get(id, e.uid) as { id: number } | undefined;
            if (known) {
              update.run({ ...values, id: known.id });
              continue;
            }
            const addresses: StoredAddresses = {
              f: pack(e.from),
              t: pack(e.to),
              c: pack(e.cc),
              r: pack(e.replyTo),
            };
            const rowid = Number(
              insert.run({
                ...values,
                folder: id,
                uid: e.uid,
                date: e.date,
                arrival: e.arrival,
                size: e.size,
                subject: e.subject,
                sortSubject: baseSubject(e.subject).base,
                sortFrom: sortFrom(e),
                addresses: JSON.stringify(addresses),
                messageId: e.messageId,
                inReplyTo: e.inReplyTo,
                attachments: e.hasAttachments ? 1 : 0,
              }).lastInsertRowid,
            );
            index.run(
              rowid,
              e.subject,
              addressText(e.from),
              addressText(e.to),
              addressText(e.cc),
              '',
            );
          }
          return envelopes.length;
        })
        .immediate(),
    );
    if (written) this.trimToCap();
    return written;
  }

  /**
   * Records flag changes (a FETCH FLAGS answer, a push, a change made here).
   * UIDs not cached are skipped. `modseq` absent clears the stored one: the
   * flags then no longer describe a known MODSEQ.
   */
  applyFlagChanges(
    folder: FolderKey,
    changes: Array<{ uid: number; flags: Flag[]; modseq?: string }>,
  ): void {
    if (!changes.length) return;
    this.guard(undefined, (db) => {
      db.transaction(() => {
        const id = this.folderId(db, folder, false);
        if (id === null) return;
        const update = this.stmt(
          db,
          'UPDATE messages SET flags = ?, modseq = ? WHERE folder = ? AND uid = ?',
        );
        for (const c of changes) update.run(c.flags.join(' '), c.modseq ?? null, id, c.uid);
      }).immediate();
    });
  }

  /** Forgets messages (EXPUNGE, VANISHED, moved away), with their bodies and index rows. */
  removeUids(folder: FolderKey, uids: number[]): void {
    if (!uids.length) return;
    this.guard(undefined, (db) => {
      db.transaction(() => {
        const id = this.folderId(db, folder, false);
        if (id === null) return;
        this.stmt(
          db,
          'DELETE FROM messages WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))',
        ).run(id, JSON.stringify(uids));
      }).immediate();
    });
  }

  /** Cached UIDs of a folder, ascending (the known-uids of a QRESYNC SELECT). */
  uids(path: string): number[] {
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          'SELECT m.uid FROM messages m JOIN folders f ON f.id = m.folder WHERE f.path = ? ORDER BY m.uid',
        )
          .raw()
          .all(path) as Array<[number]>
      ).map((r) => r[0]),
    );
  }

  /** Cached UIDs of a folder in a list order (the whole list before the server answers). */
  orderedUids(path: string, order: SortOrder): number[] {
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          `SELECT uid FROM messages WHERE folder = (SELECT id FROM folders WHERE path = ?)
           ORDER BY ${orderBy(order)}`,
        )
          .raw()
          .all(path) as Array<[number]>
      ).map((r) => r[0]),
    );
  }

  /** Rows `offset` to `offset + limit - 1` of a folder's cached messages in a list order. */
  pageOfEnvelopes(path: string, order: SortOrder, offset: number, limit: number): CachedEnvelope[] {
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          `SELECT ${MESSAGE_COLUMNS} FROM messages m
           WHERE m.folder = (SELECT id FROM folders WHERE path = ?)
           ORDER BY ${orderBy(order)} LIMIT ? OFFSET ?`,
        ).all(path, limit, offset) as MessageRow[]
      ).map(toEnvelope),
    );
  }

  /** The cached envelopes of some UIDs of a folder (those not cached are absent). */
  envelopes(path: string, uids: number[]): CachedEnvelope[] {
    if (!uids.length) return [];
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          `SELECT ${MESSAGE_COLUMNS} FROM messages m
           WHERE m.folder = (SELECT id FROM folders WHERE path = ?)
             AND m.uid IN (SELECT value FROM json_each(?))
           ORDER BY m.uid`,
        ).all(path, JSON.stringify(uids)) as MessageRow[]
      ).map(toEnvelope),
    );
  }

  // ---- bodies and attachments -------------------------------------------------------

  private messageId(db: Database, folder: FolderKey, uid: number): number | null {
    const id = this.folderId(db, folder, false);
    if (id === null) return null;
    const row = this.stmt(db, 'SELECT id FROM messages WHERE folder = ? AND uid = ?').get(
      id,
      uid,
    ) as { id: number } | undefined;
    return row?.id ?? null;
  }

  /** Puts the full-text row of a message back together, with or without its body. */
  private reindex(db: Database, id: number, body: string): void {
    const row = this.stmt(db, 'SELECT subject, addresses FROM messages WHERE id = ?').get(id) as
      { subject: string; addresses: string } | undefined;
    if (!row) return;
    const a = JSON.parse(row.addresses) as StoredAddresses;
    this.stmt(db, 'DELETE FROM search WHERE rowid = ?').run(id);
    this.stmt(
      db,
      'INSERT INTO search (rowid, subject, sender, recipient, cc, body) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      id,
      row.subject,
      addressText(unpack(a.f)),
      addressText(unpack(a.t)),
      addressText(unpack(a.c)),
      body,
    );
  }

  /**
   * Keeps the decoded text of a message (and the view the reader showed) and
   * indexes it. Only for messages whose envelope is cached; false otherwise.
   */
  putBody(folder: FolderKey, uid: number, body: CachedBody): boolean {
    const stored = this.guard(false, (db) =>
      db
        .transaction(() => {
          const id = this.messageId(db, folder, uid);
          if (id === null) return false;
          const view = body.view ? JSON.stringify(body.view) : null;
          const bytes = Buffer.byteLength(body.text) + (view ? Buffer.byteLength(view) : 0);
          this.stmt(
            db,
            `INSERT INTO bodies (message, text, view, bytes, used) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (message) DO UPDATE SET text = excluded.text, view = excluded.view,
               bytes = excluded.bytes, used = excluded.used`,
          ).run(id, body.text, view, bytes, this.tick());
          this.reindex(db, id, body.text);
          return true;
        })
        .immediate(),
    );
    if (stored) this.trimToCap();
    return stored;
  }

  /** The cached text of a message, or null; counts as a use for the size cap. */
  getBody(path: string, uid: number): CachedBody | null {
    return this.guard(null, (db) => {
      const row = this.stmt(
        db,
        `SELECT b.message, b.text, b.view FROM bodies b JOIN messages m ON m.id = b.message
         WHERE m.folder = (SELECT id FROM folders WHERE path = ?) AND m.uid = ?`,
      ).get(path, uid) as { message: number; text: string; view: string | null } | undefined;
      if (!row) return null;
      this.touch(db, 'bodies', row.message);
      const body: CachedBody = { text: row.text };
      if (row.view !== null) body.view = JSON.parse(row.view) as MessageView;
      return body;
    });
  }

  /** Marks a use; a reader busy elsewhere only loses the mark. */
  private touch(
    db: Database,
    table: 'bodies' | 'attachments',
    message: number,
    part?: string,
  ): void {
    try {
      if (table === 'bodies')
        this.stmt(db, 'UPDATE bodies SET used = ? WHERE message = ?').run(this.tick(), message);
      else
        this.stmt(db, 'UPDATE attachments SET used = ? WHERE message = ? AND part = ?').run(
          this.tick(),
          message,
          part,
        );
    } catch (error) {
      if (classify(error) !== 'busy') throw error;
    }
  }

  /** UIDs among the newest `count` (by arrival) cached messages of a folder that have no body yet. */
  missingBodies(path: string, count: number): number[] {
    if (count <= 0) return [];
    return this.guard([], (db) =>
      (
        this.stmt(
          db,
          `SELECT uid FROM (SELECT id, uid FROM messages
             WHERE folder = (SELECT id FROM folders WHERE path = ?) ORDER BY uid DESC LIMIT ?)
           WHERE id NOT IN (SELECT message FROM bodies) ORDER BY uid DESC`,
        )
          .raw()
          .all(path, count) as Array<[number]>
      ).map((r) => r[0]),
    );
  }

  /**
   * Which of `uids` have their envelope cached, and whether with a body: a UID
   * absent from the answer is not cached at all (the background prefetch asks
   * this of the newest messages of a folder before fetching their text).
   */
  bodyState(path: string, uids: readonly number[]): Map<number, boolean> {
    if (!uids.length) return new Map();
    return this.guard(new Map<number, boolean>(), (db) => {
      const rows = this.stmt(
        db,
        `SELECT m.uid, (SELECT count(*) FROM bodies b WHERE b.message = m.id) FROM messages m
         WHERE m.folder = (SELECT id FROM folders WHERE path = ?)
           AND m.uid IN (SELECT value FROM json_each(?))`,
      )
        .raw()
        .all(path, JSON.stringify(uids)) as Array<[number, number]>;
      return new Map(rows.map(([uid, bodies]) => [uid, bodies > 0]));
    });
  }

  /**
   * Bytes the store can still grow by before its size cap makes it drop the
   * least recently used bodies (0 when at or over it, or unusable): background
   * work stops there rather than push out what was read.
   */
  freeBytes(): number {
    return this.guard(0, (db) => Math.max(0, this.settings.maxBytes - this.usedBytes(db)));
  }

  /**
   * Keeps an opened attachment, when it is within the attachment cap (false
   * when it is larger, or its message is not cached).
   */
  putAttachment(
    folder: FolderKey,
    uid: number,
    part: string,
    attachment: CachedAttachment,
  ): boolean {
    if (attachment.data.length > this.settings.attachmentMaxBytes) return false;
    const stored = this.guard(false, (db) =>
      db
        .transaction(() => {
          const id = this.messageId(db, folder, uid);
          if (id === null) return false;
          this.stmt(
            db,
            `INSERT INTO attachments (message, part, filename, content_type, data, bytes, used)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (message, part) DO UPDATE SET filename = excluded.filename,
               content_type = excluded.content_type, data = excluded.data, bytes = excluded.bytes,
               used = excluded.used`,
          ).run(
            id,
            part,
            attachment.filename,
            attachment.contentType,
            attachment.data,
            attachment.data.length,
            this.tick(),
          );
          return true;
        })
        .immediate(),
    );
    if (stored) this.trimToCap();
    return stored;
  }

  /** A cached attachment, or null; counts as a use. */
  getAttachment(path: string, uid: number, part: string): CachedAttachment | null {
    return this.guard(null, (db) => {
      const row = this.stmt(
        db,
        `SELECT a.message, a.filename, a.content_type, a.data FROM attachments a
         JOIN messages m ON m.id = a.message
         WHERE m.folder = (SELECT id FROM folders WHERE path = ?) AND m.uid = ? AND a.part = ?`,
      ).get(path, uid, part) as
        { message: number; filename: string; content_type: string; data: Buffer } | undefined;
      if (!row) return null;
      this.touch(db, 'attachments', row.message, part);
      return { filename: row.filename, contentType: row.content_type, data: row.data };
    });
  }

  // ---- size cap ---------------------------------------------------------------------

  /** Bytes of the store's pages: the file's size once the write-ahead log is folded in. */
  private usedBytes(db: Database): number {
    const pages = db.pragma('page_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  /**
   * Keeps the store under its size cap: the least recently used bodies and
   * attachments go first (their messages stay listed and searchable by their
   * headers). Envelopes are never dropped for size: they are what lists show.
   */
  private trimToCap(): void {
    this.guard(undefined, (db) => {
      const cap = this.settings.maxBytes;
      if (this.usedBytes(db) <= cap) return;
      // Down to 90% of the cap, so that the next few writes do not trim again.
      const goal = Math.floor(cap * 0.9);
      const oldest = this.stmt(
        db,
        `SELECT 0 AS kind, message, '' AS part, bytes, used FROM bodies
         UNION ALL SELECT 1, message, part, bytes, used FROM attachments
         ORDER BY used LIMIT 64`,
      );
      let dropped = 0;
      for (;;) {
        // Freed pages go back to the file system (auto_vacuum = INCREMENTAL).
        db.pragma('incremental_vacuum');
        const excess = this.usedBytes(db) - goal;
        if (excess <= 0) break;
        const rows = oldest.all() as Array<{
          kind: number;
          message: number;
          part: string;
          bytes: number;
        }>;
        if (!rows.length) break;
        db.transaction(() => {
          let freed = 0;
          for (const row of rows) {
            if (row.kind === 0) {
              this.stmt(db, 'DELETE FROM bodies WHERE message = ?').run(row.message);
              this.reindex(db, row.message, '');
            } else {
              this.stmt(db, 'DELETE FROM attachments WHERE message = ? AND part = ?').run(
                row.message,
                row.part,
              );
            }
            dropped += 1;
            freed += row.bytes;
            if (freed >= excess) break;
          }
        }).immediate();
      }
      log.info('store trimmed to its cap', { dropped, cap });
    });
  }

  // ---- search -----------------------------------------------------------------------

  /**
   * Messages of every cached folder (or of `folders`) matching the query,
   * newest (by Date) first. Words match cached headers, and bodies where a
   * body is cached (see query.ts for how words match).
   */
  search(
    query: SearchQuery,
    options: { limit?: number; offset?: number; folders?: string[] } = {},
  ): SearchHit[] {
    const local = localQuery(query);
    if (local.impossible) return [];
    return this.guard([], (db) => {
      const where = [...local.where];
      const params = [...local.params];
      if (options.folders) {
        where.push('f.path IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(options.folders));
      }
      // Without words, the messages are walked newest first (an index on date)
      // until enough match. With words, it depends on how many match: many (a
      // common word) are met soon on that walk too; few are best sorted on
      // their own (`+m.date` keeps SQLite off the date index), since the walk
      // would pass every message to find them.
      let dense = true;
      if (local.match) {
        const matches = (
          this.stmt(db, 'SELECT count(*) AS n FROM search WHERE search MATCH ?').get(
            local.match,
          ) as { n: number }
        ).n;
        if (matches === 0) return [];
        const messages = (this.stmt(db, 'SELECT max(id) AS n FROM messages').get() as { n: number })
          .n;
        dense = matches * 50 >= messages;
        // `+m.id` tests membership row by row on the walk by date.
        where.unshift(
          `${dense ? '+m.id' : 'm.id'} IN (SELECT rowid FROM search WHERE search MATCH ?)`,
        );
        params.unshift(local.match);
      }
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const sql = `SELECT ${MESSAGE_COLUMNS}, f.path AS path FROM messages m JOIN folders f ON f.id = m.folder
        ${filter} ORDER BY ${dense ? 'm.date' : '+m.date'} DESC, m.id DESC LIMIT ? OFFSET ?`;
      const rows = db
        .prepare(sql)
        .all(...params, options.limit ?? -1, options.offset ?? 0) as MessageRow[];
      return rows.map((row) => ({ path: row.path!, envelope: toEnvelope(row) }));
    });
  }

  // ---- health -----------------------------------------------------------------------

  /** Sizes and counts, per folder and in all. */
  stats(): CacheStats {
    const empty: CacheStats = {
      account: this.account,
      file: this.file,
      fileBytes: fileBytes(this.file),
      messages: 0,
      bodies: 0,
      attachments: 0,
      folders: [],
    };
    return this.guard(empty, (db) => {
      const folders = db
        .prepare(
          `SELECT f.path, f.synced_at,
             (SELECT count(*) FROM messages m WHERE m.folder = f.id) AS messages,
             (SELECT coalesce(sum(length(m.subject) + length(m.addresses) + length(m.message_id)
                + length(m.in_reply_to) + coalesce(length(m.refs), 0) + coalesce(length(m.structure), 0)
                + coalesce(length(m.preview), 0) + length(m.flags) + 64), 0)
              FROM messages m WHERE m.folder = f.id) AS envelope_bytes,
             (SELECT count(*) FROM bodies b JOIN messages m ON m.id = b.message WHERE m.folder = f.id) AS bodies,
             (SELECT coalesce(sum(b.bytes), 0) FROM bodies b JOIN messages m ON m.id = b.message
              WHERE m.folder = f.id) AS body_bytes,
             (SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message WHERE m.folder = f.id) AS attachments,
             (SELECT coalesce(sum(a.bytes), 0) FROM attachments a JOIN messages m ON m.id = a.message
              WHERE m.folder = f.id) AS attachment_bytes
           FROM folders f ORDER BY f.path`,
        )
        .all() as Array<{
        path: string;
        synced_at: number | null;
        messages: number;
        envelope_bytes: number;
        bodies: number;
        body_bytes: number;
        attachments: number;
        attachment_bytes: number;
      }>;
      const list: FolderStats[] = folders.map((f) => {
        const stats: FolderStats = {
          path: f.path,
          messages: f.messages,
          bodies: f.bodies,
          attachments: f.attachments,
          bytes: f.envelope_bytes + f.body_bytes + f.attachment_bytes,
        };
        if (f.synced_at !== null) stats.syncedAt = f.synced_at;
        return stats;
      });
      return {
        ...empty,
        fileBytes: fileBytes(this.file),
        messages: list.reduce((n, f) => n + f.messages, 0),
        bodies: list.reduce((n, f) => n + f.bodies, 0),
        attachments: list.reduce((n, f) => n + f.attachments, 0),
        folders: list,
      };
    });
  }

  /** Empties the store (every folder, message, body and attachment); the file stays, small. */
  clear(): void {
    this.guard(undefined, (db) => {
      db.transaction(() => {
        // Emptying the index first makes the per-row trigger's deletes cheap.
        db.exec("INSERT INTO search (search) VALUES ('delete-all')");
        db.exec(
          'DELETE FROM attachments; DELETE FROM bodies; DELETE FROM messages; DELETE FROM folders;',
        );
      }).immediate();
      db.pragma('incremental_vacuum');
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
  }
}

interface FolderRow {
  path: string;
  uid_validity: string;
  highest_modseq: string | null;
  uid_next: number | null;
  total: number | null;
  unread: number | null;
  synced_at: number | null;
  has_uid_list: number;
  cached: number;
  last_uid: number | null;
}

function toFolder(row: FolderRow): CachedFolder {
  const folder: CachedFolder = {
    path: row.path,
    uidValidity: row.uid_validity,
    cached: row.cached,
  };
  if (row.has_uid_list === 1) folder.hasUidList = true;
  if (row.last_uid !== null) folder.lastUid = row.last_uid;
  if (row.highest_modseq !== null) folder.highestModseq = row.highest_modseq;
  if (row.uid_next !== null) folder.uidNext = row.uid_next;
  if (row.total !== null) folder.total = row.total;
  if (row.unread !== null) folder.unread = row.unread;
  if (row.synced_at !== null) folder.syncedAt = row.synced_at;
  return folder;
}

/** Bytes of a store's files on disk (database and write-ahead log). */
export function fileBytes(file: string): number {
  let total = 0;
  for (const f of storeFiles(file)) {
    try {
      total += statSync(f).size;
    } catch {
      // Not there: nothing to count.
    }
  }
  return total;
}
