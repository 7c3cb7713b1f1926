/**
 * Renders the whole TUI with ink-testing-library on the fake backend, at a
 * chosen terminal size, and waits for frames instead of sleeping.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chalk from 'chalk';
import { onTestFailed } from 'vitest';
import { render } from 'ink-testing-library';
import type { AccountConfig, TmailConfig } from '../../src/core/config/types.js';
import { EngineRegistry } from '../../src/core/engine-registry.js';
import { openAccountCache } from '../../src/core/cache/index.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { foldersFileOf, LocalMail } from '../../src/core/engine/local-mail.js';
import { TmailError } from '../../src/core/errors.js';
import {
  FakeBackend,
  FakeMailServer,
  type FakeMessageSpec,
} from '../../src/core/engine/fake-backend.js';
import { cellWidth } from '../../src/core/text/index.js';
import { parseKeySpec } from '../../src/keymap/index.js';
import { App, type Runtime } from '../../src/ui/App.js';
import { createRuntime, type StartAppOptions } from '../../src/ui/start-app.js';
import { followTerminalSize } from '../../src/ui/ui-store.js';

export function fakeAccount(overrides: Partial<AccountConfig> = {}): AccountConfig {
  return {
    name: 'test',
    email: 'me@example.test',
    imap: { host: '127.0.0.1', port: 143, security: 'plain' },
    smtp: { host: '127.0.0.1', port: 587, security: 'plain' },
    password: { type: 'command', command: 'true' },
    ...overrides,
  };
}

/** Raw terminal bytes for a key token, as a terminal would send them. */
export function rawKey(token: string): string {
  const named: Record<string, string> = {
    '<Enter>': '\r',
    '<Esc>': '\u001b',
    '<Space>': ' ',
    '<Tab>': '\t',
    '<S-Tab>': '\u001b[Z',
    '<M-Tab>': '\u001b\t',
    '<BS>': '\u007f',
    '<Del>': '\u001b[3~',
    '<Up>': '\u001b[A',
    '<Down>': '\u001b[B',
    '<Right>': '\u001b[C',
    '<Left>': '\u001b[D',
    '<PgUp>': '\u001b[5~',
    '<PgDn>': '\u001b[6~',
    '<Home>': '\u001b[H',
    '<End>': '\u001b[F',
  };
  if (named[token]) return named[token]!;
  const meta = /^<M-(.)>$/.exec(token);
  if (meta) return `\u001b${meta[1]}`;
  const ctrl = /^<C-([a-z])>$/.exec(token);
  if (ctrl) return String.fromCharCode(ctrl[1]!.charCodeAt(0) - 96);
  return token;
}

// The program's log goes to a temp file, never to the user's state directory.
process.env.TMAIL_LOG_FILE ??= join(tmpdir(), `tmail-ui-test-${process.pid}.log`);

// Colours on, so tests can see the highlighted row (ink-testing-library's stdout is no TTY).
chalk.level = 1;

/** Strips colours and attributes from a frame. */
export function plain(frame: string | undefined): string {
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}

/** Another account of the session, on a fake server of its own (or on none that answers). */
export interface OtherAccount {
  account: Partial<AccountConfig> & { name: string };
  server?: FakeMailServer;
  /** Its server refuses every connection. */
  down?: boolean;
}

export interface TuiHarness {
  /** The engine of the account shown first. */
  engine: MailEngine;
  /** Every account of the session (one engine each, opened when first shown). */
  registry: EngineRegistry;
  server: FakeMailServer;
  runtime: Runtime;
  exited: () => boolean;
  /** The last frame without colours. */
  frame(): string;
  /** The last frame with colours and attributes. */
  rawFrame(): string;
  /** The line of the last frame (without colours) that contains `text`. */
  line(text: string): string | undefined;
  /** True when the row showing `text` is drawn highlighted (the cursor). */
  highlighted(text: string): boolean;
  /** Types keys written as a key spec (`j`, `<Enter>`, `dd`, `<C-d>`), one write per key. */
  press(spec: string): void;
  /** Writes raw text in one chunk, as a fast typist's keys can arrive. */
  type(text: string): void;
  /** Resolves once a frame satisfies the test; waits for new frames, never a fixed time. */
  waitFor(test: (frame: string) => boolean, what?: string): Promise<string>;
  /** Waits until the text appears on screen. */
  see(text: string): Promise<string>;
  resize(columns: number, rows: number): void;
  /** Resolves when every key so far has been handled and the engine is idle. */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  server?: FakeMailServer;
  /** Messages for INBOX (ignored when a server is given). */
  inbox?: FakeMessageSpec[];
  columns?: number;
  rows?: number;
  config?: Pick<TmailConfig, 'keys' | 'ui' | 'compose'>;
  account?: Partial<AccountConfig>;
  folder?: string;
  env?: NodeJS.ProcessEnv;
  /** Do not open a folder (tests of what shows before one is open). */
  noOpen?: boolean;
  options?: Partial<StartAppOptions>;
  /** The offline queue's file (default: a fresh temp dir). */
  pendingFile?: string;
  /** More accounts in the same session, after the first. */
  others?: OtherAccount[];
  /** The first account's local cache: this store file (see `cacheFileOf`); none when absent. */
  cacheFile?: string;
}

