/**
 * The frame buffer Ink draws into, with memory across frames. The bundle puts
 * it in place of Ink's own `build/output.js` (scripts/build.mjs); the interface
 * (write, clip, unclip, get) and the output are the same.
 *
 * Why: Ink builds every frame from scratch, cell by cell, and tokenises the
 * ANSI styles of every line again, about 8 ms of each 10 ms key press here.
 * A key press in the list changes two rows, so this buffer remembers, per
 * screen row, what was written there last frame and the string it gave, and
 * rebuilds only the rows whose writes differ. Tokenised lines and widths are
 * kept across frames too (bounded), since the same rows come back as the user
 * scrolls.
 */
import {
  ansiCodesToString,
  diffAnsiCodes,
  reduceAnsiCodesIncremental,
  tokenize,
  type AnsiCode,
} from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import terminalWidth from '../core/text/terminal-width.js';

type Transformer = (line: string, index: number) => string;

interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}

type Operation =
  | { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] }
  | { type: 'clip'; clip: Clip }
  | { type: 'unclip' };

/** A map that forgets everything when it grows past `limit` (cheap and good enough here). */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, make: (key: string) => V): V {
    let value = this.map.get(key);
    if (value === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      value = make(key);
      this.map.set(key, value);
    }
    return value;
  }
}

const cellLines = new BoundedCache<LineCells>(4000);
const widths = new BoundedCache<number>(8000);
const slices = new BoundedCache<string>(2000);
const escapeCodes = new BoundedCache<AnsiCode[] | null>(500);

const width = (text: string): number => widths.get(text, terminalWidth);

/**
 * A set of active styles, one object per distinct set: two cells have the same
 * style exactly when they hold the same Style, so a row's escape codes are
 * worked out once per change of style rather than once per cell.
 */
interface Style {
  readonly id: number;
  readonly codes: AnsiCode[];
}

const styles = new Map<string, Style>();
const NO_STYLE: Style = { id: 0, codes: [] };
// Ids are never reused, so a cached transition always means the same two sets.
let lastStyleId = 0;

function internStyle(codes: AnsiCode[]): Style {
  if (!codes.length) return NO_STYLE;
  const key = JSON.stringify(codes.map((c) => [c.code, c.endCode]));
  let style = styles.get(key);
  if (!style) {
    // Style sets are few (a theme's worth); a screen of odd escapes must not grow this forever.
    if (styles.size > 2000) {
      styles.clear();
      transitions.clear();
    }
    style = { id: ++lastStyleId, codes };
    styles.set(key, style);
  }
  return style;
}

/** The escape codes that take the terminal from one style to the next (Ink's own rule). */
const transitions = new Map<string, string>();
function transition(from: Style, to: Style): string {
  const key = `${from.id}>${to.id}`;
  let codes = transitions.get(key);
  if (codes === undefined) {
    codes = ansiCodesToString(diffAnsiCodes(from.codes, to.codes));
    transitions.set(key, codes);
  }
  return codes;
}

/** A line cut into what the frame needs per character: its text, its style, the cells it covers. */
interface LineCells {
  values: string[];
  styles: Style[];
  cells: number[];
}

/** Cells a character covers when drawn, as Ink counts them. */
function cellsOf(value: string): number {
  // Most characters are one printable ASCII character: one cell, no lookup.
  return value.length === 1 && value.charCodeAt(0) < 0x7f ? 1 : Math.max(1, width(value));
}

/**
 * The codes of an SGR sequence (`\x1b[...m`) as ansi-tokenize reads it, or
 * null when it reads something else there.
 */
function sgrCodes(sequence: string): AnsiCode[] | null {
  return escapeCodes.get(sequence, (s) => {
    const tokens = tokenize(s);
    return tokens.every((t) => t.type === 'ansi') ? (tokens as AnsiCode[]) : null;
  });
}

/**
 * Ranges of UTF-16 code units (no surrogates) whose characters are each a
 * grapheme of its own next to any other character of this list, printable
 * ASCII or an escape: letters, punctuation, symbols, box drawing, Braille (the
 * spinner, in most first frames) and CJK, but
 * no combining mark, joiner, variation selector, format character, Hangul jamo
 * or regional indicator (UAX #29 joins characters only around those). Sorted,
 * inclusive pairs.
 */
