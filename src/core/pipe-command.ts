/**
 * `:pipe CMD`: a message on a shell command's standard input, as mutt's
 * pipe-message does (`git am`, a spam filter's learning command). The command
 * line is the user's own, so it runs through `sh -c` on purpose; what the
 * message holds only ever travels on stdin. The command inherits the terminal
 * (the caller hands it over first) and is awaited.
 */
import { spawn } from 'node:child_process';
import { TmailError } from './errors.js';

/** How a piped command ended. */
export interface PipeResult {
  /** Exit status, or null when a signal ended it. */
  status: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `command` with `sh -c`, writes `input` to its stdin and closes it;
 * resolves when the command has ended. stdout and stderr are the terminal's.
 * A command that stops reading early is fine (the rest of the input is
 * dropped). Rejects with a TmailError only when no shell could be started.
 */
export function pipeToCommand(
  command: string,
  input: Buffer,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<PipeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    child.once('error', (error) =>
      reject(
        new TmailError('FILE_ERROR', 'The shell could not be started to run the command.', {
          cause: error,
        }),
      ),
    );
    // EPIPE when the command exits without reading everything (head, a failing git am).
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.once('close', (status, signal) => resolve({ status, signal }));
  });
}

/** One sentence on how a piped command ended, naming the command (shortened). */
export function describePipeResult(command: string, result: PipeResult): string {
  const name = command.length > 40 ? `${command.slice(0, 39)}…` : command;
  if (result.status === 0) return `The command ${name} exited with status 0.`;
  if (result.status !== null)
    return `The command ${name} failed with exit status ${result.status}.`;
  return `The command ${name} was stopped by ${result.signal ?? 'a signal'}.`;
}
