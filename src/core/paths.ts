/**
 * XDG base directories (https://specifications.freedesktop.org/basedir-spec/).
 * `TMAIL_CONFIG_DIR` and `TMAIL_STATE_DIR` override them, which tests and the
 * demo use to keep a run apart from the user's own files.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

function xdg(variable: string, fallback: string[]): string {
  const value = process.env[variable];
  // The spec says relative paths are invalid and must be ignored.
  if (value && value.startsWith('/')) return value;
  return join(homedir(), ...fallback);
}

/** Directory of the dotfile: `$TMAIL_CONFIG_DIR` or `$XDG_CONFIG_HOME/tmail`. */
export function configDir(): string {
  return process.env.TMAIL_CONFIG_DIR || join(xdg('XDG_CONFIG_HOME', ['.config']), 'tmail');
}

/** Directory for state that must survive restarts: outbox, drafts, queued flag changes, log. */
export function stateDir(): string {
  return process.env.TMAIL_STATE_DIR || join(xdg('XDG_STATE_HOME', ['.local', 'state']), 'tmail');
}

/** Directory for caches that can be thrown away. */
export function cacheDir(): string {
  return process.env.TMAIL_CACHE_DIR || join(xdg('XDG_CACHE_HOME', ['.cache']), 'tmail');
}

export function statePath(...parts: string[]): string {
  return join(stateDir(), ...parts);
}

/** The directories tmail keeps files in: each from its TMAIL_ override, its XDG variable, or HOME. */
const PLACES = [
  ['TMAIL_CONFIG_DIR', 'XDG_CONFIG_HOME'],
  ['TMAIL_STATE_DIR', 'XDG_STATE_HOME'],
  ['TMAIL_CACHE_DIR', 'XDG_CACHE_HOME'],
] as const;

/**
 * One sentence when a directory tmail needs would be placed under an unusable
 * home (a relative HOME puts files under the working directory; a HOME that
 * does not exist would be created), else null. Directories given by a TMAIL_
 * override or an absolute XDG variable do not need HOME.
 */
export function homeProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const needsHome = PLACES.some(
    ([override, variable]) => !env[override] && !env[variable]?.startsWith('/'),
  );
  if (!needsHome) return null;
  // homedir() is HOME when set, else the user database's entry.
  const home = env.HOME || homedir();
  const fix =
    'set HOME to your home directory, or XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_CACHE_HOME to absolute paths';
  if (!home) return `HOME is not set and no home directory is known; ${fix}.`;
  if (!isAbsolute(home)) return `HOME is "${home}", which is not an absolute path; ${fix}.`;
  let isDirectory = false;
  try {
    isDirectory = statSync(home).isDirectory();
  } catch {
    // Missing, or not reachable: either way not a home to put files in.
  }
  if (!isDirectory) return `HOME is ${home}, which is not an existing folder; ${fix}.`;
  return null;
}
