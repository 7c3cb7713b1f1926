/**
 * Vitest global setup for the server projects: one mail stack for the whole
 * run, shared through `inject('mailStack')`. Started once even when both the
 * engine and e2e projects run (a reference count on globalThis), stopped when
 * the last project is done.
 *
 * Every IMAP server variant starts by default, so that `forEachServer` tests
 * run on each; `TMAIL_TEST_SERVERS=dovecot,cyrus` (ids from SERVER_IDS)
 * starts only those, for a quicker run while working on one.
 */
import type { TestProject } from 'vitest/node';
import {
  SERVER_IDS,
  startMailStack,
  type MailStack,
  type MailStackInfo,
  type ServerId,
} from './mail-stack.js';

/** The servers TMAIL_TEST_SERVERS names (all when unset); an unknown name is an error. */
export function requestedServers(value = process.env.TMAIL_TEST_SERVERS): ServerId[] {
  if (!value) return [...SERVER_IDS];
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!(SERVER_IDS as readonly string[]).includes(id)) {
      throw new Error(
        `TMAIL_TEST_SERVERS names an unknown server "${id}"; known: ${SERVER_IDS.join(', ')}.`,
      );
    }
  }
  return ids as ServerId[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    mailStack: MailStackInfo;
  }
}

interface Shared {
  stack: Promise<MailStack>;
  users: number;
}
const shared = globalThis as typeof globalThis & { __tmailStack?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!shared.__tmailStack) {
    shared.__tmailStack = { stack: startMailStack({ servers: requestedServers() }), users: 0 };
  }
  const entry = shared.__tmailStack;
  entry.users += 1;
  const stack = await entry.stack;
  project.provide('mailStack', stack.info());
  return async () => {
    entry.users -= 1;
    if (entry.users === 0) {
      shared.__tmailStack = undefined;
      await stack.stop();
    }
  };
}
