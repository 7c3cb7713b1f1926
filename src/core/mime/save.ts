/**
 * Saving attachments without trusting their names: a file name from a message
 * may be `../../.bashrc`, `/etc/passwd`, `C:\x`, carry control or bidi
 * characters, or be 10,000 characters long. Files are streamed to a hidden
 * temporary name created exclusively (never following a symlink planted
 * there), removed again when writing fails, and linked to their real name
 * only once complete, never overwriting anything.
 */
import { constants } from 'node:fs';
import { link, mkdtemp, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TmailError } from '../errors.js';
import { randomHex } from '../random-id.js';
import { sanitizeLine } from '../text/sanitize.js';
import { graphemes } from '../text/width.js';

/** Longest file name written, in UTF-8 bytes; leaves room for ` (999)` under the usual 255. */
const MAX_NAME_BYTES = 200;
const MAX_EXTENSION_BYTES = 20;
const MAX_COPIES = 10_000;

/** Names Windows reserves (and so do SMB shares and some sync tools). */
const RESERVED = /^(?:con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)(?:\.|$)/i;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `bytes` UTF-8 bytes without splitting a grapheme. */
function cutToBytes(text: string, bytes: number): string {
  if (utf8Length(text) <= bytes) return text;
  let out = '';
  let used = 0;
  for (const g of graphemes(text)) {
    const size = utf8Length(g);
    if (used + size > bytes) break;
    out += g;
    used += size;
  }
  return out;
}

