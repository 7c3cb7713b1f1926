/**
 * The removal rules on the fake backend, for every mix of MOVE and UIDPLUS:
 * exactly the chosen messages leave the folder, or they stay marked \Deleted.
 */
import { describe, expect, it } from 'vitest';
import { FakeBackend, FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { expungeExactly, moveExactly } from '../../src/core/engine/removal.js';

const DELETED = '\\Deleted';

async function folderWithDeleted(capabilities: string[]) {
  const server = new FakeMailServer();
  server.capabilities = new Set(['IMAP4REV1', ...capabilities]);
  server.deliver('INBOX', [{}, {}, {}, {}]);
  server.setFlags('INBOX', 1, [DELETED]);
  server.setFlags('INBOX', 2, [DELETED]);
  const backend = new FakeBackend(server);
  await backend.connect();
  await backend.select('INBOX');
  const uids = () => server.folder('INBOX').messages.map((m) => m.uid);
  return { server, backend, uids };
}

describe('moving without taking other messages along', () => {
  for (const caps of [['MOVE', 'UIDPLUS'], ['UIDPLUS'], ['MOVE'], []]) {
    it(`with ${caps.join(' and ') || 'neither MOVE nor UIDPLUS'}`, async () => {
      const { server, backend, uids } = await folderWithDeleted(caps);
      const outcome = await moveExactly(backend, [3], 'Archive');
      expect(uids()).toEqual(expect.arrayContaining([1, 2, 4]));
      expect(server.folder('Archive').messages).toHaveLength(1);
      if (caps.includes('MOVE') || caps.includes('UIDPLUS')) {
        expect(uids()).toEqual([1, 2, 4]);
        expect(outcome).toMatchObject({ removed: [3], leftMarked: [] });
      } else {
        expect(uids()).toEqual([1, 2, 3, 4]);
        expect(outcome).toMatchObject({ removed: [], leftMarked: [3] });
        expect(backend.commands).not.toContain('EXPUNGE');
      }
    });
  }

  it('uses a plain EXPUNGE when no other message is marked', async () => {
    const { server, backend, uids } = await folderWithDeleted([]);
    server.setFlags('INBOX', 1, []);
    server.setFlags('INBOX', 2, []);
    const outcome = await moveExactly(backend, [3], 'Archive');
    expect(outcome).toMatchObject({ removed: [3], leftMarked: [] });
    expect(uids()).toEqual([1, 2, 4]);
  });
});

describe('expunging chosen messages', () => {
  it('leaves the others marked without UIDPLUS', async () => {
    const { server, backend, uids } = await folderWithDeleted([]);
    server.setFlags('INBOX', 4, [DELETED]);
    expect(await expungeExactly(backend, [4])).toEqual({ removed: [], leftMarked: [4] });
    expect(uids()).toEqual([1, 2, 3, 4]);
    // All of them chosen: the plain EXPUNGE is what was asked.
    expect(await expungeExactly(backend, [1, 2, 4])).toEqual({
      removed: [1, 2, 4],
      leftMarked: [],
    });
    expect(uids()).toEqual([3]);
  });
});
