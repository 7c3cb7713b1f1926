/**
 * The demo mailbox that `npm run demo` and `npm run screenshots` show: a few
 * dozen varied messages in INBOX, a folder tree, a thread with an attachment,
 * a message that tries to take over the terminal, and one delivered for real
 * through Postfix.
 */
import nodemailer from 'nodemailer';
import { checker } from './engine.js';
import type { MailStack } from './mail-stack.js';
import { seedOverImap } from './seed.js';

export async function fillDemoMailbox(stack: MailStack): Promise<void> {
  const alice = stack.users.alice!;
  const bob = stack.users.bob!;
  const client = await checker(stack.info(), { ...alice });
  try {
    for (const path of ['Lists', 'Lists/tmail-dev', 'Lists/announce', 'Receipts']) {
      await client.mailboxCreate(path);
    }
    const end = Date.now() - 3 * 3600_000;
    await seedOverImap(client, 'INBOX', 60, {
      to: alice.email,
      seed: 7,
      attachmentShare: 0.2,
      end,
    });
    await seedOverImap(client, 'Lists/tmail-dev', 25, {
      to: `tmail-dev@${stack.domain}`,
      seed: 8,
      end,
    });
    await seedOverImap(client, 'Receipts', 6, { to: alice.email, seed: 9, end });
    await client.append(
      'INBOX',
      [
        `From: Grace Hopper <${bob.email}>`,
        `To: Alice <${alice.email}>`,
        'Subject: Re: Release 2.4 checklist',
        `Date: ${new Date(Date.now() - 25 * 60_000).toUTCString()}`,
        'Message-ID: <checklist-2@example.test>',
        'In-Reply-To: <checklist-1@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hi Alice,',
        '',
        'The checklist looks right to me. Two things before we tag it:',
        '',
        '  1. the changelog still mentions the old config path;',
        '  2. the 100k-folder benchmark should run once more on the new build.',
        '',
        'I attached the numbers from last night.',
        '',
        'On Tue, Alice wrote:',
        '> Here is the checklist for 2.4. Anything missing?',
        '> > Remember the release notes need the new key table.',
        '',
        '-- ',
        'Grace',
        '',
        '--b1',
        'Content-Type: text/csv; name="bench-results.csv"',
        'Content-Disposition: attachment; filename="bench-results.csv"',
        '',
        'size,first_screen_ms,rss_mb',
        '1000,240,61',
        '--b1--',
        '',
      ].join('\r\n'),
      [],
      new Date(Date.now() - 25 * 60_000),
    );
    // A message that tries to take over the terminal: tmail shows it harmlessly.
    await client.append(
      'INBOX',
      [
        `From: "Mallory \u001b[31mAdmin\u001b[0m" <mallory@evil.example>`,
        `To: ${alice.email}`,
        'Subject: =?UTF-8?B?' +
          Buffer.from('Invoice \u001b]0;pwned\u0007\u202Efdp.exe').toString('base64') +
          '?=',
        `Date: ${new Date(Date.now() - 40 * 60_000).toUTCString()}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'This line tries to clear your screen: \u001b[2J\u001b[H and set the clipboard: \u001b]52;c;cHduZWQ=\u0007',
        'tmail shows control characters as visible symbols instead of obeying them.',
        '',
      ].join('\r\n'),
      [],
      new Date(Date.now() - 40 * 60_000),
    );
  } finally {
    await client.logout();
  }

  // One message through Postfix, so the demo shows real delivery.
  const transport = nodemailer.createTransport({
    host: stack.host,
    port: stack.ports.submission,
    secure: false,
    ignoreTLS: true,
    auth: { user: bob.name, pass: bob.password },
  });
  try {
    await transport.sendMail({
      from: `Bob <${bob.email}>`,
      to: alice.email,
      subject: 'Welcome to the tmail demo',
      text: 'Hi Alice,\n\nthis message came in through Postfix and Dovecot on 127.0.0.1.\nPress ? for the keys, q to quit.\n\n-- \nBob\n',
    });
  } finally {
    transport.close();
  }
}
