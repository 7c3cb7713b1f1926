/**
 * Starts the interactive reader. Start-up is where Node loses, so the order
 * matters: read the config and start connecting first, then load React and
 * Ink (the biggest part of the bundle) while the server answers, then enter
 * the alternate screen and render. The terminal is restored on every way
 * out: quit, Ctrl-C, SIGTERM, SIGHUP and a crash.
 */
import { homedir } from 'node:os';
import { saveCodeCache } from '../code-cache-hook.js';
import { TmailError, isTmailError, toTmailError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { MailEngine } from '../core/engine/engine.js';
import type { TmailConfig } from '../core/config/types.js';
import { createBenchMarks } from './bench-marks.js';
import { layoutReady } from './layout-ready.js';
import type { HandOverOptions } from '../commands/context.js';
import type { ComposeServices } from './composer.js';
import {
  gatedStdout,
  guardTerminal,
  pressAnyKey,
  ringBell,
  suspendProcess,
  TerminalScreen,
} from './terminal.js';

export interface TuiOptions {
  account?: string;
  folder?: string;
  /** A mailto: link to write to once the reader is up (`tmail mailto:…`). */
  mailto?: string;
}

const log = createLogger('tui');

/**
 * Passwords for `prompt` accounts are asked inside the TUI. The engine may ask
 * before the UI is up; such questions wait for it.
 */
class PasswordBroker {
  private ask: ((question: string) => Promise<string>) | null = null;
  private readonly queue: Array<{ question: string; resolve: (value: string) => void }> = [];

  /** True while a question waits for the UI to be up. */
  get waiting(): boolean {
    return this.queue.length > 0;
  }

  prompt = (question: string): Promise<string> => {
    if (this.ask) return this.ask(question);
    return new Promise((resolve) => this.queue.push({ question, resolve }));
  };

  attach(ask: (question: string) => Promise<string>): void {
    this.ask = ask;
    for (const { question, resolve } of this.queue.splice(0)) void ask(question).then(resolve);
  }
}

/**
 * Resolves when there is something worth a first frame: rows of the list, an
 * empty folder, a failure to show, or a password to ask for; or after
 * `limitMs`. Frames drawn before that only show "Connecting" and would take
 * the CPU from the connection at the moment it needs it.
 */
function firstScreenReady(
  engine: MailEngine,
  passwords: PasswordBroker,
  limitMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => done(), limitMs);
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const check = () => {
      const { view, connection } = engine.state;
      if (
        (view &&
          ((view.uids.length > 0 && view.envelopes.size > 0) ||
            (view.complete && view.total === 0))) ||
        connection.status === 'offline' ||
        connection.status === 'closed' ||
        passwords.waiting
      )
        done();
    };
    unsubscribe = engine.store.subscribe(check);
    check();
  });
}

/** Messages waiting in the outbox, counted by the outbox alone (without loading sending). */
async function outboxEntries(): Promise<number> {
  const { Outbox } = await import('../core/outbox/outbox.js');
  return new Outbox().count().catch(() => 0);
}

/** Loads Ink (and with it yoga, its layout engine, which starts loading at once). */
async function importInk(): Promise<void> {
  // Yoga (WebAssembly) asks `typeof fetch` while it loads, and in Node that first look
  // loads the whole HTTP client (undici): 40 to 100 ms here. Without fetch it
  // instantiates from the bytes it carries, which is what it ends up doing anyway.
  const fetchProperty = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  const hideFetch = Boolean(fetchProperty?.configurable);
  if (hideFetch) {
    Object.defineProperty(globalThis, 'fetch', {
      value: undefined,
      configurable: true,
      writable: true,
    });
  }
  try {
    await import('ink');
  } finally {
    if (hideFetch) Object.defineProperty(globalThis, 'fetch', fetchProperty!);
  }
}

/**
 * Draws the list's rows from the cache before React and Ink have loaded
 * (early-paint.ts): at once if the store has them, else as soon as it gives
 * them, while the UI loads; `takeScreen` first. The function returned, called
 * before the UI renders, stops waiting and says how the UI's first frame must
 * cover the paint (null when nothing was drawn).
 */
