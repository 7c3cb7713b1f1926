/**
 * A draft being edited when tmail stopped: the editor's file sits in the
 * drafts store's `editing/` folder, and the next start takes its text back.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editDraft, editorFileName, newDraft } from '../../src/core/compose/index.js';
import type { AccountConfig } from '../../src/core/config/types.js';
import {
  editingDir,
  loadLocalDraft,
  recoverLocalDrafts,
  saveLocalDraft,
} from '../../src/core/outbox/drafts.js';

const account = { name: 'work', email: 'me@example.org', displayName: 'Me' } as AccountConfig;

describe('drafts kept across a crash', () => {
  it('takes back what the editor had saved, and removes its leftover file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-drafts-'));
    const draft = { ...newDraft(account, { id: 'crash1' }), subject: 'Plans', body: '\n' };
    await saveLocalDraft(draft, dir);
    // What a dead tmail leaves: the editor's folder, with the text saved so far.
    const session = join(await editingDir(dir), 'tmail-edit-abc123');
    mkdirSync(session);
    writeFileSync(
      join(session, editorFileName('crash1')),
      'To: grace@example.test\nCc:\nBcc:\nSubject: Plans for Friday\n\nEvery word typed before the crash.\n',
    );

    const [recovered] = await recoverLocalDrafts('work', dir);
    expect(recovered).toMatchObject({
      id: 'crash1',
      subject: 'Plans for Friday',
      to: [{ name: '', address: 'grace@example.test' }],
      body: 'Every word typed before the crash.\n',
    });
    expect((await loadLocalDraft('crash1', dir))?.body).toBe(
      'Every word typed before the crash.\n',
    );
    expect(existsSync(session)).toBe(false);
    // Nothing left to take back the second time.
    expect((await recoverLocalDrafts('work', dir))[0]?.body).toBe(
      'Every word typed before the crash.\n',
    );
  });

  it('the editor works in that folder, and leaves nothing there when it ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-drafts-'));
    const tmp = await editingDir(dir);
    let seen = '';
    const result = await editDraft(newDraft(account, { id: 'live1' }), {
      tmpDir: tmp,
      run: async (file) => {
        seen = file;
        writeFileSync(file, 'To: bob@example.test\nSubject: Hi\n\nHello\n');
        return 0;
      },
    });
    expect(seen.startsWith(tmp)).toBe(true);
    expect(result.draft.body).toBe('Hello\n');
    expect(existsSync(seen)).toBe(false);
  });
});
