/**
 * Writing mail end to end: reply in the built tmail with $EDITOR set to a
 * script, send from the review screen, and find the reply delivered to the
 * other user by Postfix, filed in Sent, and the original marked \Answered.
 */
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker, serverFlags, serverMessages } from '../support/engine.js';
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

describe('replying from tmail', () => {
  let setup: E2eAccount;
  let other: TestUser;
  let mine: ImapFlow;
  let theirs: ImapFlow;
  let term: TmuxSession | undefined;

  beforeAll(async () => {
    requireBuild();
    // The editor at once on m (compose.prompts []): the prompts are tested below.
    setup = await e2eAccount(stack, 'writer', { compose: { prompts: [] } });
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
        const messages = await serverMessages(theirs, 'INBOX');
        return messages.find((m) => m.subject === 'Re: Can you review the plan?');
      },
      { what: 'the reply in the other user’s INBOX' },
    );
    expect(delivered.source).toContain('Looks good to me, ship it.');
    expect(delivered.source).toMatch(/In-Reply-To: <plan@example\.test>/i);

    const sent = await waitFor(async () => {
      const messages = await serverMessages(mine, 'Sent');
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

describe('writing like a power user', () => {
  let setup: E2eAccount;
  let other: TestUser;
  let mine: ImapFlow;
  let theirs: ImapFlow;
  let term: TmuxSession | undefined;
  let alias: string;
  const seen = mkdtempSync(join(tmpdir(), 'tmail-editor-seen-'));

  /** An editor that keeps a copy of the file it was given, then writes a line as editorScript does. */
  function recordingEditor(copy: string, line: string): string {
    return editorScript(line, `cp "$1" '${join(seen, copy)}'`);
  }

  beforeAll(async () => {
    requireBuild();
    other = await newTestUser(stack, 'friend');
    // The external address book: mutt's query format, a status line first.
    const query = join(seen, 'query.sh');
    writeFileSync(
      query,
      `#!/bin/sh\necho "searching for $1"\n[ "$1" = fri ] && printf '${other.email}\\tFriendly Person\\tfrom the command\\n'\nexit 0\n`,
    );
    chmodSync(query, 0o755);
    setup = await e2eAccount(
      stack,
      'power',
      { addressBookCommand: [query, '%s'] },
      {
        signature: 'Power User\nexample.test',
      },
    );
    alias = `power.alias-${Date.now().toString(36)}@example.test`;
    // Identities live in the account: rewrite the dotfile with one.
    const file = join(setup.configDir, 'config.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      accounts: Record<string, Record<string, unknown>>;
    };
    doc.accounts[setup.account.name]!.identities = [
      { email: alias, name: 'Power Alias', signature: 'Alias sig' },
    ];
    writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
    // tmail's own address book, as earlier runs would have left it.
    writeFileSync(
      join(setup.stateDir, 'addressbook.json'),
      JSON.stringify({
        version: 1,
        entries: [
          {
            name: 'Grace Hopper',
            address: 'grace@example.test',
            seen: 0,
            sent: 3,
            lastUsed: Date.now(),
          },
        ],
      }),
    );
    mine = await checker(stack.info(), setup.user);
    theirs = await checker(stack.info(), other);
    await mine.append(
      'INBOX',
      [
        `From: Friend <${other.email}>`,
        `To: Power Alias <${alias}>`,
        'Subject: Written to your alias',
        `Date: ${new Date().toUTCString()}`,
        'Message-ID: <to-alias@example.test>',
        '',
        'Which address will you answer from?',
        '',
      ].join('\r\n'),
    );
  });

  afterAll(async () => {
    term?.kill();
    await mine?.logout().catch(() => {});
    await theirs?.logout().catch(() => {});
  });

  it('m, three letters and Tab complete from the address book and the command; the editor gets the To: line and the signature', async () => {
    term = await launch(setup, {
      env: { EDITOR: recordingEditor('new.eml', 'Hello from the prompts.'), VISUAL: '' },
    });
    onTestFailed(() => {
      process.stdout.write(
        `\nLast screen:\n${term!.screen}\nLog:\n${logText(setup).slice(-3000)}\n`,
      );
    });
    await term.see('Written to your alias');
    await term.command('list', 'mail.compose');
    // tmux drops the trailing space of an empty prompt.
    await term.see(/^To:\s*$/m);
    await term.type('gra');
    await term.see('To: gra');
    await term.press('<Tab>');
    await term.see('To: Grace Hopper <grace@example.test>');
    await term.type(', fri');
    await term.press('<Tab>');
    await term.see(`To: Grace Hopper <grace@example.test>, Friendly Person <${other.email}>`);
    await term.press('<Enter>');
    await term.see(/^Subject:\s*$/m);
    await term.type('Prompted');
    await term.press('<Enter>');
    const review = await term.see('New message: review before sending');
    expect(review).toContain('Hello from the prompts.');
    const file = readFileSync(join(seen, 'new.eml'), 'utf8');
    expect(file).toContain(
      `To: Grace Hopper <grace@example.test>, Friendly Person <${other.email}>\n`,
    );
    expect(file).toContain('Subject: Prompted\n');
    expect(file).toMatch(/\n-- \nPower User\nexample\.test\n$/);
    await term.command('compose', 'compose.send');
    await term.see(`Sent to grace@example.test and ${other.email}.`);
    const delivered = await waitFor(
      async () => (await serverMessages(theirs, 'INBOX')).find((m) => m.subject === 'Prompted'),
      { what: 'the prompted message at the friend' },
    );
    expect(delivered.source).toMatch(/\r\n-- \r\nPower User\r\nexample\.test\r\n/);
  });

  it('a reply to a message sent to an alias comes from that alias, with its signature', async () => {
    term?.kill();
    term = await launch(setup, { env: { EDITOR: editorScript('From the alias.'), VISUAL: '' } });
    onTestFailed(() => {
      process.stdout.write(`\nLast screen:\n${term!.screen}\n`);
    });
    await term.see('Written to your alias');
    await term.command('list', 'mail.reply');
    const review = await term.see('Reply: review before sending');
    expect(review).toContain(`From:    Power Alias <${alias}>`);
    expect(review).toContain('Alias sig');
    await term.command('compose', 'compose.send');
    await term.see(`Sent to ${other.email}.`);
    const delivered = await waitFor(
      async () =>
        (await serverMessages(theirs, 'INBOX')).find(
          (m) => m.subject === 'Re: Written to your alias',
        ),
      { what: 'the reply from the alias' },
    );
    expect(delivered.source).toContain(`From: Power Alias <${alias}>`);
    expect(delivered.source).toMatch(/\r\n-- \r\nAlias sig\r\n/);
  });

  it('tmail mailto:… opens on the review screen of a message to the link, and y delivers it', async () => {
    term?.kill();
    const link = `mailto:${other.email}?subject=Joined%20by%20link&body=Please%20add%20me.`;
    term = await launch(setup, { args: [link] });
    onTestFailed(() => {
      process.stdout.write(`\nLast screen:\n${term!.screen}\n`);
    });
    const review = await term.see('New message: review before sending');
    expect(review).toContain(`To:      ${other.email}`);
    expect(review).toContain('Subject: Joined by link');
    expect(review).toContain('Please add me.');
    await term.command('compose', 'compose.send');
    await term.see(`Sent to ${other.email}.`);
    const delivered = await waitFor(
      async () =>
        (await serverMessages(theirs, 'INBOX')).find((m) => m.subject === 'Joined by link'),
      { what: 'the message written from the link' },
    );
    expect(delivered.source).toMatch(/\r\n\r\nPlease add me\.\r\n/);
  });
});
