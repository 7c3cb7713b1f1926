/**
 * Legacy uuencoded files inside plain text (`begin 644 name` … `end`), as old
 * mailers and Usenet gateways still send them. They are cut out of the text
 * and listed as attachments.
 */

/** One uuencoded file found in a text. */
export interface UuencodedBlock {
  /** File name from the `begin` line, not sanitised. */
  filename: string;
  /** Unix mode from the `begin` line, e.g. `644`. */
  mode: string;
  content: Buffer;
  /** Offsets in the text: from the `begin` line to after the `end` line. */
  start: number;
  end: number;
}

const BEGIN = /^begin ([0-7]{3,4}) ([^\r\n]+?)[ \t]*\r?$/gm;
const MAX_BLOCKS = 100;

/** Decodes one uuencoded data line into `out`; false when the line is not valid uuencode. */
function decodeLine(line: string, out: number[]): boolean {
  const length = (line.charCodeAt(0) - 0x20) & 0x3f;
  if (line.charCodeAt(0) < 0x20 || line.charCodeAt(0) > 0x60) return false;
  if (length === 0) return true;
  const needed = Math.ceil(length / 3) * 4;
  // Some encoders drop trailing spaces; pad them back.
  const data = line.slice(1).padEnd(needed, ' ');
  const bytes: number[] = [];
  for (let i = 0; i + 3 < data.length && bytes.length < length; i += 4) {
    const c: number[] = [];
    for (let k = 0; k < 4; k++) {
      const code = data.charCodeAt(i + k);
      if (code < 0x20 || code > 0x60) return false;
      c.push((code - 0x20) & 0x3f);
    }
    bytes.push(
      (c[0]! << 2) | (c[1]! >> 4),
      ((c[1]! & 15) << 4) | (c[2]! >> 2),
      ((c[2]! & 3) << 6) | c[3]!,
    );
  }
  if (bytes.length < length) return false;
  for (let i = 0; i < length; i++) out.push(bytes[i]!);
  return true;
}

/**
 * Finds and decodes the uuencoded files in `text` (decoded text or the
 * latin1 string of the raw bytes). A block that is not valid uuencode, or has
 * no `end` line, is left alone.
 */
export function decodeUuencodedBlocks(text: string): UuencodedBlock[] {
  if (!text.includes('begin ')) return [];
  const blocks: UuencodedBlock[] = [];
  BEGIN.lastIndex = 0;
  for (
    let match = BEGIN.exec(text);
    match && blocks.length < MAX_BLOCKS;
    match = BEGIN.exec(text)
  ) {
    let position = match.index + match[0].length + 1;
    const bytes: number[] = [];
    let valid = true;
    let sawEnd = false;
    let sawTerminator = false;
    while (position <= text.length) {
      let lineEnd = text.indexOf('\n', position);
      if (lineEnd === -1) lineEnd = text.length;
      const line = text.slice(position, lineEnd).replace(/\r$/, '');
      position = lineEnd + 1;
      if (/^end[ \t]*$/.test(line)) {
        sawEnd = true;
        break;
      }
      if (sawTerminator) {
        if (line.trim() === '') continue;
        valid = false;
        break;
      }
      if (line === '' || line === '`' || line === ' ') {
        sawTerminator = true;
        continue;
      }
      if (!decodeLine(line, bytes)) {
        valid = false;
        break;
      }
    }
    if (!valid || !sawEnd) continue;
    blocks.push({
      filename: match[2]!,
      mode: match[1]!,
      content: Buffer.from(bytes),
      start: match.index,
      end: Math.min(position, text.length),
    });
    BEGIN.lastIndex = Math.min(position, text.length);
  }
  return blocks;
}
