/**
 * A message being written, and the pure builders that start one: new, reply,
 * reply-all and forward. No I/O here: the time and the id can be passed in so
 * that tests are exact.
 *
 * Text taken from a received message (names, subjects, quoted lines) is hostile
 * until proven otherwise: control characters are removed before it enters a
 * draft, so that nothing decoded from an encoded word (a CR/LF in a subject,
 * an ESC in a name) can reach a header or the user's editor.
 */
import type { AccountConfig, Identity } from '../config/types.js';
import type { Address, Attachment, Flag, MessageView } from '../types.js';
import { dedupeAddresses, formatAddressList, parseAddressList, sameAddress } from './addresses.js';
import {
  accountIdentities,
  identityAddress,
  identityAddresses,
  replyIdentity,
  signatureSourceOf,
} from './identities.js';
import { prependSignature } from './signature.js';
import { randomHex } from '../random-id.js';

/** Where a message lives on the server: its folder path and UID. */
export interface MessageRef {
  folder: string;
  uid: number;
}

/**
 * A file to attach. The bytes are read when the message is built, so a draft
 * stays small on disk; a file removed in between gives a clear error then.
 */
export interface FileAttachment {
  kind: 'file';
  /** Absolute path. */
  path: string;
  filename: string;
  /** MIME type; empty to let the builder guess from the file name. */
  contentType: string;
  /** Size in bytes when known (for the review screen). */
  size: number | null;
}

/**
 * A part of a message on the server (an inline forward's attachments, or the
 * attachments of a postponed draft being resumed). The engine fetches the
 * decoded bytes with `fetchAttachment` when the message is built.
 */
export interface PartAttachment {
  kind: 'part';
  source: MessageRef;
  /** The `Attachment.id` of the MessageView it came from (the IMAP part number when known). */
  partId: string;
  filename: string;
  contentType: string;
  size: number | null;
}

/** A whole message on the server, attached as message/rfc822 (forward as attachment). */
export interface MessageAttachment {
  kind: 'message';
  source: MessageRef;
  filename: string;
  contentType: 'message/rfc822';
  size: number | null;
}

export type DraftAttachment = FileAttachment | PartAttachment | MessageAttachment;

/** The attachments the engine must fetch from the server to build a message. */
export type RemoteAttachment = PartAttachment | MessageAttachment;

/** What a draft answers or forwards, and the flag the original gets once it is sent. */
export interface DraftOrigin {
  kind: 'reply' | 'forward';
  /** Where the original is; null when the caller did not say (then no flag is set). */
  source: MessageRef | null;
  /** `\Answered` for replies, `$Forwarded` for forwards. */
  flag: Flag;
}

/** A message being composed. Plain data: it is saved as JSON and restored as is. */
export interface Draft {
  /** Local id, stable for the life of the draft (file name of the autosave). */
  id: string;
  /** Name of the account it is sent from. */
  account: string;
  from: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  /** Body text with `\n` line ends, signature included. */
  body: string;
  /** Message-ID of the message answered, with angle brackets; empty when none. */
  inReplyTo: string;
  /** Message-IDs of the thread, oldest first, with angle brackets. */
  references: string[];
  attachments: DraftAttachment[];
  origin: DraftOrigin | null;
  /** The copy in the Drafts folder this draft was resumed from; removed once it is sent. */
  postponed: MessageRef | null;
  /** ms since the epoch. */
  created: number;
  updated: number;
}

/** Options shared by the builders, for exact tests. */
export interface BuildContext {
  /** ms since the epoch; defaults to now. */
  now?: number;
  /** Draft id; defaults to a random one. */
  id?: string;
  /** Time zone of the attribution and forward dates; defaults to the system's. */
  timeZone?: string;
  /** More of the user's own addresses (aliases), besides `account.email` and its identities. */
  aliases?: readonly string[];
  /** The identity the message is from; default the account's own (for replies: the one it was sent to). */
  identity?: Identity;
  /**
   * The signature text, already read from its file or command; left out, the
   * identity's (else the account's) `signature` text is used.
   */
  signature?: string;
  /** Where a reply's or forward's signature goes: under the quote (default) or above it. */
  signaturePosition?: 'below' | 'above';
}

