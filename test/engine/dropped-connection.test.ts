/**
 * Dropped and stalled connections against the real Dovecot, through a proxy
 * that cuts, resets or stalls the connection after a chosen command
 * (test/support/fault-proxy.ts): saving an attachment that is cut mid-transfer,
 * a move whose reply never arrives, and one sentence per cause.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { checker, serverSubjects, testEngine, type EngineHarness } from '../support/engine.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
let user: TestUser;
let check: ImapFlow;
let proxy: FaultProxy;
let attachmentUid: number;
const harnesses: EngineHarness[] = [];

/** A message with a 3 MB attachment: large enough to be cut in the middle. */
function messageWithAttachment(): string {
  const payload = randomBytes(3 * 1024 * 1024)
    .toString('base64')
    .replace(/(.{76})/g, '$1\r\n');
  return [
    `From: Sender <sender@example.test>`,
    `To: ${user.email}`,
    'Subject: Big attachment',
    'Message-ID: <big-attachment@example.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'See the file.',
    '--b',
    'Content-Type: application/octet-stream; name="report.bin"',
    'Content-Disposition: attachment; filename="report.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    payload,
    '--b--',
    '',
  ].join('\r\n');
}

/** An engine on the proxy, online, with INBOX open. */
async function engineViaProxy(timeout?: number): Promise<EngineHarness> {
  const harness = testEngine(stack.info(), user, {
    imap: { host: proxy.host, port: proxy.port, security: 'plain' },
    ...(timeout === undefined ? {} : { timeout }),
  });
  harnesses.push(harness);
  await harness.engine.start({ retry: true });
  await waitFor(() => harness.engine.state.connection.status === 'online', { what: 'online' });
  await harness.engine.request({ type: 'open-folder', path: 'INBOX' });
  return harness;
}

function cliEnv(timeout?: number): Record<string, string> {
  return testConfigEnv([
    testAccount(stack.info(), user, {
      imap: { host: proxy.host, port: proxy.port, security: 'plain' },
      ...(timeout === undefined ? {} : { timeout }),
    }),
  ]);
}

beforeAll(async () => {
  user = await newTestUser(stack, 'drop');
  check = await checker(stack.info(), user);
  const appended = await check.append('INBOX', messageWithAttachment(), ['\\Seen']);
  attachmentUid = (appended as { uid: number }).uid;
  for (let i = 1; i <= 6; i++) {
    await check.append(
      'INBOX',
      `From: a@example.test\r\nTo: ${user.email}\r\nSubject: Note ${i}\r\nMessage-ID: <note-${i}@example.test>\r\n\r\nBody ${i}\r\n`,
    );
  }
  proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
});

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.engine.close()));
});

afterAll(async () => {
  await check?.logout().catch(() => {});
  await proxy?.close();
});

