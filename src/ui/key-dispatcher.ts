/**
 * Keys in order, one at a time. Every key resolves through the keymap of the
 * current screen; its command runs to completion before the next key is
 * looked at, so typed-ahead keys (`dd`, `sArchive⏎`) mean what they would
 * mean typed slowly. A command waiting on a prompt lets the keys through to
 * the prompt; Ctrl-C and Ctrl-Z never wait, nor does Esc when the running
 * command can be stopped (a search across folders).
 */
import {
  contextChain,
  resolveKey,
  SEQUENCE_TIMEOUT_MS,
  type KeyContext,
  type Keymap,
  type KeyToken,
} from '../keymap/index.js';

/** Commands that run at once, even while another command is still working. */
const IMMEDIATE = new Set(['global.quit-now', 'global.suspend']);

export interface KeyDispatcherOptions {
  keymap: () => Keymap;
  /** The context of the screen in front. */
  context: () => KeyContext;
  /** True while a prompt or question is open: keys go to it. */
  promptOpen: () => boolean;
  /** A key for the open prompt or question. */
  promptKey: (token: KeyToken, command: string | null) => void;
  /** Runs a command; resolves when it is done. */
  run: (command: string) => Promise<void>;
  /** Keys that are bound to nothing. */
  unbound?: (keys: KeyToken[]) => void;
  /** The pending prefix of a multi-key binding changed (empty when resolved). */
  pending?: (keys: KeyToken[]) => void;
  /**
   * Esc while a command runs and no prompt is open: stops the command when it
   * can be stopped (true: the key is used up), else the key waits its turn.
   */
  cancelRunning?: () => boolean;
  /** Resolves when the next prompt opens (so a command waiting on one lets keys through). */
  promptOpened: () => Promise<void>;
  timeoutMs?: number;
}

export class KeyDispatcher {
  private readonly queue: KeyToken[] = [];
  private prefix: KeyToken[] = [];
  private fallback: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private pumping = false;

  constructor(private readonly options: KeyDispatcherOptions) {}

  /** Takes keys as they arrive. */
  push(tokens: readonly KeyToken[]): void {
    for (const token of tokens) {
      if (
        token === '<Esc>' &&
        this.busy &&
        !this.options.promptOpen() &&
        this.options.cancelRunning?.()
      )
        continue;
      // Quit and suspend must work even when a command hangs on the server.
      if (!this.options.promptOpen() && this.prefix.length === 0) {
        const chain = contextChain(this.options.context());
        const resolved = resolveKey(this.options.keymap(), chain, [], token);
        if (resolved.kind === 'command' && IMMEDIATE.has(resolved.command)) {
          void this.options.run(resolved.command);
          continue;
        }
      }
      this.queue.push(token);
    }
    void this.pump();
  }

  /** Resolves when every key so far has been handled and its command has finished. */
  async idle(): Promise<void> {
    while (this.pumping || this.busy || this.queue.length) {
      await (this.busy ?? new Promise((r) => setImmediate(r)));
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length) {
        if (this.options.promptOpen()) {
          this.promptKey(this.queue.shift()!);
          continue;
        }
        if (this.busy) {
          // Wait for the running command, unless it opens a prompt first.
          await Promise.race([this.busy, this.options.promptOpened()]);
          continue;
        }
        this.key(this.queue.shift()!);
      }
    } finally {
      this.pumping = false;
    }
  }

  private promptKey(token: KeyToken): void {
    const resolved = resolveKey(this.options.keymap(), ['prompt'], [], token);
    this.options.promptKey(token, resolved.kind === 'command' ? resolved.command : null);
  }

  private key(token: KeyToken): void {
    this.clearTimer();
    const chain = contextChain(this.options.context());
    const resolved = resolveKey(this.options.keymap(), chain, this.prefix, token);
    if (resolved.kind === 'pending') {
      this.prefix = resolved.keys;
      this.fallback = resolved.fallback;
      this.options.pending?.(this.prefix);
      this.timer = setTimeout(() => this.timeout(), this.options.timeoutMs ?? SEQUENCE_TIMEOUT_MS);
      return;
    }
    const hadPrefix = this.prefix.length > 0;
    this.prefix = [];
    this.fallback = null;
    if (hadPrefix) this.options.pending?.([]);
    if (resolved.kind === 'command') this.start(resolved.command);
    else this.options.unbound?.(resolved.keys);
  }

  private timeout(): void {
    this.timer = null;
    const fallback = this.fallback;
    this.prefix = [];
    this.fallback = null;
    this.options.pending?.([]);
    if (fallback) {
      this.start(fallback);
      void this.pump();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(command: string): void {
    const running = this.options.run(command).finally(() => {
      if (this.busy === running) this.busy = null;
    });
    this.busy = running;
  }
}
