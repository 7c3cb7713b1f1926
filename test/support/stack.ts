/**
 * What a test file uses to reach the shared mail stack: its info, and fresh
 * users of its own so that test files never see each other's mail.
 */
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { attachMailStack, type MailStack, type MailUser } from './mail-stack.js';

export type TestUser = MailUser & { email: string };

/** The mail stack global setup started. */
export function sharedMailStack(): MailStack {
  return attachMailStack(inject('mailStack'));
}

/** Creates a user no other test knows, e.g. `flags-3fa9c1`. */
export async function newTestUser(stack: MailStack, prefix = 'user'): Promise<TestUser> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomBytes(3).toString('hex')}`;
  return stack.addUser(name);
}
