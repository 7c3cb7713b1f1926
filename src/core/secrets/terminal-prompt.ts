/**
 * Asking for a secret on a terminal without echoing it, for the CLI's
 * `prompt` sources and `tmail account add`. (The TUI asks in its own way.)
 * Without a terminal, the first line of the input is the secret, so scripts
 * can pipe one in.
 */
import { TmailError } from '../errors.js';

export interface TerminalPromptIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** Where the question goes (stderr, so that stdout stays clean for scripts). */
  output: NodeJS.WritableStream;
}

/**
 * Resolves to the secret typed (or the first line of a non-terminal input).
 * Ctrl-C or Ctrl-D on an empty line reject with CANCELLED; an input that ends
 * before a line rejects with SECRET_UNAVAILABLE.
 */
export function promptSecret(question: string, io: TerminalPromptIo): Promise<string> {
  const { input, output } = io;
  const raw = Boolean(input.isTTY && typeof input.setRawMode === 'function');
  if (raw) output.write(question);
  return new Promise((resolve, reject) => {
    if ((input as { readableEnded?: boolean }).readableEnded) {
      reject(
        new TmailError('SECRET_UNAVAILABLE', 'The input ended before a password was entered.'),
      );
      return;
    }
    let buffer = '';
    let done = false;
    const finish = (error: TmailError | undefined, value?: string) => {
      if (done) return;
      done = true;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      if (raw) {
        input.setRawMode!(false);
        output.write('\n');
      }
      input.pause();
      if (error) reject(error);
      else resolve(value!);
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (!raw) {
        buffer += text;
        const end = buffer.indexOf('\n');
        if (end >= 0) finish(undefined, buffer.slice(0, end).replace(/\r$/, ''));
        return;
      }
      // Escape sequences (arrow keys, bracketed-paste markers) are not part of a password.
      for (const ch of text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b./g, '')) {
        if (ch === '\r' || ch === '\n') return finish(undefined, buffer);
        if (ch === '\u0003') return finish(new TmailError('CANCELLED'));
        if (ch === '\u0004') {
          if (buffer === '') return finish(new TmailError('CANCELLED'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') buffer = [...buffer].slice(0, -1).join('');
        else if (ch === '\u0015') buffer = '';
        else if (ch >= ' ') buffer += ch;
      }
    };
    const onEnd = () => {
      if (!raw && buffer !== '') finish(undefined, buffer.replace(/\r?\n?$/, ''));
      else
        finish(
          new TmailError('SECRET_UNAVAILABLE', 'The input ended before a password was entered.'),
        );
    };
    const onError = (error: unknown) =>
      finish(
        new TmailError('SECRET_UNAVAILABLE', 'The password could not be read.', { cause: error }),
      );
    if (raw) input.setRawMode!(true);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}
