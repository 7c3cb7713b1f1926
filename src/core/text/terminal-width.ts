/**
 * Cells a string takes in a terminal. tmail's own measure, used by core/text
 * and, through a bundler alias, by Ink and its helpers in place of the
 * `string-width` package, so that every column in tmail is measured the same
 * way.
 *
 * Why not string-width itself: at import it builds an Intl.Segmenter and a
 * `\p{RGI_Emoji}` regular expression, and its first use compiles that
 * expression's matcher: together about 80 ms of start-up on these machines.
 * This version walks code points with small tables instead, and builds its one
 * ANSI pattern only when a string holds an escape.
 *
 * Rules: printable ASCII is one cell; East Asian Wide and Fullwidth characters
 * two; combining marks, joiners, variation selectors and other invisible
 * characters none; a ZWJ emoji sequence, a flag (two regional indicators), a
 * keycap and a character followed by VS16 (emoji presentation) count as one
 * two-cell glyph; ambiguous-width characters are narrow unless asked otherwise.
 */
import { eastAsianWidth } from 'get-east-asian-width';

export interface WidthOptions {
  /** Count ambiguous-width characters as one cell (default true). */
  ambiguousIsNarrow?: boolean;
  /** Count ANSI escape codes as text instead of skipping them (default false). */
  countAnsiEscapeCodes?: boolean;
}

let ansiPattern: RegExp | null = null;

/** CSI and OSC sequences and two-character escapes, in the 7-bit and 8-bit forms. */
function ansi(): RegExp {
  ansiPattern ??=
    /(?:\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c))|(?:\u009d[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c))|(?:(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e])|(?:\u001b[\u0020-\u002f]*[\u0030-\u007e])/g;
  ansiPattern.lastIndex = 0;
  return ansiPattern;
}

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

// Marks, format characters and default-ignorables take no cell. A `u` regex with
// these properties compiles in well under a millisecond (unlike RGI_Emoji).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}/u;
const KEYCAP_BASE = /^[0-9#*]/;

/** Zero-width code points: marks, joiners, selectors, invisible format characters. */
function isZeroWidth(cp: number, char: string): boolean {
  if (cp < 0x300) return cp === 0xad;
  return ZERO_WIDTH.test(char);
}

/** A Hangul vowel or final consonant that joins a leading consonant before it. */
function joinsHangul(cp: number, before: string | undefined): boolean {
  if (!((cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff))) return false;
  const lead = before?.codePointAt(0) ?? 0;
  return (lead >= 0x1100 && lead <= 0x115f) || (lead >= 0xa960 && lead <= 0xa97f);
}

/** Skin tone modifiers belong to the character before them (alone, they draw as a swatch). */
function isSkinTone(cp: number): boolean {
  return cp >= 0x1f3fb && cp <= 0x1f3ff;
}

function isRegionalIndicator(cp: number): boolean {
  return cp >= 0x1f1e6 && cp <= 0x1f1ff;
}

/**
 * Splits `text` into the units a terminal draws (a character with its marks,
 * joiners and selectors, a flag, a ZWJ sequence) with the cells each takes.
 * `text` must hold no escape codes; control characters come out with width 0.
 */
export function glyphs(
  text: string,
  ambiguousAsWide = false,
): Array<[glyph: string, width: number]> {
  const out: Array<[string, number]> = [];
  // After a ZWJ that follows an emoji, the next emoji draws inside the same glyph.
  let joinNext = false;
  let pendingFlag = false;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const last = out[out.length - 1];
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      out.push([char, 0]);
      joinNext = false;
      continue;
    }
    if (last) {
      const base = last[0];
      const emoji = PICTOGRAPHIC.test(base);
      if (joinNext && PICTOGRAPHIC.test(char)) {
        last[0] += char;
        joinNext = false;
        continue;
      }
      joinNext = false;
      if (cp === 0x200d) {
        last[0] += char;
        joinNext = emoji;
        continue;
      }
      if (cp === 0xfe0f || cp === 0x20e3) {
        // VS16 makes an emoji two cells (emoji presentation); so does a keycap of 0-9, # or *.
        last[0] += char;
        if (last[1] === 1 && (cp === 0xfe0f ? emoji : KEYCAP_BASE.test(base))) last[1] = 2;
        continue;
      }
      // Skin tones extend whatever precedes them, as the grapheme rules say.
      if (isSkinTone(cp) || joinsHangul(cp, base) || isZeroWidth(cp, char)) {
        last[0] += char;
        continue;
      }
      if (pendingFlag && isRegionalIndicator(cp)) {
        // The second half of a flag: one glyph of two cells.
        last[0] += char;
        last[1] += 1;
        pendingFlag = false;
        continue;
      }
    }
    if (isRegionalIndicator(cp)) {
      pendingFlag = true;
      out.push([char, 1]);
      continue;
    }
    pendingFlag = false;
    out.push([char, isZeroWidth(cp, char) ? 0 : eastAsianWidth(cp, { ambiguousAsWide })]);
  }
  return out;
}

/** Cells of `input` in a terminal. Same signature as the `string-width` package. */
export default function terminalWidth(input: string, options: WidthOptions = {}): number {
  if (typeof input !== 'string' || input.length === 0) return 0;
  let text = input;
  if (
    !options.countAnsiEscapeCodes &&
    (text.includes('\u001b') || text.includes('\u009b') || text.includes('\u009d'))
  ) {
    text = text.replace(ansi(), '');
  }
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const [, cells] of glyphs(text, options.ambiguousIsNarrow === false)) width += cells;
  return width;
}
