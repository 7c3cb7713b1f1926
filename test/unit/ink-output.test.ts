/**
 * tmail's frame buffer must give exactly what Ink's own gives, frame after
 * frame, for any writes, clips, styles and wide characters; it only does less
 * work for rows that did not change.
 */
import { describe, expect, it } from 'vitest';
// Ink's own buffer, by file: the package exports only its entry point.
import InkOutput from '../../node_modules/ink/build/output.js';
import TmailOutput, { standalone } from '../../src/ui/ink-output.js';
import { SPINNER_FRAMES } from '../../src/ui/Spinner.js';

type Op =
  | { type: 'write'; x: number; y: number; text: string; upper: boolean }
  | { type: 'clip'; clip: { x1?: number; x2?: number; y1?: number; y2?: number } }
  | { type: 'unclip' };

const WORDS = [
  'hello',
  '\u001b[1mbold\u001b[22m',
  '\u001b[7m inverse row \u001b[27m',
  '\u001b[31mred\u001b[39m and plain',
  '日本語',
  'naïve café',
  '😀 ok',
  'e\u0301',
  '│',
  '\u001b[2m dim ✓ \u001b[22m',
  '',
];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFrame(rand: () => number, width: number, height: number): Op[] {
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!;
  const ops: Op[] = [];
  let depth = 0;
  const count = 1 + Math.floor(rand() * 25);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.1) {
      const x1 = Math.floor(rand() * width);
      const y1 = Math.floor(rand() * height);
      ops.push({
        type: 'clip',
        clip:
          rand() < 0.5
            ? { x1, x2: x1 + Math.floor(rand() * width), y1, y2: y1 + Math.floor(rand() * height) }
            : { x1, x2: x1 + 5 },
      });
      depth++;
    } else if (r < 0.15 && depth > 0) {
      ops.push({ type: 'unclip' });
      depth--;
    } else {
      const lines = Array.from(
        { length: 1 + Math.floor(rand() * 3) },
        () => `${pick(WORDS)} ${pick(WORDS)}`,
      );
      ops.push({
        type: 'write',
        x: Math.floor(rand() * (width + 4)) - 2,
        y: Math.floor(rand() * (height + 2)),
        text: lines.join('\n'),
        upper: rand() < 0.2,
      });
    }
  }
  return ops;
}

interface FrameBuffer {
  write(
    x: number,
    y: number,
    text: string,
    options: { transformers: Array<(line: string, index: number) => string> },
  ): void;
  clip(clip: object): void;
  unclip(): void;
  get(): { output: string; height: number };
}

function draw(output: FrameBuffer, ops: Op[]) {
  for (const op of ops) {
    if (op.type === 'write') {
      output.write(op.x, op.y, op.text, {
        transformers: op.upper ? [(line: string) => line.toUpperCase()] : [],
      });
    } else if (op.type === 'clip') {
      output.clip(op.clip);
    } else {
      output.unclip();
    }
  }
  return output.get();
}

describe("tmail's frame buffer", () => {
  it('gives what Ink gives, frame after frame', () => {
    const rand = random(42);
    for (let sequence = 0; sequence < 40; sequence++) {
      const width = 10 + Math.floor(rand() * 50);
      const height = 3 + Math.floor(rand() * 12);
      const base = randomFrame(rand, width, height);
      for (let frame = 0; frame < 8; frame++) {
        // Frames that mostly repeat the previous one, as when the cursor moves.
        const ops = rand() < 0.5 ? base : randomFrame(rand, width, height);
        const ink = draw(new InkOutput({ width, height }), ops);
        const ours = draw(new TmailOutput({ width, height }), ops);
        expect(ours).toEqual(ink);
      }
    }
  });

  it('rebuilds a row when only its style changes', () => {
    const plain = draw(new TmailOutput({ width: 20, height: 2 }), [
      { type: 'write', x: 0, y: 0, text: 'row one', upper: false },
    ]);
    const inverse = draw(new TmailOutput({ width: 20, height: 2 }), [
      { type: 'write', x: 0, y: 0, text: '\u001b[7mrow one\u001b[27m', upper: false },
    ]);
    expect(plain.output).toBe('row one\n');
    expect(inverse.output).toBe('\u001b[7mrow one\u001b[27m\n');
  });
});

describe('characters read without the grapheme segmenter', () => {
  const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const count = (text: string) => [...graphemes.segment(text)].length;

  it('are each a grapheme of their own beside a letter and beside themselves (as ICU says)', () => {
    const joined: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      if (!standalone(code)) continue;
      const char = String.fromCharCode(code);
      if (count(`a${char}`) !== 2 || count(`${char}a`) !== 2 || count(char + char) !== 2)
        joined.push(code.toString(16));
    }
    expect(joined).toEqual([]);
  });

  // The spinner is in the status line of nearly every first frame: off this path, that frame
  // built ICU's segmenter first, some 25 ms of the start.
  it("include the spinner's frames", () => {
    expect(SPINNER_FRAMES.filter((frame) => !standalone(frame.charCodeAt(0)))).toEqual([]);
  });
});
