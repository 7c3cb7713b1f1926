/**
 * Marks for the benchmarks, written only when TMAIL_BENCH_MARKS names a
 * file: when the first list frame with messages reached the terminal, and
 * how long each key took to reach the screen. One JSON object per line; times
 * are milliseconds since the process started. Without the variable nothing
 * here runs.
 */
import { appendFileSync } from 'node:fs';

export interface BenchMarks {
  /** Rows with envelopes were rendered (the next frame is the first list screen). */
  listRows(): void;
  /** The list's rows were written before the UI's first frame (early-paint.ts). */
  listPainted(): void;
  /** A key arrived. */
  key(name: string): void;
  /** Ink wrote a frame; `renderMs` is Ink's own time to draw it. */
  frame(renderMs?: number): void;
  /** A free-form mark. */
  mark(name: string, data?: Record<string, unknown>): void;
}

/** The marks writer, or null when benchmarks are not being taken. */
export function createBenchMarks(file = process.env.TMAIL_BENCH_MARKS): BenchMarks | null {
  if (!file) return null;
  const write = (entry: Record<string, unknown>) => {
    try {
      appendFileSync(file, `${JSON.stringify(entry)}\n`);
    } catch {
      // Benchmarks must never break the program.
    }
  };
  let rowsSeen = false;
  let firstListDone = false;
  let firstFrameDone = false;
  let pendingKey: { name: string; at: number } | null = null;
  return {
    listRows() {
      rowsSeen = true;
    },
    listPainted() {
      if (firstListDone) return;
      firstListDone = true;
      write({
        mark: 'first-list-frame',
        ms: performance.now(),
        early: true,
        memory: process.memoryUsage(),
        cpu: process.cpuUsage(),
      });
    },
    key(name) {
      pendingKey = { name, at: performance.now() };
    },
    frame(renderMs) {
      const key = pendingKey;
      pendingKey = null;
      const list = rowsSeen && !firstListDone;
      if (list) firstListDone = true;
      const first = !firstFrameDone;
      firstFrameDone = true;
      if (!key && !list && !first) return;
      // Ink writes the frame to the terminal right after this callback returns, in the same
      // tick: the first frames are timed here. Timed in the setImmediate below, they would
      // also count whatever work the start queued before it (the connection, after a frame
      // drawn from the cache), up to a few hundred ms the user does not wait for.
      const rendered = performance.now();
      setImmediate(() => {
        const now = performance.now();
        if (first) write({ mark: 'first-frame', ms: rendered });
        if (list)
          write({
            mark: 'first-list-frame',
            ms: rendered,
            memory: process.memoryUsage(),
            cpu: process.cpuUsage(),
          });
        if (key)
          write({
            mark: 'key-frame',
            key: key.name,
            ms: now - key.at,
            ink: renderMs,
            rendered: rendered - key.at,
          });
      });
    },
    mark(name, data = {}) {
      write({ mark: name, ms: performance.now(), ...data });
    },
  };
}
