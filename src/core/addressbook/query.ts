/**
 * Address completion from two sources: tmail's own address book and an
 * external query command (mutt's query_command, aerc's address-book-cmd:
 * khard, abook, `notmuch address`, a CardDAV tool).
 *
 * The command is never run through a shell: its words are split here and the
 * typed text replaces `%s` as one word, so nothing typed can become shell
 * syntax. It runs with a time limit and a cap on what is read; whatever it
 * prints is taken as hostile (a CR/LF or an escape in a name, a line that is
 * not an address) and only valid addresses with clean names come out.
 */
import type { AddressBookCommand } from '../config/types.js';
import { isValidAddress, parseAddressList } from '../compose/addresses.js';
import { runCapture, type CaptureResult } from '../run-command.js';
import type { Address } from '../types.js';
import { matchQuality, type AddressBook } from './index.js';

/** Default time an address command may take before tmail gives up on it. */
export const ADDRESS_COMMAND_TIMEOUT_MS = 3000;
/** Bytes of a command's output read at most; more is cut (and the command stopped). */
export const ADDRESS_COMMAND_MAX_BYTES = 1 << 20;
/** Addresses taken from a command's output at most. */
const MAX_COMMAND_RESULTS = 500;

/** One address a query found, with the comment a command may give (a nickname, a phone book). */
export interface QueryMatch extends Address {
  comment?: string;
  /** Where it came from. */
  source: 'book' | 'command';
}

/**
 * Splits a command string into words as a shell would for plain words:
 * spaces separate, single quotes keep everything, double quotes keep spaces
 * (with `\"` and `\\` inside), a backslash outside quotes escapes one char.
 */
