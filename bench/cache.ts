/**
 * The local cache's store (src/core/cache) at 100,000 messages, for `npm run
 * bench` (bench/run.ts calls benchCache; `npm run bench -- cache` runs this
 * part alone and keeps the other results).
 *
 * The envelopes are real: a 100,000-message INBOX is seeded into the test
 * Dovecot and read through tmail's IMAP backend, then written to a fresh store
 * as the folder sync writes them. Measured:
 *  - the store file's size for those 100,000 envelopes (target: 80 MB at most);
 *  - search across folders over them in-process (`AccountCache.search`, what
 *    `tmail search --all-folders` runs on the cache), median per query
 *    (target: under 200 ms);
 *  - `tmail search QUERY --all-folders` as a process, start to exit, with the
 *    server out of reach so that the cache answers alone, beside `node -e 0`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileBytes, openAccountCache } from '../src/core/cache/index.js';
import { ImapBackend } from '../src/core/imap/imap-backend.js';
import { parseSearch } from '../src/core/search-syntax.js';
import { testAccount, testConfigEnv, testCredentials } from '../test/support/accounts.js';
import type { MailStack } from '../test/support/mail-stack.js';
import { seedMaildir } from '../test/support/seed.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIZE = 100_000;
const ROUNDS = 7;
/** Queries of the search language, from one word to dates and flags. */
const QUERIES = [
  'report',
  'from:ada',
  'subject:"release 2.4"',
  'is:unread',
  'is:flagged since:2025-06-01',
  'lunch from:grace',
];

export interface CacheBench {
  messages: number;
  /** Store file (with its write-ahead log) after the envelopes were written, in MB. */
  storeMB: number;
  /** Writing the envelopes, 5,000 per transaction, in ms. */
  writeMs: number;
  /** Median ms of each query in-process, 50 results at most. */
  searchMs: Record<string, number>;
  /** The slowest of those medians. */
  searchMaxMs: number;
  /** Median ms of `tmail search QUERY --all-folders --json` answered from the cache alone. */
  cliMs: number;
  /** Median ms of `node -e 0` in the same rounds. */
  nodeMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeProcess(command: string, args: string[], env: Record<string, string>) {
  return new Promise<number>((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - start)
        : reject(new Error(`${args.join(' ')} exited with ${code}`)),
    );
  });
}

export async function benchCache(stack: MailStack): Promise<CacheBench> {
  const user = await stack.addUser('benchcache');
  process.stderr.write(`Cache: seeding ${SIZE} messages...\n`);
  await seedMaildir(stack.info(), user.name, SIZE);
  // The account the CLI runs as points at a port nothing listens on, so that the
  // cache answers alone; the store is made for that account (same identity).
  const offline = testAccount(stack.info(), user, {
    imap: { host: '127.0.0.1', port: 9, security: 'plain' },
  });
  const env = testConfigEnv([offline]);
  const file = join(env.TMAIL_CACHE_DIR!, 'mail', `${offline.name}.sqlite3`);
  const cache = openAccountCache(offline, { file });

  process.stderr.write('Cache: reading the envelopes and writing the store...\n');
  const online = testAccount(stack.info(), user);
  const backend = new ImapBackend({ account: online, credentials: testCredentials(user) });
  await backend.connect();
  const status = await backend.select('INBOX');
  cache.applyFolderState({
    path: 'INBOX',
    uidValidity: status.uidValidity,
    uidNext: status.uidNext,
    total: status.exists,
    ...(status.highestModseq ? { highestModseq: status.highestModseq } : {}),
  });
  let writeMs = 0;
  for (let from = 1; from <= status.exists; from += 5000) {
    const envelopes = await backend.fetchEnvelopes({
      seqFrom: from,
      seqTo: Math.min(status.exists, from + 4999),
    });
    const start = performance.now();
    cache.applyEnvelopes({ path: 'INBOX', uidValidity: status.uidValidity }, envelopes);
    writeMs += performance.now() - start;
  }
  await backend.logout();
  cache.close();
  const storeMB = Math.round((fileBytes(file) / 1024 / 1024) * 10) / 10;

  process.stderr.write('Cache: searching...\n');
  const reader = openAccountCache(offline, { file });
  const searchMs: Record<string, number> = {};
  for (const text of QUERIES) {
    const query = parseSearch(text);
    reader.search(query, { limit: 50 });
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      reader.search(query, { limit: 50 });
      times.push(performance.now() - start);
    }
    searchMs[text] = Math.round(median(times) * 10) / 10;
  }
  reader.close();

  const cliRounds: number[] = [];
  const nodeRounds: number[] = [];
  const bin = join(root, 'bin/tmail.cjs');
  const scratch = mkdtempSync(join(tmpdir(), 'tmail-bench-cache-'));
  await timeProcess(bin, ['search', 'report', '--all-folders', '--json'], env);
  for (let i = 0; i < ROUNDS; i++) {
    nodeRounds.push(await timeProcess(process.execPath, ['-e', '0'], {}));
    cliRounds.push(
      await timeProcess(bin, ['search', 'report', '--all-folders', '--json'], {
        ...env,
        TMAIL_STATS_FILE: join(scratch, 'stats.json'),
      }),
    );
  }
  return {
    messages: status.exists,
    storeMB,
    writeMs: Math.round(writeMs),
    searchMs,
    searchMaxMs: Math.max(...Object.values(searchMs)),
    cliMs: Math.round(median(cliRounds)),
    nodeMs: Math.round(median(nodeRounds)),
  };
}
