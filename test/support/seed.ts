/**
 * Realistic mail for tests, benchmarks and the demo: plain, HTML,
 * multipart/alternative, attachments, non-UTF-8 charsets, RFC 2047 subjects,
 * threads with References, dates spread over two years, and a mix of flags.
 *
 * Small mailboxes go in over IMAP APPEND; large ones are written straight into
 * the Maildir and indexed by Dovecot, which loads 100,000 messages in well
 * under a minute.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { MailStackInfo } from './mail-stack.js';
import { passwordOf, serverInfo, TEST_DOMAIN } from './mail-stack.js';
import { courierMaildir } from './other-servers.js';

const run = promisify(execFile);

/** One generated message: its source and the flags it should carry. */
export interface SeedMessage {
  raw: string;
  flags: string[];
  /** Arrival time, ms since the epoch. */
  date: number;
  /** The subject as a reader shows it (decoded). */
  subject: string;
  messageId: string;
  /** Words the decoded body shows (the start of the text, or the legacy-charset sentence). */
  text: string;
}

/** A small deterministic PRNG (mulberry32), so a seed always gives the same mailbox. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = [
  ['Ada Lovelace', 'ada@analytical.example'],
  ['Grace Hopper', 'grace@navy.example'],
  ['Linus Torvalds', 'linus@kernel.example'],
  ['Margaret Hamilton', 'margaret@apollo.example'],
  ['Ken Thompson', 'ken@bell.example'],
  ['Barbara Liskov', 'barbara@mit.example'],
  ['Дмитрий Иванов', 'dmitri@yandex.example'],
  ['山田 太郎', 'taro@example.jp'],
  ['José Núñez', 'jose@correo.example'],
  ['Build Bot', 'ci@builds.example'],
  ['Newsletter', 'news@letters.example'],
  ['Frances Allen', 'frances@ibm.example'],
] as const;

const TOPICS = [
  'Quarterly report',
  'Lunch on Friday?',
  'Release 2.4 checklist',
  'Invoice #4471',
  'Re-org of the storage team',
  'Flight itinerary',
  'Your build failed',
  'Weekly newsletter',
  'Design review notes',
  'Conference talk proposal',
  'Server maintenance window',
  'Photos from the trip',
];

const WORDS =
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
    ' ',
  );

/** Non-UTF-8 bodies, already encoded (base64 of the charset's bytes). */
const LEGACY_BODIES: Array<{ charset: string; base64: string; text: string }> = [
  {
    charset: 'koi8-r',
    base64: '8NLJ18XULCDLwcsgxMXMwT8g99PU0sXewSDXINDR1M7Jw9Uu',
    text: 'Привет, как дела? Встреча в пятницу.',
  },
  {
    charset: 'shift_jis',
    base64: 'ie+LY4LMi2OOlphegvCRl4LogtyCt4FCguaC64K1gq2CqIrogqKCtYLcgreBQg==',
    text: '会議の議事録を送ります。よろしくお願いします。',
  },
  {
    charset: 'gb18030',
    base64: 'z+7Ev734tsixqLjmo7qxvtbczeqzycHLsuLK1KGj',
    text: '项目进度报告：本周完成了测试。',
  },
  {
    charset: 'iso-8859-1',
    base64: 'Q2Fm6SBjcuhtZSDgIGxhIGZyYW7nYWlzZSwgZOlq4CB2dS4=',
    text: 'Café crème à la française, déjà vu.',
  },
  {
    charset: 'windows-1252',
    base64: 'U21hcnQgk3F1b3Rlc5QgYW5kIHRoZSCAIHNpZ24glyBuYe92ZS4=',
    text: 'Smart “quotes” and the € sign — naïve.',
  },
];

function encodedWord(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function headerName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? `"${name}"` : encodedWord(name);
}

function wrap76(base64: string): string {
  return base64.replace(/.{1,76}/g, '$&\r\n');
}

export interface GenerateOptions {
  /** Address the mail is to. */
  to: string;
  /** First arrival time; messages follow at even steps up to `end`. */
  start?: number;
  end?: number;
  seed?: number;
  /** Share of messages with an attachment (0..1). */
  attachmentShare?: number;
}

