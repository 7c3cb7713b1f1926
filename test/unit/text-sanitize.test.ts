import { describe, expect, it } from 'vitest';
import { isTerminalSafe, sanitizeLine, sanitizeText } from '../../src/core/text/sanitize.js';

const ESC = '\x1b';
const BEL = '\x07';

/** No C0 but newline, no DEL/C1, no bidi controls, no lone surrogates. */
function expectSafe(text: string, multiline = true): void {
  expect(isTerminalSafe(text, { multiline })).toBe(true);
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  if (!multiline) expect(text).not.toContain('\n');
}

describe('sanitizeText', () => {
  it('leaves printable ASCII and newlines alone', () => {
    expect(sanitizeText('Hello\nworld ~!')).toBe('Hello\nworld ~!');
  });

  it.each([
    ['CSI clear screen', `${ESC}[2J${ESC}[H`, '␛[2J␛[H'],
    ['cursor up and erase line', `${ESC}[1A${ESC}[2K`, '␛[1A␛[2K'],
    ['OSC title', `${ESC}]0;pwned${BEL}`, '␛]0;pwned␇'],
    ['OSC 52 clipboard', `${ESC}]52;c;cm0gLXJm${BEL}`, '␛]52;c;cm0gLXJm␇'],
    [
      'OSC 8 hyperlink',
      `${ESC}]8;;https://evil.test${ESC}\\x${ESC}]8;;${ESC}\\`,
      '␛]8;;https://evil.test␛\\x␛]8;;␛\\',
    ],
    ['DCS', `${ESC}P+q544e${ESC}\\`, '␛P+q544e␛\\'],
    ['unterminated OSC', `${ESC}]0;rest of the screen`, '␛]0;rest of the screen'],
    ['unterminated DCS', `${ESC}Pswallow`, '␛Pswallow'],
    ['cursor position query', `${ESC}[6n${ESC}[c${ESC}[21t`, '␛[6n␛[c␛[21t'],
    ['reset', `${ESC}c`, '␛c'],
    ['backspace', 'abc\b\bX', 'abc␈␈X'],
    ['NUL', 'a\x00b', 'a␀b'],
    ['DEL', 'a\x7fb', 'a␡b'],
    ['8-bit CSI', 'a\u009b2Jb', 'a\ufffd2Jb'],
    ['8-bit OSC', '\u009d0;t\u0007', '\ufffd0;t␇'],
    ['NEL and other C1', '\u0085\u0090\u009f', '\ufffd\ufffd\ufffd'],
  ])('makes %s visible and inert', (_name, input, expected) => {
    const out = sanitizeText(input);
    expect(out).toBe(expected);
    expectSafe(out);
  });

  it('turns CRLF and a bare CR into newlines, so a CR cannot rewrite a line', () => {
    expect(sanitizeText('a\r\nb\rc\n')).toBe('a\nb\nc\n');
    expect(sanitizeText('paid\rEVIL')).toBe('paid\nEVIL');
  });

  it('treats Unicode line and paragraph separators as newlines', () => {
    expect(sanitizeText('a\u2028b\u2029c')).toBe('a\nb\nc');
  });

  it('expands tabs to tab stops, counting wide characters as two cells', () => {
    expect(sanitizeText('a\tb')).toBe('a       b');
    expect(sanitizeText('abc\tx\n\ty', { tabWidth: 4 })).toBe('abc x\n    y');
    expect(sanitizeText('日本\tx', { tabWidth: 8 })).toBe('日本    x');
  });

  it('removes bidi embeddings, overrides, isolates and marks', () => {
    expect(sanitizeText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(
      sanitizeText('\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069x\u200E\u200F\u061C'),
    ).toBe('x');
  });

  it('removes invisible format characters but keeps joiners emoji need', () => {
    expect(sanitizeText('a\u200Bb\uFEFFc\u00ADd\u2060e')).toBe('abcde');
    const family = '👩\u200D👩\u200D👧';
    expect(sanitizeText(family)).toBe(family);
  });

  it('removes tag characters, except inside an emoji flag sequence', () => {
    const smuggled = 'hi' + String.fromCodePoint(0xe0041, 0xe0042);
    expect(sanitizeText(smuggled)).toBe('hi');
    const england = String.fromCodePoint(
      0x1f3f4,
      0xe0067,
      0xe0062,
      0xe0065,
      0xe006e,
      0xe0067,
      0xe007f,
    );
    expect(sanitizeText(england)).toBe(england);
  });

  it('replaces lone surrogates and noncharacters', () => {
    expect(sanitizeText('a\uD800b\uDC00c')).toBe('a\ufffdb\ufffdc');
    expect(sanitizeText('😀')).toBe('😀');
    expect(sanitizeText('\uFFFE\uFFFF')).toBe('\ufffd\ufffd');
  });

  it('caps runs of combining marks', () => {
    const zalgo = 'a' + '\u0301'.repeat(500);
    const out = sanitizeText(zalgo);
    expect(out.length).toBe(17);
  });

  it('never lets a control character through, whatever the input', () => {
    // Every code point of the BMP control and format ranges, plus random noise.
    let all = '';
    for (let c = 0; c < 0x300; c++) all += String.fromCharCode(c);
    for (let c = 0x2000; c < 0x2100; c++) all += String.fromCharCode(c);
    for (let c = 0xd7f0; c < 0xe010; c++) all += String.fromCharCode(c);
    expectSafe(sanitizeText(all));
    expectSafe(sanitizeLine(all), false);
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      let noise = '';
      for (let i = 0; i < 200; i++) noise += String.fromCharCode(Math.floor(random() * 0x10000));
      expectSafe(sanitizeText(noise));
      expectSafe(sanitizeLine(noise), false);
    }
  });
});

describe('sanitizeLine', () => {
  it('turns each run of line breaks and tabs into one space', () => {
    expect(sanitizeLine('Re: a\r\n\tb\nc\td')).toBe('Re: a b c d');
    expect(sanitizeLine('x\u2028y')).toBe('x y');
  });

  it('shows an injected header as text on the same line', () => {
    const out = sanitizeLine(`Invoice ${ESC}]52;c;eA==${BEL}\r\nBcc: victim@example.test`);
    expect(out).toBe('Invoice ␛]52;c;eA==␇ Bcc: victim@example.test');
    expectSafe(out, false);
  });

  it('is cheap for plain ASCII', () => {
    const plain = 'A perfectly ordinary subject line';
    expect(sanitizeLine(plain)).toBe(plain);
  });
});

describe('isTerminalSafe', () => {
  it('rejects what the sanitisers remove', () => {
    expect(isTerminalSafe('ok\nfine')).toBe(true);
    expect(isTerminalSafe('ok\nfine', { multiline: false })).toBe(false);
    expect(isTerminalSafe(`${ESC}[2J`)).toBe(false);
    expect(isTerminalSafe('\u009b')).toBe(false);
    expect(isTerminalSafe('\u202e')).toBe(false);
    expect(isTerminalSafe('\t')).toBe(false);
  });
});
