/**
 * The streams and environment a CLI command works with, passed in so that tests
 * can run commands in-process and read what they printed.
 */
import { TmailError, exitCodeFor, toTmailError } from '../core/errors.js';
import { createLogger, logFilePath } from '../core/log.js';

const log = createLogger('cli');

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
  if (e.code === 'INTERNAL') {
    // A bug: the sentence says where the details are, the log keeps them (never the terminal).
    const cause = e.cause instanceof Error ? e.cause : undefined;
    log.error('internal error', {
      message: cause?.message ?? String(e.cause),
      stack: cause?.stack,
    });
    io.stderr.write(
      `tmail: Something went wrong inside tmail; the details are in ${logFilePath()}.\n`,
    );
    return exitCodeFor(e);
  }
  io.stderr.write(`tmail: ${e.userMessage}\n`);
  return exitCodeFor(e);
}

/** A usage error: one line on stderr, exit code 2. */
export function usageError(message: string): TmailError {
  return new TmailError('USAGE', message);
}
