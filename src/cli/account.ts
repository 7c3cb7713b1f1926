/**
 * `tmail account add|edit|list|test|remove|rename|default`: accounts from the
 * command line. `add` without options opens the interactive wizard (through
 * `io.runWizard`, so this module never loads the UI); with options it checks
 * the servers for real and saves only what worked.
 *
 * Every line printed goes through the log's redaction: a password read here is
 * registered at once, so not even a server that echoed it could print it.
 */
import {
  checkAccountConfig,
  configFilePath,
  defaultAccountName,
  defaultPort,
  getAccount,
  loadConfig,
  setDefaultAccount,
  type AccountConfig,
  type ConfigIssue,
  type OAuth2Config,
  type PasswordSource,
  type ProbeResult,
  type Security,
} from '../core/config/index.js';
import {
  checkKeychain,
  formatProbeResult,
  probeAccount,
  removeAccountEverywhere,
  saveCheckedAccount,
  testAccount,
} from '../core/config/account-setup.js';
import { TmailError, exitCodeFor, toTmailError } from '../core/errors.js';
import { redact, registerSecret } from '../core/log.js';
import { deleteKeychainPassword, promptSecret, resolveCredentials } from '../core/secrets/index.js';
import {
  fileStorageNotice,
  openBrowser,
  saveRefreshToken,
  signIn,
  usesBuiltInOAuth,
  type FlowIo,
} from '../core/oauth/index.js';
import { parseCommandArgs, type OptionSpec, type Parsed } from './args.js';
import { usageError, type CliIo } from './io.js';
import { jsonText } from './output.js';

const HELP = `Usage: tmail account COMMAND [options]

Commands:
  add                   set up an account interactively (in a terminal)
  add --name NAME --email ADDR --imap-host H --smtp-host H SOURCE [options]
                        set up an account without questions; checks the servers first
  edit NAME [options]   change the given settings of an account; checks again
  list [--json]         the accounts, their servers and password sources
  test [NAME] [--json]  log in to IMAP and SMTP, one line for each
  remove NAME           forget an account and its keychain entry
  rename OLD NEW        rename an account, with its keychain entry, default,
                        offline changes, outbox and drafts
  default NAME          use this account when none is given
  login NAME [--device] sign an OAuth2 account in again (browser, or a code
                        to enter on another device)

Options of add and edit:
  --name NAME                  the account's name (letters, digits, . _ -)
  --email ADDR                 the email address
  --display-name TEXT          the name shown in From
  --imap-host H                IMAP server
  --imap-port P                default 993 for tls, 143 otherwise
  --imap-security S            tls (default), starttls, or plain (localhost only)
  --smtp-host H                SMTP submission server
  --smtp-port P                default 465 for tls, 587 otherwise
  --smtp-security S            tls (default), starttls, or plain (localhost only)
  --user U                     login for both servers (default: the address)
  --imap-user U, --smtp-user U login for one server only
  --allow-invalid-cert         accept a certificate that is not trusted (self-signed)
  --verify-cert                check certificates again (edit)
  --no-test                    save without logging in first

Password source (exactly one for add):
  --keychain                   keep the password in the system keychain; it is
                               asked on the terminal, or read from the first line
                               of standard input when that is not a terminal
  --password-command CMD       run CMD (sh -c); its first line of output is the password
  --password-prompt            ask for the password once per run
  --oauth2-command CMD         run CMD for an OAuth2 access token (XOAUTH2)
  --oauth2-provider P          sign in with OAuth2 here: google or microsoft
  --oauth2-issuer URL          sign in with OAuth2 at any OpenID issuer
                               (both need --oauth2-client-id: your own app's
                               registration; see docs/configuration.md)

OAuth2 sign-in (with --oauth2-provider or --oauth2-issuer):
  --oauth2-client-id ID        the client id of your registered app
  --oauth2-client-secret S     its secret, where the provider requires one (Google)
  --oauth2-tenant T            Microsoft: common (default), organizations, or your tenant
  --oauth2-scope S             the scopes to ask for (the provider's mail scopes by default)
  --device                     sign in with a code on another device (over SSH)

Exit codes: 0 success, 1 a check or the keychain failed, 2 usage or configuration error.
The file: ${'$'}XDG_CONFIG_HOME/tmail/config.json (TMAIL_CONFIG_DIR overrides it); see docs/configuration.md.
`;

