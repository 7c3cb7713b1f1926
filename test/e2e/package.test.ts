/**
 * The package npm installs: `npm pack` carries the bundle and nothing else,
 * declares only the native modules as dependencies, and the packed tmail runs
 * with just those installed beside it (the JavaScript packages are in the
 * bundle), against the real Dovecot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testAccount, testConfigEnv } from '../support/accounts.js';
import { newTestUser, sharedMailStack } from '../support/stack.js';
import { REPO, requireBuild } from './setup.js';

/** What tmail needs at run time from node_modules: the native modules and what they require. */
const NATIVE = [
  'better-sqlite3',
  'bindings',
  'file-uri-to-path',
  '@github/keytar',
  'node-addon-api',
];

let files: string[] = [];
let unpacked = '';

beforeAll(() => {
  requireBuild();
  const out = mkdtempSync(join(tmpdir(), 'tmail-pack-'));
  // dist/ is built already (npm test builds first): the prepare step is not needed here.
  const report = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = report[0]!.files.map((f) => f.path).sort();
  execFileSync('tar', ['xzf', join(out, report[0]!.filename), '-C', out]);
  unpacked = join(out, 'package');
  // Only the native modules installed, as npm would install the package's dependencies.
  for (const name of NATIVE) {
    const target = join(unpacked, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), target);
  }
});

function packedTmail(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(unpacked, 'bin/tmail.cjs'), ...args], {
    cwd: unpacked,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the npm package', () => {
  it('carries the launcher and the bundle only', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/tmail.cjs',
        'dist/boot.cjs',
        'dist/tmail.cjs',
        'dist/vendor/pino.cjs',
        'LICENSE',
        'package.json',
      ]),
    );
    const other = files.filter(
      (path) =>
        !/^(bin\/tmail\.cjs|dist\/[\w/.-]+\.(c?js)|package\.json|README\.md|LICENSE)$/.test(path),
    );
    expect(other).toEqual([]);
  });

  it('depends on the native modules only (the rest is in the bundle)', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['better-sqlite3']);
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['@github/keytar']);
  });

  it('runs --version and --help from the package alone', () => {
    const version = packedTmail(['--version']);
    expect(version.stderr).toBe('');
    expect(version.stdout).toMatch(/^tmail \d+\.\d+\.\d+\n$/);
    const help = packedTmail(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n {2}tmail \[--account NAME\]/m);
    expect(help.stdout).toMatch(/^ {2}folders {3}list folders/m);
  });

  it('lists the folders of a real account from the package alone', async () => {
    const stack = sharedMailStack();
    const user = await newTestUser(stack, 'packed');
    const env = testConfigEnv([testAccount(stack.info(), user)]);
    const result = packedTmail(['folders', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const folders = JSON.parse(result.stdout) as Array<{ path: string }>;
    expect(folders.map((f) => f.path)).toContain('INBOX');
  });
});
