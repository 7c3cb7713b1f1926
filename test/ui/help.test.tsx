/**
 * The help screen is generated from the keymap in force, and the dotfile's
 * `keys` change both what keys do and what the help says.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { numbered, renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

describe('the help screen', () => {
  it('opens with ?, lists the keys of the screen in front first, and closes with q', async () => {
    tui = await renderTui({ inbox: numbered(3), rows: 30 });
    await tui.see('Message number 3');
    tui.press('?');
    const frame = await tui.see('tmail keys');
    const lines = frame.split('\n');
    expect(lines[1]).toContain('Message list');
    expect(frame).toMatch(/j, ↓\s+Move to the next message/);
    expect(frame).toMatch(/Enter\s+Open the message/);
    expect(frame).toMatch(/Ctrl-d\s+Move down half a page/);
    expect(frame).toContain('q or Esc or ? closes');
    // It scrolls to the other screens and the : commands.
    for (let i = 0; i < 12; i++) tui.press('<Space>');
    await tui.see(':sort date|arrival|from|subject|size [reverse]');
    tui.press('q');
    await tui.see('Message number 3');
    expect(tui.frame()).not.toContain('tmail keys');
  });

  it('shows the message view keys first when opened from a message', async () => {
    tui = await renderTui({ inbox: numbered(2), rows: 30 });
    await tui.see('Message number 2');
    tui.press('<Enter>');
    await tui.see('Body of message 2.');
    tui.press('?');
    const frame = await tui.see('tmail keys');
    expect(frame.split('\n')[1]).toContain('Message view');
    expect(frame).toMatch(/Space, PgDn, Ctrl-f\s+Scroll down a page/);
    expect(frame).toMatch(/n\s+Go to the next match/);
    tui.press('<Esc>');
    await tui.see('Body of message 2.');
  });
});

describe('key overrides from the dotfile', () => {
  const keys = {
    list: { x: 'mail.delete', d: 'none', '<C-n>': 'list.next', gg: 'list.first' },
    pager: { '<Space>': 'message.down' },
  };

  it('bind, unbind and rebind keys, and the help screen shows the result', async () => {
    // Tall enough that the help's first page reaches the mail commands.
    tui = await renderTui({ inbox: numbered(5), config: { keys }, rows: 48 });
    await tui.see('Message number 5');
    tui.press('d');
    await tui.see('d is not bound to anything here');
    tui.press('x');
    await tui.waitFor((f) => !f.includes('Message number 5'));
    await tui.settle();
    expect(tui.server.folders.get('Trash')!.messages).toHaveLength(1);
    tui.press('<C-n>');
    await tui.waitFor(() => tui!.highlighted('Message number 3'));
    tui.press('?');
    const help = await tui.see('tmail keys');
    expect(help).toMatch(/x\s+Delete the message \(to Trash\)/);
    expect(help).toMatch(/j, ↓, Ctrl-n\s+Move to the next message/);
  });

  it('waits for the second key of a sequence and falls back to the shorter binding', async () => {
    tui = await renderTui({ inbox: numbered(30), config: { keys } });
    await tui.see('Message number 30');
    tui.press('G');
    await tui.waitFor(() => tui!.highlighted('Message number 1 '));
    // `g` alone is still list.first, but now also the start of `gg`.
    tui.press('g');
    await tui.see('g-');
    tui.press('g');
    await tui.waitFor(() => tui!.highlighted('Message number 30'));
    tui.press('G');
    await tui.waitFor(() => tui!.highlighted('Message number 1 '));
    tui.press('g');
    // No second key: after the timeout the single-key binding runs.
    await tui.waitFor(() => tui!.highlighted('Message number 30'));
  });

  it('reports bad overrides as a notice and keeps the defaults', async () => {
    tui = await renderTui({
      inbox: numbered(2),
      config: { keys: { list: { '<Foo>': 'list.next', j: 'no.such.command' }, nowhere: {} } },
    });
    const frame = await tui.see('keys.');
    expect(frame).toMatch(/keys\.list\.<Foo>: not a key \(write j, G.*\(and 2 more in the log\)/);
    tui.press('j');
    await tui.waitFor(() => tui!.highlighted('Message number 1'));
  });
});