const SERVER_OPTIONS = {
  name: { type: 'string' },
  email: { type: 'string' },
  'display-name': { type: 'string' },
  'imap-host': { type: 'string' },
  'imap-port': { type: 'string' },
  'imap-security': { type: 'string' },
  'smtp-host': { type: 'string' },
  'smtp-port': { type: 'string' },
  'smtp-security': { type: 'string' },
  user: { type: 'string' },
  'imap-user': { type: 'string' },
  'smtp-user': { type: 'string' },
  keychain: { type: 'boolean' },
  'password-command': { type: 'string' },
  'password-prompt': { type: 'boolean' },
  'oauth2-command': { type: 'string' },
  'oauth2-provider': { type: 'string' },
  'oauth2-issuer': { type: 'string' },
  'oauth2-client-id': { type: 'string' },
  'oauth2-client-secret': { type: 'string' },
  'oauth2-tenant': { type: 'string' },
  'oauth2-scope': { type: 'string' },
  device: { type: 'boolean' },
  'allow-invalid-cert': { type: 'boolean' },
  'verify-cert': { type: 'boolean' },
  'no-test': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

type ServerValues = Parsed<typeof SERVER_OPTIONS>['values'];

const LOGIN_OPTIONS = {
  device: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

const LIST_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** Prints a line on stdout, with every known secret blanked out. */
function say(io: CliIo, line: string): void {
  io.stdout.write(`${redact(line)}\n`);
}

/** Prints a line on stderr, with every known secret blanked out. */
function warn(io: CliIo, line: string): void {
  io.stderr.write(`${redact(line)}\n`);
}

/** Asks on the terminal without echo, or reads the first line of a piped stdin. */
function terminalPrompt(io: CliIo): (question: string) => Promise<string> {
  return async (question) => {
    const answer = await promptSecret(question, { input: io.stdin, output: io.stderr });
    registerSecret(answer);
    return answer;
  };
}

/** Runs `tmail account ...`; resolves to the exit code. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(HELP);
        return 0;
      case 'add':
        return await add(rest, io);
      case 'edit':
        return await edit(rest, io);
      case 'list':
        return list(rest, io);
      case 'test':
        return await test(rest, io);
      case 'remove':
        return await remove(rest, io);
      case 'rename':
        return await rename(rest, io);
      case 'default':
        return await makeDefault(rest, io);
      case 'login':
        return await login(rest, io);
      default:
        throw usageError(
          `unknown account command ${JSON.stringify(sub)}; see tmail account --help`,
        );
    }
  } catch (error) {
    const e = toTmailError(error);
    warn(io, `tmail: ${e.userMessage}`);
    return exitCodeFor(e);
  }
}

// ---------------------------------------------------------------------------
// add and edit

/** The option that sets each field, for error messages about flags. */
const FLAG_OF_FIELD: Record<string, string> = {
  email: '--email',
  displayName: '--display-name',
  user: '--user',
  'imap.host': '--imap-host',
  'imap.port': '--imap-port',
  'imap.security': '--imap-security',
  'imap.user': '--imap-user',
  'smtp.host': '--smtp-host',
  'smtp.port': '--smtp-port',
  'smtp.security': '--smtp-security',
  'smtp.user': '--smtp-user',
  'password.command': '--password-command',
  oauth2: '--oauth2-provider or --oauth2-issuer',
  'oauth2.provider': '--oauth2-provider',
  'oauth2.issuer': '--oauth2-issuer',
  'oauth2.clientId': '--oauth2-client-id',
  'oauth2.clientSecret': '--oauth2-client-secret',
  'oauth2.tenant': '--oauth2-tenant',
  'oauth2.scope': '--oauth2-scope',
};

/** A usage error for the first issue, naming the option that set the field. */
function issueToUsage(account: AccountConfig, issue: ConfigIssue, command: string): TmailError {
  const prefix = `accounts.${account.name}`;
  let field = issue.path.startsWith(`${prefix}.`) ? issue.path.slice(prefix.length + 1) : '';
  if (field === '' && /account name/.test(issue.message)) {
    return usageError(
      `--name: ${issue.message.replace(/^the account name /, '')}; see tmail account ${command} --help`,
    );
  }
  if (field.startsWith('password')) field = 'password.command';
  if (field.startsWith('oauth2.') && !(field in FLAG_OF_FIELD)) field = 'oauth2';
  const flag = FLAG_OF_FIELD[field] ?? issue.path;
  return usageError(`${flag}: ${issue.message}; see tmail account ${command} --help`);
}

function parsePort(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw usageError(`${flag}: must be a number from 1 to 65535`);
  }
  return port;
}

function parseSecurity(flag: string, value: string | undefined): Security | undefined {
  if (value === undefined) return undefined;
  if (value !== 'tls' && value !== 'starttls' && value !== 'plain') {
    throw usageError(`${flag}: must be one of tls, starttls, plain`);
  }
  return value;
}

/** The password source the options name, if any; a usage error when they name several. */
function sourceFromOptions(values: ServerValues): PasswordSource | undefined {
  const given: PasswordSource[] = [];
  if (values.keychain) given.push({ type: 'keychain' });
  if (values['password-command'] !== undefined)
    given.push({ type: 'command', command: values['password-command'] });
  if (values['password-prompt']) given.push({ type: 'prompt' });
  if (values['oauth2-command'] !== undefined)
    given.push({ type: 'oauth2', command: values['oauth2-command'] });
  if (values['oauth2-provider'] !== undefined || values['oauth2-issuer'] !== undefined)
    given.push({ type: 'oauth2' });
  if (given.length > 1) {
    throw usageError(
      'give only one of --keychain, --password-command, --password-prompt, --oauth2-command and --oauth2-provider or --oauth2-issuer',
    );
  }
  return given[0];
}

/** The oauth2 block the options describe, over `base` (for edit); undefined when none is given. */
function oauth2FromOptions(
  values: ServerValues,
  base: OAuth2Config | undefined,
): OAuth2Config | undefined {
  const given = (
    [
      'oauth2-provider',
      'oauth2-issuer',
      'oauth2-client-id',
      'oauth2-client-secret',
      'oauth2-tenant',
      'oauth2-scope',
    ] as const
  ).some((flag) => values[flag] !== undefined);
  if (!given) return base;
  const where =
    values['oauth2-provider'] !== undefined || values['oauth2-issuer'] !== undefined
      ? {
          ...(values['oauth2-provider'] !== undefined
            ? { provider: values['oauth2-provider'] as OAuth2Config['provider'] }
            : {}),
          ...(values['oauth2-issuer'] !== undefined ? { issuer: values['oauth2-issuer'] } : {}),
        }
      : {
          provider: base?.provider,
          issuer: base?.issuer,
          authorizationEndpoint: base?.authorizationEndpoint,
          tokenEndpoint: base?.tokenEndpoint,
          deviceAuthorizationEndpoint: base?.deviceAuthorizationEndpoint,
        };
  const config = {
    ...where,
    clientId: values['oauth2-client-id'] ?? base?.clientId,
    clientSecret: values['oauth2-client-secret'] ?? base?.clientSecret,
    tenant: values['oauth2-tenant'] ?? base?.tenant,
    scope: values['oauth2-scope'] ?? base?.scope,
  } as OAuth2Config;
  // Leave out what is unset, so the file holds only what was given.
  return JSON.parse(JSON.stringify(config)) as OAuth2Config;
}

/** One server's settings from the options, over `base` (for edit) or the defaults (for add). */
function serverFromOptions(
  values: ServerValues,
  protocol: 'imap' | 'smtp',
  base: AccountConfig['imap'] | undefined,
): AccountConfig['imap'] | undefined {
  const host = values[`${protocol}-host`] ?? base?.host;
  if (host === undefined) return undefined;
  const security =
    parseSecurity(`--${protocol}-security`, values[`${protocol}-security`]) ??
    base?.security ??
    'tls';
  const givenPort = parsePort(`--${protocol}-port`, values[`${protocol}-port`]);
  // A new security without a port moves the port to that security's default,
  // unless the old port was not the old security's default.
  const keepPort =
    base && !(values[`${protocol}-security`] && base.port === defaultPort(protocol, base.security));
  const port = givenPort ?? (keepPort ? base.port : defaultPort(protocol, security));
  const user = values[`${protocol}-user`] ?? base?.user;
  return { host, port, security, ...(user === undefined ? {} : { user }) };
}

/** What a check needs: the secret to log in with, read the way the source says. */
async function secretForCheck(
  account: AccountConfig,
  io: CliIo,
  typedPassword: string | undefined,
): Promise<{ password?: string; accessToken?: string }> {
  if (typedPassword !== undefined) return { password: typedPassword };
  const credentials = await resolveCredentials(account, 'imap', { prompt: terminalPrompt(io) });
  return credentials.accessToken
    ? { accessToken: credentials.accessToken }
    : { password: credentials.password };
}

/** Prints the check's lines; true when every server logged in. */
function report(io: CliIo, results: ProbeResult[], adding: boolean, name: string): boolean {
  for (const result of results) {
    let line = formatProbeResult(result);
    if (adding && !result.ok && result.error.code === 'TLS_UNTRUSTED') {
      // The account does not exist yet, so `account edit` cannot be the way.
      line = line.replace(
        new RegExp(
          ` If you trust this server, run: tmail account edit ${name} --allow-invalid-cert`,
        ),
        ' If you trust this server, add --allow-invalid-cert to this command.',
      );
    }
    say(io, line);
  }
  return results.every((r) => r.ok);
}

function describeSource(source: PasswordSource): string {
  switch (source.type) {
    case 'keychain':
      return 'password in the system keychain';
    case 'command':
      return 'password from a command';
    case 'prompt':
      return 'password asked at each run';
    case 'oauth2':
      return source.command === undefined ? 'OAuth2 sign-in' : 'OAuth2 token from a command';
  }
}

async function add(args: string[], io: CliIo): Promise<number> {
  if (args.length === 0) {
    // TERM=dumb cannot move the cursor, which the wizard's screen needs.
    const terminal =
      io.stdin.isTTY && (io.stdout as { isTTY?: boolean }).isTTY && io.env.TERM !== 'dumb';
    if (io.runWizard && terminal) return io.runWizard();
    throw usageError(
      'tmail account add needs --name, --email, --imap-host, --smtp-host and one of --keychain, --password-command CMD, --password-prompt or --oauth2-command CMD (or run it in a terminal to be asked); see tmail account add --help',
    );
  }
  const { values, positionals } = parseCommandArgs('account add', args, SERVER_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length) {
    throw usageError(`unexpected ${JSON.stringify(positionals[0])}; see tmail account add --help`);
  }
  const missing = (['name', 'email', 'imap-host', 'smtp-host'] as const).filter(
    (flag) => values[flag] === undefined,
  );
  if (missing.length) {
    throw usageError(
      `tmail account add needs ${missing.map((f) => `--${f}`).join(', ')}; see tmail account add --help`,
    );
  }
  const password = sourceFromOptions(values);
  if (!password) {
    throw usageError(
      'tmail account add needs a password source: --keychain, --password-command CMD, --password-prompt or --oauth2-command CMD',
    );
  }
  if (values['verify-cert']) throw usageError('--verify-cert is only for tmail account edit');
  const account: AccountConfig = {
    name: values.name!,
    email: values.email!,
    ...(values['display-name'] === undefined ? {} : { displayName: values['display-name'] }),
    ...(values.user === undefined ? {} : { user: values.user }),
    imap: serverFromOptions(values, 'imap', undefined)!,
    smtp: serverFromOptions(values, 'smtp', undefined)!,
    password,
    ...(values['allow-invalid-cert'] ? { allowInvalidCert: true } : {}),
  };
  const oauth2 = oauth2FromOptions(values, undefined);
  if (oauth2) account.oauth2 = oauth2;
  if (values.device && !usesBuiltInOAuth(account))
    throw usageError(
      '--device is only for an OAuth2 sign-in (--oauth2-provider or --oauth2-issuer)',
    );
  const issues = checkAccountConfig(account);
  if (issues.length) throw issueToUsage(account, issues[0]!, 'add');
  if (Object.hasOwn(loadConfig().accounts, account.name)) {
    throw usageError(
      `an account named ${account.name} already exists; choose another --name or use tmail account edit ${account.name}`,
    );
  }
  return checkAndSave(io, account, {
    adding: true,
    test: !values['no-test'],
    device: Boolean(values.device),
  });
}

async function edit(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account edit', args, SERVER_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw usageError('tmail account edit needs one account name; see tmail account edit --help');
  }
  if (values.name !== undefined && values.name !== name) {
    throw usageError(`to rename an account, use tmail account rename ${name} ${values.name}`);
  }
  const old = getAccount(loadConfig(), name);
  const changes = Object.keys(values).filter((k) => k !== 'no-test' && k !== 'name');
  if (changes.length === 0) {
    throw usageError(
      'tmail account edit needs at least one setting to change; see tmail account edit --help',
    );
  }
  if (values['allow-invalid-cert'] && values['verify-cert']) {
    throw usageError('give only one of --allow-invalid-cert and --verify-cert');
  }
  const account: AccountConfig = {
    ...old,
    ...(values.email === undefined ? {} : { email: values.email }),
    ...(values['display-name'] === undefined ? {} : { displayName: values['display-name'] }),
    ...(values.user === undefined ? {} : { user: values.user }),
    imap: serverFromOptions(values, 'imap', old.imap)!,
    smtp: serverFromOptions(values, 'smtp', old.smtp)!,
    password: sourceFromOptions(values) ?? old.password,
  };
  const oauth2 = oauth2FromOptions(values, old.oauth2);
  if (oauth2 && usesBuiltInOAuth(account)) account.oauth2 = oauth2;
  else delete account.oauth2;
  if (values['allow-invalid-cert']) account.allowInvalidCert = true;
  if (values['verify-cert']) delete account.allowInvalidCert;
  const issues = checkAccountConfig(account);
  if (issues.length) throw issueToUsage(account, issues[0]!, 'edit');
  const code = await checkAndSave(io, account, {
    adding: false,
    test: !values['no-test'],
    // Asking for the keychain password again is how it is changed.
    askPassword: Boolean(values.keychain),
    // A new place to sign in (or a new client) needs a new sign-in.
    signIn:
      usesBuiltInOAuth(account) &&
      (!usesBuiltInOAuth(old) || JSON.stringify(old.oauth2) !== JSON.stringify(account.oauth2)),
    device: Boolean(values.device),
  });
  // A password the account no longer uses should not stay in the keychain.
  if (code === 0 && old.password.type === 'keychain' && account.password.type !== 'keychain') {
    await deleteKeychainPassword(old.name).catch((error: unknown) =>
      warn(
        io,
        `tmail: the old keychain entry of ${old.name} could not be removed: ${toTmailError(error).userMessage}`,
      ),
    );
  }
  return code;
}

