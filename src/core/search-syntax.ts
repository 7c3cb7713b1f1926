/**
 * The search language both faces accept (`tmail search …` and `/` in the
 * TUI): `from:ada subject:"release notes" is:unread since:2026-01-01 budget`.
 * Plain words search everywhere (IMAP TEXT); quoted values keep spaces.
 */
import { TmailError } from './errors.js';
import { ANSWERED, DELETED, DRAFT, FLAGGED, SEEN, type SearchQuery } from './types.js';

const FIELDS = ['from', 'to', 'cc', 'subject', 'body', 'text'] as const;

/** Splits on spaces, keeping `"quoted words"` (and `key:"quoted words"`) together. */
function tokens(input: string): string[] {
  const out: string[] = [];
  const pattern = /(\S+?:"[^"]*"?|"[^"]*"?|\S+)/g;
  for (const match of input.matchAll(pattern)) out.push(match[0]);
  return out;
}

function unquote(value: string): string {
  return value.replace(/^"/, '').replace(/"$/, '');
}

/** Parses a date as a local calendar day (`2026-03-01`), or a relative `7d` / `2w` / `3m`. */
function parseDay(value: string, key: string): number {
  const relative = /^(\d+)([dwmy])$/.exec(value);
  if (relative) {
    const n = Number(relative[1]);
    const date = new Date();
    date.setHours(0, 0, 0, 0);
    if (relative[2] === 'd') date.setDate(date.getDate() - n);
    if (relative[2] === 'w') date.setDate(date.getDate() - 7 * n);
    if (relative[2] === 'm') date.setMonth(date.getMonth() - n);
    if (relative[2] === 'y') date.setFullYear(date.getFullYear() - n);
    return date.getTime();
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const date = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (!Number.isNaN(date.getTime())) return date.getTime();
  }
  throw new TmailError('USAGE', `${key}: wants a date like 2026-03-01 or 7d, not "${value}"`);
}

const IS_FLAGS: Record<string, { set?: string; unset?: string }> = {
  unread: { unset: SEEN },
  read: { set: SEEN },
  seen: { set: SEEN },
  unseen: { unset: SEEN },
  flagged: { set: FLAGGED },
  unflagged: { unset: FLAGGED },
  answered: { set: ANSWERED },
  unanswered: { unset: ANSWERED },
  deleted: { set: DELETED },
  draft: { set: DRAFT },
};

/** Parses the search language; throws a USAGE TmailError naming what is wrong. */
export function parseSearch(input: string): SearchQuery {
  const query: SearchQuery = {};
  const words: string[] = [];
  for (const token of tokens(input.trim())) {
    const colon = token.indexOf(':');
    const key = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? unquote(token.slice(colon + 1)) : '';
    if ((FIELDS as readonly string[]).includes(key)) {
      if (!value) throw new TmailError('USAGE', `${key}: needs a value`);
      const field = key as (typeof FIELDS)[number];
      query[field] = query[field] ? `${query[field]} ${value}` : value;
    } else if (key === 'since' || key === 'after') {
      query.since = parseDay(value, key);
    } else if (key === 'before' || key === 'until') {
      query.before = parseDay(value, key);
    } else if (key === 'is' || key === 'not') {
      const flag = IS_FLAGS[value.toLowerCase()];
      if (!flag)
        throw new TmailError(
          'USAGE',
          `${key}: knows ${Object.keys(IS_FLAGS).join(', ')}, not "${value}"`,
        );
      const [set, unset] = key === 'is' ? [flag.set, flag.unset] : [flag.unset, flag.set];
      if (set) query.flagged = [...(query.flagged ?? []), set];
      if (unset) query.unflagged = [...(query.unflagged ?? []), unset];
    } else if (key === 'keyword' || key === 'tag') {
      query.flagged = [...(query.flagged ?? []), value];
    } else {
      words.push(unquote(token));
    }
  }
  if (words.length) query.text = [query.text, ...words].filter(Boolean).join(' ');
  if (!Object.keys(query).length)
    throw new TmailError('USAGE', 'The search is empty; try from:NAME, subject:WORDS or a word.');
  return query;
}

/** Shows a query back in the same language (for the status line and `--json`). */
export function formatSearch(query: SearchQuery): string {
  const quote = (v: string) => (/\s/.test(v) ? `"${v}"` : v);
  const parts: string[] = [];
  for (const field of FIELDS)
    if (query[field] && field !== 'text') parts.push(`${field}:${quote(query[field]!)}`);
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  if (query.since !== undefined) parts.push(`since:${day(query.since)}`);
  if (query.before !== undefined) parts.push(`before:${day(query.before)}`);
  const name = (flag: string, set: boolean) =>
    Object.entries(IS_FLAGS).find(([, v]) => (set ? v.set === flag : v.unset === flag))?.[0];
  for (const flag of query.flagged ?? [])
    parts.push(name(flag, true) ? `is:${name(flag, true)}` : `keyword:${flag}`);
  for (const flag of query.unflagged ?? [])
    parts.push(name(flag, false) ? `is:${name(flag, false)}` : `not:${flag}`);
  if (query.text) parts.push(query.text);
  return parts.join(' ');
}
