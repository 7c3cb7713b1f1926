/**
 * The command line's own sentences: parse errors as one clean sentence, and
 * flag names that never silently become keywords.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/args.js';
import { parseFlags } from '../../src/cli/mail-commands.js';
import { TmailError } from '../../src/core/errors.js';

const LIST_OPTIONS = {
  limit: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
} as const;

function parseError(args: string[]): string {
  try {
    parseCommandArgs('list', args, LIST_OPTIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(TmailError);
    return (error as TmailError).userMessage;
  }
  throw new Error('no error');
}

describe('parse errors', () => {
  it('name an unknown option in one clean sentence', () => {
    expect(parseError(['-5'])).toBe('unknown option -5; see tmail list --help');
    expect(parseError(['--bogus'])).toBe('unknown option --bogus; see tmail list --help');
  });

  it('say which option lacks a value or takes none', () => {
    expect(parseError(['--limit'])).toBe('--limit needs a value; see tmail list --help');
    expect(parseError(['-n'])).toBe('--limit needs a value; see tmail list --help');
    expect(parseError(['--json=3'])).toBe('--json takes no value; see tmail list --help');
  });
});

describe('parseFlags', () => {
  it('reads the system flags by name and keywords in their explicit forms', () => {
    expect(parseFlags('seen,Flagged,\\Answered,read', 'set')).toEqual([
      '\\Seen',
      '\\Flagged',
      '\\Answered',
      '\\Seen',
    ]);
    expect(parseFlags('$Forwarded,keyword:Work,keyword:$Label1', 'set')).toEqual([
      '$Forwarded',
      'Work',
      '$Label1',
    ]);
  });

  it('refuses a word that is not a known flag, pointing at the keyword forms', () => {
    expect(() => parseFlags('bogusflag', 'set')).toThrow(
      '--set: "bogusflag" is not a known flag (seen, answered, flagged, deleted, draft); give a keyword as keyword:bogusflag or $bogusflag',
    );
    expect(() => parseFlags('keyword:a b', 'clear')).toThrow(/is not a keyword tmail can set/);
  });
});
