/**
 * "Log in and report" for the submission server: connect, EHLO (and STARTTLS
 * when the account asks for it), AUTH, QUIT. Never throws; the result says
 * what worked or holds one TmailError naming host and port.
 *
 * Built on nodemailer's SMTPConnection with the transport's own options
 * rather than on `transport.verify()`: verify reports success without logging
 * in when the server offers no AUTH, and it cannot be stopped on a timeout.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AccountConfig, Credentials, ProbeResult } from '../config/types.js';
import { TmailError } from '../errors.js';
import { startProbe } from '../probe-base.js';
import { smtpLoginAuth, smtpOptions, translateSmtpError } from './transport.js';

export interface ProbeOptions {
  /** Limit for the whole check (connect, TLS, greeting, EHLO, AUTH) in ms; default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Connects to the account's SMTP server, authenticates with `credentials`, and reports. */
export async function probeSmtp(
  account: AccountConfig,
  credentials: Credentials,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { base, cancelled } = startProbe('SMTP', account.smtp, credentials, options.signal);
  if (cancelled) return cancelled;
  const connectionOptions = {
    ...smtpOptions(account, credentials, timeoutMs),
    socketTimeout: timeoutMs,
  } as ConstructorParameters<typeof SMTPConnection>[0];
  const connection = new SMTPConnection(connectionOptions);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      timer = setTimeout(() => {
        const error = new Error('Timed out') as Error & { code: string };
        error.code = 'ETIMEDOUT';
        finish(error);
      }, timeoutMs);
      onAbort = () => finish(new TmailError('CANCELLED'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      connection.on('error', finish);
      connection.once('end', () => finish(new Error('Connection closed')));
      connection.connect((error) => {
        if (error) return finish(error);
        if (!connection.allowsAuth) {
          return finish(
            new TmailError(
              'SERVER_NO',
              `The SMTP server ${account.smtp.host}:${account.smtp.port} offers no login (AUTH) on this connection; check the security setting (tls or starttls) and the port.`,
            ),
          );
        }
        const auth = smtpLoginAuth(connection, credentials);
        connection.login(auth as Parameters<typeof connection.login>[0], (loginError) =>
          finish(loginError ?? undefined),
        );
      });
    });
    connection.quit();
    return { ...base, ok: true, detail: `authenticated as ${credentials.user}` };
  } catch (error) {
    connection.close();
    return { ...base, ok: false, error: probeError(error, account) };
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * translateSmtpError speaks of sending; before any message, a refusal is of
 * the greeting, EHLO or STARTTLS, so say that (with the server's words).
 */
function probeError(error: unknown, account: AccountConfig): TmailError {
  const translated = translateSmtpError(error, account);
  if (translated.code !== 'SEND_FAILED') return translated;
  const where = `${account.smtp.host}:${account.smtp.port}`;
  const e = (error ?? {}) as { code?: string; response?: string; responseCode?: number };
  if (e.code === 'ETLS') {
    return new TmailError(
      'TLS_FAILED',
      `The SMTP server ${where} could not start TLS (STARTTLS); check the security setting (tls, starttls or plain) and the port.`,
      { serverText: e.response, cause: error },
    );
  }
  if (e.responseCode) {
    // 500 to 504 are syntax errors (RFC 5321 4.2.1): the server did not understand.
    return new TmailError(
      e.responseCode >= 500 && e.responseCode <= 504 ? 'SERVER_BAD' : 'SERVER_NO',
      `The SMTP server ${where} refused the connection before the login.`,
      { serverText: e.response, cause: error },
    );
  }
  return new TmailError('INTERNAL', `Checking the SMTP server ${where} failed unexpectedly.`, {
    cause: error,
  });
}