export interface ReplyOptions extends BuildContext {
  /** Reply to everyone (To and Cc of the original, plus its sender), minus the user. */
  all?: boolean;
  /**
   * Reply to the mailing list (mutt's L): to Mail-Followup-To when the
   * original has one, else to its List-Post address (see {@link listReplyProblem}).
   */
  list?: boolean;
  /** Folder of the original, so that it can be marked \Answered after sending. */
  folder?: string;
}

export interface ForwardOptions extends BuildContext {
  /** `inline`: the text quoted in the body and the attachments carried; `attachment`: the whole message as message/rfc822. */
  mode: 'inline' | 'attachment';
  /** Folder of the original: where its attachments are fetched from, and where it gets $Forwarded. */
  folder: string;
}

const ANSWERED: Flag = '\\Answered';
const FORWARDED: Flag = '$Forwarded';

/** Most Message-IDs kept in References: the first (the thread's root) and the latest. */
export const MAX_REFERENCES = 20;

/** A new random draft id: time-ordered, short enough to type. */
export function newDraftId(now = Date.now()): string {
  return `${now.toString(36)}${randomHex(3)}`;
}

/** Removes control characters (tabs and line breaks become spaces) and trims. */
export function cleanHeaderText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Removes control characters from body text, keeping tabs and line breaks. */
export function cleanBodyText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Addresses with control characters removed and empty ones dropped. */
export function cleanAddresses(addresses: readonly Address[]): Address[] {
  return addresses
    .map((a) => ({ name: cleanHeaderText(a.name), address: cleanHeaderText(a.address) }))
    .filter((a) => a.address.length > 0);
}

/** The account's own addresses: its email, its identities', and any more given. */
export function ownAddresses(account: AccountConfig, aliases: readonly string[] = []): string[] {
  return [...identityAddresses(account), ...aliases];
}

/** The signature text a builder uses: the one given, else the identity's (or account's) text. */
function signatureText(
  account: AccountConfig,
  context: BuildContext,
  identity?: Identity,
): string | undefined {
  if (context.signature !== undefined) return context.signature;
  const source = signatureSourceOf(
    account,
    identity ?? context.identity ?? accountIdentities(account)[0]!,
  );
  return source.signature;
}

/** Places the signature of a reply or forward, under the quote or above it. */
function placeSignature(
  body: string,
  signature: string | undefined,
  context: BuildContext,
): string {
  return context.signaturePosition === 'above'
    ? prependSignature(body, signature)
    : appendSignature(body, signature);
}

/** A header's addresses (Mail-Followup-To), control characters removed. */
function headerAddressList(original: Pick<MessageView, 'headers'>, name: string): Address[] {
  return cleanAddresses(
    original.headers
      .filter((h) => h.key.toLowerCase() === name)
      .flatMap((h) => parseAddressList(h.value)),
  );
}

/**
 * The list's posting address from List-Post (RFC 2369): the first `mailto:`
 * of the header, without its `?subject=` part; null when there is none.
 */
export function listPostAddress(original: Pick<MessageView, 'headers'>): Address | null {
  for (const h of original.headers) {
    if (h.key.toLowerCase() !== 'list-post') continue;
    for (const m of h.value.matchAll(/<\s*mailto:([^>?\s]+)[^>]*>/gi)) {
      let address = m[1]!;
      try {
        address = decodeURIComponent(address);
      } catch {
        // A broken escape: keep it as written; validation will name it.
      }
      address = cleanHeaderText(address);
      if (address) return { name: '', address };
    }
  }
  return null;
}

/**
 * Why a list reply cannot be made to this message, or undefined when it can:
 * it has no List-Post (and no Mail-Followup-To), or the list says `NO`.
 */
export function listReplyProblem(original: Pick<MessageView, 'headers'>): string | undefined {
  if (headerAddressList(original, 'mail-followup-to').length > 0) return undefined;
  if (listPostAddress(original)) return undefined;
  const post = original.headers.find((h) => h.key.toLowerCase() === 'list-post');
  if (post && /^\s*no\b/i.test(post.value))
    return 'The list does not take replies (its List-Post header says NO).';
  return 'This message has no List-Post header: it did not come through a mailing list that says where to reply.';
}

function accountFrom(account: AccountConfig, identity?: Identity): Address {
  if (identity) {
    const from = identityAddress(account, identity);
    return { name: cleanHeaderText(from.name), address: from.address };
  }
  return { name: cleanHeaderText(account.displayName ?? ''), address: account.email };
}

