/**
 * tmail against small hostile IMAP servers (test/support/hostile-imap.ts):
 * one that greets and goes silent, one claiming 4,294,967,295 messages and
 * answering a search with 1:4294967295, one sending an endless line, one
 * announcing a literal of 4 GiB. Each command fails with one sentence and no
 * stack, its peak memory measured from the outside stays under 300 MB, and
 * the reader's engine backs off instead of reconnecting in a tight loop.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/core/config/types.js';
import { MailEngine } from '../../src/core/engine/engine.js';
import { ImapBackend } from '../../src/core/imap/imap-backend.js';
import { testConfigEnv } from '../support/accounts.js';
import {
  sendEndlessLine,
  startHostileImap,
  type HostileOptions,
  type HostileServer,
} from '../support/hostile-imap.js';
import { runTmailMeasured, type MeasuredResult } from '../support/peak-rss.js';
import { waitFor } from '../support/wait.js';

const PEAK_LIMIT_MIB = 300;
const servers: HostileServer[] = [];
const engines: MailEngine[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function hostile(options: HostileOptions): Promise<HostileServer> {
  const server = await startHostileImap(options);
  servers.push(server);
  return server;
}

function account(server: HostileServer, timeout?: number): AccountConfig {
  return {
    name: 'hostile',
    email: 'user@example.test',
    user: 'user',
    imap: { host: server.host, port: server.port, security: 'plain' },
    smtp: { host: server.host, port: 1, security: 'plain' },
    password: { type: 'command', command: 'echo secret' },
    ...(timeout === undefined ? {} : { timeout }),
  };
}

function cli(args: string[], server: HostileServer, timeout?: number): Promise<MeasuredResult> {
  return runTmailMeasured(args, testConfigEnv([account(server, timeout)]));
}

/** One line on stderr, no stack trace, exit code 1. */
function expectOneSentence(result: MeasuredResult, sentence: RegExp): void {
  expect(result.stderr).not.toMatch(/\n\s+at |node:internal|FATAL ERROR/);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(sentence);
  expect(result.code).toBe(1);
}

function engineFor(server: HostileServer, timeout?: number, delays = [200, 400, 800, 1600]) {
  const config = account(server, timeout);
  const engine = new MailEngine({
    account: config,
    pendingFile: join(tmpdir(), `tmail-hostile-pending-${process.pid}-${server.port}.json`),
    reconnectDelaysMs: delays,
    backendFactory: async () =>
      new ImapBackend({ account: config, credentials: { user: 'user', password: 'secret' } }),
  });
  engines.push(engine);
  return engine;
}

/** The "< UID SEARCH" hooks: answer a search with the whole UID space. */
const WHOLE_UID_SPACE: HostileOptions['on'] = {
  'UID SEARCH': (session, command) => {
    if (/RETURN/i.test(command.args))
      session.send(`* ESEARCH (TAG "${command.tag}") UID ALL 1:4294967295`);
    else session.send('* SEARCH 1 2 3');
    session.ok(command);
    return true;
  },
};

describe('a server that greets and then says nothing', () => {
  it('tmail list gives up after the timeout setting with one sentence', async () => {
    const server = await hostile({ silentAfterGreeting: true });
    const result = await cli(['list'], server, 2);
    expectOneSentence(
      result,
      /^tmail: The IMAP server 127\.0\.0\.1:\d+ did not answer within 2 s; tmail closed the connection/,
    );
  });

  it("the reader's engine shows the connection as lost and tries again", async () => {
    const server = await hostile({ silentAfterGreeting: true });
    const engine = engineFor(server, 1);
    await engine.start({ retry: true });
    await waitFor(() => engine.state.connection.status === 'offline', { what: 'offline' });
    const state = engine.state.connection;
    expect(state.status === 'offline' && state.reason).toMatch(/did not answer within 1 s/);
    await waitFor(() => server.connections >= 2, { what: 'a second attempt' });
  });
});

