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

/** Why a file operation failed, as a clause: "the disk is full", "permission was denied". */
export function fsErrorReason(error: unknown): string {
  switch (fsErrorCode(error)) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission was denied';
    case 'ENOENT':
      return 'a folder on the way does not exist';
    case 'ENOTDIR':
      return 'a file stands where a folder should be';
    case 'EISDIR':
      return 'a folder stands where a file should be';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open';
    case 'EIO':
      return 'the disk reported an input/output error';
    case 'EFBIG':
      return 'the file would be too large';
    default:
      return 'the file system refused it';
  }
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
