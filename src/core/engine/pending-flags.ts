/**
 * Changes made while offline, kept on disk until the server has them: flag
 * changes, and moves (a move, a delete to Trash, an archive).
 *
 * A move names its messages by UID under the source's UIDVALIDITY, and keeps
 * each one's Message-ID: UIDs are never reused, so a move replayed after it
 * already happened finds its UIDs gone and moves nothing again, and the
 * Message-ID in the destination tells "already moved" from "vanished" (see
 * replay-moves.ts).
 *
 * Each flag change is an absolute intent ("add \Seen to these UIDs"), which is
 * idempotent: replaying one that already reached the server changes nothing
 * in effect. Changes carry the folder's UIDVALIDITY (if the folder was rebuilt
 * meanwhile, the UIDs mean other messages and the change is refused) and,
 * where the server has CONDSTORE, each message's MODSEQ as tmail knew it when
 * the change was made (a message changed elsewhere since is not overwritten:
 * see replay-flags.ts).
 *
 * ## Several tmail processes, one file
 * The file is the truth, not this object's memory: every operation re-reads
 * it and writes it back under a lock (file-lock.ts), so two processes on one
 * account (a reader and a script, two readers) add to the same queue instead
 * of overwriting each other's changes. A replay first *claims* the changes it
 * will send (recording its pid and a token in the file); another process
 * skips changes with a live claim, so a change is replayed by one process
 * only, and it leaves the file once it has been applied or refused. A claim of
 * a process that died is stale and taken over.
 *
 * ## A full disk
 * A change that cannot be written stays in memory (`unsaved`), is written
 * again at every later operation (and by the engine's retry timer), and is
 * replayed from memory if the connection comes back first; the engine says
 * so, and warns before quitting that it would be lost.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import type { TmailError } from '../errors.js';
import { pidAlive, withFileLockSync } from '../file-lock.js';
import { randomUUID } from '../random-id.js';
import { fileError, fsErrorCode } from '../fs-errors.js';
import { writeFileAtomicSync } from '../fs-atomic.js';
import { createLogger } from '../log.js';
import { statePath } from '../paths.js';
import type { Flag } from '../types.js';

const log = createLogger('pending-flags');

/** The file of an account's queue: `stateDir()/pending/<name>.json`. */
export function pendingQueueFile(accountName: string): string {
  return statePath('pending', `${encodeURIComponent(accountName)}.json`);
}

/** Which process is replaying a change right now. */
export interface PendingClaim {
  pid: number;
  host: string;
  /** Tells apart two queues of one process (two engines). */
  token: string;
  /** ms since the epoch. */
  at: number;
}

export interface PendingFlagChange {
  kind?: 'flags';
  id: string;
  folder: string;
  uidValidity: string;
  uids: number[];
  add: Flag[];
  remove: Flag[];
  /** ms since the epoch. */
  at: number;
  /**
   * MODSEQ of each message (by UID) when the change was made, where the server
   * has CONDSTORE and tmail knew it. A message whose MODSEQ is higher at replay
   * was changed elsewhere after the user decided, and is not overwritten.
   */
  modseqs?: Record<string, string>;
  /** Set while a process replays the change. */
  claim?: PendingClaim;
}

/** A move (or delete to Trash, or archive) made while offline. */
export interface PendingMove {
  kind: 'move';
  id: string;
  /** What the user did (`move`, `delete`, `archive`), for the notices. */
  label: string;
  from: string;
  /** UIDVALIDITY of `from` when the move was made: the UIDs mean nothing under another. */
  uidValidity: string;
  to: string;
  uids: number[];
  /** Message-ID of each message (by UID) that has one, to recognise it in `to`. */
  messageIds: Record<string, string>;
  /** ms since the epoch. */
  at: number;
  /** Set while a process replays the move. */
  claim?: PendingClaim;
}

/** Anything queued offline. */
export type PendingChange = PendingFlagChange | PendingMove;

/** True for a queued move. */
export function isPendingMove(change: PendingChange): change is PendingMove {
  return change.kind === 'move';
}

