/**
 * A disposable mail stack on 127.0.0.1 for tests, benchmarks and the demo:
 * Dovecot (IMAP with STARTTLS, IMAPS, LMTP, SASL for Postfix) and Postfix
 * (submission with AUTH, delivering the test domain into Dovecot over LMTP);
 * on request also Cyrus, Courier (in variants with fewer capabilities) and
 * Exim delivering into those two (other-servers.ts).
 *
 * `info.ports.imap` and `info.ports.submission` point at one IMAP server and
 * its gateway (Dovecot and Postfix unless `server` says otherwise):
 * `stackOn(info, id)` gives the same stack pointed at another server, so that
 * the helpers that take a MailStackInfo work on every server unchanged.
 *
 * Everything lives in one temp directory; ports are picked free so parallel
 * runs do not collide; a reaper process stops both servers if this process
 * dies without calling stop().
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  addCourierUser,
  addCyrusUser,
  COURIER_CAPABILITY,
  courierMaildir,
  ensureOtherServers,
  startCourier,
  startCyrus,
  startExim,
  type CourierServer,
  type CyrusServer,
  type EximServer,
} from './other-servers.js';

const run = promisify(execFile);

export const TEST_DOMAIN = 'example.test';
export const LOOPBACK = '127.0.0.1';

export interface MailUser {
  /** Login name, also the local part of the address. */
  name: string;
  password: string;
}

/** The IMAP servers a stack can run: Dovecot always, the others on request. */
export const SERVER_IDS = [
  'dovecot',
  'cyrus',
  'courier',
  'courier-no-uidplus',
  'courier-no-idle',
] as const;
export type ServerId = (typeof SERVER_IDS)[number];

/** One IMAP server of the stack and the SMTP gateway that delivers into it. */
export interface ImapServerInfo {
  id: ServerId;
  kind: 'dovecot' | 'cyrus' | 'courier';
  /** For test names, e.g. "Courier-IMAP 5.0 without UIDPLUS". */
  label: string;
  /** Plain IMAP (Dovecot also offers STARTTLS on it). */
  imap: number;
  /** Implicit TLS; 0 where the server has none (Cyrus, Courier). */
  imaps: number;
  /** Submission with AUTH: Postfix for Dovecot, Exim for Cyrus and Courier. */
  submission: number;
  /** SMTP over implicit TLS; 0 where the gateway has none (Exim offers STARTTLS). */
  smtps: number;
  /** Capabilities the server implements but this variant does not advertise. */
  withheld: string[];
}

/** What each server variant is. */
export const SERVER_VARIANTS: Record<
  ServerId,
  { kind: ImapServerInfo['kind']; label: string; withheld: string[] }
> = {
  dovecot: { kind: 'dovecot', label: 'Dovecot 2.3', withheld: [] },
  cyrus: { kind: 'cyrus', label: 'Cyrus IMAP 3.6', withheld: [] },
  courier: { kind: 'courier', label: 'Courier-IMAP 5.0', withheld: [] },
  'courier-no-uidplus': {
    kind: 'courier',
    label: 'Courier-IMAP 5.0 without UIDPLUS or MOVE',
    withheld: ['UIDPLUS'],
  },
  'courier-no-idle': {
    kind: 'courier',
    label: 'Courier-IMAP 5.0 without IDLE',
    withheld: ['IDLE'],
  },
};

export interface MailStackOptions {
  /** Users whose mail directories to prepare; alice and bob by default (passwords: passwordOf). */
  users?: MailUser[];
  /** IMAP servers to start besides Dovecot (Exim comes with any of them). */
  servers?: ServerId[];
  /** Keep the temp directory after stop (for debugging). */
  keep?: boolean;
  /**
   * IMAP capabilities Dovecot must not advertise after login (e.g. `MOVE`, `UIDPLUS`,
   * `QRESYNC`), to stand for a server without them. Clients decide from the list.
   */
  withoutCapabilities?: string[];
  /**
   * Also accept OAuth2 bearer tokens (IMAP, and SMTP through Dovecot's SASL):
   * Dovecot's oauth2 passdb asks `introspectionUrl` (a POST with `token=`) and
   * takes the answer's `username` when `active` is true. See oauth-stack.ts.
   */
  oauth2?: { introspectionUrl: string; mechanisms?: ('oauthbearer' | 'xoauth2')[] };
  /**
   * Gmail's special folders instead of the usual ones: `[Gmail]/All Mail` (\\All),
   * `[Gmail]/Sent Mail`, `[Gmail]/Trash`, `[Gmail]/Spam`, `[Gmail]/Drafts`,
   * `[Gmail]/Starred` (\\Flagged), and no \\Archive folder.
   */
  gmailFolders?: boolean;
  /**
   * Dovecot trusts its index for a Maildir's cur/ (`maildir_very_dirty_syncs`,
   * its setting for a Maildir no other program touches) instead of rescanning
   * the directory whenever its mtime is recent: at 100,000 files a rescan is
   * some 300 ms of every SELECT that follows a flag change. For the bench.
   */
  maildirVeryDirtySyncs?: boolean;
}

