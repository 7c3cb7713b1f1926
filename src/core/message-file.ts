/**
 * Messages as files: `:save PATH` writes one message as it came from the
 * server (an `.eml` file), or appends to an mbox. An mbox is an existing file
 * that starts with a `From ` line, or any path whose name ends in `.mbox`;
 * several messages at once always go as an mbox, since one `.eml` holds one
 * message. The mbox flavour is mboxrd: every body line that starts with
 * `From ` after any number of `>` gets one more `>`, so that reading it back
 * is exact. Nothing here overwrites: the caller asks first and passes
 * `overwrite`. An mbox is appended to under its dot-lock (`PATH.lock`), the
 * lock mutt, procmail and the local delivery agents take, so that a message
 * delivered or saved by another program at the same moment is not mixed with
 * ours.
 */
import { open, stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { TmailError } from './errors.js';
import { fileError } from './fs-errors.js';

/** How a path will be written. */
export interface SaveTarget {
  /** `mbox`: appended to with From lines; `eml`: the raw message alone. */
  format: 'eml' | 'mbox';
  /** A file that is not an mbox is there already: writing replaces it (ask first). */
  replaces: boolean;
}

/** True for a name that says mbox. */
function mboxName(path: string): boolean {
  return /\.mbox$/i.test(basename(path));
}

/**
 * Decides how `path` is written for `count` messages: appended to when it is
 * an mbox (see the module comment), else a new file, or one that replaces an
 * existing file. A folder or an unreadable path is a TmailError.
 */
export async function saveTarget(path: string, count: number): Promise<SaveTarget> {
  let size: number | null = null;
  try {
    const info = await stat(path);
    if (info.isDirectory())
      throw new TmailError('FILE_ERROR', `${path} is a folder; give a file name to save to.`);
    size = info.size;
  } catch (error) {
    if (error instanceof TmailError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fileError(error, 'The message could not be saved', path);
  }
  if (size === null)
    return { format: count > 1 || mboxName(path) ? 'mbox' : 'eml', replaces: false };
  if (mboxName(path) || (size > 0 && (await startsWithFrom(path))))
    return { format: 'mbox', replaces: false };
  return { format: count > 1 ? 'mbox' : 'eml', replaces: true };
}

async function startsWithFrom(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return false;
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await file.read(head, 0, 5, 0);
    return head.subarray(0, bytesRead).toString('latin1') === 'From ';
  } finally {
    await file.close();
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date as asctime(3) writes it, in UTC: `Sat Dec  5 09:43:02 2026`. */
function asctime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  );
}

/** The value of the first header `name` in a raw header block (latin1 text), unfolded. */
function headerValue(head: string, name: string): string | null {
  const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return match ? match[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

/**
 * The envelope sender for the From line: Return-Path, else the address of
 * From, else MAILER-DAEMON. Only characters that cannot break the line are kept.
 */
function envelopeSender(head: string): string {
  for (const name of ['Return-Path', 'From']) {
    const value = headerValue(head, name);
    const address =
      value && (/<([^<>\s]+@[^<>\s]+)>/.exec(value)?.[1] ?? /\S+@\S+/.exec(value)?.[0]);
    if (address && /^[\x21-\x7e]+$/.test(address)) return address;
  }
  return 'MAILER-DAEMON';
}

/**
 * One message in mboxrd form: a From line, the message with LF line ends and
 * `>*From ` lines quoted, and the blank line that ends an mbox entry.
 */
export function mboxrdEntry(raw: Buffer, now = new Date()): Buffer {
  // latin1 maps bytes to characters one to one, so 8-bit bodies pass unchanged.
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const dateHeader = headerValue(head, 'Date');
  const parsed = dateHeader ? new Date(dateHeader) : null;
  const date = parsed && !Number.isNaN(parsed.getTime()) ? parsed : now;
  const body = text
    .replace(/\r\n?/g, '\n')
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (/^>*From /.test(line) ? `>${line}` : line))
    .join('\n');
  return Buffer.from(`From ${envelopeSender(head)} ${asctime(date)}\n${body}\n\n`, 'latin1');
}

/** Several messages as one mboxrd stream (what `:pipe` gives a command for tagged messages). */
export function mboxrd(raws: readonly Buffer[], now = new Date()): Buffer {
  return Buffer.concat(raws.map((raw) => mboxrdEntry(raw, now)));
}

/** How long an mbox's lock is waited for before saving gives up. */
export const MBOX_LOCK_WAIT_MS = 5_000;
/** A lock file older than this was left by a program that died (procmail waits 1024 s). */
export const MBOX_LOCK_STALE_MS = 5 * 60_000;

/**
 * Takes the dot-lock of the mbox at `path`: creates `PATH.lock` exclusively,
 * waiting while another program has it, and breaking a lock left for longer
 * than MBOX_LOCK_STALE_MS. Returns its release. In a folder where no lock can
 * be made (read-only to us), the mbox is written without one, as mutt does
 * without its setgid helper.
 */
async function lockMbox(path: string, waitMs: number): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const file = await open(lock, 'wx', 0o644);
      await file.writeFile(`${process.pid}\n`).finally(() => file.close());
      return () => unlink(lock).catch(() => {});
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return async () => {};
      if (code !== 'EEXIST') throw fileError(error, 'The message could not be saved', path);
    }
    const held = await stat(lock).catch(() => null);
    if (held && Date.now() - held.mtimeMs > MBOX_LOCK_STALE_MS) {
      await unlink(lock).catch(() => {});
      continue;
    }
    if (Date.now() > deadline)
      throw new TmailError(
        'FILE_ERROR',
        `${path} is locked by another program (${lock}); try again, or remove that file if nothing is writing to the mbox.`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Writes messages to `path` as `target` says: an `.eml` holds the one message
 * byte for byte; an mbox gets each message appended in mboxrd form (after a
 * blank line when the file does not end in one). New files are private
 * (0600). Without `overwrite`, an existing file is never replaced.
 */
export async function writeMessages(
  path: string,
  raws: readonly Buffer[],
  target: SaveTarget,
  options: { overwrite?: boolean; lockWaitMs?: number } = {},
): Promise<void> {
  if (target.replaces && !options.overwrite)
    throw new TmailError('FILE_ERROR', `${path} exists; it was left as it was.`);
  const append = target.format === 'mbox' && !target.replaces;
  const unlock = append
    ? await lockMbox(path, options.lockWaitMs ?? MBOX_LOCK_WAIT_MS)
    : async () => {};
  try {
    await writeLocked(path, raws, target, append, options);
  } finally {
    await unlock();
  }
}

async function writeLocked(
  path: string,
  raws: readonly Buffer[],
  target: SaveTarget,
  append: boolean,
  options: { overwrite?: boolean },
): Promise<void> {
  let file;
  try {
    file = await open(path, append ? 'a+' : options.overwrite ? 'w' : 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new TmailError('FILE_ERROR', `${path} appeared meanwhile; it was left as it was.`);
    throw fileError(error, 'The message could not be saved', path);
  }
  try {
    let data = target.format === 'eml' ? raws[0]! : mboxrd(raws);
    if (append) {
      const { size } = await file.stat();
      if (size > 0) {
        const tail = Buffer.alloc(2);
        const { bytesRead } = await file.read(tail, 0, 2, Math.max(0, size - 2));
        const end = tail.subarray(0, bytesRead).toString('latin1');
        const gap =
          end === '\n\n' || (size === 1 && end === '\n') ? '' : end.endsWith('\n') ? '\n' : '\n\n';
        data = Buffer.concat([Buffer.from(gap), data]);
      }
    }
    await file.writeFile(data);
  } catch (error) {
    throw fileError(error, 'The message could not be saved', path);
  } finally {
    await file.close();
  }
}