/**
 * Checks the servers (unless told not to) and saves. A keychain source needs
 * the password typed (or piped) now; the keychain is asked before anything
 * else, so that nothing is checked or saved when it cannot keep the password.
 */
async function checkAndSave(
  io: CliIo,
  account: AccountConfig,
  options: {
    adding: boolean;
    test: boolean;
    askPassword?: boolean;
    signIn?: boolean;
    device?: boolean;
  },
): Promise<number> {
  if (usesBuiltInOAuth(account) && (options.adding || options.signIn))
    return signInCheckAndSave(io, account, options);
  let typed: string | undefined;
  const needsTyping =
    account.password.type === 'keychain' && (options.adding || options.askPassword);
  if (needsTyping) {
    const status = await checkKeychain();
    if (!status.available) throw status.error;
  }
  if (needsTyping || (options.test && account.password.type === 'prompt')) {
    typed = await terminalPrompt(io)(`Password for ${account.email} (account ${account.name}): `);
    if (typed === '') throw new TmailError('SECRET_UNAVAILABLE', 'No password was given.');
  }
  if (options.test) {
    const secret = await secretForCheck(account, io, typed);
    const results = await probeAccount(account, secret);
    if (!report(io, results, options.adding, account.name)) {
      warn(io, `tmail: nothing was saved; fix the settings above, or save anyway with --no-test.`);
      return 1;
    }
  }
  await saveCheckedAccount(account, typed, { replace: !options.adding });
  say(
    io,
    `${options.adding ? 'Added' : 'Saved'} account ${account.name} (${describeSource(account.password)}) in ${configFilePath()}.`,
  );
  return 0;
}

