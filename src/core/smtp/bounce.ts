/**
 * Bouncing (mutt's `b`, "redirect"): a message sent on unchanged to new
 * recipients, with the Resent-* block of RFC 5322 section 3.6.6 on top
 * (Resent-From, Resent-To, Resent-Date, Resent-Message-ID). The original
 * Message-ID, From, To and body stay as they were. It goes through the
 * account's SMTP server and the outbox, like any send; a Sent copy only when
 * asked.
 */
import { formatAddress, isSafeName, isValidAddress } from '../compose/addresses.js';
import { cleanHeaderText } from '../compose/draft.js';
import { visible } from '../compose/validate.js';
import type { AccountConfig } from '../config/types.js';
import { TmailError } from '../errors.js';
import type { Address } from '../types.js';
import {
  messageHeaderFields,
  newMessageId,
  rfc5322Date,
  toCrlf,
  type BuiltMessage,
} from './raw.js';
import { sendBuilt, type SendDeps, type SendResult } from './send.js';

/** A display name as an RFC 2047 encoded word when it is not plain ASCII. */
function encodeName(name: string): string {
  // Printable ASCII: formatAddress quotes it when it must.
  if (/^[\u0020-\u007e]*$/.test(name)) return name;
  const words: string[] = [];
  let chunk = '';
  for (const ch of name) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(' ');
}

function mailboxText(address: Address): string {
  const name = address.name.trim();
  if (!name) return address.address;
  const encoded = encodeName(name);
  return encoded === name ? formatAddress(address) : `${encoded} <${address.address}>`;
}

/** A header line folded at commas so that no line passes 78 characters when it can be helped. */
function foldList(name: string, items: string[]): string {
  let line = `${name}: `;
  const lines: string[] = [];
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (line.length + piece.length > 78 && line.trim() !== `${name}:`) {
      lines.push(line.trimEnd());
      line = ` ${piece} `;
    } else line += `${piece} `;
  });
  lines.push(line.trimEnd());
  return `${lines.join('\r\n')}\r\n`;
}

/** Why these bounce recipients cannot be used (one sentence), or undefined. */
export function bounceProblem(to: readonly Address[]): string | undefined {
  if (to.length === 0) return 'Give an address to bounce the message to.';
  for (const a of to) {
    if (!isValidAddress(a.address))
      return a.address
        ? `"${visible(a.address)}" is not a valid email address.`
        : 'An address to bounce to is empty.';
    if (!isSafeName(a.name))
      return `The name given to ${a.address} contains a line break or another control character.`;
  }
  return undefined;
}

export interface ResentOptions {
  from: Address;
  to: readonly Address[];
  date?: Date;
  messageId?: string;
}

/**
 * The original's bytes with a Resent-* block on top, and the SMTP envelope
 * for the new recipients. The rest of the message is byte for byte the
 * original (line ends made CRLF).
 */
export function resentMessage(original: Buffer, options: ResentOptions): BuiltMessage {
  const problem = bounceProblem(options.to);
  if (problem) throw new TmailError('INVALID_MESSAGE', problem);
  if (!isValidAddress(options.from.address))
    throw new TmailError('INVALID_MESSAGE', 'The Resent-From address is not valid.');
  const raw = toCrlf(original);
  if (raw.length === 0 || raw.indexOf('\r\n\r\n') < 0)
    throw new TmailError('INVALID_MESSAGE', 'The message to bounce has no header.');
  const messageId = options.messageId ?? newMessageId(options.from.address);
  const from = { name: cleanHeaderText(options.from.name), address: options.from.address };
  const block =
    `Resent-From: ${mailboxText(from)}\r\n` +
    foldList(
      'Resent-To',
      options.to.map((a) => mailboxText(a)),
    ) +
    `Resent-Date: ${rfc5322Date(options.date ?? new Date())}\r\n` +
    `Resent-Message-ID: ${messageId}\r\n`;
  const subject = messageHeaderFields(raw).find((f) => f.name.toLowerCase() === 'subject');
  return {
    raw: Buffer.concat([Buffer.from(block, 'utf8'), raw]),
    messageId,
    envelope: { from: from.address, to: options.to.map((a) => a.address) },
    bccHeader: '',
    subject: cleanHeaderText(subject?.value ?? ''),
  };
}

/**
 * Bounces a message through the account's SMTP server (and the outbox).
 * Resent-From is the account's own address; `saveSent` also files a copy in
 * Sent, which mutt does not do by default.
 */
export async function bounceMessage(
  deps: SendDeps,
  account: AccountConfig,
  original: Buffer,
  to: readonly Address[],
  options: { saveSent?: boolean; date?: Date } = {},
): Promise<SendResult> {
  const built = resentMessage(original, {
    from: { name: account.displayName ?? '', address: account.email },
    to,
    date: options.date,
  });
  return sendBuilt(deps, account, built, {
    followUps: options.saveSent ? [{ kind: 'append', role: 'sent', flags: ['\\Seen'] }] : [],
  });
}
