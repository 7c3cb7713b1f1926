/**
 * The reader under connection faults (fake backend): a download cut off while
 * an attachment is being saved shows one sentence and leaves the reader open,
 * with no partial file in the folder.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TmailError } from '../../src/core/errors.js';
import { FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { renderTui, type TuiHarness } from './harness.js';

let tui: TuiHarness | undefined;
afterEach(async () => {
  await tui?.cleanup();
  tui = undefined;
});

describe('a connection cut while an attachment is saved', () => {
  it('says so in one sentence, keeps the reader open and leaves no file behind', async () => {
    const server = new FakeMailServer();
    server.deliver('INBOX', [
      {
        subject: 'With a file',
        attachments: [
          {
            filename: 'report.bin',
            contentType: 'application/octet-stream',
            content: Buffer.alloc(64 * 1024, 7),
          },
        ],
      },
    ]);
    server.cutDownloads = new TmailError(
      'CONNECTION_LOST',
      'The connection to the IMAP server fake:143 was lost: it was reset (by the server or the network).',
    );
    tui = await renderTui({ server });
    await tui.see('With a file');
    tui.press('v');
    await tui.see('report.bin');
    tui.press('s');
    await tui.see('Save to:');
    tui.press('<C-u>');
    const dir = join(tui.runtime.controller.context.home!, 'saved');
    mkdirSync(dir);
    tui.type(`${dir}/`);
    tui.press('<Enter>');
    await tui.see('was reset');
    await tui.settle();
    expect(tui.exited()).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // Still working: back to the message, then the list.
    tui.press('q');
    await tui.waitFor((f) => !f.includes('1 attached'));
    expect(tui.frame()).toContain('With a file');
  });
});
