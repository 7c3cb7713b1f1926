/** Completion sources for prompts: folder paths and file system directories. */
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Mailbox } from '../core/types.js';
import type { Completer } from './context.js';

/**
 * Folder paths that fit what was typed: paths starting with it first, then
 * folders whose name starts with it, then paths containing it, ignoring case.
 * Folders that hold no mail (\Noselect) are left out.
 */
export function completeFolder(input: string, folders: readonly Mailbox[]): string[] {
  const wanted = input.toLowerCase();
  const selectable = folders.filter((f) => f.selectable);
  const out: string[] = [];
  const add = (list: Mailbox[]) => {
    for (const f of list) if (!out.includes(f.path)) out.push(f.path);
  };
  add(selectable.filter((f) => f.path.toLowerCase().startsWith(wanted)));
  add(selectable.filter((f) => f.name.toLowerCase().startsWith(wanted)));
  if (wanted) add(selectable.filter((f) => f.path.toLowerCase().includes(wanted)));
  return out;
}

/** A completer over the folder list as it is when Tab is pressed. */
export function folderCompleter(folders: () => readonly Mailbox[]): Completer {
  return (input) => completeFolder(input, folders());
}

/** Expands a leading `~` to the home directory. */
export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** Directories that complete a typed path (for "Save to:"), each ending in `/`. */
export function directoryCompleter(home = homedir()): Completer {
  return pathCompleter(home, { files: false });
}

/** Files and directories that complete a typed path (for "Attach file:"); directories end in `/`. */
export function pathCompleter(home = homedir(), { files = true } = {}): Completer {
  return (input) => {
    const typed = input === '' ? '~/' : input;
    const expanded = expandHome(typed, home);
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded);
    const stem = expanded.endsWith('/') ? '' : expanded.slice(dir.length).replace(/^\//, '');
    const shownDir = typed.endsWith('/') ? typed : typed.slice(0, typed.length - stem.length);
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter(
          (e) =>
            (files || e.isDirectory()) &&
            e.name.startsWith(stem) &&
            (!e.name.startsWith('.') || stem.startsWith('.')),
        )
        .map((e) => `${shownDir}${e.name}${e.isDirectory() ? '/' : ''}`)
        .sort();
    } catch {
      return [];
    }
  };
}
