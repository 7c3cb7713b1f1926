/**
 * Starts the interactive reader. Start-up is where Node loses, so the order
 * matters: read the config and start connecting first, then load React and
 * Ink (the biggest part of the bundle) while the server answers, then enter
 * the alternate screen and render. The terminal is restored on every way
 * out: quit, Ctrl-C, SIGTERM, SIGHUP and a crash.
 */
import { homedir } from 'node:os';
import { TmailError, isTmailError, toTmailError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { MailEngine } from '../core/engine/engine.js';
import { createBenchMarks } from './bench-marks.js';
import type { ComposeServices } from './composer.js';
import {
  gatedStdout,
  guardTerminal,
  ringBell,
  suspendProcess,
  TerminalScreen,
} from './terminal.js';

export interface TuiOptions {
  account?: string;
  folder?: string;
}

const log = createLogger('tui');

/**
 * Passwords for `prompt` accounts are asked inside the TUI. The engine may ask
 * before the UI is up; such questions wait for it.
 */
class PasswordBroker {
  private ask: ((question: string) => Promise<string>) | null = null;
  private readonly waiting: Array<{ question: string; resolve: (value: string) => void }> = [];

  prompt = (question: string): Promise<string> => {
    if (this.ask) return this.ask(question);
    return new Promise((resolve) => this.waiting.push({ question, resolve }));
  };

  attach(ask: (question: string) => Promise<string>): void {
    this.ask = ask;
    for (const { question, resolve } of this.waiting.splice(0)) void ask(question).then(resolve);
  }
}

/**
 * Opens the first folder as soon as the connection is up. Dispatched from the
 * `online` event itself, the open goes ahead of the folder list in the
 * engine's queue, so the list reaches the screen first.
 */
function openWhenOnline(
  engine: MailEngine,
  folder: string,
  rows: number,
  onError: (message: string) => void,
): void {
  let done = false;
  const open = (path: string) => {
    void engine.dispatch({ type: 'open-folder', path, rows }).then((result) => {
      if (result.ok || result.cancelled) return;
      if (result.error.code === 'OFFLINE' || result.error.code === 'CONNECTION_LOST') {
        done = false;
        return;
      }
      if (path !== 'INBOX') {
        onError(`${result.error.userMessage.replace(/\.$/, '')}; showing INBOX instead.`);
        open('INBOX');
      } else {
        onError(result.error.userMessage);
      }
    });
  };
  const check = () => {
    if (done) return;
    const state = engine.state;
    if (state.connection.status !== 'online' || state.view || state.opening) return;
    done = true;
    open(folder);
  };
  engine.store.subscribe(check);
  check();
}

/** No account yet: the wizard sets one up, then the reader opens on it. */
async function firstAccount(): Promise<boolean> {
  const { runAccountWizard } = await import('./wizard/index.js');
  const account = await runAccountWizard();
  if (!account) process.stderr.write('tmail: no account was added.\n');
  return account !== null;
}

export async function runTui(options: TuiOptions): Promise<number> {
  const bench = createBenchMarks();
  bench?.mark('tui-start');
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new TmailError(
      'USAGE',
      'The mail reader needs a terminal; use the commands listed by tmail --help in scripts.',
    );
  }
  const passwords = new PasswordBroker();
  const { openSession } = await import('../core/session.js');
  let session: ReturnType<typeof openSession>;
  try {
    session = openSession({ account: options.account, prompt: passwords.prompt });
  } catch (error) {
    if (!(isTmailError(error) && error.code === 'CONFIG_MISSING' && !options.account)) throw error;
    if (!(await firstAccount())) return 1;
    session = openSession({ prompt: passwords.prompt });
  }
  const { engine, config, account } = session;
  const startupNotices: string[] = [];
  let notify: (message: string) => void = (message) => startupNotices.push(message);
  void engine.start({ retry: true });
  openWhenOnline(
    engine,
    options.folder ?? 'INBOX',
    Math.max(1, (process.stdout.rows || 24) - 2),
    (m) => notify(m),
  );
  bench?.mark('connecting');

  // React and Ink load while the server answers.
  const { startApp } = await import('./start-app.js');
  bench?.mark('ui-loaded');

  const screen = new TerminalScreen();
  let unmount: () => void = () => {};
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const unguard = guardTerminal({
    screen,
    beforeLeave: () => unmount(),
    onFatal: (error) => {
      log.error('crash', { message: (error as Error)?.message, stack: (error as Error)?.stack });
      process.stderr.write(`tmail: ${toTmailError(error).userMessage}\n`);
    },
    onStray: (error) => log.error('unhandled rejection', { message: (error as Error)?.message }),
  });
  screen.enter();
  // Sending loads after the first frame; the composer asks for it only when used.
  const loaded: { services: Awaited<ReturnType<typeof loadComposeServices>> | null } = {
    services: null,
  };
  const loadComposeServices = async () => {
    const { createComposeServices } = await import('./compose-services.js');
    return createComposeServices({
      engine,
      account,
      prompt: passwords.prompt,
      handOver: (work) => handOver(work),
    });
  };
  let servicesReady: Promise<NonNullable<typeof loaded.services>> | null = null;
  const ready = () => (servicesReady ??= loadComposeServices().then((s) => (loaded.services = s)));
  const lazy = <K extends keyof ComposeServices>(key: K): ComposeServices[K] =>
    (async (...args: unknown[]) => {
      const ready_ = loaded.services ?? (await ready());
      return (ready_[key] as (...a: unknown[]) => unknown)(...args);
    }) as ComposeServices[K];
  const compose: ComposeServices = {
    edit: lazy('edit'),
    send: lazy('send'),
    postpone: lazy('postpone'),
    pending: lazy('pending'),
    save: lazy('save'),
    discard: lazy('discard'),
  };
  /** Hands the terminal to another program (the editor) and takes it back after. */
  const handOver = async <T,>(work: () => Promise<T>): Promise<T> => {
    const { runtime } = started;
    runtime.input.set(false);
    // Let Ink let go of raw mode before the terminal changes hands.
    await new Promise((resolve) => setImmediate(resolve));
    screen.leave();
    try {
      return await work();
    } finally {
      screen.enter();
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      runtime.input.set(true);
      runtime.controller.redraw();
    }
  };
  const started = startApp({
    engine,
    config,
    compose,
    stdout: gatedStdout(process.stdout, () => screen.isActive),
    exit: () => finish(),
    suspend: () => suspendProcess(screen, () => started.runtime.controller.redraw()),
    bell: () => ringBell(),
    bench,
    home: homedir(),
    notices: startupNotices,
  });
  unmount = () => started.instance.unmount();
  // Once the list is up, load sending so that the outbox is retried in the background.
  setTimeout(() => {
    ready().catch((error: unknown) =>
      log.warn('sending not available', { message: (error as Error)?.message }),
    );
  }, 1000).unref();
  const { controller } = started.runtime;
  notify = (message) => controller.notify('error', message);
  passwords.attach(
    async (question) => (await controller.prompt({ label: question, secret: true })) ?? '',
  );
  log.info('tui started', { account: account.name });

  await finished;
  started.instance.unmount();
  loaded.services?.stop();
  controller.dispose();
  started.runtime.dispatcher.dispose();
  // A server that does not answer must not keep the terminal hostage.
  await Promise.race([engine.close(), new Promise((r) => setTimeout(r, 1500).unref())]);
  screen.leave();
  unguard();
  // Whatever socket or timer is left, quit now that the terminal is back.
  setTimeout(() => process.exit(process.exitCode ?? 0), 300).unref();
  return 0;
}