function cleanName(name: string): string {
  // Only the last path segment counts, whichever separator the sender's system used.
  const last = name.split(/[/\\]/).pop() ?? '';
  return (
    sanitizeLine(last.normalize('NFC'))
      // Control pictures and replacement characters from the sanitiser say nothing in a file name.
      .replace(/[\u2400-\u2421\ufffd]/g, '')
      // Drive letters, NTFS streams and shell-hostile characters.
      .replace(/[<>:"|?*]/g, '_')
      .replace(/\.{2,}/g, '.')
      .replace(/\s+/g, ' ')
      // No hidden files, no names Windows would silently trim.
      .replace(/^[\s.]+|[\s.]+$/g, '')
  );
}

/**
 * A file name safe to create in a directory of the user's choosing: only the
 * last path segment of `name`, without control, bidi or invisible
 * characters, path separators, `..`, leading dots, reserved device names or
 * characters Windows forbids; at most 200 UTF-8 bytes, the extension kept.
 * Never empty: falls back to `fallback` (made safe the same way), then to
 * `attachment`.
 */
export function safeFileName(name: string, fallback = 'attachment'): string {
  let clean = cleanName(name);
  if (!clean) clean = cleanName(fallback);
  if (!clean) clean = 'attachment';
  if (RESERVED.test(clean)) clean = `_${clean}`;
  if (utf8Length(clean) > MAX_NAME_BYTES) {
    const ext = extname(clean);
    const keepExt = ext && utf8Length(ext) <= MAX_EXTENSION_BYTES ? ext : '';
    const stem = clean.slice(0, clean.length - keepExt.length);
    clean = cutToBytes(stem, MAX_NAME_BYTES - utf8Length(keepExt)).replace(/[\s.]+$/, '') + keepExt;
  }
  return clean || 'attachment';
}

/** `name (n).ext` for the n-th copy. */
function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext && ext !== name ? ext : ''}`;
}

/** Content to save: a stream, any async iterable of bytes, or a whole buffer. */
export type AttachmentContent = Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** Options of {@link saveAttachmentStream}. */
export interface SaveOptions {
  /** File mode of the new file; default 0o600 (mail is private). */
  mode?: number;
  signal?: AbortSignal;
}

async function openExclusive(
  dir: string,
  name: string,
  mode: number,
): Promise<{ path: string; handle: FileHandle }> {
  for (let n = 0; n < MAX_COPIES; n++) {
    const candidate = numbered(name, n);
    const path = resolve(dir, candidate);
    // safeFileName makes this impossible; check anyway, it is the one rule that matters.
    if (dirname(path) !== dir || basename(path) !== candidate) {
      throw new TmailError('FILE_ERROR', 'The attachment name would leave the chosen folder.');
    }
    try {
      // O_EXCL: never overwrite, and fail on a symlink planted at the name.
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
      return { path, handle: await open(path, flags, mode) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw fileError(error, dir);
    }
  }
  throw new TmailError('FILE_ERROR', `Too many files named like ${name} exist in ${dir}.`);
}

function fileError(error: unknown, dir: string): TmailError {
  if (error instanceof TmailError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ABORT_ERR' || (error as Error).name === 'AbortError') {
    return new TmailError('CANCELLED', undefined, { cause: error });
  }
  const reason =
    code === 'ENOENT'
      ? 'the folder does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ENOTDIR'
            ? 'it is not a folder'
            : 'the file could not be written';
  return new TmailError('FILE_ERROR', `The attachment could not be saved in ${dir}: ${reason}.`, {
    cause: error,
  });
}

/**
 * Streams an attachment into `dir` under a safe version of `name` and
 * returns the full path written. Never overwrites: when the name is taken,
 * `name (1).ext`, `name (2).ext` … are tried. The path is checked to stay
 * inside `dir`. On any error the partial file is removed and a TmailError
 * (FILE_ERROR, or CANCELLED when `signal` aborted) is thrown.
 *
 * `content` must be the decoded bytes; to save a part fetched from the
 * server, pipe `BODY[<part>]` through `createTransferDecoder(part.encoding)`.
 */
export async function saveAttachmentStream(
  dir: string,
  name: string,
  content: AttachmentContent,
  options: SaveOptions = {},
): Promise<string> {
  const folder = resolve(dir);
  const finalName = safeFileName(name);
  // Written under a hidden temporary name first: a transfer cut off (or tmail killed)
  // half-way must never leave a truncated file under the name the user looks for.
  const partial = `.${cutToBytes(finalName, MAX_NAME_BYTES - 30)}.${randomHex(4)}.part`;
  const { path: tempPath, handle } = await openExclusive(folder, partial, options.mode ?? 0o600);
  const source = content instanceof Uint8Array ? Readable.from([content]) : content;
  try {
    // The stream closes the handle when it finishes or fails.
    const sink = handle.createWriteStream();
    await pipeline(source, sink, options.signal ? { signal: options.signal } : {});
    return await publish(folder, tempPath, finalName);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tempPath, { force: true }).catch(() => {});
    throw fileError(error, folder);
  }
}

/**
 * Gives the finished temp file its real name, never replacing a file: a hard
 * link fails when the name exists (then `name (1).ext` is tried ...); where
 * the file system has no hard links, a rename after checking the name is free.
 */
async function publish(folder: string, tempPath: string, name: string): Promise<string> {
  for (let n = 0; n < MAX_COPIES; n++) {
    const candidate = numbered(name, n);
    const path = resolve(folder, candidate);
    if (dirname(path) !== folder || basename(path) !== candidate) {
      throw new TmailError('FILE_ERROR', 'The attachment name would leave the chosen folder.');
    }
    try {
      await link(tempPath, path);
      await rm(tempPath, { force: true });
      return path;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
        throw error;
      const taken = await stat(path).then(
        () => true,
        () => false,
      );
      if (taken) continue;
      await rename(tempPath, path);
      return path;
    }
  }
  throw new TmailError('FILE_ERROR', `Too many files named like ${name} exist in ${folder}.`);
}

/** A private temporary copy of an attachment; call `cleanup` when the viewer is done. */
export interface PrivateTempFile {
  path: string;
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * A safe file name restricted further to letters, digits and `._+,@-`, so it
 * stays one harmless word even when a mailcap command puts `%s` inside quotes.
 */
export function shellSafeFileName(name: string, fallback = 'attachment'): string {
  const strict = safeFileName(name, fallback)
    .replace(/[^\p{L}\p{N}._+,@-]/gu, '_')
    .replace(/^[-.]+/, '');
  return strict || 'attachment';
}

/**
 * Writes an attachment to a private temporary file for "open with the system
 * handler": a fresh directory of mode 0700 under the system temp dir, the
 * file mode 0600, named with {@link shellSafeFileName} so the viewer sees a
 * sensible name and no shell can misread it.
 */
export async function writePrivateTempFile(
  name: string,
  content: AttachmentContent,
  options: { signal?: AbortSignal; tempRoot?: string } = {},
): Promise<PrivateTempFile> {
  let dir: string;
  try {
    dir = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'tmail-'));
  } catch (error) {
    throw fileError(error, options.tempRoot ?? tmpdir());
  }
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true }).catch(() => {});
  try {
    const path = await saveAttachmentStream(dir, shellSafeFileName(name), content, {
      mode: 0o600,
      signal: options.signal,
    });
    return { path, dir, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** True when `path` lies inside `dir` (for callers that build paths themselves). */
export function isInside(dir: string, path: string): boolean {
  const root = resolve(dir);
  const target = resolve(path);
  return target.startsWith(root.endsWith(sep) ? root : root + sep);
}
