/**
 * Holds the current snapshot and tells subscribers when it changes. Shaped for
 * React's useSyncExternalStore (subscribe + getSnapshot), and usable as is by
 * the CLI and tests.
 */
import type { EngineEvent } from '../events.js';
import { reduce } from './reducer.js';
import { initialState, type MailState } from './state.js';

export class MailStore {
  private state: MailState;
  private readonly listeners = new Set<() => void>();

  constructor(account: string) {
    this.state = initialState(account);
  }

  getSnapshot = (): MailState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Applies an event; listeners run only when the snapshot really changed. */
  apply(event: EngineEvent): void {
    const next = reduce(this.state, event);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
