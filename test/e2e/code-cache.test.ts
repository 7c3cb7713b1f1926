/**
 * The built tmail keeps V8's compiled code between runs (src/boot.ts). The
 * cache must only ever make a start faster: whatever state it is in (none,
 * valid, garbage, from an older build, impossible to write), tmail runs.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTmail } from '../support/cli.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { e2eAccount, launch, requireBuild } from './setup.js';

const stack = sharedMailStack();
const VERSION_LINE = /^tmail \d+\.\d+\.\d+\n$/;

function cacheEnv(): { env: Record<string, string>; codeDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-code-cache-'));
  return { env: { TMAIL_CACHE_DIR: dir }, codeDir: join(dir, 'code') };
}

function cacheFiles(codeDir: string): string[] {
  try {
    return readdirSync(codeDir).filter((name) => name.endsWith('.bin'));
  } catch {
    return [];
  }
}

const terms: TmuxSession[] = [];

beforeAll(() => requireBuild());

afterEach(() => {
  for (const term of terms.splice(0)) term.kill();
});

describe('the code cache', () => {
  it('is written by a first run and read, not rewritten, by the next', async () => {
    const { env, codeDir } = cacheEnv();
    const first = await runTmail(['--version'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(VERSION_LINE);
    const files = cacheFiles(codeDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/-cli\.bin$/);
    const file = join(codeDir, files[0]!);
    const written = statSync(file).mtimeMs;
    expect(statSync(file).size).toBeGreaterThan(10_000);

    const second = await runTmail(['--version'], env);
    expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: '' });
    expect(cacheFiles(codeDir)).toEqual(files);
    expect(statSync(file).mtimeMs).toBe(written);
  });

  it('runs as usual over a damaged file and replaces it', async () => {
    const { env, codeDir } = cacheEnv();
    await runTmail(['--version'], env);
    const file = join(codeDir, cacheFiles(codeDir)[0]!);
    const garbage = Buffer.alloc(4096, 0x5a);
    writeFileSync(file, garbage);

    const result = await runTmail(['--help'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage');
    expect(result.stderr).toBe('');
    expect(readFileSync(file).equals(garbage)).toBe(false);
  });

  it("drops the files of its own older builds, not another install's", async () => {
    const { env, codeDir } = cacheEnv();
    await runTmail(['--version'], env);
    const [current] = cacheFiles(codeDir);
    // tmail-<install>-<size>-<mtime>-...: the same install, an older build; and another install.
    const install = current!.split('-').slice(0, 2).join('-');
    const stale = `${install}-1-1-0.0-x64-abc-cli.bin`;
    const otherInstall = 'tmail-elsewhere-1-1-0.0-x64-abc-cli.bin';
    writeFileSync(join(codeDir, stale), 'old');
    writeFileSync(join(codeDir, otherInstall), 'theirs');
    // A fresh file for this build is written only when there was none: make it so.
    writeFileSync(join(codeDir, current!), 'damaged');
    await runTmail(['--version'], env);
    expect(cacheFiles(codeDir).sort()).toEqual([current, otherInstall].sort());
    expect(readFileSync(join(codeDir, current!), 'utf8')).not.toBe('damaged');
  });

  it('never stands in the way when it cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmail-code-cache-'));
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, '');
    const result = await runTmail(['--version'], { TMAIL_CACHE_DIR: notADirectory });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(VERSION_LINE);
    expect(result.stderr).toBe('');
  });

  it('gives the reader a cache of its own that a second start uses', async () => {
    const setup = await e2eAccount(stack, 'codecache');
    const { env, codeDir } = cacheEnv();
    // A command first: its cache must not be the one the reader uses.
    await runTmail(['--version'], env);
    const tuiFile = () => cacheFiles(codeDir).find((name) => name.endsWith('-tui.bin'));
    let written = 0;
    for (let start = 0; start < 2; start++) {
      const term = await launch(setup, { env });
      terms.push(term);
      await term.waitFor((s) => s.includes('online') && s.includes('INBOX'));
      // A fresh cache is written a second after the first screen; a used one never.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await term.press('q');
      expect(await term.exited()).toBe(0);
      expect(tuiFile()).toBeDefined();
      const mtime = statSync(join(codeDir, tuiFile()!)).mtimeMs;
      if (start === 0) written = mtime;
      else expect(mtime).toBe(written);
    }
    expect(cacheFiles(codeDir)).toHaveLength(2);
  });
});
