/**
 * Attachments through the engine, against Dovecot: saving all of them into a
 * folder that does not exist yet, opening one from a private temp file with
 * the program a mailcap entry names (text no entry claims goes to tmail's
 * pager instead), and reading an attached message.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, testEngine } from '../support/engine.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const pdf = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
const csv = 'name,count\nada,3\n';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let engine: MailEngine;
const savedEnv = process.env.MAILCAPS;

beforeAll(async () => {
  const user = await newTestUser(stack, 'attach');
  const client = await checker(stack.info(), user);
  await client.append(
    'INBOX',
    [
      'From: Ada <ada@example.test>',
      `To: ${user.email}`,
      'Subject: Files and a forward',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the files.',
      '--m',
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--m',
      'Content-Type: text/csv; name="counts.csv"',
      'Content-Disposition: attachment; filename="counts.csv"',
      '',
      csv,
      '--m',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment',
      '',
      'From: Grace <grace@example.test>',
      'Subject: The original question',
      'Date: Tue, 3 Nov 2026 10:00:00 +0000',
      '',
      'Is the benchmark done?',
      '--m--',
      '',
    ].join('\r\n'),
  );
  await client.logout();
  ({ engine } = testEngine(stack.info(), user));
  await engine.start({ retry: false });
  await engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.MAILCAPS;
  else process.env.MAILCAPS = savedEnv;
  await engine?.close();
});

describe('attachments through the engine', () => {
  it('saves every attachment into a folder it creates', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tmail-all-')), 'new', 'folder');
    const saved = await engine.request({ type: 'save-attachments', uid: 1, dir });
    expect(readdirSync(dir).sort()).toEqual(
      ['counts.csv', 'report.pdf', 'The original question.eml'].sort(),
    );
    expect(saved).toHaveLength(3);
    expect(sha(readFileSync(join(dir, 'report.pdf')))).toBe(sha(pdf));
    expect(readFileSync(join(dir, 'counts.csv'), 'utf8').replace(/\r\n/g, '\n')).toBe(csv);
  });

  it('opens an attachment from a private temp file with the mailcap program', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tmail-open-'));
    const copy = join(work, 'opened.csv');
    const mailcap = join(work, 'mailcap');
    writeFileSync(mailcap, `text/csv; cp %s ${copy}; needsterminal\n`);
    process.env.MAILCAPS = mailcap;
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    const attachment = view.attachments.find((a) => a.filename === 'counts.csv')!;
    const opened = await engine.request({
      type: 'open-attachment',
      uid: 1,
      attachmentId: attachment.id,
    });
    expect(opened.needsTerminal).toBe(true);
    expect((statSync(dirname(opened.path)).mode & 0o777).toString(8)).toBe('700');
    await opened.run();
    await waitFor(() => existsSync(copy), { what: 'the program to run' });
    expect(readFileSync(copy, 'utf8').replace(/\r\n/g, '\n')).toBe(csv);
  });

  it('gives text no mailcap entry claims to the pager, and the rest to the desktop opener', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tmail-page-'));
    process.env.MAILCAPS = join(work, 'no-mailcap');
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    const csvPart = view.attachments.find((a) => a.filename === 'counts.csv')!;
    const text = await engine.request({
      type: 'open-attachment',
      uid: 1,
      attachmentId: csvPart.id,
    });
    expect(text.text?.replace(/\r\n/g, '\n')).toBe(csv);
    const pdfPart = view.attachments.find((a) => a.filename === 'report.pdf')!;
    const binary = await engine.request({
      type: 'open-attachment',
      uid: 1,
      attachmentId: pdfPart.id,
    });
    expect(binary.text).toBeUndefined();
  });

  it('reads an attached message as a message', async () => {
    const view = await engine.request({ type: 'read', uid: 1, peek: true });
    const attached = view.attachments.find((a) => a.contentType === 'message/rfc822')!;
    const inner = await engine.request({
      type: 'read-attached',
      uid: 1,
      attachmentId: attached.id,
    });
    expect(inner.subject).toBe('The original question');
    expect(inner.from[0]?.address).toBe('grace@example.test');
    expect(inner.text).toContain('Is the benchmark done?');
  });

  it('says which attachment does not exist', async () => {
    const result = await engine.dispatch({ type: 'open-attachment', uid: 1, attachmentId: '9' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/no attachment 9/);
  });
});
