/**
 * A serial queue: one task at a time over one connection, in order, each
 * cancellable before it starts (and told through its signal once running).
 * This is the account worker's loop; IMAP itself is a conversation, and
 * keeping our side strictly serial keeps the selected folder predictable.
 */
import { TmailError } from '../errors.js';

interface Task<T> {
  run: (signal: AbortSignal) => Promise<T>;
  signal?: AbortSignal;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class SerialQueue {
  private readonly tasks: Array<Task<unknown>> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  /** Number of tasks waiting or running. */
  get size(): number {
    return this.tasks.length + (this.running ? 1 : 0);
  }

  run<T>(run: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new TmailError('CANCELLED'));
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({ run, signal, resolve, reject } as Task<unknown>);
      void this.drain();
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && !this.tasks.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every waiting task (used when the connection is gone for good). */
  clear(error: unknown): void {
    for (const task of this.tasks.splice(0)) task.reject(error);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
        if (task.signal?.aborted) {
          task.reject(new TmailError('CANCELLED'));
          continue;
        }
        const controller = new AbortController();
        const forward = () => controller.abort();
        task.signal?.addEventListener('abort', forward, { once: true });
        try {
          task.resolve(await task.run(controller.signal));
        } catch (error) {
          task.reject(error);
        } finally {
          task.signal?.removeEventListener('abort', forward);
        }
      }
    } finally {
      this.running = false;
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    }
  }
}
