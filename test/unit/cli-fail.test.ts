/**
 * What a command prints when it fails: one sentence; for a bug (an error tmail
 * did not expect), where its details went, and the details in the log only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fail, type CliIo } from '../../src/cli/io.js';
import { TmailError } from '../../src/core/errors.js';

function captureIo(): { io: CliIo; stderr: () => string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const io: CliIo = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {} };
  return { io, stderr: () => text };
}

let logFile = '';
const savedLogFile = process.env.TMAIL_LOG_FILE;

beforeEach(() => {
  logFile = join(mkdtempSync(join(tmpdir(), 'tmail-fail-')), 'tmail.log');
  process.env.TMAIL_LOG_FILE = logFile;
});

afterEach(() => {
  if (savedLogFile === undefined) delete process.env.TMAIL_LOG_FILE;
  else process.env.TMAIL_LOG_FILE = savedLogFile;
});

describe('fail', () => {
  it('prints the sentence of a known failure and its exit code', () => {
    const { io, stderr } = captureIo();
    expect(fail(io, new TmailError('USAGE', 'unknown option --x'))).toBe(2);
    expect(stderr()).toBe('tmail: unknown option --x\n');
  });

  it("keeps Dovecot's timing tail out of the sentence, and in the error for the log", () => {
    const { io, stderr } = captureIo();
    const error = new TmailError('SERVER_NO', 'The IMAP server refused to open the folder Nope.', {
      serverText: "Mailbox doesn't exist: Nope (0.001 + 0.000 secs).",
    });
    expect(fail(io, error)).toBe(1);
    expect(stderr()).toBe(
      "tmail: The IMAP server refused to open the folder Nope: Mailbox doesn't exist: Nope.\n",
    );
    expect(error.serverText).toContain('(0.001 + 0.000 secs)');
    const longer = new TmailError('SERVER_NO', 'No.', {
      serverText: 'Expunge failed (0.002 + 0.000 + 0.001 secs)',
    });
    expect(longer.userMessage).toBe('No: Expunge failed.');
  });

  it('sends a bug to the log, with its stack, and names the log in one line', () => {
    const { io, stderr } = captureIo();
    const bug = new TypeError("Cannot read properties of undefined (reading 'uid')");
    expect(fail(io, bug)).toBe(1);
    expect(stderr()).toBe(
      `tmail: Something went wrong inside tmail; the details are in ${logFile}.\n`,
    );
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain("reading 'uid'");
    expect(log).toContain('cli-fail.test.ts');
  });
});
