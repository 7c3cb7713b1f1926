/**
 * A short-lived lock between tmail processes on one file, for read-modify-write
 * of a small shared file (the offline flag queue).
 *
 * The lock is a symbolic link `<file>.lock` whose target names the holder
 * (`tmail-lock:<pid>:<ms>:<host>`), the trick Emacs uses for its lock files:
 * creating a symlink fails with EEXIST when one is there (like O_EXCL), its
 * target is written and read in one step (no half-written lock to misread),
 * and a short target lives inside the inode, so the lock can still be taken
 * on a full disk, where the queue most needs to say why it cannot save.
 *
 * A lock is stale when its process is gone (same host) or it is older than
 * {@link STALE_MS}: holders keep it for a few milliseconds, never across
 * network I/O. A stale lock is moved aside and the one moved is checked to be
 * the one judged stale, so two processes breaking it at once cannot both win.
 */
import { mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { TmailError } from './errors.js';
import { fsErrorCode } from './fs-errors.js';
import { randomHex } from './random-id.js';

/** A lock held longer than this was left by a process that hung or died. */
const STALE_MS = 30_000;
const WAIT_MS = 5_000;
const PREFIX = 'tmail-lock:';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a process of this machine with that pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return fsErrorCode(error) === 'EPERM';
  }
}

interface Holder {
  pid: number;
  at: number;
  host: string;
}

function parse(target: string): Holder | undefined {
  if (!target.startsWith(PREFIX)) return undefined;
  const [pid, at, ...host] = target.slice(PREFIX.length).split(':');
  const holder = { pid: Number(pid), at: Number(at), host: host.join(':') };
  return Number.isFinite(holder.pid) && Number.isFinite(holder.at) ? holder : undefined;
}

function readHolder(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return undefined;
    // Not a symlink (something else sits there): treat it as a stale lock of unknown age.
    if (fsErrorCode(error) === 'EINVAL') return '';
    throw error;
  }
}

function isStale(target: string, now: number): boolean {
  const holder = parse(target);
  if (!holder) return true;
  if (now - holder.at > STALE_MS) return true;
  return holder.host === hostname() && !pidAlive(holder.pid);
}

/**
 * Runs `work` while holding the lock of `file`, waiting (synchronously, a few
 * ms at a time) while another process holds it. Throws a FILE_ERROR when the
 * lock cannot be taken.
 */
export function withFileLockSync<T>(file: string, work: () => T): T {
  const path = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  const mine = `${PREFIX}${process.pid}:${Date.now()}:${hostname()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      symlinkSync(mine, path);
      break;
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'ENOENT') {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        continue;
      }
      // The caller names what could not be saved; the errno error says why.
      if (code !== 'EEXIST') throw error;
    }
    const held = readHolder(path);
    if (held === undefined) continue;
    if (isStale(held, Date.now())) {
      const aside = `${path}.stale-${randomHex(4)}`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if (fsErrorCode(error) === 'ENOENT') continue;
        throw error;
      }
      const moved = readHolder(aside);
      if (moved !== held) {
        // Someone broke it and locked again in between: that lock is theirs, put it back.
        try {
          symlinkSync(moved ?? '', path);
        } catch {
          // They or another process hold it anew; either way, wait below.
        }
      }
      try {
        unlinkSync(aside);
      } catch {
        // Already gone.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new TmailError(
        'FILE_ERROR',
        `Another tmail has held ${path} for more than ${WAIT_MS / 1000} s; try again.`,
      );
    }
    sleepSync(Math.min(50, 2 + attempt * 2));
  }
  try {
    return work();
  } finally {
    try {
      if (readHolder(path) === mine) unlinkSync(path);
    } catch {
      // Broken as stale by someone else meanwhile: nothing of ours to remove.
    }
  }
}
