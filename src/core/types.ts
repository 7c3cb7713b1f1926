/**
 * tmail's own domain types. Library objects (imapflow, mailparser, nodemailer)
 * are translated into these at the edge of the core, so nothing above the core
 * depends on a library's shapes.
 */

/** IMAP system flags tmail acts on, plus any keyword the server allows. */
export type Flag = '\\Seen' | '\\Answered' | '\\Flagged' | '\\Deleted' | '\\Draft' | (string & {});

export const SEEN = '\\Seen';
export const ANSWERED = '\\Answered';
export const FLAGGED = '\\Flagged';
export const DELETED = '\\Deleted';
export const DRAFT = '\\Draft';
export const FORWARDED = '$Forwarded';

/** What a folder is for, from SPECIAL-USE (RFC 6154), the account's config, or its name. */
export type FolderRole =
  'inbox' | 'drafts' | 'sent' | 'trash' | 'junk' | 'archive' | 'all' | 'flagged';

/** A folder on the server. */
export interface Mailbox {
  /**
   * The folder's path as the user sees and types it (the identity of the folder
   * above the IMAP backend): folders separated by `/`, without the personal
   * namespace prefix, e.g. `Lists/node` for Courier's `INBOX.Lists.node`
   * (core/folder-path).
   */
  path: string;
  /** The name on the server, e.g. `INBOX.Lists.node`, where the backend knows it (the IMAP one does). */
  serverPath?: string;
  /** Last segment of the path, for display. */
  name: string;
  /** Separator of `path`: `/`, or empty when the server's folders are flat. */
  delimiter: string;
  /** Path of the parent folder, or null at the top. */
  parentPath: string | null;
  role: FolderRole | null;
  subscribed: boolean;
  /** False for \Noselect containers that hold only other folders. */
  selectable: boolean;
  /** Message count, when known (STATUS or LIST-STATUS). */
  total?: number;
  /** Messages without \Seen, when known. */
  unread?: number;
}

/** One mailbox address. `name` is empty when the header has none. */
export interface Address {
  name: string;
  address: string;
}

/**
 * What the message list needs of a message. Strings are decoded (RFC 2047) but
 * NOT sanitised for the terminal: display code passes them through
 * `core/text/sanitize` so that reply building can still use the exact text.
 */
export interface Envelope {
  uid: number;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  /** Date header as ms since the epoch, or the arrival time when it is missing or unparsable. */
  date: number;
  /** INTERNALDATE (arrival) as ms since the epoch. */
  arrival: number;
  messageId: string;
  inReplyTo: string;
  /** Message-IDs of the References field, oldest first; absent when the field is missing. */
  references?: string[];
  flags: Flag[];
  /** RFC822.SIZE in bytes. */
  size: number;
  /** True when the body structure shows an attachment. */
  hasAttachments: boolean;
  /** First words of the text, when fetched. */
  preview?: string;
  /**
   * MODSEQ (CONDSTORE) of the state shown, as a decimal string; absent when the
   * server has no CONDSTORE or the flags were changed here since they were read.
   */
  modseq?: string;
}

/** Sort keys for a message list. */
export type SortKey = 'date' | 'arrival' | 'from' | 'subject' | 'size';

export interface SortOrder {
  key: SortKey;
  /** Newest / largest / Z first when true. Lists default to date descending. */
  reverse: boolean;
}

/** The search criteria tmail offers; every present field must match (AND). */
export interface SearchQuery {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  body?: string;
  /** Anywhere in the headers or body. */
  text?: string;
  /** ms since the epoch; messages on or after that day. */
  since?: number;
  /** ms since the epoch; messages before that day. */
  before?: number;
  /** Flags that must be set. */
  flagged?: Flag[];
  /** Flags that must not be set. */
  unflagged?: Flag[];
  /** Only these UIDs (to learn which of them the folder holds). */
  uids?: number[];
  /** Only UIDs from this one up (messages newer than what the local cache holds). */
  uidsFrom?: number;
  /** Only the message with this Message-ID header (to find a message moved before). */
  messageId?: string;
}

/** One node of the MIME body structure, translated from BODYSTRUCTURE. */
export interface BodyPart {
  /** IMAP part number, e.g. `1.2`; `TEXT` style root parts use `1` for single-part messages. */
  part: string;
  /** Lower-case `type/subtype`. */
  type: string;
  parameters: Record<string, string>;
  /** Content-Transfer-Encoding, lower case. */
  encoding: string;
  /** Encoded size in bytes. */
  size: number;
  disposition: 'inline' | 'attachment' | null;
  /** Decoded file name (RFC 2231 / RFC 2047), not sanitised. */
  filename: string | null;
  contentId: string | null;
  childNodes: BodyPart[];
}

/** An attachment or inline part of a message, as listed to the user. */
export interface Attachment {
  /** Stable id within the message: the IMAP part number when known, else an index. */
  id: string;
  /** Decoded file name, not sanitised (use `safeFileName` before touching the disk). */
  filename: string;
  contentType: string;
  /** Decoded size in bytes when known (`sizeExact`), else estimated from the encoded size. */
  size: number;
  /**
   * True when `size` is the decoded size counted from the bytes (the whole
   * message was at hand); false or absent when it is estimated from the
   * server's encoded size.
   */
  sizeExact?: boolean;
  inline: boolean;
  contentId: string | null;
}

/** A block of the body text, classified so the UI can dim or fold it. */
export interface BodyBlock {
  kind: 'text' | 'quote' | 'signature' | 'notice';
  /** Quote depth for `quote` blocks (number of leading `>`). */
  depth: number;
  text: string;
}

/** A decoded message, ready to show. Strings are not yet sanitised for the terminal. */
export interface MessageView {
  uid: number;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  /** ms since the epoch; null when the header is missing or unparsable. */
  date: number | null;
  messageId: string;
  inReplyTo: string;
  references: string[];
  /** Plain text of the body (HTML already converted), with `\n` line ends. */
  text: string;
  /** The same text split into text, quote and signature blocks. */
  blocks: BodyBlock[];
  /** Links found in an HTML body, numbered in the text as `[n]`. */
  links: string[];
  /**
   * The text each anchor of `links` showed (same order; '' when none): the
   * reader warns when it names another address than the target.
   */
  linkLabels?: string[];
  attachments: Attachment[];
  /** Short notes about content that could not be decoded, shown under the body. */
  notes: string[];
  /** All header lines in order, unfolded and decoded. */
  headers: Array<{ key: string; value: string }>;
}

/** Connection state of one account, for the status line. */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'online' }
  | { status: 'offline'; reason: string; retryAt?: number }
  | { status: 'closed' };
