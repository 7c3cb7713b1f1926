/**
 * An attachment being saved never sits under its real name until it is
 * complete: a transfer cut off (or tmail killed) half-way leaves no truncated
 * file that looks like the real one.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { saveAttachmentStream } from '../../src/core/mime/save.js';
import { waitFor } from '../support/wait.js';

describe('saving an attachment', () => {
  it('writes under a hidden temporary name and gives the real name only when complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-partial-'));
    const content = new PassThrough();
    const saving = saveAttachmentStream(dir, 'report.pdf', content);
    content.write(Buffer.alloc(1000, 1));
    await waitFor(() => readdirSync(dir).length === 1, { what: 'the temp file' });
    expect(readdirSync(dir)[0]).toMatch(/^\.report\.pdf\.[0-9a-f]{8}\.part$/);
    content.end(Buffer.alloc(1000, 2));
    expect(await saving).toBe(join(dir, 'report.pdf'));
    expect(readdirSync(dir)).toEqual(['report.pdf']);
    expect(readFileSync(join(dir, 'report.pdf')).length).toBe(2000);
  });

  it('removes the partial file when the transfer fails, and keeps an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-partial-'));
    writeFileSync(join(dir, 'report.pdf'), 'earlier');
    const content = new PassThrough();
    // The file shows on disk a moment before the save attaches its listeners.
    content.on('error', () => {});
    const saving = saveAttachmentStream(dir, 'report.pdf', content);
    content.write(Buffer.alloc(1000, 1));
    await waitFor(() => readdirSync(dir).length === 2, { what: 'the temp file' });
    content.destroy(new Error('connection reset'));
    await expect(saving).rejects.toMatchObject({ code: 'FILE_ERROR' });
    expect(readdirSync(dir)).toEqual(['report.pdf']);
    expect(readFileSync(join(dir, 'report.pdf'), 'utf8')).toBe('earlier');
  });

  it('picks the next free name when the real one was taken meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-partial-'));
    const content = new PassThrough();
    const saving = saveAttachmentStream(dir, 'a.txt', content);
    content.write('new ');
    writeFileSync(join(dir, 'a.txt'), 'someone else');
    content.end('content');
    expect(await saving).toBe(join(dir, 'a (1).txt'));
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('someone else');
    expect(readFileSync(join(dir, 'a (1).txt'), 'utf8')).toBe('new content');
  });
});
