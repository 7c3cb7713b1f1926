/**
 * Two real accounts in one run of the built tmail (tmux, Dovecot, Postfix):
 * the second connects only when first shown, switching reads in each, the
 * other account's INBOX count follows its new mail, and a reply written in
 * the second account goes out through its SMTP login and lands in its Sent
 * (checked on the servers: the IMAP folders and Postfix's log).
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { checker, serverSubjects } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { TmuxSession } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';
import { BINARY, REPO, requireBuild } from './setup.js';

const stack = sharedMailStack();

/** An "editor" that writes a line under the header block, as the compose e2e test's does. */
function editorScript(line: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-editor-'));
  const file = join(dir, 'editor.sh');
  writeFileSync(
    file,
    `#!/bin/sh
awk 'BEGIN { done = 0 } { print } /^$/ && !done { print "${line}"; done = 1 }' "$1" > "$1.new" && mv "$1.new" "$1"
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/** The status line (the second line from the bottom). */
function statusLine(screen: string): string {
  const lines = screen.trimEnd().split('\n');
  return lines[lines.length - 2] ?? '';
}

/** Dovecot's IMAP logins of a user so far (the test's own checking connection among them). */
function imapLogins(user: TestUser): number {
  const log = readFileSync(join(stack.info().dir, 'dovecot/dovecot.log'), 'utf8');
  return log
    .split('\n')
    .filter(
      (l) => l.includes('imap-login:') && l.includes(' Login: ') && l.includes(`<${user.name}>`),
    ).length;
}

/** The SASL login Postfix's submission service took the message with this Message-ID under. */
function submittedBy(messageId: string): string | null {
  const log = readFileSync(join(stack.info().dir, 'postfix.log'), 'utf8');
  const queued = new RegExp(
    `(\\w+): message-id=<?${messageId.replace(/[<>]/g, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>?`,
  ).exec(log);
  if (!queued) return null;
  const login = new RegExp(`${queued[1]}: client=.*sasl_username=([^,\\s]+)`).exec(log);
  return login?.[1] ?? null;
}

describe('two accounts in one session', () => {
  let home: TestUser;
  let work: TestUser;
  let homeClient: ImapFlow;
  let workClient: ImapFlow;
  let term: TmuxSession | undefined;
  let logFile = '';

  beforeAll(async () => {
    requireBuild();
    home = await newTestUser(stack, 'home');
    work = await newTestUser(stack, 'work');
    homeClient = await checker(stack.info(), home);
    workClient = await checker(stack.info(), work);
    await seedOverImap(homeClient, 'INBOX', 3, { to: home.email, attachmentShare: 0 });
    await workClient.append(
      'INBOX',
      [
        `From: Home Self <${home.email}>`,
        `To: ${work.email}`,
        'Subject: Quarterly numbers',
        `Date: ${new Date().toUTCString()}`,
        'Message-ID: <numbers@example.test>',
        '',
        'The numbers are in. Can you confirm?',
        '',
      ].join('\r\n'),
    );
  });

  afterAll(async () => {
    term?.kill();
    await homeClient?.logout().catch(() => {});
    await workClient?.logout().catch(() => {});
  });

  it('switches, reads in each, counts the other INBOX, and replies through the second account', async () => {
    const info = stack.info();
    // The first account's SMTP points at a port nobody listens on: a reply that went out
    // through it instead of the second account's settings would fail.
    const homeAccount = testAccount(info, home, {
      smtp: { host: info.host, port: 9, security: 'plain' },
    });
    const workAccount = testAccount(info, work, { countsSeconds: 5 });
    const env = testConfigEnv([homeAccount, workAccount], { compose: { prompts: [] } });
    logFile = env.TMAIL_LOG_FILE!;
    const workLoginsBefore = imapLogins(work);
    term = await TmuxSession.start({
      command: [process.execPath, BINARY],
      cwd: REPO,
      columns: 110,
      rows: 30,
      env: {
        ...env,
        HOME: env.TMAIL_STATE_DIR!,
        EDITOR: editorScript('Confirmed from work.'),
        VISUAL: '',
      },
    });
    onTestFailed(() => {
      let log = '(no log)';
      try {
        log = readFileSync(logFile, 'utf8').slice(-3000);
      } catch {
        // No log yet.
      }
      process.stdout.write(`\nLast screen:\n${term!.screen}\nLog:\n${log}\n`);
    });

    // The first account's list, both accounts in the sidebar, the second never connected.
    const first = await term.waitFor(
      (s) => s.includes('3 messages') && s.includes(`▸${work.name}`),
    );
    expect(first).toContain(`▾${home.name}`);
    expect(statusLine(first)).toMatch(new RegExp(`^ ${home.name} │ INBOX`));
    expect(imapLogins(work)).toBe(workLoginsBefore);

    // A, the start of the name and Tab: the second account.
    await term.command('list', 'account.choose');
    await term.see('Account:');
    await term.type(work.name.slice(0, 4));
    await term.press('<Tab>');
    await term.see(`Account: ${work.name}`);
    await term.press('<Enter>');
    const second = await term.waitFor((s) => s.includes('Quarterly numbers'));
    expect(statusLine(second)).toMatch(new RegExp(`^ ${work.name} │ INBOX`));
    expect(second).toContain(`▾${work.name}`);
    expect(imapLogins(work)).toBeGreaterThan(workLoginsBefore);

    // Read in the second account.
    await term.press('<Enter>');
    await term.see('The numbers are in. Can you confirm?');
    await term.command('message', 'message.close');

    // Reply from the second account: its identity, its SMTP login, its Sent.
    await term.command('list', 'mail.reply');
    const review = await term.see('Reply: review before sending');
    expect(review).toContain(`From:    ${workAccount.displayName} <${work.email}>`);
    expect(review).toContain(`To:      Home Self <${home.email}>`);
    await term.command('compose', 'compose.send');
    await term.see(`Sent to ${home.email}.`);
    const delivered = await waitFor(
      async () => {
        const subjects = await serverSubjects(homeClient, 'INBOX');
        return [...subjects.values()].includes('Re: Quarterly numbers') ? subjects : undefined;
      },
      { what: 'the reply in the first user’s INBOX' },
    );
    expect(delivered.size).toBe(4);
    const workSent = await waitFor(
      async () => {
        const subjects = await serverSubjects(workClient, 'Sent');
        return [...subjects.values()].includes('Re: Quarterly numbers') ? subjects : undefined;
      },
      { what: 'the reply in the second user’s Sent' },
    );
    expect(workSent.size).toBe(1);
    expect([...(await serverSubjects(homeClient, 'Sent')).values()]).toEqual([]);
    const sentLock = await workClient.getMailboxLock('Sent');
    let messageId = '';
    try {
      const message = await workClient.fetchOne('*', { envelope: true });
      messageId = message ? (message.envelope?.messageId ?? '') : '';
    } finally {
      sentLock.release();
    }
    expect(messageId).not.toBe('');
    expect(await waitFor(async () => submittedBy(messageId) ?? undefined)).toBe(work.name);

    // Back to the first account (Ctrl-p) and read there.
    await term.command('list', 'account.prev');
    // The reply arrived in the first account (its IDLE brings it), newest first: read it there.
    await term.waitFor(
      (s) => statusLine(s).startsWith(` ${home.name} │`) && s.includes('Re: Quarterly numbers'),
    );
    await term.command('list', 'list.first');
    await term.press('<Enter>');
    await term.see('Confirmed from work.');
    await term.command('message', 'message.close');

    // New mail in the second account's INBOX shows in its count while the first is shown.
    const workInboxLine = (s: string) => {
      const lines = s.split('\n');
      const at = lines.findIndex((l) => l.includes(`▾${work.name}`));
      return at < 0 ? '' : (lines[at + 1] ?? '');
    };
    expect(workInboxLine(await term.capture())).toMatch(/INBOX\s+│/);
    await workClient.append(
      'INBOX',
      [
        `From: Boss <boss@${info.domain}>`,
        `To: ${work.email}`,
        'Subject: Budget meeting',
        `Date: ${new Date().toUTCString()}`,
        '',
        'At three.',
        '',
      ].join('\r\n'),
    );
    await term.waitFor((s) => /INBOX\s+1\s*│/.test(workInboxLine(s)));
    expect(statusLine(await term.capture())).toMatch(new RegExp(`^ ${home.name} │`));
  });
});
