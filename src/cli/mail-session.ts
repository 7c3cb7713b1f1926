/**
 * What every mail command does around its work: open the account, connect
 * once (a script wants an answer, not a retry loop), and always log out.
 */
import type { MailEngine } from '../core/engine/engine.js';
import { promptSecret } from '../core/secrets/index.js';
import { openSession, type Session } from '../core/session.js';
import type { CliIo } from './io.js';

/** Opens the account (default one unless named), connects, runs `work`, logs out. */
export async function withMail<T>(
  io: CliIo,
  account: string | undefined,
  work: (engine: MailEngine, session: Session) => Promise<T>,
): Promise<T> {
  const session = openSession({
    account,
    prompt: (question) => promptSecret(question, { input: io.stdin, output: io.stderr }),
    // A piped password is one line: asking again would only find the input's end.
    askAgain: Boolean(io.stdin.isTTY),
  });
  const { engine } = session;
  try {
    // Each command reads the folder list itself when it needs one (folders, delete).
    await engine.start({ retry: false, folders: false });
    return await work(engine, session);
  } finally {
    await engine.close().catch(() => {});
    const statsFile = io.env.TMAIL_STATS_FILE;
    // Benchmarks and tests read how much was asked of the server.
    if (statsFile) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(statsFile, JSON.stringify(engine.stats));
    }
  }
}
