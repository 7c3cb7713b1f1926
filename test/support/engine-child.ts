/**
 * A second tmail process for tests of two processes on one account: an engine
 * on the same account and the same offline-queue file, driven over stdin and
 * stdout with one JSON object per line (see `spawnEngine` in engine.ts).
 * Run with `node --import tsx`; its configuration comes in TMAIL_TEST_CHILD.
 */
import { createInterface } from 'node:readline';
import type { Flag } from '../../src/core/types.js';
import { testEngine } from './engine.js';
import type { MailStackInfo } from './mail-stack.js';
import type { TestUser } from './stack.js';
import { waitFor } from './wait.js';

interface ChildConfig {
  stack: MailStackInfo;
  user: TestUser;
  pendingFile: string;
}

type Command =
  | { cmd: 'start' }
  | { cmd: 'open'; path: string }
  | { cmd: 'set-flags'; uids: number[]; add?: Flag[]; remove?: Flag[] }
  | { cmd: 'wait'; for: 'online' | 'offline' | 'replayed' }
  | { cmd: 'state' }
  | { cmd: 'close' };

const config = JSON.parse(process.env.TMAIL_TEST_CHILD ?? '{}') as ChildConfig;
const { engine } = testEngine(config.stack, config.user, {}, config.pendingFile);

function summary() {
  const s = engine.state;
  return {
    connection: s.connection.status,
    queuedChanges: s.queuedChanges,
    notice: s.notice?.text ?? null,
  };
}

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'start':
      await engine.start({ retry: true });
      return summary();
    case 'open':
      await engine.request({ type: 'open-folder', path: command.path });
      return summary();
    case 'set-flags':
      return engine.request({
        type: 'set-flags',
        uids: command.uids,
        add: command.add,
        remove: command.remove,
      });
    case 'wait': {
      const want = command.for;
      await waitFor(
        () => {
          const s = engine.state;
          if (want === 'replayed') return s.connection.status === 'online' && s.queuedChanges === 0;
          return s.connection.status === want;
        },
        { what: want, timeoutMs: 30_000 },
      );
      return summary();
    }
    case 'state':
      return summary();
    case 'close':
      await engine.close();
      return summary();
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  run(command).then(
    (value) => {
      process.stdout.write(`${JSON.stringify({ ok: true, value })}\n`);
      if (command.cmd === 'close') process.exit(0);
    },
    (error: unknown) =>
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: (error as Error).message ?? String(error) })}\n`,
      ),
  );
});
