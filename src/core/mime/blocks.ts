/**
 * Splitting plain body text into blocks the reader can dim or fold: quoted
 * text (with its depth), the signature after the `-- ` line, and the rest.
 */
import type { BodyBlock } from '../types.js';

/** Quote depth of a line: the number of `>` in its leading run of `>` and spaces. */
export function quoteDepth(line: string): number {
  const prefix = /^[ ]{0,3}((?:>[ ]?)+)/.exec(line);
  if (!prefix) return 0;
  let depth = 0;
  for (const c of prefix[1]!) if (c === '>') depth++;
  return depth;
}

/**
 * Classifies `text` (with `\n` line ends) into blocks. Lines after a
 * signature separator (`-- `, or `--` near the end, as some mailers strip the
 * space) are the signature, until quoted text starts again (a top-posted
 * reply signs above the quote). Consecutive lines of the same kind and depth
 * form one block; the blocks' texts joined with `\n` give back `text`.
 */
export function classifyBlocks(text: string): BodyBlock[] {
  const lines = text.split('\n');
  const blocks: BodyBlock[] = [];
  let inSignature = false;
  lines.forEach((line, index) => {
    const depth = quoteDepth(line);
    let kind: BodyBlock['kind'];
    if (depth > 0) {
      inSignature = false;
      kind = 'quote';
    } else if (line === '-- ' || (line === '--' && lines.length - index <= 12)) {
      inSignature = true;
      kind = 'signature';
    } else {
      kind = inSignature ? 'signature' : 'text';
    }
    const last = blocks[blocks.length - 1];
    if (last && last.kind === kind && last.depth === depth) {
      last.text += '\n' + line;
    } else {
      blocks.push({ kind, depth, text: line });
    }
  });
  return blocks;
}
