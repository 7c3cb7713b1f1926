/**
 * Folder actions that RENAME and DELETE alone leave half done, on every server
 * of the stack (Dovecot, Cyrus, Courier), checked on the server through a
 * second connection.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { checker, serverSubscriptions, testEngine } from '../support/engine.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

forEachServer((stack) => {
  describe('folder actions', () => {
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;
    const named = (name: string) => engine.state.folders.find((f) => f.name === name);

    beforeAll(async () => {
      user = await newTestUser(stack, 'folderacts');
      check = await checker(stack.info(), user);
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
    });

    it('a renamed subscribed folder stays subscribed, under its new name only', async () => {
      await engine.request({ type: 'create-folder', path: 'Plans' });
      const created = named('Plans')!;
      expect(created).toBeDefined();
      await check.mailboxSubscribe(created.serverPath!);
      expect(await serverSubscriptions(check)).toContain(created.serverPath);

      await engine.request({ type: 'rename-folder', path: created.path, to: 'Roadmap' });
      const renamed = named('Roadmap')!;
      expect(renamed).toBeDefined();
      const subscribed = await serverSubscriptions(check);
      expect(subscribed, JSON.stringify(subscribed)).toContain(renamed.serverPath);
      expect(subscribed).not.toContain(created.serverPath);
    });

    it('a renamed folder that was not subscribed is not subscribed after', async () => {
      await engine.request({ type: 'create-folder', path: 'Loose' });
      const created = named('Loose')!;
      await check.mailboxUnsubscribe(created.serverPath!).catch(() => {});
      await engine.request({ type: 'rename-folder', path: created.path, to: 'Looser' });
      const renamed = named('Looser')!;
      expect(renamed).toBeDefined();
      const subscribed = await serverSubscriptions(check);
      expect(subscribed).not.toContain(renamed.serverPath);
      expect(subscribed).not.toContain(created.serverPath);
    });

    it('deleting a folder with subfolders says what the server kept', async () => {
      await engine.request({ type: 'create-folder', path: 'Parent' });
      const parent = named('Parent')!;
      await engine.request({ type: 'create-folder', path: `${parent.path}/Child` });
      // What the server calls them (Courier: INBOX.Parent, INBOX.Parent.Child).
      const child = engine.state.folders.find((f) => f.path === 'Parent/Child')!.serverPath;
      const parentOnServer = parent.serverPath!;
      const result = await engine.dispatch({ type: 'delete-folder', path: parent.path });
      const listed = (await check.list()).map((f) => f.path);
      expect(listed).toContain(child);
      if (!result.ok) {
        // The server refused: its refusal is the sentence, and the folder is untouched.
        expect(result.error.userMessage).toMatch(/refused to delete the folder/);
        expect(listed).toContain(parentOnServer);
        return;
      }
      if (listed.includes(parentOnServer)) {
        // Dovecot keeps an empty parent; others keep a \\Noselect one or refuse.
        expect(result.value.notice).toMatch(
          new RegExp(
            `^Deleted the mail of ${parent.path}; the server keeps it(, empty, for its subfolders| as a folder that holds only its subfolders)\\.$`,
          ),
        );
      } else {
        expect(result.value.notice).toBeNull();
      }
    });

    it('opening a folder that holds only folders says so', async () => {
      const inner = check.namespace?.prefix ? `${check.namespace.prefix}Shell` : 'Shell';
      const delimiter = check.namespace?.delimiter || '/';
      await check.mailboxCreate(`${inner}${delimiter}Inner`);
      await engine.request({ type: 'create-folder', path: 'Refresh' });
      const shell = (await check.list()).find((f) => f.path === inner);
      const noselect = shell?.flags.has('\\Noselect') ?? false;
      expect(named('Shell')?.selectable).toBe(!noselect);
      if (!noselect) return;
      const result = await engine.dispatch({ type: 'open-folder', path: 'Shell' });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.userMessage).toBe(
        'Shell is a folder that holds only folders and cannot be opened.',
      );
    });
  });
});
