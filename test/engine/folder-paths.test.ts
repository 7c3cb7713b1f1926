/**
 * Folder paths are `/` paths without the personal namespace prefix on every
 * server (Dovecot and Cyrus separate with `/`; Courier with `.`, under
 * `INBOX.`): what the engine and the CLI take and show, checked against the
 * names a second connection lists on the server.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverSubjects, testEngine } from '../support/engine.js';
import { seedOverImap } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

/** The server's own name for a `/` path, from its NAMESPACE answer as the checker read it. */
function serverName(check: ImapFlow, path: string): string {
  const delimiter = check.namespace?.delimiter || '/';
  return `${check.namespace?.prefix ?? ''}${path.split('/').join(delimiter)}`;
}

async function serverFolders(check: ImapFlow): Promise<string[]> {
  return (await check.list()).map((f) => f.path);
}

forEachServer((stack) => {
  describe('folder paths in the engine', () => {
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;

    beforeAll(async () => {
      user = await newTestUser(stack, 'paths');
      check = await checker(stack.info(), user);
      await seedOverImap(check, 'INBOX', 3, { to: user.email, seed: 5 });
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
    });

    it(':mkdir Projects/Sub makes Sub inside Projects on the server', async () => {
      await engine.request({ type: 'create-folder', path: 'Projects/Sub' });
      expect(await serverFolders(check)).toContain(serverName(check, 'Projects/Sub'));
      const sub = engine.state.folders.find((f) => f.path === 'Projects/Sub');
      expect(sub).toMatchObject({ name: 'Sub', delimiter: '/', parentPath: 'Projects' });
    });

    it('shows every folder with / and without the namespace prefix; INBOX stays INBOX', async () => {
      const paths = engine.state.folders.map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['INBOX', 'Trash', 'Projects/Sub']));
      const prefix = check.namespace?.prefix ?? '';
      if (prefix) expect(paths.filter((p) => p.startsWith(prefix))).toEqual([]);
      expect(engine.state.folders.find((f) => f.path === 'Trash')?.parentPath).toBeNull();
    });

    it('moves into Projects/Sub and says so with that path', async () => {
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      const outcome = await engine.request({ type: 'move', uids: [1], to: 'Projects/Sub' });
      expect(outcome.to).toBe('Projects/Sub');
      expect((await serverSubjects(check, serverName(check, 'Projects/Sub'))).size).toBe(1);
      await engine.request({ type: 'open-folder', path: 'Projects/Sub' });
      expect(engine.state.view?.path).toBe('Projects/Sub');
      expect(engine.state.view?.total).toBe(1);
    });

    it('renames and deletes by / paths', async () => {
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      await engine.request({ type: 'rename-folder', path: 'Projects/Sub', to: 'Projects/Done' });
      let listed = await serverFolders(check);
      expect(listed).toContain(serverName(check, 'Projects/Done'));
      expect(listed).not.toContain(serverName(check, 'Projects/Sub'));
      await engine.request({ type: 'delete-folder', path: 'Projects/Done' });
      listed = await serverFolders(check);
      expect(listed).not.toContain(serverName(check, 'Projects/Done'));
    });

    it("refuses a name holding the server's separator, else makes it", async () => {
      const delimiter = check.namespace?.delimiter || '/';
      const result = await engine.dispatch({ type: 'create-folder', path: 'Releases/v1.2' });
      if (delimiter === '.') {
        expect(result.ok).toBe(false);
        if (!result.ok)
          expect(result.error.userMessage).toBe(
            'A folder name cannot contain "." on this server (it separates folders there); use / between folders, as in Releases/v1/2.',
          );
        expect(await serverFolders(check)).not.toContain(serverName(check, 'Releases/v1'));
      } else if (result.ok) {
        expect(await serverFolders(check)).toContain(serverName(check, 'Releases/v1.2'));
      } else {
        // Dovecot's Maildir++ keeps "." for itself: the refusal is the server's own.
        expect(result.error.userMessage).toMatch(
          /^The IMAP server refused to create the folder Releases\/v1\.2[.:]/,
        );
      }
    });
  });

  describe('folder paths in the CLI', () => {
    let user: TestUser;
    let env: Record<string, string>;
    let check: ImapFlow;

    beforeAll(async () => {
      user = await newTestUser(stack, 'clipaths');
      check = await checker(stack.info(), user);
      await seedOverImap(check, 'INBOX', 4, { to: user.email, seed: 6 });
      // Made by another client, as the server names it.
      await check.mailboxCreate(serverName(check, 'Projects'));
      await check.mailboxCreate(serverName(check, 'Projects/Sub'));
      env = testConfigEnv([testAccount(stack.info(), user)]);
    });
    afterAll(() => check?.logout());

    it('folders --json gives the / path and the server path', async () => {
      const result = await runTmail(['folders', '--json'], env);
      expect(result.code).toBe(0);
      const folders = JSON.parse(result.stdout) as Array<{
        path: string;
        serverPath: string;
        name: string;
        delimiter: string;
      }>;
      expect(folders.find((f) => f.path === 'Projects/Sub')).toMatchObject({
        name: 'Sub',
        serverPath: serverName(check, 'Projects/Sub'),
        delimiter: '/',
      });
      expect(folders.find((f) => f.path === 'Trash')?.serverPath).toBe(serverName(check, 'Trash'));
      expect(folders.find((f) => f.path === 'INBOX')?.serverPath).toBe('INBOX');
    });

    it('folders prints Sub under Projects and no prefix', async () => {
      const result = await runTmail(['folders'], env);
      expect(result.stdout).toMatch(/^Projects\s.*\n {2}Sub\s/m);
      expect(result.stdout).toMatch(/^Trash\s/m);
      expect(result.stdout).not.toMatch(/INBOX\./);
    });

    it('move --to Projects/Sub, list and read with --folder Projects/Sub', async () => {
      const move = await runTmail(['move', '1', '--to', 'Projects/Sub'], env);
      expect(move.stderr).toBe('');
      expect(move.stdout).toBe('Moved 1 message to Projects/Sub.\n');
      expect((await serverSubjects(check, serverName(check, 'Projects/Sub'))).size).toBe(1);
      const list = await runTmail(['list', 'Projects/Sub', '--json'], env);
      expect(list.code).toBe(0);
      const page = JSON.parse(list.stdout) as { messages: Array<{ uid: number }> };
      expect(page.messages).toHaveLength(1);
      const copy = await runTmail(
        ['copy', String(page.messages[0]!.uid), '--folder', 'Projects/Sub', '--to', 'INBOX'],
        env,
      );
      expect(copy.stdout).toBe('Copied 1 message to INBOX.\n');
    });

    it('delete names the Trash as the user sees it', async () => {
      const result = await runTmail(['delete', '2'], env);
      expect(result.stdout).toBe('Moved 1 message to Trash.\n');
      expect((await serverSubjects(check, serverName(check, 'Trash'))).size).toBe(1);
    });
  });
});
