/**
 * Re-sync from a warm cache after another client changed the flags of 1,000
 * messages (the newest 1,000, so every row on screen is among them), for
 * `npm run bench`: from the moment the engine says it is online to the moment
 * every row on screen shows the change, and what the engine sent meanwhile
 * (read on the wire through the fault proxy): SELECTs, and UID lists (UID
 * SEARCH) that came before the changes were on screen.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAccountCache } from '../src/core/cache/index.js';
import { MailEngine } from '../src/core/engine/engine.js';
import { foldersFileOf, LocalMail } from '../src/core/engine/local-mail.js';
import { ImapBackend } from '../src/core/imap/imap-backend.js';
import { FLAGGED } from '../src/core/types.js';
import { testAccount, testCredentials } from '../test/support/accounts.js';
import { checker } from '../test/support/engine.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';
import type { MailStack } from '../test/support/mail-stack.js';
import type { TestUser } from '../test/support/stack.js';

/** One re-sync from a warm cache. */
export interface ResyncRun {
  /** ms from "online" to every row on screen showing the change. */
  onScreenMs: number;
  /** SELECT commands sent before that moment, and whether one carried QRESYNC. */
  selects: number;
  qresync: boolean;
  /** UID SEARCH commands (a UID list) sent before that moment. */
  uidLists: number;
  /** UID SEARCH commands sent until the catch-up was over (the engine idle): the list read after the rows changed counts here. */
  uidListsInAll?: number;
  /** The server's own time for a SELECT by a separate client right after a like change (median of 3). */
  serverSelectMs?: number;
}

export interface ResyncBench extends ResyncRun {
  size: number;
  changed: number;
  /**
   * The same against a Dovecot set to trust its index for the Maildir's cur/
   * (`maildir_very_dirty_syncs`). By default Dovecot rescans cur/ while its
   * mtime is recent (it cannot tell its own renames from another program's):
   * at 100,000 files some 300 ms of server time in a SELECT after another
   * client's flag changes, whichever client sends it.
   */
  tunedServer?: ResyncRun;
}

const ROWS = 50;

/** A re-sync on `stack`; its user's INBOX holds `size` messages. */
export async function benchResync(
  stack: MailStack,
  user: TestUser,
  size: number,
): Promise<ResyncBench> {
  const changed = Math.min(1000, size);
  return { size, changed, ...(await resyncOnce(stack, user, size, changed)) };
}

async function resyncOnce(
  stack: MailStack,
  user: TestUser,
  size: number,
  changed: number,
): Promise<ResyncRun> {
  const proxy = await startFaultProxy({ host: stack.host, port: stack.ports.imap });
  const dir = mkdtempSync(join(tmpdir(), 'tmail-bench-resync-'));
  const account = testAccount(stack.info(), user, {
    imap: { host: proxy.host, port: proxy.port, security: 'plain' },
  });
  const file = join(dir, 'store.sqlite3');
  const engineWithCache = () =>
    new MailEngine({
      account,
      pendingFile: join(dir, 'pending.json'),
      cache: (onNotice) =>
        new LocalMail(openAccountCache(account, { file, onNotice }), foldersFileOf(file)),
      backendFactory: async () =>
        new ImapBackend({ account, credentials: testCredentials(user), timeoutMs: 30_000 }),
    });
  const client = await checker(stack.info(), user);
  const from = Math.max(1, size - changed + 1);
  try {
    // A first session fills the cache with the newest rows.
    const first = engineWithCache();
    await first.start({ retry: false });
    await first.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    await first.request({ type: 'viewport', first: 0, last: ROWS - 1, margin: 0 });
    await first.idle();
    const shown = first.state.view!.uids.slice(0, ROWS);
    await first.close();

    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd(`${from}:*`, [FLAGGED]);
    await client.mailboxClose();
    const engine = engineWithCache();
    let onlineAt = 0;
    let doneAt = 0;
    let mark = 0;
    const done = new Promise<void>((resolve) => {
      const check = () => {
        const state = engine.state;
        if (!onlineAt && state.connection.status === 'online') {
          onlineAt = performance.now();
        }
        const view = state.view;
        if (
          onlineAt &&
          !doneAt &&
          view &&
          shown.every((uid) => view.envelopes.get(uid)?.flags.includes(FLAGGED))
        ) {
          doneAt = performance.now();
          mark = proxy.sent.length;
          resolve();
        }
      };
      engine.store.subscribe(check);
    });
    const sentBefore = proxy.sent.length;
    await engine.start({ retry: true });
    await engine.request({ type: 'open-folder', path: 'INBOX', rows: ROWS });
    await done;
    const lines = proxy.sent.slice(sentBefore, mark).map((l) => l.replace(/^\S+ /, ''));
    await engine.idle();
    const all = proxy.sent.slice(sentBefore).map((l) => l.replace(/^\S+ /, ''));
    await engine.close();
    // The server's own SELECT in the same conditions: right after a like change (the flags
    // taken off, put back, taken off again; they end as they began).
    const selectMs: number[] = [];
    for (const flagged of [false, true, false]) {
      await client.mailboxOpen('INBOX');
      if (flagged) await client.messageFlagsAdd(`${from}:*`, [FLAGGED]);
      else await client.messageFlagsRemove(`${from}:*`, [FLAGGED]);
      await client.mailboxClose();
      const selectStart = performance.now();
      await client.mailboxOpen('INBOX');
      selectMs.push(performance.now() - selectStart);
      await client.mailboxClose();
    }
    const serverSelectMs = Math.round(selectMs.sort((a, b) => a - b)[1]!);
    return {
      serverSelectMs,
      onScreenMs: Math.round(doneAt - onlineAt),
      selects: lines.filter((l) => /^SELECT\b/i.test(l)).length,
      qresync: lines.some((l) => /^SELECT\b.*\(QRESYNC /i.test(l)),
      uidLists: lines.filter((l) => /^UID SEARCH\b/i.test(l)).length,
      uidListsInAll: all.filter((l) => /^UID SEARCH\b/i.test(l)).length,
    };
  } finally {
    await client.logout().catch(() => {});
    await proxy.close();
  }
}
