/**
 * Drafts postponed to the server's Drafts folder, and resumed from there.
 * A postponed draft is an ordinary RFC 5322 message (built by `buildMessage`
 * with Bcc kept) plus one header, `X-Tmail-Draft`, that carries what a
 * message cannot say by itself: the local draft id and what the draft answers
 * or forwards (so that resuming a reply still sets \Answered when it is sent).
 */
import type { MessageView } from '../types.js';
import {
  cleanAddresses,
  cleanHeaderText,
  newDraftId,
  normalizeMessageId,
  partFromAttachment,
  type Draft,
  type DraftOrigin,
} from './draft.js';

/** The header that marks a message as a tmail draft. */
export const DRAFT_HEADER = 'X-Tmail-Draft';

interface DraftHeaderData {
  v: 1;
  id: string;
  created: number;
  origin: DraftOrigin | null;
}

/** The `X-Tmail-Draft` value for a draft: base64url JSON, so it is plain ASCII whatever the folder names. */
export function encodeDraftHeader(draft: Draft): string {
  const data: DraftHeaderData = {
    v: 1,
    id: draft.id,
    created: draft.created,
    origin: draft.origin,
  };
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
}

function isOrigin(value: unknown): value is DraftOrigin {
  if (!value || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  const source = o.source as Record<string, unknown> | null;
  return (
    (o.kind === 'reply' || o.kind === 'forward') &&
    typeof o.flag === 'string' &&
    /^[\\$]?[A-Za-z][A-Za-z0-9_-]*$/.test(o.flag) &&
    (source === null ||
      (typeof source === 'object' &&
        typeof source.folder === 'string' &&
        Number.isInteger(source.uid) &&
        (source.uid as number) > 0))
  );
}

/** Reads an `X-Tmail-Draft` value; undefined when it is missing or not ours (it is not trusted). */
export function decodeDraftHeader(
  value: string | undefined,
): Omit<DraftHeaderData, 'v'> | undefined {
  if (!value) return undefined;
  try {
    // Another program may have folded the line: whitespace is never part of the value.
    const data = JSON.parse(
      Buffer.from(value.replace(/\s+/g, ''), 'base64url').toString('utf8'),
    ) as Partial<DraftHeaderData>;
    if (data.v !== 1 || typeof data.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(data.id)) {
      return undefined;
    }
    return {
      id: data.id,
      created: typeof data.created === 'number' ? data.created : 0,
      origin: isOrigin(data.origin) ? data.origin : null,
    };
  } catch {
    return undefined;
  }
}

export interface DraftLocation {
  /** Name of the account whose Drafts folder holds the message. */
  account: string;
  /** Path of that folder. */
  folder: string;
}

/**
 * A draft from a message in the Drafts folder (ours or another client's). Its
 * attachments become {@link PartAttachment}s of that message, fetched when the
 * draft is built; `postponed` points at it so that it is removed once the
 * draft is sent or postponed again.
 */
export function draftFromMessage(view: MessageView, where: DraftLocation, now = Date.now()): Draft {
  const header = view.headers.find((h) => h.key.toLowerCase() === DRAFT_HEADER.toLowerCase());
  const meta = decodeDraftHeader(header?.value);
  const source = { folder: where.folder, uid: view.uid };
  const inReplyTo = normalizeMessageId(view.inReplyTo);
  return {
    id: meta?.id ?? newDraftId(now),
    account: where.account,
    from: cleanAddresses(view.from)[0] ?? { name: '', address: '' },
    to: cleanAddresses(view.to),
    cc: cleanAddresses(view.cc),
    bcc: cleanAddresses(view.bcc),
    subject: cleanHeaderText(view.subject),
    body: view.text.replace(/\r\n?/g, '\n'),
    inReplyTo,
    references: view.references.map(normalizeMessageId).filter((id) => id !== ''),
    attachments: view.attachments.map((a) => partFromAttachment(source, a)),
    // Another client's draft of a reply: thread it, but there is no original to flag.
    origin:
      meta?.origin ?? (inReplyTo ? { kind: 'reply', source: null, flag: '\\Answered' } : null),
    postponed: source,
    created: meta?.created || view.date || now,
    updated: now,
  };
}
