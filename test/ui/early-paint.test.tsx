/**
 * The list drawn before the UI has loaded (src/ui/early-paint.ts) must be
 * what the UI's first frame then draws there: the same characters in the
 * same cells with the same styles, or the rows would change under the user's
 * eyes. Each case renders the real App over a folder and compares, cell by
 * cell, its list with the early paint of the same state.
 */
import { styledCharsFromTokens, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { ANSWERED, DELETED, FLAGGED, SEEN } from '../../src/core/types.js';
import { coverFirstFrame, earlyListPaint } from '../../src/ui/early-paint.js';
import { computeLayout } from '../../src/ui/layout.js';
import { gatedStdout } from '../../src/ui/terminal.js';
import { plain, renderTui, type HarnessOptions, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

/** A folder with a bit of everything a row can show. */
function mixedServer(): FakeMailServer {
  const server = new FakeMailServer();
  const now = Date.now();
  server.deliver(
    'INBOX',
    Array.from({ length: 40 }, (_, i) => ({
      subject: i % 7 === 3 ? `会議の議題 ${i} — 😀 wide` : `Subject number ${i}`,
      from: { name: i % 5 === 1 ? '山田 太郎' : `Sender ${i}`, address: `s${i}@example.test` },
      date: new Date(now - (40 - i) * 86_400_000 * (i % 2 ? 1 : 20)),
      flags: [
        ...(i % 3 ? [SEEN] : []),
        ...(i % 4 === 0 ? [FLAGGED] : []),
        ...(i % 6 === 5 ? [ANSWERED] : []),
        ...(i % 11 === 2 ? [DELETED] : []),
      ],
      ...(i % 9 === 4
        ? {
            attachments: [
              { filename: 'a.pdf', contentType: 'application/pdf', content: Buffer.from('x') },
            ],
          }
        : {}),
    })),
  );
  return server;
}

/** A line as cells: each character with the set of styles it is drawn in. */
function cells(line: string): Array<[string, string]> {
  const chars: StyledChar[] = styledCharsFromTokens(tokenize(line));
  const out = chars.map((c): [string, string] => [
    c.value,
    c.styles
      .map((s) => s.code)
      .sort()
      .join(''),
  ]);
  // Trailing blanks without a style are no cells of the line (Ink does not write them).
  while (out.length && out.at(-1)![0] === ' ' && out.at(-1)![1] === '') out.pop();
  return out;
}

/** The rows an early paint writes, by screen row, with the column each starts at. */
function paintedRows(paint: string): Map<number, { column: number; text: string }> {
  const rows = new Map<number, { column: number; text: string }>();
  const parts = paint.replace(/\u001b\[H$/, '').split(/\u001b\[(\d+);(\d+)H/);
  for (let i = 1; i + 2 < parts.length; i += 3) {
    rows.set(Number(parts[i]) - 1, { column: Number(parts[i + 1]) - 1, text: parts[i + 2]! });
  }
  return rows;
}

async function compare(options: HarnessOptions & { columns: number; rows: number }) {
  tui = await renderTui({ server: mixedServer(), ...options });
  await tui.see('Subject number 39');
  const ui = options.config?.ui ?? {};
  const paint = earlyListPaint({
    state: tui.engine.state,
    configuredRoles: tui.engine.account.folders,
    columns: options.columns,
    rows: options.rows,
    sidebar: ui.sidebar ?? true,
    layout: ui.layout ?? 'split',
    dateStyle: ui.dateFormat ?? 'relative',
    theme: tui.runtime.theme,
  });
  expect(paint).not.toBeNull();
  const metrics = computeLayout({
    columns: options.columns,
    rows: options.rows,
    sidebar: ui.sidebar ?? true,
    layout: 'split',
    screen: 'list',
  });
  const painted = paintedRows(paint!);
  expect(painted.size).toBe(metrics.listHeight);
  const frame = tui.rawFrame().split('\n');
  for (const [row, { column, text }] of painted) {
    expect(column).toBe(metrics.sidebarWidth);
    const drawn = sliceAnsi(frame[row]!, column);
    expect({ row, cells: cells(text) }).toEqual({ row, cells: cells(drawn) });
  }
  // The paint leaves the cursor where Ink starts its frame.
  expect(paint!.endsWith('\u001b[H')).toBe(true);
  return { painted, frame };
}

describe('the list drawn before the UI has loaded', () => {
  it('is, cell for cell, the list of the first frame: sidebar, colours, cursor row, wide text', async () => {
    const { painted } = await compare({ columns: 100, rows: 30 });
    // What was compared has every kind of row in it.
    const text = [...painted.values()].map((r) => plain(r.text)).join('\n');
    expect(text).toContain('会議の議題');
    expect(text).toMatch(/N!/);
    expect(text).toMatch(/^ D/m);
    expect(text).toMatch(/@/);
  });

  it('is the same without the sidebar, in the mono theme, at 80 columns, with ISO dates', async () => {
    await compare({
      columns: 80,
      rows: 24,
      env: { NO_COLOR: '1' },
      config: { ui: { sidebar: false, dateFormat: 'iso' } },
    });
  });

  it('draws nothing for a folder without rows', async () => {
    tui = await renderTui({ columns: 100, rows: 30 });
    await tui.see('empty');
    expect(
      earlyListPaint({
        state: tui.engine.state,
        columns: 100,
        rows: 30,
        sidebar: true,
        layout: 'split',
        dateStyle: 'relative',
        theme: tui.runtime.theme,
      }),
    ).toBeNull();
  });
});

describe('the first frame over an early paint', () => {
  it('erases the rest of each row and the screen below, after the text', () => {
    expect(coverFirstFrame('ab\ncd')).toBe(
      'ab\u001b[Kcd'.replace('\u001b[K', '\u001b[K\n') + '\u001b[K\u001b[J',
    );
  });

  it('is the first write with rows; the writes before it and after it are left alone', () => {
    const written: string[] = [];
    const stdout = { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const gated = gatedStdout(stdout, () => true, { firstFrame: (f) => `<${f}>` });
    gated.write('\u001b[?25l');
    gated.write('one\ntwo');
    gated.write('three\nfour');
    expect(written).toEqual(['\u001b[?25l', '<one\ntwo>', 'three\nfour']);
  });
});
