/**
 * The dotfile on disk. Loads read and check the JSON with node:fs (about 3 ms);
 * writes go through conf, imported only then: importing conf costs about
 * 130 ms here (it brings ajv), which the start-up of every run must not pay.
 *
 * An invalid file is never rewritten, reset or replaced: a write first checks
 * the file it is about to change and refuses when it is invalid, and conf runs
 * with `clearInvalidConfig: false` and no schema of its own.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TmailError } from '../errors.js';
import { fsErrorReason } from '../fs-errors.js';
import { configDir } from '../paths.js';
import { validateConfig } from './schema.js';
import type { ConfigIssue, TmailConfig } from './types.js';

const FILE_NAME = 'config.json';

/** Full path of the dotfile: `$TMAIL_CONFIG_DIR/config.json` or `$XDG_CONFIG_HOME/tmail/config.json`. */
export function configFilePath(): string {
  return join(configDir(), FILE_NAME);
}

/** CONFIG_INVALID with every problem found; the message names the first one. */
export class ConfigError extends TmailError {
  readonly file: string;
  readonly issues: ConfigIssue[];

  constructor(file: string, issues: ConfigIssue[]) {
    const [first] = issues;
    const more =
      issues.length > 1
        ? ` (${issues.length - 1} more problem${issues.length > 2 ? 's' : ''} after this one)`
        : '';
    super(
      'CONFIG_INVALID',
      first ? `${file}: ${first.path}: ${first.message}${more}.` : `${file} is not valid.`,
    );
    this.file = file;
    this.issues = issues;
  }
}

/** The dotfile as JSON, before defaults are filled in: what writes start from. */
export type ConfigDocument = Record<string, unknown> & {
  defaultAccount?: string;
  accounts?: Record<string, Record<string, unknown>>;
};

interface ReadResult {
  document: ConfigDocument;
  config: TmailConfig;
  exists: boolean;
}

/** Where a JSON.parse error happened, as `line L, column C`, from its `position N`. */
function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message);
  if (!position) return 'the JSON cannot be parsed';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `the JSON cannot be parsed at line ${line}, column ${column}`;
}

function readDocument(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { document: {}, config: { accounts: {} }, exists: false };
    }
    throw new TmailError(
      'FILE_ERROR',
      `The configuration file ${file} could not be read: ${fsErrorReason(error)}.`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    // A byte-order mark is legal in a text file and harmless here.
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // The parser's own message may quote the text around the error, which
    // could be a password typed into the wrong place: report only the place.
    throw new ConfigError(file, [{ path: '(file)', message: jsonErrorPlace(text, error) }]);
  }
  const result = validateConfig(document);
  if (!result.ok) throw new ConfigError(file, result.issues);
  return { document: document as ConfigDocument, config: result.config, exists: true };
}

/**
 * Reads and validates the dotfile. A missing file gives an empty config; an
 * invalid one throws a ConfigError (CONFIG_INVALID) naming the field
 * (`accounts.work.imap.port: must be a number from 1 to 65535`) and leaves
 * the file untouched.
 */
export function loadConfig(): TmailConfig {
  return readDocument(configFilePath()).config;
}

/** True when the dotfile exists (valid or not). */
export function configFileExists(): boolean {
  try {
    readFileSync(configFilePath());
    return true;
  } catch {
    return false;
  }
}

/**
 * Changes the dotfile: reads and checks the current file (refusing to touch
 * an invalid one), lets `change` edit a copy of its JSON, checks the result,
 * and writes it with mode 0600. Resolves to the new config.
 */
export async function updateConfig(
  change: (document: ConfigDocument) => void,
): Promise<TmailConfig> {
  const file = configFilePath();
  const { document } = readDocument(file);
  const next = structuredClone(document);
  change(next);
  const result = validateConfig(next);
  if (!result.ok) throw new ConfigError(file, result.issues);
  await writeDocument(next);
  return result.config;
}

async function writeDocument(document: ConfigDocument): Promise<void> {
  const dir = configDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Name the folder that refused: the first one that exists on the way up.
    let parent = dirname(dir);
    while (parent !== dirname(parent) && !existsSync(parent)) parent = dirname(parent);
    throw new TmailError(
      'FILE_ERROR',
      `The configuration folder ${dir} could not be created in ${parent}: ${fsErrorReason(error)}; create it yourself, or set XDG_CONFIG_HOME or TMAIL_CONFIG_DIR to a folder you can write.`,
      { cause: error },
    );
  }
  const { default: Conf } = await import('conf');
  try {
    const store = new Conf<Record<string, unknown>>({
      cwd: dir,
      configName: FILE_NAME.replace(/\.json$/, ''),
      fileExtension: 'json',
      configFileMode: 0o600,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
      serialize: (value) => `${JSON.stringify(value, null, 2)}\n`,
    });
    store.store = document;
  } catch (error) {
    throw new TmailError(
      'FILE_ERROR',
      `The configuration file ${configFilePath()} could not be written: ${fsErrorReason(error)}.`,
      { cause: error },
    );
  }
  // conf writes through a temp file and a rename, so the mode above applies;
  // this only repairs a file an older tool left readable by others.
  chmodSync(configFilePath(), 0o600);
}
