import { describe, expect, it } from 'vitest';
import { reduce } from '../../src/core/store/reducer.js';
import { DEFAULT_SORT, initialState, type MailState } from '../../src/core/store/state.js';
import type { Envelope } from '../../src/core/types.js';

function envelope(uid: number, flags: string[] = []): Envelope {
  return {
    uid,
    subject: `s${uid}`,
    from: [],
    to: [],
    cc: [],
    replyTo: [],
    date: uid,
    arrival: uid,
    messageId: '',
    inReplyTo: '',
    flags,
    size: 1,
    hasAttachments: false,
  };
}

function opened(total = 5): MailState {
  let state = reduce(initialState('a'), {
    type: 'folders',
    folders: [
      {
        path: 'INBOX',
        name: 'INBOX',
        delimiter: '/',
        parentPath: null,
        role: 'inbox',
        subscribed: true,
        selectable: true,
        total,
        unread: 2,
      },
    ],
  });
  state = reduce(state, {
    type: 'view-opened',
    path: 'INBOX',
    uidValidity: '1',
    total,
    sort: DEFAULT_SORT,
    threaded: false,
    search: null,
  });
  state = reduce(state, {
    type: 'view-uids',
    path: 'INBOX',
    uids: [5, 4, 3, 2, 1].slice(0, total),
    complete: true,
  });
  return reduce(state, {
    type: 'envelopes',
    path: 'INBOX',
    envelopes: [envelope(5), envelope(4, ['\\Seen'])],
  });
}

describe('the reducer', () => {
  it('never mutates the snapshot it was given', () => {
    const state = opened();
    const frozen = JSON.stringify({
      ...state,
      view: { ...state.view, envelopes: [...state.view!.envelopes] },
    });
    reduce(state, { type: 'flags', path: 'INBOX', changes: [{ uid: 5, flags: ['\\Seen'] }] });
    reduce(state, { type: 'messages-removed', path: 'INBOX', uids: [5] });
    expect(
      JSON.stringify({ ...state, view: { ...state.view, envelopes: [...state.view!.envelopes] } }),
    ).toBe(frozen);
  });

  it('returns the same snapshot when nothing changes', () => {
    const state = opened();
    expect(
      reduce(state, { type: 'flags', path: 'INBOX', changes: [{ uid: 4, flags: ['\\Seen'] }] }),
    ).toBe(state);
    expect(
      reduce(state, { type: 'flags', path: 'Other', changes: [{ uid: 5, flags: ['\\Seen'] }] }),
    ).toBe(state);
    expect(reduce(state, { type: 'messages-removed', path: 'INBOX', uids: [99] })).toBe(state);
  });

  it('updates flags and the unread count of the folder', () => {
    const state = reduce(opened(), {
      type: 'flags',
      path: 'INBOX',
      changes: [{ uid: 5, flags: ['\\Seen'] }],
    });
    expect(state.view!.envelopes.get(5)!.flags).toEqual(['\\Seen']);
    expect(state.folders[0]!.unread).toBe(1);
    const back = reduce(state, { type: 'flags', path: 'INBOX', changes: [{ uid: 5, flags: [] }] });
    expect(back.folders[0]!.unread).toBe(2);
  });

  it('adds new messages on top and removes expunged ones', () => {
    let state = reduce(opened(), {
      type: 'messages-added',
      path: 'INBOX',
      uids: [7, 6],
      position: 'top',
    });
    expect(state.view!.uids).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(state.view!.total).toBe(7);
    state = reduce(state, { type: 'messages-removed', path: 'INBOX', uids: [5, 3] });
    expect(state.view!.uids).toEqual([7, 6, 4, 2, 1]);
    expect(state.view!.envelopes.has(5)).toBe(false);
    expect(state.view!.total).toBe(5);
  });

  it('keeps the total of rows whose UIDs are not listed yet', () => {
    let state = reduce(initialState('a'), {
      type: 'view-opened',
      path: 'INBOX',
      uidValidity: '1',
      total: 1000,
      sort: DEFAULT_SORT,
      threaded: false,
      search: null,
    });
    state = reduce(state, { type: 'view-uids', path: 'INBOX', uids: [1000, 999], complete: false });
    expect(state.view!.total).toBe(1000);
    state = reduce(state, { type: 'messages-removed', path: 'INBOX', uids: [5] });
    expect(state.view!.total).toBe(999);
  });
});
