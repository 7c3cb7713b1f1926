/**
 * Runs the bundle (dist/tmail.cjs) with V8's code cache. Much of a start is
 * V8 compiling tmail's code, not running it: without the cache, the first
 * screen of the reader came about 100 ms later, a quarter of the whole start.
 * After a run, the code V8 compiled for it is written to the cache directory,
 * and the next start of the same kind (the reader, or a command) reads it
 * back instead of compiling again (V8 still compiles, on first call, whatever
 * the cached run did not use).
 *
 * The cache is an optimisation only: a missing, unreadable, stale or rejected
 * file means compiling as before (and a new file once the start is done),
 * never a failure. A file belongs to one build of the bundle (its size and
 * mtime), one V8 and one set of Node flags (command line and NODE_OPTIONS);
 * V8 itself refuses data made by another version or other flags, and files
 * of older builds of the same install are removed when a new one is written.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { offerCodeCacheSave } from './code-cache-hook.js';
import { cacheDir, homeProblem } from './core/paths.js';

// Built as CommonJS (dist/boot.cjs, scripts/build.mjs): Node starts a CommonJS entry
// without setting up its ES module loader, some 15 ms sooner.
const bundle = join(__dirname, 'tmail.cjs');

/**
 * The reader and the commands run different code, so each has its own cache:
 * the reader's is the one worth having (a command starts in about the time the
 * bare IMAP work takes anyway), and must not be the few functions of a
 * `tmail --version` that happened to run first.
 */
function runKind(args: string[]): 'tui' | 'cli' {
  const first = args[0];
  return first === undefined || /^(-a|-f|--account|--folder)(=|$)|^mailto:/i.test(first)
    ? 'tui'
    : 'cli';
}

/** A short, file-name-safe digest (FNV-1a). */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return (hash >>> 0).toString(36);
}

/**
 * Where this run's cache file is. Its name says which installed tmail it
 * belongs to (the bundle's path), which build of it (size and mtime), and for
 * which V8 and Node flags (V8 rejects code made under other flags; without
 * them in the name, two ways of starting tmail would keep replacing each
 * other's file). Only older builds of the same install are swept away, so two
 * installs (a checkout and a global one) sharing a cache keep a file each.
 */
function codeCachePlace(): { dir: string; build: string; install: string; file: string } {
  const stat = statSync(bundle);
  const install = `tmail-${digest(bundle)}-`;
  const build = `${install}${stat.size}-${Math.round(stat.mtimeMs)}-`;
  const flags = digest([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0'));
  const runtime = `${process.versions.v8}-${process.arch}-${flags}`;
  const dir = join(cacheDir(), 'code');
  return {
    dir,
    build,
    install,
    file: join(dir, `${build}${runtime}-${runKind(process.argv.slice(2))}.bin`),
  };
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the code compiled so far, atomically; drops the files of this install's older builds. */
function writeCache(script: Script, place: ReturnType<typeof codeCachePlace>): void {
  // A relative or missing HOME: tmail refuses to run, and must not leave a cache behind.
  if (homeProblem()) return;
  try {
    mkdirSync(place.dir, { recursive: true, mode: 0o700 });
    const temp = `${place.file}.${process.pid}.tmp`;
    writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    renameSync(temp, place.file);
    for (const name of readdirSync(place.dir)) {
      if (name.startsWith(place.install) && name.endsWith('.bin') && !name.startsWith(place.build))
        rmSync(join(place.dir, name), { force: true });
    }
  } catch {
    // A cache that cannot be written only means compiling again next time.
  }
}

/** The bundle, compiled with the cache when there is one; the cache is written when there was none. */
function compileBundle(): Script {
  const place = codeCachePlace();
  const cachedData = readCache(place.file);
  // The file is a function expression (the module wrapper is in the bundle, see scripts/build.mjs).
  const script = new Script(readFileSync(bundle, 'latin1'), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    let written = false;
    const save = () => {
      if (written) return;
      written = true;
      writeCache(script, place);
    };
    // The reader calls it once its first screen is up: the code of a start, not of a whole session.
    offerCodeCacheSave(save);
    process.on('exit', save);
  }
  return script;
}

const module = { exports: {} };
(compileBundle().runInThisContext() as (...args: unknown[]) => void)(
  module.exports,
  createRequire(bundle),
  module,
  bundle,
  dirname(bundle),
);
