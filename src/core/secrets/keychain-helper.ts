/**
 * keytar in a helper process. A keytar call runs on libuv's thread pool, and a
 * frozen Secret Service leaves that thread waiting for D-Bus (25 to 50 s). A
 * timeout lets tmail go on, but Node joins the pool's threads when it exits,
 * so the program would still hang on quit, even through process.exit()
 * (measured here). A helper process can be killed instead: tmail never waits
 * for a wedged keychain, not even at exit.
 *
 * One helper serves every call of a run (a Node start, about 100 ms here, paid
 * once and in parallel with whatever else starts); requests and answers are
 * JSON lines on its stdin and stdout, so a password never appears in argv.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import type { KeytarApi } from './keychain.js';

/** The helper: loads keytar from the path in argv, answers one JSON line per request. */
const HELPER_SOURCE = `
let keytar;
try { keytar = require(process.argv[1]); }
catch (e) { process.stdout.write(JSON.stringify({ fatal: String(e && e.message) }) + '\\n'); process.exit(1); }
process.stdout.write(JSON.stringify({ ready: true }) + '\\n');
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let end;
  while ((end = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    const { id, op, args } = JSON.parse(line);
    Promise.resolve()
      .then(() => keytar[op](...args))
      .then(
        (value) => process.stdout.write(JSON.stringify({ id, ok: true, value }) + '\\n'),
        (e) => process.stdout.write(JSON.stringify({ id, ok: false, message: String(e && e.message) }) + '\\n'),
      );
  }
});
process.stdin.on('end', () => process.exit(0));
`;

type Op = 'getPassword' | 'setPassword' | 'deletePassword';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Where the keytar package is; throws when it is not installed. */
function keytarPath(): string {
  return createRequire(import.meta.url).resolve('@github/keytar');
}

/**
 * Starts the helper and resolves to a keytar whose calls run in it, once the
 * helper has loaded keytar (or rejects with why it could not). `abandon()`
 * kills the helper: every pending call then fails at once.
 */
export async function loadKeytarInHelper(): Promise<KeytarApi> {
  const path = keytarPath();
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['-e', HELPER_SOURCE, path],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    },
  );
  // Neither the helper nor its pipes may keep tmail running once it is done.
  child.unref();
  const unrefPipe = (stream: unknown) => (stream as { unref?: () => void }).unref?.();
  unrefPipe(child.stdin);
  unrefPipe(child.stdout);
  unrefPipe(child.stderr);
  child.stderr.resume();
  child.stdin.on('error', () => {});

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | undefined;
  let onReady: ((error?: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = (error) => (error ? reject(error) : resolve());
  });

  const die = (error: Error) => {
    if (dead) return;
    dead = error;
    onReady?.(error);
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };

  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      let message: {
        id?: number;
        ok?: boolean;
        value?: unknown;
        message?: string;
        ready?: boolean;
        fatal?: string;
      };
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      if (message.ready) onReady?.();
      else if (message.fatal !== undefined) die(new Error(message.fatal));
      else if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (!call) continue;
        if (message.ok) call.resolve(message.value);
        else call.reject(new Error(message.message ?? 'keytar failed'));
      }
    }
  });
  child.on('error', (error) => die(error));
  child.on('exit', (code, signal) =>
    die(new Error(`the keychain helper stopped (${signal ?? `status ${code}`})`)),
  );

  await ready;

  const request = (op: Op, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });

  return {
    getPassword: (service, account) =>
      request('getPassword', [service, account]) as Promise<string | null>,
    setPassword: async (service, account, password) => {
      await request('setPassword', [service, account, password]);
    },
    deletePassword: (service, account) =>
      request('deletePassword', [service, account]) as Promise<boolean>,
    abandon: () => {
      die(new Error('the keychain helper was stopped'));
      child.kill('SIGKILL');
    },
  };
}
