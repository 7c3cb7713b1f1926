/**
 * Messages whose structure is too big for one command or for imapflow's
 * parser, read through the engine against Dovecot (seeded by APPEND): 10,000
 * text parts (over the size read whole, so fetched part by part, in batches),
 * and 1,000 levels of nesting (no BODYSTRUCTURE from imapflow): both read,
 * with a note on what is not shown, and neither is said not to exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

const stack = sharedMailStack();
const HEADER = 'From: Ada <ada@example.test>\r\nTo: bob@example.test\r\nMIME-Version: 1.0\r\n';
let engine: MailEngine;

function manyParts(count: number): string {
  let body = '';
  for (let i = 1; i <= count; i++) {
    body += `--many\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nText part ${i}.\r\n`;
  }
  return `${HEADER}Subject: ten thousand parts\r\nContent-Type: multipart/mixed; boundary="many"\r\n\r\n${body}--many--\r\n`;
}

function nested(levels: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < levels; i++) {
    open += `Content-Type: multipart/mixed; boundary="level${i}"\r\n\r\n--level${i}\r\n`;
    close = `\r\n--level${i}--${close}`;
  }
  return `${HEADER}Subject: a thousand levels\r\n${open}Content-Type: text/plain\r\n\r\nThe innermost text.${close}\r\n`;
}

beforeAll(async () => {
  const user = await newTestUser(stack, 'hugestruct');
  const client = await checker(stack.info(), user);
  await client.append('INBOX', Buffer.from(manyParts(10_000)));
  await client.append('INBOX', Buffer.from(nested(1000)));
  await client.logout();
  ({ engine } = testEngine(stack.info(), user));
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(() => engine?.close());

describe('messages with huge structures', () => {
  it('reads a message of 10,000 parts, showing the first thousand', async () => {
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    expect(view.subject).toBe('ten thousand parts');
    expect(view.text).toMatch(/^Text part 1\.\n\nText part 2\./);
    expect(view.text).toContain('Text part 1000.');
    expect(view.text).not.toContain('Text part 1001.');
    expect(view.notes.some((note) => /only the first 1000 are shown/.test(note))).toBe(true);
  });

  it('reads a message nested 1,000 levels deep and says what it cannot show', async () => {
    const view = await engine.request({ type: 'read', uid: 2, peek: true });
    expect(view.subject).toBe('a thousand levels');
    expect(view.notes).toContain(
      'The message nests deeper than 100 levels; deeper parts are not shown.',
    );
  });
});
