/**
 * The addresses an account sends from: its own `email` and its `identities`
 * (aliases, each with a name, a signature and a Sent folder). Which one a
 * reply comes from (mutt's reverse_name), whether a From may be used at all,
 * and which addresses are the user's own (never copied back by reply-all).
 * Pure: no I/O.
 */
import type { AccountConfig, Identity } from '../config/types.js';
import type { Address, MessageView } from '../types.js';
import { parseAddressList, sameAddress } from './addresses.js';

/** Every identity of the account, its own address first (as an identity with its settings). */
export function accountIdentities(account: AccountConfig): Identity[] {
  const primary: Identity = { email: account.email };
  if (account.displayName !== undefined) primary.name = account.displayName;
  if (account.signature !== undefined) primary.signature = account.signature;
  if (account.signatureCommand !== undefined) primary.signatureCommand = account.signatureCommand;
  if (account.signatureFile !== undefined) primary.signatureFile = account.signatureFile;
  const others = (account.identities ?? []).filter((i) => !sameAddress(i.email, account.email));
  return [primary, ...others];
}

/** The identity with this address (case-insensitive), or undefined when it is not the account's. */
export function identityFor(account: AccountConfig, address: string): Identity | undefined {
  return accountIdentities(account).find((i) => sameAddress(i.email, address));
}

/**
 * The signature settings that apply to an identity: its own when it has any,
 * else the account's (an alias without a signature signs as the account).
 */
export function signatureSourceOf(
  account: AccountConfig,
  identity: Identity,
): Pick<Identity, 'signature' | 'signatureCommand' | 'signatureFile'> {
  const own = identity.signature ?? identity.signatureCommand ?? identity.signatureFile;
  const from = own !== undefined ? identity : (accountIdentities(account)[0] ?? identity);
  return {
    signature: from.signature,
    signatureCommand: from.signatureCommand,
    signatureFile: from.signatureFile,
  };
}

/** The From an identity gives: its name (else the account's display name) and its address. */
export function identityAddress(account: AccountConfig, identity: Identity): Address {
  return {
    name: (identity.name ?? account.displayName ?? '')
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .trim(),
    address: identity.email,
  };
}

/** The user's own addresses for this account: its email and every identity's. */
export function identityAddresses(account: AccountConfig): string[] {
  return accountIdentities(account).map((i) => i.email);
}

function headerAddresses(view: Pick<MessageView, 'headers'>, name: string): Address[] {
  return view.headers
    .filter((h) => h.key.toLowerCase() === name)
    .flatMap((h) => parseAddressList(h.value));
}

/**
 * The identity a reply comes from, as mutt's reverse_name: the first of the
 * account's addresses found in the original's To, then Cc, then Delivered-To
 * and X-Original-To (where mail sent to an alias through Bcc or a list shows
 * it); for a message the user sent, its From. The account's own address when
 * none is found.
 */
export function replyIdentity(
  account: AccountConfig,
  original: Pick<MessageView, 'from' | 'to' | 'cc' | 'headers'>,
): Identity {
  const identities = accountIdentities(account);
  const candidates = [
    ...original.to,
    ...original.cc,
    ...headerAddresses(original, 'delivered-to'),
    ...headerAddresses(original, 'x-original-to'),
    ...original.from,
  ];
  for (const candidate of candidates) {
    const hit = identities.find((i) => sameAddress(i.email, candidate.address));
    if (hit) return hit;
  }
  return identities[0]!;
}

/**
 * Why a From cannot be used with this account, or undefined when it is one
 * of its addresses: tmail never sends as someone the account is not.
 */
export function fromProblem(account: AccountConfig, from: Address): string | undefined {
  if (identityFor(account, from.address)) return undefined;
  const own = identityAddresses(account);
  const list = own.length > 3 ? `${own.slice(0, 3).join(', ')} …` : own.join(', ');
  return `${from.address} is not one of the addresses of account ${account.name} (${list}); choose one with :from, or add it to the account's identities.`;
}
