/**
 * XDG base directories (https://specifications.freedesktop.org/basedir-spec/).
 * `TMAIL_CONFIG_DIR` and `TMAIL_STATE_DIR` override them, which tests and the
 * demo use to keep a run apart from the user's own files.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

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
