/**
 * The terminal's state while tmail runs: the alternate screen, the hidden
 * cursor and raw mode, put back on every way out (quit, Ctrl-C, a crash,
 * SIGTERM or SIGHUP), and around Ctrl-Z and the editor.
 */

const ENTER_ALT = '\u001b[?1049h';
const LEAVE_ALT = '\u001b[?1049l';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
/** Bracketed paste and mouse reporting off, attributes reset: whatever a crash left on. */
const RESET_MODES = '\u001b[?2004l\u001b[?1000l\u001b[?1002l\u001b[?1006l\u001b[0m';

export interface TerminalIo {
  stdout: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  stdin: Pick<NodeJS.ReadStream, 'isTTY'> & { setRawMode?: (mode: boolean) => unknown };
}

export class TerminalScreen {
  private active = false;

  constructor(private readonly io: TerminalIo = { stdout: process.stdout, stdin: process.stdin }) {}

  get isActive(): boolean {
    return this.active;
  }

  /** Switches to the alternate screen (the shell's screen comes back on leave). */
  enter(): void {
    if (this.active) return;
    this.active = true;
    this.io.stdout.write(ENTER_ALT + HIDE_CURSOR + '\u001b[H\u001b[2J');
  }

  /** Puts the terminal back as it was. Safe to call twice, and from an exit handler. */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    try {
      if (this.io.stdin.isTTY) this.io.stdin.setRawMode?.(false);
    } catch {
      // The terminal may already be gone (SIGHUP).
    }
    try {
      this.io.stdout.write(RESET_MODES + SHOW_CURSOR + LEAVE_ALT);
    } catch {
      // Same.
    }
  }
}

export interface GuardOptions {
  screen: TerminalScreen;
  /**
   * Runs before the terminal is restored: unmount Ink here, or its own exit
   * handler draws the last frame again over the restored screen.
   */
  beforeLeave?: () => void;
  /** Called once on a fatal error, after the terminal is back: print one sentence. */
  onFatal: (error: unknown) => void;
  /** A promise nobody handled: logged, not fatal (a stray promise must not end a session). */
  onStray?: (error: unknown) => void;
}

/**
 * Restores the terminal on every exit path. Returns a function that removes
 * the handlers again (after a normal quit).
 */
export function guardTerminal({ screen, beforeLeave, onFatal, onStray }: GuardOptions): () => void {
  const restore = () => {
    if (!screen.isActive) return;
    try {
      beforeLeave?.();
    } catch {
      // Restoring the terminal matters more than a clean unmount.
    }
    screen.leave();
  };
  const onExit = () => restore();
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
  };
  const onCrash = (error: unknown) => {
    restore();
    onFatal(error);
    process.exit(1);
  };
  process.on('exit', onExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onCrash);
  const onRejection = (error: unknown) => (onStray ? onStray(error) : onCrash(error));
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('exit', onExit);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onRejection);
  };
}

/**
 * Ctrl-Z: gives the terminal back to the shell, stops the process as any
 * terminal program does, and takes the terminal again on `fg`.
 */
export function suspendProcess(screen: TerminalScreen, resumed: () => void): void {
  const stdin = process.stdin;
  screen.leave();
  process.once('SIGCONT', () => {
    screen.enter();
    if (stdin.isTTY) stdin.setRawMode(true);
    resumed();
  });
  process.kill(process.pid, 'SIGTSTP');
}

/** Rings the terminal bell: BEL moves no cursor, so it is safe under Ink. */
export function ringBell(stdout: Pick<NodeJS.WriteStream, 'write'> = process.stdout): void {
  stdout.write('\u0007');
}

/**
 * The stream Ink writes to: the real stdout while tmail has the screen, and
 * nothing while it does not (suspended with Ctrl-Z, or an editor running).
 * Without the gate, a timer firing on resume, before the SIGCONT handler has
 * taken the alternate screen back, draws a frame over the shell's screen.
 * `firstFrame` rewrites the first frame written (over an early paint).
 */
export function gatedStdout(
  stdout: NodeJS.WriteStream,
  open: () => boolean,
  options: { firstFrame?: (frame: string) => string } = {},
): NodeJS.WriteStream {
  let firstFrame = options.firstFrame;
  return new Proxy(stdout, {
    get(target, property, receiver) {
      if (property === 'write') {
        return (...args: Parameters<NodeJS.WriteStream['write']>) => {
          // A frame has rows; what comes before it (hiding the cursor) has none.
          if (firstFrame && typeof args[0] === 'string' && args[0].includes('\n')) {
            args[0] = firstFrame(args[0]);
            firstFrame = undefined;
          }
          if (open()) return target.write(...args);
          // Keep the write contract: call the callback as if the bytes were written.
          const callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
          callback?.();
          return true;
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * Says so and waits for one key on the terminal (mutt's "Press any key to
 * continue"), while the terminal is handed over: Ink is not reading then.
 * Resolves at once when stdin is not a terminal.
 */
export function pressAnyKey(
  stdin: NodeJS.ReadStream = process.stdin,
  stdout: Pick<NodeJS.WriteStream, 'write'> = process.stdout,
): Promise<void> {
  if (!stdin.isTTY) return Promise.resolve();
  stdout.write('\nPress any key to return to tmail.');
  stdin.setRawMode(true);
  return new Promise((resolve) => {
    stdin.once('data', () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write('\n');
      resolve();
    });
    stdin.resume();
  });
}
