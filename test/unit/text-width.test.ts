import { describe, expect, it } from 'vitest';
import {
  cellWidth,
  graphemes,
  padToWidth,
  truncateToWidth,
  wrapText,
} from '../../src/core/text/width.js';

describe('cellWidth', () => {
  it.each([
    ['ascii', 'hello', 5],
    ['CJK is two cells', '日本語', 6],
    ['fullwidth forms', 'ＡＢ', 4],
    ['combining marks take none', 'e\u0301', 1],
    ['emoji', '👍', 2],
    ['emoji with skin tone', '👍🏽', 2],
    ['ZWJ family is one grapheme', '👩\u200D👩\u200D👧', 2],
    ['flag', '🇩🇪', 2],
    ['hangul', '한국어', 6],
    ['empty', '', 0],
  ])('%s', (_name, text, width) => {
    expect(cellWidth(text)).toBe(width);
  });
});

describe('graphemes', () => {
  it('never splits a cluster', () => {
    expect(graphemes('e\u0301👩\u200D👩\u200D👧a')).toEqual(['e\u0301', '👩\u200D👩\u200D👧', 'a']);
  });
});

describe('truncateToWidth', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateToWidth('hello', 5)).toBe('hello');
    expect(truncateToWidth('日本', 4)).toBe('日本');
  });

  it('cuts with an ellipsis inside the width', () => {
    expect(truncateToWidth('hello world', 8)).toBe('hello w…');
    expect(cellWidth(truncateToWidth('hello world', 8))).toBe(8);
  });

  it('drops the space before the ellipsis', () => {
    expect(truncateToWidth('hello world', 7)).toBe('hello…');
  });

  it('leaves out a wide character that would straddle the limit', () => {
    const out = truncateToWidth('日本語テキスト', 6);
    expect(out).toBe('日本…');
    expect(cellWidth(out)).toBeLessThanOrEqual(6);
  });

  it('never splits a grapheme', () => {
    const out = truncateToWidth('ab👩\u200D👩\u200D👧cd', 4);
    expect(out).toBe('ab…');
    expect(truncateToWidth('e\u0301e\u0301e\u0301e\u0301', 3)).toBe('e\u0301e\u0301…');
  });

  it('handles tiny widths and custom ellipses', () => {
    expect(truncateToWidth('hello', 0)).toBe('');
    expect(truncateToWidth('hello', 1)).toBe('…');
    expect(truncateToWidth('hello', 2, '...')).toBe('he');
    expect(truncateToWidth('hello world', 8, '...')).toBe('hello...');
  });
});

describe('padToWidth', () => {
  it('pads to exactly the width', () => {
    expect(padToWidth('ab', 5)).toBe('ab   ');
    expect(padToWidth('日本', 5)).toBe('日本 ');
    expect(padToWidth('42', 5, { align: 'right' })).toBe('   42');
  });

  it('truncates longer text and still fills the width', () => {
    const out = padToWidth('日本語テキスト', 7);
    expect(cellWidth(out)).toBe(7);
    expect(out).toBe('日本語…');
  });
});

describe('wrapText', () => {
  it('wraps words and keeps existing newlines', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('a\n\nb', 10)).toEqual(['a', '', 'b']);
  });

  it('keeps the leading indentation of a paragraph', () => {
    expect(wrapText('    indented words here', 14)).toEqual(['    indented', 'words here']);
  });

  it('hard-breaks a word longer than the line, like a URL', () => {
    const url = 'https://example.test/a/very/long/path';
    const lines = wrapText(`see ${url}`, 16);
    expect(lines[0]).toBe('see');
    expect(lines.slice(1).join('')).toBe(url);
    for (const line of lines) expect(cellWidth(line)).toBeLessThanOrEqual(16);
  });

  it('breaks CJK text between characters and counts two cells each', () => {
    const lines = wrapText('日本語のテキストです', 6);
    expect(lines).toEqual(['日本語', 'のテキ', 'ストで', 'す']);
  });

  it('never splits a grapheme and gives a too-wide one its own line', () => {
    const family = '👩\u200D👩\u200D👧';
    const lines = wrapText(`${family}${family}${family}`, 3);
    expect(lines).toEqual([family, family, family]);
    expect(wrapText('日', 1)).toEqual(['日']);
  });

  it('fits every line into the width for mixed text', () => {
    const text =
      'Grüße aus Köln — 日本語 and emoji 👍🏽 mixed with a_very_long_identifier_that_will_not_fit and more words.';
    for (const width of [5, 10, 17, 40]) {
      for (const line of wrapText(text, width)) {
        expect(cellWidth(line)).toBeLessThanOrEqual(Math.max(width, 2));
      }
    }
  });
});
