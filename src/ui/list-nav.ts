/**
 * The list cursor as a pure reducer. The cursor is a UID, not a row: when
 * rows above it go away (a delete, someone else's expunge) or new mail comes
 * in on top, it stays on the same message. Only when its own message goes
 * does it fall to the row where it was, which is the next message.
 */
import type { Motion } from '../commands/index.js';

export interface ListCursor {
  /** Row of the cursor (0-based). */
  row: number;
  /** UID under the cursor, or null while that row's UID is not known yet. */
  uid: number | null;
  /** First row shown. */
  top: number;
}

export const INITIAL_CURSOR: ListCursor = { row: 0, uid: null, top: 0 };

/** What the reducer needs of the list. */
export interface ListShape {
  uids: readonly number[];
  total: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/** Keeps the cursor's row on screen, with the top clamped so the last page is full. */
export function scrollIntoView(cursor: ListCursor, height: number, total: number): ListCursor {
  const h = Math.max(1, height);
  let top = cursor.top;
  if (cursor.row < top) top = cursor.row;
  if (cursor.row >= top + h) top = cursor.row - h + 1;
  top = clamp(top, 0, Math.max(0, total - h));
  return top === cursor.top ? cursor : { ...cursor, top };
}

/** Follows a changed list: finds the cursor's message again, or the row it left. */
export function syncCursor(cursor: ListCursor, list: ListShape, height: number): ListCursor {
  const { uids, total } = list;
  if (total === 0) {
    return cursor.row === 0 && cursor.uid === null && cursor.top === 0 ? cursor : INITIAL_CURSOR;
  }
  let { row, uid } = cursor;
  if (uid !== null) {
    // Most changes leave the cursor's row alone; look there before scanning.
    const index = uids[row] === uid ? row : uids.indexOf(uid);
    if (index >= 0) row = index;
    else if (uids.length >= Math.min(total, row + 1)) {
      // Its message is gone: the one that took its row is the next one.
      row = clamp(row, 0, total - 1);
      uid = uids[row] ?? null;
    }
  } else {
    row = clamp(row, 0, total - 1);
    uid = uids[row] ?? null;
  }
  row = clamp(row, 0, total - 1);
  const next = row === cursor.row && uid === cursor.uid ? cursor : { ...cursor, row, uid };
  return scrollIntoView(next, height, total);
}

/** Moves the cursor. Page moves scroll the list by as much as the cursor moves, as mutt does. */
export function moveCursor(
  cursor: ListCursor,
  motion: Motion,
  list: ListShape,
  height: number,
): ListCursor {
  const { total, uids } = list;
  if (total === 0) return cursor;
  const h = Math.max(1, height);
  const half = Math.max(1, Math.floor(h / 2));
  let row = cursor.row;
  let top = cursor.top;
  switch (motion) {
    case 'next':
      row += 1;
      break;
    case 'prev':
      row -= 1;
      break;
    case 'first':
      row = 0;
      break;
    case 'last':
      row = total - 1;
      break;
    case 'page-down':
      row += h;
      top += h;
      break;
    case 'page-up':
      row -= h;
      top -= h;
      break;
    case 'half-down':
      row += half;
      top += half;
      break;
    case 'half-up':
      row -= half;
      top -= half;
      break;
  }
  row = clamp(row, 0, total - 1);
  top = clamp(top, 0, Math.max(0, total - h));
  return scrollIntoView({ row, uid: uids[row] ?? null, top }, h, total);
}

/** Puts the cursor on a UID (when the reader opens a message), if it is listed. */
export function cursorToUid(
  cursor: ListCursor,
  uid: number,
  list: ListShape,
  height: number,
): ListCursor {
  const row = list.uids[cursor.row] === uid ? cursor.row : list.uids.indexOf(uid);
  if (row < 0) return cursor;
  return scrollIntoView({ ...cursor, row, uid }, height, list.total);
}
