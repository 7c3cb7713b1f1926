/**
 * The scriptable commands, run as the built binary against every real server the harness runs:
 * what they print, their exit codes, and what the server holds afterwards.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverFlags, serverSubjects } from '../support/engine.js';
import { seedOverImap, type SeedMessage } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

forEachServer((stack) => {
  let user: TestUser;
  let env: Record<string, string>;
  let check: ImapFlow;
  let seeded: SeedMessage[];

  beforeAll(async () => {
    user = await newTestUser(stack, 'cli');
    check = await checker(stack.info(), user);
    seeded = await seedOverImap(check, 'INBOX', 30, { to: user.email, seed: 3 });
    env = testConfigEnv([testAccount(stack.info(), user)]);
  });
  afterAll(() => check?.logout());

  describe('tmail folders', () => {
    it('lists folders with roles and counts as JSON', async () => {
      const result = await runTmail(['folders', '--json'], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const folders = JSON.parse(result.stdout) as Array<{
        path: string;
        role: string;
        total: number;
        unread: number;
      }>;
      expect(folders[0]).toMatchObject({ path: 'INBOX', role: 'inbox', total: 30 });
      expect(folders.map((f) => f.role)).toEqual(
        expect.arrayContaining(['drafts', 'sent', 'trash', 'junk', 'archive']),
      );
    });

    it('prints an aligned tree otherwise', async () => {
      const result = await runTmail(['folders'], env);
      expect(result.stdout).toMatch(/^INBOX\s+\d+ unread\s+30 total$/m);
      // Indented where the server keeps folders under INBOX (Courier).
      expect(result.stdout).toMatch(/^\s*Trash\s+0 unread\s+0 total\s+\(trash\)$/m);
    });
  });

  describe('tmail list', () => {
    it('returns the newest messages first with the documented fields', async () => {
      const result = await runTmail(['list', '--limit', '5', '--json'], env);
      expect(result.code).toBe(0);
      const page = JSON.parse(result.stdout) as {
        total: number;
        messages: Array<Record<string, unknown>>;
      };
      expect(page.total).toBe(30);
      expect(page.messages.map((m) => m.subject)).toEqual(
        seeded
          .slice(-5)
          .reverse()
          .map((m) => m.subject),
      );
      expect(Object.keys(page.messages[0]!)).toEqual(
        expect.arrayContaining(['uid', 'subject', 'from', 'date', 'flags', 'size']),
      );
      expect(page.messages[0]!.uid).toBe(30);
    });

    it('pages through the folder', async () => {
      const result = await runTmail(
        ['list', 'INBOX', '--limit', '10', '--page', '3', '--json'],
        env,
      );
      const page = JSON.parse(result.stdout) as { messages: Array<{ uid: number }> };
      expect(page.messages.map((m) => m.uid)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    });

    it('shows only unread messages with --unread', async () => {
      const unread = seeded
        .map((m, i) => ({ m, uid: i + 1 }))
        .filter(({ m }) => !m.flags.includes('\\Seen'));
      const result = await runTmail(['list', '--unread', '--json'], env);
      const page = JSON.parse(result.stdout) as { messages: Array<{ uid: number }> };
      expect(page.messages.map((m) => m.uid).sort((a, b) => a - b)).toEqual(
        unread.map((u) => u.uid),
      );
    });

    it('prints rows with the flag column as text', async () => {
      const result = await runTmail(['list', '--limit', '3'], env);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^\s*30 {2}[N ][! ][r ][@ ] {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2} {2}/);
    });

    it('refuses an unknown option with one line and exit code 2', async () => {
      const result = await runTmail(['list', '--bogus'], env);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/unknown option --bogus/);
    });

    it('says which folder does not exist, in one sentence, with exit code 1', async () => {
      const result = await runTmail(['list', 'Nope'], env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/refused to open the folder Nope/);
    });
  });

  describe('changing messages from the command line', () => {
    it('sets and clears flags', async () => {
      expect((await runTmail(['flag', '1', '2', '--set', 'flagged,seen'], env)).code).toBe(0);
      let flags = await serverFlags(check, 'INBOX');
      expect(flags.get(1)).toEqual(expect.arrayContaining(['\\Flagged', '\\Seen']));
      expect((await runTmail(['flag', '1', '--clear', 'flagged'], env)).code).toBe(0);
      flags = await serverFlags(check, 'INBOX');
      expect(flags.get(1)).not.toContain('\\Flagged');
      expect(flags.get(2)).toContain('\\Flagged');
    });

    it('moves and copies', async () => {
      expect((await runTmail(['move', '3', '--to', 'Archive'], env)).code).toBe(0);
      expect((await runTmail(['copy', '4', '--to', 'Archive', '--json'], env)).code).toBe(0);
      expect([...(await serverSubjects(check, 'INBOX')).keys()]).not.toContain(3);
      expect([...(await serverSubjects(check, 'INBOX')).keys()]).toContain(4);
      expect((await serverSubjects(check, 'Archive')).size).toBe(2);
    });

    it('deletes to Trash, marks in Trash, and expunges', async () => {
      // The Trash by the path tmail shows for it (INBOX.Trash on Courier).
      const folders = JSON.parse((await runTmail(['folders', '--json'], env)).stdout) as Array<{
        path: string;
        role: string;
      }>;
      const trashPath = folders.find((f) => f.role === 'trash')!.path;
      const deleted = await runTmail(['delete', '5'], env);
      expect(deleted.stdout).toContain(`Moved 1 message to ${trashPath}.`);
      const trash = await runTmail(['list', 'Trash', '--json'], env);
      const uid = (JSON.parse(trash.stdout) as { messages: Array<{ uid: number }> }).messages[0]!
        .uid;
      const marked = await runTmail(['delete', String(uid), '--folder', 'Trash', '--json'], env);
      expect(JSON.parse(marked.stdout)).toMatchObject({ markedDeleted: true });
      const expunged = await runTmail(['expunge', 'Trash', '--json'], env);
      expect(JSON.parse(expunged.stdout)).toEqual({ folder: 'Trash', expunged: 1 });
      expect((await serverSubjects(check, 'Trash')).size).toBe(0);
    });

    it('searches on the server', async () => {
      const target = seeded[20]!.subject.replace(/^Re: /, '');
      const result = await runTmail(['search', `subject:"${target}"`, '--json'], env);
      const page = JSON.parse(result.stdout) as {
        query: string;
        messages: Array<{ subject: string }>;
      };
      expect(page.messages.length).toBeGreaterThan(0);
      for (const m of page.messages) expect(m.subject).toContain(target);
    });
  });

  describe('reporting only what was done', () => {
    it('says a UID that does not exist was not deleted, with exit code 1', async () => {
      const result = await runTmail(['delete', '99999'], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('tmail: UID 99999 is not in INBOX.\n');
    });

    it('moves nothing from an empty folder and says so', async () => {
      await check.mailboxCreate('Empty');
      const archived = (await serverSubjects(check, 'Archive')).size;
      const result = await runTmail(
        ['move', '1:99999', '--folder', 'Empty', '--to', 'Archive'],
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^tmail: UIDs 1:99999 are not in Empty\.$/m);
      expect((await serverSubjects(check, 'Archive')).size).toBe(archived);
    });

    it('changes what exists, names the rest, and lists both in JSON', async () => {
      const flag = await runTmail(['flag', '6,99998', '--set', 'flagged', '--json'], env);
      expect(flag.code).toBe(0);
      expect(JSON.parse(flag.stdout)).toMatchObject({ uids: [6], notFound: [99998] });
      expect(flag.stderr).toMatch(/UID 99998 is not in INBOX/);
      expect((await serverFlags(check, 'INBOX')).get(6)).toContain('\\Flagged');

      const copy = await runTmail(['copy', '7', '99997', '--to', 'Archive'], env);
      expect(copy.code).toBe(0);
      expect(copy.stdout).toBe('Copied 1 message to Archive.\n');
      expect(copy.stderr).toMatch(/UID 99997 is not in INBOX/);

      const move = await runTmail(['move', '8,99996', '--to', 'Archive', '--json'], env);
      expect(JSON.parse(move.stdout)).toMatchObject({
        uids: [8],
        moved: 1,
        notFound: [99996],
        leftMarked: [],
      });
    });
  });

  describe('tmail read', () => {
    it('shows the headers and the text', async () => {
      const result = await runTmail(['read', '30'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Subject: ${seeded[29]!.subject}`);
      expect(result.stdout).toMatch(/^From: /m);
      expect(result.stdout).toContain(seeded[29]!.text);
      expect((await serverFlags(check, 'INBOX')).get(30)).toContain('\\Seen');
    });

    it('leaves the message unread with --peek', async () => {
      const unread = seeded.findIndex((m, i) => i > 5 && !m.flags.includes('\\Seen')) + 1;
      await runTmail(['read', String(unread), '--peek'], env);
      expect((await serverFlags(check, 'INBOX')).get(unread)).not.toContain('\\Seen');
    });

    it('prints the raw source and all headers', async () => {
      const raw = await runTmail(['read', '29', '--raw'], env);
      expect(raw.stdout).toContain(`Message-ID: ${seeded[28]!.messageId}`);
      const headers = await runTmail(['read', '29', '--headers', '--json'], env);
      const keys = (JSON.parse(headers.stdout) as { headers: Array<{ key: string }> }).headers.map(
        (h) => h.key.toLowerCase(),
      );
      expect(keys).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'date', 'message-id']));
    });

    it('says so when there is no such message', async () => {
      const result = await runTmail(['read', '9999'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no message with UID 9999/);
    });
  });
});
