/**
 * The `:` command line: `:q`, `:folder NAME`, `:sort date reverse`, `:thread`,
 * `:search …`, `:expunge`, `:mkdir NAME` and friends, and any command id of
 * the keymap (`:list.last`). Words are split on spaces; quotes keep a name
 * with spaces together.
 */
import { COMMANDS } from '../keymap/index.js';
import { DELETED, FLAGGED, SEEN, type SortKey } from '../core/types.js';
import { completeAccount, foldAccount, showAccount } from './accounts.js';
import { completeFolder, pathCompleter } from './completion.js';
import { nearestName } from './nearest.js';
import { foldThreads, goUnread, tagAll, tagPattern, untagAll } from './moving.js';
import type { CommandContext, Completer } from './context.js';
import {
  expungeAsking,
  HANDLERS,
  login,
  moveOrCopyTo,
  openFolder,
  quitAsking,
  reported,
  runCommand,
  runSearch,
} from './handlers.js';
import { openLink, pipeMessages, saveMessages, showLinks, showRaw } from './message-file.js';
import { runSearchAll } from './search-all.js';

interface LineCommand {
  names: string[];
  usage: string;
  summary: string;
  /** Completes the last argument: folder names, account names, file paths (the whole rest), or fixed words. */
  complete?: 'folder' | 'account' | 'path' | readonly string[];
  run(ctx: CommandContext, args: string[], rest: string): Promise<void> | void;
}

const SORT_KEYS: readonly SortKey[] = ['date', 'arrival', 'from', 'subject', 'size'];

function onOff(word: string | undefined, current: boolean): boolean | null {
  if (word === undefined || word === 'toggle') return !current;
  if (['on', 'yes', 'true', '1'].includes(word)) return true;
  if (['off', 'no', 'false', '0'].includes(word)) return false;
  return null;
}

function needFolder(ctx: CommandContext, args: string[], usage: string): string | null {
  const path = args.join(' ').trim();
  if (!path) {
    ctx.ui.notify('error', `Usage: ${usage}`);
    return null;
  }
  return path;
}