export async function renderTui(options: HarnessOptions = {}): Promise<TuiHarness> {
  const server = options.server ?? new FakeMailServer();
  if (!options.server && options.inbox) server.deliver('INBOX', options.inbox);
  const dir = mkdtempSync(join(tmpdir(), 'tmail-ui-'));
  const account = fakeAccount(options.account);
  const cacheFile = options.cacheFile;
  const engine = new MailEngine({
    account,
    ...(cacheFile
      ? {
          cache: (onNotice: (text: string) => void) =>
            new LocalMail(
              openAccountCache(account, { file: cacheFile, onNotice }),
              foldersFileOf(cacheFile),
            ),
        }
      : {}),
    backendFactory: async () => new FakeBackend(server),
    pendingFile: options.pendingFile ?? join(dir, 'pending.json'),
    reconnectDelaysMs: [20, 40],
  });
  let columns = options.columns ?? 100;
  let rows = options.rows ?? 30;
  await engine.start({ retry: true });
  while (engine.state.connection.status === 'connecting') await new Promise((r) => setImmediate(r));
  if (!options.noOpen) {
    await engine.request({
      type: 'open-folder',
      path: options.folder ?? 'INBOX',
      rows: rows - 2,
    });
  }
  const others = options.others ?? [];
  const registry = new EngineRegistry({
    accounts: [engine.account, ...others.map((o) => fakeAccount(o.account))],
    firstEngine: engine,
    open: (account) => {
      const other = others.find((o) => o.account.name === account.name)!;
      const opened = new MailEngine({
        account,
        backendFactory: async () => {
          if (other.down)
            throw new TmailError(
              'CONNECTION_REFUSED',
              `Could not connect to the server of ${account.name}.`,
            );
          return new FakeBackend(other.server!);
        },
        pendingFile: join(dir, `pending-${account.name}.json`),
        reconnectDelaysMs: [60_000],
      });
      void opened.start({ retry: true });
      return opened;
    },
  });
  let exited = false;
  const runtime = createRuntime({
    registry,
    config: options.config ?? {},
    exit: () => {
      exited = true;
    },
    suspend: () => {},
    env: options.env ?? {},
    home: dir,
    ...options.options,
  });
  const rendered = render(<App runtime={runtime} />);
  const stdout = rendered.stdout as unknown as NodeJS.EventEmitter & {
    write: (frame: string) => void;
  };
  const waiters = new Set<() => void>();
  const write = stdout.write.bind(stdout);
  stdout.write = (frame: string) => {
    write(frame);
    for (const wake of [...waiters]) wake();
  };
  Object.defineProperty(stdout, 'columns', { get: () => columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { get: () => rows, configurable: true });
  followTerminalSize(runtime.store, stdout as unknown as NodeJS.WriteStream);

  const frame = () => plain(rendered.lastFrame());
  // A test that times out waiting for the screen should show the screen it got.
  onTestFailed(() => {
    process.stdout.write(`\nLast frame:\n${frame()}\n`);
  });
  const waitFor = async (test: (frame: string) => boolean): Promise<string> => {
    for (;;) {
      const current = frame();
      if (test(current)) return current;
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      });
    }
  };
  // The first frame is drawn before the size above is seen; wait for one at the size.
  await waitFor((f) => {
    const lines = f.split('\n');
    return lines.length === rows && Math.max(...lines.map((l) => cellWidth(l))) === columns;
  });
  const rawFrame = () => rendered.lastFrame() ?? '';
  return {
    engine,
    registry,
    server,
    runtime,
    exited: () => exited,
    frame,
    rawFrame,
    line: (text) =>
      frame()
        .split('\n')
        .find((l) => l.includes(text)),
    highlighted: (text) => {
      const line = rawFrame()
        .split('\n')
        .find((l) => plain(l).includes(text));
      // The selected row is drawn on a cyan background (46) or inverse (7).
      return line !== undefined && /\u001b\[(46|7)m/.test(line);
    },
    press(spec) {
      const tokens = parseKeySpec(spec);
      if (!tokens) throw new Error(`bad key spec ${spec}`);
      for (const token of tokens) rendered.stdin.write(rawKey(token));
    },
    type(text) {
      rendered.stdin.write(text);
    },
    waitFor,
    see: (text) => waitFor((f) => f.includes(text)),
    resize(c, r) {
      columns = c;
      rows = r;
      stdout.emit('resize');
    },
    async settle() {
      await runtime.dispatcher.idle();
      await Promise.all(registry.openedEngines().map((e) => e.idle()));
    },
    async cleanup() {
      rendered.unmount();
      runtime.controller.dispose();
      runtime.dispatcher.dispose();
      await registry.close();
    },
  };
}

/** Simple message specs: `count` messages with numbered subjects, oldest first. */
export function numbered(count: number, base: Partial<FakeMessageSpec> = {}): FakeMessageSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    subject: `Message number ${i + 1}`,
    from: { name: `Sender ${i + 1}`, address: `sender${i + 1}@example.test` },
    date: new Date(Date.UTC(2025, 0, 1) + i * 3600_000),
    ...base,
  }));
}
