/**
 * Content-Transfer-Encoding: base64 and quoted-printable, whole or streaming
 * (an attachment of 20 MB is saved without holding it in memory). Both are
 * tolerant: characters outside the alphabet are skipped, a broken `=XX` is
 * kept as written, and nothing ever throws.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { decodeUuencodedBlocks } from './uuencode.js';

/** The transfer encodings tmail decodes; anything else is passed through as bytes. */
export type TransferEncoding = 'base64' | 'quoted-printable' | 'x-uuencode' | 'identity';

/** Normalises a Content-Transfer-Encoding value (`7bit`, `8bit`, `binary` and unknown ones are `identity`). */
export function transferEncodingOf(encoding: string | undefined | null): TransferEncoding {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === 'base64') return 'base64';
  if (name === 'quoted-printable') return 'quoted-printable';
  if (name === 'x-uuencode' || name === 'uuencode' || name === 'x-uue') return 'x-uuencode';
  return 'identity';
}

const B64 = new Uint8Array(256).fill(255);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((c, i) => {
  B64[c.charCodeAt(0)] = i;
});
const PAD = 0x3d;

/**
 * Incremental base64 decoder. Skips bytes outside the alphabet; a `=` ends a
 * quantum, so concatenated padded chunks (`QQ==QQ==`) decode correctly.
 */
class Base64State {
  private quad = new Uint8Array(4);
  private filled = 0;
  /** Count of bytes that were neither base64 nor white space. */
  invalid = 0;

  push(input: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(Math.ceil(((this.filled + input.length) * 3) / 4) + 3);
    let o = 0;
    for (let i = 0; i < input.length; i++) {
      const byte = input[i]!;
      const value = B64[byte]!;
      if (value === 255) {
        if (byte === PAD) o = this.flushPartial(out, o);
        else if (byte !== 0x0a && byte !== 0x0d && byte !== 0x20 && byte !== 0x09) this.invalid++;
        continue;
      }
      this.quad[this.filled++] = value;
      if (this.filled === 4) {
        const q = this.quad;
        out[o++] = (q[0]! << 2) | (q[1]! >> 4);
        out[o++] = ((q[1]! & 15) << 4) | (q[2]! >> 2);
        out[o++] = ((q[2]! & 3) << 6) | q[3]!;
        this.filled = 0;
      }
    }
    return out.subarray(0, o);
  }

  end(): Buffer {
    const out = Buffer.alloc(3);
    return out.subarray(0, this.flushPartial(out, 0));
  }

