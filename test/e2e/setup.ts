/**
 * What every end-to-end test needs: a fresh user on the shared mail stack, a
 * config directory with that account, and the built tmail running in tmux.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AccountConfig, TmailConfig } from '../../src/core/config/types.js';
import { testAccount } from '../support/accounts.js';
import type { MailStack } from '../support/mail-stack.js';
import { newTestUser, type TestUser } from '../support/stack.js';
import { TmuxSession } from '../support/tmux.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BINARY = join(REPO, 'bin/tmail.cjs');

/** Fails with one clear sentence when the bundle has not been built. */
export function requireBuild(): void {
  if (!existsSync(join(REPO, 'dist/tmail.cjs'))) {
    throw new Error('The end-to-end tests run the built binary: run npm run build first.');
  }
}

export interface E2eAccount {
  user: TestUser;
  account: AccountConfig;
  configDir: string;
  stateDir: string;
  logFile: string;
}

/** A new user with a config.json naming it, in temp directories of its own. */
export async function e2eAccount(
  stack: MailStack,
  prefix: string,
  config: Omit<TmailConfig, 'accounts'> = {},
  overrides: Partial<AccountConfig> = {},
): Promise<E2eAccount> {
  const user = await newTestUser(stack, prefix);
  const account = testAccount(stack.info(), user, overrides);
  const configDir = mkdtempSync(join(tmpdir(), 'tmail-e2e-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tmail-e2e-state-'));
  const { name, ...rest } = account;
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({ defaultAccount: name, accounts: { [name]: rest }, ...config }, null, 2),
    { mode: 0o600 },
  );
  return { user, account, configDir, stateDir, logFile: join(stateDir, 'tmail.log') };
}

export interface LaunchOptions {
  args?: string[];
  columns?: number;
  rows?: number;
  env?: Record<string, string>;
  keys?: TmailConfig['keys'];
  /** Start from an interactive shell (job control, for Ctrl-Z). */
  shell?: boolean;
}

/** Runs `node bin/tmail.cjs` for the account in a tmux session. */
export async function launch(setup: E2eAccount, options: LaunchOptions = {}): Promise<TmuxSession> {
  requireBuild();
  return TmuxSession.start({
    command: [process.execPath, BINARY, ...(options.args ?? [])],
    cwd: REPO,
    columns: options.columns ?? 100,
    rows: options.rows ?? 30,
    keys: options.keys,
    shell: options.shell,
    env: {
      TMAIL_CONFIG_DIR: setup.configDir,
      TMAIL_STATE_DIR: setup.stateDir,
      TMAIL_LOG_FILE: setup.logFile,
      HOME: setup.stateDir,
      ...options.env,
    },
  });
}

/** The log file's text, for failure messages. */
export function logText(setup: E2eAccount): string {
  try {
    return readFileSync(setup.logFile, 'utf8');
  } catch {
    return '(no log)';
  }
}
