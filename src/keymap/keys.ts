/**
 * Key tokens: the one spelling of a key press that the keymap, the resolver
 * and the help screen share. A printable character is itself (`j`, `G`, `$`);
 * everything else is a name in angle brackets (`<Enter>`, `<C-d>`, `<PgDn>`).
 * Specs in the dotfile are parsed forgivingly (`<CR>`, `<c-D>`, `<PageDown>`)
 * into these canonical tokens, so two spellings of one key never disagree.
 */

/** One key press, canonical: `j`, `<Enter>`, `<C-d>`, `<M-x>`, `<S-Tab>`. */
export type KeyToken = string;

/** Canonical names of the keys that are not printable characters. */
const NAMED = [
  'Enter',
  'Esc',
  'Space',
  'Tab',
  'S-Tab',
  // Esc then Tab (mutt's previous-unread), or Alt-Tab: the terminal sends ESC and TAB together.
  'M-Tab',
  'BS',
  'Del',
  'Up',
  'Down',
  'Left',
  'Right',
  'PgUp',
  'PgDn',
  'Home',
  'End',
] as const;

/** Lower-case spellings accepted in specs, mapped to the canonical name. */
const ALIASES: Record<string, string> = {
  enter: 'Enter',
  cr: 'Enter',
  return: 'Enter',
  ret: 'Enter',
  esc: 'Esc',
  escape: 'Esc',
  space: 'Space',
  spc: 'Space',
  tab: 'Tab',
  's-tab': 'S-Tab',
  'shift-tab': 'S-Tab',
  backtab: 'S-Tab',
  'm-tab': 'M-Tab',
  'a-tab': 'M-Tab',
  'alt-tab': 'M-Tab',
  'meta-tab': 'M-Tab',
  'esc-tab': 'M-Tab',
  bs: 'BS',
  backspace: 'BS',
  del: 'Del',
  delete: 'Del',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  pgup: 'PgUp',
  pageup: 'PgUp',
  pgdn: 'PgDn',
  pgdown: 'PgDn',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
};

/** Literal characters that have a name so that a spec can spell them unambiguously. */
const LITERAL_ALIASES: Record<string, string> = { lt: '<', gt: '>', bar: '|', bslash: '\\' };

const DISPLAY: Record<string, string> = {
  Enter: 'Enter',
  Esc: 'Esc',
  Space: 'Space',
  Tab: 'Tab',
  'S-Tab': 'Shift-Tab',
  'M-Tab': 'Esc-Tab',
  BS: 'Backspace',
  Del: 'Delete',
  Up: '↑',
  Down: '↓',
  Left: '←',
  Right: '→',
  PgUp: 'PgUp',
  PgDn: 'PgDn',
  Home: 'Home',
  End: 'End',
};

/** True for a token that names a special key rather than a printable character. */
export function isNamedKey(token: KeyToken): boolean {
  return token.length > 2 && token.startsWith('<') && token.endsWith('>');
}

/** True for a token that types one printable character (what a prompt inserts). */
export function isPrintableKey(token: KeyToken): boolean {
  return !isNamedKey(token) && [...token].length === 1 && token >= ' ';
}

/** The canonical token for the inside of `<...>`, or null when it names no key. */
function parseNamed(inner: string): KeyToken | null {
  const lower = inner.toLowerCase();
  if (ALIASES[lower]) return `<${ALIASES[lower]}>`;
  if (LITERAL_ALIASES[lower]) return LITERAL_ALIASES[lower]!;
  const modified = /^(c|ctrl|control|m|meta|a|alt)[-+](.+)$/i.exec(inner);
  if (modified) {
    const modifier = modified[1]!.toLowerCase().startsWith('c') ? 'C' : 'M';
    const rest = modified[2]!;
    if (modifier === 'C') {
      // Terminals send Ctrl with letters only (and Ctrl-Space, which we leave out).
      if (/^[a-z]$/i.test(rest)) return `<C-${rest.toLowerCase()}>`;
      return null;
    }
    if ([...rest].length === 1 && rest >= '!' && rest <= '~') return `<M-${rest}>`;
    return null;
  }
  return null;
}

/**
 * Parses a key sequence as written in the keymap or the dotfile (`j`, `gg`,
 * `<C-d>`, `<Esc>`, `<C-w>j`) into canonical tokens. A `<` that does not open
 * a key name is the character `<` itself. Returns null for an empty spec or a
 * name no key has, such as `<Foo>` or `<C-1>`.
 */
