import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MailBackend } from '../../src/core/engine/backend.js';
import {
  netFlagChanges,
  PendingFlagQueue,
  type PendingFlagChange,
} from '../../src/core/engine/pending-flags.js';
import { describeRefusals, replayFolder } from '../../src/core/engine/replay-flags.js';
import { TmailError } from '../../src/core/errors.js';
import { writeFileAtomicSync } from '../../src/core/fs-atomic.js';
import { fileError } from '../../src/core/fs-errors.js';

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'pending-')), 'p.json');
}

const change = (uids: number[], add: string[] = ['\\Flagged']) => ({
  folder: 'INBOX',
  uidValidity: '7',
  uids,
  add,
  remove: [],
});

function onDisk(file: string): PendingFlagChange[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { changes: PendingFlagChange[] }).changes;
}

describe('offline flag changes', () => {
  it('survive a restart', () => {
    const file = tempFile();
    const queue = new PendingFlagQueue(file);
    queue.add({ folder: 'INBOX', uidValidity: '7', uids: [1, 2], add: ['\\Seen'], remove: [] });
    const again = new PendingFlagQueue(file);
    expect(again.list()).toHaveLength(1);
    expect(again.list()[0]).toMatchObject({ folder: 'INBOX', uids: [1, 2], add: ['\\Seen'] });
    again.remove([again.list()[0]!.id]);
    expect(onDisk(file)).toEqual([]);
  });

  it('fold into the net change, the later intent winning', () => {
    const base = { id: '', folder: 'INBOX', uidValidity: '1', at: 0 };
    const net = netFlagChanges([
      { ...base, uids: [1, 2, 3], add: ['\\Seen'], remove: [] },
      { ...base, uids: [2], add: [], remove: ['\\Seen'] },
      { ...base, uids: [3], add: ['\\Flagged'], remove: [] },
    ]);
    expect(net).toEqual([
      { flag: '\\Seen', add: true, uids: [1, 3] },
      { flag: '\\Seen', add: false, uids: [2] },
      { flag: '\\Flagged', add: true, uids: [3] },
    ]);
  });
});

describe('two tmail processes sharing the queue file', () => {
  it('keep each other’s changes: every add merges into what the file holds now', () => {
    const file = tempFile();
    // Both "processes" open the queue before either writes (as two readers started together).
    const reader1 = new PendingFlagQueue(file);
    const reader2 = new PendingFlagQueue(file);
    reader1.add(change([1]));
    reader2.add(change([2]));
    reader1.add(change([3]));
    expect(onDisk(file).map((c) => c.uids[0])).toEqual([1, 2, 3]);
    expect(reader1.size).toBe(3);
    expect(reader2.size).toBe(3);
  });

  it('replay a change once: what one process claimed, the other does not get', () => {
    const file = tempFile();
    const reader1 = new PendingFlagQueue(file);
    const reader2 = new PendingFlagQueue(file);
    reader1.add(change([1]));
    const first = reader1.claim();
    expect(first).toHaveLength(1);
    reader2.add(change([2]));
    // Reader 2 connects meanwhile: it gets only its own change, not the one being replayed.
    expect(reader2.claim().map((c) => c.uids)).toEqual([[2]]);
    reader1.settle(first.map((c) => c.id));
    reader2.settle(onDisk(file).map((c) => c.id));
    expect(onDisk(file)).toEqual([]);
    // Nothing left for reader 1 to send again from memory.
    expect(reader1.claim()).toEqual([]);
  });

  it('gives released changes back, and takes over the claim of a process that died', () => {
    const file = tempFile();
    const reader1 = new PendingFlagQueue(file);
    reader1.add(change([1]));
    const claimed = reader1.claim();
    reader1.settle(
      [],
      claimed.map((c) => c.id),
    );
    expect(onDisk(file)[0]!.claim).toBeUndefined();

    // A claim left by a pid that no longer runs.
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
      .toString()
      .trim();
    const stale = onDisk(file).map((c) => ({
      ...c,
      claim: { pid: Number(dead), host: hostname(), token: 'x', at: Date.now() },
    }));
    writeFileSync(file, JSON.stringify({ changes: stale }));
    expect(new PendingFlagQueue(file).claim()).toHaveLength(1);
  });
});

