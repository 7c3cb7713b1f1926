/**
 * The scriptable mail commands: folders, list, search, flag, move, copy,
 * delete, expunge. Each takes --account and --json, prints aligned text
 * otherwise, and exits non-zero with one sentence on failure.
 */
import type { MailEngine } from '../core/engine/engine.js';
import {
  leftMarkedSentence,
  notFoundSentence,
  plural,
  type ChangeOutcome,
} from '../core/engine/outcome.js';
import { sortKnownEnvelopes } from '../core/engine/threads.js';
import { serverSorts } from '../core/engine/backend.js';
import { TmailError } from '../core/errors.js';
import { formatSearch, parseSearch } from '../core/search-syntax.js';
import type { FolderView } from '../core/store/state.js';
import type { Envelope, Flag, SearchQuery, SortKey, SortOrder } from '../core/types.js';
import {
  COMMON_OPTIONS,
  parseCommandArgs,
  parseUids,
  positiveInt,
  type OptionSpec,
} from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { withMail } from './mail-session.js';
import { envelopeJson, folderJson, json, printEnvelopes, printFolders } from './output.js';

const USAGE = {
  folders: 'tmail folders [--account NAME] [--json]',
  list: 'tmail list [FOLDER | --folder F] [--limit N] [--page K] [--unread] [--sort date|arrival|from|subject|size] [--reverse] [--account NAME] [--json]',
  search:
    'tmail search QUERY... [--folder F | --all-folders] [--limit N] [--page K] [--account NAME] [--json]',
  flag: 'tmail flag UID... (--set FLAGS | --clear FLAGS) [--folder F] [--account NAME] [--json]',
  move: 'tmail move UID... --to FOLDER [--folder F] [--account NAME] [--json]',
  copy: 'tmail copy UID... --to FOLDER [--folder F] [--account NAME] [--json]',
  delete: 'tmail delete UID... [--folder F] [--account NAME] [--json]',
  expunge: 'tmail expunge [FOLDER] [--account NAME] [--json]',
} as const;

const DETAILS: Partial<Record<keyof typeof USAGE, string>> = {
  list: `Lists a folder (INBOX by default), newest first. --page counts from 1.
--sort orders by date, arrival, size (largest first) or from, subject (A to Z);
--reverse flips that order.`,
  search: `QUERY: from:NAME to:NAME cc:NAME subject:WORDS body:WORDS since:2026-01-31 before:7d
is:unread|read|flagged|answered|deleted not:flagged …, and plain words (anywhere).
Quote values with spaces: subject:"release notes".
--all-folders searches every folder, newest first, each result naming its folder: the
local cache answers for what it holds, the server for the rest; without a connection,
the cache alone (one line on stderr says so).`,
  flag: `FLAGS: comma-separated seen, answered, flagged, deleted, draft, or an IMAP keyword
written $Name or keyword:NAME (such as $Forwarded). UIDs: 12 or 12,14 or 10:20.`,
  delete: 'Moves the messages to Trash; in Trash (or with deleteMode "mark") marks them \\Deleted.',
  expunge: 'Removes the messages marked \\Deleted from the folder for good.',
};

function help(io: CliIo, command: keyof typeof USAGE): number {
  out(io, `Usage: ${USAGE[command]}`);
  if (DETAILS[command]) out(io, `\n${DETAILS[command]}`);
  return 0;
}

function parse<O extends OptionSpec>(command: keyof typeof USAGE, args: string[], options: O) {
  return parseCommandArgs(command, args, { ...COMMON_OPTIONS, ...options });
}

/** Waits until the engine has the envelopes of rows [first, last] of the view. */
export async function envelopesForRows(
  engine: MailEngine,
  first: number,
  last: number,
): Promise<Envelope[]> {
  const view = engine.state.view;
  if (!view || view.total === 0 || first >= view.total) return [];
  await engine.request({
    type: 'viewport',
    first,
    last: Math.min(last, view.total - 1),
    margin: 0,
  });
  await engine.idle();
  const current = engine.state.view as FolderView;
  return current.uids
    .slice(first, last + 1)
    .map((uid) => current.envelopes.get(uid))
    .filter((e): e is Envelope => Boolean(e));
}

const SORT_KEYS: readonly SortKey[] = ['date', 'arrival', 'from', 'subject', 'size'];
const SORT_NAMES: Record<SortKey, string> = {
  date: 'date',
  arrival: 'arrival',
  from: 'sender',
  subject: 'subject',
  size: 'size',
};