export function parseKeySpec(spec: string): KeyToken[] | null {
  if (spec === '') return null;
  if (spec === ' ') return ['<Space>'];
  const tokens: KeyToken[] = [];
  const chars = [...spec];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '<') {
      const close = chars.indexOf('>', i + 1);
      if (close > i + 1) {
        const inner = chars.slice(i + 1, close).join('');
        // `<` followed by text that looks like a key name must be one.
        if (/^[A-Za-z][\w+-]*$/.test(inner) || /^[A-Za-z][-+].$/.test(inner)) {
          const named = parseNamed(inner);
          if (!named) return null;
          tokens.push(named);
          i = close;
          continue;
        }
      }
      tokens.push('<');
      continue;
    }
    if (ch === ' ') tokens.push('<Space>');
    else if (ch < ' ' || ch === '\u007f') return null;
    else tokens.push(ch);
  }
  return tokens.length ? tokens : null;
}

/** The spec of a token sequence in canonical spelling (`<C-d>`, `gg`); round-trips through parseKeySpec. */
export function formatKeySpec(tokens: readonly KeyToken[]): string {
  return tokens.map((t) => (t === '<' ? '<lt>' : t)).join('');
}

/** One key for people to read: `Ctrl-d`, `PgDn`, `Space`, `G`. */
export function displayKey(token: KeyToken): string {
  if (!isNamedKey(token)) return token;
  const inner = token.slice(1, -1);
  if (DISPLAY[inner]) return DISPLAY[inner];
  if (inner.startsWith('C-')) return `Ctrl-${inner.slice(2)}`;
  if (inner.startsWith('M-')) return `Alt-${inner.slice(2)}`;
  return DISPLAY[inner] ?? inner;
}

/** A key sequence for people to read: `gg`, `Ctrl-w j`. */
export function displayKeys(tokens: readonly KeyToken[]): string {
  if (tokens.every((t) => !isNamedKey(t))) return tokens.join('');
  return tokens.map(displayKey).join(' ');
}

/** Every canonical named key, for tests and the docs. */
export const NAMED_KEYS: readonly KeyToken[] = NAMED.map((n) => `<${n}>`);

/**
 * The tokens for raw terminal input that arrived as one chunk: typed-ahead
 * keys (`j\r`), control characters and escape sequences Ink did not split.
 * A lone ESC is `<Esc>`; ESC followed by a character is Alt with it.
 */
export function tokensFromRawInput(input: string): KeyToken[] {
  const out: KeyToken[] = [];
  const chars = [...input];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const code = ch.codePointAt(0)!;
    if (ch === '\u001b') {
      const next = chars[i + 1];
      const sequence = next === '[' || next === 'O' ? escapeSequence(chars, i) : null;
      if (sequence) {
        if (sequence.token) out.push(sequence.token);
        i = sequence.end;
        continue;
      }
      if (next === '\t') {
        out.push('<M-Tab>');
        i++;
        continue;
      }
      if (next !== undefined && next > ' ' && next <= '~') {
        out.push(`<M-${next}>`);
        i++;
        continue;
      }
      out.push('<Esc>');
      continue;
    }
    if (ch === '\r' || ch === '\n') out.push('<Enter>');
    else if (ch === '\t') out.push('<Tab>');
    else if (ch === '\u007f' || ch === '\b') out.push('<BS>');
    else if (ch === ' ') out.push('<Space>');
    else if (code >= 1 && code <= 26) out.push(`<C-${String.fromCharCode(code + 96)}>`);
    else if (code < 0x20 || (code >= 0x80 && code < 0xa0)) continue;
    else out.push(ch);
  }
  return out;
}

const CSI_KEYS: Record<string, KeyToken> = {
  A: '<Up>',
  B: '<Down>',
  C: '<Right>',
  D: '<Left>',
  H: '<Home>',
  F: '<End>',
  Z: '<S-Tab>',
  '1~': '<Home>',
  '7~': '<Home>',
  '4~': '<End>',
  '8~': '<End>',
  '3~': '<Del>',
  '5~': '<PgUp>',
  '6~': '<PgDn>',
};

/** Reads `ESC [ … final` or `ESC O x` starting at `start`; unknown sequences yield no token. */
function escapeSequence(
  chars: string[],
  start: number,
): { token: KeyToken | null; end: number } | null {
  let i = start + 2;
  if (chars[start + 1] === 'O') {
    const final = chars[i];
    if (final === undefined) return null;
    return { token: CSI_KEYS[final] ?? null, end: i };
  }
  let params = '';
  for (; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch >= '@' && ch <= '~' && !(ch === '[' && i === start + 2)) {
      // Modifier parameters (`1;5A` for Ctrl-Up) are dropped: the plain key is meant.
      const key = ch === '~' ? `${params.split(';')[0]}~` : ch;
      return { token: CSI_KEYS[key] ?? null, end: i };
    }
    params += ch;
  }
  return null;
}
