/**
 * The scriptable commands, in the order `tmail --help` lists them. Each module
 * is loaded only when its command runs, so `--help` and the TUI's start-up
 * never pay for code they do not use.
 */
import type { CliIo } from './io.js';

/** What a command module exports. */
export interface CliCommandModule {
  /** Runs the command with the words after its name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

export interface CliCommand {
  name: string;
  /** One line for `tmail --help`. */
  summary: string;
  load(): Promise<CliCommandModule>;
}

export const COMMANDS: CliCommand[] = [];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}
