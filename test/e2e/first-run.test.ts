/**
 * The built tmail with no account yet: it opens the account wizard, which
 * draws with Ink like the reader (the layout engine must be ready in the
 * bundle too), and leaves cleanly when cancelled. With a code cache from an
 * earlier run, the same.
 */
import { mkdtempSync } from 'node:fs';
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

describe('a first run, with no account', () => {
  it('opens the wizard, and Esc leaves with one sentence and exit code 1', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tmail-first-run-'));
    const env = {
      HOME: home,
      TMAIL_CONFIG_DIR: join(home, 'config'),
      TMAIL_STATE_DIR: join(home, 'state'),
      TMAIL_CACHE_DIR: join(home, 'cache'),
    };
    // The second start reads the code cache the first one wrote.
    for (let start = 0; start < 2; start++) {
      const term = await TmuxSession.start({
        command: [process.execPath, BINARY],
        cwd: REPO,
        env,
      });
      terms.push(term);
      await term.see('add a mail account');
      await term.see('Email address:');
      await term.press('<Esc>');
      expect(await term.exited()).toBe(1);
      await term.see('tmail: no account was added.');
    }
  });
});
