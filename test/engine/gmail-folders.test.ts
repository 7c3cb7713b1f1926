/**
 * Gmail's folders, on a Dovecot laid out as Gmail is ([Gmail]/All Mail with
 * \All, [Gmail]/Trash, [Gmail]/Sent Mail, [Gmail]/Spam, [Gmail]/Starred, no
 * \Archive): the roles come from SPECIAL-USE; archiving removes the message
 * from INBOX without copying it to All Mail (Gmail keeps every message there
 * already); deleting moves it to [Gmail]/Trash.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checker, serverSubjects, testEngine, type EngineHarness } from '../support/engine.js';
import { startMailStack, type MailStack } from '../support/mail-stack.js';
import { seedOverImap } from '../support/seed.js';
import type { TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: MailStack;
let user: TestUser;
let harness: EngineHarness;
let server: ImapFlow;

beforeAll(async () => {
  stack = await startMailStack({ users: [], gmailFolders: true });
  user = await stack.addUser('gmailer');
  server = await checker(stack.info(), user);
  await seedOverImap(server, 'INBOX', 3, { to: user.email });
  harness = testEngine(stack.info(), user);
  await harness.engine.start({ retry: true });
  await waitFor(() => harness.engine.state.connection.status === 'online', { what: 'online' });
  await harness.engine.request({ type: 'refresh-folders' });
  await harness.engine.request({ type: 'open-folder', path: 'INBOX' });
});

afterAll(async () => {
  await server?.logout();
  await harness?.engine.close();
  await stack?.stop();
});

describe("Gmail's special folders", () => {
  it('are found by SPECIAL-USE', () => {
    const roles = Object.fromEntries(
      harness.engine.state.folders.filter((f) => f.role).map((f) => [f.role, f.path]),
    );
    expect(roles).toMatchObject({
      all: '[Gmail]/All Mail',
      trash: '[Gmail]/Trash',
      sent: '[Gmail]/Sent Mail',
      junk: '[Gmail]/Spam',
      drafts: '[Gmail]/Drafts',
    });
    expect(roles.archive).toBeUndefined();
  });

  it('archiving removes the message from INBOX and copies nothing to All Mail', async () => {
    const before = await serverSubjects(server, 'INBOX');
    const [first] = [...before.keys()];
    const outcome = await harness.engine.request({ type: 'archive', uids: [first!] });
    expect(outcome).toMatchObject({ to: '[Gmail]/All Mail', done: [first], notFound: [] });
    const after = await serverSubjects(server, 'INBOX');
    expect([...after.keys()]).toEqual([...before.keys()].slice(1));
    expect((await serverSubjects(server, '[Gmail]/All Mail')).size).toBe(0);
    expect(harness.engine.state.view!.total).toBe(2);
  });

  it('deleting moves the message to [Gmail]/Trash', async () => {
    const before = await serverSubjects(server, 'INBOX');
    const [uid, subject] = [...before.entries()][0]!;
    await harness.engine.request({ type: 'delete', uids: [uid] });
    expect([...(await serverSubjects(server, '[Gmail]/Trash')).values()]).toEqual([subject]);
    expect((await serverSubjects(server, 'INBOX')).has(uid)).toBe(false);
  });
});
