/** The key dispatcher: keys in order, commands one at a time, prompts in between. */
import { describe, expect, it } from 'vitest';
import { buildKeymap, type KeyContext } from '../../src/keymap/index.js';
import { KeyDispatcher } from '../../src/ui/key-dispatcher.js';

function setup(overrides = {}) {
  const { keymap } = buildKeymap(overrides);
  const log: string[] = [];
  let promptOpen = false;
  const wake: (() => void)[] = [];
  const gates = new Map<string, () => void>();
  let context: KeyContext = 'list';
  const dispatcher = new KeyDispatcher({
    keymap: () => keymap,
    context: () => context,
    promptOpen: () => promptOpen,
    promptKey: (token, command) => {
      log.push(`prompt:${command ?? token}`);
      if (command === 'prompt.accept') promptOpen = false;
    },
    promptOpened: () => new Promise((r) => wake.push(r)),
    run: async (command) => {
      log.push(command);
      if (command === 'mail.move') {
        promptOpen = true;
        for (const w of wake.splice(0)) w();
        await new Promise<void>((r) => gates.set(command, r));
        log.push('move done');
      }
      if (command === 'mail.delete') await new Promise<void>((r) => gates.set(command, r));
    },
    unbound: (keys) => log.push(`unbound:${keys.join('')}`),
    timeoutMs: 5,
  });
  return {
    dispatcher,
    log,
    release: (command: string) => gates.get(command)?.(),
    setContext: (c: KeyContext) => (context = c),
  };
}

describe('the key dispatcher', () => {
  it('runs keys in order, each command after the one before has finished', async () => {
    const { dispatcher, log, release } = setup();
    dispatcher.push(['d', 'j']);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['mail.delete']);
    release('mail.delete');
    await dispatcher.idle();
    expect(log).toEqual(['mail.delete', 'list.next']);
  });

  it('lets keys through to a prompt a command is waiting on', async () => {
    const { dispatcher, log, release } = setup();
    dispatcher.push(['s', 'A', 'r', '<Enter>', 'j']);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['mail.move', 'prompt:A', 'prompt:r', 'prompt:prompt.accept']);
    release('mail.move');
    await dispatcher.idle();
    expect(log.slice(4)).toEqual(['move done', 'list.next']);
  });

  it('quits at once even while a command hangs', async () => {
    const { dispatcher, log } = setup();
    dispatcher.push(['d', 'j', '<C-c>']);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['global.quit-now', 'mail.delete']);
  });

  it('reports unbound keys and runs the shorter binding when a sequence times out', async () => {
    const { dispatcher, log } = setup({ list: { gg: 'list.first', gx: 'list.last' } });
    dispatcher.push(['Q']);
    dispatcher.push(['g', 'x']);
    dispatcher.push(['g']);
    await new Promise((r) => setTimeout(r, 30));
    await dispatcher.idle();
    expect(log).toEqual(['unbound:Q', 'list.last', 'list.first']);
  });
});
