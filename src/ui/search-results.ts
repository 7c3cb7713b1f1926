/**
 * What the results of a search across folders say, as text: the header
 * (`Search: QUERY in all folders — N results`), a note when some answers are
 * the local cache's, and each row with its folder in a column of its own.
 * Every string from a message, a folder name or the query is sanitised here.
 */
import type { SearchResults } from '../commands/index.js';
import type { FolderHit } from '../core/engine/engine.js';
import {
  cellWidth,
  padToWidth,
  sanitizeLine,
  truncateToWidth,
  wrapText,
} from '../core/text/index.js';
import { formatListDate, formatRow, rowColumns, type DateStyle, type RowText } from './list-row.js';

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** The header line: the query, and how many messages match. */
export function resultsTitle(results: SearchResults): string {
  const n = results.hits.length;
  const found = results.more ? `the newest ${count(n, 'result')} (more match)` : count(n, 'result');
  return `Search: ${sanitizeLine(results.query)} in all folders — ${found}`;
}

/**
 * One sentence when answers came from the local cache instead of the server;
 * null when none did. Offline, why is the status line's to say.
 */
export function resultsNote(results: SearchResults): string | null {
  const { fromCache, unsearched } = results;
  if (fromCache) {
    const asOf = fromCache.asOf === null ? '' : ` as of ${formatListDate(fromCache.asOf, 'iso')}`;
    return `Offline: these results are from the local cache${asOf}.`;
  }
  if (!unsearched.length) return null;
  const first = unsearched[0]!;
  const which =
    unsearched.length === 1
      ? sanitizeLine(first.path)
      : `${sanitizeLine(first.path)} and ${count(unsearched.length - 1, 'other folder')}`;
  return `${which} could not be searched on the server (${sanitizeLine(first.reason).replace(/\.$/, '')}); results there are from the local cache.`;
}

/** The note as the pane shows it: wrapped to the width, on at most three rows. */
export function resultsNoteLines(results: SearchResults, width: number): string[] {
  const note = resultsNote(results);
  if (!note) return [];
  const lines = wrapText(note, Math.max(10, width));
  if (lines.length <= 3) return lines;
  return [...lines.slice(0, 2), truncateToWidth(`${lines[2]!} ${lines[3]!}`, width)];
}

/** Rows left for the hits in a list pane `width` by `height`: less the title and the note. */
export function resultsRowsHeight(results: SearchResults, width: number, height: number): number {
  return Math.max(1, height - 1 - resultsNoteLines(results, width).length);
}

/** Width of the folder column: the longest folder name shown, within a fifth of the width. */
export function folderColumnWidth(hits: readonly FolderHit[], width: number): number {
  let longest = 6;
  for (const hit of hits) longest = Math.max(longest, cellWidth(sanitizeLine(hit.path)));
  return Math.min(longest, Math.max(6, Math.floor(width / 5)));
}

/** A results row: the list's row with the folder between the flags and the sender. */
export interface ResultRow extends RowText {
  folder: string;
}

export function formatResultRow(
  hit: FolderHit,
  options: { width: number; folderWidth: number; dateStyle: DateStyle; now: number },
): ResultRow {
  const columns = rowColumns(
    Math.max(20, options.width - options.folderWidth - 1),
    options.dateStyle,
  );
  const row = formatRow(hit.envelope, {
    columns,
    tagged: false,
    guide: '',
    dateStyle: options.dateStyle,
    showRecipient: false,
    now: options.now,
  });
  const folder = padToWidth(
    truncateToWidth(sanitizeLine(hit.path), options.folderWidth),
    options.folderWidth,
  );
  return { ...row, folder };
}
