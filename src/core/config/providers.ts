/**
 * Finding an address's IMAP and SMTP servers, in the order the setup wizard
 * tries them: a small table of well-known providers, then the DNS SRV records
 * of RFC 6186 and RFC 8314 (`_imaps._tcp`, `_submissions._tcp`, ...), then the
 * usual `imap.`, `mail.` and `smtp.` names. Everything here only proposes;
 * only a real login decides.
 */
import type { OAuth2ProviderName, Security } from './types.js';

/** One server to try. */
export interface ServerCandidate {
  host: string;
  port: number;
  security: Security;
  /** Where the proposal came from. */
  source: 'provider' | 'srv' | 'guess';
}

/** A well-known provider's settings. */
export interface Provider {
  /** Shown to the user, e.g. `Gmail`. */
  name: string;
  /** Address domains (lower case) that belong to it. */
  domains: string[];
  imap: Omit<ServerCandidate, 'source'>;
  smtp: Omit<ServerCandidate, 'source'>;
  /** The server files sent mail in Sent by itself. */
  serverSavesSent?: boolean;
  /** One sentence the wizard shows, e.g. that an app password is needed. */
  note?: string;
  /** The OAuth2 provider tmail signs in with for it (the user brings the client id). */
  oauth2?: OAuth2ProviderName;
  /** True when the servers refuse passwords: the wizard then signs in with OAuth2 only. */
  requiresOAuth2?: boolean;
}

const tls = (host: string, port: number) => ({ host, port, security: 'tls' as const });
const starttls = (host: string, port: number) => ({
  host,
  port,
  security: 'starttls' as const,
});

/** Settings published by each provider's help pages. */
export const PROVIDERS: readonly Provider[] = [
  {
    name: 'Gmail',
    domains: ['gmail.com', 'googlemail.com'],
    imap: tls('imap.gmail.com', 993),
    smtp: tls('smtp.gmail.com', 465),
    serverSavesSent: true,
    note: 'Gmail signs in with OAuth2 (with a client id of your own: see docs/configuration.md) or an app password.',
    oauth2: 'google',
  },
  {
    name: 'Outlook.com',
    domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'outlook.de', 'hotmail.de'],
    imap: tls('outlook.office365.com', 993),
    smtp: starttls('smtp.office365.com', 587),
    serverSavesSent: true,
    note: 'Microsoft accepts only OAuth2 sign-in (with a client id of your own: see docs/configuration.md).',
    oauth2: 'microsoft',
    requiresOAuth2: true,
  },
  {
    name: 'Yahoo Mail',
    domains: ['yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'yahoo.de', 'yahoo.fr'],
    imap: tls('imap.mail.yahoo.com', 993),
    smtp: tls('smtp.mail.yahoo.com', 465),
    note: 'Yahoo needs an app password (Account security, Generate app password).',
  },
  {
    name: 'AOL Mail',
    domains: ['aol.com'],
    imap: tls('imap.aol.com', 993),
    smtp: tls('smtp.aol.com', 465),
    note: 'AOL needs an app password.',
  },
  {
    name: 'iCloud Mail',
    domains: ['icloud.com', 'me.com', 'mac.com'],
    imap: tls('imap.mail.me.com', 993),
    smtp: starttls('smtp.mail.me.com', 587),
    note: 'iCloud needs an app-specific password (appleid.apple.com).',
  },
  {
    name: 'Fastmail',
    domains: ['fastmail.com', 'fastmail.fm', 'fastmail.net', 'fastmail.org', 'messagingengine.com'],
    imap: tls('imap.fastmail.com', 993),
    smtp: tls('smtp.fastmail.com', 465),
    note: 'Fastmail needs an app password (Settings, Privacy & Security).',
  },
  {
    name: 'Zoho Mail',
    domains: ['zoho.com', 'zohomail.com'],
    imap: tls('imap.zoho.com', 993),
    smtp: tls('smtp.zoho.com', 465),
  },
  {
    name: 'GMX',
    domains: ['gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch'],
    imap: tls('imap.gmx.net', 993),
    smtp: starttls('mail.gmx.net', 587),
    note: 'GMX must have IMAP enabled in its web settings first.',
  },
  {
    name: 'GMX',
    domains: ['gmx.com', 'gmx.co.uk', 'gmx.fr', 'gmx.us'],
    imap: tls('imap.gmx.com', 993),
    smtp: starttls('mail.gmx.com', 587),
  },
  {
    name: 'WEB.DE',
    domains: ['web.de'],
    imap: tls('imap.web.de', 993),
    smtp: starttls('smtp.web.de', 587),
    note: 'WEB.DE must have IMAP enabled in its web settings first.',
  },
  {
    name: 'mailbox.org',
    domains: ['mailbox.org'],
    imap: tls('imap.mailbox.org', 993),
    smtp: tls('smtp.mailbox.org', 465),
  },
  {
    name: 'Posteo',
    domains: ['posteo.de', 'posteo.net', 'posteo.org', 'posteo.eu', 'posteo.at', 'posteo.ch'],
    imap: tls('posteo.de', 993),
    smtp: tls('posteo.de', 465),
  },
  {
    name: 'Yandex Mail',
    domains: ['yandex.com', 'yandex.ru'],
    imap: tls('imap.yandex.com', 993),
    smtp: tls('smtp.yandex.com', 465),
  },
  {
    name: 'Proton Mail (through Proton Mail Bridge)',
    domains: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'],
    imap: starttls('127.0.0.1', 1143),
    smtp: starttls('127.0.0.1', 1025),
    note: 'Proton Mail works through Proton Mail Bridge on this machine: use the password Bridge shows, and allow its self-signed certificate.',
  },
];