export interface MailStackInfo {
  dir: string;
  host: string;
  domain: string;
  ports: { imap: number; imaps: number; submission: number; smtps: number };
  users: Record<string, MailUser & { email: string }>;
  /** PEM of the self-signed certificate both servers present. */
  certFile: string;
  /** Path to pass to `doveadm -c`. */
  dovecotConfig: string;
  postfixConfigDir: string;
  /** Keep the temp directory after stop. */
  keep: boolean;
  /** The IMAP server `ports.imap` points at. */
  server: ServerId;
  /** Every IMAP server this stack runs, Dovecot first. */
  servers: ImapServerInfo[];
  cyrus?: CyrusServer;
  courier?: CourierServer;
  exim?: EximServer;
}

/** The server of a stack with this id (throws when the stack does not run it). */
export function serverInfo(info: MailStackInfo, id: ServerId = info.server): ImapServerInfo {
  const server = info.servers.find((s) => s.id === id);
  if (!server) throw new Error(`The test mail stack does not run ${id}.`);
  return server;
}

/** The same stack with `ports` pointing at server `id` and its SMTP gateway. */
export function stackOn(info: MailStackInfo, id: ServerId): MailStackInfo {
  const server = serverInfo(info, id);
  return {
    ...info,
    server: id,
    ports: {
      imap: server.imap,
      imaps: server.imaps,
      submission: server.submission,
      smtps: server.smtps,
    },
  };
}

export interface MailStack extends MailStackInfo {
  stop(): Promise<void>;
  stopImap(): Promise<void>;
  startImap(): Promise<void>;
  stopSmtp(): Promise<void>;
  startSmtp(): Promise<void>;
  /** The Maildir of a user on Dovecot or Courier (cur/new/tmp of INBOX; other folders are `.Name` below it). */
  maildir(user: string): string;
  /** Runs doveadm against this stack's Dovecot. */
  doveadm(...args: string[]): Promise<string>;
  info(): MailStackInfo;
  /**
   * Makes a new user on this view's server (and, on Dovecot, on every Dovecot
   * view): it logs in with passwordOf(name), and mail for it is accepted at once.
   */
  addUser(name: string): Promise<MailUser & { email: string }>;
}

/** Every test user's password is its name followed by this. */
export const USER_PASSWORD_SUFFIX = '-Pa55-word';

/** The password of a test user. */
export function passwordOf(name: string): string {
  return `${name}${USER_PASSWORD_SUFFIX}`;
}

export const DEFAULT_USERS: MailUser[] = [
  { name: 'alice', password: passwordOf('alice') },
  { name: 'bob', password: passwordOf('bob') },
];

/** Debian packages the stack needs. */
export const MAIL_PACKAGES = ['dovecot-imapd', 'dovecot-lmtpd', 'postfix', 'openssl'];

/** The uid that owns mail files: Debian's `mail` user (8), allowed by lowering first_valid_uid. */
const MAIL_USER = 'mail';

function hasCommand(path: string): boolean {
  return existsSync(path);
}

/**
 * Makes sure Dovecot and Postfix are installed. As root, installs what is
 * missing (with Postfix preseeded to configure nothing); otherwise throws one
 * sentence naming the command to run.
 */
