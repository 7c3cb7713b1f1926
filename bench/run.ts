/**
 * `npm run bench`: speed and memory at 1k, 10k and 100k messages, against a
 * private Dovecot on 127.0.0.1, written to bench/results/latest.{json,md}.
 *
 * Measured per folder size:
 *  - a bare imapflow script (connect, log in, select, fetch the newest 50
 *    envelopes): the least any Node client can do, the yardstick;
 *  - `tmail list --limit 50 --json`: process start to exit, and peak RSS;
 *  - marking 10,000 messages read (all of them at 1k) through the engine;
 *  - `node -e 0`: Node's own start, the floor under any Node program;
 *  - the TUI: launch to the first screen of the list, peak RSS, and key press
 *    to repainted frame (bench/tui.ts), and the first screen again with three
 *    accounts configured (the two others real accounts on the same server,
 *    which connect only when shown: the first screen must not wait for them),
 *    in the same rounds; the rounds run with V8's code cache
 *    (src/boot.ts) as every start but the first does, and the first start, without
 *    it, is given on its own (one run). The rounds start with the local cache
 *    warm (a second start); each round also starts once with the store
 *    removed (an empty cache: the first start of an account) and once with
 *    the cache turned off (as tmail started before it had one);
 *  - at the largest size, re-sync after another client changed the flags of
 *    the newest 1,000 messages (bench/resync.ts).
 * Once, on Courier (a server without QRESYNC): moving 1 and 100 messages out of
 * a 20,000-message folder (bench/removal.ts). `npm run bench -- removal` runs
 * that part alone and keeps the other results of bench/results/latest.json.
 * Once, the local cache (bench/cache.ts): the store's size for 100,000 real
 * envelopes and search across folders over them; `npm run bench -- cache`
 * runs that part alone. `npm run bench -- resync` runs the re-sync alone at
 * the largest size (seeding it first) and puts it beside that size's results.
 * Each timing is the median of several rounds, each round running all of them in
 * turn (the machine is noisy: a busy moment then hits all alike); compare
 * ratios within one run rather than numbers across runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEEN } from '../src/core/types.js';
import { testAccount, testConfigEnv } from '../test/support/accounts.js';
import { testEngine } from '../test/support/engine.js';
import { startMailStack, type MailStack } from '../test/support/mail-stack.js';
import { seedMaildir } from '../test/support/seed.js';
import type { TestUser } from '../test/support/stack.js';
import { useRunTempDir } from '../test/support/run-tmp.js';
import { benchCache, type CacheBench } from './cache.js';
import { benchRemoval, type RemovalBench } from './removal.js';
import { benchResync, type ResyncBench, type ResyncRun } from './resync.js';
import { runTuiOnce, summarizeTui, type TuiBench } from './tui.js';

useRunTempDir('tmail-bench-');

type TuiRun = Awaited<ReturnType<typeof runTuiOnce>>;

const root = fileURLToPath(new URL('..', import.meta.url));
const SIZES = (process.env.TMAIL_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.TMAIL_BENCH_RUNS ?? 7);
const PARTS = process.argv.slice(2);
const KNOWN_PARTS = ['removal', 'cache', 'resync'];
for (const part of PARTS) {
  if (!KNOWN_PARTS.includes(part))
    throw new Error(`Unknown bench part "${part}"; known: ${KNOWN_PARTS.join(', ')}.`);
}
const ONLY_PARTS = PARTS.length > 0;
/** Whether a part runs: every part in a whole run, else those named. */
const runs = (part: string) => !ONLY_PARTS || PARTS.includes(part);
const RESULTS_JSON = join(root, 'bench/results/latest.json');

