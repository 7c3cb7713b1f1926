/**
 * tmail's width measure stands in for string-width inside Ink (a bundler
 * alias), so the two must agree: on every single code point, and on the
 * sequences mail really holds (accents, CJK, emoji with skin tones and
 * joiners, flags, keycaps, escape codes).
 */
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import terminalWidth, { glyphs } from '../../src/core/text/terminal-width.js';

const SAMPLES = [
  'hello',
  'naïve café',
  'e\u0301',
  '日本語の件名',
  'Привет',
  '한국어',
  '\u1100\u1161',
  'ｆｕｌｌ',
  '😀',
  '👍🏽',
  '👨‍👩‍👧',
  '👩🏽‍💻',
  '🏳️‍🌈',
  '🇩🇪',
  '❤️',
  '❤',
  '⚠️',
  '1️⃣',
  'a\u200bb',
  'soft\u00adhyphen',
  '\u001b[31mred\u001b[0m text',
  '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007',
  'עברית עם ניקוד: שָׁלוֹם',
  'العربية',
  'ไทย',
  '→ ✓ — … │',
];

describe('terminal width', () => {
  it('agrees with string-width on the sequences mail holds', () => {
    for (const sample of SAMPLES) expect(terminalWidth(sample), sample).toBe(stringWidth(sample));
  });

  it('counts an Indic conjunct as terminals draw it, cell by cell', () => {
    // string-width folds a virama conjunct into one cluster and says 4; terminals that
    // follow wcwidth (xterm, VTE, kitty) give each consonant and spacing vowel a cell.
    expect(terminalWidth('हिन्दी')).toBe(5);
  });

  it('agrees with string-width on every single code point', () => {
    const differences: string[] = [];
    for (let cp = 0x20; cp < 0x30000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      if (terminalWidth(char) !== stringWidth(char)) differences.push(cp.toString(16));
    }
    expect(differences).toEqual([]);
  });

  it('splits text into the glyphs a terminal draws', () => {
    expect(glyphs('a👍🏽日e\u0301🇩🇪')).toEqual([
      ['a', 1],
      ['👍🏽', 2],
      ['日', 2],
      ['e\u0301', 1],
      ['🇩🇪', 2],
    ]);
  });
});
