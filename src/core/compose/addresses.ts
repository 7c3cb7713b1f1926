/**
 * Address lists as people type them: parsing that forgives (commas inside
 * quotes, a pasted `Doe, Jane <jane@x>`, groups, comments, `;` separators),
 * formatting that quotes only when it must, and a strict check used before
 * anything is sent. Parsing never throws: what does not parse stays in the
 * list as it was typed, so the review screen and `buildMessage` can name it.
 */
import type { Address } from '../types.js';

/** Characters that force a display name into quotes (RFC 5322 `specials`). */
const NEEDS_QUOTES = /[()<>[\]:;@\\,."]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Splits an address field into items at top-level `,` and `;`, keeping quoted
 * strings, `<...>` and `(comments)` whole. A group name (`Team: a@x, b@x;`) is
 * dropped and its members kept.
 */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      current += ch;
      if (ch === '\\' && i + 1 < text.length) current += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (comment > 0) {
      current += ch;
      if (ch === '\\' && i + 1 < text.length) current += text[++i];
      else if (ch === '(') comment++;
      else if (ch === ')') comment--;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(') comment++;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (angle === 0 && (ch === ',' || ch === ';')) {
      items.push(current);
      current = '';
      continue;
    } else if (angle === 0 && ch === ':' && !current.includes('@')) {
      // `Group name:` starts a group; the name is not an address.
      current = '';
      continue;
    }
    current += ch;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

/** Removes the quotes and backslash escapes of a quoted string, wherever they appear. */
function unquote(text: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) out += text[++i];
    else if (ch === '"') quoted = !quoted;
    else out += ch;
  }
  return out;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Index of the last `<` that is outside quotes and comments, or -1. */
function lastAngleOpen(item: string): number {
  let quoted = false;
  let comment = 0;
  let found = -1;
  for (let i = 0; i < item.length; i++) {
    const ch = item[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (quoted) {
      if (ch === '"') quoted = false;
    } else if (comment > 0) {
      if (ch === '(') comment++;
      else if (ch === ')') comment--;
    } else if (ch === '"') quoted = true;
    else if (ch === '(') comment++;
    else if (ch === '<') found = i;
  }
  return found;
}

/** Pulls `(comments)` out of a string; returns the rest and the comments' text. */
function stripComments(text: string): { rest: string; comments: string } {
  let rest = '';
  let comments = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      if (depth > 0) comments += text[i + 1];
      else rest += ch + text[i + 1];
      i++;
      continue;
    }
    if (depth === 0 && ch === '"') quoted = !quoted;
    if (!quoted && ch === '(') {
      if (depth > 0) comments += ch;
      depth++;
      continue;
    }
    if (!quoted && ch === ')' && depth > 0) {
      depth--;
      if (depth > 0) comments += ch;
      else comments += ' ';
      continue;
    }
    if (depth > 0) comments += ch;
    else rest += ch;
  }
  return { rest, comments: collapse(comments) };
}

function parseItem(item: string): Address {
  const open = lastAngleOpen(item);
  if (open >= 0) {
    const close = item.indexOf('>', open);
    const address = collapse(item.slice(open + 1, close < 0 ? undefined : close)).replace(
      /\s/g,
      '',
    );
    const before = stripComments(item.slice(0, open));
    const name = collapse(unquote(before.rest)) || before.comments;
    return { name, address };
  }
  const { rest, comments } = stripComments(item);
  return { name: comments, address: collapse(unquote(rest)) };
}

/**
 * Parses a comma- (or semicolon-) separated list of addresses, e.g.
 * `"Doe, Jane" <jane@example.com>, bob@example.com (Bob)`.
 *
 * Forgiving on purpose: a bare name followed by an item in angle brackets is
 * taken as one display name split by an unquoted comma (what Outlook pastes as
 * `Doe, Jane <jane@example.com>`). Items that are not addresses are returned
 * with the text in `address`, for {@link isValidAddress} to reject by name.
 */
export function parseAddressList(text: string): Address[] {
  const items = splitItems(text);
  const result: Address[] = [];
  let pendingName = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const next = items[i + 1];
    const nameOnly = !item.includes('@') && lastAngleOpen(item) < 0;
    if (nameOnly && next !== undefined && lastAngleOpen(next) >= 0) {
      pendingName = pendingName ? `${pendingName}, ${unquote(item)}` : unquote(item);
      continue;
    }
    const parsed = parseItem(item);
    if (pendingName) {
      parsed.name = collapse(parsed.name ? `${pendingName}, ${parsed.name}` : pendingName);
      pendingName = '';
    }
    result.push(parsed);
  }
  return result;
}

/**
 * Formats one address for a header or the editor: the bare address when there
 * is no name, the name quoted only when it holds specials.
 */
export function formatAddress(address: Address): string {
  const name = address.name.trim();
  if (!name) return address.address;
  const shown = NEEDS_QUOTES.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
  return `${shown} <${address.address}>`;
}

/** Formats a list as `a, "B, C" <b@x>`. */
export function formatAddressList(addresses: readonly Address[]): string {
  return addresses.map(formatAddress).join(', ');
}

// Unquoted local part: anything printable but spaces and specials (dots are checked apart).
const LOCAL_CHARS = String.raw`[^\s<>()[\]\\,;:"@\u0000-\u001f\u007f-\u009f]+`;
const QUOTED_LOCAL = String.raw`"(?:[^"\\\u0000-\u001f\u007f]|\\[^\u0000-\u001f])*"`;
const LABEL = String.raw`[^\s<>()[\]\\,;:"@.\u0000-\u001f\u007f-\u009f]+`;
const ADDRESS = new RegExp(
  `^(?:${LOCAL_CHARS}|${QUOTED_LOCAL})@(?:(?:${LABEL}\\.)*${LABEL}|\\[[0-9A-Fa-f:.]+\\])$`,
);

/**
 * True when `address` is a plain `local@domain` that can go in an SMTP
 * envelope: no spaces, no controls, no stray specials, no empty labels.
 */
export function isValidAddress(address: string): boolean {
  if (address.length > 254 || !ADDRESS.test(address)) return false;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  if (
    !local.startsWith('"') &&
    (local.startsWith('.') || local.endsWith('.') || local.includes('..'))
  )
    return false;
  return true;
}

/** True when a display name can go in a header: no control characters at all. */
export function isSafeName(name: string): boolean {
  return !CONTROL.test(name);
}

/** Compares two addresses the way people mean them: case-insensitively. */
export function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Drops duplicates (case-insensitive) and addresses in `exclude`, keeping the
 * first occurrence and its display name (or a later one's name when the first
 * had none).
 */
export function dedupeAddresses(
  addresses: readonly Address[],
  exclude: readonly string[] = [],
): Address[] {
  const excluded = new Set(exclude.map((a) => a.toLowerCase()));
  const byKey = new Map<string, Address>();
  for (const a of addresses) {
    const key = a.address.trim().toLowerCase();
    if (!key || excluded.has(key)) continue;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { name: a.name, address: a.address.trim() });
    else if (!seen.name && a.name) seen.name = a.name;
  }
  return [...byKey.values()];
}
