/**
 * Choosing the program that opens an attachment: the user's mailcap entry for
 * the type when there is one (RFC 1524: `$MAILCAPS`, else `~/.mailcap` then
 * `/etc/mailcap`), else the desktop's handler (`xdg-open` on Linux and the
 * BSDs, `open` on macOS). Choosing is pure given its inputs, so tests check
 * the choice; `runOpener` spawns it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TmailError } from '../errors.js';

/** One mailcap line. */
export interface MailcapEntry {
  /** Lower-case type pattern: `image/png`, `image/*` or `image`. */
  type: string;
  /** The view command as written (`%s` is the file). */
  command: string;
  needsTerminal: boolean;
  copiousOutput: boolean;
  /** The `test=` command, if any: the entry applies only when it exits 0. */
  test: string | null;
  /** The file it came from. */
  source: string;
}

/** How to open a file. */
export type OpenerChoice =
  | {
      kind: 'mailcap';
      /** A shell command (run with `sh -c`) with the file name already quoted in. */
      shellCommand: string;
      /** The program takes over the terminal: suspend the UI while it runs. */
      needsTerminal: boolean;
      /** The entry has no `%s`: the file must be given on standard input. */
      viaStdin: boolean;
      source: string;
    }
  | { kind: 'system'; command: string; args: string[] };

/** Inputs of {@link chooseOpener}; every one has a default from the running system. */
export interface OpenerOptions {
  platform?: NodeJS.Platform;
  /** Mailcap files in lookup order; default `$MAILCAPS` or `~/.mailcap`, `/etc/mailcap`. */
  mailcapPaths?: string[];
  /** Reads a mailcap file; null when it does not exist. */
  readFile?: (path: string) => string | null;
  /** Runs a `test=` command; true when it succeeds. */
  runTest?: (command: string) => boolean;
  env?: NodeJS.ProcessEnv;
}

/** Splits at `;` that are not escaped with a backslash. */
function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += line[i + 1] === ';' ? ';' : c + line[i + 1];
      i++;
    } else if (c === ';') {
      fields.push(current.trim());
      current = '';
    } else current += c;
  }
  fields.push(current.trim());
  return fields;
}

/** Parses mailcap text (comments, `\` continuation lines, flags). Bad lines are skipped. */
export function parseMailcap(text: string, source: string): MailcapEntry[] {
  const entries: MailcapEntry[] = [];
  const lines = text.replace(/\\\r?\n/g, '').split(/\r?\n/);
  for (const line of lines) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const [type = '', command = '', ...flags] = splitFields(line);
    if (!type || !command) continue;
    const entry: MailcapEntry = {
      type: type.toLowerCase(),
      command,
      needsTerminal: false,
      copiousOutput: false,
      test: null,
      source,
    };
    for (const flag of flags) {
      const [name = '', ...value] = flag.split('=');
      const key = name.trim().toLowerCase();
      if (key === 'needsterminal') entry.needsTerminal = true;
      else if (key === 'copiousoutput') entry.copiousOutput = true;
      else if (key === 'test') entry.test = value.join('=').trim() || null;
    }
    entries.push(entry);
  }
  return entries;
}

function typeMatches(pattern: string, type: string): boolean {
  if (pattern === type) return true;
  const [major] = type.split('/');
  return pattern === `${major}/*` || pattern === major;
}

/** Single-quotes a word for `sh`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Expands `%s`, `%t`, `%{param}` and `%%` of a mailcap command, every value quoted. */
function expand(command: string, filePath: string, contentType: string): string {
  return command.replace(/%(s|t|%|\{[^}]*\})/g, (_m, what: string) => {
    if (what === 's') return shellQuote(filePath);
    if (what === 't') return shellQuote(contentType);
    if (what === '%') return '%';
    return "''"; // parameters from a message are not passed to a shell
  });
}

function defaultMailcapPaths(env: NodeJS.ProcessEnv): string[] {
  if (env.MAILCAPS) return env.MAILCAPS.split(':').filter(Boolean);
  return [join(env.HOME || homedir(), '.mailcap'), '/etc/mailcap'];
}

function defaultReadFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function defaultRunTest(command: string): boolean {
  const result = spawnSync('sh', ['-c', command], { stdio: 'ignore', timeout: 3000 });
  return result.status === 0;
}

/**
 * Picks how to open `filePath` of type `contentType`: the first matching
 * mailcap entry whose `test` passes (entries marked `copiousoutput` are for
 * showing text in a pager and are skipped), else the system handler. Null
 * when the platform has none. Spawns nothing except `test=` commands.
 */
export function chooseOpener(
  contentType: string,
  filePath: string,
  options: OpenerOptions = {},
): OpenerChoice | null {
  const env = options.env ?? process.env;
  const type = contentType.trim().toLowerCase().split(';')[0]!.trim();
  const readFile = options.readFile ?? defaultReadFile;
  const runTest = options.runTest ?? defaultRunTest;
  for (const path of options.mailcapPaths ?? defaultMailcapPaths(env)) {
    const text = readFile(path);
    if (text === null) continue;
    for (const entry of parseMailcap(text, path)) {
      if (entry.copiousOutput || !typeMatches(entry.type, type)) continue;
      if (entry.test && !runTest(expand(entry.test, filePath, type))) continue;
      return {
        kind: 'mailcap',
        shellCommand: expand(entry.command, filePath, type),
        needsTerminal: entry.needsTerminal,
        viaStdin: !/%s/.test(entry.command),
        source: entry.source,
      };
    }
  }
  const platform = options.platform ?? process.platform;
  if (platform === 'darwin') return { kind: 'system', command: 'open', args: [filePath] };
  if (platform === 'win32') return { kind: 'system', command: 'explorer.exe', args: [filePath] };
  if (['linux', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'].includes(platform)) {
    return { kind: 'system', command: 'xdg-open', args: [filePath] };
  }
  return null;
}

/**
 * Runs an opener. A program that needs the terminal inherits it and is
 * awaited (suspend the UI first); any other is started detached, with no
 * terminal, and the promise resolves once it has started. Throws a
 * TmailError when it cannot be started.
 */
export function runOpener(choice: OpenerChoice, filePath: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const terminal = choice.kind === 'mailcap' && choice.needsTerminal;
    const stdin =
      choice.kind === 'mailcap' && choice.viaStdin ? 'pipe' : terminal ? 'inherit' : 'ignore';
    const child =
      choice.kind === 'mailcap'
        ? spawn('sh', ['-c', choice.shellCommand], {
            detached: !terminal,
            stdio: [stdin, terminal ? 'inherit' : 'ignore', terminal ? 'inherit' : 'ignore'],
          })
        : spawn(choice.command, choice.args, { detached: true, stdio: 'ignore' });
    const fail = (error: unknown): void =>
      reject(
        new TmailError('FILE_ERROR', 'No program could be started to open the attachment.', {
          cause: error,
        }),
      );
    child.once('error', fail);
    if (choice.kind === 'mailcap' && choice.viaStdin && child.stdin) {
      createReadStream(filePath)
        .on('error', fail)
        .pipe(child.stdin)
        .on('error', () => {});
    }
    if (terminal) {
      child.once('exit', () => resolvePromise());
    } else {
      child.once('spawn', () => {
        child.unref();
        resolvePromise();
      });
    }
  });
}
