import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MBOX_LOCK_STALE_MS,
  mboxrdEntry,
  saveTarget,
  writeMessages,
} from '../../src/core/message-file.js';
import { describePipeResult, pipeToCommand } from '../../src/core/pipe-command.js';

const RAW = Buffer.from(
  [
    'Return-Path: <list-bounce@lists.test>',
    'From: Ada <ada@example.test>',
    'Date: Tue, 2 Jan 2024 09:30:00 +0000',
    'Subject: Quoting',
    '',
    'From the start',
    '>From once',
    '>>From twice',
    'Fromage is not quoted',
    'caf\xe9',
    '',
  ].join('\r\n'),
  'latin1',
);

describe('mboxrd', () => {
  it('adds a From line and quotes >*From lines with one more >, byte for byte otherwise', () => {
    const entry = mboxrdEntry(RAW).toString('latin1');
    expect(entry).toBe(
      [
        'From list-bounce@lists.test Tue Jan  2 09:30:00 2024',
        'Return-Path: <list-bounce@lists.test>',
        'From: Ada <ada@example.test>',
        'Date: Tue, 2 Jan 2024 09:30:00 +0000',
        'Subject: Quoting',
        '',
        '>From the start',
        '>>From once',
        '>>>From twice',
        'Fromage is not quoted',
        'caf\xe9',
        '',
        '',
      ].join('\n'),
    );
  });
});

describe('saving to a file', () => {
  it('chooses .eml for one message, mbox for a .mbox name, an mbox file or several messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-save-'));
    expect(await saveTarget(join(dir, 'a.eml'), 1)).toEqual({ format: 'eml', replaces: false });
    expect(await saveTarget(join(dir, 'b.mbox'), 1)).toEqual({ format: 'mbox', replaces: false });
    expect(await saveTarget(join(dir, 'c'), 2)).toEqual({ format: 'mbox', replaces: false });
    writeFileSync(join(dir, 'box'), 'From x Tue Jan  2 09:30:00 2024\n\n');
    expect(await saveTarget(join(dir, 'box'), 1)).toEqual({ format: 'mbox', replaces: false });
    writeFileSync(join(dir, 'note.txt'), 'mine');
    expect(await saveTarget(join(dir, 'note.txt'), 1)).toEqual({ format: 'eml', replaces: true });
    await expect(saveTarget(dir, 1)).rejects.toThrow(/is a folder/);
  });

  it('never replaces a file without overwrite, and appends to an mbox after a blank line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-save-'));
    const note = join(dir, 'note.txt');
    writeFileSync(note, 'mine');
    await expect(writeMessages(note, [RAW], { format: 'eml', replaces: true })).rejects.toThrow(
      /left as it was/,
    );
    expect(readFileSync(note, 'utf8')).toBe('mine');
    await writeMessages(note, [RAW], { format: 'eml', replaces: true }, { overwrite: true });
    expect(readFileSync(note)).toEqual(RAW);

    const box = join(dir, 'x.mbox');
    writeFileSync(box, 'From a Tue Jan  2 09:30:00 2024\nSubject: old\n\nno blank line after');
    await writeMessages(box, [RAW], { format: 'mbox', replaces: false });
    const text = readFileSync(box, 'latin1');
    expect(text).toContain('no blank line after\n\nFrom list-bounce@lists.test ');
  });
});

describe('appending to an mbox under its dot-lock', () => {
  const mbox = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-mbox-lock-'));
    const box = join(dir, 'saved.mbox');
    writeFileSync(box, 'From a Tue Jan  2 09:30:00 2024\nSubject: old\n\nold body\n\n');
    return { dir, box, lock: `${box}.lock` };
  };
  const target = { format: 'mbox', replaces: false } as const;

  it('waits while another program holds PATH.lock, appends once it is gone, and leaves no lock', async () => {
    const { box, lock } = mbox();
    writeFileSync(lock, '4242\n'); // as procmail or mutt leave it while they write
    let done = false;
    const saving = writeMessages(box, [RAW], target).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(readFileSync(box, 'latin1')).not.toContain('Quoting');
    rmSync(lock);
    await saving;
    expect(readFileSync(box, 'latin1')).toContain('old body\n\nFrom list-bounce@lists.test ');
    expect(existsSync(lock)).toBe(false);
  });

  it('gives up after the wait with one sentence, the mbox and the other lock untouched', async () => {
    const { box, lock } = mbox();
    writeFileSync(lock, '4242\n');
    const before = readFileSync(box);
    await expect(writeMessages(box, [RAW], target, { lockWaitMs: 200 })).rejects.toThrow(
      `${box} is locked by another program (${lock}); try again, or remove that file if nothing is writing to the mbox.`,
    );
    expect(readFileSync(box)).toEqual(before);
    expect(readFileSync(lock, 'utf8')).toBe('4242\n');
  });

  it('breaks a lock left by a program that died long ago', async () => {
    const { box, lock } = mbox();
    writeFileSync(lock, '');
    const old = (Date.now() - MBOX_LOCK_STALE_MS - 60_000) / 1000;
    utimesSync(lock, old, old);
    await writeMessages(box, [RAW], target, { lockWaitMs: 200 });
    expect(readFileSync(box, 'latin1')).toContain('Subject: Quoting');
    expect(existsSync(lock)).toBe(false);
  });
});

describe('piping', () => {
  it('gives the bytes to a shell command and reports its status in one sentence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-pipe-'));
    const out = join(dir, 'out');
    const result = await pipeToCommand(`cat > '${out}'; exit 4`, RAW);
    expect(readFileSync(out)).toEqual(RAW);
    expect(describePipeResult('git am', result)).toBe(
      'The command git am failed with exit status 4.',
    );
    const early = await pipeToCommand('exit 0', Buffer.alloc(4 * 1024 * 1024));
    expect(describePipeResult('true', early)).toBe('The command true exited with status 0.');
  });
});
