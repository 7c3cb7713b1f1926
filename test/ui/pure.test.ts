/** Pure pieces of the UI and commands: search syntax, prompt editing, the cursor, the folder tree, rows. */
import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearchInput, splitWords } from '../../src/commands/index.js';
import { completeFolder } from '../../src/commands/completion.js';
import type { Mailbox, SearchQuery } from '../../src/core/types.js';
import { adjacentFolderPath, folderTree } from '../../src/ui/folder-tree.js';
import { computeLayout, splitListRows } from '../../src/ui/layout.js';
import { INITIAL_CURSOR, moveCursor, syncCursor } from '../../src/ui/list-nav.js';
import { flagColumn, formatListDate, rowColumns } from '../../src/ui/list-row.js';
import {
  createPrompt,
  editPrompt,
  promptValue,
  type PromptState,
} from '../../src/ui/prompt-state.js';
import { findMatches } from '../../src/ui/reader-lines.js';
import { cacheAge } from '../../src/ui/StatusLine.js';

describe('the search prompt', () => {
  it('uses the core search language and shows the query back', () => {
    const parsed = parseSearchInput('from:ada subject:"release notes" is:unread lunch');
    expect(parsed).toEqual({
      ok: true,
      query: { from: 'ada', subject: 'release notes', unflagged: ['\\Seen'], text: 'lunch' },
    });
    expect(formatSearch((parsed as { query: SearchQuery }).query)).toBe(
      'from:ada subject:"release notes" is:unread lunch',
    );
  });

  it('means the whole folder when empty, and refuses what it cannot read', () => {
    expect(parseSearchInput('  ')).toEqual({ ok: true, query: null });
    const bad = parseSearchInput('is:purple');
    expect(bad.ok).toBe(false);
    expect((bad as { error: string }).error).toMatch(/^Search not run: is: knows/);
  });

  it('splits command lines with quotes', () => {
    expect(splitWords('rename "Old name" New')).toEqual(['rename', 'Old name', 'New']);
  });
});

describe('the prompt editor', () => {
  const edit = (state: PromptState, command: string) => {
    const out = editPrompt(state, { type: 'command', command });
    if (out.kind !== 'edit') throw new Error(out.kind);
    return out.state;
  };
  const insert = (state: PromptState, text: string) => {
    const out = editPrompt(state, { type: 'insert', text });
    if (out.kind !== 'edit') throw new Error(out.kind);
    return out.state;
  };

  it('edits by code point with the cursor keys', () => {
    let p = createPrompt({ label: ':', initial: 'fold 日本' });
    p = edit(p, 'prompt.left');
    p = edit(p, 'prompt.backspace');
    expect(promptValue(p)).toBe('fold 本');
    p = edit(p, 'prompt.home');
    p = insert(p, ':');
    p = edit(p, 'prompt.end');
    p = edit(p, 'prompt.delete-word');
    expect(promptValue(p)).toBe(':fold ');
    p = edit(p, 'prompt.clear');
    expect(promptValue(p)).toBe('');
    expect(editPrompt(p, { type: 'command', command: 'prompt.backspace' }).kind).toBe('cancel');
  });

  it('cycles through completions and recalls history', () => {
    const complete = (input: string) =>
      ['Archive', 'Archive/2024'].filter((x) => x.startsWith(input));
    let p = createPrompt({ label: 'Move to: ', complete, history: ['Sent', 'Trash'] });
    p = insert(p, 'Ar');
    p = edit(p, 'prompt.complete');
    expect(promptValue(p)).toBe('Archive');
    p = edit(p, 'prompt.complete');
    expect(promptValue(p)).toBe('Archive/2024');
    p = edit(p, 'prompt.history-prev');
    expect(promptValue(p)).toBe('Trash');
    p = edit(p, 'prompt.history-prev');
    expect(promptValue(p)).toBe('Sent');
    p = edit(p, 'prompt.history-next');
    p = edit(p, 'prompt.history-next');
    expect(promptValue(p)).toBe('Archive/2024');
    expect(editPrompt(p, { type: 'command', command: 'prompt.accept' })).toEqual({
      kind: 'accept',
      value: 'Archive/2024',
    });
  });
});

