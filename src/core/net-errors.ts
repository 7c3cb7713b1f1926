/**
 * Turns socket and TLS failures into one sentence naming the host and port and
 * what to do. Shared by the IMAP and SMTP edges, which add their own protocol
 * errors (NO/BAD answers, SMTP reply codes) on top.
 */
import { TmailError } from './errors.js';

const TLS_UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'HOSTNAME_MISMATCH',
]);

export interface Endpoint {
  /** `IMAP` or `SMTP`. */
  protocol: string;
  host: string;
  port: number;
  /** The account name, for the "trust it explicitly" hint. */
  account?: string;
}

function where(endpoint: Endpoint): string {
  return `${endpoint.protocol} server ${endpoint.host}:${endpoint.port}`;
}

/**
 * Reads `code` from an error or its causes. nodemailer replaces a socket's own
 * code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT) with its category (ESOCKET)
 * and keeps the original in `originalCode`, which says more.
 */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { code, originalCode } = current as { code?: unknown; originalCode?: unknown };
    if (typeof originalCode === 'string' && originalCode) return originalCode;
    if (typeof code === 'string' && code) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A TmailError for a network or TLS failure, or undefined when the error is
 * not one (the caller then looks at protocol errors).
 */
export function translateNetworkError(error: unknown, endpoint: Endpoint): TmailError | undefined {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const place = where(endpoint);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TmailError(
      'HOST_UNKNOWN',
      `The ${endpoint.protocol} server name ${endpoint.host} could not be found; check the host name and your network.`,
      { cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new TmailError(
      'CONNECTION_REFUSED',
      `The ${place} refused the connection; check the port and that the server is running.`,
      { cause: error },
    );
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'ETIMEOUT' ||
    code === 'CONNECT_TIMEOUT' ||
    code === 'GREETING_TIMEOUT' ||
    code === 'UPGRADE_TIMEOUT' ||
    /timed? ?out/i.test(message)
  ) {
    return new TmailError(
      'TIMEOUT',
      `The ${place} did not answer in time; check the host, the port and your network.`,
      { cause: error },
    );
  }
  if (code && TLS_UNTRUSTED_CODES.has(code)) {
    const hint = endpoint.account
      ? ` If you trust this server, run: tmail account edit ${endpoint.account} --allow-invalid-cert`
      : ' If you trust this server, allow it for this account with --allow-invalid-cert.';
    return new TmailError(
      'TLS_UNTRUSTED',
      `The certificate of the ${place} is not trusted (${code}).${hint}`,
      { cause: error },
    );
  }
  if (
    code === 'EPROTO' ||
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /SSL routines|wrong version number/i.test(message)
  ) {
    return new TmailError(
      'TLS_FAILED',
      `A secure connection to the ${place} could not be set up; check the security setting (tls, starttls or plain) and the port.`,
      { cause: error },
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
    return new TmailError(
      'CONNECTION_LOST',
      `The connection to the ${place} was lost: it was reset (by the server or the network).`,
      { cause: error },
    );
  }
  return undefined;
}