/**
 * Appends the signature after an RFC 3676 separator (`-- ` on its own line),
 * unless the body already ends with it. A signature configured with its own
 * separator is not given a second one.
 */
export function appendSignature(body: string, signature: string | undefined): string {
  if (!signature) return body;
  const sig = signature
    .replace(/\r\n?/g, '\n')
    .replace(/^-- ?\n/, '')
    .replace(/\s+$/, '');
  if (!sig) return body;
  const block = `-- \n${sig}`;
  const trimmed = body.replace(/\s+$/, '');
  if (trimmed === block || trimmed.endsWith(`\n${block}`)) return body;
  // Keep the blank lines the body ends with (room to write), at least one before the separator.
  const lead = body.endsWith('\n\n') ? body : body.endsWith('\n') ? `${body}\n` : `${body}\n\n`;
  return `${lead}${block}\n`;
}

/**
 * Starts a message from the account, with its signature: empty, or with the
 * recipients, subject and text of `start` (a mailto: link) above the signature.
 */
export function newDraft(
  account: AccountConfig,
  context: BuildContext = {},
  start: Partial<Pick<Draft, 'to' | 'cc' | 'bcc' | 'subject' | 'inReplyTo'>> & {
    text?: string;
  } = {},
): Draft {
  const now = context.now ?? Date.now();
  const text = start.text ? `${start.text.replace(/\n*$/, '')}\n` : '\n';
  return {
    id: context.id ?? newDraftId(now),
    account: account.name,
    from: accountFrom(account, context.identity),
    to: start.to ?? [],
    cc: start.cc ?? [],
    bcc: start.bcc ?? [],
    subject: start.subject ?? '',
    body: appendSignature(text, signatureText(account, context)),
    inReplyTo: start.inReplyTo ?? '',
    references: start.inReplyTo ? [start.inReplyTo] : [],
    attachments: [],
    origin: null,
    postponed: null,
    created: now,
    updated: now,
  };
}