/** What a flow prints for the user goes to stderr; stdout keeps the results. */
function flowIo(io: CliIo): FlowIo {
  return {
    say: (line) => warn(io, line),
    openBrowser: (url) => openBrowser(url, io.env),
  };
}

/**
 * The OAuth2 way of add (and of edit to a new place): sign in first, check
 * both servers with the new access token, save the account, and only then
 * keep the refresh token, so that a failed check leaves nothing behind.
 */
async function signInCheckAndSave(
  io: CliIo,
  account: AccountConfig,
  options: { adding: boolean; test: boolean; device?: boolean },
): Promise<number> {
  const { tokens } = await signIn(account, flowIo(io), { device: options.device, store: false });
  if (options.test) {
    const results = await probeAccount(account, { accessToken: tokens.accessToken });
    if (!report(io, results, options.adding, account.name)) {
      warn(io, `tmail: nothing was saved; fix the settings above, or save anyway with --no-test.`);
      return 1;
    }
  }
  await saveCheckedAccount(account, undefined, { replace: !options.adding });
  const stored = await saveRefreshToken(account.name, tokens.refreshToken);
  if (stored.where === 'file') warn(io, `tmail: ${fileStorageNotice(account.name, stored.path)}`);
  say(
    io,
    `${options.adding ? 'Added' : 'Saved'} account ${account.name} (${describeSource(account.password)}) in ${configFilePath()}.`,
  );
  return 0;
}

