/**
 * Reads a slice of the engine's snapshot. Each component selects only what it
 * draws, so a flag change re-renders the list but not the sidebar. Selectors
 * must return a stored reference or a primitive (never a fresh object).
 */
import { useSyncExternalStore } from 'react';
import type { MailState } from '../core/store/state.js';
import type { MailStore } from '../core/store/store.js';

export function useMailState<T>(store: MailStore, select: (state: MailState) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getSnapshot()),
    () => select(store.getSnapshot()),
  );
}
