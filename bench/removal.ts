/**
 * The cost of removing messages from a large folder on a server without
 * QRESYNC, for `npm run bench` (bench/run.ts calls benchRemoval; `npm run bench
 * -- removal` runs this part alone).
 *
 * Without QRESYNC the server reports each removed message as `* n EXPUNGE`, by
 * sequence number, and a client that maps those to UIDs badly rereads the
 * folder's UID list once per message: moving 100 of 20,000 cost ten times
 * moving one. Measured here: `tmail move` of 1 and of 100 messages out of a
 * 20,000-message INBOX on Courier-IMAP (which offers no QRESYNC), process start
 * to exit, median of several rounds, each round on messages not moved before.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testAccount, testConfigEnv } from '../test/support/accounts.js';
import { attachMailStack, stackOn, type MailStack } from '../test/support/mail-stack.js';
import { seedMaildir } from '../test/support/seed.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface RemovalBench {
  server: string;
  folderSize: number;
  rounds: number;
  /** Median ms of `tmail move` of one message. */
  oneMs: number;
  /** Median ms of `tmail move` of 100 messages. */
  hundredMs: number;
  /** hundredMs / oneMs: about 2 or less when the EXPUNGEs are mapped without rereading. */
  ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeTmail(args: string[], env: Record<string, string>): Promise<number> {
  const start = performance.now();
  let stderr = '';
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(join(root, 'bin/tmail.cjs'), args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`tmail ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return ms;
}

/**
 * Seeds `size` messages into a new user's INBOX on Courier (the stack must run
 * it) and times moving 1 and 100 of them to Archive, `rounds` times each.
 */
export async function benchRemoval(
  stack: MailStack,
  { size = 20_000, rounds = 5 } = {},
): Promise<RemovalBench> {
  const courier = attachMailStack(stackOn(stack.info(), 'courier'));
  const user = await courier.addUser(`removal${size}`);
  process.stderr.write(`Seeding ${size} messages on Courier...\n`);
  await seedMaildir(courier.info(), user.name, size);
  const env = testConfigEnv([testAccount(courier.info(), user)]);
  // Courier numbers a new Maildir's messages at the first SELECT: not part of the measure.
  await timeTmail(['list', '--limit', '1'], env);

  process.stderr.write(`Measuring removal of 1 and 100 of ${size} on Courier...\n`);
  const one: number[] = [];
  const hundred: number[] = [];
  // UIDs follow the seeded order (1..size); each round takes messages not moved before,
  // from the newest end, where a list shows them.
  let next = size;
  const take = (n: number) => {
    const uids = Array.from({ length: n }, (_, i) => next - i);
    next -= n;
    return uids.join(',');
  };
  for (let i = 0; i < rounds; i++) {
    one.push(await timeTmail(['move', take(1), '--to', 'Archive'], env));
    hundred.push(await timeTmail(['move', take(100), '--to', 'Archive'], env));
  }
  const oneMs = Math.round(median(one));
  const hundredMs = Math.round(median(hundred));
  return {
    server: 'Courier-IMAP 5.0',
    folderSize: size,
    rounds,
    oneMs,
    hundredMs,
    ratio: Number((hundredMs / oneMs).toFixed(2)),
  };
}