/** The domain of an address, lower case, or '' when there is none. */
export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0
    ? ''
    : email
        .slice(at + 1)
        .trim()
        .toLowerCase()
        .replace(/\.$/, '');
}

/** The well-known provider an address belongs to, if any. */
export function findProvider(email: string): Provider | undefined {
  const domain = emailDomain(email);
  return PROVIDERS.find((p) => p.domains.includes(domain));
}

/** The usual names, most likely first: `imap.D`/`mail.D` for IMAP, `smtp.D`/`mail.D` for SMTP. */
export function guessServers(domain: string): {
  imap: ServerCandidate[];
  smtp: ServerCandidate[];
} {
  const d = domain.toLowerCase();
  if (!d) return { imap: [], smtp: [] };
  const guess = (host: string, port: number, security: Security): ServerCandidate => ({
    host,
    port,
    security,
    source: 'guess',
  });
  return {
    imap: [
      guess(`imap.${d}`, 993, 'tls'),
      guess(`mail.${d}`, 993, 'tls'),
      guess(`imap.${d}`, 143, 'starttls'),
      guess(`mail.${d}`, 143, 'starttls'),
    ],
    smtp: [
      guess(`smtp.${d}`, 465, 'tls'),
      guess(`smtp.${d}`, 587, 'starttls'),
      guess(`mail.${d}`, 465, 'tls'),
      guess(`mail.${d}`, 587, 'starttls'),
    ],
  };
}

/** An SRV record as node:dns returns it. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The SRV services of RFC 6186 (and RFC 8314 for submissions), with what each implies. */
export const SRV_SERVICES = [
  { service: '_imaps._tcp', protocol: 'imap', security: 'tls' },
  { service: '_imap._tcp', protocol: 'imap', security: 'starttls' },
  { service: '_submissions._tcp', protocol: 'smtp', security: 'tls' },
  { service: '_submission._tcp', protocol: 'smtp', security: 'starttls' },
] as const satisfies readonly { service: string; protocol: 'imap' | 'smtp'; security: Security }[];

/**
 * Candidates from the SRV records of one service: a target of `.` means
 * "not offered here" (RFC 2782); lower priority first, then higher weight.
 */
export function srvToCandidates(records: SrvRecord[], security: Security): ServerCandidate[] {
  return records
    .filter((r) => r.name && r.name !== '.' && r.port > 0)
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((r) => ({
      host: r.name.replace(/\.$/, ''),
      port: r.port,
      security,
      source: 'srv' as const,
    }));
}

/** Candidates in order, with duplicates (same host, port and security) removed. */
export function mergeCandidates(...lists: ServerCandidate[][]): ServerCandidate[] {
  const seen = new Set<string>();
  const out: ServerCandidate[] = [];
  for (const candidate of lists.flat()) {
    const key = `${candidate.host.toLowerCase()}:${candidate.port}:${candidate.security}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(candidate);
  }
  return out;
}

/** What discovery found for an address. */
export interface Discovery {
  provider?: Provider;
  imap: ServerCandidate[];
  smtp: ServerCandidate[];
}

export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

export interface DiscoverOptions {
  /** Looks up SRV records; default node:dns. Tests pass their own. */
  resolveSrv?: SrvResolver;
  /** Limit for all the DNS lookups together in ms; default 3000. */
  timeoutMs?: number;
}

async function defaultResolveSrv(name: string): Promise<SrvRecord[]> {
  const { resolveSrv } = await import('node:dns/promises');
  return resolveSrv(name);
}

/**
 * Proposes servers for an address: the provider's when it is well known
 * (nothing else is asked then), else what SRV records say followed by the
 * usual guesses. DNS failures and timeouts just leave SRV out.
 */
export async function discoverServers(
  email: string,
  options: DiscoverOptions = {},
): Promise<Discovery> {
  const provider = findProvider(email);
  if (provider) {
    return {
      provider,
      imap: [{ ...provider.imap, source: 'provider' }],
      smtp: [{ ...provider.smtp, source: 'provider' }],
    };
  }
  const domain = emailDomain(email);
  const guesses = guessServers(domain);
  if (!domain) return guesses;
  const resolve = options.resolveSrv ?? defaultResolveSrv;
  const timeoutMs = options.timeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((r) => {
    timer = setTimeout(() => r(null), timeoutMs);
  });
  const lookups = SRV_SERVICES.map(async ({ service, protocol, security }) => {
    const records = await Promise.race([
      resolve(`${service}.${domain}`).catch(() => [] as SrvRecord[]),
      deadline,
    ]);
    return { protocol, candidates: srvToCandidates(records ?? [], security) };
  });
  const found = await Promise.all(lookups);
  clearTimeout(timer);
  const srv = (protocol: 'imap' | 'smtp') =>
    found.filter((f) => f.protocol === protocol).flatMap((f) => f.candidates);
  return {
    imap: mergeCandidates(srv('imap'), guesses.imap),
    smtp: mergeCandidates(srv('smtp'), guesses.smtp),
  };
}
