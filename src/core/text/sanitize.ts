/**
 * Terminal safety in one place. A terminal obeys every control character it is
 * sent, and mail is written by strangers: a subject can clear the screen, a
 * display name can set the window title or write the clipboard (OSC 52), a
 * body can ask the terminal to type an answer into tmail (`ESC [ 6 n`). So
 * every string that came from a message or a server passes through here
 * right before it is displayed: headers, names, file names, bodies, converted
 * HTML, server messages and folder names.
 *
 * Nothing is interpreted. Controls are made visible (ESC becomes `␛`, other C0
 * controls their U+2400 control picture, 8-bit C1 controls `�`), so an
 * escape sequence shows as harmless text such as `␛[2J` and an unterminated
 * `ESC ]` or `ESC P` can no longer swallow the rest of the screen. Bidi
 * embeddings, overrides and isolates, which reorder what is shown
 * (`invoice\u202Efdp.exe` shows as `invoiceexe.pdf`), and invisible format
 * characters are removed; lone surrogates become `�`.
 */
import { cellWidth } from './width.js';

/** Options of {@link sanitizeText}. */
export interface SanitizeTextOptions {
  /** Distance between tab stops in cells; tabs are expanded to spaces. Default 8. */
  tabWidth?: number;
}

/** Text that needs no work: printable ASCII and newlines. */
const PLAIN = /^[\x20-\x7e\n]*$/;
const PLAIN_LINE = /^[\x20-\x7e]*$/;

/**
 * Everything that must not reach the terminal as it is, in one pass:
 * a valid emoji tag sequence (kept), C0 controls but `\n` and `\t`, DEL, C1,
 * lone surrogates, bidi controls and marks, invisible format characters,
 * noncharacters, and tag characters outside an emoji flag sequence.
 *
 * Removed format characters: U+00AD soft hyphen, U+061C, U+180E, U+200B,
 * U+200E/F, U+202A–E, U+2060–U+2064, U+2066–U+206F, U+FEFF, U+FFF9–U+FFFB,
 * U+1BCA0–U+1BCA3, U+1D173–U+1D17A. ZWJ and ZWNJ stay: emoji sequences and
 * several scripts need them.
 */
const UNSAFE =
  /(\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F})|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|[\ud800-\udfff]|[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}]|[\ufffe\uffff]/gu;

/** CR LF, a bare CR, and the Unicode line and paragraph separators. */
const LINE_BREAKS = /\r\n?|[\u2028\u2029]/g;

/** A base character may carry this many combining marks; more only stack up ("Zalgo"). */
const MAX_MARKS = 16;
const MARK_RUN = new RegExp(`(\\p{M}{${MAX_MARKS}})\\p{M}+`, 'gu');

function replaceUnsafe(match: string, flagSequence: string | undefined): string {
  if (flagSequence) return flagSequence;
  const code = match.codePointAt(0)!;
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // ␀ … ␟, ESC is ␛
  if (code === 0x7f) return '\u2421'; // ␡
  if (code <= 0x9f) return '\ufffd'; // 8-bit C1: CSI, OSC, DCS, NEL …
  if (code >= 0xd800 && code <= 0xdfff) return '\ufffd'; // a lone surrogate
  if (code === 0xfffe || code === 0xffff) return '\ufffd';
  return ''; // bidi controls and invisible format characters
}

function cleanCharacters(text: string): string {
  let out = text.replace(UNSAFE, replaceUnsafe);
  if (/\p{M}/u.test(out)) out = out.replace(MARK_RUN, '$1');
  return out;
}

/**
 * Makes multi-line text safe to print: line ends become `\n` (a bare CR must
 * not move the cursor back over what was shown), tabs become spaces up to the
 * next tab stop, and every other control, bidi or invisible format character
 * is made visible or removed. The result contains no character in
 * U+0000–U+001F but `\n`, none in U+007F–U+009F, and no bidi control.
 */
export function sanitizeText(text: string, options: SanitizeTextOptions = {}): string {
  if (PLAIN.test(text)) return text;
  const tabWidth = Math.max(1, Math.floor(options.tabWidth ?? 8));
  const out = cleanCharacters(text.replace(LINE_BREAKS, '\n'));
  return out.includes('\t') ? expandTabs(out, tabWidth) : out;
}

/**
 * Makes a one-line field safe to print (subject, display name, file name,
 * folder name, server message): like {@link sanitizeText}, and every run of
 * line breaks and tabs becomes a single space, so the result has no character
 * below U+0020 at all.
 */
export function sanitizeLine(text: string): string {
  if (PLAIN_LINE.test(text)) return text;
  return cleanCharacters(text.replace(/[\r\n\t\u2028\u2029]+/g, ' '));
}

function expandTabs(text: string, tabWidth: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes('\t')) return line;
      let out = '';
      let column = 0;
      const pieces = line.split('\t');
      pieces.forEach((piece, index) => {
        out += piece;
        column += cellWidth(piece);
        if (index < pieces.length - 1) {
          const pad = tabWidth - (column % tabWidth);
          out += ' '.repeat(pad);
          column += pad;
        }
      });
      return out;
    })
    .join('\n');
}

/** What {@link isTerminalSafe} rejects; the same classes the sanitizers remove. */
const FORBIDDEN =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]|[\ud800-\udfff]/u;

/**
 * True when `text` holds nothing a terminal would act on: no C0 control but
 * `\n` (none at all with `multiline: false`), no DEL or C1, no bidi control,
 * no lone surrogate. For assertions and tests; display code should simply
 * sanitize.
 */
export function isTerminalSafe(text: string, options: { multiline?: boolean } = {}): boolean {
  if (FORBIDDEN.test(text)) return false;
  return options.multiline === false ? !text.includes('\n') : true;
}
