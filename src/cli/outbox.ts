/**
 * `tmail outbox`: the messages waiting to go (queued, failed, held, or sent
 * with a follow-up still to do), and retrying, editing or dropping them.
 */
import { getAccount, loadConfig } from '../core/config/index.js';
import type { TmailConfig } from '../core/config/types.js';
import { TmailError, toTmailError } from '../core/errors.js';
import { Outbox, type OutboxEntry } from '../core/outbox/index.js';
import { editDraft } from '../core/compose/index.js';
import { replaceQueued, retryOutbox, type SendResult } from '../core/smtp/index.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { COMMON_OPTIONS, parseCommandArgs } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { json, shortDate } from './output.js';
import { cliSendDeps, printResult, resultJson } from './send.js';

const USAGE = `Usage: tmail outbox [list] [--account NAME] [--json]
       tmail outbox retry [ID] [--force] [--account NAME] [--json]
       tmail outbox edit ID
       tmail outbox drop ID [--json]

Messages that could not be sent yet, with the server's last answer.
  list         show them (the default)
  retry [ID]   send them now (or the one with that id, or a unique start of it)
  edit ID      change one in $VISUAL or $EDITOR (it is sent on the next retry)
  drop ID      throw one away
  --force      with retry ID: send a message even though an interrupted attempt
               may already have delivered it ("held")`;

/** What the state column shows. */
function stateLabel(entry: OutboxEntry): string {
  if (entry.state === 'failed' && entry.uncertain) return 'held';
  return entry.state;
}

/** The JSON form of an entry (stable fields). */
function entryJson(entry: OutboxEntry): Record<string, unknown> {
  return {
    id: entry.id,
    account: entry.account,
    state: stateLabel(entry),
    messageId: entry.messageId,
    subject: entry.subject,
    from: entry.from,
    recipients: entry.recipients,
    created: new Date(entry.created).toISOString(),
    attempts: entry.attempts,
    lastError: entry.lastError ?? null,
    uncertain: entry.uncertain,
    sentAt: entry.sentAt ? new Date(entry.sentAt).toISOString() : null,
    pendingFollowUps: entry.followUps
      .filter((f) => !f.done)
      .map((f) => ({ kind: f.action.kind, error: f.error ?? null })),
    size: entry.size,
  };
}

function printEntries(io: CliIo, entries: OutboxEntry[]): void {
  const idWidth = Math.max(2, ...entries.map((e) => e.id.length));
  for (const e of entries) {
    const to = sanitizeLine(e.recipients.join(', '));
    const subject = sanitizeLine(e.subject) || '(no subject)';
    out(
      io,
      `${e.id.padEnd(idWidth)}  ${stateLabel(e).padEnd(7)}  ${shortDate(e.created)}  ${to.length > 32 ? `${to.slice(0, 31)}…` : to.padEnd(32)}  ${subject}`,
    );
    const pending = e.followUps.find((f) => !f.done && f.error);
    const why = e.state === 'sent' ? pending?.error : e.lastError;
    if (why) out(io, `${' '.repeat(idWidth)}  ${sanitizeLine(why)}`);
  }
}

async function retry(
  io: CliIo,
  outbox: Outbox,
  options: { id?: string; account?: string; force: boolean },
): Promise<SendResult[]> {
  let config: TmailConfig | undefined;
  const accountFor = (name: string) => getAccount((config ??= loadConfig()), name);
  const results: SendResult[] = [];
  const run = async (accountName: string, id?: string) => {
    const account = accountFor(accountName);
    const { deps, close } = cliSendDeps(account, io, { stdinFree: true });
    try {
      results.push(...(await retryOutbox(deps, account, id, { force: options.force })));
    } finally {
      await close();
    }
  };
  if (options.id !== undefined) {
    const id = await outbox.resolveId(options.id);
    const entry = await outbox.get(id);
    if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `No outbox message has the id ${id}.`);
    await run(entry.account, id);
    return results;
  }
  const accounts = [...new Set((await outbox.list(options.account)).map((e) => e.account))];
  for (const name of accounts) {
    try {
      await run(name);
    } catch (error) {
      // One account's trouble (removed from the config, say) must not hide the others' results.
      const e = toTmailError(error);
      for (const entry of await outbox.list(name)) {
        results.push({
          id: entry.id,
          messageId: entry.messageId,
          subject: entry.subject,
          recipients: entry.recipients,
          status: 'failed',
          error: e,
          rejected: [],
          warnings: [],
        });
      }
    }
  }
  return results;
}

