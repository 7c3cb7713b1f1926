/** Keys as data: spec parsing, raw input splitting, the resolver and the dotfile's overrides. */
import { describe, expect, it } from 'vitest';
import {
  buildKeymap,
  COMMANDS,
  CONTEXTS,
  DEFAULT_BINDINGS,
  displayKeys,
  findCommandInfo,
  formatKeySpec,
  keysFor,
  parseKeySpec,
  resolveKey,
  tokensFromRawInput,
} from '../../src/keymap/index.js';

describe('key specs', () => {
  it('parse the spellings people write into one canonical form', () => {
    expect(parseKeySpec('j')).toEqual(['j']);
    expect(parseKeySpec('gg')).toEqual(['g', 'g']);
    expect(parseKeySpec('<C-d>')).toEqual(['<C-d>']);
    expect(parseKeySpec('<c-D>')).toEqual(['<C-d>']);
    expect(parseKeySpec('<Ctrl+d>')).toEqual(['<C-d>']);
    expect(parseKeySpec('<CR>')).toEqual(['<Enter>']);
    expect(parseKeySpec('<PageDown>')).toEqual(['<PgDn>']);
    expect(parseKeySpec('<esc>')).toEqual(['<Esc>']);
    expect(parseKeySpec(' ')).toEqual(['<Space>']);
    expect(parseKeySpec('<C-w>j')).toEqual(['<C-w>', 'j']);
    expect(parseKeySpec('<lt>')).toEqual(['<']);
    expect(parseKeySpec('<')).toEqual(['<']);
    expect(parseKeySpec('<M-x>')).toEqual(['<M-x>']);
    expect(parseKeySpec('$')).toEqual(['$']);
  });

  it('reject names no key has', () => {
    expect(parseKeySpec('')).toBeNull();
    expect(parseKeySpec('<Foo>')).toBeNull();
    expect(parseKeySpec('<C-1>')).toBeNull();
    expect(parseKeySpec('\u0007')).toBeNull();
  });

  it('format back and display for people', () => {
    expect(formatKeySpec(parseKeySpec('<c-d>')!)).toBe('<C-d>');
    expect(formatKeySpec(['<'])).toBe('<lt>');
    expect(displayKeys(['<C-d>'])).toBe('Ctrl-d');
    expect(displayKeys(['g', 'g'])).toBe('gg');
    expect(displayKeys(['<C-w>', 'j'])).toBe('Ctrl-w j');
    expect(displayKeys(['<PgDn>'])).toBe('PgDn');
  });
});

describe('raw terminal input', () => {
  it('splits typed-ahead keys that arrive together', () => {
    expect(tokensFromRawInput('j\r')).toEqual(['j', '<Enter>']);
    expect(tokensFromRawInput('jjk')).toEqual(['j', 'j', 'k']);
    expect(tokensFromRawInput('d\u001b[B')).toEqual(['d', '<Down>']);
  });

  it('names control keys and escape sequences', () => {
    expect(tokensFromRawInput('\u0004')).toEqual(['<C-d>']);
    expect(tokensFromRawInput('\u001a')).toEqual(['<C-z>']);
    expect(tokensFromRawInput('\u0003')).toEqual(['<C-c>']);
    expect(tokensFromRawInput('\u001b')).toEqual(['<Esc>']);
    expect(tokensFromRawInput('\u007f')).toEqual(['<BS>']);
    expect(tokensFromRawInput(' ')).toEqual(['<Space>']);
    expect(tokensFromRawInput('\t')).toEqual(['<Tab>']);
    expect(tokensFromRawInput('\u001b[Z')).toEqual(['<S-Tab>']);
    // Esc then Tab (mutt's previous unread), or Alt-Tab: one key, as a spec can name it.
    expect(tokensFromRawInput('\u001b\t')).toEqual(['<M-Tab>']);
    expect(parseKeySpec('<Esc-Tab>')).toEqual(['<M-Tab>']);
    expect(parseKeySpec('<M-Tab>')).toEqual(['<M-Tab>']);
    expect(tokensFromRawInput('\u001b[5~\u001b[6~')).toEqual(['<PgUp>', '<PgDn>']);
    expect(tokensFromRawInput('\u001b[H\u001b[F\u001bOH\u001b[1~\u001b[4~')).toEqual([
      '<Home>',
      '<End>',
      '<Home>',
      '<Home>',
      '<End>',
    ]);
    expect(tokensFromRawInput('\u001b[1;5A')).toEqual(['<Up>']);
    expect(tokensFromRawInput('\u001bj')).toEqual(['<M-j>']);
  });

  it('keeps non-ASCII characters whole and drops other controls', () => {
    expect(tokensFromRawInput('é日🎉')).toEqual(['é', '日', '🎉']);
    expect(tokensFromRawInput('\u0000\u009b')).toEqual([]);
    expect(tokensFromRawInput('\u001b[99~')).toEqual([]);
  });
});