describe('saving an attachment when the connection is cut mid-transfer', () => {
  it('the engine reports one sentence, leaves no partial file, and stays usable', async () => {
    const { engine } = await engineViaProxy();
    const dir = mkdtempSync(join(tmpdir(), 'tmail-drop-save-'));
    proxy.arm({ match: /FETCH .*BODY\.PEEK\[2\]/i, fault: 'cut', at: { replyBytes: 200_000 } });
    const result = await engine.dispatch({
      type: 'save-attachment',
      uid: attachmentUid,
      attachmentId: '2',
      dir,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('CONNECTION_LOST');
    expect(result.error.userMessage).toMatch(
      /^The connection to the IMAP server 127\.0\.0\.1:\d+ was lost: the server closed it\.$/,
    );
    expect(readdirSync(dir)).toEqual([]);
    // The engine reconnects by itself and the save then works.
    await waitFor(() => engine.state.connection.status === 'online', { what: 'back online' });
    const saved = await engine.request({
      type: 'save-attachment',
      uid: attachmentUid,
      attachmentId: '2',
      dir,
    });
    expect(readdirSync(dir)).toEqual(['report.bin']);
    expect(saved).toBe(join(dir, 'report.bin'));
  });

  it('tmail read --save-attachments exits 1 with one sentence and no stack, and keeps no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-drop-cli-'));
    proxy.arm({ match: /FETCH .*BODY\.PEEK\[2\]/i, fault: 'cut', at: { replyBytes: 200_000 } });
    const result = await runTmail(
      ['read', String(attachmentUid), '--save-attachments', dir],
      cliEnv(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^tmail: The connection to the IMAP server 127\.0\.0\.1:\d+ was lost: the server closed it\.$/m,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('waits on the server have a limit', () => {
  it('a frozen server makes a command fail after the timeout, shows the connection lost, and reconnects', async () => {
    const { engine } = await engineViaProxy(2);
    proxy.freeze();
    try {
      const result = await engine.dispatch({ type: 'refresh-folders' });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('TIMEOUT');
      expect(result.error.userMessage).toMatch(
        /^The IMAP server 127\.0\.0\.1:\d+ did not answer within 2 s; tmail closed the connection/,
      );
      await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
      const state = engine.state.connection;
      expect(state.status === 'offline' && state.reason).toMatch(/did not answer within 2 s/);
    } finally {
      proxy.thaw();
    }
    await waitFor(() => engine.state.connection.status === 'online', { what: 'back online' });
  });

  it('an attachment download that stalls is given up after the timeout, leaving no file', async () => {
    const { engine } = await engineViaProxy(2);
    const dir = mkdtempSync(join(tmpdir(), 'tmail-stall-save-'));
    proxy.arm({ match: /FETCH .*BODY\.PEEK\[2\]/i, fault: 'stall', at: { replyBytes: 100_000 } });
    const result = await engine.dispatch({
      type: 'save-attachment',
      uid: attachmentUid,
      attachmentId: '2',
      dir,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('TIMEOUT');
    expect(result.error.userMessage).toMatch(/did not answer within 2 s/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a move whose answer is lost', () => {
  it('is not reported as refused; once back, tmail says what moved and u undoes it', async () => {
    const { engine } = await engineViaProxy();
    const subjects = await serverSubjects(check, 'INBOX');
    const uids = [...subjects].filter(([, s]) => s === 'Note 1' || s === 'Note 2').map(([u]) => u);
    expect(uids).toHaveLength(2);
    proxy.arm({ match: /UID MOVE/i, fault: 'cut', at: 'reply' });
    const result = await engine.dispatch({ type: 'move', uids, to: 'Archive' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('CONNECTION_LOST');
    expect(result.error.userMessage).not.toMatch(/refused/);
    expect(result.error.userMessage).toMatch(
      /the server closed it, during the move; tmail will check on the server what moved once it is back\.$/,
    );
    await waitFor(
      () => engine.state.notice?.text.includes('the server had moved the 2 messages to Archive'),
      { what: 'the notice of what moved' },
    );
    expect(engine.state.notice!.text).toBe(
      'The connection was lost, but the server had moved the 2 messages to Archive; u undoes.',
    );
    expect([...(await serverSubjects(check, 'Archive')).values()]).toEqual(
      expect.arrayContaining(['Note 1', 'Note 2']),
    );
    await waitFor(() => !engine.state.view?.uids.some((uid) => uids.includes(uid)), {
      what: 'the moved messages gone from the list',
    });
    const undone = await engine.request({ type: 'undo' });
    expect(undone).toEqual({ label: 'move' });
    const inbox = [...(await serverSubjects(check, 'INBOX')).values()];
    expect(inbox).toEqual(expect.arrayContaining(['Note 1', 'Note 2']));
    expect([...(await serverSubjects(check, 'Archive')).values()]).not.toContain('Note 1');
  });

  it('a move cut before it reached the server is reported as not done', async () => {
    const { engine } = await engineViaProxy();
    const subjects = await serverSubjects(check, 'INBOX');
    const uid = [...subjects].find(([, s]) => s === 'Note 3')![0];
    proxy.arm({ match: /UID MOVE/i, fault: 'reset', at: 'command' });
    const result = await engine.dispatch({ type: 'move', uids: [uid], to: 'Archive' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.userMessage).toMatch(
      /^The connection to the IMAP server 127\.0\.0\.1:\d+ was lost: it was reset \(by the server or the network\), during the move;/,
    );
    await waitFor(() => engine.state.notice?.text.startsWith('The connection was lost before'), {
      what: 'the notice',
    });
    expect(engine.state.notice!.text).toBe(
      'The connection was lost before the server moved the message; it is still in INBOX.',
    );
    expect([...(await serverSubjects(check, 'INBOX')).values()]).toContain('Note 3');
  });

  it('a move the server refuses (NO) still says refused', async () => {
    const { engine } = await engineViaProxy();
    const result = await engine.dispatch({ type: 'move', uids: [attachmentUid], to: 'No such' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('SERVER_NO');
    expect(result.error.userMessage).toMatch(/^The IMAP server refused to move to No such/);
  });
});

describe('tmail move when the answer is lost', () => {
  it('exits 1 saying the outcome is unknown, not that the server refused', async () => {
    const subjects = await serverSubjects(check, 'INBOX');
    const uid = [...subjects].find(([, s]) => s === 'Note 4')![0];
    proxy.arm({ match: /UID MOVE/i, fault: 'cut', at: 'reply' });
    const result = await runTmail(['move', String(uid), '--to', 'Archive'], cliEnv());
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /was lost: the server closed it, during the move; the server may have carried it out: look with tmail list Archive\./,
    );
  });
});