/** The `:` commands, in the order `:help` would list them. */
export const LINE_COMMANDS: readonly LineCommand[] = [
  {
    names: ['quit', 'q'],
    usage: ':quit',
    summary: 'Quit (asks when changes are waiting)',
    run: quitAsking,
  },
  {
    names: ['quit!', 'q!'],
    usage: ':quit!',
    summary: 'Quit without asking',
    run: (ctx) => ctx.ui.quit(),
  },
  {
    names: ['folder', 'cd', 'cf', 'open'],
    usage: ':folder NAME',
    summary: 'Open a folder',
    complete: 'folder',
    run: async (ctx, args) => {
      const path = needFolder(ctx, args, ':folder NAME');
      if (path) await openFolder(ctx, path, { search: null });
    },
  },
  {
    names: ['account', 'acc'],
    usage: ':account NAME',
    summary: 'Show another account (Tab completes names; its connection opens the first time)',
    complete: 'account',
    run: (ctx, _args, rest) => showAccount(ctx, rest),
  },
  {
    names: ['fold-account'],
    usage: ':fold-account [NAME]',
    summary: "Fold or unfold an account's folders in the sidebar (the shown one by default)",
    complete: 'account',
    run: (ctx, _args, rest) => foldAccount(ctx, rest),
  },
  {
    names: ['sort'],
    usage: ':sort date|arrival|from|subject|size [reverse]',
    summary: 'Sort the list',
    complete: SORT_KEYS,
    run: async (ctx, args) => {
      const view = ctx.engine.state.view;
      const key = args[0] as SortKey | undefined;
      if (!view || !key || !SORT_KEYS.includes(key)) {
        ctx.ui.notify('error', 'Usage: :sort date|arrival|from|subject|size [reverse]');
        return;
      }
      // Newest (and largest) first is what a mail list means unless asked otherwise;
      // names and subjects read A to Z. `reverse` flips that; asc/desc say it outright.
      const natural = key === 'date' || key === 'arrival' || key === 'size';
      const flag = args[1];
      const reverse =
        flag === 'desc' ? true : flag === 'asc' ? false : flag === 'reverse' ? !natural : natural;
      const sort = { key, reverse };
      await openFolder(ctx, view.path, { sort, threaded: false, search: view.search });
    },
  },
  {
    names: ['thread', 'threads'],
    usage: ':thread [on|off]',
    summary: 'Show conversations as threads',
    complete: ['on', 'off'],
    run: async (ctx, args) => {
      const view = ctx.engine.state.view;
      if (!view) return;
      const threaded = onOff(args[0], view.threaded);
      if (threaded === null) {
        ctx.ui.notify('error', 'Usage: :thread [on|off]');
        return;
      }
      await openFolder(ctx, view.path, { threaded, search: view.search });
    },
  },
  ...(
    [
      ['fold', 'fold', false, 'Fold the thread under the cursor into one row'],
      ['unfold', 'unfold', false, 'Unfold the thread under the cursor'],
      ['fold-all', 'fold', true, 'Fold every thread'],
      ['unfold-all', 'unfold', true, 'Unfold every thread'],
    ] as const
  ).map(([name, mode, all, summary]): LineCommand => ({
    names: [name],
    usage: `:${name}`,
    summary,
    run: (ctx) => foldThreads(ctx, mode, all),
  })),
  {
    names: ['search', 'find'],
    usage: ':search [-a] [from:X to:X subject:X body:X is:unread WORDS]',
    summary:
      'Search the folder (nothing: all of it again); -a: every folder (nothing: last results)',
    complete: ['-a'],
    run: (ctx, _args, rest) => {
      const all = /^(?:-a|--all)(?:\s+|$)/.exec(rest);
      if (all) return runSearchAll(ctx, rest.slice(all[0].length));
      return runSearch(ctx, rest);
    },
  },
  {
    names: ['next-unread'],
    usage: ':next-unread',
    summary: 'Go to the next unread message of the folder, wrapping to the top once',
    run: (ctx) => goUnread(ctx, 1),
  },
  {
    names: ['prev-unread'],
    usage: ':prev-unread',
    summary: 'Go to the previous unread message, wrapping to the bottom once',
    run: (ctx) => goUnread(ctx, -1),
  },
  {
    names: ['tag-pattern'],
    usage: ':tag-pattern QUERY',
    summary: 'Tag every message matching QUERY (the search syntax), loaded or not',
    run: (ctx, _args, rest) => tagPattern(ctx, rest.trim() || undefined),
  },
  {
    names: ['tag-all'],
    usage: ':tag-all',
    summary: 'Tag every message of the list',
    run: tagAll,
  },
  {
    names: ['untag-all'],
    usage: ':untag-all',
    summary: 'Untag every message',
    run: untagAll,
  },
  {
    names: ['forward'],
    usage: ':forward [-A]',
    summary: 'Forward the message; -A attaches the whole message instead of quoting it',
    complete: ['-A'],
    run: (ctx, args) =>
      runCommand(args.includes('-A') ? 'mail.forward-attached' : 'mail.forward', ctx),
  },
  {
    names: ['reply-list'],
    usage: ':reply-list',
    summary: 'Reply to the mailing list the message came through (List-Post)',
    run: (ctx) => runCommand('mail.reply-list', ctx),
  },
  {
    names: ['bounce', 'redirect'],
    usage: ':bounce ADDRESS',
    summary: 'Send the message on unchanged to ADDRESS (Resent-* headers; no Sent copy)',
    run: async (ctx, _args, rest) => {
      if (!ctx.composer) ctx.ui.notify('error', 'Sending mail is not available here.');
      else await ctx.composer.bounce(rest.trim() || undefined);
    },
  },
  {
    names: ['from'],
    usage: ':from [ADDRESS]',
    summary: 'Send the message being written from another of your identities',
    run: async (ctx, _args, rest) => {
      if (!ctx.composer) ctx.ui.notify('error', 'Writing mail is not available here.');
      else await ctx.composer.setFrom(rest.trim() || undefined);
    },
  },
  {
    names: ['recall'],
    usage: ':recall',
    summary: 'Take up the selected postponed message (in Drafts) again',
    run: (ctx) => runCommand('mail.recall', ctx),
  },
  {
    names: ['expunge'],
    usage: ':expunge',
    summary: 'Remove the messages marked deleted (asks first)',
    run: expungeAsking,
  },
  {
    names: ['mkdir', 'create'],
    usage: ':mkdir NAME',
    summary: 'Create a folder',
    run: async (ctx, args) => {
      const path = needFolder(ctx, args, ':mkdir NAME');
      if (!path) return;
      if (reported(ctx, await ctx.engine.dispatch({ type: 'create-folder', path })))
        ctx.ui.notify('info', `Created ${path}.`);
    },
  },
  {
    names: ['rmdir'],
    usage: ':rmdir NAME',
    summary: 'Delete a folder and its mail (asks first)',
    complete: 'folder',
    run: async (ctx, args) => {
      const path = needFolder(ctx, args, ':rmdir NAME');
      if (!path) return;
      if (!(await ctx.ui.confirm(`Delete the folder ${path} and all its mail? (y/n)`))) return;
      const result = await ctx.engine.dispatch({ type: 'delete-folder', path });
      if (reported(ctx, result))
        ctx.ui.notify('info', result.value.notice ?? `Deleted the folder ${path}.`);
    },
  },
  {
    names: ['rename'],
    usage: ':rename OLD NEW',
    summary: 'Rename a folder',
    complete: 'folder',
    run: async (ctx, args) => {
      if (args.length !== 2) {
        ctx.ui.notify('error', 'Usage: :rename OLD NEW (quote names with spaces)');
        return;
      }
      const [path, to] = args as [string, string];
      if (reported(ctx, await ctx.engine.dispatch({ type: 'rename-folder', path, to })))
        ctx.ui.notify('info', `Renamed ${path} to ${to}.`);
    },
  },
  {
    names: ['move', 'mv'],
    usage: ':move FOLDER',
    summary: 'Move the message (or the tagged ones) to a folder',
    complete: 'folder',
    run: async (ctx, args) => {
      const to = needFolder(ctx, args, ':move FOLDER');
      if (to) await moveOrCopyTo(ctx, 'move', to);
    },
  },
  {
    names: ['copy', 'cp'],
    usage: ':copy FOLDER',
    summary: 'Copy the message (or the tagged ones) to a folder',
    complete: 'folder',
    run: async (ctx, args) => {
      const to = needFolder(ctx, args, ':copy FOLDER');
      if (to) await moveOrCopyTo(ctx, 'copy', to);
    },
  },
  {
    names: ['pipe'],
    usage: ':pipe COMMAND',
    summary: 'Pipe the message (tagged ones: as one mbox) to a shell command, e.g. git am',
    run: async (ctx, _args, rest) => {
      if (!rest.trim()) ctx.ui.notify('error', 'Usage: :pipe COMMAND, for example :pipe git am');
      else await pipeMessages(ctx, rest);
    },
  },
  {
    names: ['save'],
    usage: ':save PATH',
    summary: 'Save the message as PATH (.eml), or append to PATH when it is an mbox',
    complete: 'path',
    run: async (ctx, _args, rest) => {
      if (!rest.trim())
        ctx.ui.notify('error', 'Usage: :save PATH (Tab completes; NAME.mbox appends)');
      else await saveMessages(ctx, rest);
    },
  },
  {
    names: ['raw'],
    usage: ':raw',
    summary: 'Show the raw source of the message (q goes back)',
    run: showRaw,
  },
  {
    names: ['links'],
    usage: ':links',
    summary: 'List the links of the message being read',
    run: showLinks,
  },
  {
    names: ['open-link'],
    usage: ':open-link [N]',
    summary: 'Open link N with $BROWSER (else xdg-open or open); a mailto: link starts a message',
    run: (ctx, _args, rest) => openLink(ctx, rest.trim() || undefined),
  },
  ...(
    [
      ['flag', FLAGGED, true, 'Flag the message'],
      ['unflag', FLAGGED, false, 'Remove the flag'],
      ['read', SEEN, true, 'Mark the message read'],
      ['unread', SEEN, false, 'Mark the message unread'],
      ['delete-mark', DELETED, true, 'Mark the message deleted without moving it'],
      ['undelete', DELETED, false, 'Remove the deleted mark'],
    ] as const
  ).map(([name, flag, add, summary]): LineCommand => ({
    names: [name],
    usage: `:${name}`,
    summary,
    run: async (ctx) => {
      const uids = ctx.ui.targets();
      if (!uids.length) return;
      const change = add ? { add: [flag] } : { remove: [flag] };
      if (reported(ctx, await ctx.engine.dispatch({ type: 'set-flags', uids, ...change })))
        ctx.ui.clearTags();
    },
  })),
  {
    names: ['layout'],
    usage: ':layout split|full',
    summary: 'Show list and message together, or one at a time',
    complete: ['split', 'full'],
    run: (ctx, args) => {
      const layout = args[0];
      if (layout !== 'split' && layout !== 'full' && layout !== undefined) {
        ctx.ui.notify('error', 'Usage: :layout split|full');
        return;
      }
      ctx.ui.setLayout(layout ?? 'toggle');
    },
  },
  {
    names: ['sidebar'],
    usage: ':sidebar [on|off]',
    summary: 'Show or hide the folder sidebar',
    complete: ['on', 'off'],
    run: (ctx, args) => {
      const word = args[0];
      if (word === undefined) ctx.ui.setSidebar('toggle');
      else ctx.ui.setSidebar(onOff(word, false) ?? 'toggle');
    },
  },
  {
    names: ['reconnect', 'refresh'],
    usage: ':reconnect',
    summary: 'Check for new mail now, reconnecting when offline',
    run: (ctx) => runCommand('global.refresh', ctx),
  },
  {
    names: ['login'],
    usage: ':login [--device]',
    summary: 'Sign in again (OAuth2) and reconnect; --device: with a code, no browser',
    complete: ['--device'],
    run: (ctx, args) => login(ctx, args.includes('--device')),
  },
  {
    names: ['messages', 'mes'],
    usage: ':messages',
    summary: 'Show every notice of this run, whole (Esc or q goes back)',
    run: (ctx) => ctx.ui.showMessages(),
  },
  {
    names: ['help', 'h'],
    usage: ':help',
    summary: 'Show the keys',
    run: (ctx) => ctx.ui.showHelp(),
  },
];