describe('the catalogue and the default table', () => {
  it('describes every command and binds only known commands where they work', () => {
    for (const command of COMMANDS) expect(command.description).toMatch(/^[A-Z]/);
    for (const context of CONTEXTS) {
      for (const [spec, id] of DEFAULT_BINDINGS[context]) {
        expect(parseKeySpec(spec), spec).not.toBeNull();
        const info = findCommandInfo(id);
        expect(info, id).toBeDefined();
        expect(info!.contexts).toContain(context);
      }
    }
  });

  it('has the keys mutt, aerc and less users expect', () => {
    const { keymap } = buildKeymap();
    expect(keysFor(keymap, 'list', 'list.next')).toEqual(['j', '<Down>']);
    expect(keysFor(keymap, 'list', 'folder.expunge')).toEqual(['$']);
    expect(keysFor(keymap, 'list', 'mail.undo')).toEqual(['u']);
    expect(keysFor(keymap, 'message', 'message.page-down')).toContain('<Space>');
    expect(keysFor(keymap, 'message', 'message.find-prev')).toEqual(['N']);
    expect(keysFor(keymap, 'compose', 'compose.send')).toEqual(['y']);
    expect(keysFor(keymap, 'global', 'global.suspend')).toEqual(['<C-z>']);
  });
});

describe('the resolver', () => {
  const { keymap } = buildKeymap({ list: { gg: 'list.first', zz: 'list.last' } });

  it('finds the context binding before the global one', () => {
    expect(resolveKey(keymap, ['list', 'global'], [], 'j')).toMatchObject({
      kind: 'command',
      command: 'list.next',
    });
    expect(resolveKey(keymap, ['list', 'global'], [], '?')).toMatchObject({
      command: 'global.help',
    });
    expect(resolveKey(keymap, ['message', 'global'], [], 'j')).toMatchObject({
      command: 'message.down',
    });
  });

  it('waits on a prefix, remembering the shorter binding for the timeout', () => {
    expect(resolveKey(keymap, ['list', 'global'], [], 'g')).toEqual({
      kind: 'pending',
      keys: ['g'],
      fallback: 'list.first',
    });
    expect(resolveKey(keymap, ['list', 'global'], ['g'], 'g')).toMatchObject({
      kind: 'command',
      command: 'list.first',
    });
    // `z` is the layout key everywhere and the start of `zz` in the list.
    expect(resolveKey(keymap, ['list', 'global'], [], 'z')).toEqual({
      kind: 'pending',
      keys: ['z'],
      fallback: 'global.layout',
    });
    expect(resolveKey(keymap, ['list', 'global'], ['g'], 'x')).toEqual({
      kind: 'unbound',
      keys: ['g', 'x'],
    });
  });

  it('gives prompts their own keys only', () => {
    expect(resolveKey(keymap, ['prompt'], [], '?')).toEqual({ kind: 'unbound', keys: ['?'] });
    expect(resolveKey(keymap, ['prompt'], [], '<Enter>')).toMatchObject({
      command: 'prompt.accept',
    });
  });
});

describe('overrides from the dotfile', () => {
  it('replace, add and remove bindings', () => {
    const { keymap, errors } = buildKeymap({
      index: { x: 'mail.delete', d: 'none', D: '' },
      pager: { '<Space>': 'message.down' },
    });
    expect(errors).toEqual([]);
    expect(keysFor(keymap, 'list', 'mail.delete')).toEqual(['x']);
    expect(keysFor(keymap, 'message', 'message.down')).toContain('<Space>');
    expect(keysFor(keymap, 'message', 'message.page-down')).not.toContain('<Space>');
  });

  it('report each bad entry in one sentence and keep the rest', () => {
    const { keymap, errors } = buildKeymap({
      list: { '<Foo>': 'list.next', k: 'no.such', x: 'message.find', y: 'list.last' },
      somewhere: { a: 'list.next' },
    } as never);
    expect(errors).toEqual([
      'keys.list.<Foo>: not a key (write j, G, <C-d>, <PgDn>, <Enter>).',
      'keys.list.k: there is no command no.such; the help screen (?) lists them.',
      'keys.list.x: message.find does not work in list.',
      'keys.somewhere: there is no such context (use list, results, message, attachments, compose, prompt, help, global).',
    ]);
    expect(keysFor(keymap, 'list', 'list.last')).toContain('y');
    expect(keysFor(keymap, 'list', 'list.prev')).toContain('k');
  });

  it('survive a keys value that is not a table', () => {
    expect(buildKeymap('nonsense' as never).errors).toHaveLength(1);
    expect(buildKeymap({ list: 'x' } as never).errors).toEqual([
      'keys.list: must map keys to command ids.',
    ]);
  });
});
