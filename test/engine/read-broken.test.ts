/**
 * Messages whose parts the server cannot show as text, read through the
 * engine against Dovecot: whatever text there is is shown, and what could
 * not be shown is said. Large messages take the part-by-part path, where
 * Dovecot describes a multipart without delimiters as one empty text part.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

const stack = sharedMailStack();
const fixture = (name: string) => readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url));
const NO_PARTS =
  'The message says it has several parts, but they could not be found; it is shown as plain text.';
/** Over the size the engine fetches whole, so only the structure and chosen parts are fetched. */
const filler = `${'All work and no play makes a long message. '.repeat(2)}\r\n`.repeat(4000);
let engine: MailEngine;

function broken(contentType: string, body: string): string {
  return [
    'From: Ada <ada@example.test>',
    'To: bob@example.test',
    'Subject: broken multipart',
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    '',
    body,
  ].join('\r\n');
}

beforeAll(async () => {
  const user = await newTestUser(stack, 'broken');
  const client = await checker(stack.info(), user);
  await client.append('INBOX', fixture('external-body-alternative.eml'));
  await client.append(
    'INBOX',
    broken('multipart/mixed', `The text before the filler.\r\n${filler}`),
  );
  await client.append(
    'INBOX',
    broken(
      'multipart/mixed; boundary="declared"',
      `--actual\r\nContent-Type: text/plain\r\n\r\nThe first part.\r\n${filler}--actual--\r\n`,
    ),
  );
  await client.logout();
  ({ engine } = testEngine(stack.info(), user));
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(() => engine?.close());

describe('reading what cannot be shown as text', () => {
  it('lists alternatives stored elsewhere and says where they are', async () => {
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    expect(view.attachments.map((a) => [a.id, a.contentType])).toEqual([
      ['1', 'message/external-body'],
      ['2', 'message/external-body'],
    ]);
    expect(view.notes).toEqual([
      'Part 1 is not in the message: it points to https://files.example.test/report.txt, which tmail does not fetch.',
      'Part 2 is not in the message: it points to ftp://ftp.example.test/pub/reports/report.txt, which tmail does not fetch.',
    ]);
  });

  it('shows the text of a large multipart without delimiters, with the note', async () => {
    const view = await engine.request({ type: 'read', uid: 2, peek: true });
    expect(view.text.startsWith('The text before the filler.\nAll work')).toBe(true);
    expect(view.notes).toContain(NO_PARTS);
  });

  it('shows the raw text of a large multipart with the wrong boundary, with the note', async () => {
    const view = await engine.request({ type: 'read', uid: 3, peek: true });
    expect(view.text).toContain('The first part.');
    expect(view.notes).toContain(NO_PARTS);
  });
});
