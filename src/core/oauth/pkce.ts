/**
 * PKCE (RFC 7636) and the `state` value of an authorization request: random
 * values from node:crypto, base64url without padding.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair: the verifier stays here, the challenge goes in the browser's address. */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** 32 random bytes as base64url: 43 characters, all of them unreserved (RFC 7636 4.1). */
export function randomVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 challenge of a verifier: base64url(SHA-256(ASCII(verifier))), RFC 7636 4.2. */
export function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** True when a verifier has the length (43 to 128) and characters RFC 7636 4.1 allows. */
export function isValidVerifier(verifier: string): boolean {
  return /^[A-Za-z0-9._~-]{43,128}$/.test(verifier);
}

/** A fresh verifier and its S256 challenge. */
export function createPkce(): PkcePair {
  const verifier = randomVerifier();
  return { verifier, challenge: challengeOf(verifier), method: 'S256' };
}

/** An unguessable `state` that ties the browser's answer to this request. */
export function randomState(): string {
  return randomBytes(16).toString('base64url');
}
