/**
 * The engine's store as React sees it: change notifications coalesced to one
 * per turn of the event loop. Opening a folder emits several events in one
 * go (opening, progress, the view, its rows, its UIDs); rendering each would
 * cost a frame apiece and, at start-up, hold up the connection's own work.
 * Snapshots are still read live, so nothing shown is ever stale.
 */
import type { MailState } from '../core/store/state.js';

/** A store as useSyncExternalStore reads it. */
export interface StoreView<T = MailState> {
  getSnapshot(): T;
  subscribe(listener: () => void): () => void;
}

export function batchedStore<T>(store: StoreView<T>): StoreView<T> {
  const listeners = new Set<() => void>();
  let scheduled = false;
  let unsubscribe: (() => void) | null = null;
  const flush = () => {
    scheduled = false;
    for (const listener of [...listeners]) listener();
  };
  const onChange = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  return {
    getSnapshot: () => store.getSnapshot(),
    subscribe(listener) {
      listeners.add(listener);
      unsubscribe ??= store.subscribe(onChange);
      return () => {
        listeners.delete(listener);
        if (!listeners.size && unsubscribe) {
          unsubscribe();
          unsubscribe = null;
        }
      };
    },
  };
}

/** `1,234,567`: ICU's toLocaleString costs milliseconds a frame; this costs nothing. */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
