/**
 * A server without SORT or THREAD=REFERENCES: the engine sorts and threads
 * on its side, over the envelopes it has fetched, and says so.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailEngine } from '../../src/core/engine/engine.js';
import { FakeBackend, FakeMailServer } from '../../src/core/engine/fake-backend.js';
import { fakeAccount } from './harness.js';

let engine: MailEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function engineWithout(capabilities: string[]): Promise<MailEngine> {
  const server = new FakeMailServer();
  for (const name of capabilities) server.capabilities.delete(name);
  server.deliver('INBOX', [
    { subject: 'Budget', messageId: '<budget@x>' },
    { subject: 'Agenda', messageId: '<agenda@x>' },
    { subject: 'Re: Budget', messageId: '<re1@x>', inReplyTo: '<budget@x>' },
    { subject: 'Coffee', messageId: '<coffee@x>' },
    { subject: 'Re: Agenda', messageId: '<re2@x>', inReplyTo: '<gone@x>' },
  ]);
  const e = new MailEngine({
    account: fakeAccount(),
    backendFactory: async () => new FakeBackend(server),
    pendingFile: join(mkdtempSync(join(tmpdir(), 'tmail-order-')), 'pending.json'),
  });
  await e.start({ retry: false });
  await e.request({ type: 'open-folder', path: 'INBOX', rows: 10 });
  return e;
}

const subjects = (e: MailEngine) =>
  e.state.view!.uids.map((uid) => e.state.view!.envelopes.get(uid)!.subject);

describe('ordering on a server without SORT and THREAD', () => {
  it('sorts the messages it has seen by subject, and says it does so', async () => {
    engine = await engineWithout(['SORT']);
    await engine.request({
      type: 'open-folder',
      path: 'INBOX',
      rows: 10,
      sort: { key: 'subject', reverse: false },
    });
    expect(subjects(engine)).toEqual(['Agenda', 'Re: Agenda', 'Budget', 'Re: Budget', 'Coffee']);
    expect(engine.state.notice?.text).toBe(
      'This server cannot sort by subject; the messages loaded so far are sorted here, the rest follow by arrival.',
    );
  });

  it('threads them by In-Reply-To and by subject', async () => {
    engine = await engineWithout(['THREAD=REFERENCES']);
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: 10, threaded: true });
    const view = engine.state.view!;
    expect(subjects(engine)).toEqual(['Agenda', 'Re: Agenda', 'Coffee', 'Budget', 'Re: Budget']);
    expect(view.uids.map((uid) => view.depth?.get(uid))).toEqual([0, 1, 0, 0, 1]);
    expect(engine.state.notice?.text).toContain('threads are made here');
  });
});
