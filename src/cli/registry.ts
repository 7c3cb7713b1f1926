/**
 * The scriptable commands, in the order `tmail --help` lists them. Each module
 * is loaded only when its command runs, so `--help` and the TUI's start-up
 * never pay for code they do not use.
 */
import type { CliIo } from './io.js';

/** What a command module exports. */
export interface CliCommandModule {
  /** Runs the command with the words after its name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

export interface CliCommand {
  name: string;
  /** One line for `tmail --help`. */
  summary: string;
  load(): Promise<CliCommandModule>;
}

const mail = () => import('./mail-commands.js');

export const COMMANDS: CliCommand[] = [
  {
    name: 'account',
    summary: 'add, edit, list, test, remove accounts, or choose the default one',
    load: () => import('./account.js'),
  },
  {
    name: 'folders',
    summary: 'list folders with unread and total counts',
    load: async () => ({ run: (await mail()).runFolders }),
  },
  {
    name: 'list',
    summary: 'list the messages of a folder, newest first',
    load: async () => ({ run: (await mail()).runList }),
  },
  {
    name: 'read',
    summary: 'show a message (text, headers, source) or save its attachments',
    load: () => import('./read.js'),
  },
  {
    name: 'search',
    summary: 'search a folder on the server, or every folder (--all-folders)',
    load: async () => ({ run: (await mail()).runSearch }),
  },
  {
    name: 'flag',
    summary: 'set or clear flags (seen, flagged, answered, deleted, keywords)',
    load: async () => ({ run: (await mail()).runFlag }),
  },
  {
    name: 'move',
    summary: 'move messages to another folder',
    load: async () => ({ run: (await mail()).runMove }),
  },
  {
    name: 'copy',
    summary: 'copy messages to another folder',
    load: async () => ({ run: (await mail()).runCopy }),
  },
  {
    name: 'delete',
    summary: 'move messages to Trash (or mark them deleted)',
    load: async () => ({ run: (await mail()).runDelete }),
  },
  {
    name: 'expunge',
    summary: 'remove the messages marked deleted from a folder',
    load: async () => ({ run: (await mail()).runExpunge }),
  },
  {
    name: 'send',
    summary: 'send a message (body on stdin) or an .eml file',
    load: () => import('./send.js'),
  },
  {
    name: 'bounce',
    summary: 'send a message on unchanged to new recipients (Resent-*)',
    load: () => import('./bounce.js'),
  },
  {
    name: 'query',
    summary: 'print the addresses matching a text (address completion for scripts)',
    load: () => import('./query.js'),
  },
  {
    name: 'cache',
    summary: 'show the size of the local cache, or clear it',
    load: () => import('./cache.js'),
  },
  {
    name: 'outbox',
    summary: 'list, retry, edit or drop messages waiting to be sent',
    load: () => import('./outbox.js'),
  },
];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}
