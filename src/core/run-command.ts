/**
 * Runs a helper program the user configured (an address query command, a
 * signature command) and captures its output, without ever letting it hold
 * tmail: a time limit, a cap on what is read, its own process group so that a
 * timeout also stops what it started, and stdin closed.
 */
import { spawn } from 'node:child_process';

export interface RunCaptureOptions {
  /** Limit in ms; the process group is killed after it. */
  timeoutMs: number;
  /** Bytes of stdout kept; the program is stopped once it has printed this much. */
  maxBytes: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** What a helper program did: its output (cut at `maxBytes`) and how it ended. */
export interface CaptureResult {
  stdout: string;
  /** Exit status; null when it was stopped or could not be started. */
  status: number | null;
  /** Why it did not end normally: `timeout`, `too-much` (output cut), `spawn` (not found, not executable), `aborted`. */
  failure?: 'timeout' | 'too-much' | 'spawn' | 'aborted';
  /** The system's reason when it could not be started (ENOENT, EACCES). */
  spawnError?: string;
}

/**
 * Runs `argv` directly (no shell) and resolves when it ends, is stopped or
 * fails to start. Never rejects.
 */
export function runCapture(
  argv: readonly string[],
  options: RunCaptureOptions,
): Promise<CaptureResult> {
  return new Promise((resolve) => {
    if (options.signal?.aborted || argv.length === 0) {
      resolve({ stdout: '', status: null, failure: argv.length ? 'aborted' : 'spawn' });
      return;
    }
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true,
        env: options.env ?? process.env,
      });
    } catch (error) {
      resolve({
        stdout: '',
        status: null,
        failure: 'spawn',
        spawnError: (error as NodeJS.ErrnoException).code ?? 'error',
      });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: Omit<CaptureResult, 'stdout'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), ...result });
    };
    const stop = (failure: CaptureResult['failure']) => {
      finish({ status: null, failure });
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout?.destroy();
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    timer.unref?.();
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = options.maxBytes - size;
      chunks.push(room >= chunk.length ? chunk : chunk.subarray(0, Math.max(0, room)));
      size += chunk.length;
      if (size > options.maxBytes) stop('too-much');
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish({ status: null, failure: 'spawn', spawnError: error.code ?? 'error' }),
    );
    child.on('close', (code) => finish({ status: code }));
  });
}
