/** Account configs that point at the test mail stack. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountConfig, Credentials } from '../../src/core/config/types.js';
import type { MailStackInfo } from './mail-stack.js';
import type { TestUser } from './stack.js';

/** An account for `user` on the stack: plain IMAP and submission on loopback unless overridden. */
export function testAccount(
  stack: MailStackInfo,
  user: TestUser,
  overrides: Partial<AccountConfig> = {},
): AccountConfig {
  return {
    name: user.name,
    displayName: user.name[0]!.toUpperCase() + user.name.slice(1),
    email: user.email,
    user: user.name,
    imap: { host: stack.host, port: stack.ports.imap, security: 'plain' },
    smtp: { host: stack.host, port: stack.ports.submission, security: 'plain' },
    password: { type: 'command', command: `printf '%s\\n' '${user.password}'` },
    ...overrides,
  };
}

export function testCredentials(user: TestUser): Credentials {
  return { user: user.name, password: user.password };
}

/**
 * Writes a dotfile holding these accounts (the first is the default) into a
 * fresh temp dir and returns the environment that points tmail at it, with
 * state (outbox, drafts, log) in a temp dir of its own.
 */
export function testConfigEnv(
  accounts: AccountConfig[],
  extra: Record<string, unknown> = {},
): Record<string, string> {
  const configDir = mkdtempSync(join(tmpdir(), 'tmail-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tmail-state-'));
  const file = {
    defaultAccount: accounts[0]?.name,
    accounts: Object.fromEntries(accounts.map(({ name, ...rest }) => [name, rest])),
    ...extra,
  };
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(file, null, 2), { mode: 0o600 });
  return {
    TMAIL_CONFIG_DIR: configDir,
    TMAIL_STATE_DIR: stateDir,
    TMAIL_CACHE_DIR: join(stateDir, 'cache'),
    TMAIL_LOG_FILE: join(stateDir, 'tmail.log'),
  };
}