const STANDALONE = [
  0x00a0, 0x024f, 0x0370, 0x0377, 0x037a, 0x037f, 0x0384, 0x038a, 0x038c, 0x038c, 0x038e, 0x03a1,
  0x03a3, 0x0482, 0x048a, 0x052f, 0x2010, 0x2027, 0x2030, 0x205e, 0x20a0, 0x20c0, 0x2100, 0x218b,
  0x2190, 0x23ff, 0x2500, 0x28ff, 0x3000, 0x3029, 0x3030, 0x303f, 0x3041, 0x3096, 0x309b, 0x30ff,
  0x4e00, 0x9fff, 0xac00, 0xd7a3, 0xff01, 0xff60,
];

/** Whether a UTF-16 code unit is in STANDALONE (exported for its test). */
export function standalone(code: number): boolean {
  for (let i = 0; i < STANDALONE.length; i += 2) {
    if (code < STANDALONE[i]!) return false;
    if (code <= STANDALONE[i + 1]!) return true;
  }
  return false;
}

/**
 * Lines of such characters with SGR styles (nearly every line tmail draws:
 * text, `│`, `…`, `✓`, CJK) are read here without ansi-tokenize's grapheme
 * walk, which needs ICU's segmenter (about 11 ms to build at start-up).
 * Anything else returns null and takes the general path. Either way the result
 * is what ansi-tokenize gives.
 */
function simpleLineCells(line: string): LineCells | null {
  const values: string[] = [];
  const lineStyles: Style[] = [];
  const cells: number[] = [];
  let codes: AnsiCode[] = [];
  let style = NO_STYLE;
  const length = line.length;
  let index = 0;
  while (index < length) {
    const code = line.charCodeAt(index);
    if (code === 0x1b) {
      if (line.charCodeAt(index + 1) !== 0x5b) return null;
      let end = index + 2;
      for (; end < length; end++) {
        const c = line.charCodeAt(end);
        if (c !== 0x3b && (c < 0x30 || c > 0x39)) break;
      }
      if (line.charCodeAt(end) !== 0x6d) return null;
      const sgr = sgrCodes(line.slice(index, end + 1));
      if (!sgr) return null;
      codes = reduceAnsiCodesIncremental(codes, sgr);
      style = internStyle(codes);
      index = end + 1;
      continue;
    }
    if (!((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && standalone(code)))) return null;
    const value = line[index]!;
    values.push(value);
    lineStyles.push(style);
    cells.push(code < 0x7f ? 1 : cellsOf(value));
    index++;
  }
  return { values, styles: lineStyles, cells };
}

/** Any line, through ansi-tokenize's own reading. */
function tokenizedLineCells(line: string): LineCells {
  const values: string[] = [];
  const lineStyles: Style[] = [];
  const cells: number[] = [];
  let codes: AnsiCode[] = [];
  let style = NO_STYLE;
  for (const token of tokenize(line)) {
    if (token.type === 'ansi') {
      codes = reduceAnsiCodesIncremental(codes, [token]);
      style = internStyle(codes);
    } else {
      values.push(token.value);
      lineStyles.push(style);
      cells.push(cellsOf(token.value));
    }
  }
  return { values, styles: lineStyles, cells };
}

const lineCells = (line: string): LineCells =>
  cellLines.get(line, (l) => simpleLineCells(l) ?? tokenizedLineCells(l));

function widestLine(text: string): number {
  let widest = 0;
  for (const line of text.split('\n')) widest = Math.max(widest, width(line));
  return widest;
}

/** What a screen row was made of last frame, and the string it became; per screen size. */
const previousFrames = new Map<string, { signatures: string[]; lines: string[] }>();

const ROW_SEPARATOR = '\u0000';
const PIECE_SEPARATOR = '\u0001';

export default class Output {
  readonly width: number;
  readonly height: number;
  private readonly operations: Operation[] = [];

  constructor(options: { width: number; height: number }) {
    this.width = options.width;
    this.height = options.height;
  }

  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void {
    if (!text) return;
    this.operations.push({ type: 'write', x, y, text, transformers: options.transformers });
  }

  clip(clip: Clip): void {
    this.operations.push({ type: 'clip', clip });
  }

  unclip(): void {
    this.operations.push({ type: 'unclip' });
  }

