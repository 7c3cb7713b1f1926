/**
 * imapflow's objects -> tmail's domain types. Nothing outside core/imap sees an
 * imapflow shape.
 */
import type {
  FetchMessageObject,
  ListResponse,
  MessageAddressObject,
  MessageStructureObject,
} from 'imapflow';
import {
  DISPLAY_SEPARATOR,
  displayName,
  displayParent,
  toDisplayPath,
  type FolderNaming,
} from '../folder-path.js';
import { decodeEnvelopeFields } from '../mime/envelope-fields.js';
import type { Address, BodyPart, Envelope, Flag, FolderRole, Mailbox } from '../types.js';

const ROLE_BY_SPECIAL_USE: Record<string, FolderRole> = {
  '\\inbox': 'inbox',
  '\\drafts': 'drafts',
  '\\sent': 'sent',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\all': 'all',
  '\\flagged': 'flagged',
};

/**
 * Roles by folder name, for servers without SPECIAL-USE (Courier, older
 * setups). Matched on the last path segment, case-insensitively.
 */
const ROLE_BY_NAME: Array<[RegExp, FolderRole]> = [
  [/^(drafts?|entw(ü|ue)rfe|brouillons|borradores)$/i, 'drafts'],
  [
    /^(sent|sent items|sent messages|sent mail|gesendet|gesendete objekte|envoy(é|e)s|enviados)$/i,
    'sent',
  ],
  [/^(trash|deleted|deleted items|deleted messages|bin|papierkorb|corbeille|papelera)$/i, 'trash'],
  [/^(junk|spam|junk e-?mail|bulk mail)$/i, 'junk'],
  [/^(archives?|archiv)$/i, 'archive'],
  [/^(all mail|all)$/i, 'all'],
];

/** The role of a folder from its special-use flag, else from its name. */
export function roleOf(
  path: string,
  name: string,
  specialUse: string | undefined,
): FolderRole | null {
  if (path.toUpperCase() === 'INBOX') return 'inbox';
  if (specialUse) {
    const role = ROLE_BY_SPECIAL_USE[specialUse.toLowerCase()];
    if (role) return role;
  }
  for (const [pattern, role] of ROLE_BY_NAME) if (pattern.test(name)) return role;
  return null;
}

/**
 * One LIST entry as tmail's folder: its path, parent and name in display form
 * (core/folder-path), the server's own name kept beside them.
 */
export function toMailbox(entry: ListResponse, naming: FolderNaming): Mailbox {
  const flags = new Set([...(entry.flags ?? [])].map((f) => f.toLowerCase()));
  // imapflow guesses special-use from names itself; only trust real flags for
  // the name fallback to stay predictable.
  const specialUse =
    entry.specialUseSource === 'extension' || entry.specialUseSource === 'user'
      ? entry.specialUse
      : undefined;
  const path = toDisplayPath(entry.path, naming);
  const mailbox: Mailbox = {
    path,
    serverPath: entry.path,
    name: displayName(path, naming),
    delimiter: naming.delimiter ? DISPLAY_SEPARATOR : '',
    parentPath: displayParent(path, naming),
    role: roleOf(entry.path, entry.name, specialUse),
    subscribed: Boolean(entry.subscribed),
    selectable: !flags.has('\\noselect') && !flags.has('\\nonexistent'),
  };
  if (entry.status) {
    if (typeof entry.status.messages === 'number') mailbox.total = entry.status.messages;
    if (typeof entry.status.unseen === 'number') mailbox.unread = entry.status.unseen;
  }
  return mailbox;
}

export function toAddresses(list: MessageAddressObject[] | undefined): Address[] {
  if (!list) return [];
  return list
    .filter((a) => a.address || a.name)
    .map((a) => ({ name: a.name ?? '', address: a.address ?? '' }));
}

/** Flags as tmail keeps them: \Recent is session state, not something to show or store. */
export function toFlags(flags: Set<string> | undefined): Flag[] {
  if (!flags) return [];
  return [...flags].filter((f) => f !== '\\Recent');
}

/** True when a body structure holds something a user would call an attachment. */
export function hasAttachment(node: MessageStructureObject | undefined): boolean {
  if (!node) return false;
  if (node.childNodes && node.childNodes.length) {
    // Inline parts of multipart/related (images referenced by the HTML) are not attachments.
    if (node.type.toLowerCase() === 'multipart/related') {
      return node.childNodes
        .slice(1)
        .some(
          (child) =>
            child.disposition?.toLowerCase() === 'attachment' ||
            hasAttachment(child.childNodes ? child : undefined),
        );
    }
    return node.childNodes.some(hasAttachment);
  }
  const type = node.type.toLowerCase();
  const disposition = node.disposition?.toLowerCase();
  if (disposition === 'attachment') return true;
  if (node.dispositionParameters?.filename || node.parameters?.name)
    return disposition !== 'inline' || !type.startsWith('image/');
  return (
    !type.startsWith('text/') &&
    !type.startsWith('multipart/') &&
    type !== 'message/delivery-status'
  );
}

/**
 * One message of the list. Subject, names and date come from the raw header
 * fields fetched beside ENVELOPE (`message.headers`), decoded as the reader
 * decodes them; the server's ENVELOPE gives the addresses, and everything
 * when those fields are missing.
 */
export function toEnvelope(message: FetchMessageObject): Envelope {
  const env = message.envelope ?? {};
  const fields = decodeEnvelopeFields(message.headers);
  const arrival = message.internalDate ? new Date(message.internalDate).getTime() : 0;
  const serverDate = env.date ? new Date(env.date).getTime() : NaN;
  const headerDate = fields.date ?? serverDate;
  return {
    uid: message.uid,
    subject: fields.subject ?? env.subject ?? '',
    from: fields.names('from', toAddresses(env.from)),
    to: fields.names('to', toAddresses(env.to)),
    cc: fields.names('cc', toAddresses(env.cc)),
    replyTo: fields.names('reply-to', toAddresses(env.replyTo)),
    date: Number.isFinite(headerDate) ? headerDate : arrival,
    arrival,
    messageId: env.messageId ?? '',
    inReplyTo: env.inReplyTo ?? '',
    ...(fields.references.length ? { references: fields.references } : {}),
    flags: toFlags(message.flags),
    size: message.size ?? 0,
    hasAttachments: hasAttachment(message.bodyStructure),
    ...(message.modseq === undefined ? {} : { modseq: String(message.modseq) }),
  };
}

/** The body structure as tmail's BodyPart tree. A single-part message's body is part `1`. */
export function toBodyPart(node: MessageStructureObject, isRoot = true): BodyPart {
  const type = (node.type || 'text/plain').toLowerCase();
  const children = node.childNodes ?? [];
  const disposition = node.disposition?.toLowerCase();
  // An attached message without a file name is named after its subject, as the
  // MIME decoder names it when it reads the whole message.
  const subject = type === 'message/rfc822' ? node.envelope?.subject?.trim() : undefined;
  const filename =
    node.dispositionParameters?.filename ??
    node.parameters?.name ??
    (subject ? `${subject}.eml` : null);
  return {
    part: node.part ?? (isRoot && !type.startsWith('multipart/') ? '1' : ''),
    type,
    parameters: { ...(node.parameters ?? {}) },
    encoding: (node.encoding ?? '7bit').toLowerCase(),
    size: node.size ?? 0,
    disposition:
      disposition === 'attachment' ? 'attachment' : disposition === 'inline' ? 'inline' : null,
    filename,
    contentId: node.id ?? null,
    childNodes: children.map((child) => toBodyPart(child, false)),
  };
}
