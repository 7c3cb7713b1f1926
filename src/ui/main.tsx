/** Starts the interactive reader. */
import { TmailError } from '../core/errors.js';

export interface TuiOptions {
  account?: string;
  folder?: string;
}

export async function runTui(_options: TuiOptions): Promise<number> {
  throw new TmailError(
    'INTERNAL',
    'The interactive reader is not built yet; use the commands listed by tmail --help.',
  );
}