/** Opens a waiting message's draft in the editor and queues what comes back. */
async function editEntry(io: CliIo, outbox: Outbox, idOrPrefix: string): Promise<number> {
  const id = await outbox.resolveId(idOrPrefix);
  const entry = await outbox.get(id);
  if (!entry) throw new TmailError('MESSAGE_UNKNOWN', `No outbox message has the id ${id}.`);
  if (entry.state === 'sent' || entry.state === 'sending')
    throw new TmailError('INVALID_MESSAGE', `The outbox message ${id} has already gone out.`);
  const draft = await outbox.readDraft(id);
  if (!draft) {
    throw new TmailError(
      'INVALID_MESSAGE',
      `The outbox message ${id} was queued from a file, not written in tmail; drop it and send the file again.`,
    );
  }
  const edited = await editDraft(draft, { env: io.env });
  if (edited.exitCode !== 0) {
    io.stderr.write(
      `tmail: the editor exited with status ${edited.exitCode}; the message was left as it was.\n`,
    );
    return 1;
  }
  if (!edited.changed) {
    out(io, `${id} was not changed.`);
    return 0;
  }
  const account = getAccount(loadConfig(), entry.account);
  const { deps, close } = cliSendDeps(account, io, { stdinFree: true });
  try {
    const updated = await replaceQueued(deps, account, id, edited.draft);
    out(
      io,
      `changed ${updated.id} (${sanitizeLine(updated.subject) || 'no subject'}); tmail outbox retry ${updated.id} sends it now`,
    );
  } finally {
    await close();
  }
  return 0;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('outbox', args, {
    ...COMMON_OPTIONS,
    force: { type: 'boolean' },
  });
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  const [action = 'list', id, extra] = positionals;
  if (extra !== undefined) throw usageError('too many arguments; see tmail outbox --help');
  if (values.force && !(action === 'retry' && id)) {
    throw usageError('--force needs retry and the id of one message');
  }
  const outbox = new Outbox();

  if (action === 'list') {
    if (id !== undefined) throw usageError('list takes no id; see tmail outbox --help');
    const entries = await outbox.list(values.account);
    if (values.json) json(io, entries.map(entryJson));
    else printEntries(io, entries);
    return 0;
  }

  if (action === 'edit') {
    if (!id) throw usageError('edit needs the id of a message; see tmail outbox list');
    return editEntry(io, outbox, id);
  }

  if (action === 'drop') {
    if (!id) throw usageError('drop needs the id of a message; see tmail outbox list');
    const entry = await outbox.drop(id);
    if (values.json) json(io, { dropped: entry.id });
    else out(io, `dropped ${entry.id} (${sanitizeLine(entry.subject) || 'no subject'})`);
    return 0;
  }

  if (action === 'retry') {
    const results = await retry(io, outbox, {
      id,
      account: values.account,
      force: values.force ?? false,
    });
    let ok = true;
    if (values.json) {
      json(io, results.map(resultJson));
      ok = results.every((r) => r.status === 'sent' || r.status === 'completed');
      for (const r of results) {
        if (r.error) io.stderr.write(`tmail: ${r.id}: ${sanitizeLine(r.error.userMessage)}\n`);
      }
    } else {
      if (results.length === 0) out(io, 'Nothing to send.');
      for (const result of results) ok = printResult(io, result) && ok;
    }
    return ok ? 0 : 1;
  }

  throw usageError(
    `unknown outbox action ${JSON.stringify(sanitizeLine(action))}; use list, retry, edit or drop`,
  );
}
