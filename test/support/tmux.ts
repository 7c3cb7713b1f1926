/**
 * Drives a program in a real terminal: tmux on a private socket, a fixed
 * size, keys sent by name (or by keymap command id), and the screen read back
 * with capture-pane. Tests wait for text to appear; nothing sleeps a fixed time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildKeymap,
  keysFor,
  parseKeySpec,
  type KeyContext,
  type KeyOverrideTable,
} from '../../src/keymap/index.js';

const run = promisify(execFile);

/** tmux's names for our key tokens. */
const TMUX_KEYS: Record<string, string> = {
  '<Enter>': 'Enter',
  '<Esc>': 'Escape',
  '<Space>': 'Space',
  '<Tab>': 'Tab',
  '<S-Tab>': 'BTab',
  '<M-Tab>': 'M-Tab',
  '<BS>': 'BSpace',
  '<Del>': 'DC',
  '<Up>': 'Up',
  '<Down>': 'Down',
  '<Left>': 'Left',
  '<Right>': 'Right',
  '<PgUp>': 'PageUp',
  '<PgDn>': 'PageDown',
  '<Home>': 'Home',
  '<End>': 'End',
};

/** The tmux key name for a token (`<C-d>` -> `C-d`), or null for a literal character. */
function tmuxKey(token: string): string | null {
  if (TMUX_KEYS[token]) return TMUX_KEYS[token]!;
  const modified = /^<([CM])-(.)>$/.exec(token);
  if (modified) return `${modified[1]}-${modified[2]}`;
  return null;
}

export interface TmuxOptions {
  /** The program and its arguments. */
  command: string[];
  /**
   * Run the program from an interactive bash, typed as a person would, so that
   * job control works (Ctrl-Z stops it, `fg` brings it back). Without a shell,
   * tmux's pane would be an orphaned process group, where the kernel ignores
   * SIGTSTP.
   */
  shell?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  columns?: number;
  rows?: number;
  /** Key overrides the program was given, so `command()` sends the right keys. */
  keys?: KeyOverrideTable;
}

export class TmuxSession {
  private readonly socket = `tmail-test-${randomBytes(4).toString('hex')}`;
  private readonly target = 'main';
  private lastScreen = '';
  private killed = false;
  private readonly keymap;
  /** Where the wrapper writes the program's exit status (tmux 3.3 cannot report codes above 127). */
  private readonly statusFile = join(
    tmpdir(),
    `tmail-tmux-${randomBytes(4).toString('hex')}.status`,
  );

  private constructor(options: TmuxOptions) {
    this.keymap = buildKeymap(options.keys).keymap;
  }

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { maxBuffer: 1 << 24 });
  }

  /** Starts the program in a detached tmux session of the given size. */
  static async start(options: TmuxOptions): Promise<TmuxSession> {
    const session = new TmuxSession(options);
    const env = {
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ...options.env,
    };
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const program = options.shell
      ? ['env', ...envArgs, 'bash', '--norc', '--noprofile', '-i']
      : [
          'env',
          ...envArgs,
          'sh',
          '-c',
          `"$@"; echo $? > '${session.statusFile}'`,
          'sh',
          ...options.command,
        ];
    await session.tmux(
      'new-session',
      '-d',
      '-s',
      session.target,
      '-x',
      String(options.columns ?? 100),
      '-y',
      String(options.rows ?? 30),
      ...(options.cwd ? ['-c', options.cwd] : []),
      ...program,
    );
    // Keep the pane after the program exits so its status and last screen can be read.
    await session.tmux('set-option', '-t', session.target, 'remain-on-exit', 'on');
    await session.tmux('set-option', '-t', session.target, 'status', 'off');
    if (options.shell) {
      const line = options.command.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
      await session.type(`PS1='$ '; clear; ${line}`);
      await session.press('<Enter>');
    }
    return session;
  }

  /** The screen as text (`escapes` keeps colours and attributes, for screenshots). */
  async capture(escapes = false): Promise<string> {
    const { stdout } = await this.tmux(
      'capture-pane',
      '-p',
      // With colours, keep trailing spaces: a coloured bar ends in them.
      ...(escapes ? ['-e', '-N'] : []),
      '-t',
      this.target,
    );
    if (!escapes) this.lastScreen = stdout;
    return stdout;
  }

  /** The last screen read by `capture` (for failure messages). */
  get screen(): string {
    return this.lastScreen;
  }

  /** Sends keys written as a key spec: `j`, `<Enter>`, `<C-d>`, `dd`, `:folder Archive<Enter>`. */
  async press(spec: string): Promise<void> {
    const tokens = parseKeySpec(spec);
    if (!tokens) throw new Error(`Not a key spec: ${spec}`);
    for (const token of tokens) {
      const name = tmuxKey(token);
      if (name) await this.tmux('send-keys', '-t', this.target, name);
      else await this.tmux('send-keys', '-t', this.target, '-l', token);
    }
  }

  /** Types text literally, in one go (as a paste or a fast typist would). */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', this.target, '-l', text);
  }

  /** Presses the first key the keymap binds to a command in a context (`list`, `mail.delete`). */
  async command(context: KeyContext, command: string): Promise<void> {
    const spec = keysFor(this.keymap, context, command)[0];
    if (!spec) throw new Error(`No key is bound to ${command} in ${context}`);
    await this.press(spec);
  }

  /**
   * Polls the screen until `test` passes and returns that screen. No deadline
   * of its own: the test's timeout ends a wait that never succeeds.
   */
  async waitFor(test: (screen: string) => boolean): Promise<string> {
    for (;;) {
      const screen = await this.capture();
      if (test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Waits until `text` (or a match of the pattern) is on screen. */
  see(text: string | RegExp): Promise<string> {
    return this.waitFor((s) => (typeof text === 'string' ? s.includes(text) : text.test(s)));
  }

  /** Waits until `text` is no longer on screen. */
  gone(text: string): Promise<string> {
    return this.waitFor((s) => !s.includes(text));
  }

  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', this.target, '-x', String(columns), '-y', String(rows));
  }

  /** The size tmux gives the pane. */
  async size(): Promise<{ columns: number; rows: number }> {
    const { stdout } = await this.tmux(
      'display-message',
      '-p',
      '-t',
      this.target,
      '#{pane_width} #{pane_height}',
    );
    const [columns, rows] = stdout.trim().split(' ').map(Number);
    return { columns: columns!, rows: rows! };
  }

  /** True while the program has the terminal's alternate screen on. */
  async alternateScreen(): Promise<boolean> {
    const { stdout } = await this.tmux(
      'display-message',
      '-p',
      '-t',
      this.target,
      '#{alternate_on}',
    );
    return stdout.trim() === '1';
  }

  /** PID of the program (the child of the pane's wrapper or shell). */
  async pid(): Promise<number> {
    const { stdout } = await this.tmux('display-message', '-p', '-t', this.target, '#{pane_pid}');
    const pane = stdout.trim();
    for (;;) {
      const children = execFileSync('ps', ['-o', 'pid=', '--ppid', pane]).toString().trim();
      if (children) return Number(children.split(/\s+/)[0]);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The program's exit status once it has ended (a shell's `$?`), or null while it runs. */
  async exitStatus(): Promise<number | null> {
    if (!existsSync(this.statusFile)) return null;
    const text = readFileSync(this.statusFile, 'utf8').trim();
    return text === '' ? null : Number(text);
  }

  /** Waits for the program to exit and returns its status. */
  async exited(): Promise<number> {
    for (;;) {
      const status = await this.exitStatus();
      if (status !== null) return status;
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Ends the session and its tmux server. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(this.statusFile, { force: true });
  }
}
