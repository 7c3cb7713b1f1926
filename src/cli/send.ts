/**
 * `tmail send`: a message from options and a body on standard input, or an
 * existing .eml file sent as it is. Either way it goes through the outbox, so
 * a message that cannot be sent is kept (see `tmail outbox`), and the Sent
 * copy and address book are updated like the TUI does.
 */
import { openSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ReadStream } from 'node:tty';
import { AddressBook } from '../core/addressbook/index.js';
import {
  accountIdentities,
  appendSignature,
  fromProblem,
  identityFor,
  loadSignature,
  newDraft,
  parseAddressList,
  signatureSourceOf,
  type FileAttachment,
} from '../core/compose/index.js';
import { getAccount, loadConfig } from '../core/config/index.js';
import type { AccountConfig } from '../core/config/types.js';
import type { MailEngine } from '../core/engine/engine.js';
import { TmailError } from '../core/errors.js';
import { Outbox } from '../core/outbox/index.js';
import { promptSecret, resolveCredentials } from '../core/secrets/index.js';
import {
  prepareRawMessage,
  sendBuilt,
  sendDraft,
  type SendDeps,
  type SendResult,
} from '../core/smtp/index.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { DELETED } from '../core/types.js';
import { COMMON_OPTIONS, parseCommandArgs } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { json } from './output.js';

const USAGE = `Usage: tmail send --to ADDR [--cc ADDR] [--bcc ADDR] [--subject S] [--attach FILE]... [--from ADDR] [--account NAME] [--json] < body.txt
       tmail send --file MESSAGE.eml [--account NAME] [--json]

Sends a message through the account's SMTP server. The body is read from standard
input (UTF-8) and the signature is appended. --to, --cc and --bcc can be
repeated, and each can hold several addresses separated by commas. --from sends
from one of the account's identities (with its name, signature and Sent folder).
--file sends an existing RFC 5322 message as it is: the recipients come from its To,
Cc and Bcc headers, and its Bcc header is removed before sending.
A message that cannot be sent is kept in the outbox; see tmail outbox.`;

/** A prompt on the controlling terminal, for when standard input carries the message. */
function terminalPrompt(io: CliIo): (question: string) => Promise<string> {
  return async (question) => {
    let fd: number;
    try {
      fd = openSync('/dev/tty', 'r+');
    } catch {
      throw new TmailError(
        'SECRET_UNAVAILABLE',
        'The password cannot be asked for: the message comes on standard input and there is no terminal.',
      );
    }
    const input = new ReadStream(fd);
    try {
      return await promptSecret(question, { input, output: io.stderr });
    } finally {
      input.destroy();
    }
  };
}

/** What a CLI send needs, with IMAP (for the follow-ups) connected only when first used. */
export interface CliSendDeps {
  deps: SendDeps;
  /** Logs out of IMAP if it was used. */
  close(): Promise<void>;
}

/**
 * Send dependencies for the CLI: SMTP credentials from the account's secret
 * source, and the Sent copy and flags done through a short-lived engine.
 * `stdinFree` says whether a password prompt may read standard input.
 */
