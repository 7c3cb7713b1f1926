/**
 * Flag changes made while offline, kept on disk until the server has them.
 *
 * Each change is an absolute intent ("add \Seen to these UIDs"), which is
 * idempotent: replaying one that already reached the server changes nothing,
 * so a crash between sending and forgetting cannot apply a change twice in
 * effect. Changes carry the folder's UIDVALIDITY; if the folder was rebuilt
 * meanwhile, the UIDs mean other messages and the change is dropped.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../fs-atomic.js';
import type { Flag } from '../types.js';

export interface PendingFlagChange {
  id: string;
  folder: string;
  uidValidity: string;
  uids: number[];
  add: Flag[];
  remove: Flag[];
  /** ms since the epoch. */
  at: number;
}

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

export class PendingFlagQueue {
  private changes: PendingFlagChange[] = [];

  constructor(private readonly file: string) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { changes?: PendingFlagChange[] };
      if (Array.isArray(parsed.changes)) this.changes = parsed.changes;
    } catch {
      // No file yet. (A torn file cannot happen: writes go through writeFileAtomic.)
    }
  }

  get size(): number {
    return this.changes.length;
  }

  list(): readonly PendingFlagChange[] {
    return this.changes;
  }

  add(change: Omit<PendingFlagChange, 'id' | 'at'>): PendingFlagChange {
    const entry: PendingFlagChange = { ...change, id: randomUUID(), at: Date.now() };
    this.changes.push(entry);
    this.persist();
    return entry;
  }

  remove(ids: Iterable<string>): void {
    const gone = new Set(ids);
    const before = this.changes.length;
    this.changes = this.changes.filter((c) => !gone.has(c.id));
    if (this.changes.length !== before) this.persist();
  }

  private persist(): void {
    writeFileAtomicSync(this.file, JSON.stringify({ changes: this.changes }));
  }
}
