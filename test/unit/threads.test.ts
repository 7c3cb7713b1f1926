import { describe, expect, it } from 'vitest';
import { flattenThreads, threadEnvelopes } from '../../src/core/engine/threads.js';
import { parseThreadList } from '../../src/core/imap/imap-backend.js';

const atom = (value: string) => ({ type: 'ATOM', value });

describe('threads', () => {
  it('parse the RFC 5256 example', () => {
    // (2)(3 6 (4 23)(44 7 96))
    const threads = parseThreadList([
      [atom('2')],
      [atom('3'), atom('6'), [atom('4'), atom('23')], [atom('44'), atom('7'), atom('96')]],
    ]);
    const { uids, depth } = flattenThreads(threads, false);
    expect(uids).toEqual([2, 3, 6, 4, 23, 44, 7, 96]);
    expect([...depth.entries()]).toEqual([
      [2, 0],
      [3, 0],
      [6, 1],
      [4, 2],
      [23, 3],
      [44, 2],
      [7, 3],
      [96, 4],
    ]);
  });

  it('put the thread with the newest message first when reversed', () => {
    const threads = parseThreadList([[atom('1'), atom('5')], [atom('3')]]);
    expect(flattenThreads(threads, true).uids).toEqual([1, 5, 3]);
  });

  it('survive replies that point at each other', () => {
    const e = (uid: number, id: string, parent: string) =>
      ({ uid, messageId: id, inReplyTo: parent }) as never;
    const roots = threadEnvelopes([e(1, '<a>', '<b>'), e(2, '<b>', '<a>'), e(3, '<c>', '')]);
    expect(flattenThreads(roots, false).uids.sort()).toEqual([3]);
  });
});