/** Generates message `index` of a mailbox (deterministic for a seed). */
export function generateMessage(
  index: number,
  total: number,
  options: GenerateOptions,
): SeedMessage {
  const rand = random((options.seed ?? 1) * 1_000_003 + index);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const end = options.end ?? Date.UTC(2026, 10, 1);
  const start = options.start ?? end - 2 * 365 * 24 * 3600_000;
  const date = Math.floor(start + ((end - start) * (index + 1)) / (total + 1));
  const [fromName, fromAddress] = pick(PEOPLE);
  const topic = pick(TOPICS);
  const threadRoot = Math.floor(index / 4) * 4;
  const inThread = index % 4 !== 0 && rand() < 0.5;
  const subject = `${inThread ? 'Re: ' : ''}${topic} (${threadRoot + 1})`;
  const messageId = `<seed-${options.seed ?? 1}-${index}@${TEST_DOMAIN}>`;
  const words = Array.from({ length: 40 + Math.floor(rand() * 160) }, () => pick(WORDS));
  const paragraphs: string[] = [];
  for (let i = 0; i < words.length; i += 40) {
    const line = words.slice(i, i + 40).join(' ');
    paragraphs.push(line.charAt(0).toUpperCase() + line.slice(1) + '.');
  }
  // Wrapping at a paragraph's CR left its LF bare; servers such as Cyrus refuse
  // bare LFs, so every line ends in CRLF.
  const plain = `Hello,\r\n\r\n${paragraphs
    .join('\r\n\r\n')
    .replace(/(.{1,72})(\s|$)/g, '$1\r\n')
    .replace(/\r?\n/g, '\r\n')}\r\nRegards,\r\n${fromName}\r\n`;

  const kind = rand();
  // Some subjects carry non-ASCII words, sent as RFC 2047 encoded words.
  const shownSubject =
    kind < 0.15 ? `${subject} — ✓ ${pick(['résumé', 'naïve', '日本語', 'Привет'])}` : subject;
  const encodedSubject = shownSubject === subject ? subject : encodedWord(shownSubject);
  const headers = [
    `Return-Path: <${fromAddress}>`,
    `From: ${headerName(fromName)} <${fromAddress}>`,
    `To: ${options.to}`,
    `Subject: ${encodedSubject}`,
    `Date: ${new Date(date).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
  ];
  if (inThread) {
    const parent = `<seed-${options.seed ?? 1}-${threadRoot}@${TEST_DOMAIN}>`;
    headers.push(`In-Reply-To: ${parent}`, `References: ${parent}`);
  }

  let body: string;
  let shown = 'Hello,';
  const boundary = `b${index}x${Math.floor(rand() * 1e9)}`;
  const withAttachment = rand() < (options.attachmentShare ?? 0.1);
  const html = `<html><body><p>Hello,</p>${paragraphs.map((p) => `<p>${p}</p>`).join('')}<p>See <a href="https://example.com/item/${index}">the details</a>.</p></body></html>`;
  if (kind < 0.45) {
    body = `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${plain}`;
  } else if (kind < 0.55) {
    const legacy = pick(LEGACY_BODIES);
    shown = legacy.text;
    body = `Content-Type: text/plain; charset=${legacy.charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap76(legacy.base64)}`;
  } else if (kind < 0.65) {
    body = `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n`;
  } else {
    body =
      `Content-Type: multipart/alternative; boundary="${boundary}a"\r\n\r\n` +
      `--${boundary}a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${plain.replace(/=/g, '=3D')}\r\n` +
      `--${boundary}a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n` +
      `--${boundary}a--\r\n`;
  }
  if (withAttachment) {
    const bytes = Buffer.alloc(512 + Math.floor(rand() * 4096));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
    const name = pick(['report.pdf', 'photo.jpg', 'données.csv', 'notes.txt']);
    const type = name.endsWith('.pdf')
      ? 'application/pdf'
      : name.endsWith('.jpg')
        ? 'image/jpeg'
        : name.endsWith('.csv')
          ? 'text/csv'
          : 'text/plain';
    const inner = body;
    body =
      `Content-Type: multipart/mixed; boundary="${boundary}m"\r\n\r\n` +
      `--${boundary}m\r\n${inner}\r\n` +
      `--${boundary}m\r\nContent-Type: ${type}; name*=utf-8''${encodeURIComponent(name)}\r\nContent-Disposition: attachment; filename*=utf-8''${encodeURIComponent(name)}\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap76(bytes.toString('base64'))}` +
      `--${boundary}m--\r\n`;
  }

  const flags: string[] = [];
  const age = (total - index) / total;
  if (rand() < (age < 0.02 ? 0.3 : 0.9)) flags.push('\\Seen');
  if (rand() < 0.05) flags.push('\\Flagged');
  if (rand() < 0.1) flags.push('\\Answered');
  return {
    raw: `${headers.join('\r\n')}\r\n${body}`,
    flags,
    date,
    subject: shownSubject,
    messageId,
    text: shown,
  };
}

const MAILDIR_FLAGS: Record<string, string> = {
  '\\Draft': 'D',
  '\\Flagged': 'F',
  '\\Answered': 'R',
  '\\Seen': 'S',
  '\\Deleted': 'T',
};

/**
 * Writes `count` messages straight into a user's Maildir folder and has Dovecot
 * index them. UIDs follow the file names' timestamps, so they follow the dates.
 *
 * On Courier the files go into the user's Maildir too (Courier numbers them in
 * name order when the folder is next opened); Cyrus keeps its own store, so
 * there the messages are appended over IMAP. `folder` is written with `/`
 * between levels on every server.
 */
export async function seedMaildir(
  stack: MailStackInfo,
  user: string,
  count: number,
  options: Partial<GenerateOptions> & { folder?: string; onProgress?: (done: number) => void } = {},
): Promise<SeedMessage[] | undefined> {
  const folder = options.folder ?? 'INBOX';
  const kind = serverInfo(stack).kind;
  if (kind === 'cyrus') return seedCyrus(stack, user, count, folder, options);
  const home =
    kind === 'courier'
      ? courierMaildir(stack.courier!, user)
      : join(stack.dir, 'mail', user, 'Maildir');
  const base = join(home, folder === 'INBOX' ? '' : `.${folder.replace(/\//g, '.')}`);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(base, sub), { recursive: true });
  const to = options.to ?? `${user}@${TEST_DOMAIN}`;
  const keep = count <= 5000;
  const kept: SeedMessage[] = [];
  for (let i = 0; i < count; i++) {
    const message = generateMessage(i, count, { ...options, to });
    const raw = Buffer.from(message.raw, 'utf8');
    const flags = message.flags
      .map((f) => MAILDIR_FLAGS[f] ?? '')
      .sort()
      .join('');
    const seconds = Math.floor(message.date / 1000);
    const name = `${seconds}.M${String(i).padStart(7, '0')}P${process.pid}.seed,S=${raw.length}:2,${flags}`;
    writeFileSync(join(base, 'cur', name), raw);
    if (keep) kept.push(message);
    if (options.onProgress && i % 5000 === 4999) options.onProgress(i + 1);
  }
  if (kind === 'courier') {
    const owner = `${stack.courier!.uid}:${stack.courier!.gid}`;
    await run('chown', ['-R', owner, home]);
    if (folder !== 'INBOX') writeFileSync(join(base, 'maildirfolder'), '');
    return keep ? kept : undefined;
  }
  await run('chown', ['-R', 'mail:mail', join(stack.dir, 'mail', user)]);
  const doveadm = ['/usr/bin/doveadm', '-c', stack.dovecotConfig];
  await run(doveadm[0]!, [...doveadm.slice(1), 'force-resync', '-u', user, folder]);
  await run(doveadm[0]!, [...doveadm.slice(1), 'index', '-u', user, folder], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return keep ? kept : undefined;
}

/** Cyrus keeps no Maildir: the generated messages go in over IMAP, oldest first. */
async function seedCyrus(
  stack: MailStackInfo,
  user: string,
  count: number,
  folder: string,
  options: Partial<GenerateOptions> & { onProgress?: (done: number) => void },
): Promise<SeedMessage[] | undefined> {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: passwordOf(user) },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    if (folder !== 'INBOX') await client.mailboxCreate(folder).catch(() => {});
    const to = options.to ?? `${user}@${TEST_DOMAIN}`;
    const keep = count <= 5000;
    const kept: SeedMessage[] = [];
    for (let i = 0; i < count; i++) {
      const message = generateMessage(i, count, { ...options, to });
      await client.append(folder, message.raw, message.flags, new Date(message.date));
      if (keep) kept.push(message);
      if (options.onProgress && i % 5000 === 4999) options.onProgress(i + 1);
    }
    return keep ? kept : undefined;
  } finally {
    await client.logout().catch(() => {});
  }
}

/** Something that can append, such as an imapflow client. */
export interface Appender {
  append(path: string, content: string | Buffer, flags?: string[], idate?: Date): Promise<unknown>;
}

/** Appends `count` generated messages over IMAP (for small mailboxes). */
export async function seedOverImap(
  client: Appender,
  folder: string,
  count: number,
  options: GenerateOptions,
): Promise<SeedMessage[]> {
  const messages: SeedMessage[] = [];
  for (let i = 0; i < count; i++) {
    const message = generateMessage(i, count, options);
    await client.append(folder, message.raw, message.flags, new Date(message.date));
    messages.push(message);
  }
  return messages;
}