/** Splits a command line into words; "double quotes" keep spaces. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"?|(\S+)/g)) out.push(match[1] ?? match[2]!);
  return out;
}

function findLineCommand(name: string): LineCommand | undefined {
  return LINE_COMMANDS.find((c) => c.names.includes(name));
}

/** Runs one `:` line; unknown commands become a notice. */
export async function runCommandLine(ctx: CommandContext, line: string): Promise<void> {
  const trimmed = line.trim().replace(/^:/, '');
  const name = /^\S+/.exec(trimmed)?.[0] ?? '';
  const rest = trimmed.slice(name.length).trim();
  const command = findLineCommand(name.toLowerCase());
  if (command) {
    await command.run(ctx, splitWords(rest), rest);
    return;
  }
  if (HANDLERS[name] && !name.startsWith('prompt.')) {
    await runCommand(name, ctx);
    return;
  }
  ctx.ui.notify('error', unknownCommandSentence(name));
}

/** Every name a `:` line takes: the commands' names and aliases, then the keymap's ids. */
function lineCommandNames(): string[] {
  return [
    ...LINE_COMMANDS.flatMap((c) => c.names),
    ...Object.keys(HANDLERS).filter((id) => !id.startsWith('prompt.')),
  ];
}

/** One sentence for a `:` name that is no command, naming the nearest one when it is a slip. */
export function unknownCommandSentence(name: string): string {
  const near = nearestName(name, lineCommandNames());
  return near
    ? `There is no command :${name}; did you mean :${near}?`
    : `There is no command :${name}; :help lists the keys and commands.`;
}