/** `tmail account login NAME [--device]`: signs an OAuth2 account in again. */
async function login(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account login', args, LOGIN_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw usageError('tmail account login takes one account name');
  const account = getAccount(loadConfig(), positionals[0]);
  if (!usesBuiltInOAuth(account)) {
    throw usageError(
      `account ${account.name} does not sign in with OAuth2; change its password with tmail account edit ${account.name}`,
    );
  }
  const { stored } = await signIn(account, flowIo(io), { device: Boolean(values.device) });
  if (stored?.where === 'file') warn(io, `tmail: ${fileStorageNotice(account.name, stored.path)}`);
  say(io, `Signed in account ${account.name} (${account.email}).`);
  return 0;
}

// ---------------------------------------------------------------------------
// list, test, remove, default

function list(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommandArgs('account list', args, LIST_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length) throw usageError('tmail account list takes no arguments');
  const config = loadConfig();
  const accounts = Object.values(config.accounts);
  const current = defaultAccountName(config);
  if (values.json) {
    say(io, jsonText(accounts.map((a) => ({ ...a, default: a.name === current }))));
    return 0;
  }
  if (accounts.length === 0) {
    say(io, 'No account is configured; run tmail account add.');
    return 0;
  }
  const width = Math.max(...accounts.map((a) => a.name.length));
  for (const a of accounts) {
    const server = (s: AccountConfig['imap']) => `${s.host}:${s.port} ${s.security}`;
    const notes = [describeSource(a.password)];
    if (a.allowInvalidCert) notes.push('certificate checks OFF (--allow-invalid-cert)');
    say(
      io,
      `${a.name === current ? '*' : ' '} ${a.name.padEnd(width)}  ${a.email}  IMAP ${server(a.imap)}  SMTP ${server(a.smtp)}  ${notes.join('; ')}`,
    );
  }
  return 0;
}

