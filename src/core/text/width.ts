/**
 * Terminal cell widths, measured per glyph with terminal-width.ts, which also
 * measures for Ink (the bundle aliases `string-width` to it), so that a column
 * padded here lines up in Ink's layout.
 *
 * Every function expects text that has already been through `sanitize.ts`:
 * control characters have no meaningful width, and tabs must have been
 * expanded to spaces.
 */
import terminalWidth, { glyphs } from './terminal-width.js';

/** Printable ASCII only: one cell per character, no segmentation needed. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Escape codes never reach these functions (sanitize runs first), so string-width
// need not strip them; stripping costs a regex pass per call.
const WIDTH_OPTIONS = { countAnsiEscapeCodes: true } as const;

// The list renders ~50 rows per frame with the same few hundred non-ASCII
// graphemes; measuring each once keeps truncation and wrapping cheap.
const graphemeCache = new Map<string, number>();
const GRAPHEME_CACHE_LIMIT = 8192;

/** Width in cells of one grapheme cluster (0 for combining-only or invisible clusters). */
export function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1) {
    const code = grapheme.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) return 1;
  }
  let width = graphemeCache.get(grapheme);
  if (width === undefined) {
    width = terminalWidth(grapheme, WIDTH_OPTIONS);
    if (graphemeCache.size >= GRAPHEME_CACHE_LIMIT) graphemeCache.clear();
    graphemeCache.set(grapheme, width);
  }
  return width;
}

/** The grapheme clusters of `text`, in order. */
export function graphemes(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split('');
  return glyphs(text).map(([glyph]) => glyph);
}

/**
 * Number of terminal cells `text` occupies on one line: CJK and emoji take 2,
 * combining marks and zero-width characters 0. Line breaks count 0, so measure
 * one line at a time.
 */
export function cellWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  return terminalWidth(text, WIDTH_OPTIONS);
}

/**
 * Cuts `text` to at most `width` cells, ending with `ellipsis` when something
 * was cut. Never splits a grapheme; a wide character that would straddle the
 * limit is left out, so the result may be one cell narrower than `width`.
 * When the ellipsis itself does not fit, the text is cut without it.
 */
export function truncateToWidth(text: string, width: number, ellipsis = '…'): string {
  const limit = Math.max(0, Math.floor(width));
  if (limit === 0) return '';
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length <= limit) return text;
  } else if (cellWidth(text) <= limit) {
    return text;
  }
  let tail = ellipsis;
  let tailWidth = cellWidth(tail);
  if (tailWidth > limit) {
    tail = '';
    tailWidth = 0;
  }
  const budget = limit - tailWidth;
  let kept: string;
  if (PRINTABLE_ASCII.test(text)) {
    kept = text.slice(0, budget);
  } else {
    kept = '';
    let used = 0;
    for (const [glyph, w] of glyphs(text)) {
      if (used + w > budget) break;
      kept += glyph;
      used += w;
    }
  }
  // "Hello …" reads as a gap; "Hello…" as a cut word.
  return tail ? kept.trimEnd() + tail : kept;
}

/**
 * Makes `text` exactly `width` cells wide: truncated with an ellipsis when
 * longer, padded with spaces when shorter. `align: 'right'` pads on the left,
 * for number columns.
 */
export function padToWidth(
  text: string,
  width: number,
  options: { align?: 'left' | 'right'; ellipsis?: string } = {},
): string {
  const limit = Math.max(0, Math.floor(width));
  const cut = truncateToWidth(text, limit, options.ellipsis ?? '…');
  const gap = limit - cellWidth(cut);
  if (gap <= 0) return cut;
  const pad = ' '.repeat(gap);
  return options.align === 'right' ? pad + cut : cut + pad;
}

/**
 * Wraps text to lines of at most `width` cells. Existing line breaks are kept;
 * long lines break at spaces, and a word longer than a line (a URL, a run of
 * CJK) is broken between graphemes. The leading indentation of a paragraph is
 * kept; the spaces at a break are dropped. A grapheme wider than `width` gets a
 * line of its own rather than being split.
 */
export function wrapText(text: string, width: number): string[] {
  const limit = Math.max(1, Math.floor(width));
  const out: string[] = [];
  for (const line of text.split('\n')) wrapLine(line, limit, out);
  return out;
}

function wrapLine(line: string, limit: number, out: string[]): void {
  if (cellWidth(line) <= limit) {
    out.push(line);
    return;
  }
  let current = '';
  let currentWidth = 0;
  let continuation = false;
  const flush = (): void => {
    out.push(current.trimEnd());
    current = '';
    currentWidth = 0;
    continuation = true;
  };
  for (const token of line.split(/( +)/)) {
    if (token === '') continue;
    const w = cellWidth(token);
    if (token[0] === ' ') {
      // Spaces at the start of a continuation line are the break itself.
      if (continuation && current === '') continue;
      if (currentWidth + w <= limit) {
        current += token;
        currentWidth += w;
      } else {
        flush();
      }
      continue;
    }
    if (currentWidth + w <= limit) {
      current += token;
      currentWidth += w;
      continue;
    }
    if (w <= limit) {
      if (current.trim() !== '') flush();
      else if (current !== '') {
        // Only indentation so far: keep the word after it if it fits at all.
        if (currentWidth + w > limit) {
          current = '';
          currentWidth = 0;
        }
      }
      current += token;
      currentWidth += w;
      continue;
    }
    // An overlong word starts on its own line, so a URL stays in one piece as
    // far as the width allows.
    if (current.trim() !== '') flush();
    else {
      current = '';
      currentWidth = 0;
    }
    for (const segment of graphemes(token)) {
      const gw = graphemeWidth(segment);
      if (currentWidth + gw > limit && current !== '') flush();
      current += segment;
      currentWidth += gw;
    }
  }
  if (current.trim() !== '') out.push(current.trimEnd());
}