/** Tab completion for the command line: command names, then each command's arguments. */
export function commandLineCompleter(ctx: CommandContext): Completer {
  return (input) => {
    const match = /^(\S*)(\s+)(.*)$/.exec(input);
    if (!match) {
      const names = [
        ...LINE_COMMANDS.map((c) => c.names[0]!),
        ...COMMANDS.filter((c) => !c.id.startsWith('prompt.')).map((c) => c.id),
      ];
      return names.filter((n) => n.startsWith(input.toLowerCase()));
    }
    const [, name, , rest] = match as unknown as [string, string, string, string];
    const command = findLineCommand(name.toLowerCase());
    if (!command?.complete) return [];
    const head = `${name} `;
    if (command.complete === 'path') {
      const paths = pathCompleter(ctx.home)(rest) as string[];
      return paths.map((path) => `${head}${path}`);
    }
    if (command.complete === 'folder') {
      return completeFolder(rest.replace(/^"/, ''), ctx.engine.state.folders).map((path) =>
        /\s/.test(path) ? `${head}"${path}"` : `${head}${path}`,
      );
    }
    if (command.complete === 'account') {
      const names = ctx.accounts?.names() ?? [ctx.engine.account.name];
      return completeAccount(rest, names).map((n) => `${head}${n}`);
    }
    const words = splitWords(rest);
    const last = rest.endsWith(' ') || !words.length ? '' : words.pop()!;
    const before = words.length ? `${words.join(' ')} ` : '';
    return command.complete.filter((w) => w.startsWith(last)).map((w) => `${head}${before}${w}`);
  };
}

/** The `:` commands for the help screen: usage and summary. */
export function lineCommandHelp(): Array<{ usage: string; summary: string }> {
  return LINE_COMMANDS.map((c) => ({ usage: c.usage, summary: c.summary }));
}