// Reply prefixes mail clients write in common languages: Re, Aw (de), Sv (sv/da/no), Antw (nl),
// Vs (fi), Odp (pl), Ynt (tr), R/Rif (it), Réf/Ref (fr), Atb (lv), Vá (hu), ΑΠ/ΣΧΕΤ (el), 回复 (zh);
// forward prefixes likewise: Fwd/Fw, WG (de), TR (fr), VB (nl), RV/ENC (es/pt), I (it), PD (pl), FS (tr).
const REPLY_PREFIX =
  /^\s*(?:(?:re|aw|sv|antw|vs|odp|ynt|rif|r|réf|ref|atb|vá|απ|σχετ|回复|答复|回覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+/iu;
const FORWARD_PREFIX =
  /^\s*(?:(?:fwd?|wg|tr|vb|rv|enc|i|pd|doorst|fs|转发|轉寄)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+/iu;

/** `Re: ` added once, whatever reply prefixes (`RE:`, `Re[2]:`, `AW:`, `SV:` ...) the subject had. */
export function replySubject(subject: string): string {
  const base = cleanHeaderText(subject).replace(REPLY_PREFIX, '');
  return `Re: ${base}`.trimEnd();
}

/** `Fwd: ` added once, whatever forward prefixes (`Fw:`, `WG:`, `TR:` ...) the subject had. */
export function forwardSubject(subject: string): string {
  const base = cleanHeaderText(subject).replace(FORWARD_PREFIX, '');
  return `Fwd: ${base}`.trimEnd();
}

/** Puts a Message-ID in angle brackets; empty when it cannot be one. */
export function normalizeMessageId(id: string): string {
  const bare = id.trim().replace(/^<+/, '').replace(/>+$/, '');
  if (!bare || /[\s<>\u0000-\u001f\u007f-\u009f]/.test(bare)) return '';
  return `<${bare}>`;
}

/**
 * References for a reply: the original's References then its Message-ID,
 * without duplicates or broken ids; when longer than {@link MAX_REFERENCES},
 * the first id (the thread's root) and the most recent ones are kept, as RFC
 * 5322 section 3.6.4 suggests.
 */
export function replyReferences(
  original: Pick<MessageView, 'references' | 'messageId' | 'inReplyTo'>,
): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  const chain =
    original.references.length > 0
      ? original.references
      : original.inReplyTo
        ? [original.inReplyTo]
        : [];
  for (const raw of [...chain.flatMap((r) => r.split(/\s+/)), original.messageId]) {
    const id = normalizeMessageId(raw);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  if (ids.length <= MAX_REFERENCES) return ids;
  return [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue, 4 Mar 2025 at 09:15` in the given (or the system's) time zone. */
export function formatQuoteDate(ms: number, timeZone?: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const weekday = WEEKDAYS.find((d) => parts.weekday?.startsWith(d)) ?? parts.weekday;
  const month = MONTHS[Number(parts.month) - 1] ?? parts.month;
  return `${weekday}, ${Number(parts.day)} ${month} ${parts.year} at ${parts.hour}:${parts.minute}`;
}

function displayName(addresses: readonly Address[]): string {
  const first = addresses[0];
  if (!first) return 'someone';
  return cleanHeaderText(first.name) || cleanHeaderText(first.address) || 'someone';
}

/** The original's text without its signature block (everything after the last `-- ` line). */
function withoutSignature(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i] === '-- ') return lines.slice(0, i).join('\n');
  }
  return text;
}

/**
 * Quotes text for a reply: `> ` before each line, `>` before lines already
 * quoted (so levels stack as `>>`) and before empty lines.
 */
export function quoteText(text: string): string {
  const body = cleanBodyText(text).replace(/\n+$/, '');
  if (!body) return '';
  return body
    .split('\n')
    .map((line) => (line === '' ? '>' : line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n');
}

/** `On Tue, 4 Mar 2025 at 09:15, Alice Example wrote:` (without the date when the original has none). */
export function attributionLine(original: MessageView, timeZone?: string): string {
  const who = displayName(original.from);
  return original.date === null
    ? `${who} wrote:`
    : `On ${formatQuoteDate(original.date, timeZone)}, ${who} wrote:`;
}

/**
 * Starts a reply. Reply goes to Reply-To, else From (and, when the original is
 * the user's own message, to its To instead); reply-all adds everyone in To and
 * Cc, minus the user's own addresses, without duplicates. The body is the
 * attribution line and the quoted text, then room to write, then the signature.
 */
export function replyDraft(
  account: AccountConfig,
  original: MessageView,
  options: ReplyOptions = {},
): Draft {
  const identity = options.identity ?? replyIdentity(account, original);
  const draft = newDraft(account, { ...options, identity });
  const own = ownAddresses(account, options.aliases);
  const isOwn = (a: Address) => own.some((o) => sameAddress(o, a.address));

  const sender = cleanAddresses(original.replyTo.length > 0 ? original.replyTo : original.from);
  const origTo = cleanAddresses(original.to);
  const origCc = cleanAddresses(original.cc);
  const fromSelf = cleanAddresses(original.from).some(isOwn);
  // mutt's honor_followup_to: the author asked for replies to go there (group and list replies).
  const followUp = dedupeAddresses(headerAddressList(original, 'mail-followup-to'), own);

  // Replying to one's own message continues the conversation with its recipients.
  let to = fromSelf && origTo.length > 0 ? origTo : sender;
  let cc: Address[] = [];
  if (options.list) {
    const list = listPostAddress(original);
    to = followUp.length > 0 ? followUp : list ? [list] : sender;
  } else if (options.all && followUp.length > 0) {
    to = followUp;
  } else if (options.all) {
    const everyone = fromSelf ? [...origTo, ...origCc] : [...sender, ...origTo, ...origCc];
    const others = dedupeAddresses(everyone, own);
    const primary = dedupeAddresses(to, own);
    to = primary.length > 0 ? primary : others.slice(0, 1);
    cc = dedupeAddresses(
      others,
      to.map((a) => a.address),
    );
  }
  to = dedupeAddresses(to, options.all || options.list ? own : []);
  if (to.length === 0) to = dedupeAddresses(sender);

  // Answer from the alias the message was sent to, when only `aliases` names it.
  const aliasHit =
    options.identity || !sameAddress(identity.email, account.email)
      ? undefined
      : [...origTo, ...origCc, ...cleanAddresses(original.bcc)].find(
          (a) => isOwn(a) && !sameAddress(a.address, account.email),
        );
  const from = aliasHit ? { name: draft.from.name, address: aliasHit.address } : draft.from;

  const quoted = quoteText(withoutSignature(original.text));
  const intro = attributionLine(original, options.timeZone);
  // A blank line under the quote, a line to write on, then the signature.
  const body = placeSignature(
    `${intro}\n${quoted}${quoted ? '\n' : ''}\n\n`,
    signatureText(account, options, identity),
    options,
  );
  const messageId = normalizeMessageId(original.messageId);
  return {
    ...draft,
    from,
    to,
    cc,
    subject: replySubject(original.subject),
    body,
    inReplyTo: messageId,
    references: replyReferences(original),
    origin: {
      kind: 'reply',
      source: options.folder ? { folder: options.folder, uid: original.uid } : null,
      flag: ANSWERED,
    },
  };
}

/** A file name for a forwarded message: its subject, made safe for any file system. */
export function messageFileName(subject: string): string {
  const base = cleanHeaderText(subject)
    .replace(/[/\\:*?"<>|]+/g, '_')
    .slice(0, 80)
    .trim();
  return `${base || 'message'}.eml`;
}

/** A reference to an attachment of a message on the server, for the engine to fetch when building. */
export function partFromAttachment(source: MessageRef, a: Attachment): PartAttachment {
  return {
    kind: 'part',
    source,
    partId: a.id,
    filename: cleanHeaderText(a.filename) || 'attachment',
    contentType: cleanHeaderText(a.contentType).toLowerCase() || 'application/octet-stream',
    size: a.size,
  };
}

/** The header block of an inline forward. */
function forwardHeaderBlock(original: MessageView, timeZone?: string): string {
  const lines = ['---------- Forwarded message ----------'];
  const from = formatAddressList(cleanAddresses(original.from));
  if (from) lines.push(`From: ${from}`);
  if (original.date !== null) lines.push(`Date: ${formatQuoteDate(original.date, timeZone)}`);
  lines.push(`Subject: ${cleanHeaderText(original.subject)}`);
  const to = formatAddressList(cleanAddresses(original.to));
  if (to) lines.push(`To: ${to}`);
  const cc = formatAddressList(cleanAddresses(original.cc));
  if (cc) lines.push(`Cc: ${cc}`);
  return lines.join('\n');
}

/**
 * Starts a forward. Inline: a "Forwarded message" header block and the text in
 * the body, and the original's attachments carried as {@link PartAttachment}s.
 * Attachment: the whole original as message/rfc822. Recipients are left empty.
 */
export function forwardDraft(
  account: AccountConfig,
  original: MessageView,
  options: ForwardOptions,
): Draft {
  const draft = newDraft(account, options);
  const source: MessageRef = { folder: options.folder, uid: original.uid };
  let body: string;
  let attachments: DraftAttachment[];
  if (options.mode === 'inline') {
    const text = cleanBodyText(original.text).replace(/\n+$/, '');
    body = `\n\n${forwardHeaderBlock(original, options.timeZone)}\n\n${text}\n`;
    attachments = original.attachments.map((a) => partFromAttachment(source, a));
  } else {
    body = '\n';
    attachments = [
      {
        kind: 'message',
        source,
        filename: messageFileName(original.subject),
        contentType: 'message/rfc822',
        size: null,
      },
    ];
  }
  return {
    ...draft,
    subject: forwardSubject(original.subject),
    body: placeSignature(body, signatureText(account, options), options),
    attachments,
    origin: { kind: 'forward', source, flag: FORWARDED },
  };
}

/** The draft with one attachment removed (the review screen's `D`). */
export function removeAttachment(draft: Draft, index: number): Draft {
  if (index < 0 || index >= draft.attachments.length) return draft;
  return { ...draft, attachments: draft.attachments.filter((_, i) => i !== index) };
}

/** The draft with an attachment added at the end. */
export function addAttachment(draft: Draft, attachment: DraftAttachment): Draft {
  return { ...draft, attachments: [...draft.attachments, attachment] };
}

/** Every recipient of the draft (To, Cc and Bcc), without duplicates. */
export function draftRecipients(draft: Draft): Address[] {
  return dedupeAddresses([...draft.to, ...draft.cc, ...draft.bcc]);
}
