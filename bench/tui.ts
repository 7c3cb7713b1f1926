/**
 * The TUI's numbers for `npm run bench` (bench/run.ts calls benchTui):
 *  - launch to the first screen of the list: from the process's start to the
 *    first frame whose list rows show envelopes, written to the terminal;
 *  - peak RSS of the whole run (start, first screen, the key presses, quit);
 *  - key press to repainted frame: from the key reaching tmail to the frame
 *    it caused being written, median over a run of `j` presses.
 * tmail runs in tmux at 100x30, as a person would run it; the times come from
 * TMAIL_BENCH_MARKS, which the TUI writes only when that variable is set.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TmuxSession } from '../test/support/tmux.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface TuiBench {
  /** Median ms from process start to the first list frame with messages. */
  firstScreenMs: number;
  /**
   * Median ms from process start to the UI's first frame (sidebar and status line too):
   * later than firstScreenMs when the rows were drawn before the UI had loaded.
   */
  wholeScreenMs: number;
  /** Largest peak RSS over the runs, MiB. */
  rssMiB: number;
  /** Median ms from a key press to its frame, over every press of every run. */
  keyToFrameMs: number;
  /** The 90th percentile of the same. */
  keyToFrameP90Ms: number;
}

interface Mark {
  mark: string;
  ms: number;
  key?: string;
}

function readMarks(file: string): Mark[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Mark);
}

async function until<T>(probe: () => T | undefined, limitMs: number, what: string): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`TUI bench: no ${what} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** One launch: first screen, `presses` key presses, quit. */
export async function runTuiOnce(
  env: Record<string, string>,
  presses = 20,
): Promise<{ firstScreenMs: number; wholeScreenMs: number; rssKiB: number; keyMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-tui-bench-'));
  const marks = join(dir, 'marks.jsonl');
  const rss = join(dir, 'rss');
  const term = await TmuxSession.start({
    // As a user starts it: the executable itself, so its shebang's Node flags apply.
    command: [join(root, 'bin/tmail.cjs')],
    cwd: root,
    columns: 100,
    rows: 30,
    env: {
      ...env,
      TMAIL_BENCH_MARKS: marks,
      NODE_OPTIONS: `--require=${join(root, 'bench/rss-probe.cjs')}`,
      TMAIL_RSS_FILE: rss,
    },
  });
  try {
    const first = await until(
      () => readMarks(marks).find((m) => m.mark === 'first-list-frame'),
      30_000,
      'first list frame',
    );
    const ui = await until(
      () => readMarks(marks).find((m) => m.mark === 'first-frame'),
      30_000,
      'first frame of the UI',
    );
    // Let the background work of start-up (folder list, UID list) finish, as a person reading would.
    await new Promise((r) => setTimeout(r, 500));
    const keyMs: number[] = [];
    for (let i = 0; i < presses; i++) {
      // A person's pace: keys a frame or more apart (a held-down key repeats at about 30 a second).
      await new Promise((r) => setTimeout(r, 40));
      const before = readMarks(marks).filter((m) => m.mark === 'key-frame').length;
      await term.press('j');
      const frames = await until(
        () => {
          const list = readMarks(marks).filter((m) => m.mark === 'key-frame');
          return list.length > before ? list : undefined;
        },
        5_000,
        'frame after a key',
      );
      keyMs.push(frames.at(-1)!.ms);
    }
    await term.press('q');
    await until(() => (existsSync(rss) ? true : undefined), 10_000, 'exit');
    return {
      firstScreenMs: first.ms,
      // Without an early paint the list frame may come after the UI's first one (a frame
      // before the rows): the whole screen is there once both are.
      wholeScreenMs: Math.max(first.ms, ui.ms),
      rssKiB: Number(readFileSync(rss, 'utf8')),
      keyMs,
    };
  } finally {
    term.kill();
  }
}

/** Medians of the times over the launches, the largest peak RSS. */
export function summarizeTui(samples: Awaited<ReturnType<typeof runTuiOnce>>[]): TuiBench {
  const keys = samples.flatMap((s) => s.keyMs);
  return {
    firstScreenMs: Math.round(median(samples.map((s) => s.firstScreenMs))),
    wholeScreenMs: Math.round(median(samples.map((s) => s.wholeScreenMs))),
    rssMiB: Math.round(Math.max(...samples.map((s) => s.rssKiB)) / 1024),
    keyToFrameMs: Math.round(median(keys) * 10) / 10,
    keyToFrameP90Ms: Math.round(percentile(keys, 90) * 10) / 10,
  };
}