export function splitCommandWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      word += command.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? command.length : end;
      inWord = true;
    } else if (ch === '"') {
      inWord = true;
      for (i++; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === '\\' && /["\\$`]/.test(command[i + 1] ?? '')) i++;
        word += command[i];
      }
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The argv to run for `text`: `%s` in any word is replaced by the text (the
 * word stays one argument); when no word holds `%s`, the text is added as the
 * last argument. `%%` is a literal `%`.
 */
export function addressCommandArgv(command: AddressBookCommand, text: string): string[] {
  const words = typeof command === 'string' ? splitCommandWords(command) : [...command];
  let used = false;
  const argv = words.map((word) =>
    word.replace(/%([%s])/g, (_, c: string) => {
      if (c === '%') return '%';
      used = true;
      return text;
    }),
  );
  if (!used) argv.push(text);
  return argv;
}

/** Control and bidi characters out of a name or comment; runs of space made one. */
function cleanField(text: string | undefined): string {
  return (text ?? '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Reads mutt's query format: `address<TAB>name[<TAB>comment]` lines, where
 * the first line is a status message mutt skips. Forgiving: the first line is
 * dropped only when it is not an address line, and lines without a tab are
 * read as `Name <address>` (what `notmuch address` prints). Lines whose
 * address is not a valid one (a CR inside, spaces, a bare word) are dropped.
 */
export function parseQueryOutput(
  output: string,
  limit = MAX_COMMAND_RESULTS,
): Address[] & Array<{ comment?: string }> {
  const out: Array<Address & { comment?: string }> = [];
  const seen = new Set<string>();
  // Only \n separates lines: a CR inside a line stays there and makes it invalid below.
  for (const rawLine of output.split('\n')) {
    if (out.length >= limit) break;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (!line.trim()) continue;
    let entry: (Address & { comment?: string }) | null = null;
    if (line.includes('\t')) {
      const [address = '', name, comment] = line.split('\t');
      entry = { address: address.trim(), name: cleanField(name) };
      const note = cleanField(comment);
      if (note) entry.comment = note;
    } else {
      const parsed = parseAddressList(line);
      if (parsed.length === 1)
        entry = { address: parsed[0]!.address, name: cleanField(parsed[0]!.name) };
    }
    if (!entry || !isValidAddress(entry.address)) continue;
    const key = entry.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}

/**
 * Merges the two sources for `query`, best first: how well the text matches
 * (the start of the address, a part of it or a word of the name before the
 * middle of a word) decides first; among equals, the address book's ranking
 * (how often and how lately) comes before the command's own order. A
 * command's result that does not contain the text at all (a nickname or an
 * alias the command knows) still counts as a match, after the textual ones.
 * An address in both keeps the book's place and takes the command's name when
 * the book has none.
 */
export function mergeMatches(
  query: string,
  book: readonly Address[],
  command: ReadonlyArray<Address & { comment?: string }>,
  limit = 20,
): QueryMatch[] {
  const q = query.trim().toLowerCase();
  const byKey = new Map<string, { match: QueryMatch; quality: number; rank: number }>();
  book.forEach((a, index) => {
    const key = a.address.toLowerCase();
    if (byKey.has(key)) return;
    byKey.set(key, {
      match: { name: a.name, address: a.address, source: 'book' },
      quality: Math.max(1, matchQuality(q, a)),
      rank: index,
    });
  });
  command.forEach((a, index) => {
    const key = a.address.toLowerCase();
    const known = byKey.get(key);
    if (known) {
      if (!known.match.name && a.name) known.match.name = a.name;
      if (a.comment && !known.match.comment) known.match.comment = a.comment;
      return;
    }
    const match: QueryMatch = { name: a.name, address: a.address, source: 'command' };
    if (a.comment) match.comment = a.comment;
    // A match the command made by its own rules (a nickname) is still a match.
    byKey.set(key, {
      match,
      quality: Math.max(0.5, matchQuality(q, a)),
      rank: book.length + index,
    });
  });
  return [...byKey.values()]
    .sort((a, b) => b.quality - a.quality || a.rank - b.rank)
    .slice(0, Math.max(0, limit))
    .map((e) => e.match);
}

/** The command for an account: its own, else the top-level one. */
export function addressCommandFor(
  account: { addressBookCommand?: AddressBookCommand } | undefined,
  config: { addressBookCommand?: AddressBookCommand } | undefined,
): AddressBookCommand | undefined {
  return account?.addressBookCommand ?? config?.addressBookCommand;
}

/** The one sentence for a command that did not give an answer, or undefined when it did. */
export function commandProblem(
  result: CaptureResult,
  argv: readonly string[],
  timeoutMs: number,
): string | undefined {
  const name = cleanField(argv[0]).slice(0, 60) || 'the command';
  switch (result.failure) {
    case 'timeout':
      return `The address book command ${name} did not answer within ${Math.round(timeoutMs / 100) / 10} s; only tmail's address book was used.`;
    case 'spawn':
      return `The address book command ${name} could not be run (${result.spawnError === 'ENOENT' ? 'not found' : (result.spawnError ?? 'error')}); check addressBookCommand.`;
    case 'too-much':
      return undefined; // what came before the cut is used
    case 'aborted':
      return undefined;
  }
  if (result.status !== 0) {
    // Some tools (khard) exit 1 when nothing matched; that is only an empty answer.
    if (result.status === 1 && !result.stdout.includes('\t')) return undefined;
    return `The address book command ${name} failed (exit status ${result.status}); only tmail's address book was used.`;
  }
  return undefined;
}

export interface QueryOptions {
  /** tmail's own address book; left out, only the command is asked. */
  book?: Pick<AddressBook, 'complete'>;
  command?: AddressBookCommand;
  timeoutMs?: number;
  maxBytes?: number;
  limit?: number;
  signal?: AbortSignal;
}

/** What a query found, and a sentence when the command failed (the book's matches still come). */
export interface QueryResult {
  matches: QueryMatch[];
  notice?: string;
}

/**
 * Asks both sources at once for `text` and merges their answers. Never
 * rejects: a command that hangs, fails or prints garbage yields the book's
 * matches and a notice.
 */
export async function queryAddresses(text: string, options: QueryOptions): Promise<QueryResult> {
  const limit = options.limit ?? 20;
  const timeoutMs = options.timeoutMs ?? ADDRESS_COMMAND_TIMEOUT_MS;
  const bookMatches = options.book
    ? options.book.complete(text, Math.max(limit, 50)).catch(() => [] as Address[])
    : Promise.resolve([] as Address[]);
  let commandMatches: Promise<{ list: Array<Address & { comment?: string }>; notice?: string }> =
    Promise.resolve({ list: [] });
  const query = text.trim();
  if (options.command && query) {
    const argv = addressCommandArgv(options.command, query);
    commandMatches = runCapture(argv, {
      timeoutMs,
      maxBytes: options.maxBytes ?? ADDRESS_COMMAND_MAX_BYTES,
      signal: options.signal,
    }).then((result) => {
      const notice = commandProblem(result, argv, timeoutMs);
      if (notice) return { list: [], notice };
      let stdout = result.stdout;
      // Output cut at the cap: its last line may be half a line.
      if (result.failure === 'too-much') stdout = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
      return { list: parseQueryOutput(stdout) };
    });
  }
  const [book, command] = await Promise.all([bookMatches, commandMatches]);
  const result: QueryResult = { matches: mergeMatches(query, book, command.list, limit) };
  if (command.notice) result.notice = command.notice;
  return result;
}
