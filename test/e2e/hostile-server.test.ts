/**
 * The built reader in tmux against hostile IMAP servers: one claiming
 * 4,294,967,295 messages and answering a search with 1:4294967295, one
 * sending an endless line. The reader stays open, says why in one sentence,
 * and its peak memory, read from /proc while it runs, stays under 300 MB.
 * Before, the first crashed with a V8 fatal error after 1.7-2.6 GB and the
 * second grew to 1.1 GB.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  sendEndlessLine,
  startHostileImap,
  type HostileOptions,
  type HostileServer,
} from '../support/hostile-imap.js';
import type { TmuxSession } from '../support/tmux.js';
import { launch, logText, requireBuild, type E2eAccount } from './setup.js';

const PEAK_LIMIT_KIB = 300 * 1024;
const open: Array<{ server: HostileServer; term: TmuxSession }> = [];

beforeAll(() => requireBuild());

afterEach(async () => {
  for (const { server, term } of open.splice(0)) {
    term.kill();
    await server.close();
  }
});

/** tmail in tmux on a hostile server, with a config of its own. */
async function startOn(
  options: HostileOptions,
): Promise<{ term: TmuxSession; peak: () => number }> {
  const server = await startHostileImap(options);
  const configDir = mkdtempSync(join(tmpdir(), 'tmail-e2e-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tmail-e2e-state-'));
  const account = {
    email: 'user@example.test',
    user: 'user',
    imap: { host: server.host, port: server.port, security: 'plain' },
    smtp: { host: server.host, port: 1, security: 'plain' },
    password: { type: 'command', command: 'echo secret' },
  };
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({ defaultAccount: 'hostile', accounts: { hostile: account } }),
    { mode: 0o600 },
  );
  const setup = { configDir, stateDir, logFile: join(stateDir, 'tmail.log') } as E2eAccount;
  const term = await launch(setup);
  open.push({ server, term });
  const pid = await term.pid();
  let peakKiB = 0;
  const peak = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // Gone: the last reading stands.
    }
    return peakKiB;
  };
  onTestFailed(() => {
    process.stdout.write(`\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`);
  });
  return { term, peak };
}

describe('the reader against a hostile server', () => {
  it('a folder claiming 4,294,967,295 messages and a search of 1:4294967295: stays open and says why', async () => {
    const { term, peak } = await startOn({
      exists: 4294967295,
      on: {
        'UID SEARCH': (session, command) => {
          session.send(`* ESEARCH (TAG "${command.tag}") UID ALL 1:4294967295`);
          session.ok(command);
          return true;
        },
      },
    });
    await term.see(/answered with 4,294,967,295 messages/);
    expect(await term.exitStatus()).toBeNull();
    expect(peak()).toBeGreaterThan(0);
    expect(peak()).toBeLessThan(PEAK_LIMIT_KIB);
    await term.command('list', 'list.quit');
    expect(await term.exited()).toBe(0);
  });

  it('an endless line: refused at 32 MiB, the reader stays open and says why', async () => {
    let sent = 0;
    const { term, peak } = await startOn({
      on: {
        SELECT: (session) => {
          sent++;
          sendEndlessLine(session, '* OK ', 2 * 1024 * 1024 * 1024);
          return true;
        },
      },
    });
    await term.see(/longer than 32 MiB/);
    expect(sent).toBeGreaterThan(0);
    expect(await term.exitStatus()).toBeNull();
    expect(peak()).toBeLessThan(PEAK_LIMIT_KIB);
    await term.command('list', 'list.quit');
    expect(await term.exited()).toBe(0);
  });
});
