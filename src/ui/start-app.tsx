/**
 * Builds the TUI around a started engine and renders it: the keymap with the
 * dotfile's overrides, the theme, the UI store, the controller and the key
 * dispatcher. This module pulls in React and Ink, so main.tsx imports it
 * only once connecting has begun.
 */
import { render, type Instance } from 'ink';
import type { TmailConfig } from '../core/config/types.js';
import type { CommandContext, HandOverOptions } from '../commands/context.js';
import { EngineRegistry } from '../core/engine-registry.js';
import type { MailEngine } from '../core/engine/engine.js';
import { createLogger } from '../core/log.js';
import { buildKeymap } from '../keymap/index.js';
import { App, createInputSwitch, type InputSwitch, type Runtime } from './App.js';
import { batchedStore } from './batched-store.js';
import type { BenchMarks } from './bench-marks.js';
import { Composer, type ComposeServices } from './composer.js';
import { Controller } from './controller.js';
import { KeyDispatcher } from './key-dispatcher.js';
import { pickTheme } from './theme.js';
import { followTerminalSize, UiStore } from './ui-store.js';

const log = createLogger('tui');

export interface StartAppOptions {
  /** The one account's engine; or `registry` for every account of the dotfile. */
  engine?: MailEngine;
  /** Every account, one engine each (the one shown first already started). */
  registry?: EngineRegistry;
  config: Pick<TmailConfig, 'keys' | 'ui' | 'compose'>;
  /** The user chose to quit. */
  exit: () => void;
  /** Ctrl-Z. */
  suspend: () => void;
  /** Gives the terminal to another program while `work` runs. */
  handOver?: <T>(work: () => Promise<T>, options?: HandOverOptions<T>) => Promise<T>;
  bell?: () => void;
  bench?: BenchMarks | null;
  /** Sending and the editor; without them the reader cannot write mail. */
  compose?: ComposeServices;
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Streams for Ink (tests pass their own). */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Signs an OAuth2 account in again (`:login`); absent: `:login` says it is not available. */
  signIn?: CommandContext['signIn'];
  /** Notices to show at once (a keymap error, a folder that could not be opened). */
  notices?: string[];
}

export interface StartedApp {
  instance: Instance;
  runtime: Runtime;
}

/** Makes the runtime without rendering (the tests render it with ink-testing-library). */
export function createRuntime(options: StartAppOptions): Runtime {
  const ui = options.config.ui ?? {};
  const { keymap, errors } = buildKeymap(options.config.keys);
  const registry = options.registry ?? singleRegistry(options.engine);
  const engine = registry.shown;
  const store = new UiStore({
    layout: ui.layout,
    sidebar: ui.sidebar,
    account: registry.shownAccount,
  });
  const input: InputSwitch = createInputSwitch();
  const controller = new Controller({
    engine,
    registry,
    store,
    keymap,
    exit: options.exit,
    suspend: options.suspend,
    handOver: options.handOver,
    bell: ui.bell ? options.bell : undefined,
    home: options.home,
  });
  controller.context.signIn = options.signIn;
  if (options.compose) {
    const composer = new Composer({
      engine,
      accountOf: (name) => registry.accounts.find((a) => a.name === name),
      store,
      controller,
      services: options.compose,
      settings: options.config.compose,
      home: options.home,
    });
    controller.context.composer = composer;
    controller.context.pendingSends = () => composer.pendingSends;
  }
  const dispatcher = new KeyDispatcher({
    keymap: () => keymap,
    context: () => controller.keyContext(),
    promptOpen: () => controller.promptOpen(),
    promptKey: (token, command) => controller.promptKey(token, command),
    promptOpened: () => controller.promptOpened(),
    run: (command) => controller.run(command),
    cancelRunning: () => controller.cancelRunning(),
    unbound: (keys) => {
      const shown = keys.join('');
      controller.notify('error', `${shown} is not bound to anything here; ? shows the keys.`);
    },
    pending: (keys) => store.set({ pendingKeys: keys }),
  });
  const notices = [...(options.notices ?? []), ...errors];
  for (const error of errors) log.warn('key binding skipped', { error });
  if (notices.length) {
    const more = notices.length > 1 ? ` (and ${notices.length - 1} more in the log)` : '';
    controller.notify('error', `${notices[0]}${more}`);
  }
  return {
    engine,
    registry,
    mail: batchedStore(engine.store),
    accounts: batchedStore(registry),
    store,
    controller,
    dispatcher,
    keymap,
    theme: pickTheme(ui.theme, options.env),
    dateStyle: ui.dateFormat ?? 'relative',
    splitList: ui.splitList,
    input,
    bench: options.bench ?? null,
  };
}

/** A session of one account: its engine in a registry of one. */
function singleRegistry(engine: MailEngine | undefined): EngineRegistry {
  if (!engine) throw new Error('startApp needs an engine or a registry');
  return new EngineRegistry({
    accounts: [engine.account],
    firstEngine: engine,
    open: () => engine,
  });
}

/** Renders the TUI; the caller owns the terminal (alternate screen, raw mode on exit). */
export function startApp(options: StartAppOptions): StartedApp {
  const runtime = createRuntime(options);
  const bench = runtime.bench;
  const stdout = options.stdout ?? process.stdout;
  followTerminalSize(runtime.store, stdout);
  const instance = render(<App runtime={runtime} />, {
    stdout,
    stdin: options.stdin ?? process.stdin,
    stderr: options.stderr ?? process.stderr,
    exitOnCtrlC: false,
    patchConsole: false,
    // A key's frame goes out at once (the throttle lets the first call through); the cap
    // only thins bursts. Engine events are batched per turn before they reach React.
    maxFps: 250,
    onRender: bench ? ({ renderTime }) => bench.frame(renderTime) : undefined,
  });
  return { instance, runtime };
}
