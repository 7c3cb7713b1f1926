/**
 * Opening a link of a message in a browser: `$BROWSER` when it is set (the
 * convention of urlview, urlscan and git: a `:`-separated list of commands,
 * the first used, `%s` standing for the URL), else the desktop's opener
 * (`xdg-open`, or `open` on macOS). The URL is one argument of execFile-style
 * spawning, never a shell word: quotes, spaces and `;` in it stay inside it.
 * `$BROWSER` may be a terminal browser (w3m, lynx), so it gets the terminal
 * and is awaited; the desktop opener is started detached.
 */
import { spawn } from 'node:child_process';
import { TmailError } from './errors.js';
import { unopenableReason } from './text/links.js';

/** The program that opens a URL, and whether it takes the terminal. */
export interface UrlOpener {
  command: string;
  args: string[];
  /** `$BROWSER`: give it the terminal and wait for it. */
  terminal: boolean;
}

/** Picks how to open `url`; null when the platform has no opener and `$BROWSER` is unset. */
export function urlOpener(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): UrlOpener | null {
  const browser = (env.BROWSER ?? '')
    .split(':')
    .map((entry) => entry.trim())
    .find(Boolean);
  if (browser) {
    const words = browser.split(/\s+/);
    // %s within a word is replaced in that word; the URL is still one argument.
    const substituted = words.some((w) => w.includes('%s'));
    const args = words.slice(1).map((w) => w.replaceAll('%s', url));
    const command = words[0]!;
    return { command, args: substituted ? args : [...args, url], terminal: true };
  }
  if (platform === 'darwin') return { command: 'open', args: [url], terminal: false };
  if (platform === 'win32') return null;
  return { command: 'xdg-open', args: [url], terminal: false };
}

/**
 * Opens `url` with the chosen program. A terminal program is awaited (hand
 * the terminal over first); a desktop opener resolves once started. Rejects
 * with a TmailError (one sentence) for a URL that must not be opened or a
 * program that cannot be started; a `$BROWSER` that fails says its status.
 */
export function openUrl(url: string, opener: UrlOpener): Promise<void> {
  const refused = unopenableReason(url);
  if (refused) return Promise.reject(new TmailError('USAGE', refused));
  return new Promise((resolve, reject) => {
    const child = spawn(opener.command, opener.args, {
      stdio: opener.terminal ? 'inherit' : 'ignore',
      detached: !opener.terminal,
    });
    child.once('error', (error) =>
      reject(
        new TmailError(
          'FILE_ERROR',
          opener.terminal
            ? `The browser ${opener.command} (from $BROWSER) could not be started.`
            : `${opener.command} could not be started to open the link; set $BROWSER to your browser.`,
          { cause: error },
        ),
      ),
    );
    if (opener.terminal) {
      child.once('close', (status, signal) => {
        if (status === 0) resolve();
        else
          reject(
            new TmailError(
              'FILE_ERROR',
              status === null
                ? `The browser ${opener.command} was stopped by ${signal ?? 'a signal'}.`
                : `The browser ${opener.command} failed with exit status ${status}.`,
            ),
          );
      });
    } else {
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    }
  });
}
