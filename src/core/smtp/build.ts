/**
 * From a Draft to the bytes of an RFC 5322 message, with nodemailer's
 * MailComposer: headers encoded (RFC 2047 words, RFC 2231 file names), text as
 * quoted-printable or base64, attachments as base64 parts, CRLF line ends.
 * The message is built once; the same bytes go to the SMTP server, into the
 * outbox and (with the Bcc field put back) into the Sent folder.
 */
import { readFile } from 'node:fs/promises';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { MailComposerAttachment } from 'nodemailer/lib/mail-composer/index.js';
import { dedupeAddresses } from '../compose/addresses.js';
import { DRAFT_HEADER, encodeDraftHeader } from '../compose/draft-message.js';
import { cleanHeaderText, type Draft, type RemoteAttachment } from '../compose/draft.js';
import { fromProblem } from '../compose/identities.js';
import { draftProblems } from '../compose/validate.js';
import type { AccountConfig } from '../config/types.js';
import { TmailError, toTmailError } from '../errors.js';
import type { Address } from '../types.js';
import { VERSION } from '../version.js';
import { newMessageId, removeHeaderFields, type BuiltMessage } from './raw.js';

export type { BuiltMessage } from './raw.js';

/**
 * Fetches the decoded bytes of an attachment that lives on the server: a part
 * of a message (`kind: 'part'`, by `partId`) or a whole message's source
 * (`kind: 'message'`). Wired by the engine to IMAP.
 */
export type AttachmentFetcher = (attachment: RemoteAttachment) => Promise<Buffer>;

export interface BuildOptions {
  /** `send` (default) leaves Bcc out of the bytes; `draft` keeps it and marks the message as a tmail draft. */
  purpose?: 'send' | 'draft';
  /** Needed when the draft carries attachments from the server (forwards, resumed drafts). */
  fetchAttachment?: AttachmentFetcher;
  /** Keep this Message-ID (rebuilding an edited outbox entry); a new one at the sender's domain otherwise. */
  messageId?: string;
  /** The Date header; now by default. */
  date?: Date;
}

/** The mailbox nodemailer writes in a header: the name only when there is one. */
function mailbox(address: Address): { name: string; address: string } | string {
  return address.name ? { name: address.name, address: address.address } : address.address;
}

/** File names come from other people's messages too: no controls, no paths. */
function safeFilename(name: string): string {
  const clean = cleanHeaderText(name).replace(/[/\\]/g, '_');
  return clean || 'attachment';
}

async function attachmentParts(
  draft: Draft,
  fetchAttachment: AttachmentFetcher | undefined,
): Promise<MailComposerAttachment[]> {
  const parts: MailComposerAttachment[] = [];
  for (const attachment of draft.attachments) {
    const filename = safeFilename(attachment.filename);
    let content: Buffer;
    if (attachment.kind === 'file') {
      try {
        content = await readFile(attachment.path);
      } catch (error) {
        const why =
          (error as { code?: string }).code === 'ENOENT'
            ? 'it is not there any more'
            : 'it cannot be read';
        throw new TmailError('FILE_ERROR', `The attachment ${filename} cannot be added: ${why}.`, {
          cause: error,
        });
      }
    } else {
      if (!fetchAttachment) {
        throw new TmailError(
          'INVALID_MESSAGE',
          `The attachment ${filename} is on the server, and tmail cannot fetch it here.`,
        );
      }
      try {
        content = await fetchAttachment(attachment);
      } catch (error) {
        const reason = toTmailError(error);
        throw new TmailError(
          reason.code === 'INTERNAL' ? 'SEND_FAILED' : reason.code,
          `The attachment ${filename} could not be fetched from the server.`,
          { cause: error, serverText: reason.serverText },
        );
      }
    }
    const contentType = attachment.contentType.trim().toLowerCase();
    const isMessage = attachment.kind === 'message' || contentType === 'message/rfc822';
    parts.push({
      filename,
      content,
      ...(contentType ? { contentType } : {}),
      // nodemailer shows message/* parts inline by default; a forwarded message is an attachment.
      contentDisposition: 'attachment',
      ...(isMessage ? {} : { contentTransferEncoding: 'base64' }),
    });
  }
  return parts;
}

/**
 * Builds the message for a draft. Refuses, with INVALID_MESSAGE and one
 * sentence, a draft that {@link draftProblems} objects to: CR/LF or another
 * control in the subject, a name or an address, an address that does not
 * parse, no recipient. An attachment that cannot be read gives FILE_ERROR.
 */
export async function buildMessage(
  draft: Draft,
  account: AccountConfig,
  options: BuildOptions = {},
): Promise<BuiltMessage> {
  const purpose = options.purpose ?? 'send';
  const problems = draftProblems(draft, { purpose });
  if (problems.length > 0) throw new TmailError('INVALID_MESSAGE', problems[0]);

  const from = draft.from.address
    ? draft.from
    : { name: account.displayName ?? '', address: account.email };
  if (purpose === 'send') {
    // Never send as someone the account is not (a From typed in by hand, a stale draft).
    const problem = fromProblem(account, from);
    if (problem) throw new TmailError('INVALID_MESSAGE', problem);
  }
  const messageId = options.messageId ?? newMessageId(from.address);
  if (!/^<[^<>\s\u0000-\u001f\u007f-\u009f]+>$/.test(messageId)) {
    throw new TmailError('INVALID_MESSAGE', 'The Message-ID is not valid.');
  }
  const headers: Record<string, string | { prepared: true; value: string }> = {
    'X-Mailer': `tmail ${VERSION}`,
  };
  // Plain base64url ASCII, well under the line limit: kept on one line rather than folded.
  if (purpose === 'draft')
    headers[DRAFT_HEADER] = { prepared: true, value: encodeDraftHeader(draft) };

  const body = draft.body.replace(/\r\n?/g, '\n');
  const composer = new MailComposer({
    from: mailbox(from),
    to: draft.to.map(mailbox),
    cc: draft.cc.map(mailbox),
    bcc: draft.bcc.map(mailbox),
    subject: draft.subject,
    messageId,
    date: options.date ?? new Date(),
    inReplyTo: draft.inReplyTo || undefined,
    references: draft.references.length > 0 ? draft.references : undefined,
    text: body.endsWith('\n') || body === '' ? body : `${body}\n`,
    attachments: await attachmentParts(draft, options.fetchAttachment),
    headers,
    newline: 'win',
    // Everything is in memory already; nothing in a draft may make nodemailer open a path or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // Built once with Bcc; for sending, the Bcc field is cut out of the same bytes.
  node.keepBcc = true;
  let full: Buffer;
  try {
    full = await node.build();
  } catch (error) {
    throw new TmailError('INVALID_MESSAGE', 'The message could not be put together.', {
      cause: error,
    });
  }
  const envelope = {
    from: from.address,
    to: dedupeAddresses([...draft.to, ...draft.cc, ...draft.bcc]).map((a) => a.address),
  };
  if (purpose === 'draft') {
    return { raw: full, messageId, envelope, bccHeader: '', subject: draft.subject };
  }
  const { raw, removed } = removeHeaderFields(full, 'bcc');
  return { raw, messageId, envelope, bccHeader: removed.toString('utf8'), subject: draft.subject };
}
