/**
 * Runs the built tmail as a script would and measures its peak memory from
 * the outside: the kernel's high-water mark of the child's resident set
 * (VmHWM), read from /proc while it runs, and the child's own maxRSS written
 * at exit by bench/rss-probe.cjs. The larger counts; a child killed by V8
 * (out of memory) still has the /proc reading.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TMAIL_BIN, type CliResult } from './cli.js';

const PROBE = fileURLToPath(new URL('../../bench/rss-probe.cjs', import.meta.url));

export interface MeasuredResult extends CliResult {
  /** Peak resident set of the child in MiB. */
  peakMiB: number;
}

function highWaterKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function runTmailMeasured(
  args: string[],
  env: Record<string, string>,
  options: { killAfterMs?: number } = {},
): Promise<MeasuredResult> {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'tmail-rss-')), 'rss');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', PROBE, TMAIL_BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env, TMAIL_RSS_FILE: rssFile },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peakKiB = 0;
    const poll = setInterval(() => {
      peakKiB = Math.max(peakKiB, highWaterKiB(child.pid!));
    }, 20);
    const kill = options.killAfterMs
      ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
      : undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(kill);
      let own = 0;
      try {
        own = Number(readFileSync(rssFile, 'utf8'));
      } catch {
        // Killed or crashed before its exit handler: the /proc reading stands.
      }
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout,
        stderr,
        peakMiB: Math.max(peakKiB, own) / 1024,
      });
    });
    child.stdin.end('');
  });
}
