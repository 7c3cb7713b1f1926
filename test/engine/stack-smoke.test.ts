/**
 * The test mail stack, exercised through tmail's own connection code on every
 * IMAP server it runs: login, folder list, append and fetch back, and a message
 * submitted over SMTP that the server's gateway delivers (Postfix into Dovecot,
 * Exim into Cyrus and Courier).
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectImap } from '../../src/core/imap/connect.js';
import { createSmtpTransport } from '../../src/core/smtp/transport.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

forEachServer((stack, server) => {
  let alice: TestUser;
  let bob: TestUser;
  let client: ImapFlow;

  beforeAll(async () => {
    alice = await newTestUser(stack, 'alice');
    bob = await newTestUser(stack, 'bob');
    client = await connectImap({
      account: testAccount(stack, alice),
      credentials: testCredentials(alice),
    });
  });

  afterAll(async () => {
    await client?.logout().catch(() => {});
  });

  describe('the test mail stack', () => {
    it('logs in over IMAP and lists the special-use folders', async () => {
      const folders = await client.list();
      // By name: Courier keeps them under INBOX. and flags none (imapflow guesses by name).
      const byUse = Object.fromEntries(
        folders.filter((f) => f.specialUse).map((f) => [f.specialUse, f.name]),
      );
      expect(byUse).toMatchObject({
        '\\Drafts': 'Drafts',
        '\\Sent': 'Sent',
        '\\Trash': 'Trash',
        '\\Junk': 'Junk',
        '\\Archive': 'Archive',
      });
      expect(folders.map((f) => f.path)).toContain('INBOX');
    });

    it('withholds the capabilities the variant names', () => {
      for (const capability of server.withheld) {
        expect(client.capabilities.has(capability)).toBe(false);
      }
      // Courier has no MOVE in any variant; the one without UIDPLUS thus has neither.
      if (server.withheld.includes('UIDPLUS')) expect(client.capabilities.has('MOVE')).toBe(false);
    });

    it('appends a message and fetches it back', async () => {
      const raw = `From: Alice <${alice.email}>\r\nTo: ${alice.email}\r\nSubject: smoke append\r\nMessage-ID: <smoke-1@example.test>\r\n\r\nhello from the smoke test\r\n`;
      const appended = await client.append('INBOX', raw, ['\\Seen']);
      expect(appended).toBeTruthy();
      const lock = await client.getMailboxLock('INBOX');
      try {
        const message = await client.fetchOne(
          String((appended as { uid: number }).uid),
          { envelope: true, source: true, flags: true },
          { uid: true },
        );
        expect(message && message.envelope?.subject).toBe('smoke append');
        expect(message && message.source?.toString()).toContain('hello from the smoke test');
        expect(message && [...(message.flags ?? [])]).toContain('\\Seen');
      } finally {
        lock.release();
      }
    });

    it('submits over SMTP with AUTH and the message arrives in the recipient INBOX', async () => {
      const transport = createSmtpTransport(testAccount(stack, alice), testCredentials(alice));
      const info = await transport.sendMail({
        from: alice.email,
        to: bob.email,
        subject: 'smoke over smtp',
        text: 'delivered by the gateway into the IMAP server',
      });
      transport.close();
      expect(info.accepted).toContain(bob.email);

      const bobClient = await connectImap({
        account: testAccount(stack, bob),
        credentials: testCredentials(bob),
      });
      try {
        const subject = await waitFor(
          async () => {
            const status = await bobClient.status('INBOX', { messages: true });
            if (!status || !status.messages) return undefined;
            const lock = await bobClient.getMailboxLock('INBOX');
            try {
              const message = await bobClient.fetchOne('*', { envelope: true });
              return message ? message.envelope?.subject : undefined;
            } finally {
              lock.release();
            }
          },
          { what: "the message in bob's INBOX" },
        );
        expect(subject).toBe('smoke over smtp');
      } finally {
        await bobClient.logout();
      }
    });

    it('refuses a submission without authentication', async () => {
      const transport = createSmtpTransport(testAccount(stack, alice), {
        user: alice.name,
        password: 'wrong password',
      });
      await expect(
        transport.sendMail({ from: alice.email, to: bob.email, subject: 'x', text: 'x' }),
      ).rejects.toMatchObject({
        code: 'EAUTH',
      });
      transport.close();
    });
  });
});
