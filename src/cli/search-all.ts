/**
 * `tmail search QUERY --all-folders`: every folder at once, through the
 * engine's search across folders (core/engine/all-folders-search.ts, the same
 * the reader's `:search -a` runs): the local cache's index answers for what it
 * holds, the server for the rest, and the results come newest first, each
 * naming its folder. When the server cannot be reached, the cache answers
 * alone, and one line on stderr says so and as of when.
 */
import { UNREACHABLE, type AllFoldersResult } from '../core/engine/all-folders-search.js';
import { toTmailError } from '../core/errors.js';
import { formatSearch } from '../core/search-syntax.js';
import { promptSecret } from '../core/secrets/index.js';
import { openSession } from '../core/session.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import type { SearchQuery } from '../core/types.js';
import type { CliIo } from './io.js';
import { envelopeJson, json, printHits, shortDate } from './output.js';

/** Runs the search and prints one page of it; resolves to the exit code. */
export async function searchAllFolders(
  io: CliIo,
  values: { account?: string; json?: boolean },
  query: SearchQuery,
  options: { limit: number; page: number },
): Promise<number> {
  const { engine } = openSession({
    account: values.account,
    prompt: (question) => promptSecret(question, { input: io.stdin, output: io.stderr }),
  });
  let result: AllFoldersResult | null = null;
  let unreachable: unknown = null;
  try {
    try {
      await engine.start({ retry: false, folders: false });
    } catch (error) {
      if (!UNREACHABLE.has(toTmailError(error).code)) throw error;
      unreachable = error;
    }
    try {
      result = await engine.request({
        type: 'search-all',
        query,
        limit: options.page * options.limit,
      });
    } catch (error) {
      // Nothing cached to answer with: why the server could not be reached is the news.
      throw unreachable ?? error;
    }
  } finally {
    await engine.close().catch(() => {});
    // Benchmarks and tests read how much was asked of the server.
    const statsFile = io.env.TMAIL_STATS_FILE;
    if (statsFile) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(statsFile, JSON.stringify({ ...engine.stats, ...result?.searched }));
    }
  }
  const { hits, fromCache } = result;
  if (fromCache) {
    io.stderr.write(
      `tmail: ${sanitizeLine(unreachable ? toTmailError(unreachable).userMessage : fromCache.reason).replace(/\.$/, '')}; these answers are from the local cache${
        fromCache.asOf === null ? '' : ` as of ${shortDate(fromCache.asOf)}`
      }.\n`,
    );
  }
  for (const { path, reason } of result.unsearched)
    io.stderr.write(
      `tmail: ${sanitizeLine(path)} was not searched on the server: ${sanitizeLine(reason).replace(/\.$/, '')}; its answers are from the local cache.\n`,
    );
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
