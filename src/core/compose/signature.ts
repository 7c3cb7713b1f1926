/**
 * Signatures: read from the setting's text, a file or a command, and placed
 * in a body after RFC 3676's `-- ` separator, under the quote or (mutt's
 * sig_on_top) above it. A missing file or a failing command only means no
 * signature and one sentence for the user; it never stops a message.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Identity } from '../config/types.js';
import { runCapture } from '../run-command.js';

/** What a signature command may take. */
const SIGNATURE_TIMEOUT_MS = 5000;
/** A signature longer than this is cut. */
const MAX_SIGNATURE_BYTES = 16 * 1024;

/** A loaded signature (empty when there is none) and, when its source failed, why. */
export interface LoadedSignature {
  text: string;
  problem?: string;
}

/**
 * The text of a signature as it goes in a body: `\n` line ends, controls
 * other than tabs removed, a leading separator the user wrote dropped (the
 * builder adds its own), trailing blank lines gone.
 */
export function cleanSignature(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/^-- ?\n/, '')
    .replace(/\s+$/, '');
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/** Reads the signature an identity's settings name. Never rejects. */
export async function loadSignature(
  source: Pick<Identity, 'signature' | 'signatureCommand' | 'signatureFile'>,
  options: { home?: string; timeoutMs?: number } = {},
): Promise<LoadedSignature> {
  if (source.signature !== undefined) return { text: cleanSignature(source.signature) };
  if (source.signatureFile !== undefined) {
    const path = resolve(expandHome(source.signatureFile, options.home ?? homedir()));
    try {
      const bytes = await readFile(path);
      return { text: cleanSignature(bytes.subarray(0, MAX_SIGNATURE_BYTES).toString('utf8')) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'is missing' : 'cannot be read';
      return {
        text: '',
        problem: `The signature file ${source.signatureFile} ${why}; the message has no signature.`,
      };
    }
  }
  if (source.signatureCommand !== undefined) {
    const timeoutMs = options.timeoutMs ?? SIGNATURE_TIMEOUT_MS;
    // The user's own command line from the dotfile (it may use pipes), so through sh.
    const result = await runCapture(['/bin/sh', '-c', source.signatureCommand], {
      timeoutMs,
      maxBytes: MAX_SIGNATURE_BYTES,
    });
    if (result.failure === 'timeout')
      return {
        text: '',
        problem: `The signature command did not finish within ${timeoutMs / 1000} s; the message has no signature.`,
      };
    if (result.failure === 'spawn' || (result.status !== 0 && result.failure !== 'too-much'))
      return {
        text: '',
        problem: `The signature command failed${result.status !== null ? ` (exit status ${result.status})` : ''}; the message has no signature.`,
      };
    return { text: cleanSignature(result.stdout) };
  }
  return { text: '' };
}

/** The signature block as it stands in a body: the separator and the text. */
export function signatureBlock(signature: string): string {
  const sig = cleanSignature(signature);
  return sig ? `-- \n${sig}` : '';
}

/**
 * Puts a signature above a reply's quote (mutt's sig_on_top): the room to
 * write, the signature, a blank line, then everything that was there.
 */
export function prependSignature(body: string, signature: string | undefined): string {
  const block = signatureBlock(signature ?? '');
  if (!block || body.includes(`\n${block}\n`) || body.startsWith(`${block}\n`)) return body;
  return `\n\n${block}\n\n${body.replace(/^\n+/, '').replace(/\n+$/, '\n')}`;
}

/**
 * Swaps one signature for another in a body (the From changed to an
 * identity with its own signature): the old block is replaced where it is;
 * when the body has none, the new one is added at the end. The same
 * signature twice is never the result.
 */
export function replaceSignature(
  body: string,
  oldSignature: string | undefined,
  newSignature: string | undefined,
): string {
  const oldBlock = signatureBlock(oldSignature ?? '');
  const newBlock = signatureBlock(newSignature ?? '');
  if (oldBlock === newBlock) return body;
  if (oldBlock) {
    const at = body.lastIndexOf(`-- \n${cleanSignature(oldSignature ?? '')}`);
    const atLineStart = at === 0 || (at > 0 && body[at - 1] === '\n');
    if (at >= 0 && atLineStart) {
      const before = body.slice(0, at);
      const after = body.slice(at + oldBlock.length);
      if (newBlock) return `${before}${newBlock}${after}`;
      // No new signature: drop the block and the blank line it came with.
      return `${before.replace(/\n+$/, '\n')}${after.replace(/^\n/, '')}`;
    }
  }
  if (!newBlock) return body;
  const trimmed = body.replace(/\s+$/, '');
  if (trimmed.endsWith(newBlock)) return body;
  const lead = body.endsWith('\n\n') ? body : body.endsWith('\n') ? `${body}\n` : `${body}\n\n`;
  return `${lead}${newBlock}\n`;
}
