/**
 * One temp directory for everything a run makes (test homes, configs, the mail
 * stack), removed when the process exits: the tests and benchmarks make
 * thousands, and two runs at once each get their own. Readable by all, as
 * Dovecot's users must reach the mail stack in it. Child processes and test
 * workers inherit it through TMPDIR.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function useRunTempDir(prefix: string): string {
  const existing = process.env.TMAIL_RUN_TMP;
  if (existing) return existing;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  process.env.TMAIL_RUN_TMP = dir;
  process.env.TMPDIR = dir;
  // tmail's code cache (and any other cache) of a run stays in the run's directory.
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
