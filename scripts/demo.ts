/**
 * `npm run demo`: a local Dovecot + Postfix on 127.0.0.1, a demo mailbox with a
 * few dozen varied messages, a throwaway config pointing at it, and tmail on
 * top. Everything is removed when tmail exits.
 *
 *   npm run demo              the interactive reader
 *   npm run demo -- list      any tmail command instead (e.g. `folders`, `read 3`)
 */
import { spawn } from 'node:child_process';
import { useRunTempDir } from '../test/support/run-tmp.js';
import { testAccount, testConfigEnv } from '../test/support/accounts.js';
import { fillDemoMailbox } from '../test/support/demo-mailbox.js';
import { startMailStack } from '../test/support/mail-stack.js';

const args = process.argv.slice(2);
// The stack, the config and tmail's state all go in here, removed at the end.
useRunTempDir('tmail-demo-');
process.stderr.write('Starting the demo mail servers (Dovecot and Postfix on 127.0.0.1)...\n');
const stack = await startMailStack();
const alice = stack.users.alice!;

process.stderr.write('Filling the demo mailbox...\n');
await fillDemoMailbox(stack);

const account = testAccount(stack.info(), { ...alice }, { displayName: 'Alice Demo' });
const env = { ...process.env, ...testConfigEnv([{ ...account, name: 'demo' }]) };
process.stderr.write(`Demo account "demo" (${alice.email}); config in ${env.TMAIL_CONFIG_DIR}.\n`);

// The executable itself, so its shebang's Node flags apply as for an installed tmail.
const child = spawn('./bin/tmail.cjs', args, { stdio: 'inherit', env });
// A closed terminal or a kill ends tmail, then the servers and the temp files go as on quit.
for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await stack.stop();
process.exit(code);
