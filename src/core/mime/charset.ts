/**
 * Character set decoding for the small pieces tmail decodes itself (RFC 2047
 * words and RFC 2231 parameters in part headers, UTF-7 bodies). Bodies go
 * through mailparser; this uses Node's TextDecoder (full ICU: every WHATWG
 * encoding, legacy CJK included) and a UTF-7 decoder of our own, because
 * mailparser deliberately leaves UTF-7 undecoded.
 */

type Decoder = InstanceType<typeof TextDecoder>;

const decoders = new Map<string, Decoder | null>();

/** Lower-case, trimmed charset name without quotes or an RFC 2231 `*language` suffix. */
export function normalizeCharset(charset: string | undefined | null): string {
  return (charset ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .replace(/\*.*$/, '')
    .toLowerCase();
}

/** True for the names of UTF-7 (`utf-7`, `unicode-1-1-utf-7`, `utf7`). */
export function isUtf7(charset: string): boolean {
  return /^(?:(?:cs)?unicode11)?utf7$/.test(normalizeCharset(charset).replace(/[^a-z0-9]/g, ''));
}

/** Bytes 0x80–0x9F of windows-1252; the five it leaves undefined map to C1 as WHATWG says. */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252 (also what `iso-8859-1`, `latin1` and `us-ascii` mean in mail,
 * per WHATWG). Ours, because Node 20's TextDecoder for this family silently
 * drops the bytes 0x80–0x9F (measured: `“` and `€` vanish).
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let from = 0; from < bytes.length; from += 8192) {
    const codes: number[] = [];
    const end = Math.min(bytes.length, from + 8192);
    for (let i = from; i < end; i++) {
      const b = bytes[i]!;
      codes.push(b >= 0x80 && b < 0xa0 ? CP1252_HIGH.charCodeAt(b - 0x80) : b);
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

const WINDOWS_1252 = { decode: decodeWindows1252 } as unknown as Decoder;

function decoderFor(charset: string): Decoder | null {
  let decoder = decoders.get(charset);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(charset);
      if (decoder.encoding === 'windows-1252') decoder = WINDOWS_1252;
    } catch {
      decoder = null;
    }
    decoders.set(charset, decoder);
  }
  return decoder;
}

/** Aliases TextDecoder does not know but mail uses. */
const ALIASES: Record<string, string> = {
  'ks_c_5601-1987': 'euc-kr',
  ks_c_5601: 'euc-kr',
  'x-sjis': 'shift_jis',
  sjis: 'shift_jis',
  'shift-jis': 'shift_jis',
  'x-euc-jp': 'euc-jp',
  ascii: 'windows-1252',
  'us-ascii': 'windows-1252',
  'x-unknown': 'utf-8',
  unknown: 'utf-8',
  'x-user-defined': 'windows-1252',
  cp65001: 'utf-8',
  utf8: 'utf-8',
};

/** True when tmail can decode `charset` itself (UTF-7 included). */
export function isKnownCharset(charset: string): boolean {
  const name = normalizeCharset(charset);
  if (!name) return true;
  return isUtf7(name) || decoderFor(ALIASES[name] ?? name) !== null;
}

/**
 * Decodes `bytes` from `charset`. An unknown or empty charset decodes as
 * UTF-8, and bytes that are not UTF-8 then as windows-1252, so text is never
 * lost; invalid sequences become U+FFFD. Never throws.
 */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined | null): string {
  const name = normalizeCharset(charset);
  if (isUtf7(name)) return decodeUtf7(Buffer.from(bytes).toString('latin1'));
  const decoder = name ? decoderFor(ALIASES[name] ?? name) : null;
  if (decoder) return decoder.decode(bytes);
  return decodeUtf8OrLatin(bytes);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8 (RFC 6532 headers), else windows-1252. */
export function decodeUtf8OrLatin(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

const BASE64_VALUE = new Map<string, number>(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]),
);

/**
 * Decodes UTF-7 (RFC 2152): `+` starts a modified-base64 run of UTF-16 code
 * units, ended by `-` or any character outside the base64 alphabet; `+-` is a
 * literal `+`. Malformed runs decode as far as they go.
 */
export function decodeUtf7(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '+') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (text[i] === '-') {
      out += '+';
      i++;
      continue;
    }
    let bits = 0;
    let bitCount = 0;
    const units: number[] = [];
    while (i < text.length && BASE64_VALUE.has(text[i]!)) {
      bits = ((bits << 6) | BASE64_VALUE.get(text[i]!)!) & 0xffffff;
      bitCount += 6;
      if (bitCount >= 16) {
        bitCount -= 16;
        units.push((bits >> bitCount) & 0xffff);
      }
      i++;
    }
    if (text[i] === '-') i++;
    // Spread in slices: one call with a million arguments overflows the stack.
    for (let from = 0; from < units.length; from += 8192) {
      out += String.fromCharCode(...units.slice(from, from + 8192));
    }
  }
  // A broken run can leave a lone surrogate; the display sanitiser turns it into U+FFFD.
  return out;
}