  /** The pieces of text each row receives, in drawing order, after clipping and transforms. */
  private pieces(): Array<Array<{ x: number; line: string }>> {
    const rows: Array<Array<{ x: number; line: string }>> = Array.from(
      { length: this.height },
      () => [],
    );
    const clips: Clip[] = [];
    for (const operation of this.operations) {
      if (operation.type === 'clip') {
        clips.push(operation.clip);
        continue;
      }
      if (operation.type === 'unclip') {
        clips.pop();
        continue;
      }
      const { text, transformers } = operation;
      let { x, y } = operation;
      let lines = text.split('\n');
      const clip = clips.at(-1);
      if (clip) {
        const clipX = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
        const clipY = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
        if (clipX && (x + widestLine(text) < clip.x1! || x > clip.x2!)) continue;
        if (clipY && (y + lines.length < clip.y1! || y > clip.y2!)) continue;
        if (clipX) {
          const left = x;
          lines = lines.map((line) => {
            const from = left < clip.x1! ? clip.x1! - left : 0;
            const lineWidth = width(line);
            const to = left + lineWidth > clip.x2! ? clip.x2! - left : lineWidth;
            // Most lines fit their box: nothing to cut, and cutting costs a tokenisation.
            if (from <= 0 && to >= lineWidth) return line;
            return slices.get(`${from}:${to}:${line}`, () => sliceAnsi(line, from, to));
          });
          if (x < clip.x1!) x = clip.x1!;
        }
        if (clipY) {
          const from = y < clip.y1! ? clip.y1! - y : 0;
          const to = y + lines.length > clip.y2! ? clip.y2! - y : lines.length;
          lines = lines.slice(from, to);
          if (y < clip.y1!) y = clip.y1!;
        }
      }
      // As in Ink: once a line falls outside the frame, the lines after it are not drawn.
      let offsetY = 0;
      lines.forEach((raw, index) => {
        const row = rows[y + offsetY];
        if (!row) return;
        let line = raw;
        for (const transform of transformers) line = transform(line, index);
        row.push({ x, line });
        offsetY++;
      });
    }
    return rows;
  }

  /**
   * A row as Ink draws it: a blank row of the frame's width, each piece's
   * characters laid over it from its x (a wide character blanks the cells it
   * covers), cells left of the frame dropped and gaps past its end closed up,
   * then the characters joined with the escape codes between styles, trailing
   * blanks cut. Cells are two flat arrays instead of an object each, and codes
   * are worked out only where the style changes, not per character as with
   * ansi-tokenize's styled characters: the first list frame's get() went from
   * about 38 to 7 ms here, and React's first render from 46 to 33 ms, since
   * those per-character objects and diffs set off young-generation collections.
   */
  private renderRow(pieces: Array<{ x: number; line: string }>): string {
    const values: Array<string | undefined> = [];
    const cellStyles: Style[] = [];
    for (let i = 0; i < this.width; i++) {
      values.push(' ');
      cellStyles.push(NO_STYLE);
    }
    for (const { x, line } of pieces) {
      const parsed = lineCells(line);
      let offset = x;
      for (let i = 0; i < parsed.values.length; i++) {
        const style = parsed.styles[i]!;
        const taken = parsed.cells[i]!;
        if (offset >= 0) {
          values[offset] = parsed.values[i]!;
          cellStyles[offset] = style;
        }
        for (let k = 1; k < taken; k++) {
          if (offset + k < 0) continue;
          values[offset + k] = '';
          cellStyles[offset + k] = style;
        }
        offset += taken;
      }
    }
    let out = '';
    let current = NO_STYLE;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      const style = cellStyles[i]!;
      if (style !== current) {
        out += transition(current, style);
        current = style;
      }
      out += value;
    }
    if (current !== NO_STYLE) out += transition(current, NO_STYLE);
    return out.trimEnd();
  }

  get(): { output: string; height: number } {
    const rows = this.pieces();
    const key = `${this.width}x${this.height}`;
    const previous = previousFrames.get(key);
    const signatures: string[] = [];
    const lines: string[] = [];
    rows.forEach((pieces, index) => {
      const signature = pieces.map((p) => `${p.x}${PIECE_SEPARATOR}${p.line}`).join(ROW_SEPARATOR);
      signatures.push(signature);
      lines.push(
        previous && previous.signatures[index] === signature
          ? previous.lines[index]!
          : this.renderRow(pieces),
      );
    });
    previousFrames.set(key, { signatures, lines });
    return { output: lines.join('\n'), height: this.height };
  }
}
