/**
 * An expired or revoked OAuth2 sign-in takes the engine offline with core/oauth's
 * signInAgainMessage, which tells a CLI user to run tmail account login; in the
 * reader, `:login` does the same without leaving it, so the UI offers that.
 */

function cliTail(account: string): string {
  return `; run tmail account login ${account}`;
}

/** True when the offline reason is the expired or revoked sign-in of this account. */
export function isSignInExpired(reason: string, account: string): boolean {
  return (
    reason.startsWith(`The sign-in of account ${account} `) &&
    reason.replace(/\.$/, '').endsWith(cliTail(account))
  );
}

/** The reason as the reader says it: `:login` instead of the CLI command. */
export function offerSignIn(reason: string, account: string): string {
  if (!isSignInExpired(reason, account)) return reason;
  const dot = reason.endsWith('.') ? '.' : '';
  const body = reason.slice(0, reason.length - dot.length);
  return `${body.slice(0, -cliTail(account).length)}; type :login to sign in again${dot}`;
}
