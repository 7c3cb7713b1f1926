/**
 * Vitest global setup for the server projects: one mail stack for the whole
 * run, shared through `inject('mailStack')`. Started once even when both the
 * engine and e2e projects run (a reference count on globalThis), stopped when
 * the last project is done.
 */
import type { TestProject } from 'vitest/node';
import { startMailStack, type MailStack, type MailStackInfo } from './mail-stack.js';

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
    shared.__tmailStack = { stack: startMailStack(), users: 0 };
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
