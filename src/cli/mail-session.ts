/**
 * What every mail command does around its work: open the account, connect
 * once (a script wants an answer, not a retry loop), and always log out.
 */
import type { MailEngine } from '../core/engine/engine.js';
import { toTmailError } from '../core/errors.js';
import { promptSecret } from '../core/secrets/index.js';
import { openSession, type CacheUse, type Session } from '../core/session.js';
import type { CliIo } from './io.js';

/** Failures that mean the server cannot be reached now (not that it refused us). */
const UNREACHABLE = new Set(['HOST_UNKNOWN', 'CONNECTION_REFUSED', 'TIMEOUT', 'CONNECTION_LOST']);

/** "2026-12-05 10:42" in local time. */
function localTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * Opens the account (default one unless named), connects, runs `work`, logs out.
 * With `fromCache` (list, read, search), a server that cannot be reached is
 * not the end: `work` runs on the local cache, and one line on stderr says so
 * and as of when. Those open the cache (and fill it). The others never read
 * it: by default (`cache: 'existing'`) they open a store only where one exists
 * already, so that what they change (messages moved away, the folder list)
 * reaches it, and make none; `cache: 'none'` leaves it closed.
 */
export async function withMail<T>(
  io: CliIo,
  account: string | undefined,
  work: (engine: MailEngine, session: Session) => Promise<T>,
  options: { fromCache?: boolean; cache?: CacheUse } = {},
): Promise<T> {
  const session = openSession({
    account,
    cacheUse: options.cache ?? (options.fromCache ? 'open' : 'existing'),
    prompt: (question) => promptSecret(question, { input: io.stdin, output: io.stderr }),
    // A piped password is one line: asking again would only find the input's end.
    askAgain: Boolean(io.stdin.isTTY),
  });
  const { engine } = session;
  try {
    // Each command reads the folder list itself when it needs one (folders, delete).
    let unreachable: string | null = null;
    let connectError: unknown = null;
    try {
      await engine.start({ retry: false, folders: false });
    } catch (error) {
      const e = toTmailError(error);
      if (!options.fromCache || !UNREACHABLE.has(e.code) || !engine.hasLocalCache) throw error;
      unreachable = e.userMessage;
      connectError = error;
    }
    let result: T;
    try {
      result = await work(engine, session);
    } catch (error) {
      // The cache holds nothing of what was asked: why the server could not be
      // reached is what the user needs to know, not that the cache is empty.
      if (connectError !== null && toTmailError(error).code === 'OFFLINE') throw connectError;
      throw error;
    }
    if (unreachable !== null) {
      const syncedAt = engine.state.fromCache?.syncedAt;
      const asOf = syncedAt ? ` as of ${localTime(syncedAt)}` : '';
      io.stderr.write(
        `tmail: ${unreachable.replace(/\.$/, '')}; these answers are from the local cache${asOf}.\n`,
      );
    }
    return result;
  } finally {
    await engine.close().catch(() => {});
    const statsFile = io.env.TMAIL_STATS_FILE;
    // Benchmarks and tests read how much was asked of the server.
    if (statsFile) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(statsFile, JSON.stringify(engine.stats));
    }
  }
}
