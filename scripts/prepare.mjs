// npm's `prepare` step: builds dist/ (about 2 s with esbuild), so that every way of
// installing tmail from its source gives a working `tmail`:
// - `npm ci` / `npm install` in a clone (CI too: the build after it is the same one);
// - `npm install <git URL>`: npm clones it, installs every dependency (dev ones
//   included, because there is a prepare script), runs this, and packs `files`.
//   With -g this needs npm 12 (Node 22): npm 11 runs that inner install with the
//   outer -g, which links the global tmail to the temporary clone and loses it
//   (npm/cli#6984, #9406; fixed by pacote 22's --global=false);
// - `npm pack` / `npm publish`;
// - `npm install -g .` in a clone: npm links the global tmail to the clone and runs
//   prepare there without installing anything in it. When the build tools are
//   missing, this installs them (`npm ci`), builds, and prunes the clone back to what
//   tmail runs with (better-sqlite3, @github/keytar): the JavaScript dependencies are
//   in the bundle.
// The build always runs (never "only when dist/ is missing"): after `git pull && npm
// install` a linked tmail must not keep running the old dist/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const NESTED = 'TMAIL_PREPARE_NESTED';

// The `npm ci` below runs this script again (prepare of the root package); that
// inner run has nothing to add.
if (process.env[NESTED]) process.exit(0);

/** Runs a command in the clone; stops with its status when it fails. */
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * npm hands its own settings to scripts as npm_config_* variables; an inner npm
 * would inherit `global` and `prefix` from `npm install -g --prefix X .` and install
 * the clone's dependencies into X. Only where packages come from is kept.
 */
function innerNpmEnv() {
  const keep =
    /^npm_config_(cache|registry|userconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca|offline|prefer_offline|prefer_online)$/i;
  const env = { [NESTED]: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || keep.test(key)) env[key] = value;
  }
  return env;
}

function hasBuildTools() {
  try {
    createRequire(`${root}/package.json`).resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
const bootstrap = !hasBuildTools();
if (bootstrap) {
  process.stderr.write('tmail: installing the build tools in this clone (npm ci) to build dist/\n');
  run(npm[0], [...npm[1], 'ci', '--include=dev', '--no-audit', '--no-fund'], innerNpmEnv());
}
run(process.execPath, ['scripts/build.mjs']);
if (bootstrap) {
  run(npm[0], [...npm[1], 'prune', '--omit=dev', '--no-audit', '--no-fund'], innerNpmEnv());
}
