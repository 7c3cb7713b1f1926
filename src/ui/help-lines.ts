/**
 * The help screen's text, generated from the keymap in force (so overrides
 * from the dotfile show) and the `:` commands: the screen in front first,
 * then the keys that work everywhere, then the other screens.
 */
import { lineCommandHelp } from '../commands/index.js';
import { cellWidth, padToWidth, truncateToWidth, wrapText } from '../core/text/index.js';
import {
  bindingsOf,
  CONTEXT_TITLES,
  CONTEXTS,
  displayKeys,
  findCommandInfo,
  type KeyContext,
  type Keymap,
} from '../keymap/index.js';

export interface HelpLine {
  kind: 'title' | 'entry' | 'blank';
  /** The keys column (entries only), already padded. */
  keys: string;
  text: string;
}

/** Keys per command in a context, in catalogue order: `j, ↓  Move to the next message`. */
export function contextEntries(
  keymap: Keymap,
  context: KeyContext,
): Array<{ keys: string; description: string; command: string }> {
  const byCommand = new Map<string, string[]>();
  for (const binding of bindingsOf(keymap, context)) {
    const list = byCommand.get(binding.command) ?? [];
    list.push(displayKeys(binding.keys));
    byCommand.set(binding.command, list);
  }
  // The context's own commands first (scrolling before replying in the message view).
  const own = (command: string) => (command.startsWith(`${context}.`) ? 0 : 1);
  const ordered = [...byCommand].sort((a, b) => own(a[0]) - own(b[0]));
  return ordered.map(([command, keys]) => ({
    command,
    keys: keys.join(', '),
    description: findCommandInfo(command)?.description ?? command,
  }));
}

/** The help text for a screen, each line at most `width` cells. */
export function helpLines(keymap: Keymap, front: KeyContext, width: number): HelpLine[] {
  const lines: HelpLine[] = [];
  const keyWidth = Math.min(22, Math.max(12, Math.floor(width * 0.25)));
  const textWidth = Math.max(10, width - keyWidth - 2);
  const order = [
    front,
    'global' as KeyContext,
    ...CONTEXTS.filter((c) => c !== front && c !== 'global'),
  ];
  const blank = (): void => {
    lines.push({ kind: 'blank', keys: '', text: '' });
  };
  for (const context of order) {
    const entries = contextEntries(keymap, context);
    if (!entries.length) continue;
    if (lines.length) blank();
    lines.push({ kind: 'title', keys: '', text: truncateToWidth(CONTEXT_TITLES[context], width) });
    for (const entry of entries) {
      const keys =
        cellWidth(entry.keys) > keyWidth ? truncateToWidth(entry.keys, keyWidth) : entry.keys;
      wrapText(entry.description, textWidth).forEach((text, index) => {
        lines.push({
          kind: 'entry',
          keys: padToWidth(index === 0 ? keys : '', keyWidth),
          text,
        });
      });
    }
  }
  blank();
  lines.push({ kind: 'title', keys: '', text: 'Commands (type : first)' });
  for (const command of lineCommandHelp()) {
    lines.push({ kind: 'entry', keys: '', text: truncateToWidth(command.usage, width - 2) });
    for (const text of wrapText(command.summary, Math.max(10, width - 6))) {
      lines.push({ kind: 'entry', keys: '', text: `    ${text}` });
    }
  }
  return lines;
}

// One entry: the screen and the controller ask for the same lines in the same frame.
let helpCache: { keymap: Keymap; front: KeyContext; width: number; lines: HelpLine[] } | null =
  null;

export function cachedHelpLines(keymap: Keymap, front: KeyContext, width: number): HelpLine[] {
  const context = front;
  if (
    helpCache &&
    helpCache.keymap === keymap &&
    helpCache.front === context &&
    helpCache.width === width
  )
    return helpCache.lines;
  const lines = helpLines(keymap, context, width);
  helpCache = { keymap, front: context, width, lines };
  return lines;
}
