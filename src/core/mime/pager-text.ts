/**
 * Attachments tmail shows in its own pager: text (`text/*`, or any type whose
 * bytes are text) that no mailcap entry claims. mutt does the same for
 * text/plain; handing a patch or a log to the desktop's opener would start a
 * graphical editor, or nothing at all over SSH. HTML goes to the desktop's
 * opener (a browser shows it better), unless there is none.
 */
import { open } from 'node:fs/promises';
import { decodeUtf8OrLatin } from './charset.js';
import type { OpenerChoice } from './opener.js';

/** The pager shows at most this much of an attachment. */
export const PAGER_MAX_BYTES = 4 * 1024 * 1024;
/** Bytes looked at to tell text from binary. */
const SNIFF_BYTES = 8192;

/** Text in the terminal's sense: no NUL, few other controls, valid UTF-8 or mostly 8-bit letters. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (!bytes.length) return true;
  let controls = 0;
  for (const byte of bytes) {
    if (byte === 0) return false;
    if (
      byte < 0x20 &&
      byte !== 0x09 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x0c &&
      byte !== 0x1b
    )
      controls++;
  }
  return controls * 100 <= bytes.length;
}

/**
 * The text to page for an attachment in `filePath`, or null when another
 * program should open it: a mailcap entry was found, or the bytes are not
 * text, or it is HTML and the desktop has an opener. Text longer than
 * {@link PAGER_MAX_BYTES} is cut with a last line saying so. Not sanitised:
 * the pager sanitises what it shows.
 */
export async function pagerText(
  contentType: string,
  filePath: string,
  choice: OpenerChoice | null,
): Promise<string | null> {
  if (choice?.kind === 'mailcap') return null;
  const type = contentType.trim().toLowerCase().split(';')[0]!.trim();
  if (type === 'text/html' && choice) return null;
  const file = await open(filePath, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, PAGER_MAX_BYTES);
    const bytes = Buffer.alloc(length);
    await file.read(bytes, 0, length, 0);
    if (!type.startsWith('text/') && !looksLikeText(bytes.subarray(0, SNIFF_BYTES))) return null;
    const text = decodeUtf8OrLatin(bytes);
    return size > length
      ? `${text}\n[The attachment goes on for ${size - length} more bytes; save it with s to read it all.]`
      : text;
  } finally {
    await file.close();
  }
}
