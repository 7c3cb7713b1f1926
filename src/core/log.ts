/**
 * The log file. Ink owns stdout, so nothing in tmail writes logs to the
 * terminal; imapflow and nodemailer get this logger instead of their defaults
 * (imapflow's default writes to stdout and would corrupt the screen).
 *
 * Every secret the program learns is registered here and replaced by `***` in
 * every line written, whichever library produced it.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { statePath } from './paths.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();

/** Registers a secret (password, token) so that it never reaches the log. */
export function registerSecret(secret: string): void {
  if (secret.length >= 3) secrets.add(secret);
}

/** Replaces every registered secret in `text` with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

function threshold(): number {
  const wanted = (process.env.TMAIL_LOG_LEVEL ?? 'info').toLowerCase();
  return LEVELS[wanted as LogLevel] ?? LEVELS.info;
}

/** Where the log goes: `TMAIL_LOG_FILE`, else `$XDG_STATE_HOME/tmail/tmail.log`. */
export function logFilePath(): string {
  return process.env.TMAIL_LOG_FILE || statePath('tmail.log');
}

let fileReady = false;

function write(level: LogLevel, scope: string, message: string, data?: unknown): void {
  if (LEVELS[level] < threshold()) return;
  const file = logFilePath();
  try {
    if (!fileReady) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      fileReady = true;
    }
    let line = `${new Date().toISOString()} ${level.toUpperCase()} [${scope}] ${message}`;
    if (data !== undefined) line += ` ${safeStringify(data)}`;
    appendFileSync(file, redact(line) + '\n', { mode: 0o600 });
  } catch {
    // A log that cannot be written must never take the program down.
  }
}

function safeStringify(data: unknown): string {
  try {
    return JSON.stringify(data, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return String(data);
  }
}

export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** A logger whose lines carry `scope`, e.g. `imap:work`. */
export function createLogger(scope: string): Logger {
  return {
    debug: (m, d) => write('debug', scope, m, d),
    info: (m, d) => write('info', scope, m, d),
    warn: (m, d) => write('warn', scope, m, d),
    error: (m, d) => write('error', scope, m, d),
  };
}

/**
 * The pino-shaped logger imapflow and nodemailer accept: each method takes an
 * object with a `msg` field (or a string).
 */
export function libraryLogger(scope: string): Record<
  LogLevel | 'trace' | 'fatal',
  (entry: unknown) => void
> & {
  isLevelEnabled: (level: string) => boolean;
} {
  const log = createLogger(scope);
  const toLine = (entry: unknown): [string, unknown?] => {
    if (typeof entry === 'string') return [entry];
    if (entry && typeof entry === 'object') {
      const { msg, ...rest } = entry as { msg?: unknown };
      return [typeof msg === 'string' ? msg : '', rest];
    }
    return [String(entry)];
  };
  return {
    // imapflow asks before it turns each command and response back into text for a debug
    // line; without this it assumes every level is on and does that work for nothing at
    // the default level (about 20 ms of CPU while tmail starts, more on big fetches).
    // trace is never written; fatal is written as error.
    isLevelEnabled: (level: string) => {
      const name = level === 'fatal' ? 'error' : level;
      return Object.hasOwn(LEVELS, name) && LEVELS[name as LogLevel] >= threshold();
    },
    trace: () => {},
    debug: (e) => log.debug(...toLine(e)),
    info: (e) => log.info(...toLine(e)),
    warn: (e) => log.warn(...toLine(e)),
    error: (e) => log.error(...toLine(e)),
    fatal: (e) => log.error(...toLine(e)),
  };
}
