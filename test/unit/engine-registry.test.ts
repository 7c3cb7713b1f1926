/**
 * The registry of a session's engines: an engine per account, made only when
 * first needed; `shown` follows the account shown; the snapshot has every
 * account, with a state once opened; close logs every opened one out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/core/config/types.js';
import { EngineRegistry } from '../../src/core/engine-registry.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { FakeBackend, FakeMailServer } from '../../src/core/engine/fake-backend.js';

function account(name: string): AccountConfig {
  return {
    name,
    email: `${name}@example.test`,
    imap: { host: '127.0.0.1', port: 143, security: 'plain' },
    smtp: { host: '127.0.0.1', port: 587, security: 'plain' },
    password: { type: 'command', command: 'true' },
  };
}

function registry(names: string[]): { registry: EngineRegistry; opened: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tmail-registry-'));
  const opened: string[] = [];
  const reg = new EngineRegistry({
    accounts: names.map(account),
    open: (a) => {
      opened.push(a.name);
      const server = new FakeMailServer();
      server.deliver('INBOX', [{ subject: `Hello ${a.name}` }]);
      const engine = new MailEngine({
        account: a,
        backendFactory: async () => new FakeBackend(server),
        pendingFile: join(dir, `${a.name}.json`),
      });
      void engine.start({ retry: true });
      return engine;
    },
  });
  return { registry: reg, opened };
}

describe('EngineRegistry', () => {
  it('makes no engine until one is needed, and one per account', () => {
    const { registry: reg, opened } = registry(['home', 'work', 'lists']);
    expect(opened).toEqual([]);
    expect(reg.getSnapshot().accounts.map((a) => [a.account.name, a.state])).toEqual([
      ['home', null],
      ['work', null],
      ['lists', null],
    ]);
    expect(reg.shown.account.name).toBe('home');
    expect(opened).toEqual(['home']);
    expect(reg.engine('home')).toBe(reg.engine('home'));
    expect(opened).toEqual(['home']);
    expect(reg.opened('work')).toBeNull();
    return reg.close();
  });

  it('follows the account shown, telling the shown store’s listeners', async () => {
    const { registry: reg, opened } = registry(['home', 'work']);
    let heard = 0;
    reg.shown.store.subscribe(() => heard++);
    expect(reg.shown.state.account).toBe('home');
    const before = heard;
    reg.show('work');
    expect(heard).toBeGreaterThan(before);
    expect(reg.shownAccount).toBe('work');
    expect(reg.shown.state.account).toBe('work');
    expect(opened).toEqual(['home', 'work']);
    const snapshot = reg.getSnapshot();
    expect(snapshot.shown).toBe('work');
    expect(snapshot.accounts.every((a) => a.state !== null)).toBe(true);
    expect(() => reg.show('nobody')).toThrow(/no account named nobody/);
    await reg.close();
    expect(reg.openedEngines().every((e) => e.state.connection.status === 'closed')).toBe(true);
  });
});