describe('the list cursor', () => {
  const list = (uids: number[]) => ({ uids, total: uids.length });
  const uids = Array.from({ length: 100 }, (_, i) => 100 - i);

  it('stays on its message when rows above it go or new mail comes in', () => {
    let c = moveCursor(INITIAL_CURSOR, 'next', list(uids), 10);
    c = moveCursor(c, 'next', list(uids), 10);
    expect(c).toMatchObject({ row: 2, uid: 98 });
    c = syncCursor(c, list(uids.filter((u) => u !== 100)), 10);
    expect(c).toMatchObject({ row: 1, uid: 98 });
    c = syncCursor(c, list([101, 102, ...uids]), 10);
    expect(c).toMatchObject({ row: 4, uid: 98 });
  });

  it('falls to the next message when its own goes', () => {
    let c = moveCursor(INITIAL_CURSOR, 'next', list(uids), 10);
    c = syncCursor(c, list(uids.filter((u) => u !== 99)), 10);
    expect(c).toMatchObject({ row: 1, uid: 98 });
  });

  it('pages mutt-style and clamps at the ends', () => {
    let c = moveCursor(INITIAL_CURSOR, 'page-down', list(uids), 10);
    expect(c).toMatchObject({ row: 10, top: 10 });
    c = moveCursor(c, 'last', list(uids), 10);
    expect(c).toMatchObject({ row: 99, top: 90, uid: 1 });
    c = moveCursor(c, 'next', list(uids), 10);
    expect(c.row).toBe(99);
    c = moveCursor(c, 'half-up', list(uids), 10);
    expect(c).toMatchObject({ row: 94, top: 85 });
  });

  it('keeps a row whose UID is not known yet until the list arrives', () => {
    let c = moveCursor(INITIAL_CURSOR, 'last', { uids: uids.slice(0, 20), total: 100 }, 10);
    expect(c).toMatchObject({ row: 99, uid: null });
    c = syncCursor(c, list(uids), 10);
    expect(c).toMatchObject({ row: 99, uid: 1 });
  });
});

const box = (path: string, extra: Partial<Mailbox> = {}): Mailbox => ({
  path,
  name: path.split('/').at(-1)!,
  delimiter: '/',
  parentPath: path.includes('/') ? path.split('/').slice(0, -1).join('/') : null,
  role: null,
  subscribed: true,
  selectable: true,
  ...extra,
});

describe('the folder tree', () => {
  const folders = [
    box('INBOX', { role: 'inbox' }),
    box('Sent', { role: 'sent' }),
    box('Lists', { selectable: false }),
    box('Lists/node'),
    box('Lists/rust'),
    box('Work'),
  ];

  it('puts children under their parent and leaves folded ones out', () => {
    expect(folderTree(folders, new Set()).map((r) => `${r.depth}${r.folder.path}`)).toEqual([
      '0INBOX',
      '0Sent',
      '0Lists',
      '1Lists/node',
      '1Lists/rust',
      '0Work',
    ]);
    const folded = folderTree(folders, new Set(['Lists']));
    expect(folded.map((r) => r.folder.path)).toEqual(['INBOX', 'Sent', 'Lists', 'Work']);
    expect(folded[2]).toMatchObject({ hasChildren: true, folded: true });
  });

  it('steps over folders that hold no mail and folded ones', () => {
    const rows = folderTree(folders, new Set(['Lists']));
    expect(adjacentFolderPath(rows, 'Sent', 1)).toBe('Work');
    expect(adjacentFolderPath(rows, 'INBOX', -1)).toBeNull();
    expect(completeFolder('l', folders)).toEqual(['Lists/node', 'Lists/rust']);
    expect(completeFolder('rust', folders)).toEqual(['Lists/rust']);
  });
});

