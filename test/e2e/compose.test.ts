/**
 * Writing mail end to end: reply in the built tmail with $EDITOR set to a
 * script, send from the review screen, and find the reply delivered to the
 * other user by Postfix, filed in Sent, and the original marked \Answered.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker, serverFlags } from '../support/engine.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';
import { e2eAccount, launch, logText, requireBuild, type E2eAccount } from './setup.js';

const stack = sharedMailStack();

/**
 * An "editor" that writes `line` under the header block and saves, as a person
 * would; `then` is shell run after saving (to die, or to wait like someone still typing).
 */
function editorScript(line = 'Looks good to me, ship it.', then = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-editor-'));
  const file = join(dir, 'editor.sh');
  writeFileSync(
    file,
    `#!/bin/sh
awk 'BEGIN { done = 0 } { print } /^$/ && !done { print "${line}"; done = 1 }' "$1" > "$1.new" && mv "$1.new" "$1"
${then}
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/** Messages of a folder with their subjects, bodies and flags. */
async function folderMessages(client: ImapFlow, path: string) {
  const lock = await client.getMailboxLock(path);
  try {
    const out: Array<{ uid: number; subject: string; source: string; flags: string[] }> = [];
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const m of client.fetch('1:*', {
      uid: true,
      envelope: true,
      source: true,
      flags: true,
    })) {
      out.push({
        uid: m.uid,
        subject: m.envelope?.subject ?? '',
        source: m.source?.toString('utf8') ?? '',
        flags: [...(m.flags ?? [])],
      });
    }
    return out;
  } finally {
    lock.release();
  }
}

describe('replying from tmail', () => {
  let setup: E2eAccount;
  let other: TestUser;
  let mine: ImapFlow;
  let theirs: ImapFlow;
  let term: TmuxSession | undefined;

  beforeAll(async () => {
    requireBuild();
    setup = await e2eAccount(stack, 'writer');
    other = await newTestUser(stack, 'friend');
    mine = await checker(stack.info(), setup.user);
    theirs = await checker(stack.info(), other);
    await mine.append(
      'INBOX',
      [
        `From: Friend <${other.email}>`,
        `To: ${setup.user.email}`,
        'Subject: Can you review the plan?',
        `Date: ${new Date().toUTCString()}`,
        'Message-ID: <plan@example.test>',
        '',
        'The plan is attached in spirit. Thoughts?',
        '',
      ].join('\r\n'),
    );
  });

  afterAll(async () => {
    term?.kill();
    await mine?.logout().catch(() => {});
    await theirs?.logout().catch(() => {});
  });

  it('sends a reply written in $EDITOR: delivered, in Sent, and the original answered', async () => {
    term = await launch(setup, { env: { EDITOR: editorScript(), VISUAL: '' } });
    onTestFailed(() => {
      process.stdout.write(
        `\nLast screen:\n${term!.screen}\nLog:\n${logText(setup).slice(-3000)}\n`,
      );
    });
    await term.see('Can you review the plan?');
    await term.command('list', 'mail.reply');
    const review = await term.see('Reply: review before sending');
    expect(review).toContain(`To:      Friend <${other.email}>`);
    expect(review).toContain('Subject: Re: Can you review the plan?');
    expect(review).toContain('Looks good to me, ship it.');
    expect(review).toContain('> The plan is attached in spirit. Thoughts?');
    await term.command('compose', 'compose.send');
    await term.see(`Sent to ${other.email}.`);

    const delivered = await waitFor(
      async () => {
        const messages = await folderMessages(theirs, 'INBOX');
        return messages.find((m) => m.subject === 'Re: Can you review the plan?');
      },
      { what: 'the reply in the other user’s INBOX' },
    );
    expect(delivered.source).toContain('Looks good to me, ship it.');
    expect(delivered.source).toMatch(/In-Reply-To: <plan@example\.test>/i);

    const sent = await waitFor(async () => {
      const messages = await folderMessages(mine, 'Sent');
      return messages.find((m) => m.subject === 'Re: Can you review the plan?');
    });
    expect(sent.source).toContain('Looks good to me, ship it.');
    const flags = await waitFor(async () => {
      const all = await serverFlags(mine, 'INBOX');
      return all.get(1)?.includes('\\Answered') ? all : undefined;
    });
    expect(flags.get(1)).toContain('\\Seen');
    // And the list shows it answered.
    await term.see(/│ {2}.r/);
  });

  it('keeps the message when the editor is killed, and m takes it up with what the editor saved', async () => {
    term?.kill();
    const crashing = editorScript('Saved just before the editor died.', 'kill -KILL $$');
    term = await launch(setup, { env: { EDITOR: crashing, VISUAL: '' } });
    await term.see('Can you review the plan?');
    await term.command('list', 'mail.compose');
    await term.see(
      'The editor was stopped by a signal; the message is kept, and m takes it up again.',
    );
    await term.command('list', 'mail.compose');
    await term.see('Take up the message you were writing (without a subject)? (y/n)');
    await term.press('y');
    const review = await term.see('New message: review before sending');
    expect(review).toContain('Saved just before the editor died.');
    await term.command('compose', 'compose.abandon');
    await term.see('Abandon this message?');
    await term.press('y');
    await term.see('The message was abandoned.');
  });

  it('keeps a message whose terminal closed while the editor was open; m takes it up again', async () => {
    term?.kill();
    // An "editor" that saves a line, then waits like a person still typing.
    const marker = join(mkdtempSync(join(tmpdir(), 'tmail-editor-')), 'saved');
    const slow = editorScript(
      'Written before the terminal closed.',
      `touch '${marker}'\nsleep 600`,
    );
    term = await launch(setup, { env: { EDITOR: slow, VISUAL: '' } });
    await term.see('Can you review the plan?');
    await term.command('list', 'mail.compose');
    await waitFor(() => existsSync(marker), { what: 'the editor to save' });
    // The terminal goes away: tmail, the editor and the shell all get SIGHUP.
    term.kill();
    const editing = join(setup.stateDir, 'drafts', 'editing');
    await waitFor(() => existsSync(editing) && readdirSync(editing).length === 1, {
      what: "the editor's file left for recovery",
    });

    term = await launch(setup, { env: { EDITOR: editorScript(), VISUAL: '' } });
    onTestFailed(() => {
      process.stdout.write(`\nLast screen:\n${term!.screen}\n`);
    });
    await term.see('A message you were writing was kept; m takes it up again.');
    await term.command('list', 'mail.compose');
    await term.see('Take up the message you were writing (without a subject)? (y/n)');
    await term.press('y');
    const review = await term.see('New message: review before sending');
    expect(review).toContain('Written before the terminal closed.');
    expect(readdirSync(editing)).toEqual([]);
    await term.command('compose', 'compose.abandon');
    await term.see('Abandon this message?');
    await term.press('y');
    await term.see('The message was abandoned.');
  });
});
