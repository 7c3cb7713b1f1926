import { describe, expect, it } from 'vitest';
import {
  baseSubject,
  flattenThreads,
  sortKnownEnvelopes,
  threadEnvelopes,
} from '../../src/core/engine/threads.js';
import type { Envelope } from '../../src/core/types.js';
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

  it('survive replies that point at each other, losing no message', () => {
    const roots = threadEnvelopes([
      envelope(1, { messageId: '<a>', inReplyTo: '<b>' }),
      envelope(2, { messageId: '<b>', inReplyTo: '<a>' }),
      envelope(3, { messageId: '<c>' }),
    ]);
    expect(flattenThreads(roots, false).uids.sort()).toEqual([1, 2, 3]);
  });

  it('thread by In-Reply-To, then replies by subject under the oldest of that subject', () => {
    const roots = threadEnvelopes([
      envelope(1, { messageId: '<plan>', subject: 'The plan' }),
      envelope(2, { messageId: '<other>', subject: 'Lunch?' }),
      envelope(3, { messageId: '<r1>', inReplyTo: '<plan>', subject: 'Re: The plan' }),
      // Its In-Reply-To names a message not loaded: the subject puts it in the thread.
      envelope(4, { messageId: '<r2>', inReplyTo: '<gone>', subject: 'RE: [team] Re: the plan' }),
      // Same subject but not a reply: a thread of its own.
      envelope(5, { messageId: '<again>', subject: 'The plan' }),
    ]);
    const { uids, depth } = flattenThreads(roots, false);
    expect(uids).toEqual([2, 1, 3, 4, 5]);
    expect(depth.get(3)).toBe(1);
    expect(depth.get(4)).toBe(1);
    expect(depth.get(5)).toBe(0);
  });
});

describe('the base subject', () => {
  it('drops reply and forward prefixes and list tags, and says whether it was a reply', () => {
    expect(baseSubject('Re: Fwd: [dev] AW:  The   Plan')).toEqual({
      base: 'the plan',
      reply: true,
    });
    expect(baseSubject('Re[2]: x')).toEqual({ base: 'x', reply: true });
    expect(baseSubject('Release notes')).toEqual({ base: 'release notes', reply: false });
  });
});

describe('sorting where the server has no SORT', () => {
  const known = new Map(
    [
      envelope(10, { subject: 'b', date: 3, size: 50, from: 'Zoe' }),
      envelope(11, { subject: 'Re: a', date: 1, size: 10, from: 'adam' }),
      envelope(12, { subject: 'c', date: 2, size: 30, from: 'Bea' }),
    ].map((e) => [e.uid, e]),
  );
  const arrival = [13, 12, 11, 10, 9];

  it('sorts the messages known by the key, the others after them in arrival order', () => {
    expect(sortKnownEnvelopes(arrival, known, { key: 'subject', reverse: false })).toEqual([
      11, 10, 12, 13, 9,
    ]);
    expect(sortKnownEnvelopes(arrival, known, { key: 'date', reverse: true })).toEqual([
      10, 12, 11, 13, 9,
    ]);
    expect(sortKnownEnvelopes(arrival, known, { key: 'size', reverse: false })).toEqual([
      11, 12, 10, 13, 9,
    ]);
    expect(sortKnownEnvelopes(arrival, known, { key: 'from', reverse: false })).toEqual([
      11, 12, 10, 13, 9,
    ]);
  });

  it('put a reply whose parent is not loaded under its nearest loaded ancestor in References', () => {
    const roots = threadEnvelopes([
      envelope(1, { messageId: '<root>', subject: 'Budget' }),
      envelope(2, {
        messageId: '<deep>',
        inReplyTo: '<gone>',
        references: ['<root>', '<gone>'],
        subject: 'Numbers',
      }),
      envelope(3, { messageId: '<other>', subject: 'Lunch' }),
    ]);
    const { uids, depth } = flattenThreads(roots, false);
    expect(uids).toEqual([1, 2, 3]);
    expect(depth.get(2)).toBe(1);
  });

  it("draw guides like mutt and list each thread's replies", () => {
    // 1 <- 2 <- 3, 1 <- 4; 5 alone.
    const threads = parseThreadList([
      [atom('1'), [atom('2'), atom('3')], [atom('4')]],
      [atom('5')],
    ]);
    const { uids, guides, members } = flattenThreads(threads, false);
    expect(uids).toEqual([1, 2, 3, 4, 5]);
    expect(uids.map((uid) => guides.get(uid) ?? '')).toEqual(['', '├─>', '│ └─>', '└─>', '']);
    expect([...members]).toEqual([[1, [2, 3, 4]]]);
  });
});

function envelope(
  uid: number,
  fields: {
    messageId?: string;
    inReplyTo?: string;
    references?: string[];
    subject?: string;
    date?: number;
    size?: number;
    from?: string;
  },
): Envelope {
  return {
    uid,
    subject: fields.subject ?? '',
    from: fields.from ? [{ name: fields.from, address: `${fields.from}@example.test` }] : [],
    to: [],
    cc: [],
    replyTo: [],
    date: fields.date ?? 0,
    arrival: uid,
    messageId: fields.messageId ?? '',
    inReplyTo: fields.inReplyTo ?? '',
    ...(fields.references ? { references: fields.references } : {}),
    flags: [],
    size: fields.size ?? 0,
    hasAttachments: false,
  };
}