/** What a caller gives to queue a change. */
export type NewPendingFlagChange = Omit<PendingFlagChange, 'id' | 'at' | 'claim'>;
/** What a caller gives to queue a move. */
export type NewPendingMove = Omit<PendingMove, 'id' | 'at' | 'claim' | 'kind'>;

/** One STORE to send: a flag added to or removed from UIDs. */
export interface NetFlagChange {
  flag: Flag;
  add: boolean;
  uids: number[];
}

/**
 * Folds changes (in order) into the net effect per flag and UID, grouped so
 * that each (flag, add/remove) pair is one STORE.
 */
export function netFlagChanges(changes: readonly PendingFlagChange[]): NetFlagChange[] {
  const last = new Map<string, Map<number, boolean>>();
  for (const change of changes) {
    for (const [flags, value] of [
      [change.add, true],
      [change.remove, false],
    ] as const) {
      for (const flag of flags) {
        let byUid = last.get(flag);
        if (!byUid) last.set(flag, (byUid = new Map()));
        for (const uid of change.uids) byUid.set(uid, value);
      }
    }
  }
  const out: NetFlagChange[] = [];
  for (const [flag, byUid] of last) {
    for (const value of [true, false]) {
      const uids = [...byUid].filter(([, v]) => v === value).map(([uid]) => uid);
      if (uids.length) out.push({ flag, add: value, uids: uids.sort((a, b) => a - b) });
    }
  }
  return out;
}

/** A claim older than this is taken over even if its process still runs (it hung). */
const CLAIM_STALE_MS = 10 * 60_000;

export class PendingFlagQueue {
  /** Identifies this queue's claims (two engines of one process hold different tokens). */
  private tokenMade?: string;
  private get token(): string {
    return (this.tokenMade ??= randomUUID());
  }
  /** Changes that could not be written to the file yet (a full disk). */
  private unsaved: PendingChange[] = [];
  private saveError: TmailError | null = null;

  /**
   * @param file the queue file, shared by every tmail process of the account.
   * @param write replaces the atomic write (tests inject a failing disk).
   */
  constructor(
    private readonly file: string,
    private readonly write: (path: string, data: string) => void = writeFileAtomicSync,
  ) {}

  /** Changes waiting, in the file (of every process) and in memory. */
  get size(): number {
    return this.list().length;
  }

  /** Changes kept only in memory because the disk refused them. */
  get unsavedCount(): number {
    return this.unsaved.length;
  }

  /** Why the last write failed, while changes are still unsaved. */
  get lastSaveError(): TmailError | null {
    return this.unsaved.length ? this.saveError : null;
  }

  /** Every waiting change, oldest first, as the file says now plus what is only in memory. */
  list(): readonly PendingChange[] {
    const onDisk = this.read();
    const ids = new Set(onDisk.map((c) => c.id));
    return [...onDisk, ...this.unsaved.filter((c) => !ids.has(c.id))];
  }

  /**
   * Queues a change. Never throws: when the disk refuses it, the change is
   * kept in memory and `error` says why (one sentence).
   */
  add(change: NewPendingFlagChange): { entry: PendingFlagChange; error?: TmailError } {
    return this.enqueue<PendingFlagChange>({ ...change, id: randomUUID(), at: Date.now() });
  }

  /** Queues a move; like {@link add}, never throws. */
  addMove(move: NewPendingMove): { entry: PendingMove; error?: TmailError } {
    return this.enqueue<PendingMove>({ ...move, kind: 'move', id: randomUUID(), at: Date.now() });
  }

  private enqueue<T extends PendingChange>(entry: T): { entry: T; error?: TmailError } {
    this.unsaved.push(entry);
    const error = this.flush();
    return error ? { entry, error } : { entry };
  }

  /**
   * Writes the changes kept in memory to the file. Resolves to the error when
   * it still cannot (they stay in memory), else undefined.
   */
  flush(): TmailError | undefined {
    if (!this.unsaved.length) return undefined;
    try {
      this.update((changes) => {
        const ids = new Set(changes.map((c) => c.id));
        return [...changes, ...this.unsaved.filter((c) => !ids.has(c.id))];
      });
      this.unsaved = [];
      this.saveError = null;
      return undefined;
    } catch (error) {
      this.saveError = fileError(
        error,
        'The offline change could not be saved for later',
        this.file,
      );
      log.warn('offline change not saved', { code: fsErrorCode(error) });
      return this.saveError;
    }
  }