describe('list rows and layout', () => {
  it('shows N, D, !, r, f and @ in the flag column', () => {
    const env = (flags: string[], hasAttachments = false) =>
      ({ flags, hasAttachments }) as unknown as Parameters<typeof flagColumn>[0];
    expect(flagColumn(env([]), false)).toBe(' N    ');
    expect(flagColumn(env(['\\Seen', '\\Flagged', '\\Answered'], true), true)).toBe('* !r@ ');
    expect(flagColumn(env(['\\Deleted']), false)).toBe(' D    ');
    expect(flagColumn(env(['\\Seen', '$Forwarded']), false)).toBe('   f  ');
  });

  it('formats dates relative to today, or as ISO', () => {
    const now = new Date(2026, 4, 20, 15, 0).getTime();
    expect(formatListDate(new Date(2026, 4, 20, 9, 5).getTime(), 'relative', now)).toBe('09:05');
    expect(formatListDate(new Date(2026, 1, 3, 9, 5).getTime(), 'relative', now)).toBe('03 Feb');
    expect(formatListDate(new Date(2024, 1, 3).getTime(), 'relative', now)).toBe('2024-02-03');
    const december = new Date(2026, 11, 31, 12).getTime();
    expect(formatListDate(new Date(2026, 8, 7).getTime(), 'relative', december)).toBe('07 Sep');
    for (let month = 0; month < 12; month++)
      expect(formatListDate(new Date(2026, month, 7).getTime(), 'relative', december)).toHaveLength(
        6,
      );
    expect(formatListDate(new Date(2026, 1, 3, 9, 5).getTime(), 'iso', now)).toBe(
      '2026-02-03 09:05',
    );
  });

  it('says when the cached rows were last in step: the time today, the day before', () => {
    const now = new Date(2026, 11, 5, 15, 0).getTime();
    expect(cacheAge(null, now)).toBe('cached');
    expect(cacheAge(new Date(2026, 11, 5, 9, 7).getTime(), now)).toBe('cached, as of 09:07');
    expect(cacheAge(new Date(2026, 11, 4, 23, 59).getTime(), now)).toBe(
      'cached, as of Dec 4 23:59',
    );
    expect(cacheAge(new Date(2025, 11, 5, 9, 7).getTime(), now)).toBe('cached, as of Dec 5 09:07');
  });

  it('fits the columns to the width', () => {
    const c = rowColumns(80);
    expect(c.flags + c.from + 1 + c.subject + 1 + c.date).toBe(80);
    expect(rowColumns(40).date).toBe(0);
  });

  it('lays out 80x24 with a sidebar, and splits list and message', () => {
    const list = computeLayout({
      columns: 80,
      rows: 24,
      sidebar: true,
      layout: 'split',
      screen: 'list',
    });
    expect(list).toMatchObject({ sidebarWidth: 16, mainWidth: 64, listHeight: 22 });
    const split = computeLayout({
      columns: 80,
      rows: 24,
      sidebar: true,
      layout: 'split',
      screen: 'message',
    });
    expect(split.listHeight + 1 + split.readerHeight).toBe(22);
    expect(split.listHeight).toBe(7);
    const full = computeLayout({
      columns: 80,
      rows: 24,
      sidebar: false,
      layout: 'full',
      screen: 'message',
    });
    expect(full).toMatchObject({ listHeight: 0, readerHeight: 21, mainWidth: 80 });
    expect(
      computeLayout({ columns: 50, rows: 20, sidebar: true, layout: 'split', screen: 'list' })
        .sidebarWidth,
    ).toBe(0);
  });
});

describe('the split layout', () => {
  const split = (rows: number, splitList?: number | `${number}%`) =>
    computeLayout({
      columns: 100,
      rows,
      sidebar: false,
      layout: 'split',
      screen: 'message',
      splitList,
    });

  it('gives the list a third of the height by default, growing with the terminal', () => {
    expect(split(24).listHeight).toBe(7);
    expect(split(50).listHeight).toBe(16);
    expect(split(80).listHeight).toBe(26);
    for (const rows of [24, 50, 80]) {
      const m = split(rows);
      expect(m.listHeight + 1 + m.readerHeight).toBe(m.mainHeight);
    }
  });

  it('takes rows or a share from the setting, keeping room for the message', () => {
    expect(split(50, 10).listHeight).toBe(10);
    expect(split(50, '50%').listHeight).toBe(24);
    // The message keeps at least 5 rows, the list at least 3.
    expect(split(24, 40).listHeight).toBe(16);
    expect(split(24, 1).listHeight).toBe(3);
    expect(splitListRows(22, '90%')).toBe(16);
    // Too short to split: the message alone.
    expect(split(13, 10).listHeight).toBe(0);
  });
});

describe('find in the reader', () => {
  const lines = ['Hello World', 'hello again, hello'].map((text) => ({
    kind: 'text' as const,
    text,
    depth: 0,
  }));
  it('ignores case for lower-case queries and matches exactly with a capital', () => {
    expect(findMatches(lines, 'hello')).toHaveLength(3);
    expect(findMatches(lines, 'Hello')).toEqual([{ line: 0, start: 0, end: 5 }]);
  });
});
