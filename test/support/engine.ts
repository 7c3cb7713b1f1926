/** Engines and independent checking connections for tests against the real Dovecot. */
import { ImapFlow } from 'imapflow';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountConfig } from '../../src/core/config/types.js';
import { openAccountCache, type CacheSettings } from '../../src/core/cache/index.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { LocalMail } from '../../src/core/engine/local-mail.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import type { MailStackInfo } from './mail-stack.js';
import { testAccount, testCredentials } from './accounts.js';
import type { TestUser } from './stack.js';

export interface EngineHarness {
  engine: MailEngine;
  account: AccountConfig;
  /** Backends the engine has created, newest last. */
  backends: ImapBackend[];
  pendingFile: string;
}

/** An engine for `user` on the stack, with fast reconnects and its own pending-changes file. */
export function testEngine(
  stack: MailStackInfo,
  user: TestUser,
  overrides: Partial<AccountConfig> = {},
  pendingFile = join(mkdtempSync(join(tmpdir(), 'tmail-pending-')), 'pending.json'),
  options: { reconnectDelaysMs?: number[] } = {},
): EngineHarness {
  const account = testAccount(stack, user, overrides);
  const backends: ImapBackend[] = [];
  const engine = new MailEngine({
    account,
    pendingFile,
    reconnectDelaysMs: options.reconnectDelaysMs ?? [200, 400, 800],
    backendFactory: async () => {
      const backend = new ImapBackend({
        account,
        credentials: testCredentials(user),
        // The account's own timeout setting when a test gives one.
        timeoutMs: account.timeout === undefined ? 5000 : undefined,
      });
      backends.push(backend);
      return backend;
    },
  });
  return { engine, account, backends, pendingFile };
}

/**
 * An engine for `user` with a local cache in `dir` (`store.sqlite3` and
 * `folders.json`), reaching IMAP at `imap` (a proxy in front of the server)
 * when given, with cache settings on top of the defaults.
 */
export function cachedTestEngine(
  stack: MailStackInfo,
  user: TestUser,
  dir: string,
  options: { imap?: { host: string; port: number }; settings?: Partial<CacheSettings> } = {},
): MailEngine {
  const account = testAccount(
    stack,
    user,
    options.imap
      ? { imap: { host: options.imap.host, port: options.imap.port, security: 'plain' } }
      : {},
  );
  return new MailEngine({
    account,
    pendingFile: join(dir, 'pending.json'),
    reconnectDelaysMs: [200, 400, 800],
    cache: (onNotice) =>
      new LocalMail(
        openAccountCache(account, {
          file: join(dir, 'store.sqlite3'),
          onNotice,
          settings: options.settings,
        }),
        join(dir, 'folders.json'),
      ),
    backendFactory: async () =>
      new ImapBackend({ account, credentials: testCredentials(user), timeoutMs: 5000 }),
  });
}

/** A second, independent connection for checking what the server holds. */
export async function checker(stack: MailStackInfo, user: TestUser): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.name, pass: user.password },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Flags of every message in a folder, by UID, as the server has them now. */
export async function serverFlags(client: ImapFlow, path: string): Promise<Map<number, string[]>> {
  const lock = await client.getMailboxLock(path);
  try {
    // EXPUNGE news may not be sent during FETCH (RFC 3501 §7.4.1): ask for it first.
    await client.noop();
    const out = new Map<number, string[]>();
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const message of client.fetch('1:*', { uid: true, flags: true })) {
      out.set(message.uid, [...(message.flags ?? [])]);
    }
    return out;
  } finally {
    lock.release();
  }
}

/**
 * The names the server holds subscribed, by a raw LSUB (imapflow's list()
 * drops subscriptions of names that no longer exist, which is what a test of
 * a stale subscription must see). Names come as the server spells them.
 */
export async function serverSubscriptions(client: ImapFlow): Promise<string[]> {
  const names: string[] = [];
  const exec = (client as unknown as RawExec).exec.bind(client);
  const response = await exec(
    'LSUB',
    [
      { type: 'STRING', value: '' },
      { type: 'STRING', value: '*' },
    ],
    {
      untagged: {
        LSUB: async (untagged) => {
          const name = (untagged?.attributes?.[2] as { value?: unknown } | undefined)?.value;
          if (name !== undefined) names.push(String(name));
        },
      },
    },
  );
  response.next();
  return names;
}

interface RawExec {
  exec(
    command: string,
    attributes: unknown[],
    options: {
      untagged: Record<string, (untagged: { attributes?: unknown[] } | undefined) => Promise<void>>;
    },
  ): Promise<{ next(): void }>;
}

/** Message-IDs of a folder's messages, by UID, as the server holds them now. */
export async function serverMessageIds(
  client: ImapFlow,
  path: string,
): Promise<Map<number, string>> {
  const lock = await client.getMailboxLock(path);
  try {
    await client.noop();
    const out = new Map<number, string>();
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const message of client.fetch('1:*', { uid: true, envelope: true }))
      out.set(message.uid, message.envelope?.messageId ?? '');
    return out;
  } finally {
    lock.release();
  }
}

/** Every message of a folder with its subject, source and flags, as the server holds them now. */
export async function serverMessages(
  client: ImapFlow,
  path: string,
): Promise<Array<{ uid: number; subject: string; source: string; flags: string[] }>> {
  const lock = await client.getMailboxLock(path);
  try {
    // A folder already selected learns of new mail only from a command's untagged
    // EXISTS: without one, mail delivered after the first look is never seen.
    await client.noop();
    const out: Array<{ uid: number; subject: string; source: string; flags: string[] }> = [];
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const m of client.fetch('1:*', {
      uid: true,
      envelope: true,
      source: true,
      flags: true,
    })) {
      out.push({
        uid: m.uid,
        subject: m.envelope?.subject ?? '',
        source: m.source?.toString('utf8') ?? '',
        flags: [...(m.flags ?? [])],
      });
    }
    return out;
  } finally {
    lock.release();
  }
}

/** Subjects of a folder in UID order. */
export async function serverSubjects(client: ImapFlow, path: string): Promise<Map<number, string>> {
  const lock = await client.getMailboxLock(path);
  try {
    await client.noop();
    const out = new Map<number, string>();
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const message of client.fetch('1:*', { uid: true, envelope: true })) {
      out.set(message.uid, message.envelope?.subject ?? '');
    }
    return out;
  } finally {
    lock.release();
  }
}

/** A tmail engine in a process of its own (test/support/engine-child.ts), driven by commands. */
export interface EngineProcess {
  pid: number;
  /** Sends one command and resolves with its answer; rejects with the child's error. */
  send<T = unknown>(command: Record<string, unknown>): Promise<T>;
  /** Ends the process if it still runs. */
  kill(): void;
}

/**
 * Starts a second tmail process (an engine on `user`, sharing `pendingFile`), as
 * a second reader or a script would run beside the first.
 */
export function spawnEngine(
  stack: MailStackInfo,
  user: TestUser,
  pendingFile: string,
): EngineProcess {
  const script = fileURLToPath(new URL('./engine-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TMAIL_TEST_CHILD: JSON.stringify({ stack, user, pendingFile }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<(answer: { ok: boolean; value?: unknown; error?: string }) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    waiting.shift()?.(JSON.parse(line) as { ok: boolean; value?: unknown; error?: string });
  });
  return {
    pid: child.pid!,
    send: <T>(command: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        waiting.push((answer) =>
          answer.ok ? resolve(answer.value as T) : reject(new Error(answer.error)),
        );
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
    kill: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
