/**
 * tmail's entry point: argv -> a scriptable command or the TUI.
 *
 *   key -> root useInput -> keymap -> command handler -> engine.dispatch(action)
 *                                            | optimistic store update
 *   account worker (serial queue over one imapflow connection) -> core/imap -> ok | error
 *   server push (exists, expunge, flags, close) -> events -> reducer -> snapshot -> Ink
 *
 *   src/core      UI-free: config, secrets, imap, mime, smtp, engine, store, outbox
 *   src/keymap    the key table, parsing and resolving key sequences
 *   src/commands  what a key or `:` command does, on the engine
 *   src/cli       the scriptable commands (`tmail list`, `tmail read` ...)
 *   src/ui        Ink components and hooks; talks to the engine only
 *
 * Start-up matters: this file imports nothing heavy; each face loads its own code.
 */
import { COMMANDS, findCommand } from './cli/registry.js';
import { fail, processIo, type CliIo } from './cli/io.js';
import { homeProblem } from './core/paths.js';
import { VERSION } from './core/version.js';

const HELP_HEADER = `tmail ${VERSION}: a keyboard-driven terminal mail client

Usage:
  tmail [--account NAME] [--folder PATH]   open the mail reader (every account; NAME shown first)
  tmail [--account NAME] mailto:ADDRESS    open it writing to a mailto: link (a mail handler)
  tmail COMMAND [options]                  run one command and exit
  tmail COMMAND --help                     options of a command

Options:
  -a, --account NAME   use this account instead of the default one (the reader shows it first)
  -f, --folder PATH    open this folder instead of INBOX
  -h, --help           show this help
  -V, --version        print the version`;

function helpText(): string {
  const width = Math.max(0, ...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`);
  return `${HELP_HEADER}\n\nCommands:\n${lines.length ? lines.join('\n') : '  (none yet)'}\n
Configuration: $XDG_CONFIG_HOME/tmail/config.json (TMAIL_CONFIG_DIR overrides it).
Exit codes: 0 success, 1 failure, 2 usage or configuration error.
`;
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`tmail: ${message}; see tmail --help\n`);
  return 2;
}

/** Parses the options of the TUI form (`tmail [--account A] [--folder F]`). */
function parseTuiArgs(
  argv: string[],
  io: CliIo,
): { account?: string; folder?: string; mailto?: string } | number {
  const result: { account?: string; folder?: string; mailto?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--account' || flag === '-a') {
      const v = value();
      if (!v) return usage(io, `${flag} needs an account name`);
      result.account = v;
    } else if (flag === '--folder' || flag === '-f') {
      const v = value();
      if (!v) return usage(io, `${flag} needs a folder path`);
      result.folder = v;
    } else if (/^mailto:/i.test(arg) && result.mailto === undefined) {
      result.mailto = arg;
    } else if (flag.startsWith('-')) {
      return usage(io, `unknown option ${flag}`);
    } else {
      return usage(io, `unknown command ${JSON.stringify(flag)}`);
    }
  }
  return result;
}

/**
 * Splits leading global options off argv (`tmail --account A list` as in
 * `git -C DIR status`): what they are, as words a command takes, and where
 * the rest begins. Stops at the first word that is not a global option.
 */
function leadingGlobals(argv: string[]): { words: string[]; rest: number } {
  const words: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.split('=')[0]! : arg;
    if (!['--account', '-a', '--folder', '-f'].includes(name)) break;
    const long = name.length === 2 ? (name === '-a' ? '--account' : '--folder') : name;
    if (arg.includes('=') && arg.startsWith('--')) {
      words.push(`${long}=${arg.slice(arg.indexOf('=') + 1)}`);
      i += 1;
    } else {
      if (argv[i + 1] === undefined) break;
      words.push(long, argv[i + 1]!);
      i += 2;
    }
  }
  return { words, rest: i };
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const globals = leadingGlobals(argv);
  const word = argv[globals.rest];
  if (globals.words.length && word && !word.startsWith('-') && findCommand(word)) {
    // The command parses them as its own options; before a `--`, which ends options.
    const after = argv.slice(globals.rest + 1);
    const end = after.indexOf('--');
    const at = end === -1 ? after.length : end;
    argv = [word, ...after.slice(0, at), ...globals.words, ...after.slice(at)];
  } else if (
    globals.words.length &&
    word &&
    ['--help', '-h', 'help', '--version', '-V'].includes(word)
  ) {
    argv = argv.slice(globals.rest);
  }
  const first = argv[0];
  if (first === '--version' || first === '-V') {
    io.stdout.write(`tmail ${VERSION}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    const command = topic ? findCommand(topic) : undefined;
    if (topic && !command) return usage(io, `unknown command ${JSON.stringify(topic)}`);
    if (command) return (await command.load()).run(['--help'], io);
    io.stdout.write(helpText());
    return 0;
  }
  // Every command and the reader keep files under HOME unless told otherwise.
  const badHome = homeProblem(io.env);
  if (badHome) {
    io.stderr.write(`tmail: ${badHome}\n`);
    return 2;
  }
  if (first && !first.startsWith('-')) {
    const command = findCommand(first);
    if (command) {
      try {
        return await (await command.load()).run(argv.slice(1), io);
      } catch (error) {
        return fail(io, error);
      }
    }
  }
  const options = parseTuiArgs(argv, io);
  if (typeof options === 'number') return options;
  try {
    const { runTui } = await import('./ui/main.js');
    return await runTui(options);
  } catch (error) {
    return fail(io, error);
  }
}

void main(process.argv.slice(2), {
  ...processIo(),
  // src/cli never imports the UI: `tmail account add` in a terminal opens the wizard through this.
  runWizard: async () => (await import('./ui/wizard/index.js')).runWizardCommand(),
}).then((exitCode) => {
  // Let pending writes to stdout drain before exiting.
  process.exitCode = exitCode;
});
