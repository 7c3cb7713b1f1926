/**
 * `npm run demo`: a local Dovecot + Postfix on 127.0.0.1, a demo mailbox with a
 * few dozen varied messages, a throwaway config pointing at it, and tmail on
 * top. Everything is removed when tmail exits.
 *
 *   npm run demo              the interactive reader
 *   npm run demo -- list      any tmail command instead (e.g. `folders`, `read 3`)
 */
import { spawn } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { testAccount, testConfigEnv } from '../test/support/accounts.js';
import { startMailStack, TEST_DOMAIN } from '../test/support/mail-stack.js';
import { seedOverImap } from '../test/support/seed.js';

const args = process.argv.slice(2);
process.stderr.write('Starting the demo mail servers (Dovecot and Postfix on 127.0.0.1)...\n');
const stack = await startMailStack();
const alice = stack.users.alice!;
const bob = stack.users.bob!;

const client = new ImapFlow({
  host: stack.host,
  port: stack.ports.imap,
  secure: false,
  doSTARTTLS: false,
  auth: { user: alice.name, pass: alice.password },
  logger: false,
});
await client.connect();
for (const path of ['Lists', 'Lists/tmail-dev', 'Lists/announce', 'Receipts'])
  await client.mailboxCreate(path);
process.stderr.write('Filling the demo mailbox...\n');
await seedOverImap(client, 'INBOX', 40, {
  to: alice.email,
  seed: 7,
  attachmentShare: 0.2,
  end: Date.now() - 3600_000,
});
await seedOverImap(client, 'Lists/tmail-dev', 25, {
  to: `tmail-dev@lists.${TEST_DOMAIN}`,
  seed: 8,
});
await seedOverImap(client, 'Receipts', 6, { to: alice.email, seed: 9 });
// A message that tries to take over the terminal: tmail shows it harmlessly.
await client.append(
  'INBOX',
  [
    `From: "Mallory \u001b[31mAdmin\u001b[0m" <mallory@evil.example>`,
    `To: ${alice.email}`,
    'Subject: =?UTF-8?B?' +
      Buffer.from('Invoice \u001b]0;pwned\u0007\u202Efdp.exe').toString('base64') +
      '?=',
    `Date: ${new Date(Date.now() - 600_000).toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'This line tries to clear your screen: \u001b[2J\u001b[H and set the clipboard: \u001b]52;c;cHduZWQ=\u0007',
    'tmail shows control characters as visible symbols instead of obeying them.',
    '',
  ].join('\r\n'),
);
await client.logout();

// A message from bob over SMTP, so the demo shows real delivery through Postfix.
const nodemailer = await import('nodemailer');
const transport = nodemailer.default.createTransport({
  host: stack.host,
  port: stack.ports.submission,
  secure: false,
  ignoreTLS: true,
  auth: { user: bob.name, pass: bob.password },
});
await transport.sendMail({
  from: `Bob <${bob.email}>`,
  to: alice.email,
  subject: 'Welcome to the tmail demo',
  text: 'Hi Alice,\n\nthis message came in through Postfix and Dovecot on 127.0.0.1.\nPress ? for the keys, q to quit.\n\n-- \nBob\n',
});
transport.close();

const account = testAccount(stack.info(), { ...alice }, { displayName: 'Alice Demo' });
const env = { ...process.env, ...testConfigEnv([{ ...account, name: 'demo' }]) };
process.stderr.write(`Demo account "demo" (${alice.email}); config in ${env.TMAIL_CONFIG_DIR}.\n`);

const child = spawn(process.execPath, ['bin/tmail.js', ...args], { stdio: 'inherit', env });
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await stack.stop();
process.exit(code);
