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
  styledCharsFromTokens,
  styledCharsToString,
  tokenize,
  type StyledChar,
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

const styledLines = new BoundedCache<StyledChar[]>(4000);
const widths = new BoundedCache<number>(8000);
const slices = new BoundedCache<string>(2000);

const width = (text: string): number => widths.get(text, terminalWidth);
const styled = (line: string): StyledChar[] =>
  styledLines.get(line, (l) => styledCharsFromTokens(tokenize(l)));

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

  private renderRow(pieces: Array<{ x: number; line: string }>): string {
    const cells: Array<StyledChar | undefined> = [];
    for (let i = 0; i < this.width; i++)
      cells.push({ type: 'char', value: ' ', fullWidth: false, styles: [] });
    for (const { x, line } of pieces) {
      let offset = x;
      for (const character of styled(line)) {
        cells[offset] = character;
        const value = character.value;
        // Most characters are one printable ASCII character: one cell, no lookup.
        const cellsTaken =
          value.length === 1 && value.charCodeAt(0) < 0x7f ? 1 : Math.max(1, width(value));
        // A wide character covers the next cells: blank them so nothing stray shows.
        for (let i = 1; i < cellsTaken; i++) {
          cells[offset + i] = {
            type: 'char',
            value: '',
            fullWidth: false,
            styles: character.styles,
          };
        }
        offset += cellsTaken;
      }
    }
    return styledCharsToString(cells.filter((c): c is StyledChar => c !== undefined)).trimEnd();
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

/**
 * Draws a throwaway frame of typical rows (styles, wide characters) so that the
 * tokenising code is compiled before the first real frame, while start-up
 * waits on the server anyway. Leaves no trace in the frame memory.
 */
export function warmUpOutput(width: number, height: number): void {
  const output = new Output({ width, height });
  const samples = [
    '\u001b[7m N !r@  Ada Lovelace      Quarterly report (42)              31 Oct \u001b[27m',
    '\u001b[1m N  Дмитрий Иванов\u001b[22m    \u001b[2mRe: Lunch on Friday? — ✓ naïve\u001b[22m   12:05',
    '\u001b[36m INBOX\u001b[39m        \u001b[1m11174\u001b[22m│ 山田 太郎  会議の議事録 😀',
    '\u001b[2m─────────────────────────────────\u001b[22m',
  ];
  for (let y = 0; y < height; y++)
    output.write(0, y, samples[y % samples.length]!, { transformers: [] });
  output.get();
  previousFrames.delete(`${width}x${height}`);
}
