/**
 * The built tmail in a terminal that cannot show the reader (TERM=dumb): one
 * sentence and the exit code of a missing terminal, never a full screen.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TmuxSession } from '../support/tmux.js';
import { BINARY, REPO, requireBuild } from './setup.js';

const terms: TmuxSession[] = [];

beforeAll(() => requireBuild());

afterEach(() => {
  for (const term of terms.splice(0)) term.kill();
});

describe('TERM=dumb', () => {
  it('gets a sentence and exit code 2, not a full-screen reader', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tmail-dumb-'));
    const config = join(home, 'config');
    const env = {
      HOME: home,
      TERM: 'dumb',
      TMAIL_CONFIG_DIR: config,
      TMAIL_STATE_DIR: join(home, 'state'),
      TMAIL_CACHE_DIR: join(home, 'cache'),
    };
    // An account exists, so without the check the reader itself would start.
    mkdirSync(config, { recursive: true });
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({
        accounts: {
          work: {
            email: 'ann@example.test',
            imap: { host: '127.0.0.1', port: 9, security: 'plain' },
            smtp: { host: '127.0.0.1', port: 9, security: 'plain' },
            password: { type: 'command', command: 'echo x' },
          },
        },
      }),
    );
    for (const command of [[], ['account', 'add']]) {
      // In a shell: the program ends at once, before tmux could keep a bare pane for reading.
      const line = [process.execPath, BINARY, ...command].map((w) => `'${w}'`).join(' ');
      const term = await TmuxSession.start({
        command: ['sh', '-c', `${line}; echo "exit $?"`],
        shell: true,
        cwd: REPO,
        env,
        columns: 220,
      });
      terms.push(term);
      const screen = await term.see(/exit \d+/);
      expect(screen).toContain('exit 2');
      expect(await term.alternateScreen()).toBe(false);
      expect(screen).toContain(
        command.length
          ? 'tmail: tmail account add needs --name'
          : 'tmail: This terminal (TERM=dumb) cannot show the mail reader, which needs cursor movement; use the commands listed by tmail --help, or a full terminal.',
      );
    }
  });
});
