/**
 * Attachments against the real Dovecot: a message with binary attachment
 * bytes and a hostile file name is appended, fetched back and saved with
 * tmail's save functions; and a message with a 20 MB attachment is read the
 * partial way (BODYSTRUCTURE, then only the text part).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectImap } from '../../src/core/imap/connect.js';
import { toBodyPart } from '../../src/core/imap/translate.js';
import {
  attachmentFromSource,
  chooseTextParts,
  createTransferDecoder,
  isInside,
  messageFromParts,
  parseMessage,
  safeFileName,
  saveAttachmentStream,
} from '../../src/core/mime/index.js';
import { isTerminalSafe } from '../../src/core/text/sanitize.js';
import { testAccount, testCredentials } from '../support/accounts.js';
import { newTestUser, sharedMailStack, type TestUser } from '../support/stack.js';

const stack = sharedMailStack();
let user: TestUser;
let client: ImapFlow;
let dir: string;

beforeAll(async () => {
  user = await newTestUser(stack, 'attach');
  client = await connectImap({
    account: testAccount(stack, user),
    credentials: testCredentials(user),
  });
  dir = mkdtempSync(join(tmpdir(), 'tmail-attach-'));
});

afterAll(async () => {
  await client?.logout().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/(.{76})/g, '$1\r\n');
}

/** Appends a raw message to INBOX and returns its UID. */
async function append(raw: string): Promise<number> {
  const result = await client.append('INBOX', raw, ['\\Seen']);
  expect(result).toBeTruthy();
  return (result as { uid: number }).uid;
}

async function fetchOne(
  uid: number,
  query: Parameters<ImapFlow['fetchOne']>[1],
): Promise<FetchMessageObject> {
  const lock = await client.getMailboxLock('INBOX');
  try {
    const message = await client.fetchOne(String(uid), query, { uid: true });
    expect(message).toBeTruthy();
    return message as FetchMessageObject;
  } finally {
    lock.release();
  }
}

describe('saving an attachment fetched from Dovecot', () => {
  // Every byte value, then random bytes: nothing may be altered on the way.
  const payload = Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    randomBytes(300_000),
  ]);
  const hostileName = '../../\x1b]0;owned\x07inv\u202Efdp.exe';
  const encodedName = encodeURIComponent(hostileName).replace(/'/g, '%27');
  let uid: number;

  beforeAll(async () => {
    uid = await append(
      [
        `From: Alice <alice@example.test>`,
        `To: ${user.email}`,
        `Subject: binary attachment`,
        `Date: Tue, 02 Jan 2024 10:00:00 +0000`,
        `MIME-Version: 1.0`,
        `Content-Type: multipart/mixed; boundary="bin"`,
        ``,
        `--bin`,
        `Content-Type: text/plain; charset=utf-8`,
        ``,
        `The attachment holds every byte value.`,
        `--bin`,
        `Content-Type: application/octet-stream`,
        `Content-Disposition: attachment; filename*=utf-8''${encodedName}`,
        `Content-Transfer-Encoding: base64`,
        ``,
        base64Lines(payload),
        `--bin--`,
        ``,
      ].join('\r\n'),
    );
  });

  it('saves identical bytes under a safe name inside the folder, never overwriting', async () => {
    const message = await fetchOne(uid, { source: true });
    const source = message.source!;
    const view = await parseMessage(source, { uid });
    expect(view.text).toBe('The attachment holds every byte value.');
    const [attachment] = view.attachments;
    expect(attachment!.filename).toBe(hostileName);
    expect(attachment!.size).toBe(payload.length);

    const bytes = attachmentFromSource(source, attachment!.id);
    const first = await saveAttachmentStream(dir, attachment!.filename, Readable.from([bytes]));
    expect(sha256(readFileSync(first))).toBe(sha256(payload));
    expect(isInside(dir, first)).toBe(true);
    expect(basename(first)).toBe(safeFileName(hostileName));
    expect(basename(first)).toBe(']0;ownedinvfdp.exe');
    expect(isTerminalSafe(basename(first), { multiline: false })).toBe(true);

    const second = await saveAttachmentStream(dir, attachment!.filename, Readable.from([bytes]));
    expect(second).not.toBe(first);
    expect(basename(second)).toBe(']0;ownedinvfdp (1).exe');
    expect(sha256(readFileSync(first))).toBe(sha256(payload));
    expect(sha256(readFileSync(second))).toBe(sha256(payload));
    expect(readdirSync(dir).sort()).toEqual([basename(first), basename(second)].sort());
  });

  it('streams the raw part from the server through the transfer decoder', async () => {
    const structure = toBodyPart((await fetchOne(uid, { bodyStructure: true })).bodyStructure!);
    const part = structure.childNodes[1]!;
    expect(part.encoding).toBe('base64');
    const raw = (await fetchOne(uid, { bodyParts: [part.part] })).bodyParts!.get(part.part)!;
    const streamDir = mkdtempSync(join(dir, 'stream-'));
    const path = await saveAttachmentStream(
      streamDir,
      part.filename ?? 'attachment',
      Readable.from([raw]).pipe(createTransferDecoder(part.encoding)),
    );
    expect(sha256(readFileSync(path))).toBe(sha256(payload));
    expect(isInside(streamDir, path)).toBe(true);
  });
});

describe('reading a message with a 20 MB attachment by parts', () => {
  const big = randomBytes(20 * 1024 * 1024);
  let uid: number;

  beforeAll(async () => {
    uid = await append(
      [
        `From: Alice <alice@example.test>`,
        `To: ${user.email}`,
        `Subject: =?utf-8?q?the_big_one_=E2=9C=93?=`,
        `Date: Tue, 02 Jan 2024 10:00:00 +0000`,
        `MIME-Version: 1.0`,
        `Content-Type: multipart/mixed; boundary="big"`,
        ``,
        `--big`,
        `Content-Type: multipart/alternative; boundary="alt"`,
        ``,
        `--alt`,
        `Content-Type: text/plain; charset=iso-8859-1`,
        `Content-Transfer-Encoding: quoted-printable`,
        ``,
        `Gr=FC=DFe, the disk image is attached.`,
        `--alt`,
        `Content-Type: text/html; charset=utf-8`,
        ``,
        `<p>HTML version</p>`,
        `--alt--`,
        `--big`,
        `Content-Type: application/octet-stream; name="disk.img"`,
        `Content-Disposition: attachment; filename="disk.img"`,
        `Content-Transfer-Encoding: base64`,
        ``,
        base64Lines(big),
        `--big--`,
        ``,
      ].join('\r\n'),
    );
  });

  it('shows the text after fetching well under 1 MB', async () => {
    const first = await fetchOne(uid, { bodyStructure: true, headers: true });
    const structure = toBodyPart(first.bodyStructure!);
    const wanted = chooseTextParts(structure).map((p) => p.part);
    expect(wanted).toEqual(['1.1']);
    const second = await fetchOne(uid, { bodyParts: wanted });
    const parts = second.bodyParts!;
    const fetched = first.headers!.length + [...parts.values()].reduce((n, b) => n + b.length, 0);
    expect(fetched).toBeLessThan(1024 * 1024);

    const view = await messageFromParts({ uid, header: first.headers!, structure, parts });
    expect(view.subject).toBe('the big one ✓');
    expect(view.text).toBe('Grüße, the disk image is attached.');
    expect(view.attachments.map((a) => [a.id, a.filename, a.contentType])).toEqual([
      ['2', 'disk.img', 'application/octet-stream'],
    ]);
    expect(view.attachments[0]!.size).toBeGreaterThan(20_000_000);
    expect(view.notes).toEqual([]);
  });
});