  /**
   * Claims the changes no other live process is replaying, for this one to
   * replay, and returns them (with those only in memory). Every claimed change
   * must later be given to {@link settle}.
   */
  claim(): PendingChange[] {
    this.flush();
    const mine: PendingClaim = {
      pid: process.pid,
      host: hostname(),
      token: this.token,
      at: Date.now(),
    };
    let claimed: PendingChange[] = [];
    try {
      this.update((changes) => {
        claimed = [];
        return changes.map((change) => {
          if (this.heldByOther(change.claim, mine.at)) return change;
          const next = { ...change, claim: mine };
          claimed.push(next);
          return next;
        });
      });
    } catch (error) {
      // The claim could not be recorded (a full disk): replay what nobody else is
      // replaying anyway. Sending a change twice is harmless in effect, and the
      // MODSEQ check keeps it from overwriting a newer change.
      log.warn('replay claim not recorded', { code: fsErrorCode(error) });
      claimed = this.read().filter((c) => !this.heldByOther(c.claim, mine.at));
    }
    const ids = new Set(claimed.map((c) => c.id));
    return [...claimed, ...this.unsaved.filter((c) => !ids.has(c.id))];
  }

  /**
   * Ends a replay: `done` changes (applied, or refused for good) leave the
   * queue; `kept` ones are released for a later replay (the connection was
   * lost before they could be sent).
   */
  settle(done: Iterable<string>, kept: Iterable<string> = []): void {
    const gone = new Set(done);
    const release = new Set(kept);
    this.unsaved = this.unsaved.filter((c) => !gone.has(c.id));
    try {
      this.update((changes) =>
        changes
          .filter((c) => !gone.has(c.id))
          .map((c) => {
            if (!release.has(c.id) || c.claim?.token !== this.token) return c;
            const { claim: _claim, ...rest } = c;
            return rest;
          }),
      );
    } catch (error) {
      // The file keeps them, claimed by this process: they are replayed again (to no
      // effect) at the next connect, or by another process once this one has ended.
      log.warn('replayed changes not removed from the queue file', { code: fsErrorCode(error) });
    }
  }

  /**
   * Takes a change out of the queue (the user undid it), unless a replay holds
   * it; true when it was taken out.
   */
  withdraw(id: string): boolean {
    const inMemory = this.unsaved.some((c) => c.id === id);
    this.unsaved = this.unsaved.filter((c) => c.id !== id);
    let found = false;
    try {
      this.update((changes) => {
        const change = changes.find((c) => c.id === id);
        if (!change || change.claim) return changes;
        found = true;
        return changes.filter((c) => c.id !== id);
      });
    } catch (error) {
      log.warn('offline change not withdrawn', { code: fsErrorCode(error) });
      return false;
    }
    return found || inMemory;
  }

  /** Removes changes by id (tests and callers that need no claim). */
  remove(ids: Iterable<string>): void {
    this.settle(ids);
  }

  private heldByOther(claim: PendingClaim | undefined, now: number): boolean {
    if (!claim || claim.token === this.token) return false;
    if (now - claim.at > CLAIM_STALE_MS) return false;
    return claim.host !== hostname() || pidAlive(claim.pid);
  }

  private read(): PendingChange[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if (fsErrorCode(error) !== 'ENOENT')
        log.warn('offline queue unreadable', { code: fsErrorCode(error) });
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { changes?: PendingChange[] };
      return Array.isArray(parsed.changes) ? parsed.changes : [];
    } catch {
      // A torn file cannot happen (writes are atomic); a hand-edited one can.
      log.warn('offline queue file is not valid JSON; ignored');
      return [];
    }
  }

  /** Read-modify-write of the file under the lock. */
  private update(change: (changes: PendingChange[]) => PendingChange[]): void {
    withFileLockSync(this.file, () => {
      const next = change(this.read());
      this.write(this.file, JSON.stringify({ changes: next }));
    });
  }
}
