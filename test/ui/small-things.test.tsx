/**
 * Small things that cost trust (issue 14): an unknown `:` command names the
 * nearest known one, the status line says what is actually happening, the
 * split layout's list share, and the message log of `:messages`.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
