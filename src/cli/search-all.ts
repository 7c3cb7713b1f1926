/**
 * `tmail search QUERY --all-folders`: every folder at once. The local cache's
 * index answers for what it holds (core/search-all.ts decides how far), the
 * server is asked, folder by folder, for the rest, and the results come newest
 * first, each naming its folder. When the server cannot be reached, the cache
 * answers alone, and one line on stderr says so and as of when.
 */
import { cacheSettings, openAccountCache, type SearchHit } from '../core/cache/index.js';
import type { MailEngine } from '../core/engine/engine.js';
import { toTmailError, type ErrorCode } from '../core/errors.js';
import { formatSearch } from '../core/search-syntax.js';
import { mergeHits, planFolder, type FolderPlan } from '../core/search-all.js';
import { promptSecret } from '../core/secrets/index.js';
import { openSession } from '../core/session.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import type { SearchQuery } from '../core/types.js';
import type { CliIo } from './io.js';
import { envelopesForRows } from './mail-commands.js';
import { envelopeJson, json, printHits, shortDate } from './output.js';

/** Failures that mean the server is out of reach (not refused): the cache may answer then. */
const UNREACHABLE: ReadonlySet<ErrorCode> = new Set([
  'HOST_UNKNOWN',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'CONNECTION_LOST',
  'OFFLINE',
]);

interface ServerAnswer {
  uidValidity: string;
  hits: SearchHit[];
}

/** The server's newest `wanted` matches in one folder (SELECT, UID SEARCH, envelopes of those rows only). */
async function searchOnServer(
  engine: MailEngine,
  plan: FolderPlan,
  query: SearchQuery,
  wanted: number,
): Promise<ServerAnswer> {
  await engine.request({
    type: 'open-folder',
    path: plan.path,
    sort: { key: 'arrival', reverse: true },
    search: plan.server === 'newer' ? { ...query, uidsFrom: plan.uidsFrom } : query,
    rows: 0,
  });
  const view = engine.state.view;
  if (!view) return { uidValidity: '', hits: [] };
  const envelopes = await envelopesForRows(engine, 0, wanted - 1);
  return {
    uidValidity: view.uidValidity,
    hits: envelopes.map((envelope) => ({ path: plan.path, envelope })),
  };
}

/** Runs the search and prints one page of it; resolves to the exit code. */
export async function searchAllFolders(
  io: CliIo,
  values: { account?: string; json?: boolean },
  query: SearchQuery,
  options: { limit: number; page: number },
): Promise<number> {
  const session = openSession({
    account: values.account,
    prompt: (question) => promptSecret(question, { input: io.stdin, output: io.stderr }),
  });
  const { engine, account } = session;
  const cache = openAccountCache(account, {
    settings: cacheSettings(session.config, account),
    onNotice: (text) => io.stderr.write(`tmail: ${sanitizeLine(text)}\n`),
  });
  const wanted = options.page * options.limit;
  let hits: SearchHit[];
  let fromCache: { asOf: number | null } | null = null;
  /** Folders the server searched whole, and for messages newer than the cache only. */
  const searched = { wholeFolders: 0, newerFolders: 0 };
  try {
    let reachable = true;
    try {
      await engine.start({ retry: false, folders: false });
    } catch (error) {
      const e = toTmailError(error);
      if (!UNREACHABLE.has(e.code) || !cache.folders().length) throw e;
      reachable = false;
      const synced = cache.folders().flatMap((f) => (f.syncedAt === undefined ? [] : [f.syncedAt]));
      fromCache = { asOf: synced.length ? Math.max(...synced) : null };
      io.stderr.write(
        `tmail: ${sanitizeLine(e.userMessage).replace(/\.$/, '')}; these answers are from the local cache${
          fromCache.asOf === null ? '' : ` as of ${shortDate(fromCache.asOf)}`
        }.\n`,
      );
    }
    if (!reachable) {
      hits = cache.search(query, { limit: wanted });
    } else {
      const folders = (await engine.request({ type: 'refresh-folders', counts: false })).filter(
        (f) => f.selectable,
      );
      const server: SearchHit[] = [];
      const whole = new Set<string>();
      const cachedFolders: string[] = [];
      for (const folder of folders) {
        let plan = planFolder(folder.path, cache.folderState(folder.path), query);
        let answer: ServerAnswer;
        try {
          answer = await searchOnServer(engine, plan, query, wanted);
          if (plan.server === 'newer' && answer.uidValidity !== plan.uidValidity) {
            // Rebuilt on the server since it was cached: the cache says nothing of it now.
            cache.applyFolderState({ path: folder.path, uidValidity: answer.uidValidity });
            plan = { path: folder.path, server: 'all' };
            answer = await searchOnServer(engine, plan, query, wanted);
          }
        } catch (error) {
          io.stderr.write(
            `tmail: ${sanitizeLine(folder.path)} was not searched: ${sanitizeLine(toTmailError(error).userMessage)}\n`,
          );
          continue;
        }
        if (plan.server === 'all') whole.add(folder.path);
        else cachedFolders.push(folder.path);
        searched[plan.server === 'all' ? 'wholeFolders' : 'newerFolders'] += 1;
        server.push(...answer.hits);
        // Kept for the next search, offline ones included.
        cache.applyEnvelopes(
          { path: folder.path, uidValidity: answer.uidValidity },
          answer.hits.map((h) => h.envelope),
        );
      }
      const local = cachedFolders.length
        ? cache.search(query, { limit: wanted, folders: cachedFolders })
        : [];
      hits = mergeHits(local, server, whole);
    }
  } finally {
    cache.close();
    await engine.close().catch(() => {});
    // Benchmarks and tests read how much was asked of the server.
    const statsFile = io.env.TMAIL_STATS_FILE;
    if (statsFile) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(statsFile, JSON.stringify({ ...engine.stats, ...searched }));
    }
  }
  const first = (options.page - 1) * options.limit;
  const rows = hits.slice(first, first + options.limit);
  if (values.json) {
    json(io, {
      query: formatSearch(query),
      page: options.page,
      limit: options.limit,
      source: fromCache ? 'cache' : 'server',
      ...(fromCache
        ? { cachedAsOf: fromCache.asOf && new Date(fromCache.asOf).toISOString() }
        : {}),
      messages: rows.map((h) => ({ folder: h.path, ...envelopeJson(h.envelope) })),
    });
  } else if (rows.length) {
    printHits(io, rows, (io.stdout as { columns?: number }).columns ?? 120);
  } else {
    io.stderr.write(
      hits.length
        ? `tmail: page ${options.page} is past the end (${hits.length} messages).\n`
        : 'tmail: no messages.\n',
    );
  }
  return 0;
}