describe('a disk that refuses the write', () => {
  const enospc = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };

  it('names the cause, keeps the change in memory, and saves it once the disk takes it', () => {
    const file = tempFile();
    let full = true;
    const queue = new PendingFlagQueue(file, (path, data) =>
      full ? enospc() : writeFileAtomicSync(path, data),
    );
    const { error } = queue.add(change([4]));
    expect(error?.code).toBe('FILE_ERROR');
    expect(error?.userMessage).toBe(
      `The offline change could not be saved for later (${file}): the disk is full.`,
    );
    expect(queue.size).toBe(1);
    expect(queue.unsavedCount).toBe(1);
    // Still replayed from memory if the connection comes back first.
    expect(queue.claim().map((c) => c.uids)).toEqual([[4]]);
    full = false;
    expect(queue.flush()).toBeUndefined();
    expect(queue.unsavedCount).toBe(0);
    expect(onDisk(file).map((c) => c.uids)).toEqual([[4]]);
  });
});

// A real full disk: a tiny tmpfs (needs root and mount; skipped where unavailable).
const mountPoint = mkdtempSync(join(tmpdir(), 'tmail-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], {
    stdio: 'ignore',
  });
  mounted = true;
} catch {
  mounted = false;
}
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('on a full tmpfs', () => {
  it('leaves no temp file behind, and the queue says the disk is full', () => {
    const dir = join(mountPoint, 'pending');
    mkdirSync(dir);
    const file = join(dir, 'acct.json');
    const queue = new PendingFlagQueue(file);
    queue.add(change([1]));
    // Fill the disk to the last byte.
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, '');
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ENOSPC');
    }
    expect(() => writeFileAtomicSync(file, 'x'.repeat(10_000))).toThrow(/ENOSPC/);
    for (let i = 0; i < 3; i++) {
      const { error } = queue.add(change([10 + i]));
      expect(error?.userMessage).toMatch(/could not be saved for later .*: the disk is full\.$/);
    }
    expect(readdirSync(dir).sort()).toEqual(['acct.json']);
    expect(queue.size).toBe(4);
    rmSync(filler);
    expect(queue.flush()).toBeUndefined();
    expect(onDisk(file).map((c) => c.uids[0])).toEqual([1, 10, 11, 12]);
  });
});

describe('replaying one folder', () => {
  const stored: unknown[] = [];
  const backend = (select: () => Promise<unknown>) =>
    ({
      select,
      fetchFlags: async (uids: number[]) => new Map(uids.map((u) => [u, []])),
      storeFlags: async (...args: unknown[]) => void stored.push(args),
    }) as unknown as MailBackend;
  const queued: PendingFlagChange = { ...change([1, 2]), id: 'a', at: 0 };

  it('keeps every change when the connection drops during SELECT', async () => {
    const lost = new TmailError('CONNECTION_LOST', 'The connection was lost.');
    const result = await replayFolder(
      backend(() => Promise.reject(lost)),
      'INBOX',
      [queued],
    );
    expect(result).toMatchObject({ done: [], kept: ['a'], refused: [], lost });
  });

  it('refuses, with the reason, when the folder is rebuilt or gone', async () => {
    const rebuilt = await replayFolder(
      backend(async () => ({ path: 'INBOX', uidValidity: '8', exists: 2 })),
      'INBOX',
      [queued],
    );
    expect(rebuilt).toMatchObject({ done: ['a'], kept: [] });
    expect(describeRefusals(rebuilt.refused)).toBe(
      'Offline changes to 2 messages were not applied: INBOX was rebuilt on the server, so its message numbers changed (2 messages).',
    );
    const gone = await replayFolder(
      backend(() =>
        Promise.reject(
          new TmailError('SERVER_NO', 'The server refused to open INBOX.', {
            serverText: 'Mailbox does not exist',
          }),
        ),
      ),
      'INBOX',
      [queued],
    );
    expect(gone.done).toEqual(['a']);
    expect(describeRefusals(gone.refused)).toBe(
      'Offline changes to 2 messages were not applied: INBOX could not be opened (2 messages: The server refused to open INBOX: Mailbox does not exist).',
    );
  });
});

describe('file-system failures in words', () => {
  it('names the cause of a failed write in one sentence', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const erofs = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    expect(fileError(enospc, 'The draft could not be saved', '/s/drafts').userMessage).toBe(
      'The draft could not be saved (/s/drafts): the disk is full.',
    );
    expect(fileError(erofs, 'The draft could not be saved').userMessage).toBe(
      'The draft could not be saved: the file system is read-only.',
    );
  });
});
