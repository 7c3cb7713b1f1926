/**
 * Never remove a message the user did not ask to remove. On a server without
 * MOVE and UIDPLUS, the only way to remove a message is a plain EXPUNGE, which
 * removes every message marked \Deleted: a move, a delete to Trash, an expunge
 * of chosen UIDs and the removal of a sent draft must leave the other \Deleted
 * messages where they are. Runs against a Dovecot whose capability list lacks
 * MOVE and UIDPLUS, and against every server of the shared stack: Dovecot and
 * Cyrus (both have both), Courier (UIDPLUS, no MOVE) and Courier without UIDPLUS.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailEngine } from '../../src/core/engine/engine.js';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverFlags, serverSubjects, testEngine } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import { forEachServer, newTestUser, type TestUser } from '../support/stack.js';

const DELETED = '\\Deleted';

/**
 * The same scenarios on a Dovecot of its own with the given capabilities cut,
 * or (no cut) on a server of the shared stack. What the server offers decides
 * what is expected: without UIDPLUS a message that cannot be removed alone
 * stays marked.
 */
function removalScenarios(name: string, without: string[], shared?: MailStack): void {
  describe(name, () => {
    let stack: MailStack;
    let own = false;
    let user: TestUser;
    let engine: MailEngine;
    let check: ImapFlow;
    let noUidplus = false;

    beforeAll(async () => {
      own = !shared;
      stack = shared ?? (await startMailStack({ withoutCapabilities: without }));
      user = await newTestUser(stack, 'keepdeleted');
      check = await checker(stack.info(), user);
      ({ engine } = testEngine(stack.info(), user));
      await engine.start({ retry: false });
      for (const cap of without) expect(engine['backend']?.capabilities.has(cap)).toBe(false);
      noUidplus = !check.capabilities.has('UIDPLUS');
    });
    afterAll(async () => {
      await engine?.close();
      await check?.logout();
      if (own) await stack?.stop();
    });

    /** Fills `folder` with `count` fresh messages, marks the first two \Deleted, and opens it. */
    async function folderWithTwoDeleted(folder: string, count = 4): Promise<number[]> {
      const before = (await serverSubjects(check, folder)).size;
      await seedOverImap(check, folder, count, { to: user.email, seed: before + 7 });
      const uids = [...(await serverSubjects(check, folder)).keys()].slice(-count);
      await check.mailboxOpen(folder);
      await check.messageFlagsAdd(uids.slice(0, 2), [DELETED], { uid: true });
      await engine.request({ type: 'open-folder', path: folder });
      return uids;
    }

    async function expectStillDeleted(folder: string, uids: number[]): Promise<void> {
      const flags = await serverFlags(check, folder);
      for (const uid of uids) expect(flags.get(uid), `UID ${uid} in ${folder}`).toContain(DELETED);
    }

    it('moving a message leaves the other \\Deleted messages in the folder', async () => {
      const [a, b, c] = await folderWithTwoDeleted('INBOX');
      const archived = (await serverSubjects(check, 'Archive')).size;
      const result = await engine.request({ type: 'move', uids: [c!], to: 'Archive' });
      await expectStillDeleted('INBOX', [a!, b!]);
      expect(result.done).toEqual([c]);
      expect((await serverSubjects(check, 'Archive')).size).toBe(archived + 1);
      const flags = await serverFlags(check, 'INBOX');
      if (noUidplus) {
        // It could not be removed alone: it stays, marked, and the user is told.
        expect(result.leftMarked).toEqual([c]);
        expect(flags.get(c!)).toContain(DELETED);
        expect(engine.state.notice?.text).toMatch(/stays in INBOX marked deleted/);
        expect(engine.state.view!.envelopes.get(c!)?.flags).toContain(DELETED);
      } else {
        expect(result.leftMarked).toEqual([]);
        expect(flags.has(c!)).toBe(false);
      }
      // The user's own expunge then removes them all.
      await engine.request({ type: 'expunge' });
      const left = await serverSubjects(check, 'INBOX');
      for (const uid of [a!, b!, c!]) expect(left.has(uid)).toBe(false);
    });

    it('without other \\Deleted messages the moved message leaves the folder', async () => {
      const uids = await folderWithTwoDeleted('INBOX');
      await engine.request({ type: 'expunge', uids: uids.slice(0, 2) });
      const d = uids[3]!;
      const result = await engine.request({ type: 'move', uids: [d], to: 'Archive' });
      expect(result.leftMarked).toEqual([]);
      expect((await serverSubjects(check, 'INBOX')).has(d)).toBe(false);
      expect(engine.state.view!.uids).not.toContain(d);
    });

    it('deleting to Trash leaves the other \\Deleted messages in the folder', async () => {
      const [a, b, c] = await folderWithTwoDeleted('INBOX');
      const result = await engine.request({ type: 'delete', uids: [c!] });
      expect(result.moved).toBe(true);
      await expectStillDeleted('INBOX', [a!, b!]);
      expect([...(await serverSubjects(check, 'Trash')).keys()].length).toBeGreaterThan(0);
      await engine.request({ type: 'expunge' });
    });

    it('expunging chosen UIDs leaves the other \\Deleted messages', async () => {
      const [a, b, c] = await folderWithTwoDeleted('INBOX');
      await engine.request({ type: 'set-flags', uids: [c!], add: [DELETED] });
      const result = await engine.request({ type: 'expunge', uids: [c!] });
      await expectStillDeleted('INBOX', [a!, b!]);
      if (noUidplus) expect(result.leftMarked).toEqual([c]);
      else expect((await serverSubjects(check, 'INBOX')).has(c!)).toBe(false);
      await engine.request({ type: 'expunge' });
    });

    it('tmail flag A,B --set deleted, then tmail move C: A and B stay', async () => {
      const [a, b, c] = await folderWithTwoDeleted('INBOX');
      await check.messageFlagsRemove([a!, b!], [DELETED], { uid: true });
      const env = testConfigEnv([testAccount(stack.info(), user)]);
      const flag = await runTmail(['flag', `${a},${b}`, '--set', 'deleted'], env);
      expect(flag.code).toBe(0);
      const move = await runTmail(['move', String(c), '--to', 'Archive'], env);
      expect(move.code).toBe(0);
      await expectStillDeleted('INBOX', [a!, b!]);
      if (noUidplus) {
        expect(move.stdout).toBe('');
        expect(move.stderr).toMatch(
          /^tmail: 1 message was copied to Archive but stays in INBOX marked deleted until the next expunge/,
        );
      } else {
        expect(move.stdout).toBe('Moved 1 message to Archive.\n');
      }
      await engine.request({ type: 'expunge' });
    });

    it("removing a sent draft leaves Drafts' other \\Deleted messages", async () => {
      // Open INBOX, so that the draft is removed in a folder that is not on screen.
      const [a, b, draft] = await folderWithTwoDeleted('Drafts');
      await engine.request({ type: 'open-folder', path: 'INBOX' });
      const result = await engine.request({
        type: 'remove-message',
        folder: 'Drafts',
        uid: draft!,
      });
      await expectStillDeleted('Drafts', [a!, b!]);
      if (noUidplus) {
        expect(result.removed).toBe(false);
        expect(result.warning).toMatch(/stays marked deleted until the next expunge/);
      } else {
        expect(result.removed).toBe(true);
        expect((await serverSubjects(check, 'Drafts')).has(draft!)).toBe(false);
      }
      // The same from the open Drafts folder.
      await engine.request({ type: 'open-folder', path: 'Drafts' });
      const other = [...(await serverSubjects(check, 'Drafts')).keys()].at(-1)!;
      await engine.request({ type: 'remove-message', folder: 'Drafts', uid: other });
      await expectStillDeleted('Drafts', [a!, b!]);
    });
  });
}

removalScenarios('a Dovecot without MOVE and UIDPLUS', ['MOVE', 'UIDPLUS']);
forEachServer((stack) => removalScenarios('removal', [], stack));
