/**
 * Opening the sign-in address in a browser: `$BROWSER` when set (the first
 * of a colon-separated list; `%s` stands for the address, else it is added
 * last), else the desktop's opener. The address is always one argument of
 * its own and no shell is involved, so nothing in it is interpreted. Failing
 * to open is not an error: the address is printed too.
 */
import { spawn } from 'node:child_process';
import { createLogger } from '../log.js';

const log = createLogger('oauth2');

/** The program and arguments that open `url`, or undefined when nothing can. */
export function browserCommand(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { command: string; args: string[] } | undefined {
  const chosen = (env.BROWSER ?? '')
    .split(':')
    .map((s) => s.trim())
    .find(Boolean);
  if (chosen) {
    const words = chosen.split(/\s+/);
    const command = words[0]!;
    const rest = words.slice(1);
    const args = rest.some((w) => w.includes('%s'))
      ? rest.map((w) => (w === '%s' ? url : w.split('%s').join(url)))
      : [...rest, url];
    return { command, args };
  }
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32')
    return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  // Over SSH without a display, xdg-open would start a text browser in this very terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [url] };
}

/** Starts the browser on `url`, detached; resolves to false when none could be started. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const chosen = browserCommand(url, env);
  if (!chosen) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = spawn(chosen.command, chosen.args, {
        stdio: 'ignore',
        detached: true,
        shell: false,
        env,
      });
      child.once('error', (error) => {
        log.info('the browser could not be started', { command: chosen.command, error });
        resolve(false);
      });
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch (error) {
      log.info('the browser could not be started', { command: chosen.command, error });
      resolve(false);
    }
  });
}
