/**
 * Argument parsing for the commands, on node:util's parseArgs. Errors come back
 * as one sentence (`unknown option --bogus; see tmail COMMAND --help`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './io.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every mail command takes. */
export const COMMON_OPTIONS = {
  account: { type: 'string', short: 'a' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface Parsed<O extends OptionSpec> {
  values: {
    [K in keyof O]?: O[K] extends { type: 'boolean' }
      ? boolean
      : O[K] extends { multiple: true }
        ? string[]
        : string;
  };
  positionals: string[];
}

export function parseCommandArgs<O extends OptionSpec>(
  command: string,
  args: string[],
  options: O,
): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed<O>['values'], positionals };
  } catch (error) {
    throw usageError(
      `${parseErrorSentence(error as Error & { code?: string })}; see tmail ${command} --help`,
    );
  }
}

/**
 * node:util's parse errors in tmail's words: its messages run on with advice
 * about `--` that reads garbled once cut (`unknown option -5'. … as in ;`).
 */
export function parseErrorSentence(error: Error & { code?: string }): string {
  const message = error.message;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']*)'/.exec(message)?.[1];
    if (option !== undefined) return `unknown option ${option}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const missing = /^Option '(?:-\w, )?(--?[\w-]+)[^']*' argument missing/.exec(message);
    if (missing) return `${missing[1]} needs a value`;
    const extra = /^Option '(?:-\w, )?(--?[\w-]+)[^']*' does not take an argument/.exec(message);
    if (extra) return `${extra[1]} takes no value`;
  }
  return message.split('\n')[0]!.replace(/\.$/, '');
}

/** Parses a positive whole number option, or throws a usage error naming it. */
export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`--${name} takes a whole number of 1 or more`);
  return n;
}

/** Parses message UIDs (`12`, `12,14`, `10:20`) into a sorted, unique list. */
export function parseUids(words: string[]): number[] {
  const uids = new Set<number>();
  for (const word of words.flatMap((w) => w.split(','))) {
    if (!word) continue;
    const range = /^(\d+):(\d+)$/.exec(word);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])].sort((x, y) => x - y) as [number, number];
      if (b - a > 1_000_000) throw usageError(`the range ${word} is too large`);
      for (let uid = a; uid <= b; uid++) uids.add(uid);
    } else if (/^\d+$/.test(word) && Number(word) > 0) {
      uids.add(Number(word));
    } else {
      throw usageError(`"${word}" is not a message UID`);
    }
  }
  return [...uids].sort((a, b) => a - b);
}