  private flushPartial(out: Buffer, o: number): number {
    const q = this.quad;
    if (this.filled >= 2) out[o++] = (q[0]! << 2) | (q[1]! >> 4);
    if (this.filled >= 3) out[o++] = ((q[1]! & 15) << 4) | (q[2]! >> 2);
    this.filled = 0;
    return o;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Incremental quoted-printable decoder. Holds back an `=` near the end of a
 * chunk until the next chunk says whether it is an escape or a soft break.
 */
class QuotedPrintableState {
  private rest: Buffer = Buffer.alloc(0);

  push(input: Uint8Array, final = false): Buffer {
    const data = this.rest.length ? Buffer.concat([this.rest, input]) : Buffer.from(input);
    const out = Buffer.allocUnsafe(data.length);
    let o = 0;
    let i = 0;
    for (; i < data.length; i++) {
      const byte = data[i]!;
      if (byte !== PAD) {
        out[o++] = byte;
        continue;
      }
      if (!final && i + 2 >= data.length) break;
      const a = data[i + 1];
      const b = data[i + 2];
      if (a === 0x0a) {
        i += 1; // soft break, bare LF
      } else if (a === 0x0d && b === 0x0a) {
        i += 2; // soft break
      } else if (a !== undefined && b !== undefined && hexValue(a) >= 0 && hexValue(b) >= 0) {
        out[o++] = (hexValue(a) << 4) | hexValue(b);
        i += 2;
      } else if (a === 0x20 || a === 0x09 || a === 0x0d) {
        // `=` followed by padding before the line end: a soft break with trailing blanks.
        let j = i + 1;
        while (j < data.length && (data[j] === 0x20 || data[j] === 0x09)) j++;
        if (data[j] === 0x0d) j++;
        if (data[j] === 0x0a) i = j;
        else if (!final && j >= data.length) break;
        else out[o++] = byte;
      } else {
        out[o++] = byte; // a broken escape is kept as written
      }
    }
    this.rest = i < data.length ? data.subarray(i) : Buffer.alloc(0);
    return out.subarray(0, o);
  }

  end(): Buffer {
    return this.rest.length ? this.push(Buffer.alloc(0), true) : Buffer.alloc(0);
  }
}

/**
 * Decodes a whole part body from its Content-Transfer-Encoding. `raw` is the
 * part exactly as the server sends `BODY[<part>]`: still encoded.
 */
export function decodeTransferEncoding(
  raw: Uint8Array,
  encoding: string | undefined | null,
): Buffer {
  switch (transferEncodingOf(encoding)) {
    case 'base64': {
      const state = new Base64State();
      return Buffer.concat([state.push(raw), state.end()]);
    }
    case 'quoted-printable': {
      const state = new QuotedPrintableState();
      return Buffer.concat([state.push(raw, true)]);
    }
    case 'x-uuencode': {
      const [first] = decodeUuencodedBlocks(Buffer.from(raw).toString('latin1'));
      return first ? first.content : Buffer.from(raw);
    }
    default:
      return Buffer.from(raw);
  }
}

/** True when a base64 body holds bytes that are neither base64 nor white space. */
export function hasBrokenBase64(raw: Uint8Array): boolean {
  const state = new Base64State();
  state.push(raw);
  return state.invalid > 0;
}

/**
 * A Transform that decodes a transfer encoding as the bytes stream through,
 * for saving large attachments. x-uuencode is buffered (it is rare and small).
 */
export function createTransferDecoder(encoding: string | undefined | null): Transform {
  const kind = transferEncodingOf(encoding);
  if (kind === 'base64' || kind === 'quoted-printable') {
    const state = kind === 'base64' ? new Base64State() : new QuotedPrintableState();
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        const out = state.push(chunk);
        done(null, out.length ? out : undefined);
      },
      flush(done: TransformCallback) {
        const out = state.end();
        done(null, out.length ? out : undefined);
      },
    });
  }
  if (kind === 'x-uuencode') {
    const chunks: Buffer[] = [];
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        chunks.push(chunk);
        done();
      },
      flush(done: TransformCallback) {
        done(null, decodeTransferEncoding(Buffer.concat(chunks), kind));
      },
    });
  }
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      done(null, chunk);
    },
  });
}

/**
 * Decoded size of a part whose encoded size is `size`, as far as it can be
 * known without the bytes: base64 is estimated from 76-character lines,
 * x-uuencode from 60-character lines, everything else is taken as it is.
 */
export function estimateDecodedSize(size: number, encoding: string | undefined | null): number {
  const kind = transferEncodingOf(encoding);
  if (kind === 'base64') return Math.floor((size * 57) / 78);
  // 45 bytes per line of a length character, 60 characters and CRLF.
  if (kind === 'x-uuencode') return Math.floor((size * 45) / 63);
  return size;
}

/** Exact decoded size of a base64 body, counted the way the decoder decodes, without decoding. */
export function base64DecodedSize(raw: Uint8Array): number {
  let filled = 0;
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (B64[byte] !== 255) {
      if (++filled === 4) {
        bytes += 3;
        filled = 0;
      }
    } else if (byte === PAD) {
      if (filled >= 2) bytes += filled - 1;
      filled = 0;
    }
  }
  return filled >= 2 ? bytes + filled - 1 : bytes;
}
