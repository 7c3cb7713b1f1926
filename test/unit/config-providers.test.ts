/**
 * Server proposals for the setup: the providers table, SRV records (RFC 6186,
 * RFC 8314) through a fake resolver, and the usual host-name guesses.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  discoverServers,
  findProvider,
  guessServers,
  mergeCandidates,
  srvToCandidates,
  suggestAccountName,
  type SrvRecord,
} from '../../src/core/config/account-setup.js';

describe('the providers table', () => {
  it('knows the big providers by the address domain, in any case', () => {
    expect(findProvider('Ann@GMail.com')).toMatchObject({
      name: 'Gmail',
      imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
      serverSavesSent: true,
    });
    expect(findProvider('ann@hotmail.com')?.name).toBe('Outlook.com');
    expect(findProvider('ann@posteo.de')?.smtp).toEqual({
      host: 'posteo.de',
      port: 465,
      security: 'tls',
    });
    expect(findProvider('ann@pm.me')?.imap).toEqual({
      host: '127.0.0.1',
      port: 1143,
      security: 'starttls',
    });
    expect(findProvider('ann@example.com')).toBeUndefined();
  });

  it('is used without asking DNS', async () => {
    const resolveSrv = vi.fn();
    const found = await discoverServers('ann@fastmail.com', { resolveSrv });
    expect(found.provider?.name).toBe('Fastmail');
    expect(found.imap).toEqual([
      { host: 'imap.fastmail.com', port: 993, security: 'tls', source: 'provider' },
    ]);
    expect(resolveSrv).not.toHaveBeenCalled();
  });
});

describe('SRV records', () => {
  it('skip "." targets and sort by priority, then weight', () => {
    const records: SrvRecord[] = [
      { name: 'b.example.com', port: 993, priority: 10, weight: 1 },
      { name: '.', port: 0, priority: 0, weight: 0 },
      { name: 'a.example.com.', port: 993, priority: 5, weight: 1 },
      { name: 'c.example.com', port: 993, priority: 10, weight: 50 },
    ];
    expect(srvToCandidates(records, 'tls').map((c) => c.host)).toEqual([
      'a.example.com',
      'c.example.com',
      'b.example.com',
    ]);
  });

  it('come before the guesses, with the security their service implies', async () => {
    const zone: Record<string, SrvRecord[]> = {
      '_imaps._tcp.example.org': [{ name: 'mx.example.net', port: 993, priority: 0, weight: 0 }],
      '_imap._tcp.example.org': [{ name: 'mx.example.net', port: 143, priority: 0, weight: 0 }],
      '_submission._tcp.example.org': [
        { name: 'out.example.net', port: 587, priority: 0, weight: 0 },
      ],
    };
    const resolveSrv = vi.fn(async (name: string) => {
      const records = zone[name];
      if (!records) throw Object.assign(new Error('queryNotFound'), { code: 'ENOTFOUND' });
      return records;
    });
    const found = await discoverServers('ann@example.org', { resolveSrv });
    expect(resolveSrv.mock.calls.map((c) => c[0]).sort()).toEqual([
      '_imap._tcp.example.org',
      '_imaps._tcp.example.org',
      '_submission._tcp.example.org',
      '_submissions._tcp.example.org',
    ]);
    expect(found.imap.slice(0, 3)).toEqual([
      { host: 'mx.example.net', port: 993, security: 'tls', source: 'srv' },
      { host: 'mx.example.net', port: 143, security: 'starttls', source: 'srv' },
      { host: 'imap.example.org', port: 993, security: 'tls', source: 'guess' },
    ]);
    expect(found.smtp[0]).toEqual({
      host: 'out.example.net',
      port: 587,
      security: 'starttls',
      source: 'srv',
    });
  });

  it('are left out when DNS does not answer in time', async () => {
    const found = await discoverServers('ann@example.org', {
      resolveSrv: () => new Promise(() => {}),
      timeoutMs: 10,
    });
    expect(found.imap.every((c) => c.source === 'guess')).toBe(true);
    expect(found.imap).toHaveLength(4);
  });
});

describe('guesses', () => {
  it('try imap. and mail. for IMAP, smtp. and mail. for SMTP, implicit TLS first', () => {
    const { imap, smtp } = guessServers('example.com');
    expect(imap.map((c) => `${c.host}:${c.port}/${c.security}`)).toEqual([
      'imap.example.com:993/tls',
      'mail.example.com:993/tls',
      'imap.example.com:143/starttls',
      'mail.example.com:143/starttls',
    ]);
    expect(smtp.map((c) => `${c.host}:${c.port}/${c.security}`)).toEqual([
      'smtp.example.com:465/tls',
      'smtp.example.com:587/starttls',
      'mail.example.com:465/tls',
      'mail.example.com:587/starttls',
    ]);
  });

  it('drop duplicates when merged', () => {
    const { imap } = guessServers('example.com');
    expect(mergeCandidates(imap, imap)).toEqual(imap);
  });
});

describe('account names', () => {
  it('come from the domain, or the local part at a big provider, and are unique', () => {
    expect(suggestAccountName('ann@example.com')).toBe('example');
    expect(suggestAccountName('ann.smith@gmail.com')).toBe('ann.smith');
    expect(suggestAccountName('ann@example.com', ['example', 'example-2'])).toBe('example-3');
  });
});