interface ProcessSample {
  ms: number;
  rssKiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a node script to its end; wall time from spawn to exit, and its peak RSS. */
async function timeNode(args: string[], env: Record<string, string>): Promise<ProcessSample> {
  return timeProcess(process.execPath, args, env);
}

/** tmail as a user starts it: the executable itself, so its shebang's Node flags apply. */
function timeTmail(args: string[], env: Record<string, string>): Promise<ProcessSample> {
  return timeProcess(join(root, 'bin/tmail.cjs'), args, env);
}

async function timeProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<ProcessSample> {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'tmail-rss-')), 'rss');
  const start = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        NODE_OPTIONS: `--require=${join(root, 'bench/rss-probe.cjs')}`,
        TMAIL_RSS_FILE: rssFile,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return { ms, rssKiB: Number(readFileSync(rssFile, 'utf8')) };
}

function summarize(samples: ProcessSample[]): { ms: number; rssMiB: number } {
  return {
    ms: Math.round(median(samples.map((s) => s.ms))),
    rssMiB: Math.round(Math.max(...samples.map((s) => s.rssKiB)) / 1024),
  };
}

async function markRead(
  stack: MailStack,
  user: TestUser,
  size: number,
): Promise<{ count: number; ms: number; stores: number }> {
  const { engine } = testEngine(stack.info(), user);
  await engine.start({ retry: false });
  try {
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 50 });
    const view = engine.state.view!;
    const count = Math.min(10_000, size);
    const uids = view.uids.slice(0, count);
    const before = engine.stats.storeCommands;
    const start = performance.now();
    await engine.request({ type: 'set-flags', uids, add: [SEEN], undoable: false });
    const ms = Math.round(performance.now() - start);
    // Put the folder back as it was for the next runs.
    await engine.request({ type: 'set-flags', uids, remove: [SEEN], undoable: false });
    return { count, ms, stores: engine.stats.storeCommands - before - 1 };
  } finally {
    await engine.close();
  }
}

interface BenchFile {
  at: string;
  node: string;
  runs: number;
  results: Array<Record<string, unknown>>;
  removal?: RemovalBench & { at: string };
  cache?: CacheBench & { at: string };
  /** The re-sync run alone when the whole run has no result at its size. */
  resync?: ResyncBench & { at: string };
}

const previous: BenchFile | undefined = existsSync(RESULTS_JSON)
  ? (JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as BenchFile)
  : undefined;
if (ONLY_PARTS && !previous)
  throw new Error(`${RESULTS_JSON} is missing: run the whole bench once.`);

/**
 * The re-sync on the bench's Dovecot, then on one that trusts its index for
 * the Maildir's cur/ (bench/resync.ts says why), seeded alike.
 */
async function resyncOnBoth(stack: MailStack, user: TestUser, size: number): Promise<ResyncBench> {
  const result = await benchResync(stack, user, size);
  const tuned = await startMailStack({ maildirVeryDirtySyncs: true });
  try {
    const tunedUser = await tuned.addUser(`bench${size}`);
    process.stderr.write(`Seeding ${size} messages (Dovecot with maildir_very_dirty_syncs)...\n`);
    await seedMaildir(tuned.info(), tunedUser.name, size);
    const {
      size: _size,
      changed: _changed,
      ...tunedServer
    } = await benchResync(tuned, tunedUser, size);
    return { ...result, tunedServer };
  } finally {
    await tuned.stop();
  }
}

