/**
 * The UI's own state, held outside React so that commands read and change it
 * synchronously (a command that moves the cursor and then opens the message
 * under it must see the move). Shaped for useSyncExternalStore like the
 * engine's MailStore.
 */
import type { ComposeKind } from '../commands/index.js';
import type { Draft } from '../core/compose/index.js';
import type { MessageView } from '../core/types.js';
import type { KeyToken } from '../keymap/index.js';
import type { LayoutMetrics } from './layout.js';
import { INITIAL_CURSOR, type ListCursor } from './list-nav.js';
import type { PromptState } from './prompt-state.js';
import { initialUiState, reduceUi, type UiAction, type UiState } from './ui-state.js';

/** The message being read: loading, loaded, or failed. */
export interface Reading {
  uid: number;
  view: MessageView | null;
  error: string | null;
  /**
   * The messages an attached message was opened from, the enclosing one last, each
   * with the attachment that was selected in it; closing the reader goes back to it.
   */
  enclosing?: ReadonlyArray<{ view: MessageView; attachment: number }>;
}

export interface UiSnapshot {
  ui: UiState;
  cursor: ListCursor;
  prompt: PromptState | null;
  /** A yes/no question waiting for its key. */
  question: string | null;
  /** Keys typed so far of a multi-key binding. */
  pendingKeys: readonly KeyToken[];
  reading: Reading | null;
  /** Something the user waits for (shown with a spinner after a moment). */
  busy: string | null;
  /** The running command stops on Esc (the status line says so beside what it does). */
  stoppable: boolean;
  /** The terminal's size. */
  size: { columns: number; rows: number };
  /** The message on the review screen. */
  compose: { draft: Draft; problems: string[]; kind: ComposeKind } | null;
}

export class UiStore {
  private snapshot: UiSnapshot;
  private readonly listeners = new Set<() => void>();
  /** The layout of the last frame; commands size their moves by it. */
  metrics: LayoutMetrics = {
    columns: 80,
    rows: 24,
    sidebarWidth: 0,
    mainWidth: 80,
    mainHeight: 22,
    listHeight: 22,
    readerHeight: 0,
  };

  constructor(initial: Parameters<typeof initialUiState>[0] = {}) {
    this.snapshot = {
      ui: initialUiState(initial),
      cursor: INITIAL_CURSOR,
      prompt: null,
      question: null,
      pendingKeys: [],
      reading: null,
      busy: null,
      stoppable: false,
      size: { columns: 80, rows: 24 },
      compose: null,
    };
  }

  getSnapshot = (): UiSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get ui(): UiState {
    return this.snapshot.ui;
  }

  /** Replaces part of the snapshot; listeners run only when something changed. */
  set(patch: Partial<UiSnapshot>): void {
    let changed = false;
    for (const key of Object.keys(patch) as Array<keyof UiSnapshot>) {
      if (this.snapshot[key] !== patch[key]) changed = true;
    }
    if (!changed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  dispatch(action: UiAction): void {
    this.set({ ui: reduceUi(this.snapshot.ui, action) });
  }
}

/**
 * Keeps the store's terminal size in step with the output stream. Registered
 * before Ink's own resize handler, so that Ink's repaint after a resize draws
 * the tree at the new size rather than the old one.
 */
export function followTerminalSize(
  store: UiStore,
  stdout: Pick<NodeJS.WriteStream, 'on' | 'off'> & { columns?: number; rows?: number },
): () => void {
  const update = () => {
    const columns = stdout.columns || 80;
    const rows = stdout.rows || 24;
    const current = store.getSnapshot().size;
    if (current.columns !== columns || current.rows !== rows)
      store.set({ size: { columns, rows } });
  };
  update();
  stdout.on('resize', update);
  return () => {
    stdout.off('resize', update);
  };
}
