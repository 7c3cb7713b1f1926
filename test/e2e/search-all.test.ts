/**
 * Searching every folder in the built tmail, in tmux, against Dovecot:
 * `:search -a WORD` lists the matches of two folders newest first, each
 * naming its folder, and Enter opens one in its folder (the reader shows its
 * body, the status line names the folder); q goes to that folder and
 * `:search -a` alone shows the results again.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker } from '../support/engine.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { e2eAccount, launch, logText, requireBuild } from './setup.js';

const stack = sharedMailStack();
const open: Array<{ term: TmuxSession; client: ImapFlow }> = [];

function message(n: number, subject: string, body: string): string {
  return [
    'From: Ada Lovelace <ada@search.example>',
    'To: someone@search.example',
    `Subject: ${subject}`,
    `Date: ${new Date(Date.UTC(2026, 2, n, 9)).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <search-${n}@search.example>`,
    '',
    body,
    '',
  ].join('\r\n');
}

beforeAll(() => requireBuild());

afterEach(async () => {
  for (const f of open.splice(0)) {
    f.term.kill();
    await f.client.logout().catch(() => {});
  }
});

describe('searching every folder in a terminal', () => {
  it(':search -a lists hits of two folders, and Enter opens one in its folder', async () => {
    const setup = await e2eAccount(stack, 'searchall');
    const client = await checker(stack.info(), setup.user);
    await client.mailboxCreate('Projects');
    await client.append('INBOX', message(1, 'Budget draft', 'The first draft.'), ['\\Seen']);
    await client.append('INBOX', message(2, 'Lunch on Friday', 'Pizza.'), ['\\Seen']);
    await client.append('Projects', message(3, 'Budget agreed', 'Signed by everyone.'), []);
    const term = await launch(setup, { rows: 24 });
    open.push({ term, client });
    onTestFailed(() => {
      process.stdout.write(
        `\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`,
      );
    });
    await term.see('Lunch on Friday');
    await term.press(':');
    await term.type('search -a budget');
    await term.press('<Enter>');
    await term.see('Search: budget in all folders — 2 results');
    const lines = term.screen.split('\n');
    const agreed = lines.findIndex((l) => l.includes('Budget agreed'));
    const draft = lines.findIndex((l) => l.includes('Budget draft'));
    expect(agreed).toBeGreaterThan(-1);
    expect(draft).toBeGreaterThan(agreed);
    expect(lines[agreed]).toContain('Projects');
    expect(lines[draft]).toContain('INBOX');
    expect(term.screen).not.toContain('Lunch on Friday');
    // The newest is under the cursor: Enter reads it in its folder.
    await term.command('results', 'results.open');
    await term.see('Signed by everyone.');
    await term.see('│ Projects │');
    // q goes to that folder's list; :search -a alone shows the results again.
    await term.command('message', 'message.close');
    await term.gone('Signed by everyone.');
    expect(term.screen).not.toContain('in all folders');
    await term.press(':');
    await term.type('search -a');
    await term.press('<Enter>');
    await term.see('Search: budget in all folders — 2 results');
  });
});