const stack = await startMailStack({ servers: ['courier'] });
const results: Array<Record<string, unknown>> = [];
let removal: BenchFile['removal'] = previous?.removal;
let cache: BenchFile['cache'] = previous?.cache;
let resyncAlone: BenchFile['resync'] = previous?.resync;
try {
  if (runs('removal')) {
    removal = { ...(await benchRemoval(stack)), at: new Date().toISOString() };
    process.stderr.write(`${JSON.stringify(removal)}\n`);
  }
  if (runs('cache')) {
    cache = { ...(await benchCache(stack)), at: new Date().toISOString() };
    process.stderr.write(`${JSON.stringify(cache)}\n`);
  }
  if (ONLY_PARTS && PARTS.includes('resync')) {
    const size = Math.max(...SIZES);
    const user = await stack.addUser(`bench${size}`);
    process.stderr.write(`Seeding ${size} messages...\n`);
    await seedMaildir(stack.info(), user.name, size);
    resyncAlone = { ...(await resyncOnBoth(stack, user, size)), at: new Date().toISOString() };
    process.stderr.write(`${JSON.stringify(resyncAlone)}\n`);
  }
  for (const size of ONLY_PARTS ? [] : SIZES) {
    const user = await stack.addUser(`bench${size}`);
    process.stderr.write(`Seeding ${size} messages...\n`);
    const seedStart = performance.now();
    await seedMaildir(stack.info(), user.name, size);
    const seedMs = Math.round(performance.now() - seedStart);
    const env = testConfigEnv([testAccount(stack.info(), user)]);
    // The same account first, with two more after it (small real mailboxes).
    const others = [await stack.addUser(`bench${size}b`), await stack.addUser(`bench${size}c`)];
    for (const other of others) await seedMaildir(stack.info(), other.name, 200);
    const env3 = testConfigEnv([
      testAccount(stack.info(), user),
      ...others.map((other) => testAccount(stack.info(), other)),
    ]);

    process.stderr.write(`Measuring ${size}...\n`);
    const bareOnce = () =>
      timeNode(
        ['bench/bare-imapflow.mjs', stack.host, String(stack.ports.imap), user.name, user.password],
        {},
      );
    const listOnce = () => timeTmail(['list', '--limit', '50', '--json'], env);
    const nodeOnce = () => timeNode(['-e', '0'], {});
    // The same account with the cache off (its code cache shared, so only the store differs).
    const noCacheEnv = {
      ...testConfigEnv([testAccount(stack.info(), user)], { cache: { enabled: false } }),
      TMAIL_CACHE_DIR: env.TMAIL_CACHE_DIR!,
    };
    const emptyCacheOnce = () => {
      rmSync(join(env.TMAIL_CACHE_DIR!, 'mail'), { recursive: true, force: true });
      return runTuiOnce(env, 0);
    };
    // A round to warm the server's caches and the file system, then the rounds measured,
    // each running all three in turn, so that a busy moment of the machine hits all alike.
    // Each size has a config and cache directory of its own: this start has no code cache.
    await bareOnce();
    await listOnce();
    const firstStart = await runTuiOnce(env, 3);
    // The three-account config has its own directories: its code cache is made here.
    await runTuiOnce(env3, 3);
    const samples = {
      bare: [] as ProcessSample[],
      node: [] as ProcessSample[],
      list: [] as ProcessSample[],
      tui: [] as TuiRun[],
      tui3: [] as TuiRun[],
      tuiEmpty: [] as TuiRun[],
      tuiNoCache: [] as TuiRun[],
    };
    for (let i = 0; i < RUNS; i++) {
      samples.bare.push(await bareOnce());
      samples.node.push(await nodeOnce());
      samples.list.push(await listOnce());
      samples.tuiNoCache.push(await runTuiOnce(noCacheEnv, 0));
      samples.tuiEmpty.push(await emptyCacheOnce());
      // Last: the empty-cache start has just filled the cache again.
      samples.tui.push(await runTuiOnce(env));
      samples.tui3.push(await runTuiOnce(env3));
    }
    const bare = summarize(samples.bare);
    const node = summarize(samples.node);
    const list = summarize(samples.list);
    const tui = summarizeTui(samples.tui);
    const tuiThreeAccounts = summarizeTui(samples.tui3);
    const firstScreen = (runs: TuiRun[]) => ({
      ms: Math.round(median(runs.map((r) => r.firstScreenMs))),
      rssMiB: Math.round(Math.max(...runs.map((r) => r.rssKiB)) / 1024),
    });
    const tuiEmpty = firstScreen(samples.tuiEmpty);
    const tuiNoCache = firstScreen(samples.tuiNoCache);
    const resync: ResyncBench | null =
      size === Math.max(...SIZES) ? await resyncOnBoth(stack, user, size) : null;
    // Last: it changes the folder's flags (and puts them back).
    const read = await markRead(stack, user, size);
    results.push({
      size,
      seedMs,
      bare,
      node,
      list,
      markRead: read,
      tui,
      tuiThreeAccounts,
      tuiEmpty,
      tuiNoCache,
      resync,
      tuiFirstStartMs: Math.round(firstStart.firstScreenMs),
      // That start also writes the cache: its memory counts.
      tuiFirstStartRssMiB: Math.round(firstStart.rssKiB / 1024),
    });
    process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
  }
} finally {
  await stack.stop();
}

