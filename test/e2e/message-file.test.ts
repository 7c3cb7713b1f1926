/**
 * The message as a file and its links, in the built tmail in tmux against
 * Dovecot: `:pipe` into a file, `:save` with the overwrite question, `:raw`
 * showing an escape sequence harmlessly, and `:open-link` through a $BROWSER
 * script that records the one argument it was given.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker } from '../support/engine.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';
import { e2eAccount, launch, logText, requireBuild, type E2eAccount } from './setup.js';

const stack = sharedMailStack();

/** A URL that would break any shell it passed through. */
const NASTY_URL = `https://links.example.test/a b'c";touch /tmp/pwned-tmail;'d`;

const PLAIN = [
  'From: Ada <ada@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: A plain one',
  'Date: Mon, 2 Mar 2026 10:00:00 +0000',
  'Message-ID: <plain@example.test>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob,',
  'From here on the line starts with From.',
  'X-Sneaky inside: \u001b[31mred\u001b[0m and \u001b]0;title\u0007 done',
  '',
].join('\r\n');

const HTML = [
  'From: Shop <shop@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: Links inside',
  'Date: Mon, 2 Mar 2026 11:00:00 +0000',
  'Message-ID: <links@example.test>',
  'Content-Type: text/html; charset=utf-8',
  '',
  `<p>Read <a href="${NASTY_URL.replace(/"/g, '&quot;')}">the notes</a> today.</p>`,
  '',
].join('\r\n');

interface Fixture {
  setup: E2eAccount;
  client: ImapFlow;
  term: TmuxSession;
  dir: string;
}

const open: Fixture[] = [];

async function start(prefix: string, env: Record<string, string> = {}): Promise<Fixture> {
  const setup = await e2eAccount(stack, prefix);
  const client = await checker(stack.info(), setup.user);
  await client.append('INBOX', Buffer.from(PLAIN));
  await client.append('INBOX', Buffer.from(HTML));
  const dir = mkdtempSync(join(tmpdir(), 'tmail-e2e-file-'));
  const term = await launch(setup, { env: { ...env, MAILCAPS: join(dir, 'none') } });
  const fixture = { setup, client, term, dir };
  open.push(fixture);
  onTestFailed(() => {
    process.stdout.write(`\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`);
  });
  await term.see('2 messages');
  return fixture;
}

/** The message as the server holds it. */
async function serverSource(client: ImapFlow, subject: string): Promise<Buffer> {
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const m of client.fetch('1:*', { envelope: true, source: true })) {
      if (m.envelope?.subject === subject && m.source) return m.source;
    }
  } finally {
    lock.release();
  }
  throw new Error(`no message ${subject}`);
}

async function line(term: TmuxSession, text: string): Promise<void> {
  await term.command('global', 'global.command-line');
  await term.see(/^:/m);
  await term.type(text);
  await term.press('<Enter>');
}

beforeAll(() => requireBuild());

afterEach(async () => {
  for (const f of open.splice(0)) {
    f.term.kill();
    await f.client.logout().catch(() => {});
  }
});

describe('the message as a file, in a terminal against Dovecot', () => {
  it(':pipe hands the raw message to a shell command and reports its status', async () => {
    const { term, client, dir } = await start('pipe');
    const out = join(dir, 'piped.eml');
    // The cursor is on the newest message; go to the plain one.
    await term.command('list', 'list.next');
    await line(term, `pipe cat > ${out}`);
    await term.see('exited with status 0.');
    expect(readFileSync(out)).toEqual(await serverSource(client, 'A plain one'));
    // Back in the alternate screen, the list is drawn again.
    expect(await term.alternateScreen()).toBe(true);
    await term.see('Links inside');
    // A failing command's output stays on screen until a key, as mutt's wait_key does.
    await line(term, 'pipe cat >/dev/null; echo patch-does-not-apply >&2; exit 3');
    const held = await term.see('Press any key to return to tmail.');
    expect(held).toContain('patch-does-not-apply');
    expect(await term.alternateScreen()).toBe(false);
    await term.press('x');
    await term.see('failed with exit status 3.');
    expect(await term.alternateScreen()).toBe(true);
    // The key that ended the wait did nothing else; tmail still takes keys.
    await term.see('Links inside');
    await term.command('list', 'list.open');
    await term.see('Hello Bob,');
  });

  it(':save writes the message, asks before overwriting, and appends to an mbox', async () => {
    const { term, client, dir } = await start('save');
    await term.command('list', 'list.next');
    const file = join(dir, 'saved.eml');
    await line(term, `save ${file}`);
    await term.see('Saved the message to');
    const source = await serverSource(client, 'A plain one');
    expect(readFileSync(file)).toEqual(source);
    writeFileSync(file, 'keep me');
    await line(term, `save ${file}`);
    await term.see('exists; overwrite it? (y/n)');
    await term.press('n');
    await term.see('Not saved;');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await line(term, `save ${file}`);
    await term.see('exists; overwrite it? (y/n)');
    await term.press('y');
    await term.see('Saved the message to');
    expect(readFileSync(file)).toEqual(source);

    const mbox = join(dir, 'all.mbox');
    await line(term, `save ${mbox}`);
    await term.see('Appended 1 message to the mbox');
    await term.command('list', 'list.prev');
    await line(term, `save ${mbox}`);
    await term.waitFor(() => existsSync(mbox) && /Links inside/.test(readFileSync(mbox, 'utf8')));
    const text = readFileSync(mbox, 'utf8');
    expect(text.match(/^From /gm)).toHaveLength(2);
    // mboxrd: the body line starting with From is quoted.
    expect(text).toContain('\n>From here on the line starts with From.\n');
  });

  it(':raw shows the source with escape sequences visible; q goes back', async () => {
    const { term } = await start('raw');
    await term.command('list', 'list.next');
    await term.command('list', 'list.open');
    await term.see('Hello Bob,');
    await line(term, 'raw');
    const screen = await term.see('Message-ID: <plain@example.test>');
    expect(screen).toContain('X-Sneaky inside: ␛[31mred␛[0m and ␛]0;title␇ done');
    expect(screen).toContain('Content-Type: text/plain; charset=utf-8');
    await term.command('message', 'message.close');
    await term.gone('Message-ID: <plain@example.test>');
    await term.see('Hello Bob,');
  });

  it(':open-link gives $BROWSER the URL as one argument, exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-e2e-browser-'));
    const record = join(dir, 'args');
    const script = join(dir, 'browser.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nprintf '%s\\n' "$#" > '${record}.tmp'\nfor a in "$@"; do printf '%s\\n' "$a" >> '${record}.tmp'; done\nmv '${record}.tmp' '${record}'\n`,
    );
    chmodSync(script, 0o755);
    const { term } = await start('link', { BROWSER: script });
    await term.command('list', 'list.open');
    await term.see('the notes[1]');
    await line(term, 'links');
    await term.see('Links (1)');
    await term.command('message', 'message.close');
    await term.gone('Links (1)');
    await line(term, 'open-link 1');
    await waitFor(() => existsSync(record), { what: 'the browser script to run' });
    expect(readFileSync(record, 'utf8')).toBe(`1\n${NASTY_URL}\n`);
    expect(existsSync('/tmp/pwned-tmail')).toBe(false);
    await term.see('Opened link 1 with');
  });
});