async function paintEarly(
  engine: MailEngine,
  config: TmailConfig,
  takeScreen: () => void,
  painted: () => void,
): Promise<() => ((frame: string) => string) | null> {
  const [{ earlyListPaint, coverFirstFrame }, { pickTheme }] = await Promise.all([
    import('./early-paint.js'),
    import('./theme.js'),
  ]);
  const ui = config.ui ?? {};
  const theme = pickTheme(ui.theme);
  let cover: ((frame: string) => string) | null = null;
  const paint = (): boolean => {
    const text = earlyListPaint({
      state: engine.state,
      configuredRoles: engine.account.folders,
      columns: process.stdout.columns || 80,
      rows: process.stdout.rows || 24,
      sidebar: ui.sidebar ?? true,
      layout: ui.layout ?? 'split',
      dateStyle: ui.dateFormat ?? 'relative',
      theme,
    });
    if (!text) return false;
    takeScreen();
    process.stdout.write(text);
    cover = coverFirstFrame;
    painted();
    return true;
  };
  if (paint()) return () => cover;
  const unsubscribe = engine.store.subscribe(() => {
    if (!cover && paint()) unsubscribe();
  });
  return () => {
    unsubscribe();
    return cover;
  };
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
  if (process.env.TERM === 'dumb') {
    // A dumb terminal cannot move the cursor: a full-screen reader would be garbage there.
    throw new TmailError(
      'USAGE',
      'This terminal (TERM=dumb) cannot show the mail reader, which needs cursor movement; use the commands listed by tmail --help, or a full terminal.',
    );
  }
  const passwords = new PasswordBroker();
  // Asks for the password early (a keychain helper or a `pass` command takes a while) and
  // lets it run while the IMAP code loads; the engine finds it ready. Errors surface later,
  // through openSession and the connection, where they are reported properly.
  const prefetchPassword = () =>
    void (async () => {
      const [{ loadConfig, getAccount }, { resolveCredentials }] = await Promise.all([
        import('../core/config/index.js'),
        import('../core/secrets/index.js'),
      ]);
      await resolveCredentials(getAccount(loadConfig(), options.account), 'imap', {
        prompt: passwords.prompt,
      });
    })().catch(() => {});
  const { openSession, openRegistry, openWhenOnline } = await import('../core/session.js');
  let session: ReturnType<typeof openSession>;
  try {
    session = openSession({ account: options.account, prompt: passwords.prompt });
  } catch (error) {
    if (!(isTmailError(error) && error.code === 'CONFIG_MISSING' && !options.account)) throw error;
    if (!(await firstAccount())) return 1;
    session = openSession({ prompt: passwords.prompt });
  }
  const { engine, config, account } = session;
  // Every account of the dotfile; the others connect only when first shown.
  const registry = openRegistry(session, { prompt: passwords.prompt });
  const startupNotices: string[] = [];
  let notify: (message: string) => void = (message) => startupNotices.push(message);
  const startFolder = options.folder ?? 'INBOX';
  // A second start draws the list the local cache holds first, and only then connects: the
  // password command, TLS and the server's answers would otherwise share the one thread
  // with the first frame and delay it. Without the folder cached, the two overlap, and
  // what the server says is written to the cache once the first frame is out.
  const cachedFirst = engine.hasCached(startFolder);
  let firstFrameDrawn: () => void = () => {};
  const drawn = new Promise<void>((resolve) => {
    firstFrameDrawn = resolve;
  });
  if (!cachedFirst) prefetchPassword();
  void engine.start({
    retry: true,
    ...(cachedFirst ? { after: drawn } : { holdCacheUntil: drawn }),
  });
  openWhenOnline(engine, startFolder, Math.max(1, (process.stdout.rows || 24) - 2), (m) =>
    notify(m),
  );
  bench?.mark('connecting');
  if (bench) {
    // Where start-up time goes: the connection, the first rows, next to the UI's own marks.
    let online = false;
    let rows = false;
    const stop = engine.store.subscribe(() => {
      const state = engine.state;
      if (!online && state.connection.status === 'online') {
        online = true;
        bench.mark('online');
      }
      if (!rows && state.view && state.view.envelopes.size > 0) {
        rows = true;
        bench.mark('first-rows');
        stop();
      }
    });
  }

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
  const takeScreen = () => {
    screen.enter();
    // Raw at once: keys typed while the first frame is on its way are neither echoed nor
    // held back for a line end; they wait, unread, for the key handler.
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
  };
  // A start from the cache draws the rows on screen before the UI has loaded.
  const stopPainting = cachedFirst
    ? await paintEarly(engine, config, takeScreen, () => bench?.listPainted())
    : () => null;

  // React and Ink load while the server answers. In steps: each await lets the
  // connection's replies be handled in between, instead of after the whole UI.
  await import('react');
  await importInk();
  const { startApp } = await import('./start-app.js');
  await layoutReady();
  bench?.mark('ui-loaded');
  await firstScreenReady(engine, passwords, 400);
  bench?.mark('screen-ready');

  takeScreen();
  // Sending loads after the first frame; the composer asks for it only when used.
  const loaded: { services: Awaited<ReturnType<typeof loadComposeServices>> | null } = {
    services: null,
  };
  const loadComposeServices = async () => {
    const { createComposeServices } = await import('./compose-services.js');
    return createComposeServices({
      registry,
      config,
      prompt: passwords.prompt,
      handOver: (work) => handOver(work),
    });
  };
  const light = async () =>
    (await import('./compose-services.js')).lightComposeServices({
      account: () => registry.shown.account,
      config,
      home: homedir(),
    });
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
    // Counting the outbox needs no sending code: only load it when there is something to send.
    pending: async () => (loaded.services ? loaded.services.pending() : outboxEntries()),
    save: lazy('save'),
    discard: lazy('discard'),
    bounce: lazy('bounce'),
    // Completion and signatures need no sending code: they load on their own.
    addresses: async (text) => (await light()).addresses(text),
    signature: async (identity) => (await light()).signature(identity),
    // The drafts store alone: no sending code for a look at the disk.
    kept: async () =>
      (await import('../core/outbox/drafts.js')).recoverLocalDrafts(registry.shownAccount),
  };
  /**
   * Hands the terminal to another program (the editor, a piped command) and
   * takes it back after; with `waitKey`, first waits for a key so that what
   * the program printed can be read.
   */
  const handOver = async <T,>(
    work: () => Promise<T>,
    options: HandOverOptions<T> = {},
  ): Promise<T> => {
    const { runtime } = started;
    runtime.input.set(false);
    // Let Ink let go of raw mode before the terminal changes hands.
    await new Promise((resolve) => setImmediate(resolve));
    screen.leave();
    try {
      const result = await work();
      if (options.waitKey?.(result)) await pressAnyKey();
      return result;
    } finally {
      takeScreen();
      runtime.input.set(true);
      runtime.controller.redraw();
    }
  };
  const cover = stopPainting();
  const started = startApp({
    registry,
    config,
    compose,
    stdout: gatedStdout(process.stdout, () => screen.isActive, {
      firstFrame: cover ?? undefined,
    }),
    exit: () => finish(),
    suspend: () => suspendProcess(screen, () => started.runtime.controller.redraw()),
    handOver: (work, options) => handOver(work, options),
    // The sign-in code of tmail account login, loaded only when :login runs; it
    // prints on the terminal handed over to it.
    signIn: async (signedIn, { device }) => {
      const oauth = await import('../core/oauth/index.js');
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const { stored } = await oauth.signIn(
        signedIn,
        { say, openBrowser: (url) => oauth.openBrowser(url, process.env) },
        { device },
      );
      if (stored?.where === 'file') say(oauth.fileStorageNotice(signedIn.name, stored.path));
    },
    bell: () => ringBell(),
    bench,
    home: homedir(),
    notices: startupNotices,
  });
  unmount = () => started.instance.unmount();
  // Ink drew the first frame inside startApp; the connection may start now.
  setImmediate(firstFrameDrawn);
  // Messages left in the outbox by an earlier run: load sending soon, so they are retried.
  setTimeout(() => {
    void outboxEntries().then((count) => {
      if (count > 0)
        ready().catch((error: unknown) =>
          log.warn('sending not available', { message: (error as Error)?.message }),
        );
    });
  }, 2000).unref();
  // The code V8 compiled for this start, kept for the next one (src/boot.ts); a second
  // on, the first screen and the work of opening the folder are done.
  setTimeout(saveCodeCache, 1000).unref();
  const { controller } = started.runtime;
  notify = (message) => controller.notify('error', message);
  passwords.attach(
    async (question) => (await controller.prompt({ label: question, secret: true })) ?? '',
  );
  log.info('tui started', { account: account.name });
  if (options.mailto) {
    const { writeToMailto } = await import('../commands/message-file.js');
    void writeToMailto(
      controller.context,
      options.mailto,
      'The mailto: link given is not one tmail can read.',
    );
  }

  await finished;
  bench?.mark('quit', { memory: process.memoryUsage() });
  started.instance.unmount();
  loaded.services?.stop();
  controller.dispose();
  started.runtime.dispatcher.dispose();
  // A server that does not answer must not keep the terminal hostage.
  await Promise.race([registry.close(), new Promise((r) => setTimeout(r, 1500).unref())]);
  screen.leave();
  unguard();
  // Whatever socket or timer is left, quit now that the terminal is back.
  setTimeout(() => process.exit(process.exitCode ?? 0), 300).unref();
  return 0;
}