export function ensureMailPackages(): void {
  const missing = [
    ['/usr/sbin/dovecot', 'dovecot-imapd'],
    ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
    ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
    ['/usr/sbin/postfix', 'postfix'],
    ['/usr/bin/openssl', 'openssl'],
  ]
    .filter(([path]) => !hasCommand(path!))
    .map(([, pkg]) => pkg!);
  if (missing.length === 0) return;
  const unique = [...new Set(missing)];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `The test mail servers are not installed: run "sudo apt-get install -y ${MAIL_PACKAGES.join(' ')}" (as root the tests install them themselves).`,
    );
  }
  execFileSync(
    'sh',
    [
      '-c',
      `echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && ` +
        `(apt-get install -y -qq ${unique.join(' ')} || (apt-get update -qq && apt-get install -y -qq ${unique.join(' ')}))`,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port and greets (or rejects on timeout). */
export async function waitForGreeting(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, LOOPBACK);
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('data', () => done(true));
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Nothing answered on ${LOOPBACK}:${port} in time.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForClosed(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, LOOPBACK);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    if (Date.now() > deadline) throw new Error(`Port ${port} is still open.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What Dovecot 2.3.19 advertises after login (`imap_capability` replaces the whole list). */
export const DOVECOT_CAPABILITIES =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE'.split(
    ' ',
  );

function capabilityLine(without: string[] | undefined): string {
  if (!without?.length) return '';
  const cut = new Set(without.map((c) => c.toUpperCase()));
  return `  imap_capability = ${DOVECOT_CAPABILITIES.filter((c) => !cut.has(c.toUpperCase())).join(' ')}\n`;
}

/** Dovecot's settings for the oauth2 passdb (its `args` file). */
function dovecotOAuth2Conf(introspectionUrl: string): string {
  return `introspection_mode = post
introspection_url = ${introspectionUrl}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
`;
}

function dovecotConf(
  dir: string,
  ports: MailStackInfo['ports'],
  id: string,
  without?: string[],
  oauth2?: MailStackOptions['oauth2'],
  gmailFolders = false,
  maildirVeryDirtySyncs = false,
): string {
  const folders: [string, string][] = gmailFolders
    ? [
        ['[Gmail]/Drafts', 'Drafts'],
        ['[Gmail]/Sent Mail', 'Sent'],
        ['[Gmail]/Trash', 'Trash'],
        ['[Gmail]/Spam', 'Junk'],
        ['[Gmail]/All Mail', 'All'],
        ['[Gmail]/Starred', 'Flagged'],
      ]
    : [
        ['Drafts', 'Drafts'],
        ['Sent', 'Sent'],
        ['Trash', 'Trash'],
        ['Junk', 'Junk'],
        ['Archive', 'Archive'],
      ];
  const mailboxes = folders
    .map(
      ([name, use]) => `  mailbox "${name}" {
    special_use = \\${use}
    auto = subscribe
  }
`,
    )
    .join('');
  const oauthMechanisms = oauth2 ? (oauth2.mechanisms ?? ['oauthbearer', 'xoauth2']).join(' ') : '';
  const oauthPassdb = oauth2
    ? `passdb {
  driver = oauth2
  mechanisms = ${oauthMechanisms}
  args = ${dir}/dovecot/oauth2.conf
}
`
    : '';
  return `# Generated by tmail's test harness.
instance_name = tmail-${id}
base_dir = ${dir}/dovecot/run
state_dir = ${dir}/dovecot/state
log_path = ${dir}/dovecot/dovecot.log
info_log_path = ${dir}/dovecot/dovecot.log
protocols = imap lmtp
listen = ${LOOPBACK}
ssl = yes
ssl_cert = <${dir}/tls/cert.pem
ssl_key = <${dir}/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login ${oauthMechanisms}
auth_username_format = %Ln
auth_cache_size = 0
# Tests of wrong passwords should not wait the default two seconds.
auth_failure_delay = 0
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
mail_fsync = never
${maildirVeryDirtySyncs ? 'maildir_very_dirty_syncs = yes\n' : ''}mail_max_userip_connections = 500
mailbox_list_index = yes
lmtp_save_to_detail_mailbox = no
# Every user's password is "<name>-Pa55-word": test files make users of their
# own at any moment, and a passwd-file is re-read only when its mtime changes,
# which misses two users added within the same second.
${oauthPassdb}passdb {
  driver = static
  args = password=%Ln${USER_PASSWORD_SUFFIX}
}
userdb {
  driver = static
  args = uid=${MAIL_USER} gid=${MAIL_USER} home=${dir}/mail/%Ln
}
namespace inbox {
  inbox = yes
  separator = /
${mailboxes}}
service imap-login {
  inet_listener imap {
    address = ${LOOPBACK}
    port = ${ports.imap}
  }
  inet_listener imaps {
    address = ${LOOPBACK}
    port = ${ports.imaps}
    ssl = yes
  }
}
service imap {
  process_limit = 1024
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  mail_max_userip_connections = 500
${capabilityLine(without)}}
`;
}

/** A recipient the submission server always refuses, for tests of rejected recipients. */
export const REFUSED_RECIPIENT = `refused@${TEST_DOMAIN}`;

function postfixMain(dir: string): string {
  return `# Generated by tmail's test harness.
compatibility_level = 3.6
queue_directory = ${dir}/postfix-queue
data_directory = ${dir}/postfix-data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/postfix.log
myhostname = mail.${TEST_DOMAIN}
mydomain = ${TEST_DOMAIN}
myorigin = ${TEST_DOMAIN}
mydestination =
inet_interfaces = ${LOOPBACK}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = yes
biff = no
virtual_mailbox_domains = ${TEST_DOMAIN}
# Any local part is accepted here; Dovecot's LMTP knows which users exist.
virtual_mailbox_maps = regexp:${dir}/postfix/recipients.regexp
virtual_transport = lmtp:unix:${dir}/dovecot/run/lmtp
# Mail for anyone outside the test domain goes nowhere: this server never relays.
default_transport = discard:outside the test domain
relay_transport = discard:outside the test domain
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dir}/dovecot/run/auth-client
smtpd_sasl_auth_enable = no
smtpd_tls_cert_file = ${dir}/tls/cert.pem
smtpd_tls_key_file = ${dir}/tls/key.pem
smtpd_tls_security_level = may
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = check_recipient_access regexp:${dir}/postfix/refused.regexp, permit_sasl_authenticated, reject
message_size_limit = 52428800
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
lmtp_destination_recipient_limit = 1000
`;
}

function postfixMaster(ports: MailStackInfo['ports']): string {
  return `# Generated by tmail's test harness.
${LOOPBACK}:${ports.submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=no
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
${LOOPBACK}:${ports.smtps} inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

/**
 * Starts a reaper: a detached shell that waits for `pid` to exit and then
 * stops the servers, so that a killed test run leaves nothing behind.
 */
function startReaper(pid: number, postfixDir: string, dir: string, keep: boolean): number {
  const script = `
while kill -0 ${pid} 2>/dev/null; do sleep 1; done
[ -f "${dir}/.stopped" ] && exit 0
[ -d "${dir}" ] || exit 0
[ -f "${dir}/stop-others.sh" ] && sh "${dir}/stop-others.sh" >/dev/null 2>&1
/usr/sbin/postfix -c "${postfixDir}" abort >/dev/null 2>&1
master="$(cat "${dir}/dovecot/run/master.pid" 2>/dev/null)"
if [ -n "$master" ]; then
  kill -TERM "$master" >/dev/null 2>&1
  for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$master" 2>/dev/null || break; sleep 1; done
  kill -KILL "$master" >/dev/null 2>&1
fi
${keep ? '' : `rm -rf "${dir}"`}
`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid ?? 0;
}

/** Dovecot's instance name for a stack (process titles read `dovecot-tmail-<id>/imap`). */
function dovecotInstance(dir: string): string {
  return dir.slice(-6).replace(/[^A-Za-z0-9]/g, 'x');
}

/** Controls a running stack from its info alone, so test workers can use a stack the main process started. */
export function attachMailStack(info: MailStackInfo): MailStack {
  const { dir, ports, dovecotConfig, postfixConfigDir } = info;
  const startImap = async () => {
    // Dovecot daemonises; its stdio must not stay attached to ours.
    await run('sh', [
      '-c',
      `/usr/sbin/dovecot -c "${dovecotConfig}" >>"${dir}/dovecot/start.log" 2>&1`,
    ]);
    await waitForGreeting(ports.imap);
  };
  const stopImap = async () => {
    // Kill the sessions first: on SIGTERM alone Dovecot lets open sessions linger
    // for about ten seconds, and a stop in a test stands for a dropped connection.
    const instance = `dovecot-tmail-${dovecotInstance(dir)}/`;
    await run('sh', [
      '-c',
      `pkill -KILL -f '^${instance}(imap|lmtp)' 2>/dev/null; ` +
        `kill -TERM "$(cat "${dir}/dovecot/run/master.pid")" 2>/dev/null || true`,
    ]);
    await waitForClosed(ports.imap);
    // Let the master finish removing its pid file before a restart.
    for (let i = 0; i < 100 && existsSync(join(dir, 'dovecot/run/master.pid')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const startSmtp = async () => {
    await run('sh', [
      '-c',
      `/usr/sbin/postfix -c "${postfixConfigDir}" start >>"${dir}/postfix-start.log" 2>&1`,
    ]);
    await waitForGreeting(ports.submission);
  };
  const stopSmtp = async () => {
    await run('sh', [
      '-c',
      `/usr/sbin/postfix -c "${postfixConfigDir}" stop >>"${dir}/postfix-start.log" 2>&1 || true`,
    ]);
    await waitForClosed(ports.submission);
  };
  let stopped = false;
  return {
    ...info,
    info: () => info,
    maildir: (user: string) =>
      serverInfo(info).kind === 'courier' && info.courier
        ? courierMaildir(info.courier, user)
        : join(dir, 'mail', user, 'Maildir'),
    doveadm: async (...args: string[]) =>
      (
        await run('/usr/bin/doveadm', ['-c', dovecotConfig, ...args], {
          maxBuffer: 256 * 1024 * 1024,
        })
      ).stdout,
    startImap,
    stopImap,
    startSmtp,
    stopSmtp,
    async addUser(name: string) {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`Bad test user name: ${name}`);
      const user = { name, password: passwordOf(name), email: `${name}@${TEST_DOMAIN}` };
      const kind = serverInfo(info).kind;
      if (kind === 'cyrus') await addCyrusUser(info.cyrus!, name);
      if (kind === 'courier') await addCourierUser(info.courier!, name);
      info.users[name] = user;
      return user;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('sh', [
        '-c',
        `/usr/sbin/postfix -c "${postfixConfigDir}" abort >/dev/null 2>&1 || true; ` +
          `[ -f "${dir}/stop-others.sh" ] && sh "${dir}/stop-others.sh" >/dev/null 2>&1 || true`,
      ]);
      await stopImap().catch(() => {});
      // Only now: a stop cut short (the test process killed mid-way) leaves the reaper to finish it.
      writeFileSync(join(dir, '.stopped'), '');
      if (!info.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts Dovecot and Postfix for the given users (and the other servers asked
 * for) and waits until all answer.
 */
export async function startMailStack(options: MailStackOptions = {}): Promise<MailStack> {
  ensureMailPackages();
  const others = (options.servers ?? []).filter((id) => id !== 'dovecot');
  if (others.length > 0) ensureOtherServers();
  if (process.getuid?.() !== 0) {
    throw new Error(
      'The test mail servers need root (Postfix starts as root): run the tests as root or with sudo.',
    );
  }
  const users = options.users ?? DEFAULT_USERS;
  const keep = options.keep ?? Boolean(process.env.TMAIL_KEEP_STACK);
  const dir = mkdtempSync(join(tmpdir(), 'tmail-stack-'));
  // The postfix and dovecot users must traverse it to reach the sockets.
  chmodSync(dir, 0o755);
  const id = dovecotInstance(dir);
  for (const sub of [
    'dovecot/run',
    'dovecot/state',
    'tls',
    'postfix',
    'postfix-queue',
    'postfix-data',
    'mail',
  ]) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  }

  const ports = {
    imap: await freePort(),
    imaps: await freePort(),
    submission: await freePort(),
    smtps: await freePort(),
  };

  const certFile = join(dir, 'tls/cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    join(dir, 'tls/key.pem'),
    '-out',
    certFile,
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  chmodSync(join(dir, 'tls/key.pem'), 0o600);

  for (const user of users) {
    mkdirSync(join(dir, 'mail', user.name, 'Maildir'), { recursive: true });
  }
  await run('chown', ['-R', `${MAIL_USER}:${MAIL_USER}`, join(dir, 'mail')]);
  await run('chown', ['postfix', join(dir, 'postfix-data')]);

  const dovecotConfig = join(dir, 'dovecot/dovecot.conf');
  writeFileSync(
    dovecotConfig,
    dovecotConf(
      dir,
      ports,
      id,
      options.withoutCapabilities,
      options.oauth2,
      options.gmailFolders,
      options.maildirVeryDirtySyncs,
    ),
  );
  if (options.oauth2) {
    writeFileSync(
      join(dir, 'dovecot/oauth2.conf'),
      dovecotOAuth2Conf(options.oauth2.introspectionUrl),
    );
  }
  const postfixConfigDir = join(dir, 'postfix');
  writeFileSync(join(postfixConfigDir, 'main.cf'), postfixMain(dir));
  writeFileSync(
    join(postfixConfigDir, 'recipients.regexp'),
    `/@${TEST_DOMAIN.replace(/\./g, '\\.')}$/ ok\n`,
  );
  writeFileSync(
    join(postfixConfigDir, 'refused.regexp'),
    `/^${REFUSED_RECIPIENT.replace(/\./g, '\\.')}$/ REJECT No such user here\n`,
  );
  writeFileSync(join(postfixConfigDir, 'master.cf'), postfixMaster(ports));

  const info: MailStackInfo = {
    dir,
    host: LOOPBACK,
    domain: TEST_DOMAIN,
    ports,
    users: Object.fromEntries(
      users.map((u) => [u.name, { ...u, email: `${u.name}@${TEST_DOMAIN}` }]),
    ),
    certFile,
    dovecotConfig,
    postfixConfigDir,
    keep,
    server: 'dovecot',
    servers: [{ id: 'dovecot', ...SERVER_VARIANTS.dovecot, ...ports }],
  };
  const stack = attachMailStack(info);
  startReaper(process.pid, postfixConfigDir, dir, keep);
  try {
    await Promise.all([
      (async () => {
        await stack.startImap();
        await stack.startSmtp();
      })(),
      startOtherServers(info, others),
    ]);
  } catch (error) {
    await stack.stop().catch(() => {});
    throw new Error(
      `The test mail servers did not start (logs in ${dir}): ${(error as Error).message}`,
    );
  }
  return stack;
}

/** Starts Cyrus, the Courier variants and Exim as asked, and lists them in `info.servers`. */
async function startOtherServers(info: MailStackInfo, ids: ServerId[]): Promise<void> {
  if (ids.length === 0) return;
  const { dir } = info;
  const waitFor = (port: number) => waitForGreeting(port);
  const couriers = ids.filter((id) => SERVER_VARIANTS[id].kind === 'courier');
  const [cyrus, courier, eximPort] = await Promise.all([
    ids.includes('cyrus') ? startCyrus(dir, await freePort(), waitFor) : undefined,
    couriers.length > 0
      ? startCourier(
          dir,
          await Promise.all(
            couriers.map(async (id) => ({
              id,
              port: await freePort(),
              capability: COURIER_CAPABILITY.split(' ')
                .filter((c) => !SERVER_VARIANTS[id].withheld.includes(c))
                .join(' '),
            })),
          ),
          waitFor,
        )
      : undefined,
    freePort(),
  ]);
  const exim = await startExim(
    dir,
    {
      port: eximPort,
      domain: TEST_DOMAIN,
      refused: REFUSED_RECIPIENT,
      certFile: info.certFile,
      keyFile: join(dir, 'tls/key.pem'),
      cyrusLmtp: cyrus?.lmtpSocket,
      courierMailRoot: courier?.mailRoot,
    },
    waitFor,
  );
  info.cyrus = cyrus;
  info.courier = courier;
  info.exim = exim;
  for (const id of ids) {
    const imap = SERVER_VARIANTS[id].kind === 'cyrus' ? cyrus!.port : courier!.ports[id]!;
    info.servers.push({
      id,
      ...SERVER_VARIANTS[id],
      imap,
      imaps: 0,
      submission: exim.port,
      smtps: 0,
    });
  }
}
