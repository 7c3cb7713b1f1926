/**
 * Moving through mail in the built tmail, in tmux, against Dovecot: Tab goes
 * to unread messages far below the screen and wraps to the top once; T tags
 * by search, messages not loaded included, and s moves them all (checked on
 * the server through a second connection).
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker, serverSubjects } from '../support/engine.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';
import { e2eAccount, launch, logText, requireBuild } from './setup.js';

const stack = sharedMailStack();
const open: Array<{ term: TmuxSession; client: ImapFlow }> = [];

function note(n: number, from: string, to: string): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: Note ${String(n).padStart(3, '0')}`,
    `Date: ${new Date(Date.UTC(2026, 0, 1) + n * 3600_000).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <note-${n}@moving.example>`,
    '',
    `Note number ${n}.`,
    '',
  ].join('\r\n');
}

/** tmail on a user whose INBOX holds `count` notes, read unless `unread` names them. */
async function start(
  prefix: string,
  count: number,
  options: { unread?: number[]; from?: (n: number) => string } = {},
) {
  const setup = await e2eAccount(stack, prefix);
  const client = await checker(stack.info(), setup.user);
  for (let n = 1; n <= count; n++) {
    const from = options.from?.(n) ?? 'Sender <sender@moving.example>';
    const flags = options.unread?.includes(n) ? [] : ['\\Seen'];
    await client.append('INBOX', note(n, from, setup.user.email), flags);
  }
  const term = await launch(setup, { rows: 24 });
  open.push({ term, client });
  onTestFailed(() => {
    process.stdout.write(`\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`);
  });
  return { term, client };
}

beforeAll(() => requireBuild());

afterEach(async () => {
  for (const f of open.splice(0)) {
    f.term.kill();
    await f.client.logout().catch(() => {});
  }
});

describe('moving through mail in a terminal', () => {
  it('Tab goes to unread mail far below the screen and wraps to the top once', async () => {
    const { term } = await start('unread', 150, { unread: [30, 100] });
    await term.see('Note 150');
    expect(term.screen).not.toContain('Note 100');
    await term.command('list', 'mail.next-unread');
    await term.see('Note 100');
    await term.command('list', 'mail.next-unread');
    await term.see('Note 030');
    await term.command('list', 'mail.next-unread');
    await term.see('Wrapped to the top: no unread message below.');
    await term.see('Note 100');
    // The cursor is on it: Enter opens that message.
    await term.command('list', 'list.open');
    await term.see('Note number 100.');
    await term.command('message', 'message.close');
    await term.press(':');
    await term.type('prev-unread');
    await term.press('<Enter>');
    await term.see('Note 030');
  });

  it('T tags every message matching a search, loaded or not, and s moves them all', async () => {
    const ada = (n: number) => n % 9 === 0;
    const { term, client } = await start('tagmove', 120, {
      from: (n) => (ada(n) ? 'Ada Lovelace <ada@moving.example>' : 'Bob <bob@moving.example>'),
    });
    await term.see('Note 120');
    await term.command('list', 'list.tag-pattern');
    await term.see('Tag messages matching:');
    await term.type('from:ada');
    await term.press('<Enter>');
    await term.see('Tagged 13 messages matching from:ada');
    await term.command('list', 'mail.move');
    await term.see('Move 13 messages to:');
    await term.type('Archive');
    await term.press('<Enter>');
    await term.see('Moved 13 messages to Archive');
    const expected = Array.from({ length: 120 }, (_, i) => i + 1)
      .filter(ada)
      .map((n) => `Note ${String(n).padStart(3, '0')}`);
    const archived = await waitFor(async () => {
      const subjects = [...(await serverSubjects(client, 'Archive')).values()].sort();
      return subjects.length === expected.length ? subjects : undefined;
    });
    expect(archived).toEqual(expected);
    const inbox = [...(await serverSubjects(client, 'INBOX')).values()];
    expect(inbox).toHaveLength(107);
    expect(inbox.filter((s) => expected.includes(s))).toEqual([]);
  });
});
