/**
 * `tmail cache stats` and `tmail cache clear`: how large the local cache of
 * each account is (per folder: messages, bodies, attachments, bytes, last
 * sync), and emptying it. The cache is only a copy of what the server holds,
 * so clearing it loses nothing: it fills again as folders are opened.
 */
import { readdirSync } from 'node:fs';
import {
  cacheSettings,
  fileBytes,
  openAccountCache,
  removeStoreFiles,
  storeDir,
  storeFile,
  type CacheStats,
} from '../core/cache/index.js';
import { getAccount, loadConfig } from '../core/config/index.js';
import type { TmailConfig } from '../core/config/types.js';
import { isTmailError } from '../core/errors.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { cellWidth, padToWidth } from '../core/text/width.js';
import { COMMON_OPTIONS, parseCommandArgs } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { json, shortDate } from './output.js';

const USAGE = `Usage: tmail cache stats [--account NAME] [--json]
       tmail cache clear [--account NAME] [--json]

The local cache keeps what tmail has seen of each account (envelopes, flags, the
text of messages read, attachments opened) in $XDG_CACHE_HOME/tmail/mail/, so that
lists show at once, mail can be read offline and search --all-folders is fast.
  stats   its size per account and per folder: messages, bodies, attachments
  clear   empty it (every account, or the one named); it fills again from the server`;

/** The accounts to act on: the one named, else every configured one and every store file found. */
function accountsToUse(values: { account?: string }): {
  names: string[];
  config: TmailConfig | undefined;
} {
  let config: TmailConfig | undefined;
  try {
    config = loadConfig();
  } catch (error) {
    // Without a dotfile the stores on disk can still be shown and cleared.
    if (!isTmailError(error) || error.code !== 'CONFIG_MISSING' || values.account) throw error;
  }
  if (values.account) return { names: [getAccount(config!, values.account).name], config };
  const names = new Set(Object.keys(config?.accounts ?? {}));
  try {
    for (const file of readdirSync(storeDir()))
      if (file.endsWith('.sqlite3')) names.add(file.slice(0, -'.sqlite3'.length));
  } catch {
    // No cache folder yet: nothing cached.
  }
  return { names: [...names], config };
}

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(bytes / 1024)} KB`;
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The stats of one account's store, without making a store that is not there. */
function statsOf(name: string, config: TmailConfig | undefined, io: CliIo): CacheStats {
  const file = storeFile(name);
  const empty: CacheStats = {
    account: name,
    file,
    fileBytes: 0,
    messages: 0,
    bodies: 0,
    attachments: 0,
    folders: [],
  };
  if (fileBytes(file) === 0) return empty;
  const cache = openAccountCache(name, {
    file,
    // Enabled here whatever the setting says: stats reads what is on disk.
    settings: { ...cacheSettings(config, config?.accounts[name]), enabled: true },
    onNotice: (text) => io.stderr.write(`tmail: ${sanitizeLine(text)}\n`),
  });
  try {
    return cache.stats();
  } finally {
    cache.close();
  }
}

function printStats(io: CliIo, all: CacheStats[]): void {
  for (const s of all) {
    out(
      io,
      `${sanitizeLine(s.account)}: ${megabytes(s.fileBytes)} in ${s.file}; ${count(s.messages, 'message', 'messages')}, ${count(s.bodies, 'body', 'bodies')}, ${count(s.attachments, 'attachment', 'attachments')}`,
    );
    const names = s.folders.map((f) => sanitizeLine(f.path));
    const width = Math.max(6, ...names.map((n) => cellWidth(n)));
    s.folders.forEach((f, i) => {
      const synced = f.syncedAt === undefined ? '' : `  synced ${shortDate(f.syncedAt)}`;
      out(
        io,
        `  ${padToWidth(names[i]!, width)}  ${String(f.messages).padStart(8)} messages ${String(f.bodies).padStart(6)} bodies ${String(f.attachments).padStart(4)} attachments ${megabytes(f.bytes).padStart(9)}${synced}`,
      );
    });
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('cache', args, COMMON_OPTIONS);
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  const [action = 'stats', ...rest] = positionals;
  if (rest.length) throw usageError(`cache ${action} takes no more words; see tmail cache --help`);
  if (action !== 'stats' && action !== 'clear')
    throw usageError(`cache knows stats and clear, not "${action}"; see tmail cache --help`);
  const { names, config } = accountsToUse(values);
  if (action === 'stats') {
    const all = names.map((name) => statsOf(name, config, io));
    if (values.json) {
      json(
        io,
        all.map((s) => ({
          account: s.account,
          file: s.file,
          bytes: s.fileBytes,
          messages: s.messages,
          bodies: s.bodies,
          attachments: s.attachments,
          folders: s.folders.map((f) => ({
            path: f.path,
            messages: f.messages,
            bodies: f.bodies,
            attachments: f.attachments,
            bytes: f.bytes,
            syncedAt: f.syncedAt === undefined ? null : new Date(f.syncedAt).toISOString(),
          })),
        })),
      );
    } else if (all.length) {
      printStats(io, all);
    } else {
      io.stderr.write('tmail: nothing is cached.\n');
    }
    return 0;
  }
  const cleared: Array<{ account: string; bytes: number }> = [];
  for (const name of names) {
    const file = storeFile(name);
    const bytes = fileBytes(file);
    // A store another tmail is using is emptied through SQLite, so that it stays
    // a valid file under that tmail; files that cannot be opened are removed.
    if (bytes > 0) {
      const cache = openAccountCache(name, { file, settings: { enabled: true } });
      const usable = cache.available;
      if (usable) cache.clear();
      cache.close();
      if (!usable) removeStoreFiles(file);
    }
    cleared.push({ account: name, bytes });
  }
  if (values.json)
    json(
      io,
      cleared.map((c) => ({ account: c.account, freedBytes: c.bytes })),
    );
  else
    for (const c of cleared)
      out(io, `Cleared the cache of ${sanitizeLine(c.account)} (it held ${megabytes(c.bytes)}).`);
  return 0;
}
