/**
 * Where an account's secret comes from (keychain, command, prompt, OAuth2
 * command). (Signature fixed here first; the accounts work fills in the body.)
 */
import type { AccountConfig, Credentials } from '../config/types.js';
import { TmailError } from '../errors.js';

export interface ResolveOptions {
  /** Asks the user for a password (for `prompt` sources); absent when nobody can answer. */
  prompt?: (question: string) => Promise<string>;
  signal?: AbortSignal;
}

/**
 * The credentials for an account's IMAP or SMTP login. Every secret read is
 * registered with the log's redaction. Throws SECRET_UNAVAILABLE or
 * KEYCHAIN_UNAVAILABLE with one sentence when it cannot get one.
 */
export async function resolveCredentials(
  _account: AccountConfig,
  _service: 'imap' | 'smtp',
  _options: ResolveOptions = {},
): Promise<Credentials> {
  throw new TmailError('INTERNAL', 'resolveCredentials is not implemented yet.');
}