async function test(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account test', args, LIST_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw usageError('tmail account test takes at most one account name');
  const account = getAccount(loadConfig(), positionals[0]);
  const results = await testAccount(account, { prompt: terminalPrompt(io) });
  if (values.json) {
    say(
      io,
      jsonText(
        results.map((r) =>
          r.ok
            ? { protocol: r.protocol, host: r.host, port: r.port, ok: true, detail: r.detail }
            : {
                protocol: r.protocol,
                host: r.host,
                port: r.port,
                ok: false,
                code: r.error.code,
                error: r.error.userMessage,
              },
        ),
      ),
    );
  } else {
    for (const r of results) say(io, formatProbeResult(r));
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account remove', args, LIST_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('tmail account remove needs one account name');
  const before = loadConfig();
  const loadedDefault = defaultAccountName(before);
  const account = getAccount(before, positionals[0]);
  const { keychainDeleted, keychainError, config } = await removeAccountEverywhere(account);
  if (values.json) {
    say(
      io,
      jsonText({
        removed: account.name,
        keychainDeleted,
        default: config.defaultAccount ?? null,
      }),
    );
  } else {
    say(
      io,
      `Removed account ${account.name}${keychainDeleted ? (usesBuiltInOAuth(account) ? ' and its OAuth2 sign-in' : ' and its password in the system keychain') : ''}.`,
    );
    if (config.defaultAccount && loadedDefault === account.name) {
      say(io, `${config.defaultAccount} is now the default account.`);
    }
  }
  if (keychainError) {
    warn(
      io,
      `tmail: its password may still be in the system keychain (service tmail, account ${account.name}): ${keychainError.userMessage}`,
    );
    return 1;
  }
  return 0;
}

async function rename(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account rename', args, LIST_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 2)
    throw usageError(
      'tmail account rename needs the old and the new name: tmail account rename OLD NEW',
    );
  const [from, to] = positionals as [string, string];
  // Loaded only here: the outbox and drafts code is not needed by the other commands.
  const { renameAccountEverywhere } = await import('../core/account-rename.js');
  const report = await renameAccountEverywhere(from, to);
  if (values.json) {
    say(io, jsonText(report));
  } else {
    const moved = [
      report.keychainPassword ? 'its password in the system keychain' : '',
      report.refreshToken ? 'its OAuth2 sign-in' : '',
      report.offlineQueue ? 'the changes waiting offline' : '',
      report.outbox ? `${report.outbox} outbox message${report.outbox === 1 ? '' : 's'}` : '',
      report.drafts ? `${report.drafts} draft${report.drafts === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    const list =
      moved.length > 1 ? `${moved.slice(0, -1).join(', ')} and ${moved.at(-1)}` : moved[0];
    say(
      io,
      `Renamed account ${from} to ${to}${list ? ` with ${list}` : ''}${report.wasDefault ? '; it is still the default account' : ''}.`,
    );
    if (report.outboxBusy)
      warn(
        io,
        `tmail: ${report.outboxBusy} outbox message${report.outboxBusy === 1 ? ' was' : 's were'} being sent by a running tmail and keep${report.outboxBusy === 1 ? 's' : ''} the name ${from}.`,
      );
  }
  for (const problem of report.leftBehind) warn(io, `tmail: ${problem}.`);
  return report.leftBehind.length ? 1 : 0;
}

async function makeDefault(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('account default', args, LIST_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('tmail account default needs one account name');
  await setDefaultAccount(positionals[0]!);
  if (values.json) say(io, jsonText({ default: positionals[0] }));
  else say(io, `${positionals[0]} is now the default account.`);
  return 0;
}