export function cliSendDeps(
  account: AccountConfig,
  io: CliIo,
  options: { stdinFree: boolean },
): CliSendDeps {
  const prompt = options.stdinFree
    ? (question: string) => promptSecret(question, { input: io.stdin, output: io.stderr })
    : terminalPrompt(io);
  let engine: Promise<MailEngine> | undefined;
  const imap = () =>
    (engine ??= (async () => {
      // Loaded only when a follow-up needs IMAP: a failed send never pays for it.
      const { createEngine } = await import('../core/session.js');
      const e = createEngine(account, { prompt });
      await e.start({ retry: false });
      return e;
    })());
  const deps: SendDeps = {
    outbox: new Outbox(),
    addressBook: new AddressBook(),
    credentials: () => resolveCredentials(account, 'smtp', { prompt }),
    appendToFolder: async (role, raw, flags, folder) => {
      await (await imap()).request({ type: 'append', folder: folder ?? { role }, raw, flags });
    },
    setFlag: async (ref, flag) => {
      await (
        await imap()
      ).request({
        type: 'flag-in-folder',
        folder: ref.folder,
        uid: ref.uid,
        add: [flag],
      });
    },
    fetchAttachment: async (attachment) =>
      (await imap()).request({
        type: 'fetch-remote',
        folder: attachment.source.folder,
        uid: attachment.source.uid,
        part: attachment.kind === 'part' ? attachment.partId : undefined,
      }),
    // The CLI marks the postponed copy deleted; expunging is left to the user's client, as mutt does.
    removeMessage: async (ref) => {
      await (
        await imap()
      ).request({
        type: 'flag-in-folder',
        folder: ref.folder,
        uid: ref.uid,
        add: [DELETED],
      });
    },
  };
  return {
    deps,
    close: async () => {
      const started = await engine?.catch(() => undefined);
      await started?.close().catch(() => {});
    },
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

async function fileAttachment(path: string): Promise<FileAttachment> {
  const full = resolve(path);
  let info;
  try {
    info = await stat(full);
  } catch {
    throw new TmailError(
      'FILE_ERROR',
      `The file ${sanitizeLine(path)} cannot be attached: it does not exist.`,
    );
  }
  if (!info.isFile()) {
    throw new TmailError(
      'FILE_ERROR',
      `${sanitizeLine(path)} cannot be attached: it is not a file.`,
    );
  }
  return { kind: 'file', path: full, filename: basename(full), contentType: '', size: info.size };
}

/** The JSON form of a send result (stable fields). */
export function resultJson(result: SendResult): Record<string, unknown> {
  return {
    id: result.id,
    status: result.status,
    messageId: result.messageId,
    subject: result.subject,
    recipients: result.recipients,
    response: result.response ?? null,
    rejected: result.rejected,
    warnings: result.warnings,
    error: result.error ? { code: result.error.code, message: result.error.userMessage } : null,
  };
}

/** Prints a result as one line (stdout when it went, stderr when it did not) and its warnings; true when it went. */
export function printResult(io: CliIo, result: SendResult): boolean {
  const ok = result.status === 'sent' || result.status === 'completed';
  if (result.status === 'sent') {
    out(io, `sent ${result.id} ${result.messageId} to ${result.recipients.join(', ')}`);
  } else if (result.status === 'completed') {
    out(io, `completed ${result.id}: sent earlier; its follow-ups are done now`);
  } else if (result.status === 'busy') {
    io.stderr.write(`tmail: ${result.id} is being sent by another tmail right now.\n`);
  } else {
    const sentence = sanitizeLine(result.error?.userMessage ?? 'The message was not sent.');
    io.stderr.write(
      sentence.includes(result.id)
        ? `tmail: ${sentence}\n`
        : `tmail: ${sentence.replace(/\.$/, '')}; the message is kept in the outbox as ${result.id}.\n`,
    );
  }
  for (const warning of result.warnings) io.stderr.write(`tmail: ${sanitizeLine(warning)}\n`);
  return ok;
}

/**
 * Reports a send result as text or JSON (a failure's sentence also on stderr
 * with --json) and gives the exit code: 0 when the message went.
 */
export function reportResult(io: CliIo, result: SendResult, asJson: boolean): number {
  if (asJson) json(io, resultJson(result));
  const ok = asJson ? result.status === 'sent' : printResult(io, result);
  if (asJson && !ok && result.error)
    io.stderr.write(`tmail: ${sanitizeLine(result.error.userMessage)}\n`);
  return ok ? 0 : 1;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('send', args, {
    ...COMMON_OPTIONS,
    to: { type: 'string', multiple: true },
    cc: { type: 'string', multiple: true },
    bcc: { type: 'string', multiple: true },
    subject: { type: 'string', short: 's' },
    attach: { type: 'string', multiple: true },
    file: { type: 'string' },
    from: { type: 'string' },
  });
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    throw usageError(
      `unexpected argument ${JSON.stringify(sanitizeLine(positionals[0]!))}; see tmail send --help`,
    );
  }
  const to = (values.to ?? []).flatMap(parseAddressList);
  const cc = (values.cc ?? []).flatMap(parseAddressList);
  const bcc = (values.bcc ?? []).flatMap(parseAddressList);
  const composing =
    to.length + cc.length + bcc.length > 0 ||
    values.subject !== undefined ||
    (values.attach ?? []).length > 0;
  if (values.file !== undefined && composing) {
    throw usageError('--file cannot be combined with --to, --cc, --bcc, --subject or --attach');
  }
  if (values.file === undefined && to.length + cc.length + bcc.length === 0) {
    throw usageError(
      'give a recipient with --to, --cc or --bcc, or a message with --file; see tmail send --help',
    );
  }

  const account = getAccount(loadConfig(), values.account);
  const fromAddress = values.from === undefined ? undefined : parseAddressList(values.from)[0];
  const identity = fromAddress
    ? identityFor(account, fromAddress.address)
    : accountIdentities(account)[0];
  if (!identity) throw usageError(fromProblem(account, fromAddress!)!.replace(/\.$/, ''));
  const { deps, close } = cliSendDeps(account, io, { stdinFree: values.file !== undefined });
  try {
    let result: SendResult;
    if (values.file !== undefined) {
      let raw: Buffer;
      try {
        raw = await readFile(resolve(values.file));
      } catch {
        throw new TmailError(
          'FILE_ERROR',
          `The message file ${sanitizeLine(values.file)} cannot be read.`,
        );
      }
      result = await sendBuilt(deps, account, prepareRawMessage(raw, account));
    } else {
      const attachments = await Promise.all((values.attach ?? []).map(fileAttachment));
      const text = (await readAll(io.stdin))
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .replace(/\r\n?/g, '\n');
      const signature = await loadSignature(signatureSourceOf(account, identity));
      if (signature.problem) io.stderr.write(`tmail: ${sanitizeLine(signature.problem)}\n`);
      const draft = {
        ...newDraft(account, { identity }),
        to,
        cc,
        bcc,
        subject: values.subject ?? '',
        body: appendSignature(text, signature.text),
        attachments,
      };
      result = await sendDraft(deps, account, draft);
    }
    return reportResult(io, result, values.json ?? false);
  } finally {
    await close();
  }
}
