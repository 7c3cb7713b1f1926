/**
 * tmail's search language (core/search-syntax.ts, a SearchQuery) as a query on
 * the local store: the words go to the FTS5 index, dates and flags to plain
 * SQL over the message rows. Pure: no database here, so it is unit-tested alone.
 *
 * Where it differs from a server's SEARCH: IMAP matches substrings, the index
 * matches whole words and the beginnings of words (`from:ada` finds "Ada" and
 * "adams@" but not "Canada"). A value is one phrase: its words in that order,
 * the last one as a prefix, as the server's substring would mostly find them.
 */
import type { SearchQuery } from '../types.js';

/** The columns of the full-text index, in order (schema.ts makes the table). */
export const FTS_COLUMNS = ['subject', 'sender', 'recipient', 'cc', 'body'] as const;

/** What a query becomes: an FTS5 MATCH expression (or null: no words) and SQL conditions on `m`. */
export interface LocalQuery {
  match: string | null;
  /** Conditions on the messages table aliased `m`, joined with AND. */
  where: string[];
  params: unknown[];
  /** True when a value has no word the index can look for: nothing can match. */
  impossible: boolean;
}

/** The words of a value as the index's tokenizer (unicode61) splits them. */
export function words(value: string): string[] {
  return value.match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
}

/** One value as an FTS5 phrase: its words in order, the last one a prefix. */
export function phrase(value: string): string | null {
  const list = words(value);
  if (!list.length) return null;
  return list.map((word, i) => `"${word}"${i === list.length - 1 ? ' *' : ''}`).join(' + ');
}

const FIELD_COLUMNS: Record<'from' | 'to' | 'cc' | 'subject' | 'body', string> = {
  from: 'sender',
  to: 'recipient',
  cc: 'cc',
  subject: 'subject',
  body: 'body',
};

/** Translates a SearchQuery for the local store. */
export function localQuery(query: SearchQuery): LocalQuery {
  const terms: string[] = [];
  let impossible = false;
  for (const [field, column] of Object.entries(FIELD_COLUMNS) as Array<
    [keyof typeof FIELD_COLUMNS, string]
  >) {
    const value = query[field];
    if (!value) continue;
    const p = phrase(value);
    if (p) terms.push(`{${column}} : (${p})`);
    else impossible = true;
  }
  if (query.text) {
    const p = phrase(query.text);
    if (p) terms.push(`(${p})`);
    else impossible = true;
  }
  const where: string[] = [];
  const params: unknown[] = [];
  // SINCE and BEFORE compare the arrival day (INTERNALDATE), as the server does.
  if (query.since !== undefined) {
    where.push('m.arrival >= ?');
    params.push(query.since);
  }
  if (query.before !== undefined) {
    where.push('m.arrival < ?');
    params.push(query.before);
  }
  // Flags are kept space-separated; IMAP flags compare without regard to case.
  for (const flag of query.flagged ?? []) {
    where.push("instr(lower(' ' || m.flags || ' '), lower(' ' || ? || ' ')) > 0");
    params.push(flag);
  }
  for (const flag of query.unflagged ?? []) {
    where.push("instr(lower(' ' || m.flags || ' '), lower(' ' || ? || ' ')) = 0");
    params.push(flag);
  }
  if (query.uids) {
    where.push('m.uid IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(query.uids));
  }
  return { match: terms.length ? terms.join(' AND ') : null, where, params, impossible };
}

/** True when the query looks in bodies, which the store holds only for messages read. */
export function searchesBodies(query: SearchQuery): boolean {
  return Boolean(query.body || query.text);
}
