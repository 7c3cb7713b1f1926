/**
 * The reader's lines: core/text renders the message (sanitised, wrapped to
 * the width); this adds the all-headers form and finding text in the lines.
 */
import {
  cellWidth,
  renderMessage,
  sanitizeLine,
  sanitizeText,
  wrapText,
  type RenderedLine,
} from '../core/text/index.js';
import type { MessageView } from '../core/types.js';

export type { RenderedLine };

export interface ReaderLineOptions {
  width: number;
  /** Every header line, as received, instead of the short form. */
  allHeaders: boolean;
}

/** The message as lines of at most `width` cells. */
export function readerLines(view: MessageView, options: ReaderLineOptions): RenderedLine[] {
  const width = Math.max(10, options.width);
  if (!options.allHeaders) return renderMessage(view, { width });
  const lines: RenderedLine[] = [];
  for (const { key, value } of view.headers) {
    const head = `${sanitizeLine(key)}: `;
    const indent = Math.min(cellWidth(head), Math.floor(width / 3));
    const wrapped = wrapText(head + sanitizeLine(value), width);
    wrapped.forEach((text, index) => {
      const line = index === 0 ? text : ' '.repeat(indent) + text.trimStart();
      lines.push({ kind: 'header', text: line, depth: 0 });
    });
  }
  lines.push({ kind: 'blank', text: '', depth: 0 });
  lines.push(...renderMessage(view, { width, hideHeaders: true }));
  return lines;
}

/** One match of a find: line index and UTF-16 offsets within the line's text. */
export interface FindMatch {
  line: number;
  start: number;
  end: number;
}

/**
 * Every occurrence of `query` in the lines. Lower-case queries ignore case;
 * a query with a capital letter matches case exactly (vim's smartcase).
 */
export function findMatches(lines: readonly RenderedLine[], query: string): FindMatch[] {
  if (!query) return [];
  const exact = query !== query.toLowerCase();
  const needle = exact ? query : query.toLowerCase();
  const matches: FindMatch[] = [];
  lines.forEach((line, index) => {
    const hay = exact ? line.text : line.text.toLowerCase();
    // toLowerCase can change lengths for a few characters; offsets stay safe for ASCII and
    // most scripts, and a mismatch only misplaces a highlight.
    let from = 0;
    for (;;) {
      const at = hay.indexOf(needle, from);
      if (at < 0) break;
      matches.push({ line: index, start: at, end: at + needle.length });
      from = at + Math.max(1, needle.length);
    }
  });
  return matches;
}

/** The match to go to from `scroll` (the first line shown) in a direction. */
export function nextMatchIndex(
  matches: readonly FindMatch[],
  current: number,
  step: 1 | -1,
): number {
  if (!matches.length) return -1;
  if (current < 0) return step > 0 ? 0 : matches.length - 1;
  return (current + step + matches.length) % matches.length;
}

// One-entry caches: the reader and the controller ask for the same lines in the same frame.
let linesCache: { view: MessageView; width: number; all: boolean; lines: RenderedLine[] } | null =
  null;

/** The reader's lines for a message at a width, computed once per change. */
export function cachedReaderLines(
  view: MessageView,
  width: number,
  allHeaders: boolean,
): RenderedLine[] {
  if (
    linesCache &&
    linesCache.view === view &&
    linesCache.width === width &&
    linesCache.all === allHeaders
  )
    return linesCache.lines;
  const lines = readerLines(view, { width, allHeaders });
  linesCache = { view, width, all: allHeaders, lines };
  return lines;
}

let pageCache: { text: string; width: number; lines: RenderedLine[] } | null = null;

/**
 * Pager text (raw source, a list of links, a text attachment) as lines of at
 * most `width` cells: sanitised first, so an escape sequence in it shows as
 * `␛[…` and is never obeyed. Computed once per text and width.
 */
export function cachedPageLines(text: string, width: number): RenderedLine[] {
  const w = Math.max(10, width);
  if (pageCache && pageCache.text === text && pageCache.width === w) return pageCache.lines;
  const lines: RenderedLine[] = wrapText(sanitizeText(text), w).map((line) => ({
    kind: line === '' ? 'blank' : 'text',
    text: line,
    depth: 0,
  }));
  pageCache = { text, width: w, lines };
  return lines;
}
