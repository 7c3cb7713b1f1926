/**
 * Folded threads of the open list. The engine reads the thread tree once per
 * list (server THREAD, or built here); folding hides a thread's replies under
 * its first message. The rows the list shows (and the cursor, the viewport
 * and next-unread walk) are the visible ones, so everything downstream keeps
 * working on `view.uids`. Folding is arithmetic on the UID list in memory: no
 * server command, and envelopes are still fetched only for rows on screen
 * (plus the hidden replies of folded threads on screen, for their counts).
 */
import type { ThreadMode } from '../config/types.js';
import type { FlatThreads } from './threads.js';

/** What the list shows of a threaded view. */
export interface ThreadRows {
  uids: number[];
  depth: Map<number, number>;
  guides: Map<number, string>;
  /** Folded threads, by root UID: the replies hidden under it. */
  folded: Map<number, readonly number[]>;
}

/** How a fold request changes a thread: fold it, unfold it, or the opposite of now. */
export type FoldMode = 'fold' | 'unfold' | 'toggle';

export class ThreadFolding {
  private flat: FlatThreads | null = null;
  /** Root UID of every reply, so a fold asked on any message of a thread finds the thread. */
  private rootOf = new Map<number, number>();
  private readonly folded = new Set<number>();
  /** Fold every thread when the next tree arrives (a folder whose default is folded). */
  private foldAllNext = false;

  /** Forgets the tree and the folds (another folder); `foldAll` folds the next tree's threads. */
  reset(foldAll: boolean): void {
    this.flat = null;
    this.rootOf.clear();
    this.folded.clear();
    this.foldAllNext = foldAll;
  }

  /** True while a threaded list is held. */
  get active(): boolean {
    return this.flat !== null;
  }

  /** A new tree for the list (first read, new mail, a reconnect): folds of roots still there stay. */
  setTree(flat: FlatThreads): ThreadRows {
    this.flat = flat;
    this.rootOf = new Map();
    for (const [root, replies] of flat.members)
      for (const uid of replies) this.rootOf.set(uid, root);
    if (this.foldAllNext) {
      this.foldAllNext = false;
      for (const root of flat.members.keys()) this.folded.add(root);
    } else {
      for (const root of [...this.folded]) if (!flat.members.has(root)) this.folded.delete(root);
    }
    return this.rows();
  }

  /**
   * Folds or unfolds the threads of `uids` (any message of a thread names it),
   * or every thread when `uids` is absent. Null when no threaded list is held.
   */
  fold(mode: FoldMode, uids?: readonly number[]): ThreadRows | null {
    const flat = this.flat;
    if (!flat) return null;
    const roots = uids
      ? [...new Set(uids.map((uid) => this.rootOf.get(uid) ?? uid))].filter((root) =>
          flat.members.has(root),
        )
      : [...flat.members.keys()];
    // Toggling many at once follows the first: all fold when it was open.
    const fold = mode === 'toggle' ? !roots.some((root) => this.folded.has(root)) : mode === 'fold';
    for (const root of roots) {
      if (fold) this.folded.add(root);
      else this.folded.delete(root);
    }
    return this.rows();
  }

  /** The thread root a message is hidden under, when its thread is folded. */
  hiddenUnder(uid: number): number | undefined {
    const root = this.rootOf.get(uid);
    return root !== undefined && this.folded.has(root) ? root : undefined;
  }

  private rows(): ThreadRows {
    const flat = this.flat!;
    const folded = new Map<number, readonly number[]>();
    if (!this.folded.size)
      return { uids: flat.uids, depth: flat.depth, guides: flat.guides, folded };
    const uids: number[] = [];
    for (const uid of flat.uids) {
      const root = this.rootOf.get(uid);
      if (root !== undefined && this.folded.has(root)) continue;
      uids.push(uid);
      if (this.folded.has(uid)) folded.set(uid, flat.members.get(uid)!);
    }
    return { uids, depth: flat.depth, guides: flat.guides, folded };
  }
}

/**
 * How `folder` opens by the account's `threads` setting: the longest pattern
 * that matches (`*` stands for any text), or undefined when none does.
 */
export function threadModeFor(
  threads: Record<string, ThreadMode> | undefined,
  folder: string,
): ThreadMode | undefined {
  let best: { length: number; mode: ThreadMode } | undefined;
  for (const [pattern, mode] of Object.entries(threads ?? {})) {
    const regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    if (!regex.test(folder)) continue;
    const length = pattern.replace(/\*/g, '').length;
    if (!best || length > best.length) best = { length, mode };
  }
  return best?.mode;
}
