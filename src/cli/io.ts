/**
 * The streams and environment a CLI command works with, passed in so that tests
 * can run commands in-process and read what they printed.
 */
import { TmailError, exitCodeFor, toTmailError } from '../core/errors.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /**
   * Opens the interactive account wizard and resolves to an exit code; set by
   * src/cli.ts (the CLI itself never loads the UI), absent in tests.
   */
  runWizard?: () => Promise<number>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Writes a line to stdout. */
export function out(io: CliIo, line = ''): void {
  io.stdout.write(line + '\n');
}

/** Prints one sentence for the user on stderr and returns the exit code for it. */
export function fail(io: CliIo, error: unknown): number {
  const e = toTmailError(error);
  io.stderr.write(`tmail: ${e.userMessage}\n`);
  return exitCodeFor(e);
}

/** A usage error: one line on stderr, exit code 2. */
export function usageError(message: string): TmailError {
  return new TmailError('USAGE', message);
}
