/**
 * What stops a draft from being sent, as sentences for the user. The review
 * screen shows them before `y`; `buildMessage` refuses with the first one, so
 * nothing malformed (a CR/LF in a subject, a name or an address) ever reaches
 * a header.
 */
import type { Address } from '../types.js';
import { isSafeName, isValidAddress } from './addresses.js';
import type { Draft } from './draft.js';

export interface DraftCheckOptions {
  /** `send` needs a recipient; a `draft` being postponed may have none yet. */
  purpose?: 'send' | 'draft';
}

/** Shows control and bidi characters as `\uXXXX` so a message about them is safe to print. */
export function visible(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const MSG_ID = /^<[^<>\s\u0000-\u001f\u007f-\u009f]+>$/;

function addressProblems(field: string, list: readonly Address[]): string[] {
  const problems: string[] = [];
  for (const a of list) {
    if (!isValidAddress(a.address)) {
      problems.push(
        a.address
          ? `"${visible(a.address)}" in ${field} is not a valid email address.`
          : `An address in ${field} is empty.`,
      );
    } else if (!isSafeName(a.name)) {
      problems.push(
        `The name given to ${a.address} in ${field} contains a line break or another control character.`,
      );
    }
  }
  return problems;
}

/** Every problem that would stop the draft, each one sentence; empty when it can go. */
export function draftProblems(draft: Draft, options: DraftCheckOptions = {}): string[] {
  const problems: string[] = [
    ...addressProblems('From', [draft.from]),
    ...addressProblems('To', draft.to),
    ...addressProblems('Cc', draft.cc),
    ...addressProblems('Bcc', draft.bcc),
  ];
  if (
    (options.purpose ?? 'send') === 'send' &&
    draft.to.length + draft.cc.length + draft.bcc.length === 0
  ) {
    problems.push('The message has no recipient; add one in To, Cc or Bcc.');
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(draft.subject)) {
    problems.push('The subject contains a line break or another control character.');
  }
  if (draft.inReplyTo && !MSG_ID.test(draft.inReplyTo)) {
    problems.push('The In-Reply-To header is not a valid Message-ID.');
  }
  if (draft.references.some((id) => !MSG_ID.test(id))) {
    problems.push('The References header holds something that is not a Message-ID.');
  }
  return problems;
}
