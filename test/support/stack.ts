/**
 * What a test file uses to reach the shared mail stack: its info, fresh users
 * of its own so that test files never see each other's mail, and
 * `forEachServer` to run the same tests on every IMAP server the stack runs.
 */
import { describe, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  attachMailStack,
  stackOn,
  type ImapServerInfo,
  type MailStack,
  type MailUser,
  type ServerId,
} from './mail-stack.js';

export type TestUser = MailUser & { email: string };

/** The mail stack global setup started, pointed at Dovecot and Postfix. */
export function sharedMailStack(): MailStack {
  return attachMailStack(inject('mailStack'));
}

/** Creates a user no other test knows, e.g. `flags-3fa9c1`, on the stack's IMAP server. */
export async function newTestUser(stack: MailStack, prefix = 'user'): Promise<TestUser> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomBytes(3).toString('hex')}`;
  return stack.addUser(name);
}

/**
 * Runs the tests `body` declares once per IMAP server the stack runs (Dovecot,
 * Cyrus, Courier and its variants without UIDPLUS or IDLE), each in a
 * `describe` named after the server. The servers' lists run at the same time
 * (the tests mostly wait on servers and child processes, and a test file gets
 * one worker); within one server the tests run in order, as written. So keep
 * what a test changes per server: its own users, no process-wide settings.
 * `stack` is the shared stack pointed at
 * that server and its SMTP gateway: pass it (or `stack.info()`) to the usual
 * helpers (newTestUser, testEngine, testAccount, checker, seedMaildir) and
 * they work there. Tests adapt to a server through what it reports
 * (capabilities, separator), not by its name; `server` is for what only the
 * harness knows, such as which capabilities a variant withholds.
 *
 * `only` limits the servers, for a test of one server's behaviour.
 */
export function forEachServer(
  body: (stack: MailStack, server: ImapServerInfo) => void,
  options: { only?: ServerId[] } = {},
): void {
  const info = inject('mailStack');
  const servers = info.servers.filter((s) => !options.only || options.only.includes(s.id));
  // The per-server suites are concurrent with each other; the one suite inside each is
  // sequential, and what body declares inherits that (vitest passes concurrency down).
  describe.concurrent.each(servers)('on $label', (server) => {
    describe.sequential(server.id, () => {
      body(attachMailStack(stackOn(info, server.id)), server);
    });
  });
}
