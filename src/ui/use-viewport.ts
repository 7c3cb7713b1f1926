/**
 * Tells the engine which rows are on screen, so it fetches envelopes for
 * them (and a margin) and nothing else. Bursts of moves are coalesced.
 */
import { useEffect } from 'react';
import type { EngineApi } from '../commands/index.js';
import type { FolderView } from '../core/store/state.js';

const DEBOUNCE_MS = 25;

export function useViewport(
  engine: Pick<EngineApi, 'dispatch'>,
  view: FolderView | null,
  top: number,
  height: number,
): void {
  const path = view?.path;
  const uids = view?.uids;
  useEffect(() => {
    if (!path || height <= 0) return;
    const timer = setTimeout(() => {
      void engine.dispatch({ type: 'viewport', first: top, last: top + height - 1 });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // The UID list is a dependency: rows that slide into view after a removal need fetching too.
  }, [engine, path, uids, top, height]);
}
