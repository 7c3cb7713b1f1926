/**
 * The text the user edits: the editable headers at the top (To, Cc, Bcc,
 * Subject), a blank line, then the body, as mutt and aerc do. From is not in
 * the file: it comes from the account (the review screen shows it).
 *
 * Reading it back forgives what editors and people do: CRLF line ends, folded
 * header lines, headers in any order, case or count, a header block without
 * its blank line, or no header block at all (then the headers are kept).
 */
import type { Address } from '../types.js';
import { formatAddressList, parseAddressList } from './addresses.js';
import type { Draft } from './draft.js';

/** The headers the editor file offers, in the order it shows them. */
export const EDITABLE_HEADERS = ['To', 'Cc', 'Bcc', 'Subject'] as const;

const HEADER_LINE = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:(.*)$/;

/** The editor file for a draft. */
export function draftToEditorText(draft: Draft): string {
  const lines = [
    `To: ${formatAddressList(draft.to)}`,
    `Cc: ${formatAddressList(draft.cc)}`,
    `Bcc: ${formatAddressList(draft.bcc)}`,
    `Subject: ${draft.subject}`,
  ];
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n\n${draft.body}`;
}

interface SplitText {
  /** Header name (lower case) -> values in order; null when the text has no header block. */
  headers: Map<string, string[]> | null;
  body: string;
}

function splitEditorText(text: string): SplitText {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headers = new Map<string, string[]>();
  let last: { key: string; index: number } | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      // The blank line that ends the header block belongs to neither part.
      if (last !== null) i++;
      break;
    }
    if (last !== null && /^[ \t]/.test(line)) {
      const values = headers.get(last.key)!;
      values[last.index] = `${values[last.index]} ${line.trim()}`;
      continue;
    }
    const match = HEADER_LINE.exec(line);
    if (!match) break;
    const key = match[1]!.toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(match[2]!.trim());
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  if (last === null) return { headers: null, body: lines.join('\n') };
  return { headers, body: lines.slice(i).join('\n') };
}

function addresses(headers: Map<string, string[]>, key: string): Address[] {
  return (headers.get(key) ?? []).flatMap((value) => parseAddressList(value));
}

/**
 * Reads the editor file back into `draft`: the headers it names, and the body.
 * Headers left out of a header block are taken as emptied; unknown headers are
 * ignored. Nothing here throws: an address that does not parse is kept as
 * typed, for the review screen and the builder to name.
 */
export function editorTextToDraft(text: string, draft: Draft, now = Date.now()): Draft {
  const { headers, body } = splitEditorText(text);
  if (headers === null) return { ...draft, body, updated: now };
  const subject = (headers.get('subject') ?? []).join(' ');
  return {
    ...draft,
    to: addresses(headers, 'to'),
    cc: addresses(headers, 'cc'),
    bcc: addresses(headers, 'bcc'),
    // Tabs and stray line breaks become spaces; any other control is left for validation to name.
    subject: subject.replace(/[\t\r\n]+/g, ' ').trim(),
    body,
    updated: now,
  };
}
