/**
 * What can go wrong with a store file, told apart so that each case gets the
 * right answer: a damaged file is rebuilt, a store busy in another tmail is
 * skipped for that one step, anything else (disk full, read-only, a newer
 * tmail's file) turns the cache off for the run. None of them is a crash: the
 * server stays the truth.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { fsErrorReason } from '../fs-errors.js';

export type Trouble = 'damaged' | 'busy' | 'unusable';

/** SQLite's extended codes (better-sqlite3's `code`) by what tmail does about them. */
export function classify(error: unknown): Trouble {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'unusable';
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_') || code === 'SQLITE_NOTADB')
    return 'damaged';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  return 'unusable';
}

/** Why the store cannot be used, as a clause ("the disk is full"). */
export function troubleReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'its database could not be used';
  if (code === 'SQLITE_FULL') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'its file cannot be written';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'its file cannot be opened';
  if (code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH'))
    return 'permission was denied';
  if (code.startsWith('SQLITE_IOERR')) return 'the disk reported an error';
  if (code.startsWith('E')) return fsErrorReason(error);
  return 'its database could not be used';
}

const MAGIC = 'SQLite format 3\0';

/**
 * Reads the 100-byte header of a store file: `damaged` when it is not an
 * SQLite file or is shorter than its header says (cut off), `ok` otherwise
 * (also for a missing or empty file, which SQLite makes anew). SQLite itself
 * notices a cut-off file only when a query reaches a missing page, which
 * could be anywhere; the header check costs one read.
 */
export function checkHeader(file: string): 'ok' | 'damaged' {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 'ok';
  }
  if (size === 0) return 'ok';
  if (size < 100) return 'damaged';
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, 16) !== MAGIC) return 'damaged';
  // Page size: 1 means 65536. The size in pages is valid when the change
  // counter equals the version-valid-for number (SQLite 3.7.0 and later).
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return 'damaged';
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  // While the write-ahead log holds pages, another tmail may be copying them into the
  // file (a checkpoint writes page 1, with the new size, before the pages past the old
  // end): shorter than the header says is then not damage.
  if (valid && pages > 0 && size < pages * pageSize && walSize(file) === 0) return 'damaged';
  return 'ok';
}

/** Bytes in the store's write-ahead log (0 when there is none). */
function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
