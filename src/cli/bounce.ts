/**
 * `tmail bounce UID --to ADDR`: mutt's bounce (redirect). The message is sent
 * on unchanged to new recipients with Resent-From, Resent-To, Resent-Date and
 * Resent-Message-ID on top, through the account's SMTP server and the outbox.
 * No copy goes to Sent unless --save-sent asks for one.
 */
import { parseAddressList } from '../core/compose/index.js';
import { getAccount, loadConfig } from '../core/config/index.js';
import { TmailError } from '../core/errors.js';
import { bounceMessage, bounceProblem } from '../core/smtp/index.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { COMMON_OPTIONS, parseCommandArgs, parseUids } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { withMail } from './mail-session.js';
import { cliSendDeps, reportResult } from './send.js';

const USAGE = `Usage: tmail bounce UID --to ADDR [--to ADDR]... [--folder F] [--save-sent] [--account NAME] [--json]

Sends the message on, unchanged, to new recipients (mutt's bounce): Resent-From,
Resent-To, Resent-Date and Resent-Message-ID are added on top; its own From,
Message-ID and body stay as they are. --to can be repeated and can hold several
addresses separated by commas. No copy is filed in Sent unless --save-sent is given.
A message that cannot be sent is kept in the outbox; see tmail outbox.`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('bounce', args, {
    ...COMMON_OPTIONS,
    to: { type: 'string', multiple: true },
    folder: { type: 'string', short: 'f' },
    'save-sent': { type: 'boolean' },
  });
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  const uids = parseUids(positionals);
  if (uids.length !== 1) throw usageError('bounce takes exactly one UID; see tmail bounce --help');
  const to = (values.to ?? []).flatMap(parseAddressList);
  if (to.length === 0)
    throw usageError('give the new recipient with --to; see tmail bounce --help');
  const problem = bounceProblem(to);
  if (problem) throw usageError(problem.replace(/\.$/, ''));
  const folder = values.folder ?? 'INBOX';
  const account = getAccount(loadConfig(), values.account);

  // Only the source is read, from the server: the cache has nothing to give or keep.
  const raw = await withMail(
    io,
    values.account,
    async (engine) => {
      await engine.request({ type: 'open-folder', path: folder, rows: 0, list: false });
      return engine.request({ type: 'source', uid: uids[0]! });
    },
    { cache: 'none' },
  );
  if (raw.length === 0)
    throw new TmailError(
      'MESSAGE_UNKNOWN',
      `There is no message ${uids[0]} in ${sanitizeLine(folder)}.`,
    );
  const { deps, close } = cliSendDeps(account, io, { stdinFree: true });
  try {
    const result = await bounceMessage(deps, account, raw, to, {
      saveSent: values['save-sent'] ?? false,
    });
    return reportResult(io, result, values.json ?? false);
  } finally {
    await close();
  }
}
