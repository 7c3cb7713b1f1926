/**
 * `tmail read` on a message with a 20 MB attachment shows the text and lists
 * the attachment while the server sends under 1 MB: the body structure first,
 * then only the text part. Measured by Dovecot itself (bytes sent in the
 * session, from its logout line), not by tmail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { runTmail } from '../support/cli.js';
import { sessionTraffic } from '../support/dovecot-log.js';
import { checker } from '../support/engine.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const stack = sharedMailStack();
const ATTACHMENT_BYTES = 20 * 1024 * 1024;
const attachment = randomBytes(ATTACHMENT_BYTES);
let user: TestUser;
let env: Record<string, string>;

beforeAll(async () => {
  user = await newTestUser(stack, 'bigmail');
  const client = await checker(stack.info(), user);
  const raw = Buffer.concat([
    Buffer.from(
      [
        'From: Ada <ada@analytical.example>',
        `To: ${user.email}`,
        'Subject: The whole data set',
        'Message-ID: <big-1@example.test>',
        'Content-Type: multipart/mixed; boundary="big"',
        '',
        '--big',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The data set is attached; the summary is in this message.',
        '--big',
        'Content-Type: application/octet-stream; name="dataset.bin"',
        'Content-Disposition: attachment; filename="dataset.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        '',
      ].join('\r\n'),
    ),
    Buffer.from(attachment.toString('base64').replace(/.{76}/g, '$&\r\n')),
    Buffer.from('\r\n--big--\r\n'),
  ]);
  await client.append('INBOX', raw);
  await client.logout();
  env = testConfigEnv([testAccount(stack.info(), user)]);
}, 120_000);

function lastSession() {
  return waitFor(() => sessionTraffic(stack.info(), user.name).at(-1), { what: 'the logout line' });
}

describe('a message with a 20 MB attachment', () => {
  it('is read fetching under 1 MB', async () => {
    const before = sessionTraffic(stack.info(), user.name).length;
    const result = await runTmail(['read', '1'], env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('The data set is attached; the summary is in this message.');
    expect(result.stdout).toMatch(/dataset\.bin.*application\/octet-stream.*20(\.\d)? MB/);
    await waitFor(() => sessionTraffic(stack.info(), user.name).length > before, {
      what: 'the session to end',
    });
    const session = await lastSession();
    expect(session.out).toBeLessThan(1024 * 1024);
    console.info(`tmail read of a 20 MB message: the server sent ${session.out} bytes`);
  });

  it('saves the attachment byte for byte when asked, streamed to disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-big-'));
    const result = await runTmail(['read', '1', '--save-attachments', dir, '--json'], env);
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['dataset.bin']);
    const saved = readFileSync(join(dir, 'dataset.bin'));
    expect(createHash('sha256').update(saved).digest('hex')).toBe(
      createHash('sha256').update(attachment).digest('hex'),
    );
  });
});
