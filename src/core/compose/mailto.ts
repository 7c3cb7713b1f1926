/**
 * mailto: URLs (RFC 6068) as the start of a new message: the addresses of
 * the path and of `to`, `cc` and `bcc`, the `subject`, the `body` and
 * `in-reply-to`. Any other header field a link names is ignored: a link must
 * not set what the user would not see on the review screen (Reply-To,
 * From...). Values are percent-decoded as UTF-8; a `+` is a plus, not a
 * space. Control characters are removed (a subject stays one line; a body
 * keeps its line breaks).
 */
import { parseAddressList } from './addresses.js';
import { cleanAddresses, cleanBodyText, cleanHeaderText, type Draft } from './draft.js';

/** What a mailto: link gives a new message. */
export type MailtoFields = Pick<Draft, 'to' | 'cc' | 'bcc' | 'subject' | 'inReplyTo'> & {
  /** The text the message starts with ('' for none), `\n` line ends. */
  text: string;
};

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The fields of a mailto: URL; null when it is not one or is not percent-encoded properly. */
export function parseMailto(url: string): MailtoFields | null {
  const match = /^mailto:([^?#]*)(?:\?([^#]*))?/i.exec(url.trim());
  if (!match) return null;
  const lists = { to: [] as string[], cc: [] as string[], bcc: [] as string[] };
  const path = decode(match[1]!);
  if (path === null) return null;
  if (path.trim()) lists.to.push(path);
  let subject = '';
  let text = '';
  let inReplyTo = '';
  for (const field of (match[2] ?? '').split('&')) {
    if (!field) continue;
    const equals = field.indexOf('=');
    const name = decode(equals < 0 ? field : field.slice(0, equals))?.toLowerCase();
    const value = decode(equals < 0 ? '' : field.slice(equals + 1));
    if (name === undefined || value === null) return null;
    if (name === 'to' || name === 'cc' || name === 'bcc') {
      if (value.trim()) lists[name].push(value);
    } else if (name === 'subject') subject = value;
    else if (name === 'body') text = value;
    else if (name === 'in-reply-to') inReplyTo = value;
  }
  const addresses = (values: string[]) => cleanAddresses(parseAddressList(values.join(', ')));
  const messageId = cleanHeaderText(inReplyTo);
  return {
    to: addresses(lists.to),
    cc: addresses(lists.cc),
    bcc: addresses(lists.bcc),
    subject: cleanHeaderText(subject),
    text: cleanBodyText(text),
    inReplyTo: /^<[^<>\s]+>$/.test(messageId) ? messageId : '',
  };
}