describe('a server claiming 4,294,967,295 messages', () => {
  for (const args of [['list', '--unread'], ['search', 'from:ada'], ['list']]) {
    it(`tmail ${args.join(' ')} refuses the answer in one sentence, under ${PEAK_LIMIT_MIB} MB`, async () => {
      const server = await hostile({ exists: 4294967295, on: WHOLE_UID_SPACE });
      const result = await cli(args, server);
      if (args.length === 1 && result.code === 0) {
        // The newest page needs no UID list: nothing to refuse, nothing allocated.
        expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
        return;
      }
      expectOneSentence(
        result,
        /answered with 4,294,967,295 messages where the folder holds 5,000,000 at most; tmail did not read the answer\./,
      );
      expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    });
  }

  it('without ESEARCH, a plain search answered with 1:4294967295 is refused too', async () => {
    const server = await hostile({
      exists: 4294967295,
      capabilities: 'IMAP4rev1 UIDPLUS MOVE IDLE',
      on: {
        'UID SEARCH': (session, command) => {
          session.send(`* ESEARCH (TAG "${command.tag}") UID ALL 1:4294967295`);
          session.ok(command);
          return true;
        },
      },
    });
    const result = await cli(['list', '--unread'], server);
    expectOneSentence(
      result,
      /answered with 5,000,001 or more messages where the folder holds 5,000,000 at most/,
    );
    expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });

  it('a search answered with 1:4294967295 in a folder of 3 is refused the same way', async () => {
    const server = await hostile({ on: WHOLE_UID_SPACE });
    const result = await cli(['list', '--unread'], server);
    expectOneSentence(
      result,
      /answered with 4,294,967,295 messages where the folder holds 3 at most/,
    );
    expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });
});

describe('a server sending an endless line', () => {
  it('tmail list refuses it at 32 MiB and says why, under 300 MB', async () => {
    const server = await hostile({
      on: {
        SELECT: (session) => {
          sendEndlessLine(session, '* OK ', 2 * 1024 * 1024 * 1024);
          return true;
        },
      },
    });
    const result = await cli(['list'], server);
    expectOneSentence(
      result,
      /The IMAP server 127\.0\.0\.1:\d+ sent a response line longer than 32 MiB; tmail refused it and closed the connection\./,
    );
    expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });
});

describe('a server announcing a literal of 4,294,967,295 bytes', () => {
  const hugeLiteral: HostileOptions['on'] = {
    // Only the folder list tmail asks for once logged in (LIST "" "*"), not imapflow's own
    // LIST during login: the connection must succeed first for a reconnect loop.
    LIST: (session, command) => {
      if (!command.args.includes('*')) return false;
      session.send('* LIST () "/" {4294967295}');
      return true;
    },
  };

  it('tmail folders refuses it with one sentence', async () => {
    const server = await hostile({ on: hugeLiteral });
    const result = await cli(['folders'], server);
    expectOneSentence(
      result,
      /sent a literal larger than 256 MiB; tmail refused it and closed the connection\./,
    );
    expect(result.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });

  it('the reader backs off: each new attempt waits longer than the one before', async () => {
    const server = await hostile({ on: hugeLiteral });
    const engine = engineFor(server, undefined, [100, 200, 400, 800, 1600]);
    const waits: number[] = [];
    let reason = '';
    let lastRetryAt = 0;
    const stop = engine.store.subscribe(() => {
      const c = engine.state.connection;
      if (c.status === 'offline' && c.retryAt && c.retryAt !== lastRetryAt) {
        lastRetryAt = c.retryAt;
        waits.push(Math.round((c.retryAt - Date.now()) / 100) * 100);
        reason = c.reason;
      }
    });
    await engine.start({ retry: true });
    await waitFor(() => waits.length >= 4, { what: 'four reconnect attempts' });
    stop();
    expect(reason).toMatch(/sent a literal larger than 256 MiB/);
    expect(waits.slice(0, 4)).toEqual([100, 200, 400, 800]);
  });
});
