/**
 * Random ids and file-name parts. node:crypto is required on the first call,
 * not at import: the modules that use these load in every start of the
 * reader, where nothing random is needed before the first frame, and loading
 * crypto cost a start drawn from the cache some 7 ms.
 */
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);
let crypto: typeof NodeCrypto | undefined;
const nodeCrypto = (): typeof NodeCrypto =>
  (crypto ??= requireBuiltin('node:crypto') as typeof NodeCrypto);

/** `bytes` random bytes, in hex. */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}

/** A random UUID (version 4). */
export function randomUUID(): string {
  return nodeCrypto().randomUUID();
}
