/** Account configs that point at the test mail stack. */
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