/** Natural orders: newest and largest first; names and subjects A to Z. */
function sortOrder(key: string | undefined, reverse: boolean | undefined): SortOrder {
  const k = (key ?? 'arrival') as SortKey;
  if (!SORT_KEYS.includes(k))
    throw usageError(`--sort takes ${SORT_KEYS.join(', ')}, not "${key}"`);
  const descending = k === 'date' || k === 'arrival' || k === 'size';
  return { key: k, reverse: reverse ? !descending : descending };
}

async function listPage(
  io: CliIo,
  values: { account?: string; json?: boolean },
  folder: string,
  options: { limit: number; page: number; sort: SortOrder; search: SearchQuery | null },
): Promise<number> {
  const first = (options.page - 1) * options.limit;
  const last = first + options.limit - 1;
  const { rows, total, sortedHere, notCached } = await withMail(
    io,
    values.account,
    async (engine) => {
      // Without SORT the server gives only arrival order. Sorting the whole folder
      // here would fetch every envelope (all of a 100,000-message INBOX to print
      // 50), so the page is taken by arrival and sorted here: the work is the page.
      // Offline, the page comes from the local cache, which sorts by any key itself.
      const online = engine.state.connection.status === 'online';
      const sortedHere =
        online &&
        options.sort.key !== 'arrival' &&
        !serverSorts(engine.capabilities, options.sort.key);
      const order: SortOrder = sortedHere
        ? { key: 'arrival', reverse: options.sort.key === 'date' ? options.sort.reverse : true }
        : options.sort;
      // Page 1 in the default order comes straight from the newest sequence numbers,
      // and needs no UID list at all.
      const newest = first === 0 && !options.search && order.key === 'arrival' && order.reverse;
      await engine.request({
        type: 'open-folder',
        path: folder,
        sort: order,
        search: options.search,
        rows: first === 0 ? options.limit : 0,
        list: !newest,
      });
      const page = await envelopesForRows(engine, first, last);
      const byUid = new Map(page.map((e) => [e.uid, e]));
      // Offline the list has every message of the folder (the cache keeps its UID
      // list), but only the envelopes it fetched once: the others cannot be printed.
      const listed = engine.state.view?.uids.slice(first, last + 1).length ?? 0;
      const notCached = engine.state.connection.status === 'online' ? 0 : listed - page.length;
      if (notCached && !page.length)
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Messages ${first + 1} to ${first + notCached} of ${folder} are not in the local cache, and the server cannot be reached now.`,
        );
      return {
        notCached,
        rows: sortedHere
          ? sortKnownEnvelopes(
              page.map((e) => e.uid),
              byUid,
              options.sort,
            ).map((uid) => byUid.get(uid)!)
          : page,
        total: engine.state.view?.total ?? 0,
        sortedHere: sortedHere ? order : null,
      };
    },
    { fromCache: true },
  );
  // A page that holds the whole folder is sorted exactly: nothing to say then.
  if (sortedHere && rows.length && !(first === 0 && rows.length >= total)) {
    const which = sortedHere.reverse ? 'newest' : 'oldest';
    const span =
      first === 0
        ? `the ${rows.length} ${which} messages are`
        : `messages ${first + 1} to ${first + rows.length} by arrival (${which} first) are`;
    io.stderr.write(
      `tmail: This server cannot sort, so ${span} sorted here by ${SORT_NAMES[options.sort.key]}.\n`,
    );
  }
  if (values.json) {
    json(io, {
      folder,
      total,
      page: options.page,
      limit: options.limit,
      ...(options.search ? { query: formatSearch(options.search) } : {}),
      messages: rows.map(envelopeJson),
      // Offline: rows of the page the local cache lists but holds no envelope of.
      ...(notCached ? { notCached } : {}),
    });
  } else if (rows.length) {
    printEnvelopes(io, rows, (io.stdout as { columns?: number }).columns ?? 120);
  } else {
    io.stderr.write(
      total
        ? `tmail: page ${options.page} is past the end (${total} messages).\n`
        : 'tmail: no messages.\n',
    );
  }
  return 0;
}

export async function runFolders(args: string[], io: CliIo): Promise<number> {
  const { values } = parse('folders', args, {});
  if (values.help) return help(io, 'folders');
  const folders = await withMail(io, values.account, (engine) =>
    engine.request({ type: 'refresh-folders' }),
  );
  if (values.json) json(io, folders.map(folderJson));
  else printFolders(io, folders);
  return 0;
}

export async function runList(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('list', args, {
    limit: { type: 'string', short: 'n' },
    page: { type: 'string', short: 'p' },
    unread: { type: 'boolean', short: 'u' },
    sort: { type: 'string' },
    reverse: { type: 'boolean', short: 'r' },
    // As the other commands take it, and as `tmail --folder F list` passes it.
    folder: { type: 'string', short: 'f' },
  });
  if (values.help) return help(io, 'list');
  const folders = [...positionals, ...(values.folder === undefined ? [] : [values.folder])];
  if (folders.length > 1) throw usageError(`list takes one folder, not ${folders.length}`);
  return listPage(io, values, folders[0] ?? 'INBOX', {
    limit: positiveInt('limit', values.limit, 50),
    page: positiveInt('page', values.page, 1),
    sort: sortOrder(values.sort, values.reverse),
    search: values.unread ? { unflagged: ['\\Seen'] } : null,
  });
}

export async function runSearch(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('search', args, {
    folder: { type: 'string', short: 'f' },
    limit: { type: 'string', short: 'n' },
    page: { type: 'string', short: 'p' },
    'all-folders': { type: 'boolean' },
  });
  if (values.help) return help(io, 'search');
  if (!positionals.length)
    throw usageError('search needs a query, e.g. tmail search from:ada is:unread');
  if (values['all-folders']) {
    if (values.folder !== undefined)
      throw usageError('search takes --folder or --all-folders, not both');
    const { searchAllFolders } = await import('./search-all.js');
    return searchAllFolders(io, values, parseSearch(positionals.join(' ')), {
      limit: positiveInt('limit', values.limit, 50),
      page: positiveInt('page', values.page, 1),
    });
  }
  return listPage(io, values, values.folder ?? 'INBOX', {
    limit: positiveInt('limit', values.limit, 50),
    page: positiveInt('page', values.page, 1),
    sort: sortOrder(undefined, false),
    search: parseSearch(positionals.join(' ')),
  });
}

const FLAG_NAMES: Record<string, Flag> = {
  seen: '\\Seen',
  read: '\\Seen',
  answered: '\\Answered',
  replied: '\\Answered',
  flagged: '\\Flagged',
  deleted: '\\Deleted',
  draft: '\\Draft',
};

/**
 * `seen,flagged,$Forwarded,keyword:Work` -> IMAP flags. A keyword is named
 * explicitly (`$Name` or `keyword:NAME`): a mistyped flag name must not
 * silently become a new keyword on the server.
 */
export function parseFlags(value: string | undefined, option: string): Flag[] {
  if (!value) return [];
  return value.split(',').map((word) => {
    const name = word.trim();
    const system = FLAG_NAMES[name.toLowerCase().replace(/^\\/, '')];
    if (system) return system;
    const keyword = /^keyword:(.*)$/i.exec(name)?.[1] ?? (name.startsWith('$') ? name : null);
    if (keyword !== null) {
      // An IMAP atom that is not a system flag (RFC 3501 flag-keyword).
      if (/^\$?[A-Za-z0-9_.-]+$/.test(keyword)) return keyword;
      throw usageError(
        `--${option}: "${name}" is not a keyword tmail can set (letters, digits, $ . _ - only)`,
      );
    }
    throw usageError(
      `--${option}: "${name}" is not a known flag (seen, answered, flagged, deleted, draft); give a keyword as keyword:${name} or $${name}`,
    );
  });
}

/**
 * Prints what a change did: the text (or JSON) on stdout, the UIDs the folder
 * does not hold and messages left marked \Deleted on stderr. Exit code 1 when
 * none of the UIDs was there: IMAP would have ignored them silently.
 */
function report(
  io: CliIo,
  values: { json?: boolean },
  folder: string,
  outcome: ChangeOutcome & { leftMarked?: number[]; to?: string },
  payload: Record<string, unknown>,
  text: string,
): number {
  if (values.json) json(io, { uids: outcome.done, ...payload, notFound: outcome.notFound });
  else if (outcome.done.length && text) out(io, text);
  const notes = [
    outcome.leftMarked && outcome.to
      ? leftMarkedSentence(outcome.leftMarked, folder, outcome.to)
      : '',
    notFoundSentence(outcome.notFound, folder),
  ].filter(Boolean);
  for (const note of notes) io.stderr.write(`tmail: ${note}\n`);
  return outcome.done.length || !outcome.notFound.length ? 0 : 1;
}

async function onMessages<T>(
  io: CliIo,
  values: { account?: string; folder?: string },
  run: (engine: MailEngine) => Promise<T>,
): Promise<T> {
  return withMail(io, values.account, async (engine) => {
    await engine.request({
      type: 'open-folder',
      path: values.folder ?? 'INBOX',
      rows: 0,
      list: false,
    });
    return run(engine);
  });
}

export async function runFlag(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('flag', args, {
    set: { type: 'string', short: 's' },
    clear: { type: 'string', short: 'c' },
    folder: { type: 'string', short: 'f' },
  });
  if (values.help) return help(io, 'flag');
  const uids = parseUids(positionals);
  const add = parseFlags(values.set, 'set');
  const remove = parseFlags(values.clear, 'clear');
  if (!uids.length) throw usageError('flag needs at least one UID');
  if (!add.length && !remove.length) throw usageError('flag needs --set or --clear');
  const folder = values.folder ?? 'INBOX';
  const outcome = await onMessages(io, values, (engine) =>
    engine.request({ type: 'set-flags', uids, add, remove, undoable: false }),
  );
  return report(
    io,
    values,
    folder,
    outcome,
    { set: add, cleared: remove },
    `Changed flags of ${plural(outcome.done.length, 'message')}.`,
  );
}

async function transfer(kind: 'move' | 'copy', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(kind, args, {
    to: { type: 'string', short: 't' },
    folder: { type: 'string', short: 'f' },
  });
  if (values.help) return help(io, kind);
  const uids = parseUids(positionals);
  if (!uids.length) throw usageError(`${kind} needs at least one UID`);
  if (!values.to) throw usageError(`${kind} needs --to FOLDER`);
  const to = values.to;
  const folder = values.folder ?? 'INBOX';
  const outcome: ChangeOutcome & { leftMarked?: number[]; to: string } = await onMessages(
    io,
    values,
    (engine) => engine.request({ type: kind, uids, to }),
  );
  // Left marked \Deleted: copied, but not moved out (the note on stderr says so).
  const moved = outcome.done.length - (outcome.leftMarked?.length ?? 0);
  const text =
    kind === 'copy'
      ? `Copied ${plural(outcome.done.length, 'message')} to ${to}.`
      : moved
        ? `Moved ${plural(moved, 'message')} to ${to}.`
        : '';
  return report(
    io,
    { json: values.json },
    folder,
    outcome,
    kind === 'move'
      ? { to, moved, leftMarked: outcome.leftMarked ?? [] }
      : { to, copied: outcome.done.length },
    text,
  );
}

export const runMove = (args: string[], io: CliIo) => transfer('move', args, io);
export const runCopy = (args: string[], io: CliIo) => transfer('copy', args, io);

export async function runDelete(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('delete', args, { folder: { type: 'string', short: 'f' } });
  if (values.help) return help(io, 'delete');
  const uids = parseUids(positionals);
  if (!uids.length) throw usageError('delete needs at least one UID');
  const folder = values.folder ?? 'INBOX';
  const result = await onMessages(io, values, async (engine) => {
    // Roles come from the folder list: read it so "is this Trash?" can be answered.
    await engine.request({ type: 'refresh-folders', counts: false });
    return engine.request({ type: 'delete', uids });
  });
  const leftMarked = result.moved ? result.leftMarked : [];
  const moved = result.done.length - leftMarked.length;
  const text = !result.moved
    ? `Marked ${plural(result.done.length, 'message')} deleted; tmail expunge removes them.`
    : moved
      ? `Moved ${plural(moved, 'message')} to ${result.to}.`
      : '';
  return report(
    io,
    values,
    folder,
    result,
    { movedToTrash: result.moved, markedDeleted: !result.moved, leftMarked },
    text,
  );
}

export async function runExpunge(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('expunge', args, {});
  if (values.help) return help(io, 'expunge');
  if (positionals.length > 1) throw usageError('expunge takes one folder');
  const folder = positionals[0] ?? 'INBOX';
  const { count } = (await onMessages(io, { ...values, folder }, (engine) =>
    engine.request({ type: 'expunge' }),
  )) as {
    count: number;
  };
  if (values.json) json(io, { folder, expunged: count });
  else out(io, `Expunged ${count} message${count === 1 ? '' : 's'} from ${folder}.`);
  return 0;
}