let data: BenchFile = ONLY_PARTS
  ? { ...previous!, removal, cache }
  : { at: new Date().toISOString(), node: process.version, runs: RUNS, results, removal, cache };
if (ONLY_PARTS && PARTS.includes('resync') && resyncAlone) {
  // Beside the whole run's results at that size, where it has them.
  const { at: _at, ...resync } = resyncAlone;
  const entry = data.results.find((r) => r.size === resync.size);
  data = entry
    ? {
        ...data,
        results: data.results.map((r) => (r === entry ? { ...r, resync } : r)),
        resync: undefined,
      }
    : { ...data, resync: resyncAlone };
}
const lines = [
  `# tmail benchmark`,
  '',
  `${data.at}, Node ${data.node}, ${data.runs} runs each (median; RSS is the peak), loopback Dovecot.`,
  '',
  '| messages | bare imapflow: newest 50 | tmail list --limit 50 | ratio | tmail list peak RSS | TUI first screen | ratio | TUI first screen, 3 accounts | TUI first start (no code cache, 1 run; peak RSS) | TUI peak RSS | key to frame | mark read |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...data.results
    .map((r) => {
      const bare = r.bare as { ms: number };
      const list = r.list as { ms: number; rssMiB: number };
      const tui = r.tui as TuiBench;
      const tui3 = r.tuiThreeAccounts as TuiBench | undefined;
      const mark = r.markRead as { count: number; ms: number; stores: number };
      return [
        (r.size as number).toLocaleString('en'),
        `${bare.ms} ms`,
        `${list.ms} ms`,
        (list.ms / bare.ms).toFixed(2),
        `${list.rssMiB} MiB`,
        `${tui.firstScreenMs} ms`,
        (tui.firstScreenMs / bare.ms).toFixed(2),
        tui3 ? `${tui3.firstScreenMs} ms` : '',
        `${r.tuiFirstStartMs as number} ms, ${r.tuiFirstStartRssMiB as number} MiB`,
        `${tui.rssMiB} MiB`,
        `${tui.keyToFrameMs} ms (p90 ${tui.keyToFrameP90Ms} ms)`,
        `${mark.count.toLocaleString('en')} in ${mark.ms} ms (${mark.stores} STORE)`,
      ].join(' | ');
    })
    .map((row) => `| ${row} |`),
  '',
  "Starting from the local cache: the TUI rounds above start with a warm cache (a second start); beside them, in the same rounds, a start with the store removed (empty cache) and one with the cache off (as before it existed). Targets: warm start at most 0.5x the bare script and 2x `node -e 0`; empty cache within 1.1x of cache off. The TUI times are to the first frame with the list's rows; on a warm start those rows are drawn before the UI has loaded (src/ui/early-paint.ts), and the whole screen (sidebar and status line too) is the UI's first frame, in its own column.",
  '',
  '| messages | node -e 0 | bare imapflow | TUI, warm cache | / bare | / node -e 0 | whole screen, warm | TUI, empty cache | TUI, cache off | empty / off | peak RSS (warm, empty, off) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...data.results
    .filter((r) => r.node && r.tuiEmpty && r.tuiNoCache)
    .map((r) => {
      const bare = r.bare as { ms: number };
      const node = r.node as { ms: number };
      const tui = r.tui as TuiBench;
      const empty = r.tuiEmpty as { ms: number; rssMiB: number };
      const off = r.tuiNoCache as { ms: number; rssMiB: number };
      return `| ${[
        (r.size as number).toLocaleString('en'),
        `${node.ms} ms`,
        `${bare.ms} ms`,
        `${tui.firstScreenMs} ms`,
        (tui.firstScreenMs / bare.ms).toFixed(2),
        (tui.firstScreenMs / node.ms).toFixed(2),
        tui.wholeScreenMs === undefined ? '' : `${tui.wholeScreenMs} ms`,
        `${empty.ms} ms`,
        `${off.ms} ms`,
        (empty.ms / off.ms).toFixed(2),
        `${tui.rssMiB}, ${empty.rssMiB}, ${off.rssMiB} MiB`,
      ].join(' | ')} |`;
    }),
  '',
  ...[...data.results.map((r) => r.resync as ResyncBench | null | undefined), data.resync]
    .filter((x): x is ResyncBench => Boolean(x))
    .map((x) => {
      const sent = (run: ResyncRun) =>
        `the engine sent ${run.selects} SELECT${run.qresync ? ' (with QRESYNC)' : ''} and ${run.uidLists} UID list${run.uidLists === 1 ? '' : 's'} before that${run.uidListsInAll === undefined ? '' : `, ${run.uidListsInAll} in the whole catch-up`}`;
      const server = (run: ResyncRun) =>
        run.serverSelectMs === undefined
          ? ''
          : ` (the server's own SELECT then, by another client: ${run.serverSelectMs} ms)`;
      const tuned = x.tunedServer
        ? ` With Dovecot set to trust its index for the Maildir's cur/ (\`maildir_very_dirty_syncs = yes\`; by default it rescans a cur/ changed in the last second or so, some 300 ms at 100,000 files in any client's SELECT): ${x.tunedServer.onScreenMs} ms${server(x.tunedServer)}; ${sent(x.tunedServer)}.`
        : '';
      return `Re-sync of ${x.size.toLocaleString('en')} messages after another client flagged ${x.changed.toLocaleString('en')} (the rows on screen among them), from the connection being ready to every row on screen showing the change (target: 300 ms): ${x.onScreenMs} ms${server(x)}; ${sent(x)}.${tuned}`;
    }),
  '',
  ...(data.removal
    ? [
        `Removing messages from a large folder on a server without QRESYNC (${data.removal.server}), \`tmail move\` to Archive, process start to exit, median of ${data.removal.rounds} rounds (${data.removal.at}):`,
        '',
        '| folder | move 1 | move 100 | ratio |',
        '|---:|---:|---:|---:|',
        `| ${data.removal.folderSize.toLocaleString('en')} | ${data.removal.oneMs} ms | ${data.removal.hundredMs} ms | ${data.removal.ratio.toFixed(2)} |`,
        '',
      ]
    : []),
  ...(data.cache
    ? [
        `The local cache at ${data.cache.messages.toLocaleString('en')} real envelopes (${data.cache.at}): the store file holds them in ${data.cache.storeMB} MB (target: 80 MB at most), written in ${data.cache.writeMs} ms. Search across folders over them, in-process, median of 7 (target: under 200 ms):`,
        '',
        '| query | search |',
        '|---|---:|',
        ...Object.entries(data.cache.searchMs).map(([q, ms]) => `| \`${q}\` | ${ms} ms |`),
        '',
        `\`tmail search report --all-folders --json\` answered from the cache alone (server out of reach), process start to exit: ${data.cache.cliMs} ms (\`node -e 0\`: ${data.cache.nodeMs} ms).`,
        '',
      ]
    : []),
];
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(RESULTS_JSON, JSON.stringify(data, null, 2));
writeFileSync(join(root, 'bench/results/latest.md'), lines.join('\n'));
process.stdout.write(lines.join('\n') + '\n');
