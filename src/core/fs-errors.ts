/**
 * File-system failures in words a user can act on. A write to the state
 * folder fails for a handful of reasons (a full disk, a read-only mount, a
 * folder the user cannot write to), and each deserves its own sentence
 * instead of "Something went wrong inside tmail".
 */
import { TmailError } from './errors.js';

/** The error's errno code (ENOSPC, EACCES …), if it has one. */
export function fsErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Why a file operation failed, by errno code, in words a user can act on
 * (never node's own message, which repeats the path and reads like a stack trace).
 */
const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'a folder on the way does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder stands where a file should be',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path has too many symbolic links',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  EIO: 'the disk reported an input/output error',
  EFBIG: 'the file would be too large',
};

/** Why a file operation failed, as a clause: "the disk is full", "permission denied". */
export function fsErrorReason(error: unknown): string {
  const code = fsErrorCode(error);
  if (code && Object.hasOwn(REASONS, code)) return REASONS[code]!;
  return code ? `the file system refused it (${code})` : 'the file system refused it';
}

/**
 * A FILE_ERROR saying what could not be done, where, and why:
 * `fileError(e, 'The draft could not be saved', dir)` gives
 * "The draft could not be saved in /home/u/.local/state/tmail/drafts: the disk is full."
 * A TmailError passes through unchanged.
 */
export function fileError(error: unknown, what: string, path?: string): TmailError {
  if (error instanceof TmailError) return error;
  const where = path ? ` (${path})` : '';
  return new TmailError('FILE_ERROR', `${what}${where}: ${fsErrorReason(error)}.`, {
    cause: error,
  });
}
