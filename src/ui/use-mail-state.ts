/**
 * The engine's snapshot, as the App read it for this frame. The App is the
 * one subscriber (to a store batched per event-loop turn), so that a burst of
 * engine events makes one frame, not one per component per event.
 * Components pick their slice; memoised ones re-render only when it changed.
 */
import { createContext, useContext } from 'react';
import type { MailState } from '../core/store/state.js';

export const MailContext = createContext<MailState | null>(null);

/** A slice of the engine's snapshot. */
export function useMail<T>(select: (state: MailState) => T): T {
  const state = useContext(MailContext);
  if (!state) throw new Error('useMail outside the App');
  return select(state);
}
