/**
 * Small things that cost trust (issue 14): an unknown `:` command names the
 * nearest known one, the status line says what is actually happening, the
 * split layout's list share, and the message log of `:messages`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

describe('an unknown : command', () => {
  it('says so in one sentence and suggests the nearest known command', async () => {
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    tui.press(':');
    tui.type('fodler Sent');
    tui.press('<Enter>');
    await tui.see('There is no command :fodler; did you mean :folder?');
    tui.press(':');
    tui.type('qiut');
    tui.press('<Enter>');
    await tui.see('There is no command :qiut; did you mean :quit?');
    expect(tui.exited()).toBe(false);
    tui.press(':');
    tui.type('list.nxet');
    tui.press('<Enter>');
    await tui.see('There is no command :list.nxet; did you mean :list.next?');
  });

  it('suggests nothing when no command is near', async () => {
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    tui.press(':');
    tui.type('xyzzy');
    tui.press('<Enter>');
    await tui.see('There is no command :xyzzy; :help lists the keys and commands.');
  });
});

describe('the status line', () => {
  /** The status line: the second line from the bottom. */
  const statusLine = (frame: string) => frame.split('\n').at(-2) ?? '';

  it('says nothing is being done while a prompt waits, and names the work once it runs', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    let release!: () => void;
    tui.server.stallCopies = new Promise<void>((resolve) => (release = resolve));
    tui.press('s');
    await tui.see('Move to: ');
    // Longer than the moment after which work shows its spinner: only a wait for something
    // that must not come, never a limit on how long anything takes.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(statusLine(tui.frame())).not.toMatch(/Working|Moving/);
    tui.type('Archive');
    tui.press('<Enter>');
    await tui.waitFor((f) => statusLine(f).includes('Moving'));
    release();
    await tui.see('Moved 1 message to Archive');
    await tui.waitFor((f) => !statusLine(f).includes('Moving'));
  });

  it('says nothing is being done while the : line waits for a command', async () => {
    tui = await renderTui({ inbox: numbered(3) });
    await tui.see('Message number 3');
    tui.press(':');
    await tui.see(':');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(statusLine(tui.frame())).not.toContain('Working');
    expect(statusLine(tui.frame())).toMatch(/online $/);
  });
});

describe('the split layout', () => {
  const listRows = (frame: string) =>
    frame.split('\n').filter((line) => /Sender \d+ .*Message number \d+/.test(line)).length;

  it('gives the list a third of a tall terminal by default, not 10 rows', async () => {
    tui = await renderTui({ inbox: numbered(60), rows: 50 });
    await tui.see('Message number 60');
    tui.press('<Enter>');
    await tui.see('From: Sender 60');
    // 48 rows above the status line: 16 for the list, a title bar, 31 for the message.
    await tui.waitFor((f) => listRows(f) === 16);
  });

  it('takes the list rows from ui.splitList', async () => {
    tui = await renderTui({ inbox: numbered(60), rows: 50, config: { ui: { splitList: 12 } } });
    await tui.see('Message number 60');
    tui.press('<Enter>');
    await tui.see('From: Sender 60');
    await tui.waitFor((f) => listRows(f) === 12);
  });
});

describe('long notices and the message log', () => {
  const name = 'this-is-not-a-command-of-tmail-at-all';
  const sentence = `There is no command :${name}; :help lists the keys and commands.`;

  it('wraps a sentence longer than the screen instead of cutting it', async () => {
    tui = await renderTui({ inbox: numbered(3), columns: 60, rows: 20 });
    await tui.see('Message number 3');
    tui.press(':');
    tui.type(name);
    tui.press('<Enter>');
    const frame = await tui.waitFor((f) => f.includes(':help lists the keys and commands.'));
    const lines = frame.split('\n');
    expect(lines).toHaveLength(20);
    // The last rows hold the whole sentence, and the status line is still above them.
    const bottom = lines.slice(-2).map((l) => l.trimEnd());
    expect(bottom.join(' ')).toBe(sentence);
    expect(lines.at(-3)).toContain('online');
  });

  it('keeps every notice, whole, for :messages; Esc and q go back', async () => {
    tui = await renderTui({ inbox: numbered(3), columns: 60, rows: 20 });
    await tui.see('Message number 3');
    tui.press(':');
    tui.type(name);
    tui.press('<Enter>');
    await tui.see(':help lists the keys');
    tui.press('Q');
    await tui.see('Q is not bound to anything here');
    tui.press(':');
    tui.type('messages');
    tui.press('<Enter>');
    const frame = await tui.see('tmail messages');
    const text = frame.replace(/\s+/g, ' ');
    expect(text).toContain(sentence);
    expect(text).toContain('Q is not bound to anything here; ? shows the keys.');
    expect(text.indexOf(sentence)).toBeLessThan(text.indexOf('Q is not bound'));
    tui.press('<Esc>');
    await tui.waitFor((f) => !f.includes('tmail messages') && f.includes('Message number 3'));
    tui.press(':');
    tui.type('messages');
    tui.press('<Enter>');
    await tui.see('tmail messages');
    tui.press('q');
    await tui.waitFor((f) => !f.includes('tmail messages') && f.includes('Message number 3'));
    expect(tui.exited()).toBe(false);
  });

  it('scrolls a log longer than the screen, opening at its end', async () => {
    tui = await renderTui({ inbox: numbered(3), columns: 60, rows: 12 });
    await tui.see('Message number 3');
    for (let i = 1; i <= 15; i++) {
      tui.press(':');
      tui.type(`nope${i}`);
      tui.press('<Enter>');
      await tui.see(`:nope${i};`);
    }
    tui.press(':');
    tui.type('messages');
    tui.press('<Enter>');
    await tui.see('tmail messages');
    expect(tui.frame()).toContain(':nope15;');
    expect(tui.frame()).not.toContain(':nope1;');
    // 30 lines of log, 9 rows a page: the top is a few pages up.
    for (let i = 0; i < 5; i++) tui.press('<PgUp>');
    await tui.see(':nope1;');
  });
});

describe('a notice raised by a key', () => {
  it('is not dismissed with the notices before that key, even within its millisecond', async () => {
    tui = await renderTui({ inbox: numbered(2) });
    await tui.see('Message number 2');
    const { controller } = tui.runtime;
    controller.notify('info', 'An earlier notice.');
    await tui.see('An earlier notice.');
    // The key and what it says fall in one millisecond (Esc stopping a search does so).
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 1000);
    try {
      controller.keyPressed();
      controller.notify('info', 'Said by the key.');
    } finally {
      now.mockRestore();
    }
    const frame = await tui.see('Said by the key.');
    expect(frame).not.toContain('An earlier notice.');
  });
});
