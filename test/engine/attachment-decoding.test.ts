/**
 * Attachments come out decoded and described truthfully, against Dovecot:
 * an x-uuencode part is saved and opened as the file it encodes (imapflow's
 * download passes it through encoded), and the sizes the reader gives are
 * exact when the whole message was fetched; file names with raw Latin-1
 * bytes keep every letter (imapflow reads BODYSTRUCTURE as UTF-8).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { PNG_BYTES, TABLE_BYTES } from '../fixtures/eml/payloads.js';
import { testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, testEngine } from '../support/engine.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';

const stack = sharedMailStack();
const fixture = (name: string) => readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url));
let engine: MailEngine;
let env: Record<string, string>;
const savedMailcaps = process.env.MAILCAPS;

beforeAll(async () => {
  const user = await newTestUser(stack, 'decoding');
  const client = await checker(stack.info(), user);
  await client.append('INBOX', fixture('x-uuencode-image.eml'));
  await client.append('INBOX', fixture('filename-raw-latin1.eml'));
  await client.append('INBOX', fixture('parts-reachable.eml'));
  await client.logout();
  let account;
  ({ engine, account } = testEngine(stack.info(), user));
  env = testConfigEnv([account]);
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(async () => {
  if (savedMailcaps === undefined) delete process.env.MAILCAPS;
  else process.env.MAILCAPS = savedMailcaps;
  await engine?.close();
});

describe('x-uuencode parts', () => {
  it('saves the decoded file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-uu-'));
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    const image = view.attachments.find((a) => a.filename === 'frog.png')!;
    const path = await engine.request({
      type: 'save-attachment',
      uid: 1,
      attachmentId: image.id,
      dir,
    });
    expect(readFileSync(path).equals(PNG_BYTES)).toBe(true);
  });

  it('opens the decoded file', async () => {
    const mailcap = join(mkdtempSync(join(tmpdir(), 'tmail-uu-')), 'mailcap');
    writeFileSync(mailcap, 'image/png; true %s\n');
    process.env.MAILCAPS = mailcap;
    const opened = await engine.request({ type: 'open-attachment', uid: 1, attachmentId: '2' });
    expect(readFileSync(opened.path).equals(PNG_BYTES)).toBe(true);
  });
});

describe('file names with raw Latin-1 bytes', () => {
  it('lists and saves them with every letter', async () => {
    const view = await engine.request({ type: 'read', uid: 2, peek: true });
    expect(view.attachments.map((a) => a.filename)).toEqual([
      'HasenundFrösche.txt',
      'Frösche und Hasen.bin',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-names-'));
    await engine.request({ type: 'save-attachments', uid: 2, dir });
    expect(readdirSync(dir).sort()).toEqual(['Frösche und Hasen.bin', 'HasenundFrösche.txt']);
  });
});

describe('attachment sizes', () => {
  it('are the decoded sizes, said to be exact, when the whole message was read', async () => {
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    expect(view.attachments.map((a) => [a.filename, a.size, a.sizeExact])).toEqual([
      ['frog.png', PNG_BYTES.length, true],
      ['table.csv', TABLE_BYTES.length, true],
    ]);
    const result = await runTmail(['read', '1', '--peek', '--json'], env);
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as {
      attachments: Array<{ filename: string; size: number; sizeExact: boolean }>;
    };
    expect(json.attachments.map((a) => [a.filename, a.size, a.sizeExact])).toEqual([
      ['frog.png', PNG_BYTES.length, true],
      ['table.csv', TABLE_BYTES.length, true],
    ]);
  });
});

describe('every part with a body can be saved', () => {
  it("lists and saves the HTML alternative's image, a text/enriched part and a named inline text", async () => {
    const view = await engine.request({ type: 'read', uid: 3, peek: true });
    expect(view.text).toContain('The plain text, shown.');
    expect(view.attachments.map((a) => [a.id, a.filename, a.contentType])).toEqual([
      ['1.2.2', 'frog.png', 'image/png'],
      ['2', 'part-2', 'text/enriched'],
      ['3', 'notes.txt', 'text/plain'],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-parts-'));
    await engine.request({ type: 'save-attachments', uid: 3, dir });
    expect(readdirSync(dir).sort()).toEqual(['frog.png', 'notes.txt', 'part-2']);
    expect(readFileSync(join(dir, 'frog.png')).equals(PNG_BYTES)).toBe(true);
    expect(readFileSync(join(dir, 'part-2'), 'utf8')).toContain('<bold>Enriched</bold> text.');
  });
});
