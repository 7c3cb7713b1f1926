/**
 * The search syntax of `/` and `:search` is the core's (shared with
 * `tmail search`): `from:ada subject:"release notes" is:unread since:7d words`.
 * Here only what the TUI adds: an empty search means the whole folder again.
 */
import { formatSearch as coreFormat, parseSearch as coreParse } from '../core/search-syntax.js';
import { isTmailError } from '../core/errors.js';
import type { SearchQuery } from '../core/types.js';

export type ParsedSearch =
  /** `query` is null for an empty input: the whole folder. */
  { ok: true; query: SearchQuery | null } | { ok: false; error: string };

/** Parses what was typed at the search prompt. */
export function parseSearchInput(input: string): ParsedSearch {
  if (!input.trim()) return { ok: true, query: null };
  try {
    return { ok: true, query: coreParse(input) };
  } catch (error) {
    const message = isTmailError(error) ? error.message : 'The search was not understood.';
    return { ok: false, error: `Search not run: ${message.replace(/\.$/, '')}.` };
  }
}

/** The query in the same syntax, for the status line and the prompt's first text. */
export function formatSearch(query: SearchQuery): string {
  return coreFormat(query);
}
