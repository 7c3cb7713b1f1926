/**
 * Subjects, names and dates read the same in the list (ENVELOPE plus the raw
 * fields, through imapflow) as in the reader and `read --headers`, against
 * Dovecot: raw 8-bit bytes and UTF-7 inside encoded words, and a date zone
 * written without its leading zero.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

const stack = sharedMailStack();
const fixture = (name: string) => readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url));
let engine: MailEngine;

beforeAll(async () => {
  const user = await newTestUser(stack, 'headers');
  const client = await checker(stack.info(), user);
  await client.append('INBOX', fixture('encoded-word-raw-bytes.eml'));
  await client.append('INBOX', fixture('date-zone-loose.eml'));
  await client.logout();
  ({ engine } = testEngine(stack.info(), user));
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(() => engine?.close());

describe('one decoder for every header a user sees', () => {
  it('shows raw 8-bit and UTF-7 encoded words in the list as the reader does', async () => {
    const listed = engine.state.view!.envelopes.get(1)!;
    expect(listed.subject).toBe('Frösche und Hasen ärger');
    expect(listed.from).toEqual([{ name: 'Jürgen Frösche', address: 'juergen@example.test' }]);
    expect(listed.to).toEqual([{ name: 'Frösche', address: 'frogs@example.test' }]);
    expect(listed.cc).toEqual([{ name: 'Häsin Frösche', address: 'hare@example.test' }]);

    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    expect(view.subject).toBe(listed.subject);
    expect(view.from).toEqual(listed.from);
    expect(view.to).toEqual(listed.to);
    expect(view.cc).toEqual(listed.cc);
    expect(view.headers.find((h) => h.key === 'Subject')?.value).toBe(listed.subject);
  });

  it('reads a zone without its leading zero the same in the list and the reader', async () => {
    const listed = engine.state.view!.envelopes.get(2)!;
    expect(new Date(listed.date).toISOString()).toBe('2024-01-02T16:00:00.000Z');
    const view = await engine.request({ type: 'read', uid: 2, peek: true });
    expect(view.date).toBe(listed.date);
  });
});
