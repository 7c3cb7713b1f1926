/**
 * The search syntax of `/` and `:search`: `from:ada subject:"release notes"
 * is:unread since:2025-01-01 words`. Plain words search the whole message.
 */
import type { SearchQuery } from '../core/types.js';

const FIELD_ALIASES: Record<string, keyof SearchQuery | 'is' | 'since' | 'before'> = {
  from: 'from',
  f: 'from',
  to: 'to',
  t: 'to',
  cc: 'cc',
  subject: 'subject',
  subj: 'subject',
  s: 'subject',
  body: 'body',
  b: 'body',
  text: 'text',
  since: 'since',
  after: 'since',
  before: 'before',
  until: 'before',
  is: 'is',
};

const IS_FLAGS: Record<string, { flagged?: string; unflagged?: string }> = {
  unread: { unflagged: '\\Seen' },
  new: { unflagged: '\\Seen' },
  read: { flagged: '\\Seen' },
  seen: { flagged: '\\Seen' },
  flagged: { flagged: '\\Flagged' },
  starred: { flagged: '\\Flagged' },
  unflagged: { unflagged: '\\Flagged' },
  answered: { flagged: '\\Answered' },
  replied: { flagged: '\\Answered' },
  unanswered: { unflagged: '\\Answered' },
  deleted: { flagged: '\\Deleted' },
  undeleted: { unflagged: '\\Deleted' },
  draft: { flagged: '\\Draft' },
};

/** Splits on spaces, keeping "quoted phrases" (and field:"quoted values") together. */
function words(input: string): string[] {
  const out: string[] = [];
  const pattern = /(\S*?:)?"([^"]*)"?|\S+/g;
  for (const match of input.matchAll(pattern)) {
    if (match[2] !== undefined) out.push(`${match[1] ?? ''}${match[2]}`);
    else out.push(match[0]);
  }
  return out;
}

/** A day written as YYYY-MM-DD (or YYYY-MM), as ms at local midnight; NaN when not a date. */
function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$/.exec(text);
  if (!m) return NaN;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3] ?? 1)).getTime();
}

export interface ParsedSearch {
  query: SearchQuery;
  /** Sentences about parts that were not understood (they are searched as text). */
  warnings: string[];
}

/** Parses the search syntax; an empty input gives an empty query. */
export function parseSearch(input: string): ParsedSearch {
  const query: SearchQuery = {};
  const warnings: string[] = [];
  const text: string[] = [];
  const append = (field: 'from' | 'to' | 'cc' | 'subject' | 'body' | 'text', value: string) => {
    query[field] = query[field] ? `${query[field]} ${value}` : value;
  };
  for (const word of words(input.trim())) {
    const colon = word.indexOf(':');
    const name = colon > 0 ? word.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? word.slice(colon + 1) : word;
    const field = name ? FIELD_ALIASES[name] : undefined;
    if (!field || value === '') {
      text.push(word);
      continue;
    }
    if (field === 'is') {
      const flag = IS_FLAGS[value.toLowerCase()];
      if (!flag) {
        warnings.push(`is:${value} is not known (use unread, read, flagged, answered, deleted).`);
        continue;
      }
      if (flag.flagged) query.flagged = [...(query.flagged ?? []), flag.flagged];
      if (flag.unflagged) query.unflagged = [...(query.unflagged ?? []), flag.unflagged];
    } else if (field === 'since' || field === 'before') {
      const day = parseDay(value);
      if (Number.isNaN(day)) {
        warnings.push(`${name}:${value} is not a date (write YYYY-MM-DD).`);
        continue;
      }
      query[field] = day;
    } else {
      append(field as 'from', value);
    }
  }
  if (text.length) append('text', text.join(' '));
  return { query, warnings };
}

/** True when the query asks for nothing. */
export function isEmptySearch(query: SearchQuery): boolean {
  return Object.values(query).every((v) => v === undefined || (Array.isArray(v) && !v.length));
}

function quote(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

function day(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The query in the same syntax, for the status line and the prompt's history. */
export function formatSearch(query: SearchQuery): string {
  const parts: string[] = [];
  for (const field of ['from', 'to', 'cc', 'subject', 'body'] as const) {
    const value = query[field];
    if (value) parts.push(`${field}:${quote(value)}`);
  }
  const names = Object.entries(IS_FLAGS);
  for (const flag of query.flagged ?? []) {
    const name = names.find(([, f]) => f.flagged === flag)?.[0];
    if (name) parts.push(`is:${name}`);
  }
  for (const flag of query.unflagged ?? []) {
    const name = names.find(([, f]) => f.unflagged === flag)?.[0];
    if (name) parts.push(`is:${name}`);
  }
  if (query.since !== undefined) parts.push(`since:${day(query.since)}`);
  if (query.before !== undefined) parts.push(`before:${day(query.before)}`);
  if (query.text) parts.push(query.text);
  return parts.join(' ');
}
