import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netFlagChanges, PendingFlagQueue } from '../../src/core/engine/pending-flags.js';

describe('offline flag changes', () => {
  it('survive a restart', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pending-')), 'p.json');
    const queue = new PendingFlagQueue(file);
    queue.add({ folder: 'INBOX', uidValidity: '7', uids: [1, 2], add: ['\\Seen'], remove: [] });
    const again = new PendingFlagQueue(file);
    expect(again.list()).toHaveLength(1);
    expect(again.list()[0]).toMatchObject({ folder: 'INBOX', uids: [1, 2], add: ['\\Seen'] });
    again.remove([again.list()[0]!.id]);
    expect(JSON.parse(readFileSync(file, 'utf8')).changes).toEqual([]);
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
